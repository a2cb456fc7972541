package conv

import (
	"net/netip"

	"github.com/portlens/portlens/analyzer/decode"
)

// UDPFlow is the datagrams exchanged between two UDP endpoints. A sent
// the first datagram seen; B is its peer. Datagrams quoted inside ICMP
// errors and IP fragments that do not complete a datagram are not counted.
type UDPFlow struct {
	A, B netip.AddrPort
	// Per direction (FromA, FromB): the first and last datagram's frame
	// and time (ns since the epoch), and the count.
	FirstFrame, LastFrame [2]int
	FirstTime, LastTime   [2]int64
	Packets               [2]int
}

// UDPTracker groups UDP datagrams into flows keyed by their endpoints.
// Adding a datagram to a known flow allocates nothing.
type UDPTracker struct {
	index map[key]int32
	Flows []UDPFlow
}

// NewUDPTracker returns an empty UDPTracker.
func NewUDPTracker() *UDPTracker { return &UDPTracker{index: make(map[key]int32)} }

// Add records one UDP datagram (p.Transport must be UDP) of frame number
// frame, captured at ts (ns).
func (t *UDPTracker) Add(frame int, ts int64, p *decode.Packet) {
	if p.InICMPError || p.Fragment {
		return
	}
	src, dst := p.SrcAddrPort(), p.DstAddrPort()
	k := keyOf(src, dst)
	idx, ok := t.index[k]
	if !ok {
		idx = int32(len(t.Flows))
		t.Flows = append(t.Flows, UDPFlow{A: src, B: dst})
		t.index[k] = idx
	}
	f := &t.Flows[idx]
	d := FromA
	if src != f.A {
		d = FromB
	}
	if f.Packets[d] == 0 {
		f.FirstFrame[d], f.FirstTime[d] = frame, ts
	}
	f.LastFrame[d], f.LastTime[d] = frame, ts
	f.Packets[d]++
}
