package analyzer

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/portlens/portlens/testdata/benchgen/benchcap"
)

// TestWriteJSON: the streamed document is byte for byte what json.Encoder
// writes of a Report holding every flag in words.
func TestWriteJSON(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("..", "testdata", "captures", "*"))
	if len(files) == 0 {
		t.Fatal("no captures in testdata/captures")
	}
	check := func(name string, res *Result) {
		for _, frames := range []bool{false, true} {
			rep := res.header(DefaultOptions())
			if res.Verdict != nil {
				for i := range res.Verdict.Findings() {
					rep.Findings = append(rep.Findings, res.Verdict.ExplainFinding(i))
				}
			}
			for i := range res.Flags() {
				rep.Flags = append(rep.Flags, res.Verdict.Explain(i))
			}
			if frames {
				for n := 1; n <= res.Frames.Len(); n++ {
					rep.Frames = append(rep.Frames, FrameReport{Frame: n, Stream: res.Frames.Stream(n)})
				}
			}
			var want, got bytes.Buffer
			enc := json.NewEncoder(&want)
			enc.SetEscapeHTML(false)
			if err := enc.Encode(rep); err != nil {
				t.Fatal(err)
			}
			if err := res.WriteJSON(&got, DefaultOptions(), frames); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if !bytes.Equal(got.Bytes(), want.Bytes()) {
				t.Errorf("%s (frames %v): WriteJSON differs from json.Encoder\n got %.300s\nwant %.300s", name, frames, got.Bytes(), want.Bytes())
			}
		}
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		check(f, Analyze(filepath.Base(f)+` <"&">`, bytes.NewReader(data), DefaultOptions()))
	}
	check("benchcap", Analyze("bench.pcap", bytes.NewReader(benchcap.Bytes(20_000)), DefaultOptions()))
	check("empty", Analyze("empty", bytes.NewReader(nil), DefaultOptions()))
}
