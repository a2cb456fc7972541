package analyzer

import (
	"bytes"
	"io"
	"sync"
	"testing"

	"github.com/portlens/portlens/analyzer/capture"
	"github.com/portlens/portlens/analyzer/filter"
	"github.com/portlens/portlens/testdata/benchgen/benchcap"
)

// benchPackets is the size of the in-memory capture the whole-analysis
// benchmark reads: big enough that conversations and flags pile up as in
// a real file, small enough to build in a second (also under js/wasm).
const benchPackets = 200_000

var benchFile = sync.OnceValue(func() []byte { return benchcap.Bytes(benchPackets) })

// BenchmarkAnalyze is the whole analysis: read, decode, track, judge.
func BenchmarkAnalyze(b *testing.B) {
	file := benchFile()
	b.SetBytes(int64(len(file)))
	m := benchcap.NewMeter(b)
	for b.Loop() {
		res := Analyze("bench.pcap", bytes.NewReader(file), DefaultOptions())
		if res.Error != "" || res.Packets != benchPackets {
			b.Fatalf("%d packets, error %q", res.Packets, res.Error)
		}
		m.Add(res.Packets)
	}
	m.Report()
}

// BenchmarkStep is the per-packet path alone (read, decode, track, keep
// the frame index), without judging: what grows with the file.
func BenchmarkStep(b *testing.B) {
	file := benchFile()
	b.SetBytes(int64(len(file)))
	m := benchcap.NewMeter(b)
	for b.Loop() {
		run := Start("bench.pcap", bytes.NewReader(file), DefaultOptions())
		for run.Step(1 << 16) {
		}
		m.Add(run.res.Packets)
	}
	m.Report()
}

// BenchmarkReader is the capture reader alone on the benchmark capture.
func BenchmarkReader(b *testing.B) {
	file := benchFile()
	b.SetBytes(int64(len(file)))
	src := bytes.NewReader(file)
	m := benchcap.NewMeter(b)
	for b.Loop() {
		src.Reset(file)
		r, err := capture.NewReader(src)
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for {
			if _, err := r.Next(); err != nil {
				if err != io.EOF {
					b.Fatal(err)
				}
				break
			}
			n++
		}
		m.Add(n)
	}
	m.Report()
}

// BenchmarkSelect filters every frame of the 200k-packet capture with a
// display filter the per-frame columns answer (addresses, ports, flags):
// what a filter typed into the page costs per row.
func BenchmarkSelect(b *testing.B) {
	file := benchFile()
	res := Analyze("bench.pcap", bytes.NewReader(file), DefaultOptions())
	for _, text := range []string{
		"ip.addr == 10.0.0.0/8 && tcp.port in {80, 443} && !tcp.flags.reset",
		"tcp.analysis.reused_ports || portlens.severity == \"warning\"",
	} {
		f, err := filter.Compile(text)
		if err != nil {
			b.Fatal(err)
		}
		if NeedsPackets(f.Needs()) {
			b.Fatalf("%s reads packets", text)
		}
		b.Run(text, func(b *testing.B) {
			m := benchcap.NewMeter(b)
			for b.Loop() {
				if _, err := res.Select(f, bytes.NewReader(file), nil); err != nil {
					b.Fatal(err)
				}
				m.Add(res.Packets)
			}
			m.Report()
		})
	}
}
