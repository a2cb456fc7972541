package analyzer_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/portlens/portlens/analyzer"
)

func testdataCaptures(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("../testdata/captures/*.pcap*")
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata captures: %v", err)
	}
	return files
}

// A capture cut short anywhere must still give every packet before the
// cut, with the same streams as the whole file, and say where it stopped.
func TestTruncatedCapturesKeepWhatWasRead(t *testing.T) {
	for _, file := range testdataCaptures(t) {
		if strings.HasSuffix(file, ".gz") {
			continue // cutting the compressed stream is the reader's own test
		}
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		whole := analyzer.Analyze(file, bytes.NewReader(data), analyzer.DefaultOptions())
		if whole.Error != "" {
			t.Fatalf("%s: whole file: %s", file, whole.Error)
		}
		for cut := 0; cut < len(data); cut += max(1, len(data)/41) {
			part := analyzer.Analyze(file, bytes.NewReader(data[:cut]), analyzer.DefaultOptions())
			// Also among the first three records: Wireshark 4.4 may read
			// such a cut as Nokia's layout (a cut at byte 212 of
			// syn-retransmissions.pcap gives it 2 frames without TCP);
			// portlens reads it as the pcap it is, damaged.
			checkPrefix(t, file, cut, whole, part)
		}
	}
}

func checkPrefix(t *testing.T, file string, cut int, whole, part *analyzer.Result) {
	t.Helper()
	if part.Packets > whole.Packets {
		t.Fatalf("%s cut at %d: %d packets, more than the whole file's %d", file, cut, part.Packets, whole.Packets)
	}
	for n := 1; n <= part.Frames.Len(); n++ {
		if part.Frames.Stream(n) != whole.Frames.Stream(n) {
			t.Fatalf("%s cut at %d: frame %d stream %d, whole file says %d", file, cut, n,
				part.Frames.Stream(n), whole.Frames.Stream(n))
		}
	}
	// A cut exactly between two records is a clean end, as in Wireshark;
	// anywhere else the error must say where reading stopped.
	if part.ErrorFrame > 0 && !strings.Contains(part.Error, "byte") {
		t.Errorf("%s cut at %d: error %q does not give the byte offset", file, cut, part.Error)
	}
}

// Flipping bytes inside a capture must never crash the analysis, and the
// frames it does read keep a stream number or -1.
func TestCorruptedCapturesDoNotCrash(t *testing.T) {
	for _, file := range testdataCaptures(t) {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < len(data); i += max(1, len(data)/29) {
			bad := bytes.Clone(data)
			bad[i] ^= 0xff
			if i+1 < len(bad) {
				bad[i+1] ^= 0x5a
			}
			res := analyzer.Analyze(file, bytes.NewReader(bad), analyzer.DefaultOptions())
			for n := 1; n <= res.Frames.Len(); n++ {
				if s := res.Frames.Stream(n); s < -1 || s >= res.Conversations.Len() {
					t.Fatalf("%s byte %d flipped: frame %d has stream %d of %d", file, i, n, s, res.Conversations.Len())
				}
			}
			for _, fl := range res.Flags() {
				if fl.Frame < 1 || int(fl.Frame) > res.Packets {
					t.Fatalf("%s byte %d flipped: flag on frame %d of %d", file, i, fl.Frame, res.Packets)
				}
			}
		}
	}
}

// Not a capture at all: a clear message and nothing else.
func TestNotACapture(t *testing.T) {
	res := analyzer.Analyze("page.html", strings.NewReader("<!DOCTYPE html><html></html>"), analyzer.DefaultOptions())
	if res.Error == "" || res.Packets != 0 {
		t.Fatalf("got error %q and %d packets", res.Error, res.Packets)
	}
	if !strings.Contains(res.Error, "not a") {
		t.Errorf("message %q does not say it is not a capture", res.Error)
	}
}

// Stopping a run keeps and judges what was read.
func TestStopKeepsWhatWasRead(t *testing.T) {
	f, err := os.Open("../testdata/captures/seed-rst-storm.pcap")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	run := analyzer.Start("storm", f, analyzer.DefaultOptions())
	run.Step(5)
	run.Stop()
	res := run.Result()
	if !res.Stopped || res.Packets != 5 || res.Error != "" {
		t.Fatalf("stopped %v, packets %d, error %q", res.Stopped, res.Packets, res.Error)
	}
	if fl := res.Flags(); len(fl) != 2 || fl[0].Frame != 3 || fl[1].Frame != 5 {
		t.Fatalf("flags %+v, want frames 3 and 5 of the first five", fl)
	}
}

// A caller's Pause hook is called while the rules run, and changes nothing.
func TestJudgePauses(t *testing.T) {
	data, err := os.ReadFile("../testdata/rules/port-exhaustion-500.pcap")
	if err != nil {
		t.Fatal(err)
	}
	plain := analyzer.Analyze("x", bytes.NewReader(data), analyzer.DefaultOptions())
	opts := analyzer.DefaultOptions()
	pauses := 0
	opts.Pause = func() { pauses++ }
	paced := analyzer.Analyze("x", bytes.NewReader(data), opts)
	if pauses == 0 {
		t.Fatal("Pause never called on 500 conversations")
	}
	if len(paced.Flags()) != len(plain.Flags()) {
		t.Fatalf("%d flags with pauses, %d without", len(paced.Flags()), len(plain.Flags()))
	}
}

// FlagsOf finds a frame's flags among the sorted flags.
func TestFlagsOf(t *testing.T) {
	f, err := os.Open("../testdata/captures/seed-rst-storm.pcap")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res := analyzer.Analyze("storm", f, analyzer.DefaultOptions())
	for n := 1; n <= res.Packets; n++ {
		got := res.FlagsOf(n)
		want := n == 3 || n == 5 || n == 7 || n == 9
		if want != (len(got) == 1) || (want && int(got[0].Frame) != n) {
			t.Errorf("frame %d: flags %+v", n, got)
		}
	}
}
