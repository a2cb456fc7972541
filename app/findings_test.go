package app

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/portlens/portlens/analyzer"
)

// stateOf is the page's state after reading a capture under preset.
func stateOf(t *testing.T, path, preset string) *State {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := &State{Settings: Settings{Preset: preset}}
	s.reset(path, 0)
	s.finish(analyzer.Analyze(path, f, s.Options()), nil)
	return s
}

// The filter term portlens.finding==N keeps the frames of the N-th
// finding; the view opens on the findings when there are any.
func TestFindingFilter(t *testing.T) {
	s := stateOf(t, "../testdata/rules/findings-mixed.pcap.gz", "auto")
	if s.Tab != TabFindings {
		t.Errorf("tab %q after reading: the findings come first", s.Tab)
	}
	for _, c := range []struct {
		text string
		want []int32
	}{
		{"portlens.finding==1", []int32{14016}},
		{"portlens.finding==3", []int32{1088, 1095, 1102, 1109}},
		{"finding:2", []int32{1081}},
		{"portlens.finding==3 && tcp.stream == 121", []int32{1088}},
		{"finding:3 stream:121", []int32{1088}},
		{"portlens.finding==4", []int32{}},
	} {
		s.Filter = Filter{Text: c.text}
		s.applyFilter()
		if !slices.Equal(s.view, c.want) {
			t.Errorf("%s: frames %v, want %v", c.text, s.view, c.want)
		}
	}
	if p := (Filter{Text: "portlens.finding==x"}).Problem(); !strings.Contains(p, "column 19") {
		t.Errorf("problem %q", p)
	}
	if l := rulesLabel(s); l != "auto: 1 host Linux, 1 Windows Vista and later, 1 Windows XP / 2003 (inferred)" {
		t.Errorf("rules label %q", l)
	}
	if tabs := shownTabs(s); tabs[0].ID != TabFindings || tabs[1].ID != TabPackets {
		t.Errorf("tabs %v", tabs)
	}
}

// A capture without flags opens on the packet list, with no Findings tab;
// a re-judgement that leaves no finding goes back to it.
func TestNoFindingsNoTab(t *testing.T) {
	s := stateOf(t, "../testdata/rules/windows-ephemeral-ports.pcap", "auto")
	if s.Tab != TabPackets || hasFindings(s) || shownTabs(s)[0].ID != TabPackets {
		t.Errorf("tab %q, findings %v", s.Tab, hasFindings(s))
	}
	if l := rulesLabel(s); l != "auto: 1 host Windows Vista and later (inferred)" {
		t.Errorf("rules label %q", l)
	}
	s = stateOf(t, "../testdata/rules/windows-ephemeral-ports.pcap", "linux")
	if s.Tab != TabFindings || len(s.Res.Verdict.Findings()) != 1 {
		t.Fatalf("under linux: tab %q, %d findings (the 39 ports above 60999 are one)", s.Tab, len(s.Res.Verdict.Findings()))
	}
	s.Settings.Preset = "auto"
	s.setVerdict(s.Res.Judged(s.Options()))
	if s.Tab != TabPackets {
		t.Errorf("judged again with no finding: tab %q", s.Tab)
	}
	if l := rulesLabel(s); l != "auto: 1 host Windows Vista and later (inferred)" {
		t.Errorf("rules label after re-judging %q", l)
	}
}
