package conv

import (
	"bytes"
	"io"
	"testing"

	"github.com/portlens/portlens/analyzer/capture"
	"github.com/portlens/portlens/analyzer/decode"
	"github.com/portlens/portlens/testdata/benchgen/benchcap"
)

type benchSegment struct {
	frame  int
	time   int64
	length int
	pkt    decode.Packet
}

// BenchmarkTracker adds the TCP segments of the benchmark capture, decoded
// beforehand, to a new Tracker each iteration.
func BenchmarkTracker(b *testing.B) {
	segs := benchSegments(b, 200_000)
	m := benchcap.NewMeter(b)
	for b.Loop() {
		t := NewTracker(NewHosts())
		for i := range segs {
			s := &segs[i]
			t.Add(s.frame, s.time, s.length, &s.pkt)
		}
		m.Add(len(segs))
	}
	m.Report()
}

func benchSegments(b *testing.B, n int) []benchSegment {
	b.Helper()
	r, err := capture.NewReader(bytes.NewReader(benchcap.Bytes(n)))
	if err != nil {
		b.Fatal(err)
	}
	d := decode.NewDecoder()
	var segs []benchSegment
	for frame := 1; ; frame++ {
		p, err := r.Next()
		if err == io.EOF {
			return segs
		}
		if err != nil {
			b.Fatal(err)
		}
		s := benchSegment{frame: frame, time: p.Time, length: p.Length}
		if err := d.Decode(p.Link, p.Data, &s.pkt); err != nil {
			b.Fatal(err)
		}
		if s.pkt.Transport == decode.TCP {
			segs = append(segs, s)
		}
	}
}
