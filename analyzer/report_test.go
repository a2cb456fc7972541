package analyzer

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/portlens/portlens/testdata/benchgen/benchcap"
)

// TestWriteJSON: the streamed document is byte for byte json.Encoder's.
func TestWriteJSON(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("..", "testdata", "captures", "*"))
	if len(files) == 0 {
		t.Fatal("no captures in testdata/captures")
	}
	check := func(name string, res *Result) {
		for _, frames := range []bool{false, true} {
			rep := res.Report(DefaultOptions(), frames)
			var want, got bytes.Buffer
			enc := json.NewEncoder(&want)
			enc.SetEscapeHTML(false)
			if err := enc.Encode(rep); err != nil {
				t.Fatal(err)
			}
			if err := rep.WriteJSON(&got); err != nil {
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
