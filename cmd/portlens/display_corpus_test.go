package main

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/portlens/portlens/analyzer"
)

// The command's -Y on the public corpus: every 20th capture (85 of them,
// spread over the three sources) with each filter Wireshark 4.4 answered
// for it (analyzer/filter/testdata/corpus44.jsonl.gz), the pairs known to
// disagree left out; analyzer's TestSelectAgreesOnCorpus checks them all.
func TestAnalyzeDisplayFilterCorpus(t *testing.T) {
	const dir = "../../../shared/corpus/public"
	if _, err := os.Stat(filepath.Join(dir, "truth.jsonl")); err != nil {
		t.Fatalf("the public corpus is needed at ../shared/corpus/public beside the repository: %v", err)
	}
	known := map[string]bool{}
	b, err := os.ReadFile("../../analyzer/filter/testdata/corpus44-known.txt")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		known[line] = true
	}
	f, err := os.Open("../../analyzer/filter/testdata/corpus44.jsonl.gz")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(zr)
	sc.Buffer(nil, 1<<26)
	captures, checked, bad := map[string]int{}, 0, 0
	for sc.Scan() {
		var a struct{ Capture, Filter, Frames string }
		if err := json.Unmarshal(sc.Bytes(), &a); err != nil {
			t.Fatal(err)
		}
		if _, ok := captures[a.Capture]; !ok {
			captures[a.Capture] = len(captures)
		}
		if captures[a.Capture]%20 != 0 || known[a.Capture+"\t"+a.Filter] {
			continue
		}
		out, errOut, _ := runCLI(t, "analyze", "--json", "--frames", "-Y", a.Filter, filepath.Join(dir, a.Capture))
		var rep analyzer.Report
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatalf("%s -Y %q: %v %s", a.Capture, a.Filter, err, errOut)
		}
		checked++
		if got := ranges(rep.Frames); got != a.Frames {
			if bad++; bad <= 10 {
				t.Errorf("%s -Y %q: frames %.80s, Wireshark %.80s", a.Capture, a.Filter, got, a.Frames)
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d pairs on %d captures", checked, (len(captures)+19)/20)
	if checked < 1000 {
		t.Errorf("only %d pairs checked", checked)
	}
}

// ranges writes the report's frame numbers as "1-5,9".
func ranges(frames []analyzer.FrameReport) string {
	var b strings.Builder
	for i := 0; i < len(frames); {
		j := i
		for j+1 < len(frames) && frames[j+1].Frame == frames[j].Frame+1 {
			j++
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		fmt.Fprint(&b, frames[i].Frame)
		if j > i {
			fmt.Fprintf(&b, "-%d", frames[j].Frame)
		}
		i = j + 1
	}
	return b.String()
}
