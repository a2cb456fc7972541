package analyzer_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/portlens/portlens/analyzer"
	"github.com/portlens/portlens/analyzer/filter"
)

var (
	corpusFilterAnswers = flag.String("corpus-filters", "filter/testdata/corpus44.jsonl.gz",
		"Wireshark 4.4's frames for corpusFilters on every capture of the public corpus")
	updateCorpusFilters = flag.Bool("update-corpus-filters", false,
		"rewrite -corpus-filters with the Wireshark 4.4 oracle (node, wiregasm; ten minutes)")
	updateCorpusKnown = flag.Bool("update-corpus-known", false,
		"rewrite corpus44-known.txt with the pairs that disagree today")
)

// corpusKnown lists the capture and filter pairs of the corpus where
// portlens and Wireshark 4.4 are known to disagree, one "CAPTURE<TAB>FILTER"
// a line: link types portlens does not decode (Frame Relay, PKTAP,
// 802.11 data frames, 802.15.4, MACsec, NSH), and malformed headers of
// tcpdump's fuzzing captures that Wireshark reads part of. The test fails
// on a disagreement not listed and on a listed pair that agrees, so the
// list only shrinks.
const corpusKnown = "filter/testdata/corpus44-known.txt"

// corpusFilters are asked of Wireshark 4.4 on every capture of the public
// corpus: protocols, addresses, ports, flags, numbers, times and bytes, on
// real captures of every link type the corpus holds.
var corpusFilters = []string{
	"tcp", "udp", "icmp || icmpv6", "ipv6", "eth",
	"ip.addr == 10.0.0.0/8", "ip.addr != 10.0.0.0/8", "ip.src == ip.dst",
	"tcp.port in {80, 443, 8000..8080}", "tcp.port != 80", "udp.port == 53",
	"tcp.flags.syn == 1 && tcp.flags.ack == 0", "tcp.flags.reset", "!(tcp.flags.reset == 1) && tcp",
	"tcp.len > 0", "tcp.seq_raw", "tcp.ack_raw > 1000000",
	"eth.dst == ff:ff:ff:ff:ff:ff", "frame.time_relative > 1", `frame contains "HTTP/1."`,
}

// corpusAnswer is one line of the stored answers: the frames as ranges
// ("1-5,9"), which keeps the file small.
type corpusAnswer struct {
	Capture string `json:"capture"`
	Filter  string `json:"filter"`
	Frames  string `json:"frames"`
}

// TestSelectAgreesOnCorpus: the display filters select, on every capture
// of the public corpus, the frames Wireshark 4.4 selects (its answers
// stored in corpus44.jsonl.gz, made by the oracle from the corpus).
func TestSelectAgreesOnCorpus(t *testing.T) {
	if testing.Short() {
		t.Skip("the corpus is read in the native tests")
	}
	dir := *publicCorpus
	if _, err := os.Stat(filepath.Join(dir, "truth.jsonl")); err != nil {
		t.Fatalf("the public corpus is needed (-public-corpus, default ../shared/corpus/public beside the repository): %v", err)
	}
	if *updateCorpusFilters {
		writeCorpusAnswers(t, dir, *corpusFilterAnswers)
	}
	answers := readCorpusAnswers(t, *corpusFilterAnswers)
	byCapture := map[string][]corpusAnswer{}
	var order []string
	for _, a := range answers {
		if byCapture[a.Capture] == nil {
			order = append(order, a.Capture)
		}
		byCapture[a.Capture] = append(byCapture[a.Capture], a)
	}
	known := readCorpusKnown(t)
	checked := 0
	var bad []string
	for _, c := range order {
		checked += len(byCapture[c])
		bad = append(bad, selectCorpusCapture(t, filepath.Join(dir, c), byCapture[c], known, len(bad))...)
	}
	t.Logf("%d captures, %d capture and filter pairs, %d disagree (%d known)", len(order), checked, len(bad), len(known))
	if *updateCorpusKnown {
		if err := os.WriteFile(corpusKnown, []byte(strings.Join(bad, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	for _, b := range bad {
		delete(known, b)
	}
	for k := range known {
		t.Errorf("%q now agrees with Wireshark: take it out of %s (-update-corpus-known)", k, corpusKnown)
	}
	if want := len(corpusCaptures(t, dir)) * len(corpusFilters); checked != want {
		t.Errorf("%s answers %d of the %d pairs; regenerate it with -update-corpus-filters", *corpusFilterAnswers, checked, want)
	}
}

// selectCorpusCapture analyzes one capture and applies its filters; it
// returns the pairs that disagree ("CAPTURE<TAB>FILTER"), failing the test
// on those not known (printing the first few of the whole test).
func selectCorpusCapture(t *testing.T, path string, as []corpusAnswer, known map[string]bool, before int) []string {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res := analyzer.Analyze(filepath.Base(path), f, analyzer.DefaultOptions())
	var bad []string
	for _, a := range as {
		flt, err := filter.Compile(a.Filter)
		if err != nil {
			t.Fatalf("%s: %v", a.Filter, err)
		}
		got, err := res.Select(flt, f, nil)
		if err != nil && res.Error == "" {
			t.Errorf("%s, %s: %v", a.Capture, a.Filter, err)
		}
		if gotRanges := frameRanges(got); gotRanges != a.Frames {
			key := a.Capture + "\t" + a.Filter
			bad = append(bad, key)
			if !known[key] && !*updateCorpusKnown && before+len(bad) <= 20 {
				t.Errorf("%s: %q selects %s, Wireshark %s", a.Capture, a.Filter, clip(gotRanges), clip(a.Frames))
			} else if !known[key] && !*updateCorpusKnown {
				t.Fail()
			}
		}
	}
	return bad
}

func readCorpusKnown(t *testing.T) map[string]bool {
	b, err := os.ReadFile(corpusKnown)
	if err != nil && !*updateCorpusKnown {
		t.Fatal(err)
	}
	known := map[string]bool{}
	for line := range strings.Lines(string(b)) {
		if line = strings.TrimSuffix(line, "\n"); line != "" {
			known[line] = true
		}
	}
	return known
}

func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return "[" + s + "]"
}

// frameRanges writes increasing frame numbers as "1-5,9".
func frameRanges(fs []int32) string {
	var b strings.Builder
	for i := 0; i < len(fs); {
		j := i
		for j+1 < len(fs) && fs[j+1] == fs[j]+1 {
			j++
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(int(fs[i])))
		if j > i {
			fmt.Fprintf(&b, "-%d", fs[j])
		}
		i = j + 1
	}
	return b.String()
}

// corpusCaptures are the corpus's captures, as truth.jsonl names them.
func corpusCaptures(t *testing.T, dir string) []string {
	b, err := os.ReadFile(filepath.Join(dir, "truth.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for line := range bytes.Lines(b) {
		var rec struct{ File string }
		if err := json.Unmarshal(line, &rec); err != nil {
			t.Fatal(err)
		}
		out = append(out, rec.File)
	}
	return out
}

func readCorpusAnswers(t *testing.T, path string) []corpusAnswer {
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("%v (make it with -update-corpus-filters)", err)
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		zr, err := gzip.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		r = zr
	}
	var out []corpusAnswer
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 1<<26)
	for sc.Scan() {
		var a corpusAnswer
		if err := json.Unmarshal(sc.Bytes(), &a); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, a)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// writeCorpusAnswers runs filter/testdata/wireshark44.js (Wireshark 4.4,
// wiregasm) over every capture of the corpus and filter.
func writeCorpusAnswers(t *testing.T, dir, path string) {
	var in bytes.Buffer
	for _, c := range corpusCaptures(t, dir) {
		for _, f := range corpusFilters {
			fmt.Fprintf(&in, "%s\t%s\n", c, f)
		}
	}
	script, _ := filepath.Abs(filepath.Join("filter", "testdata", "wireshark44.js"))
	cmd := exec.Command("node", script)
	cmd.Dir, cmd.Stdin, cmd.Stderr = dir, &in, os.Stderr
	stdout, err := cmd.Output()
	if err != nil {
		t.Fatalf("node %s: %v", script, err)
	}
	var z bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&z, gzip.BestCompression)
	for line := range bytes.Lines(stdout) {
		var r struct {
			Capture, Filter, Error string
			Frames                 []int32
		}
		if err := json.Unmarshal(line, &r); err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		if r.Error != "" {
			t.Fatalf("Wireshark 4.4 refuses %q: %s", r.Filter, r.Error)
		}
		if !slices.IsSorted(r.Frames) {
			t.Fatalf("%s, %s: frames out of order", r.Capture, r.Filter)
		}
		out, _ := json.Marshal(corpusAnswer{Capture: r.Capture, Filter: r.Filter, Frames: frameRanges(r.Frames)})
		zw.Write(append(out, '\n'))
	}
	zw.Close()
	if err := os.WriteFile(path, z.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}
