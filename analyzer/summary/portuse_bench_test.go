package summary

import (
	"net/netip"
	"sync"
	"testing"

	"github.com/portlens/portlens/analyzer"
	"github.com/portlens/portlens/analyzer/blocks"
	"github.com/portlens/portlens/analyzer/conv"
	"github.com/portlens/portlens/analyzer/rules"
)

// oneClient is a result of n connections from one client to one server,
// one every 50 µs (SYN, SYN/ACK, the client's RST 2 ms later), its ports
// cycling through Linux's range: what the Ports view draws at its worst.
func oneClient(n int) *analyzer.Result {
	hosts := conv.NewHosts()
	cl, sv := hosts.ID(netip.MustParseAddr("10.0.5.12")), hosts.ID(netip.MustParseAddr("198.51.100.7"))
	convs := &conv.Table{}
	const gap, life = int64(50_000), int64(2_000_000)
	for i := range n {
		c, _ := convs.Add()
		t0, f := int64(i)*gap, int32(3*i+1)
		*c = conv.Conversation{A: conv.Endpoint{Host: cl, Port: uint16(32768 + i%28232)}, B: conv.Endpoint{Host: sv, Port: 443},
			FirstTime: t0, LastTime: t0 + life, FirstFrame: f, LastFrame: f + 2, Packets: [2]uint32{2, 1},
			SYN: conv.Segment{Frame: f, Time: t0}, SYNACK: conv.Segment{Frame: f + 1, Time: t0 + life/2}, SYNACKDir: conv.FromB,
			FirstRST: f + 2, SYNCount: 1, SYNACKCount: 1, PrevStream: -1, NextStream: -1}
	}
	in := &rules.Input{Hosts: hosts, Conversations: convs, UDPFlows: &blocks.List[conv.UDPFlow]{}, End: int64(n) * gap}
	return &analyzer.Result{Hosts: hosts, Conversations: convs, LastTime: in.End, Verdict: rules.Judge(in, rules.DefaultSettings())}
}

var million = sync.OnceValue(func() *analyzer.Result { return oneClient(1_000_000) })

// The Ports view's work for one client of a million connections:
// gathering them (once per client and destination), then binning them for
// a 1,000-pixel chart (each zoom) and for the density.
func BenchmarkPortUse(b *testing.B) {
	res := million()
	host := res.Conversations.At(0).A.Host
	b.Run("Ports", func(b *testing.B) {
		for b.Loop() {
			Ports(res, host, conv.Endpoint{}, true)
		}
	})
	u := Ports(res, host, conv.Endpoint{}, true)
	if u.Connections != 1_000_000 {
		b.Fatalf("%d connections", u.Connections)
	}
	b.Run("Bin", func(b *testing.B) {
		for b.Loop() {
			u.Bin(res.FirstTime, res.LastTime, 1000)
		}
	})
	b.Run("BinZoomed", func(b *testing.B) {
		for b.Loop() {
			u.Bin(res.LastTime/2, res.LastTime/2+res.LastTime/100, 1000)
		}
	})
	b.Run("Density", func(b *testing.B) {
		for b.Loop() {
			u.Density(res.FirstTime, res.LastTime, 1000, 180, 0, 65535)
		}
	})
}
