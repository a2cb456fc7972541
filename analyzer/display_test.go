package analyzer_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/portlens/portlens/analyzer"
	"github.com/portlens/portlens/analyzer/filter"
)

// wiresharkAnswer is one stored answer of Wireshark to a display filter
// over a capture of testdata/captures (analyzer/filter/testdata).
type wiresharkAnswer struct {
	Capture string  `json:"capture"`
	Filter  string  `json:"filter"`
	Frames  []int32 `json:"frames"`
}

func readAnswers(t *testing.T, file string) []wiresharkAnswer {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []wiresharkAnswer
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		var a wiresharkAnswer
		if err := json.Unmarshal(sc.Bytes(), &a); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		out = append(out, a)
	}
	if len(out) == 0 {
		t.Fatalf("%s holds no answers", file)
	}
	return out
}

// TestSelectAgreesWithWireshark: the analyzer's display filter (the one
// the page and the command use), over the per-frame columns and the
// frames read again, selects the frames Wireshark does. Wireshark 4.4's
// answers decide where they exist; tshark 4.0's for the filters only it
// was asked (the same semantics for those: see analyzer/filter).
func TestSelectAgreesWithWireshark(t *testing.T) {
	answers := readAnswers(t, "filter/testdata/wireshark44.jsonl")
	seen := map[[2]string]bool{}
	for _, a := range answers {
		seen[[2]string{a.Capture, a.Filter}] = true
	}
	for _, a := range readAnswers(t, "filter/testdata/tshark.jsonl") {
		if !seen[[2]string{a.Capture, a.Filter}] {
			answers = append(answers, a)
		}
	}
	results := map[string]*analyzer.Result{}
	files := map[string]*os.File{}
	defer func() {
		for _, f := range files {
			f.Close()
		}
	}()
	checked, bad := 0, 0
	for _, a := range answers {
		path := filepath.Join("..", "testdata", "captures", a.Capture)
		res, ok := results[a.Capture]
		if !ok {
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			files[a.Capture] = f
			res = analyzer.Analyze(a.Capture, f, analyzer.DefaultOptions())
			results[a.Capture] = res
		}
		flt, err := filter.Compile(a.Filter)
		if err != nil {
			t.Fatalf("%s: %v", a.Filter, err)
		}
		got, err := res.Select(flt, files[a.Capture], nil)
		if err != nil {
			t.Fatalf("%s, %s: %v", a.Capture, a.Filter, err)
		}
		checked++
		if !slices.Equal(got, a.Frames) && (len(got) > 0 || len(a.Frames) > 0) {
			bad++
			if bad <= 20 {
				t.Errorf("%s: %q selects %s, Wireshark %s", a.Capture, a.Filter, frameList(got), frameList(a.Frames))
			}
		}
	}
	t.Logf("%d of %d capture and filter pairs agree", checked-bad, checked)
}

func frameList(fs []int32) string {
	if len(fs) > 12 {
		return fmt.Sprintf("%v... (%d frames)", fs[:12], len(fs))
	}
	return fmt.Sprint(fs)
}

// A filter on flags alone is answered from the flagged frames: it
// selects what the frame-by-frame path selects (forced here by a term
// every frame meets).
func TestSelectByFlags(t *testing.T) {
	files, _ := filepath.Glob("../testdata/rules/*.pcap*")
	files = append(files, "../testdata/captures/seed-rst-storm.pcap")
	for _, path := range files {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		opts := analyzer.DefaultOptions()
		opts.Rules.Preset = "auto"
		res := analyzer.Analyze(path, f, opts)
		for _, text := range []string{"portlens.flagged", "!portlens.flagged", "tcp.analysis.reused_ports",
			`portlens.severity == "warning" || !tcp.analysis.reused_ports`, "portlens.finding == 1", "!(portlens.finding in {1, 2})"} {
			fast, err := filter.Compile(text)
			if err != nil {
				t.Fatal(err)
			}
			slow, _ := filter.Compile("(" + text + ") && frame.number >= 1")
			a, _ := res.Select(fast, f, nil)
			b, _ := res.Select(slow, f, nil)
			if !slices.Equal(a, b) {
				t.Errorf("%s, %q: by flags %s, frame by frame %s", filepath.Base(path), text, frameList(a), frameList(b))
			}
		}
		f.Close()
	}
}
