package rules_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/portlens/portlens/analyzer"
	"github.com/portlens/portlens/analyzer/rules"
)

const rulesDir = "../../testdata/rules"

// ruleCase is one entry of testdata/rules/cases.json.
type ruleCase struct {
	File    string          `json:"file"`
	Rule    string          `json:"rule"`
	Class   string          `json:"class"`
	Flagged json.RawMessage `json:"flagged"`
}

func readCases(t *testing.T) map[string][]int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(rulesDir, "cases.json"))
	if err != nil {
		t.Skipf("no generated rule captures: %v", err)
	}
	var cases []ruleCase
	if err := json.Unmarshal(b, &cases); err != nil {
		t.Fatal(err)
	}
	out := map[string][]int{}
	for _, c := range cases {
		var frames []int
		_ = json.Unmarshal(c.Flagged, &frames) // "none" leaves nil
		out[c.File] = frames
	}
	return out
}

// expect says, for one capture under one preset, every flag of the kinds
// beyond Wireshark's (all others must be absent), the class of each
// tcp.reused_ports flag, and words the explanations must contain.
type expect struct {
	file, os string
	// kind -> frames; the frames of the case (cases.json) where the
	// value is nil and the kind is the case's own.
	flags   map[rules.Kind][]int
	own     rules.Kind // the kind cases.json speaks of
	classes map[int]rules.Class
	texts   map[rules.Kind][]string
}

var expects = []expect{
	{file: "reuse-after-rst.pcap", os: "linux", classes: map[int]rules.Class{8: rules.ClassAfterRST},
		texts: map[rules.Kind][]string{rules.ReusedPorts: {"RST from 192.168.1.23:38412", "Frame 8"}}},
	{file: "time-wait-client-closed-59s.pcap", os: "linux", own: rules.FastReuse, classes: map[int]rules.Class{10: rules.ClassInTimeWait},
		texts: map[rules.Kind][]string{
			rules.FastReuse:   {"59.000 s earlier", "TIME_WAIT of 60.000 s", "1.000 s before", "192.168.1.23:41000 closed first", "The sender closed first", "timestamp"},
			rules.ReusedPorts: {"59.000 s before", "less than the TIME_WAIT of 60.000 s", "Linux"}}},
	{file: "time-wait-client-closed-61s.pcap", os: "linux", own: rules.FastReuse, classes: map[int]rules.Class{10: rules.ClassAfterTimeWait},
		texts: map[rules.Kind][]string{rules.ReusedPorts: {"61.000 s before", "longer than the TIME_WAIT of 60.000 s"}}},
	{file: "time-wait-server-closed-59s.pcap", os: "linux", own: rules.FastReuse, classes: map[int]rules.Class{10: rules.ClassInTimeWait},
		texts: map[rules.Kind][]string{rules.FastReuse: {"203.0.113.10:443 closed first", "The peer holds TIME_WAIT", "RFC 6191"}}},
	{file: "time-wait-server-closed-61s.pcap", os: "linux", own: rules.FastReuse, classes: map[int]rules.Class{10: rules.ClassAfterTimeWait}},
	{file: "reuse-while-open.pcap", os: "linux", classes: map[int]rules.Class{7: rules.ClassWhileOpen},
		texts: map[rules.Kind][]string{rules.ReusedPorts: {"never closed"}}},
	// 3 s after a FIN close, but no SYN: not tcp.fast_reuse (see fastreuse.go).
	{file: "synack-reuse-syn-missing.pcap", os: "linux", classes: map[int]rules.Class{10: rules.ClassMissingSYN},
		texts: map[rules.Kind][]string{rules.ReusedPorts: {"SYN/ACK", "No SYN"}}},
	// 5 s after a FIN close: also inside TIME_WAIT.
	{file: "same-isn-after-close.pcap", os: "linux", classes: map[int]rules.Class{10: rules.ClassSameISN},
		flags: map[rules.Kind][]int{rules.FastReuse: {10}}, texts: map[rules.Kind][]string{rules.ReusedPorts: {"(the same)", "4.0 to 4.2"}}},
	{file: "client-port-5000-linux.pcap", os: "linux", own: rules.OutsideEphemeral,
		texts: map[rules.Kind][]string{rules.OutsideEphemeral: {"Port 5000", "32768-60999", "Linux", "registered range"}}},
	{file: "client-port-5000-linux.pcap", os: "auto", own: rules.OutsideEphemeral,
		texts: map[rules.Kind][]string{rules.OutsideEphemeral: {"inferred by auto: 20 of the 21 connections", "32768-60999"}}},
	{file: "windows-ephemeral-ports.pcap", os: "auto", own: rules.OutsideEphemeral},
	{file: "privileged-port-nfs.pcap", os: "linux", own: rules.PrivilegedSource},
	{file: "privileged-port-http.pcap", os: "linux", own: rules.PrivilegedSource,
		texts: map[rules.Kind][]string{rules.PrivilegedSource: {"Port 700", "203.0.113.10:80", "0-1023"}}},
	{file: "server-port-40000.pcap", os: "linux", own: rules.ServerInEphemeral,
		texts: map[rules.Kind][]string{rules.ServerInEphemeral: {"port 40000", "32768-60999", "5 connections"}}},
	{file: "port-exhaustion.pcap.gz", os: "linux", own: rules.Exhaustion,
		texts: map[rules.Kind][]string{rules.Exhaustion: {"30000 connections", "28232", "connection 28233", "60.000 s", "526.3 a second", "471 new connections"}}},
	{file: "port-exhaustion-500.pcap", os: "linux", own: rules.Exhaustion},
	{file: "syn-retransmitted-unanswered.pcap", os: "linux", own: rules.ReusedPorts,
		flags: map[rules.Kind][]int{rules.SYNUnanswered: {1}},
		texts: map[rules.Kind][]string{rules.SYNUnanswered: {"4 times", "7.000 s", "frame 4"}}},
	{file: "dns-fixed-source-port.pcap", os: "linux", own: rules.FixedSourcePort,
		texts: map[rules.Kind][]string{rules.FixedSourcePort: {"50 DNS queries", "source port 33333", "from frame 1 to frame 99", "CVE-2008-1447"}}},
	{file: "dns-random-source-ports.pcap", os: "linux", own: rules.FixedSourcePort},
	{file: "sctp-init-reuse.pcap", os: "linux", own: rules.SCTPReusedPorts,
		texts: map[rules.Kind][]string{rules.SCTPReusedPorts: {"0x2bad0002", "0x1eaf0001", "30.000 s"}}},
}

func analyze(t *testing.T, file, osName string) *analyzer.Result {
	t.Helper()
	f, err := os.Open(filepath.Join(rulesDir, file))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	opts := analyzer.DefaultOptions()
	opts.Rules.Preset = osName
	res := analyzer.Analyze(file, f, opts)
	if res.Error != "" {
		t.Fatalf("%s: %s", file, res.Error)
	}
	return res
}

func TestGeneratedCaptures(t *testing.T) {
	cases := readCases(t)
	for _, e := range expects {
		t.Run(e.file+"/"+e.os, func(t *testing.T) {
			if testing.Short() && strings.HasSuffix(e.file, ".gz") {
				t.Skip("large capture")
			}
			frames, ok := cases[e.file]
			if !ok {
				t.Fatalf("%s is not in cases.json", e.file)
			}
			res := analyze(t, e.file, e.os)
			got := map[rules.Kind][]int{}
			byKind := map[rules.Kind]rules.Explained{}
			for i, f := range res.Flags() {
				frame := int(f.Frame)
				got[f.Kind] = append(got[f.Kind], frame)
				if _, seen := byKind[f.Kind]; !seen {
					byKind[f.Kind] = res.Verdict.Explain(i)
				}
				if want, ok := e.classes[frame]; ok && f.Kind == rules.ReusedPorts && f.Class != want {
					t.Errorf("frame %d: class %s, want %s", frame, f.Class, want)
				}
			}
			want := map[rules.Kind][]int{}
			for k, v := range e.flags {
				want[k] = v
			}
			if e.own != rules.ReusedPorts {
				want[e.own] = frames
			}
			for _, k := range rules.Kinds[1:] {
				if !slices.Equal(got[k], want[k]) {
					t.Errorf("%s: flagged frames %v, want %v", k, got[k], want[k])
				}
			}
			if e.own == rules.ReusedPorts {
				if fr := got[rules.ReusedPorts]; !slices.Equal(fr, frames) {
					t.Errorf("tcp.reused_ports frames %v, want %v", fr, frames)
				}
			}
			for k, texts := range e.texts {
				expl := byKind[k].Explanation
				for _, s := range texts {
					if !strings.Contains(expl, s) {
						t.Errorf("%s explanation lacks %q:\n%s", k, s, expl)
					}
				}
			}
		})
	}
}

// A Windows client's ports raise port.outside_ephemeral under linux (39
// of its 40 ports are above 60999) but not under auto, which infers the
// Windows range from the 40 connections.
func TestAutoInfersWindows(t *testing.T) {
	readCases(t)
	res := analyze(t, "windows-ephemeral-ports.pcap", "linux")
	if n := res.FlagCounts()[rules.OutsideEphemeral]; n != 39 {
		t.Errorf("under linux: %d port.outside_ephemeral, want 39", n)
	}
	opts := analyzer.DefaultOptions()
	opts.Rules.Preset = "auto"
	hosts := res.HostPresets(opts)
	var found bool
	for a, h := range hosts {
		if a.String() != "192.168.1.57" {
			continue
		}
		found = true
		if !h.Inferred || h.Preset.Ephemeral != (rules.Range{Lo: 49152, Hi: 65535}) || h.Connections != 40 || h.InRange != 40 {
			t.Errorf("inferred %+v", h)
		}
		for _, s := range []string{"40 of the 40 connections", "49152-65535", "macos and iana share the range"} {
			if !strings.Contains(h.Why, s) {
				t.Errorf("Why lacks %q: %s", s, h.Why)
			}
		}
	}
	if !found {
		t.Errorf("no preset for 192.168.1.57 in %v", hosts)
	}
	res.Judge(opts)
	if n := res.FlagCounts()[rules.OutsideEphemeral]; n != 0 {
		t.Errorf("under auto: %d port.outside_ephemeral, want 0", n)
	}
}

func Example_flagCounts() {
	f, err := os.Open(filepath.Join(rulesDir, "time-wait-client-closed-59s.pcap"))
	if err != nil {
		return
	}
	defer f.Close()
	res := analyzer.Analyze("tw", f, analyzer.DefaultOptions())
	for _, fl := range res.Flags() {
		fmt.Println(fl.Frame, fl.Kind, fl.Class, fl.Severity())
	}
	// Output:
	// 10 tcp.fast_reuse  warning
	// 10 tcp.reused_ports in-time-wait note
}
