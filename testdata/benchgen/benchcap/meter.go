package benchcap

import (
	"runtime"
	"testing"
)

// Meter adds per-packet figures to a benchmark whose iterations each
// process many packets: ns/packet, packets/s and allocs/packet (heap
// allocations over the timed loop divided by the packets, so amortised
// growth of result slices shows as a fraction), and where the OS tells,
// cpu-ns/packet, the process's CPU time per packet.
type Meter struct {
	b       *testing.B
	packets int
	mallocs uint64
	cpu     int64
}

// NewMeter starts measuring; call it after the setup, right before b.Loop.
func NewMeter(b *testing.B) *Meter {
	b.ReportAllocs()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return &Meter{b: b, mallocs: ms.Mallocs, cpu: cpuTime()}
}

// Add counts packets processed in one iteration.
func (m *Meter) Add(packets int) { m.packets += packets }

// Report sets the metrics; call it after the loop.
func (m *Meter) Report() {
	if m.packets == 0 {
		return
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	ns := float64(m.b.Elapsed().Nanoseconds())
	m.b.ReportMetric(ns/float64(m.packets), "ns/packet")
	m.b.ReportMetric(float64(m.packets)/(ns/1e9), "packets/s")
	m.b.ReportMetric(float64(ms.Mallocs-m.mallocs)/float64(m.packets), "allocs/packet")
	if cpu := cpuTime() - m.cpu; m.cpu > 0 && cpu > 0 {
		// CPU time of the whole process (GC included) per packet.
		m.b.ReportMetric(float64(cpu)/float64(m.packets), "cpu-ns/packet")
	}
}
