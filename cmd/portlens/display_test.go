package main

import (
	"bufio"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/portlens/portlens/analyzer"
)

// The command's -Y selects the frames Wireshark selects, for every stored
// answer (analyzer/filter/testdata: Wireshark 4.4, and tshark 4.0 where
// 4.4 was not asked), through the JSON report's frames.
func TestAnalyzeDisplayFilterAgreesWithWireshark(t *testing.T) {
	type answer struct {
		Capture, Filter string
		Frames          []int
	}
	seen := map[[2]string]bool{}
	var answers []answer
	for _, file := range []string{"wireshark44.jsonl", "tshark.jsonl"} {
		f, err := os.Open("../../analyzer/filter/testdata/" + file)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 1<<24)
		for sc.Scan() {
			var a answer
			if err := json.Unmarshal(sc.Bytes(), &a); err != nil {
				t.Fatal(err)
			}
			if k := [2]string{a.Capture, a.Filter}; !seen[k] {
				seen[k] = true
				answers = append(answers, a)
			}
		}
		f.Close()
	}
	if len(answers) < 1000 {
		t.Fatalf("%d answers: the stored tables are missing", len(answers))
	}
	bad := 0
	for _, a := range answers {
		out, errOut, status := runCLI(t, "analyze", "--json", "--frames", "-Y", a.Filter, seeds+a.Capture)
		if status != exitOK {
			t.Fatalf("%s -Y %q: status %d: %s", a.Capture, a.Filter, status, errOut)
		}
		var rep analyzer.Report
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatal(err)
		}
		var got []int
		for _, f := range rep.Frames {
			got = append(got, f.Frame)
		}
		if rep.Displayed == nil || *rep.Displayed != len(a.Frames) || !slices.Equal(got, a.Frames) && len(a.Frames) > 0 {
			if bad++; bad <= 10 {
				t.Errorf("%s -Y %q: frames %v, Wireshark %v", a.Capture, a.Filter, got, a.Frames)
			}
		}
	}
	t.Logf("%d capture and filter pairs", len(answers))
}

// -Y limits the text output to the matching frames, their flags and
// findings; a filter that is not understood is a usage error naming the
// column; stdin and a file give the same.
func TestAnalyzeDisplayFilter(t *testing.T) {
	out, _, status := runCLI(t, "analyze", seeds+"seed-rst-storm.pcap", "-Y", "tcp.stream == 2")
	if status != exitOK {
		t.Fatalf("status %d", status)
	}
	for _, want := range []string{"displayed     2 frames of 10 match tcp.stream == 2", "tcp.reused_ports 1", "1 finding"} {
		if !strings.Contains(out, want) {
			t.Errorf("lacks %q:\n%s", want, out)
		}
	}
	if rows := strings.Count(out, "40312 → 8080") + strings.Count(out, "8080 → 40312"); rows < 2 {
		t.Errorf("the two frames of stream 2 are not listed:\n%s", out)
	}
	_, errOut, status := runCLI(t, "analyze", "-Y", "tcp.port == ", seeds+"seed-rst-storm.pcap")
	if status != exitUsage || !strings.Contains(errOut, "column") {
		t.Errorf("a filter missing its value: status %d, %q", status, errOut)
	}
	data, err := os.ReadFile(seeds + "seed-rst-storm.pcap")
	if err != nil {
		t.Fatal(err)
	}
	viaStdin, _, _ := runCLIWith(t, strings.NewReader(string(data)), "analyze", "--json", "-Y", "tcp.analysis.reused_ports", "-")
	viaFile, _, _ := runCLI(t, "analyze", "--json", "-Y", "tcp.analysis.reused_ports", seeds+"seed-rst-storm.pcap")
	if strings.Replace(viaStdin, `"file":"-"`, `"file":"`+seeds+`seed-rst-storm.pcap"`, 1) != viaFile {
		t.Errorf("stdin and file differ:\n%s\n%s", viaStdin, viaFile)
	}
	var rep analyzer.Report
	if err := json.Unmarshal([]byte(viaFile), &rep); err != nil {
		t.Fatal(err)
	}
	if *rep.Displayed != 4 || len(rep.Flags) != 4 || len(rep.Findings) != 1 || rep.Flags[0].Finding != 0 {
		t.Errorf("displayed %d, flags %d, findings %d", *rep.Displayed, len(rep.Flags), len(rep.Findings))
	}
}
