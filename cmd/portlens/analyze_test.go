package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/portlens/portlens/analyzer"
)

const seeds = "../../testdata/captures/"

func runCLI(t *testing.T, args ...string) (stdout, stderr string, status int) {
	t.Helper()
	var out, errb bytes.Buffer
	status = run(args, &out, &errb)
	return out.String(), errb.String(), status
}

func TestAnalyzeJSON(t *testing.T) {
	out, errOut, status := runCLI(t, "analyze", "--json", "--frames", seeds+"seed-rst-storm.pcap")
	if status != exitOK {
		t.Fatalf("status %d, stderr %s", status, errOut)
	}
	var rep analyzer.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if rep.Format != "pcap" || rep.Packets == 0 || rep.Error != "" {
		t.Fatalf("format %q, packets %d, error %q", rep.Format, rep.Packets, rep.Error)
	}
	var reused []int
	for _, f := range rep.Flags {
		if f.Kind == "tcp.reused_ports" {
			reused = append(reused, f.Frame)
			if f.Explanation == "" || len(f.Related) == 0 || f.Class != "after-rst" {
				t.Errorf("flag on frame %d: class %q, related %v, explanation %q", f.Frame, f.Class, f.Related, f.Explanation)
			}
		}
	}
	// Wireshark 4.4 flags frames 3, 5, 7 and 9 (testdata/captures/expected.jsonl).
	if want := []int{3, 5, 7, 9}; !equalInts(reused, want) {
		t.Errorf("reused frames %v, want %v", reused, want)
	}
	if len(rep.Frames) != rep.Packets || rep.Frames[2].Stream != 1 || rep.Frames[0].Stream != 0 {
		t.Errorf("frames %v", rep.Frames)
	}
}

func TestAnalyzeHumanExplains(t *testing.T) {
	out, _, status := runCLI(t, "analyze", seeds+"seed-fin-then-syn-2h.pcap")
	if status != exitOK {
		t.Fatalf("status %d", status)
	}
	for _, want := range []string{"[TCP Port numbers reused]", "[SYN]", "stream 0", "frame 1", "after-time-wait",
		"A new tcp session is started with the same ports as an earlier session in this trace"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestAnalyzeDamagedFileExitsTwo(t *testing.T) {
	data, err := os.ReadFile(seeds + "seed-rst-storm.pcap")
	if err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(t.TempDir(), "cut.pcap")
	if err := os.WriteFile(cut, data[:len(data)-10], 0o644); err != nil {
		t.Fatal(err)
	}
	out, _, status := runCLI(t, "analyze", "--json", cut)
	if status != exitDamaged {
		t.Fatalf("status %d, want %d", status, exitDamaged)
	}
	var rep analyzer.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Error == "" || rep.Packets == 0 || len(rep.Flags) == 0 {
		t.Errorf("error %q, packets %d, flags %d: the frames before the damage must be analyzed", rep.Error, rep.Packets, len(rep.Flags))
	}

	notCapture := filepath.Join(t.TempDir(), "notes.txt")
	os.WriteFile(notCapture, []byte("hello, this is text"), 0o644)
	if _, _, status := runCLI(t, "analyze", notCapture); status != exitDamaged {
		t.Errorf("a text file: status %d, want %d", status, exitDamaged)
	}
	if _, _, status := runCLI(t, "analyze", filepath.Join(t.TempDir(), "missing.pcap")); status != exitDamaged {
		t.Errorf("a missing file: status %d, want %d", status, exitDamaged)
	}
}

func TestAnalyzeUsage(t *testing.T) {
	if _, _, status := runCLI(t, "analyze"); status != exitUsage {
		t.Errorf("no file: status %d", status)
	}
	if _, errOut, status := runCLI(t, "analyze", "--os", "plan9", "x.pcap"); status != exitUsage || !strings.Contains(errOut, "plan9") {
		t.Errorf("bad preset: status %d, %q", status, errOut)
	}
	if _, _, status := runCLI(t, "frobnicate"); status != exitUsage {
		t.Errorf("unknown command: status %d", status)
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
