package conv

import (
	"github.com/portlens/portlens/analyzer/blocks"

	"github.com/portlens/portlens/analyzer/decode"
)

// UDPFlow is the datagrams exchanged between two UDP endpoints. A sent
// the first datagram seen; B is its peer. Datagrams quoted inside ICMP
// errors and IP fragments that do not complete a datagram are not counted.
type UDPFlow struct {
	// Per direction (FromA, FromB): the first and last datagram's time
	// (ns since the epoch) and frame, and the count.
	FirstTime, LastTime   [2]int64
	A, B                  Endpoint
	FirstFrame, LastFrame [2]int32
	Packets               [2]uint32
}

// UDPTracker groups UDP datagrams into flows keyed by their endpoints.
// Adding a datagram to a known flow allocates nothing.
type UDPTracker struct {
	hosts *Hosts
	index map[key]int32
	flows blocks.List[UDPFlow]
}

// NewUDPTracker returns an empty UDPTracker numbering addresses in hosts.
func NewUDPTracker(hosts *Hosts) *UDPTracker {
	return &UDPTracker{hosts: hosts, index: make(map[key]int32)}
}

// Flows returns the flows in order of their first datagram; the tracker
// must not be used afterwards.
func (t *UDPTracker) Flows() *blocks.List[UDPFlow] {
	t.index = nil
	return &t.flows
}

// Add records one UDP datagram (p.Transport must be UDP) of frame number
// frame, captured at ts (ns), and returns its flow, -1 for a datagram
// that is not counted.
func (t *UDPTracker) Add(frame int, ts int64, p *decode.Packet) (flow int, d Dir) {
	if p.InICMPError || p.Fragment {
		return -1, FromA
	}
	src, dst := endpoints(t.hosts, p)
	k := keyOf(src, dst)
	idx, ok := t.index[k]
	var f *UDPFlow
	if ok {
		f = t.flows.At(int(idx))
	} else {
		var i int
		f, i = t.flows.Add()
		*f = UDPFlow{A: src, B: dst}
		idx = int32(i)
		t.index[k] = idx
	}
	if src != f.A {
		d = FromB
	}
	if f.Packets[d] == 0 {
		f.FirstFrame[d], f.FirstTime[d] = int32(frame), ts
	}
	f.LastFrame[d], f.LastTime[d] = int32(frame), ts
	f.Packets[d]++
	return int(idx), d
}
