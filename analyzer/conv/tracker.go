package conv

import (
	"encoding/binary"
	"net/netip"

	"github.com/portlens/portlens/analyzer/decode"
)

// key is the unordered pair of endpoints: Wireshark's conversation key for
// TCP has the innermost IP addresses and the ports, nothing else (no VLAN,
// interface or time). It is 40 bytes of plain integers, no padding and no
// pointers (netip.Addr holds one for its zone), so the map hashes it as
// one block of memory: the tracker looks a key up for every segment.
type key struct {
	lo, hi [2]uint64 // the endpoints' addresses in 16-byte form
	ports  uint32    // lo's port << 16 | hi's port
	v4     uint32    // bit 0: lo is IPv4, bit 1: hi is IPv4 (not IPv4-mapped IPv6)
}

// endpoint is one side of a key, ordered by address family, address, port.
type endpoint struct {
	v4     uint32
	hi, lo uint64
	port   uint16
}

func endpointOf(ap netip.AddrPort) endpoint {
	a := ap.Addr()
	b := a.As16()
	e := endpoint{hi: binary.BigEndian.Uint64(b[:8]), lo: binary.BigEndian.Uint64(b[8:]), port: ap.Port()}
	if a.Is4() {
		e.v4 = 1
	}
	return e
}

func (e endpoint) less(f endpoint) bool {
	switch {
	case e.v4 != f.v4:
		return e.v4 > f.v4 // IPv4 first, as netip orders them
	case e.hi != f.hi:
		return e.hi < f.hi
	case e.lo != f.lo:
		return e.lo < f.lo
	}
	return e.port < f.port
}

func keyOf(a, b netip.AddrPort) key {
	ea, eb := endpointOf(a), endpointOf(b)
	if eb.less(ea) {
		ea, eb = eb, ea
	}
	return key{lo: [2]uint64{ea.hi, ea.lo}, hi: [2]uint64{eb.hi, eb.lo},
		ports: uint32(ea.port)<<16 | uint32(eb.port), v4: ea.v4 | eb.v4<<1}
}

// Tracker assigns TCP segments to conversations in frame order.
type Tracker struct {
	// current maps each key to its most recently created conversation,
	// the one Wireshark finds for the next packet on those ports.
	current map[key]int32
	// chunks hold the conversations, index == Stream, in fixed-size
	// blocks: a growing slice of records this size would be copied again
	// and again (a fifth of the tracker's time on short connections).
	chunks [][]Conversation
	n      int
}

const chunkBits = 12 // 4096 conversations a chunk

func (t *Tracker) at(i int32) *Conversation {
	return &t.chunks[i>>chunkBits][i&(1<<chunkBits-1)]
}

// Len is the number of conversations so far.
func (t *Tracker) Len() int { return t.n }

// Conversations returns every conversation in one slice (index ==
// Stream), copied out of the tracker's blocks once the tracking is done.
func (t *Tracker) Conversations() []Conversation {
	out := make([]Conversation, 0, t.n)
	for _, c := range t.chunks {
		out = append(out, c[:min(len(c), t.n-len(out))]...)
	}
	return out
}

// NewTracker returns an empty Tracker.
func NewTracker() *Tracker {
	return &Tracker{current: make(map[key]int32)}
}

// Result of adding one segment.
type Result struct {
	Stream int
	Dir    Dir
	// Reused is set when this segment started a new conversation on the
	// ports of an earlier one: Wireshark's tcp.analysis.reused_ports.
	Reused bool
}

// Add processes one TCP segment (p.Transport must be TCP) of frame number
// frame, captured at time t (ns), length bytes on the wire.
func (t *Tracker) Add(frame int, ts int64, length int, p *decode.Packet) Result {
	src, dst := p.SrcAddrPort(), p.DstAddrPort()
	k := keyOf(src, dst)
	idx, ok := t.current[k]
	if !ok {
		idx = t.create(k, src, dst, -1)
	}
	c := t.at(idx)
	dir := c.DirOf(src)
	res := Result{Stream: c.Stream, Dir: dir}

	// Sections 3 and 4 of the reference: a SYN or SYN/ACK whose flow
	// already has a base starts a new conversation when its sequence
	// number differs or the old conversation saw an RST or FIN+ACK.
	if p.Flags.Has(decode.SYN) && c.BaseSet[dir] &&
		(p.Seq != c.Base[dir] || c.SawRST || c.SawFINACK) {
		old := c.Stream
		idx = t.create(k, src, dst, old)
		t.at(int32(old)).NextStream = int(idx)
		c = t.at(idx)
		dir = FromA
		res = Result{Stream: c.Stream, Dir: dir}
		// Wireshark 4.4 shows no TCP analysis for a header inside another
		// packet (an ICMP error's quote, an sFlow sample) nor for one it
		// cannot read whole: such a SYN splits the stream, unflagged.
		if !p.InErrorPkt() && p.TCPHeader == decode.HeaderWhole {
			c.ReusedBy = segmentOf(frame, ts, p)
			c.ReusedBySYNACK = p.Flags.Has(decode.ACK)
			res.Reused = true
		}
	}
	c.record(frame, ts, length, dir, p)
	return res
}

// Current returns the stream of the conversation a segment like p finds
// now: the most recent on its ports, -1 if none. Wireshark shows a frame's
// streams once the whole frame is dissected, so in a frame with several
// TCP headers (sFlow samples) each shows the conversation current after
// the last of them.
func (t *Tracker) Current(p *decode.Packet) int {
	if idx, ok := t.current[keyOf(p.SrcAddrPort(), p.DstAddrPort())]; ok {
		return int(idx)
	}
	return -1
}

func (t *Tracker) create(k key, a, b netip.AddrPort, prev int) int32 {
	idx := int32(t.n)
	if t.n&(1<<chunkBits-1) == 0 {
		t.chunks = append(t.chunks, make([]Conversation, 1<<chunkBits))
	}
	t.n++
	*t.at(idx) = Conversation{Stream: int(idx), A: EndpointOf(a), B: EndpointOf(b), PrevStream: prev, NextStream: -1}
	t.current[k] = idx
	return idx
}

// DirOf returns the direction of packets sent by src.
func (c *Conversation) DirOf(src netip.AddrPort) Dir {
	if EndpointOf(src) == c.A {
		return FromA
	}
	return FromB
}

func segmentOf(frame int, ts int64, p *decode.Packet) Segment {
	return Segment{Frame: frame, Time: ts, Seq: p.Seq, Ack: p.Ack,
		TSVal: p.Options.TSVal, HasTS: p.Options.HasTS}
}

// record updates the conversation after the reuse decision: flow bases
// (section 2), completeness (section 5), and the evidence kept for rules.
func (c *Conversation) record(frame int, ts int64, length int, dir Dir, p *decode.Packet) {
	if c.Packets[0]+c.Packets[1] == 0 {
		c.FirstFrame, c.FirstTime = frame, ts
	}
	c.LastFrame, c.LastTime = frame, ts
	c.Packets[dir]++
	c.Bytes[dir] += int64(length)

	f := p.Flags
	// A header inside another packet (ICMP error, sFlow sample) sets no
	// base in Wireshark 4.4, but its RST or FIN+ACK counts below.
	if !p.InErrorPkt() {
		c.recordBases(dir, p)
	}
	// With a data offset below 5 words Wireshark gives up before noting
	// the RST or FIN.
	if p.TCPHeader != decode.HeaderBadOffset {
		c.SawRST = c.SawRST || f.Has(decode.RST)
		c.SawFINACK = c.SawFINACK || f.Has(decode.FIN|decode.ACK)
	}
	if p.InICMPError { // a quoted header is not a segment the host sent again
		c.ICMPErrors++
		return
	}
	c.recordEvidence(frame, ts, dir, p)
}

// recordBases sets the flows' bases (section 2 of the reference) that
// are not set yet.
func (c *Conversation) recordBases(dir Dir, p *decode.Packet) {
	if !c.BaseSet[dir] {
		c.Base[dir], c.BaseSet[dir] = p.Seq-1, true
		if p.Flags.Has(decode.SYN) {
			c.Base[dir] = p.Seq
		}
	}
	if rev := dir.Reverse(); !c.BaseSet[rev] && p.Flags.Has(decode.ACK) {
		c.Base[rev], c.BaseSet[rev] = p.Ack-1, true
	}
}

func (c *Conversation) recordEvidence(frame int, ts int64, dir Dir, p *decode.Packet) {
	f := p.Flags
	switch {
	case f.Has(decode.SYN) && !f.Has(decode.ACK):
		if c.SYN.Frame == 0 {
			c.SYN, c.SYNDir = segmentOf(frame, ts, p), dir
		}
		c.SYNCount++
	case f.Has(decode.SYN | decode.ACK):
		if c.SYNACK.Frame == 0 {
			c.SYNACK, c.SYNACKDir = segmentOf(frame, ts, p), dir
		}
		c.SYNACKCount++
	}
	if f.Has(decode.FIN) && c.FirstFIN[dir].Frame == 0 {
		c.FirstFIN[dir] = segmentOf(frame, ts, p)
	}
	if f.Has(decode.RST) && c.FirstRST.Frame == 0 {
		c.FirstRST, c.RSTDir = segmentOf(frame, ts, p), dir
	}
	if p.Options.HasTS {
		c.LastTSVal[dir], c.HasTS[dir] = p.Options.TSVal, true
	}
	next := p.Seq + uint32(p.PayloadLen)
	if f.Has(decode.SYN) {
		next++
	}
	if f.Has(decode.FIN) {
		next++
	}
	if c.Packets[dir] == 1 || int32(next-c.NextSeq[dir]) > 0 {
		c.NextSeq[dir] = next
	}
}
