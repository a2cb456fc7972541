package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/portlens/portlens/analyzer"
	"github.com/portlens/portlens/analyzer/rules"
	"github.com/portlens/portlens/testdata/benchgen/benchcap"
)

// The default text output is a screen or two whatever the number of flags:
// the summary, the first findings in full, a few more as titles, and how
// to see the rest.
func TestAnalyzeFindingsFitAScreen(t *testing.T) {
	file := filepath.Join(t.TempDir(), "x8.pcap")
	f, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := benchcap.Write(f, benchcap.Config{Packets: 300_000, Seed: 1, Copies: 8}); err != nil {
		t.Fatal(err)
	}
	f.Close()
	out, errOut, status := runCLI(t, "analyze", file)
	if status != exitOK {
		t.Fatalf("status %d: %s", status, errOut)
	}
	lines := strings.Count(out, "\n")
	if lines > 120 {
		t.Errorf("%d lines: the default output must fit a screen or two\n%s", lines, out)
	}
	ranks := regexp.MustCompile(`(?m)^ ?\d+\. (WARNING|NOTE) `).FindAllString(out, -1)
	if len(ranks) != findingsInFull+findingsAsTitle {
		t.Errorf("%d findings shown, want %d", len(ranks), findingsInFull+findingsAsTitle)
	}
	for _, want := range []string{"more findings: --all prints every flagged frame", "--json every finding and flag",
		"    first ", "    worst ", "    last ", "What to do: ", "Rules:\n", "[TCP Port numbers reused]"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if strings.Count(out, "\n  tcp.fast_reuse: ") != 1 {
		t.Errorf("the rule of tcp.fast_reuse is not printed once:\n%s", out)
	}
}

// --all prints every flagged frame with its flags, each naming its
// finding, and each kind's rule once.
func TestAnalyzeAll(t *testing.T) {
	out, _, status := runCLI(t, "analyze", "--all", seeds+"seed-rst-storm.pcap")
	if status != exitOK {
		t.Fatalf("status %d", status)
	}
	for _, n := range []string{"3", "5", "7", "9"} {
		if !regexp.MustCompile(`(?m)^ +` + n + ` +\d+\.\d+ .*\[TCP Port numbers reused\]`).MatchString(out) {
			t.Errorf("frame %s is not printed:\n%s", n, out)
		}
	}
	if c := strings.Count(out, "[finding 1]"); c != 4 {
		t.Errorf("%d flags name finding 1, want 4", c)
	}
	if c := strings.Count(out, "Wireshark 4.4 tcp.analysis.reused_ports:"); c != 1 {
		t.Errorf("the rule is printed %d times, want once:\n%s", c, out)
	}
	if strings.Contains(out, "findings      ") {
		t.Errorf("--all prints the flags, not the findings:\n%s", out)
	}
	if _, errOut, status := runCLI(t, "analyze", "--all", "--json", seeds+"seed-rst-storm.pcap"); status != exitUsage || !strings.Contains(errOut, "--all") {
		t.Errorf("--all --json: status %d, %q", status, errOut)
	}
}

// Under --os auto the preset line says what auto inferred, from the verdict.
func TestAnalyzeAutoPresets(t *testing.T) {
	out, _, status := runCLI(t, "analyze", "--os", "auto", "../../testdata/rules/findings-mixed.pcap.gz")
	if status != exitOK {
		t.Fatalf("status %d", status)
	}
	want := "  preset        auto: 1 host Linux, 1 Windows Vista and later, 1 Windows XP / 2003 (inferred)\n"
	if !strings.Contains(out, want) {
		t.Errorf("output lacks %q:\n%s", want, out)
	}
	// The findings as built (testdata/gen/findings.go), ranked.
	titles := regexp.MustCompile(`(?m)^ \d\. .*$`).FindAllString(out, -1)
	wantTitles := []string{
		" 1. WARNING port.exhaustion (busy): 192.168.1.99 nearly exhausts its ephemeral ports toward 203.0.113.30:80",
		" 2. NOTE port.outside_ephemeral: 192.168.1.23 uses fixed source port 5000",
		" 3. NOTE tcp.reused_ports (after-rst): 192.168.1.23 reuses port 5000 toward 203.0.113.20:5432: 4 reuses after RST",
	}
	if len(titles) != len(wantTitles) {
		t.Fatalf("findings %q", titles)
	}
	for i, w := range wantTitles {
		if !strings.HasPrefix(titles[i], w) {
			t.Errorf("finding %d: %q, want %q...", i+1, titles[i], w)
		}
	}
	// One word for the same verdict: the report's findings in the same order.
	res := analyzer.Analyze("mixed", mustOpen(t, "../../testdata/rules/findings-mixed.pcap.gz"), analyzer.Options{Rules: rules.Settings{Preset: "auto"}})
	if n := len(res.Verdict.Findings()); n != 3 {
		t.Errorf("%d findings", n)
	}
}

func mustOpen(t *testing.T, path string) *os.File {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}
