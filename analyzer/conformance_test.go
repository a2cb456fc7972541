package analyzer_test

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/portlens/portlens/analyzer"
	"github.com/portlens/portlens/analyzer/rules"
)

var corpusDir = flag.String("corpus", "", "directory of captures with Wireshark's answers in truth.jsonl (make conformance)")

// truth is one line of a Wireshark oracle file (../shared/tools/README.md).
type truth struct {
	File    string `json:"file"`
	Packets int    `json:"packets"`
	Reused  []int  `json:"reused"`
	Stream  []int  `json:"stream"`
	Error   string `json:"error"`
}

func readTruth(t *testing.T, path string) []truth {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []truth
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		var tr truth
		if err := json.Unmarshal(sc.Bytes(), &tr); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, tr)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// disagreement compares portlens with Wireshark on one capture and
// describes the first differences; "" when they agree.
func disagreement(res *analyzer.Result, tr truth) (diff string, framesAgree int) {
	if tr.Error != "" {
		if res.Error == "" {
			return fmt.Sprintf("Wireshark cannot open it (%s) but portlens read %d packets without error", tr.Error, res.Packets), 0
		}
		return "", 0
	}
	var b strings.Builder
	if res.Packets != tr.Packets {
		fmt.Fprintf(&b, "packets: portlens %d, Wireshark %d (error %q); ", res.Packets, tr.Packets, res.Error)
	}
	var reused []int
	for _, f := range res.Flags {
		if f.Kind == rules.ReusedPorts {
			reused = append(reused, f.Frame)
		}
	}
	if !slices.Equal(reused, tr.Reused) && (len(reused) > 0 || len(tr.Reused) > 0) {
		fmt.Fprintf(&b, "reused: portlens %v, Wireshark %v; ", reused, tr.Reused)
	}
	bad := 0
	for i, want := range tr.Stream {
		got := -2
		if i < len(res.Frames) {
			got = int(res.Frames[i].Stream)
		}
		if got == want {
			framesAgree++
			continue
		}
		if bad < 3 {
			fmt.Fprintf(&b, "frame %d stream: portlens %d, Wireshark %d; ", i+1, got, want)
		}
		bad++
	}
	if bad > 3 {
		fmt.Fprintf(&b, "(%d frames differ in stream)", bad)
	}
	return b.String(), framesAgree
}

// conformance runs every capture listed in dir/truth.jsonl and compares.
func conformance(t *testing.T, dir, truthFile string) {
	truths := readTruth(t, filepath.Join(dir, truthFile))
	var files, agree, opened, refused, frames, framesAgree, flags, flagsAgree int
	kinds, kindsAuto := map[rules.Kind]int{}, map[rules.Kind]int{}
	for _, tr := range truths {
		files++
		f, err := os.Open(filepath.Join(dir, tr.File))
		if err != nil {
			t.Errorf("%s: %v", tr.File, err)
			continue
		}
		res := analyzer.Analyze(tr.File, f, analyzer.DefaultOptions())
		f.Close()
		for k, n := range res.FlagCounts() {
			kinds[k] += n
		}
		auto := analyzer.DefaultOptions()
		auto.Rules.Preset = "auto"
		for _, f := range rules.Judge(res.RulesInput(), auto.Rules) {
			kindsAuto[f.Kind]++
		}
		diff, fa := disagreement(res, tr)
		frames += len(tr.Stream)
		framesAgree += fa
		flags += len(tr.Reused)
		if tr.Error != "" {
			refused++
		} else {
			opened++
		}
		if diff != "" {
			t.Errorf("%s: %s", tr.File, diff)
			continue
		}
		agree++
		flagsAgree += len(tr.Reused)
	}
	summary := fmt.Sprintf("conformance %s: %d/%d files agree (%d Wireshark opens, %d it refuses); frames with the same tcp.stream %d/%d; reused-port flags %d/%d",
		dir, agree, files, opened, refused, framesAgree, frames, flagsAgree, flags)
	var byKind []string
	for _, k := range rules.Kinds {
		byKind = append(byKind, fmt.Sprintf("%s %d/%d", k, kinds[k], kindsAuto[k]))
	}
	summary += "; flags by kind (--os linux/auto): " + strings.Join(byKind, ", ")
	t.Log(summary)
	fmt.Println(summary)
}

func TestConformanceCorpus(t *testing.T) {
	if *corpusDir == "" {
		t.Skip("no -corpus given (make conformance passes ../shared/corpus/public)")
	}
	conformance(t, *corpusDir, "truth.jsonl")
}

// The project's own captures (testdata/), with Wireshark's answers stored
// beside them by the oracle.
func TestConformanceTestdata(t *testing.T) {
	for _, dir := range []string{"../testdata/captures", "../testdata/rules"} {
		t.Run(filepath.Base(dir), func(t *testing.T) { conformance(t, dir, "expected.jsonl") })
	}
}
