package filter_test

import (
	"math/rand/v2"
	"net/netip"
	"testing"

	"github.com/portlens/portlens/analyzer/decode"
	"github.com/portlens/portlens/analyzer/filter"
)

const benchFrames = 1_000_000

// benchData fills a million frames the way a capture of mostly TCP looks:
// 70% TCP over IPv4 (a tenth of it tunnelled, so two IP headers), 20% UDP,
// 10% TCP over IPv6. The slices of all frames share a few large arrays.
func benchData() []filter.Frame {
	r := rand.New(rand.NewPCG(1, 2))
	frames := make([]filter.Frame, benchFrames)
	eths := make([]filter.MACPair, benchFrames)
	ips := make([]filter.AddrPair, 0, benchFrames*11/10)
	tcps := make([]filter.TCP, benchFrames)
	udps := make([]filter.Ports, benchFrames)
	payload := []byte("GET /index.html HTTP/1.1\r\nHost: example.net\r\n\r\n")
	ports := []uint16{80, 443, 22, 53, 8080, 5060}
	addr4 := func() netip.Addr {
		if r.IntN(3) == 0 {
			return netip.AddrFrom4([4]byte{10, byte(r.IntN(256)), byte(r.IntN(256)), byte(r.IntN(256))})
		}
		return netip.AddrFrom4([4]byte{192, 168, byte(r.IntN(4)), byte(r.IntN(256))})
	}
	for i := range frames {
		f := &frames[i]
		f.Number, f.Len, f.CapLen, f.TimeRel = int64(i+1), 60+int64(r.IntN(1400)), 60, int64(i)*1000
		eths[i] = filter.MACPair{Src: filter.MAC{2, 0, 0, 0, 0, byte(i)}, Dst: filter.MAC{2, 0, 0, 0, 1, byte(i)}}
		f.Eth, f.Protos = eths[i:i+1:i+1], filter.ProtoEth
		start := len(ips)
		kind := r.IntN(10)
		switch {
		case kind < 9:
			if kind == 0 {
				ips = append(ips, filter.AddrPair{Src: addr4(), Dst: addr4()})
			}
			ips = append(ips, filter.AddrPair{Src: addr4(), Dst: addr4()})
			f.IPv4, f.Protos = ips[start:len(ips):len(ips)], f.Protos|filter.ProtoIP
		default:
			ips = append(ips, filter.AddrPair{Src: netip.MustParseAddr("2001:db8::1"), Dst: netip.MustParseAddr("2001:db8::2")})
			f.IPv6, f.Protos = ips[start:len(ips):len(ips)], f.Protos|filter.ProtoIPv6
		}
		if kind >= 7 && kind < 9 {
			udps[i] = filter.Ports{Src: uint16(32768 + r.IntN(28000)), Dst: ports[r.IntN(len(ports))]}
			f.UDP, f.Protos = udps[i:i+1:i+1], f.Protos|filter.ProtoUDP
			continue
		}
		flags := decode.ACK
		if r.IntN(20) == 0 {
			flags |= decode.RST
		}
		tcps[i] = filter.TCP{Src: uint16(32768 + r.IntN(28000)), Dst: ports[r.IntN(len(ports))], Stream: int32(i / 10), Flags: flags, Seq: r.Uint32(), Ack: r.Uint32()}
		f.TCP, f.Protos = tcps[i:i+1:i+1], f.Protos|filter.ProtoTCP
		f.Data = payload
	}
	return frames
}

var benchFilters = []struct{ name, filter string }{
	{"brief", "ip.addr == 10.0.0.0/8 && tcp.port in {80, 443} && !tcp.flags.reset"},
	{"brief-flag-value", "ip.addr == 10.0.0.0/8 && tcp.port in {80, 443} && tcp.flags.reset == 0"},
	{"port", "tcp.port == 443"},
	{"not-equal", "ip.addr != 192.168.0.0/16"},
	{"contains", `frame contains "Host: example.org"`},
	{"matches", `frame matches "host: example\\.(org|com)"`},
}

// BenchmarkMatch runs each filter over a million frames per iteration and
// reports the time per frame; allocs/op counts a whole pass and must be 0.
func BenchmarkMatch(b *testing.B) {
	frames := benchData()
	for _, bf := range benchFilters {
		f, err := filter.Compile(bf.filter)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(bf.name, func(b *testing.B) {
			b.ReportAllocs()
			matched := 0
			for b.Loop() {
				matched = 0
				for i := range frames {
					if f.Match(&frames[i]) {
						matched++
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/benchFrames, "ns/frame")
			b.ReportMetric(float64(matched), "matched")
		})
	}
}

func BenchmarkCompile(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := filter.Compile(benchFilters[0].filter); err != nil {
			b.Fatal(err)
		}
	}
}

// TestMatchAllocates nothing: a million frames must not mean a million
// allocations, whatever the operator.
func TestMatchAllocatesNothing(t *testing.T) {
	frames := sampleFrames()
	for _, tc := range evalCases {
		f, err := filter.Compile(tc.filter)
		if err != nil {
			t.Fatal(err)
		}
		allocs := testing.AllocsPerRun(20, func() {
			for _, fr := range frames {
				f.Match(fr)
			}
		})
		if allocs != 0 {
			t.Errorf("%q: %v allocations per pass", tc.filter, allocs)
		}
	}
}

// BenchmarkMatchHot matches one frame over and over: the filter's own
// cost, without the memory traffic of a million frames.
func BenchmarkMatchHot(b *testing.B) {
	frames := sampleFrames()
	for _, bf := range benchFilters[:4] {
		f, err := filter.Compile(bf.filter)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(bf.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				f.Match(frames[0])
			}
		})
	}
}
