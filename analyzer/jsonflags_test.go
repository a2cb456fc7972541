package analyzer_test

import (
	"bytes"
	"runtime"
	"testing"

	"github.com/portlens/portlens/analyzer"
	"github.com/portlens/portlens/analyzer/filter"
	"github.com/portlens/portlens/testdata/benchgen/benchcap"
)

// The flags rendered on several goroutines are the bytes one goroutine
// writes, whole and under a display filter (renumbered findings), under
// auto (every host's preset resolved first) and a named preset. Run with
// -race, it also shows the rendering only reads the verdict once ready.
func TestReportConcurrentFlags(t *testing.T) {
	n := 200_000
	if testing.Short() {
		n = 60_000
	}
	var capture bytes.Buffer
	if err := benchcap.Write(&capture, benchcap.Config{Packets: n, Seed: 3, Copies: 8}); err != nil {
		t.Fatal(err)
	}
	flt, err := filter.Compile("tcp.port in {443, 5432} || udp")
	if err != nil {
		t.Fatal(err)
	}
	for _, os := range []string{"auto", "linux"} {
		opts := analyzer.DefaultOptions()
		opts.Rules.Preset = os
		write := func(procs int, sel bool) []byte {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
			// A fresh result each time: its caches start empty.
			res := analyzer.Analyze("x.pcap", bytes.NewReader(capture.Bytes()), opts)
			var s *analyzer.Selection
			if sel {
				frames, err := res.Select(flt, bytes.NewReader(capture.Bytes()), nil)
				if err != nil {
					t.Fatal(err)
				}
				s = &analyzer.Selection{Filter: flt.String(), Frames: frames}
			}
			var out bytes.Buffer
			if err := res.WriteSelectedJSON(&out, opts, true, s); err != nil {
				t.Fatal(err)
			}
			if len(res.Flags()) < 8*1024 {
				t.Fatalf("%d flags: too few to render concurrently", len(res.Flags()))
			}
			return out.Bytes()
		}
		for _, sel := range []bool{false, true} {
			one, four := write(1, sel), write(4, sel)
			if !bytes.Equal(one, four) {
				t.Errorf("%s, filtered %v: %d bytes on one goroutine, %d on four, first difference at %d",
					os, sel, len(one), len(four), firstDiff(one, four))
			}
		}
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}
