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

// expect says, for one capture under one preset (and NAT), every flag of
// the kinds beyond Wireshark's (all others must be absent), the class of
// each tcp.reused_ports flag, and words the explanations must contain.
type expect struct {
	file, os, nat string
	// kind -> frames; fromCase stands for the frames of the case
	// (cases.json), which are also the own kind's unless explicit.
	flags    map[rules.Kind][]int
	own      rules.Kind // the kind cases.json speaks of
	explicit bool       // the own kind's frames are in flags, not cases.json's
	ownClass rules.Class
	classes  map[int]rules.Class
	texts    map[rules.Kind][]string
	// messages and related pin the first flag of a kind whole.
	messages map[rules.Kind]string
	related  map[rules.Kind][]int
}

// fromCase, as a flags value, is the frames cases.json lists.
var fromCase = []int{-1}

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

// staleExpects are the tcp.stale_peer captures: the flag on the first
// SYN only, its class, its numbers; under a NAT nothing changes.
var staleExpects = []expect{
	{file: "stale-peer-time-wait.pcap", os: "linux", own: rules.StalePeer, ownClass: rules.ClassPeerTimeWait,
		flags:   map[rules.Kind][]int{rules.FastReuse: {10}},
		classes: map[int]rules.Class{10: rules.ClassInTimeWait, 13: rules.ClassSameISN},
		messages: map[rules.Kind]string{rules.StalePeer: "SYN 198.51.100.50:41000 → 203.0.113.10:443 answered by an ACK of stream 0, " +
			"which the peer still held in TIME_WAIT; the connection opened 1.000 s late"},
		related: map[rules.Kind][]int{rules.StalePeer: {1, 7, 11, 12, 13, 14}},
		texts: map[rules.Kind][]string{rules.StalePeer: {"answered it in frame 11, 60 µs later", "seq 706284945, ack 1851608642",
			"would acknowledge 523124045 (its ISN + 1)", "exactly where 198.51.100.50:41000's side of stream 0 ended",
			"seq 706284945 where 203.0.113.10:443's side ended", "closed stream 0 first (FIN in frame 7",
			"was 20.000 s before this SYN, inside the TIME_WAIT of 60.000 s", "timestamp 49100192 is not above the old connection's last 50000185",
			"reset it in frame 12 (RST seq 1851608642, the ACK's acknowledgment number", "ends the peer's TIME_WAIT",
			"again in frame 13, 1.000 s after the first", "2 SYNs in all", "SYN/ACK came in frame 14 (stream 2)", "collision cost 1.000 s"}}},
	{file: "stale-peer-time-wait.pcap", os: "auto", nat: "gcp-cloud-nat", own: rules.StalePeer, ownClass: rules.ClassPeerTimeWait,
		flags: map[rules.Kind][]int{rules.FastReuse: {10}}},
	{file: "stale-peer-time-wait-retries.pcap", os: "linux", own: rules.StalePeer, ownClass: rules.ClassPeerTimeWait,
		flags:   map[rules.Kind][]int{rules.FastReuse: {10}},
		related: map[rules.Kind][]int{rules.StalePeer: {1, 7, 11, 12, 13, 20}},
		texts: map[rules.Kind][]string{rules.StalePeer: {"55.000 s before this SYN", "did not honour: it kept its TIME_WAIT",
			"4 SYNs in all, 3 of them answered by the same stale ACK", "SYN/ACK came in frame 20 (stream 4), 62.000 s after the old connection's last packet",
			"collision cost 7.000 s"}}},
	{file: "stale-peer-time-wait-windows.pcap", os: "linux", own: rules.StalePeer, ownClass: rules.ClassPeerTimeWait,
		flags: map[rules.Kind][]int{rules.FastReuse: {10}},
		texts: map[rules.Kind][]string{rules.StalePeer: {"30.000 s before this SYN", "Without timestamps on both connections",
			"the ISN 523124044 is not above the old connection's last 1851608642", "3.000 s after the first", "collision cost 3.000 s"}}},
	{file: "stale-peer-half-open.pcap", os: "linux", own: rules.StalePeer, ownClass: rules.ClassHalfOpen,
		classes: map[int]rules.Class{7: rules.ClassWhileOpen},
		related: map[rules.Kind][]int{rules.StalePeer: {1, 8, 9, 10, 11}},
		texts: map[rules.Kind][]string{rules.StalePeer: {"answered it in frame 8, 18.0 ms later", "seq 169553258, ack 1011703528",
			"Stream 0 never closed in the capture", "45.000 s before this SYN", "challenge ACK (RFC 5961 section 4)",
			"drop the stale connection", "collision cost 1.018 s"}}},
	{file: "stale-peer-half-open.pcap", os: "auto", nat: "aws-nat-gateway", own: rules.StalePeer, ownClass: rules.ClassHalfOpen},
	{file: "stale-peer-earlier-unseen.pcap", os: "linux", own: rules.StalePeer, ownClass: rules.ClassEarlierUnseen,
		related: map[rules.Kind][]int{rules.StalePeer: {2, 3, 4, 5}},
		texts:   map[rules.Kind][]string{rules.StalePeer: {"ack 270636194", "one that is not in the capture", "collision cost 1.018 s"}}},
	{file: "stale-peer-none-accepted.pcap", os: "linux", own: rules.StalePeer, flags: map[rules.Kind][]int{rules.FastReuse: {10}}},
	{file: "stale-peer-none-synack-lost.pcap", os: "linux", own: rules.StalePeer},
	{file: "stale-peer-none-synack-lost.pcap", os: "auto", nat: "azure-nat-gateway", own: rules.StalePeer},
}

// natExpects are the cloud NAT captures under each NAT: the budget's
// flag where the NAT's budget was full, tcp.syn_unanswered on the dropped
// SYNs under every NAT and none.
var natExpects = func() []expect {
	syn := map[rules.Kind][]int{rules.SYNUnanswered: fromCase}
	none := map[rules.Kind][]int{rules.SYNUnanswered: fromCase, rules.Exhaustion: nil}
	return []expect{
		{file: "nat-gcp-budget-exceeded.pcap", os: "linux", nat: "gcp-cloud-nat", own: rules.Exhaustion, ownClass: rules.ClassNATBudget, flags: syn,
			messages: map[rules.Kind]string{rules.Exhaustion: "10.0.5.12 held 64 connections to 198.51.100.7:443 at 09:26:58.040 " +
				"(Google Cloud NAT's default 64 ports per VM); the next 9 SYNs were never answered"},
			related: map[rules.Kind][]int{rules.Exhaustion: {998, 1093}},
			texts: map[rules.Kind][]string{rules.Exhaustion: {"a VM may hold 64 connections toward one destination",
				"opened 73 connections to 198.51.100.7:443", "(5.040 s into the capture), when stream 111 opened in frame 998, it held 64: 1 open or closing and 63 closed",
				"stayed full to the end of the capture", "9 new connections", "the first in frame 1018, the last in frame 1093; 27 SYNs",
				"The peak was 64 held at once", "min_ports_per_vm default 64"}}},
		{file: "nat-gcp-budget-exceeded.pcap", os: "auto", nat: "gcp-cloud-nat", own: rules.Exhaustion, ownClass: rules.ClassNATBudget, flags: syn},
		{file: "nat-gcp-budget-exceeded.pcap", os: "linux", own: rules.Exhaustion, explicit: true, flags: none},
		{file: "nat-gcp-budget-exceeded.pcap", os: "linux", nat: "aws-nat-gateway", own: rules.Exhaustion, explicit: true, flags: none},
		{file: "nat-gcp-budget-exceeded.pcap", os: "linux", nat: "azure-lb", own: rules.Exhaustion, explicit: true, flags: none},
		{file: "nat-gcp-budget-exceeded.pcap", os: "linux", nat: "azure-nat-gateway", own: rules.Exhaustion, explicit: true, flags: none},
		{file: "nat-azure-lb-budget-exceeded.pcap.gz", os: "linux", nat: "azure-lb", own: rules.Exhaustion, ownClass: rules.ClassNATBudget, flags: syn,
			texts: map[rules.Kind][]string{rules.Exhaustion: {"opened 1029 connections", "51.150 s into the capture", "it held 1024: 2 open or closing and 1022 closed less than 4m0s",
				"5 new connections", "15 SYNs", "The peak was 1024", "released 240 s after FIN"}}},
		// Cloud NAT's budget was full long before: the same SYNs, but
		// the answered connections beyond 64 say the budget is wrong.
		{file: "nat-azure-lb-budget-exceeded.pcap.gz", os: "linux", nat: "gcp-cloud-nat", own: rules.Exhaustion, ownClass: rules.ClassNATBudget, flags: syn,
			texts: map[rules.Kind][]string{rules.Exhaustion: {"(3.150 s into the capture)", "it held 64: 2 open or closing and 62 closed",
				"at the peak 1024 were held at once, more than the budget"}}},
		{file: "nat-azure-lb-budget-exceeded.pcap.gz", os: "linux", nat: "aws-nat-gateway", own: rules.Exhaustion, explicit: true, flags: none},
		{file: "nat-azure-lb-budget-exceeded.pcap.gz", os: "linux", nat: "azure-nat-gateway", own: rules.Exhaustion, explicit: true, flags: none},
		{file: "nat-azure-lb-budget-exceeded.pcap.gz", os: "linux", own: rules.Exhaustion, explicit: true, flags: none},
		{file: "nat-within-budget.pcap", os: "linux", nat: "gcp-cloud-nat", own: rules.Exhaustion},
		{file: "nat-within-budget.pcap", os: "auto", nat: "azure-lb", own: rules.Exhaustion},
		{file: "nat-within-budget.pcap", os: "linux", own: rules.Exhaustion},
	}
}()

func analyze(t *testing.T, file, osName string) *analyzer.Result {
	t.Helper()
	return analyzeNAT(t, file, osName, "")
}

func analyzeNAT(t *testing.T, file, osName, nat string) *analyzer.Result {
	t.Helper()
	f, err := os.Open(filepath.Join(rulesDir, file))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	opts := analyzer.DefaultOptions()
	opts.Rules.Preset = osName
	opts.Rules.NAT = nat
	res := analyzer.Analyze(file, f, opts)
	if res.Error != "" {
		t.Fatalf("%s: %s", file, res.Error)
	}
	return res
}

func TestGeneratedCaptures(t *testing.T) {
	cases := readCases(t)
	for _, e := range slices.Concat(expects, staleExpects, natExpects) {
		t.Run(e.file+"/"+e.os+"/"+e.nat, func(t *testing.T) {
			if testing.Short() && strings.HasSuffix(e.file, ".gz") {
				t.Skip("large capture")
			}
			frames, ok := cases[e.file]
			if !ok {
				t.Fatalf("%s is not in cases.json", e.file)
			}
			res := analyzeNAT(t, e.file, e.os, e.nat)
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
				if f.Kind == e.own && e.ownClass != rules.NoClass && f.Class != e.ownClass {
					t.Errorf("%s on frame %d: class %s, want %s", f.Kind, frame, f.Class, e.ownClass)
				}
			}
			want := map[rules.Kind][]int{}
			for k, v := range e.flags {
				if slices.Equal(v, fromCase) {
					v = frames
				}
				want[k] = v
			}
			if e.own != rules.ReusedPorts && !e.explicit {
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
			for k, msg := range e.messages {
				if byKind[k].Message != msg {
					t.Errorf("%s message\n  %s\nwant\n  %s", k, byKind[k].Message, msg)
				}
			}
			for k, rel := range e.related {
				if !slices.Equal(byKind[k].Related, rel) {
					t.Errorf("%s related %v, want %v", k, byKind[k].Related, rel)
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
