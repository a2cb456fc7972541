package rules_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/portlens/portlens/analyzer"
	"github.com/portlens/portlens/analyzer/conv"
	"github.com/portlens/portlens/analyzer/rules"
	"github.com/portlens/portlens/testdata/benchgen/benchcap"
)

// checkFindings checks what every verdict's findings must be: a partition
// of the flags (each flag in exactly one finding, the counts adding up,
// per kind too), each finding one cause (one kind and class; for reuses
// one client host and server endpoint, computed here from the
// conversations; one judging host for port.*), its first, last, worst and
// example frames taken from its own flags, the worst reuse the soonest,
// and the ranking (warnings, then connections, then flags).
func checkFindings(t *testing.T, name string, v *rules.Verdict, in *rules.Input) {
	t.Helper()
	errorf := func(format string, args ...any) {
		t.Helper()
		t.Errorf("%s: %s", name, fmt.Sprintf(format, args...))
	}
	fs := v.Findings()
	if len(v.Flags) > 0 && len(fs) == 0 {
		errorf("%d flags and no finding", len(v.Flags))
		return
	}
	members := make([][]int, len(fs))
	for i := range v.Flags {
		n := v.FindingOf(i)
		if n < 0 || n >= len(fs) {
			errorf("flag %d: finding %d of %d", i, n, len(fs))
			return
		}
		members[n] = append(members[n], i)
	}
	perKind := map[rules.Kind]int{}
	type reuseKey struct {
		kind   rules.Kind
		class  rules.Class
		client conv.HostID
		server conv.Endpoint
	}
	reuseOwner := map[reuseKey]int{}
	for n := range fs {
		fd := &fs[n]
		flags := members[n]
		if len(flags) != int(fd.Count) || len(flags) == 0 {
			errorf("finding %d: Count %d, %d flags name it", n, fd.Count, len(flags))
			continue
		}
		perKind[fd.Kind] += len(flags)
		var frames []int32
		for _, i := range flags {
			f := &v.Flags[i]
			frames = append(frames, f.Frame)
			if f.Kind != fd.Kind || (f.Class != fd.Class && fd.Kind != rules.Exhaustion) {
				errorf("finding %d (%s %s) holds a %s %s flag", n, fd.Kind, fd.Class, f.Kind, f.Class)
			}
		}
		if fd.FirstFrame != slices.Min(frames) || fd.LastFrame != slices.Max(frames) || !slices.Contains(frames, fd.WorstFrame) {
			errorf("finding %d: first %d, last %d, worst %d, of its frames %v", n, fd.FirstFrame, fd.LastFrame, fd.WorstFrame, frames)
		}
		ex := fd.Frames()
		if len(ex) > 10 || !slices.IsSorted(ex) || len(slices.Compact(slices.Clone(ex))) != len(ex) {
			errorf("finding %d: examples %v", n, ex)
		}
		for _, want := range []int32{fd.FirstFrame, fd.WorstFrame, fd.LastFrame} {
			if !slices.Contains(ex, want) {
				errorf("finding %d: examples %v lack frame %d", n, ex, want)
			}
		}
		for _, e := range ex {
			if !slices.Contains(frames, e) {
				errorf("finding %d: example %d is not one of its frames", n, e)
			}
		}
		if len(frames) <= 10 && len(slices.Compact(slices.Clone(frames))) != len(ex) {
			errorf("finding %d: %d flags, %d examples: a small finding shows every frame", n, len(frames), len(ex))
		}
		switch fd.Kind {
		case rules.ReusedPorts, rules.FastReuse:
			best := int64(1) << 62
			for _, i := range flags {
				f := &v.Flags[i]
				c := in.Conversations.At(int(f.Stream))
				cl, sv := c.Client()
				k := reuseKey{f.Kind, f.Class, cl.Host, sv}
				if owner, ok := reuseOwner[k]; ok && owner != n {
					errorf("%s %s from host %d to %v: in findings %d and %d", k.kind, k.class, cl.Host, sv, owner, n)
				}
				reuseOwner[k] = n
				if since := c.ReusedBy().Time - in.Conversations.At(int(c.PrevStream)).LastTime; since < best {
					best = since
				}
			}
			for _, i := range flags {
				f := &v.Flags[i]
				c := in.Conversations.At(int(f.Stream))
				if f.Frame == fd.WorstFrame && c.ReusedBy().Time-in.Conversations.At(int(c.PrevStream)).LastTime != best {
					errorf("finding %d: worst frame %d is not the soonest reuse", n, fd.WorstFrame)
				}
			}
		case rules.OutsideEphemeral, rules.PrivilegedSource, rules.ServerInEphemeral:
			h0, _ := v.JudgedBy(flags[0])
			for _, i := range flags[1:] {
				if h, _ := v.JudgedBy(i); h.Host != h0.Host {
					errorf("finding %d (%s): hosts %s and %s", n, fd.Kind, h0.Host, h.Host)
				}
			}
		case rules.Exhaustion, rules.SYNUnanswered:
			if fd.Count != 1 {
				errorf("finding %d (%s): %d flags; the rule flags a client and destination once", n, fd.Kind, fd.Count)
			}
		}
		e := v.ExplainFinding(n)
		if e.Title == "" || e.Explanation == "" || e.Advice == "" || len(e.Hosts) == 0 || e.Count != int(fd.Count) ||
			!strings.Contains(e.Title, strconv.Itoa(int(fd.Connections))) && !strings.Contains(e.Title, strconv.Itoa(int(fd.Count))) {
			errorf("finding %d in words: %+v", n, e)
		}
		if n > 0 {
			a, b := &fs[n-1], fd
			sa, sb := a.Severity() == rules.Warning, b.Severity() == rules.Warning
			if !sa && sb || sa == sb && (a.Connections < b.Connections || a.Connections == b.Connections && a.Count < b.Count) {
				errorf("findings %d (%s, %d connections, %d flags) and %d (%s, %d, %d) are out of rank",
					n-1, a.Severity(), a.Connections, a.Count, n, b.Severity(), b.Connections, b.Count)
			}
		}
	}
	for k, want := range v.Counts() {
		if perKind[k] != want || v.KindCount(k) != want {
			errorf("%s: %d flags in findings, KindCount %d, %d flags", k, perKind[k], v.KindCount(k), want)
		}
	}
}

// TestFindingsTestdata checks the findings of every test capture under
// linux and auto.
func TestFindingsTestdata(t *testing.T) {
	for _, path := range goldenCaptures(t) {
		in := loadInput(t, path)
		for _, osName := range []string{"linux", "auto"} {
			checkFindings(t, filepath.Base(path)+" "+osName, rules.Judge(in, goldenSettings[osName]), in)
		}
	}
}

// TestFindingsCorpus checks the findings of every capture of the public
// corpus under linux and auto.
func TestFindingsCorpus(t *testing.T) {
	dir := needCorpus(t)
	truth, err := os.ReadFile(filepath.Join(dir, "truth.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(truth))
	files, flags := 0, 0
	for dec.More() {
		var tr struct{ File string }
		if err := dec.Decode(&tr); err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(filepath.Join(dir, tr.File))
		if err != nil {
			t.Fatal(err)
		}
		in := analyzer.Analyze(tr.File, f, analyzer.DefaultOptions()).RulesInput() // damaged ones too
		f.Close()
		for _, osName := range []string{"linux", "auto"} {
			v := rules.Judge(in, goldenSettings[osName])
			flags += len(v.Flags)
			checkFindings(t, tr.File+" "+osName, v, in)
		}
		files++
	}
	t.Logf("%d captures, %d flags in findings", files, flags)
}

// The RST storm's four reuses are one finding: one client port, one
// server, after RST.
func TestFindingsRSTStorm(t *testing.T) {
	in := loadInput(t, "../../testdata/captures/seed-rst-storm.pcap")
	v := rules.Judge(in, rules.DefaultSettings())
	fs := v.Findings()
	if len(fs) != 1 {
		t.Fatalf("%d findings, want 1", len(fs))
	}
	e := v.ExplainFinding(0)
	if e.Kind != rules.ReusedPorts || e.Class != "after-rst" || e.Count != 4 || !slices.Equal(e.Frames, []int{3, 5, 7, 9}) ||
		e.FirstFrame != 3 || e.LastFrame != 9 || !slices.Equal(e.Hosts, []string{"192.168.1.23", "203.0.113.10"}) {
		t.Errorf("finding %+v", e)
	}
	for _, s := range []string{"192.168.1.23 reuses port 40312 toward 203.0.113.10:8080: 4 reuses after RST", "fixed source port"} {
		if !strings.Contains(e.Title+" "+e.Explanation, s) {
			t.Errorf("finding lacks %q: %s / %s", s, e.Title, e.Explanation)
		}
	}
	for i := range v.Flags {
		if ex := v.Explain(i); ex.Finding != 0 {
			t.Errorf("flag %d names finding %d", i, ex.Finding)
		}
	}
}

// TestFindingsMixed compares the findings of findings-mixed.pcap.gz with
// the ones written in cases.json from how the capture was built.
func TestFindingsMixed(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(rulesDir, "cases.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cases []struct {
		File     string
		OS       string
		Flagged  json.RawMessage
		Findings []struct {
			Kind        string
			Class       string
			Hosts       []string
			Count       int
			Connections int
			Frames      []int
		}
	}
	if err := json.Unmarshal(b, &cases); err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, c := range cases {
		if c.Findings == nil {
			continue
		}
		checked++
		res := analyze(t, c.File, c.OS)
		v := res.Verdict
		var flagged []int
		for _, f := range v.Flags {
			flagged = append(flagged, int(f.Frame))
		}
		var want []int
		_ = json.Unmarshal(c.Flagged, &want)
		if !slices.Equal(flagged, want) {
			t.Errorf("%s: flagged %v, want %v", c.File, flagged, want)
		}
		if len(v.Findings()) != len(c.Findings) {
			t.Errorf("%s: %d findings, want %d", c.File, len(v.Findings()), len(c.Findings))
		}
		for n, w := range c.Findings {
			if n >= len(v.Findings()) {
				break
			}
			e := v.ExplainFinding(n)
			var frames []int
			for _, i := range v.FlagsOfFinding(n) {
				frames = append(frames, int(v.Flags[i].Frame))
			}
			if e.Kind.String() != w.Kind || e.Class != w.Class || !slices.Equal(e.Hosts, w.Hosts) || e.Count != w.Count ||
				e.Connections != w.Connections || !slices.Equal(frames, w.Frames) {
				t.Errorf("%s: finding %d is %s %s %v: %d flags, %d connections, frames %v; want %+v",
					c.File, n, e.Kind, e.Class, e.Hosts, e.Count, e.Connections, frames, w)
			}
		}
		checkFindings(t, c.File, v, res.RulesInput())
	}
	if checked == 0 {
		t.Fatal("no case about findings in cases.json")
	}
}

// Under linux the mixed capture's two hosts of other systems give one
// finding each, whatever their number of ports, naming the system whose
// range holds them; a re-judgement under auto brings its own findings.
func TestFindingsFollowTheVerdict(t *testing.T) {
	res := analyze(t, "findings-mixed.pcap.gz", "linux")
	v := res.Verdict
	byHost := map[string]rules.ExplainedFinding{}
	for n := range v.Findings() {
		e := v.ExplainFinding(n)
		if e.Kind == rules.OutsideEphemeral {
			byHost[e.Hosts[0]] = e
		}
	}
	for host, want := range map[string][]string{
		"192.168.1.99": {"3300 connections from 3300 source ports", "Windows XP / 2003 range 1025-5000"},
		"192.168.1.57": {"19 connections from 19 source ports", "Windows Vista and later range 49152-65535"},
		"192.168.1.23": {"fixed source port 5000", "5 connections"},
	} {
		e, ok := byHost[host]
		if !ok {
			t.Errorf("no port.outside_ephemeral finding for %s", host)
			continue
		}
		for _, s := range want {
			if !strings.Contains(e.Title+" "+e.Explanation, s) {
				t.Errorf("%s: finding lacks %q: %s / %s", host, s, e.Title, e.Explanation)
			}
		}
	}
	if n := len(v.Findings()); n != 4 {
		t.Errorf("under linux: %d findings, want 4 (3 hosts' ports, the reuses)", n)
	}
	opts := analyzer.DefaultOptions()
	opts.Rules.Preset = "auto"
	res.Judge(opts)
	if n := len(res.Verdict.Findings()); n != 3 {
		t.Errorf("judged again under auto: %d findings, want 3", n)
	}
	if s := res.Verdict.PresetSummary(); s != "1 host Linux, 1 Windows Vista and later, 1 Windows XP / 2003 (inferred)" {
		t.Errorf("preset summary %q", s)
	}
}

// TestFindingsBench checks the findings of the benchmark capture made of
// time-shifted copies (most conversations reuse ports): thousands of
// findings, many with more flags than examples.
func TestFindingsBench(t *testing.T) {
	if testing.Short() {
		t.Skip("-short leaves out the benchmark capture")
	}
	var buf bytes.Buffer
	if err := benchcap.Write(&buf, benchcap.Config{Packets: 300_000, Seed: 1, Copies: 8}); err != nil {
		t.Fatal(err)
	}
	res := analyzer.Analyze("bench-x8.pcap", &buf, analyzer.DefaultOptions())
	in := res.RulesInput()
	for _, osName := range []string{"linux", "auto"} {
		v := rules.Judge(in, goldenSettings[osName])
		big := 0
		for _, fd := range v.Findings() {
			if fd.Count > 10 {
				big++
			}
		}
		if big == 0 || len(v.Flags) < 10_000 {
			t.Errorf("%s: %d flags, %d findings of more than 10 flags: the capture no longer tests the examples", osName, len(v.Flags), big)
		}
		t.Logf("%s: %d flags in %d findings", osName, len(v.Flags), len(v.Findings()))
		checkFindings(t, "bench-x8 "+osName, v, in)
	}
}
