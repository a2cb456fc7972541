package analyzer_test

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/portlens/portlens/analyzer"
	"github.com/portlens/portlens/analyzer/capture"
	"github.com/portlens/portlens/testdata/benchgen/benchcap"
)

// TestPacketReadAgain: every frame read again from the file (which the
// analysis keeps only an offset for, every 16 frames) is the frame the
// analysis read, in order, backwards and at random, for pcap, pcapng and
// gzip captures (small ones from memory, as kept).
func TestPacketReadAgain(t *testing.T) {
	files, _ := filepath.Glob("../testdata/captures/*.pcap*")
	inputs := map[string][]byte{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		inputs[filepath.Base(f)] = b
	}
	var ng bytes.Buffer
	if err := benchcap.Write(&ng, benchcap.Config{Packets: 5000, Seed: 3, PcapNG: true}); err != nil {
		t.Fatal(err)
	}
	inputs["bench.pcapng"] = ng.Bytes()
	for name, b := range inputs {
		res := analyzer.Analyze(name, bytes.NewReader(b), analyzer.DefaultOptions())
		want := framesOf(t, b)
		if len(want) != res.Packets {
			t.Fatalf("%s: %d frames read, analysis has %d", name, len(want), res.Packets)
		}
		order := make([]int, 0, 3*len(want))
		for n := 1; n <= len(want); n++ {
			order = append(order, n)
		}
		for n := len(want); n >= 1; n-- {
			order = append(order, n)
		}
		rng := rand.New(rand.NewPCG(1, 1))
		for range len(want) {
			order = append(order, 1+rng.IntN(len(want)))
		}
		src := bytes.NewReader(b)
		for _, n := range order {
			p, err := res.Packet(src, n)
			if err != nil {
				t.Fatalf("%s frame %d: %v", name, n, err)
			}
			if !bytes.Equal(p.Data, want[n-1].Data) || p.Time != want[n-1].Time || p.Offset != want[n-1].Offset {
				t.Fatalf("%s frame %d read again differs", name, n)
			}
		}
	}
}

// framesOf reads every frame of b, copied.
func framesOf(t *testing.T, b []byte) []capture.Packet {
	r, err := capture.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	var out []capture.Packet
	for {
		p, err := r.Next()
		if err != nil {
			return out
		}
		q := *p
		q.Data = bytes.Clone(p.Data)
		out = append(out, q)
	}
}
