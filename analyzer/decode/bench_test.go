package decode

import (
	"bytes"
	"io"
	"testing"

	"github.com/portlens/portlens/analyzer/capture"
	"github.com/portlens/portlens/testdata/benchgen/benchcap"
)

// BenchmarkDecode decodes the frames of the benchmark capture, read into
// memory beforehand so that only decoding is timed.
func BenchmarkDecode(b *testing.B) {
	frames, size := benchFrames(b, 200_000)
	b.SetBytes(int64(size))
	d := NewDecoder()
	var p Packet
	m := benchcap.NewMeter(b)
	for b.Loop() {
		for _, f := range frames {
			if err := d.Decode(capture.LinkEthernet, f, &p); err != nil {
				b.Fatal(err)
			}
		}
		m.Add(len(frames))
	}
	m.Report()
}

func benchFrames(b *testing.B, n int) (frames [][]byte, size int) {
	b.Helper()
	r, err := capture.NewReader(bytes.NewReader(benchcap.Bytes(n)))
	if err != nil {
		b.Fatal(err)
	}
	for {
		p, err := r.Next()
		if err == io.EOF {
			return frames, size
		}
		if err != nil {
			b.Fatal(err)
		}
		frames = append(frames, bytes.Clone(p.Data))
		size += len(p.Data)
	}
}

// BenchmarkDecodeRow is how the table decodes a row scrolled into view
// (analyzer/row.go): a new Decoder for one frame.
func BenchmarkDecodeRow(b *testing.B) {
	frames, _ := benchFrames(b, 1000)
	var p Packet
	b.ReportAllocs()
	for b.Loop() {
		for _, f := range frames {
			if err := NewDecoder().Decode(capture.LinkEthernet, f, &p); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(frames)), "ns/row")
}
