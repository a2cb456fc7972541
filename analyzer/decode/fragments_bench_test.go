package decode

import (
	"strconv"
	"testing"
)

// BenchmarkFragments decodes floods of IP fragments (fragments_flood_test.go)
// of 100k, 400k and 1M fragments with one Decoder each: one op is the whole
// flood, so ns/op is its wall time; ns/fragment is per fragment.
//
//	go test -run x -bench Fragments ./analyzer/decode
//	GOOS=js GOARCH=wasm go test -run x -bench Fragments -exec="$(go env GOROOT)/lib/wasm/go_js_wasm_exec" ./analyzer/decode
func BenchmarkFragments(b *testing.B) {
	for _, s := range floodShapes {
		for _, n := range []int{100_000, 400_000, 1_000_000} {
			b.Run(s.name+"-"+strconv.Itoa(n/1000)+"k", func(b *testing.B) {
				f := newFlood(s, n)
				var p Packet
				for b.Loop() {
					f.feed(NewDecoder(), &p, 0, n)
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/fragment")
			})
		}
	}
}

// BenchmarkFragmentsDatagrams is ordinary traffic: datagrams of three
// fragments, in order or last first, each completing.
func BenchmarkFragmentsDatagrams(b *testing.B) {
	const n = 300_000
	for _, order := range []struct {
		name  string
		piece func(i int) int // which of the three fragment i is
	}{
		{"in-order", func(i int) int { return i % 3 }},
		{"last-first", func(i int) int { return 2 - i%3 }},
	} {
		b.Run(order.name, func(b *testing.B) {
			f := newFlood(floodShape{frag: func(i, _ int) (uint32, int, int, bool) {
				k := order.piece(i)
				return uint32(i / 3), 1480 * k, 1480, k < 2
			}}, n)
			var p Packet
			for b.Loop() {
				if got := f.feed(NewDecoder(), &p, 0, n); got != n/3 {
					b.Fatalf("%d datagrams completed, want %d", got, n/3)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/fragment")
		})
	}
}
