package analyzer_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/portlens/portlens/analyzer"
)

// FuzzAnalyze runs the whole pipeline over arbitrary files, seeded with the
// project's captures: no input may crash it, and whatever it reports must
// be consistent (flags on frames that exist, streams that exist).
func FuzzAnalyze(f *testing.F) {
	files, _ := filepath.Glob("../testdata/captures/*.pcap*")
	for _, file := range files {
		if data, err := os.ReadFile(file); err == nil && len(data) < 1<<16 {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		res := analyzer.Analyze("fuzz", bytes.NewReader(data), analyzer.DefaultOptions())
		if res.Frames.Len() != res.Packets {
			t.Fatalf("%d frames for %d packets", res.Frames.Len(), res.Packets)
		}
		for n := 1; n <= res.Frames.Len(); n++ {
			if s := res.Frames.Stream(n); s >= res.Conversations.Len() {
				t.Fatalf("stream %d of %d", s, res.Conversations.Len())
			}
		}
		for _, fl := range res.Flags() {
			if fl.Frame < 1 || int(fl.Frame) > res.Packets {
				t.Fatalf("flag on frame %d of %d", fl.Frame, res.Packets)
			}
		}
		for n := 1; n <= min(res.Packets, 3); n++ {
			_, _ = res.Row(bytes.NewReader(data), n)
		}
	})
}
