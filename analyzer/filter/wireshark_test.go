package filter_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/portlens/portlens/analyzer/filter"
)

var (
	updateTshark = flag.Bool("update", false, "rewrite testdata/tshark.jsonl by running tshark on every capture and filter")
	update44     = flag.Bool("update44", false, "rewrite testdata/wireshark44.jsonl with the Wireshark 4.4 oracle (node, wiregasm)")
)

const capturesDir = "../../testdata/captures"

// wiresharkFilters run on every capture of testdata/captures, in tshark
// 4.0 and Wireshark 4.4 (their answers agree on all of them); each picks a
// semantic point the filter must share with Wireshark.
var wiresharkFilters = []string{
	"tcp", "udp", "sctp", "ip", "ipv6", "eth", "icmp", "!tcp", "frame",
	"frame.number in {2..4, 7}",
	"frame.len > 100",
	"frame.cap_len <= 66",
	"frame.time_relative >= 1",
	"frame.time_relative < 0.05",
	"frame.time_relative == 0.01804",
	"ip.addr == 192.168.1.23",
	"ip.addr != 192.168.1.23",
	"!(ip.addr == 192.168.1.23)",
	"ip.addr !== 192.168.1.23",
	"ip.addr === 192.168.1.23",
	"tcp.port === 5060",
	"ip.src == 172.16.0.0/12",
	"ip.addr in {10.255.0.1, 203.0.113.0/24}",
	"ip.dst in {192.168.1.1..192.168.1.30}",
	"ip.src == ip.dst",
	"ipv6.addr == 2001:db8:1::/48",
	"ipv6.dst == 2001:db8:2::10",
	"ipv6.src != 2001:db8:1::23",
	"tcp.port == 443",
	"tcp.port != 443",
	"tcp.srcport in {40000..50000} && tcp.dstport < 1024",
	"tcp.port in {22, 80, 5060, 8000..8443}",
	"tcp.srcport > tcp.dstport",
	"udp.port == 53 || sctp.port == 5060",
	"udp.port != 53",
	"tcp.port == -1 || tcp.port > -1",
	"tcp.port != -1",
	"tcp.flags.syn",
	"tcp.flags.syn == 1 && tcp.flags.ack == 0",
	"tcp.flags.reset == True",
	"tcp.flags.fin == 1 or tcp.flags.push == 1",
	"tcp.flags == 0x012",
	"tcp and !(tcp.flags.ack == 1)",
	"tcp.seq_raw",
	"tcp.ack_raw == 0",
	"tcp.len > 0",
	"tcp.len",
	"eth.addr == 02:42:c0:a8:01:01",
	"eth.src == 02-42-cb-00-71-0a",
	"eth.dst > 02:42:c0:a8:01:17",
	"eth.addr contains c0:a8:01:01",
	`frame contains "example"`,
	"frame contains 13:c4",
	`frame matches "options sip:"`,
	"not udp and frame.len <= 66 or icmp",
	"frame.number == 1 or frame.number == 2 and frame.number == 3",
}

// wireshark44Filters use what only Wireshark 4.4 reads, or reads
// differently from tshark 4.0: their answers come from 4.4 alone.
var wireshark44Filters = []string{
	"udp.port not in {53}",                 // 4.0: !(udp.port in {53}); 4.4: present and not in
	"tcp.port not in {443, 80}",            //
	"tcp.flags.syn == true",                // lower-case true
	"frame.time_relative > 1e-3",           // exponent
	"frame.time_relative == 0.01804000009", // digits past the nanosecond
	"tcp ^^ frame.number <= 3",             // xor
	"tcp or udp xor frame.number == 1",     // xor binds tighter than or
	"443 == tcp.port",                      // a value on the left
	"eth.addr == 2:42:c0:a8:1:1",           // one-digit bytes
	"frame contains 13:",                   // one byte with its colon
}

// answer is one line of the stored files: the frames a Wireshark version
// selects with a filter.
type answer struct {
	Capture string  `json:"capture"`
	Filter  string  `json:"filter"`
	Frames  []int64 `json:"frames"`
}

func captureNames(t testing.TB) []string {
	paths, err := filepath.Glob(filepath.Join(capturesDir, "*.pcap*"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no captures in %s: %v", capturesDir, err)
	}
	names := make([]string, len(paths))
	for i, p := range paths {
		names[i] = filepath.Base(p)
	}
	return names
}

func TestWireshark(t *testing.T) {
	caps := captureNames(t)
	tshark := filepath.Join("testdata", "tshark.jsonl")
	ws44 := filepath.Join("testdata", "wireshark44.jsonl")
	if *updateTshark {
		updateAnswers(t, tshark, caps, wiresharkFilters, runTshark)
	}
	if *update44 {
		updateAnswers(t, ws44, caps, append(slices.Clone(wiresharkFilters), wireshark44Filters...), runWireshark44)
	}
	frames := map[string][]*filter.Frame{}
	for _, c := range caps {
		if beyondTestDecoder[c] == "" && decodable(filepath.Join(capturesDir, c)) {
			frames[c] = decodeCapture(t, filepath.Join(capturesDir, c))
		}
	}
	t.Run("tshark-4.0", func(t *testing.T) { compareAnswers(t, tshark, caps, wiresharkFilters, frames) })
	t.Run("wireshark-4.4", func(t *testing.T) {
		compareAnswers(t, ws44, caps, append(slices.Clone(wiresharkFilters), wireshark44Filters...), frames)
	})
}

// beyondTestDecoder are the captures whose frames Wireshark dissects
// further or otherwise than gopacket, in ways decodable does not see; the
// test decoder leaves them out (it checks the filter's semantics, not
// decoding). analyzer's TestSelectAgreesWithWireshark holds portlens's
// own description of every capture, these included, to the same answers.
var beyondTestDecoder = map[string]string{
	"ip-fragments-edges.pcap": "reassembly keyed as Wireshark 4.4 keys it (protocol XOR identification, VLANs), not as ip4defrag",
	"ip-fragments-tiny.pcap":  "a TCP header split over 8-byte fragments, which ip4defrag reassembles otherwise",
	"ipv4-bad-options.pcap":   "Wireshark stops in an IPv4 header whose options are malformed; gopacket reads on",
	"ipv4-lsrr.pcap":          "the route's final destination is Wireshark's ip.dst",
	"ipv4-ssrr.pcap":          "the route's final destination is Wireshark's ip.dst",
	"tcp-short-headers.pcap":  "TCP headers cut short or with odd data offsets, read field by field by Wireshark",
}

// compareAnswers checks that the stored file answers exactly the table
// (so that neither was changed without the other) and that portlens
// selects the frames Wireshark selected.
func compareAnswers(t *testing.T, path string, caps, filters []string, frames map[string][]*filter.Frame) {
	stored := readAnswers(t, path)
	want := map[[2]string]bool{}
	for _, c := range caps {
		for _, f := range filters {
			want[[2]string{c, f}] = true
		}
	}
	seen := map[[2]string]bool{}
	compiled := map[string]*filter.Filter{}
	stale := 0
	for _, a := range stored {
		key := [2]string{a.Capture, a.Filter}
		if !want[key] || seen[key] {
			if stale++; stale == 1 {
				t.Errorf("%s: a line for %q on %s that the table does not ask for; regenerate it", path, a.Filter, a.Capture)
			}
			continue
		}
		seen[key] = true
		if _, ok := frames[a.Capture]; !ok {
			continue // beyond the test decoder
		}
		flt := compiled[a.Filter]
		if flt == nil {
			var err error
			if flt, err = filter.Compile(a.Filter); err != nil {
				t.Errorf("Compile(%q): %v", a.Filter, err)
				continue
			}
			compiled[a.Filter] = flt
		}
		var got []int64
		for _, fr := range frames[a.Capture] {
			if flt.Match(fr) {
				got = append(got, fr.Number)
			}
		}
		if !slices.Equal(got, a.Frames) && !(len(got) == 0 && len(a.Frames) == 0) {
			t.Errorf("%s, %q: portlens %v, Wireshark %v", a.Capture, a.Filter, got, a.Frames)
		}
	}
	if len(seen) != len(want) {
		t.Errorf("%s answers %d of the %d capture and filter pairs; regenerate it", path, len(seen), len(want))
	}
}

func readAnswers(t *testing.T, path string) []answer {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (regenerate: see testdata/README.md)", err)
	}
	var out []answer
	for i, line := range bytes.Split(bytes.TrimSpace(b), []byte("\n")) {
		var a answer
		if err := json.Unmarshal(line, &a); err != nil {
			t.Fatalf("%s:%d: %v", path, i+1, err)
		}
		out = append(out, a)
	}
	return out
}

// updateAnswers asks Wireshark only for the capture and filter pairs the
// stored file lacks (a full run of tshark takes a quarter of an hour), drops
// the lines the table no longer asks for, and writes the file in table
// order. Delete the file to ask for every pair again, e.g. after a capture
// changed.
func updateAnswers(t *testing.T, path string, caps, filters []string, run func(*testing.T, []answer) []answer) {
	stored := map[[2]string]answer{}
	if _, err := os.Stat(path); err == nil {
		for _, a := range readAnswers(t, path) {
			stored[[2]string{a.Capture, a.Filter}] = a
		}
	}
	var all, missing []answer
	for _, c := range caps {
		for _, f := range filters {
			all = append(all, answer{Capture: c, Filter: f})
			if _, ok := stored[[2]string{c, f}]; !ok {
				missing = append(missing, answer{Capture: c, Filter: f})
			}
		}
	}
	t.Logf("%s: asking for %d of %d pairs", path, len(missing), len(all))
	if len(missing) > 0 {
		for _, a := range run(t, missing) {
			stored[[2]string{a.Capture, a.Filter}] = a
		}
	}
	for i, a := range all {
		got, ok := stored[[2]string{a.Capture, a.Filter}]
		if !ok {
			t.Fatalf("%s: no answer for %q on %s", path, a.Filter, a.Capture)
		}
		all[i] = got
	}
	writeAnswers(t, path, all)
}

func writeAnswers(t *testing.T, path string, as []answer) {
	var b bytes.Buffer
	for _, a := range as {
		if a.Frames == nil {
			a.Frames = []int64{}
		}
		line, _ := json.Marshal(a)
		b.Write(line)
		b.WriteByte('\n')
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// runTshark asks tshark for the frames of every capture and filter:
//
//	tshark -r CAPTURE -Y FILTER -T fields -e frame.number
func runTshark(t *testing.T, pairs []answer) []answer {
	out := slices.Clone(pairs)
	var wg sync.WaitGroup
	var mu sync.Mutex
	sem := make(chan struct{}, 2)
	for i := range out {
		wg.Add(1)
		sem <- struct{}{}
		go func(a *answer) {
			defer func() { <-sem; wg.Done() }()
			cmd := exec.Command("tshark", "-r", filepath.Join(capturesDir, a.Capture), "-Y", a.Filter, "-T", "fields", "-e", "frame.number")
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			stdout, err := cmd.Output()
			frames, perr := parseNumbers(stdout)
			mu.Lock()
			defer mu.Unlock()
			if err != nil || perr != nil {
				t.Errorf("tshark %s %q: %v %v %s", a.Capture, a.Filter, err, perr, stderr.String())
			}
			a.Frames = frames
		}(&out[i])
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	return out
}

func parseNumbers(b []byte) ([]int64, error) {
	var out []int64
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		n, err := strconv.ParseInt(strings.TrimSpace(sc.Text()), 10, 64)
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, sc.Err()
}

// runWireshark44 runs testdata/wireshark44.js, which applies each filter
// with Wireshark 4.4's dissection engine (wiregasm) and prints the frames.
func runWireshark44(t *testing.T, pairs []answer) []answer {
	var in bytes.Buffer
	for _, a := range pairs {
		fmt.Fprintf(&in, "%s\t%s\n", a.Capture, a.Filter)
	}
	script, _ := filepath.Abs(filepath.Join("testdata", "wireshark44.js"))
	cmd := exec.Command("node", script)
	cmd.Dir = capturesDir
	cmd.Stdin = &in
	cmd.Stderr = os.Stderr
	stdout, err := cmd.Output()
	if err != nil {
		t.Fatalf("node %s: %v", script, err)
	}
	var out []answer
	for _, line := range bytes.Split(bytes.TrimSpace(stdout), []byte("\n")) {
		var r struct {
			answer
			Error string `json:"error"`
		}
		if err := json.Unmarshal(line, &r); err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		if r.Error != "" {
			t.Fatalf("Wireshark 4.4 refuses %q: %s", r.Filter, r.Error)
		}
		out = append(out, r.answer)
	}
	return out
}
