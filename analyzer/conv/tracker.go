package conv

import (
	"net/netip"

	"github.com/portlens/portlens/analyzer/decode"
)

// key is the unordered pair of endpoints: Wireshark's conversation key for
// TCP has the innermost IP addresses and the ports, nothing else (no VLAN,
// interface or time).
type key struct{ lo, hi netip.AddrPort }

func keyOf(a, b netip.AddrPort) key {
	if b.Compare(a) < 0 {
		a, b = b, a
	}
	return key{a, b}
}

// Tracker assigns TCP segments to conversations in frame order.
type Tracker struct {
	// current maps each key to its most recently created conversation,
	// the one Wireshark finds for the next packet on those ports.
	current map[key]int32
	// Conversations holds every conversation; index == Stream.
	Conversations []Conversation
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
	c := &t.Conversations[idx]
	dir := c.DirOf(src)
	res := Result{Stream: c.Stream, Dir: dir}

	// Sections 3 and 4 of the reference: a SYN or SYN/ACK whose flow
	// already has a base starts a new conversation when its sequence
	// number differs or the old conversation saw an RST or FIN+ACK.
	if p.Flags.Has(decode.SYN) && c.BaseSet[dir] &&
		(p.Seq != c.Base[dir] || c.SawRST || c.SawFINACK) {
		old := c.Stream
		idx = t.create(k, src, dst, old)
		t.Conversations[old].NextStream = int(idx)
		c = &t.Conversations[idx]
		dir = FromA
		res = Result{Stream: c.Stream, Dir: dir}
		// Wireshark 4.4 runs no TCP analysis inside ICMP errors: a quoted
		// SYN splits the stream but is not flagged.
		if !p.InICMPError {
			c.ReusedBy = segmentOf(frame, ts, p)
			c.ReusedBySYNACK = p.Flags.Has(decode.ACK)
			res.Reused = true
		}
	}
	c.record(frame, ts, length, dir, p)
	return res
}

func (t *Tracker) create(k key, a, b netip.AddrPort, prev int) int32 {
	idx := int32(len(t.Conversations))
	t.Conversations = append(t.Conversations, Conversation{
		Stream: int(idx), A: a, B: b, PrevStream: prev, NextStream: -1,
	})
	t.current[k] = idx
	return idx
}

// DirOf returns the direction of packets sent by src.
func (c *Conversation) DirOf(src netip.AddrPort) Dir {
	if src == c.A {
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
	if !c.BaseSet[dir] {
		c.Base[dir], c.BaseSet[dir] = p.Seq-1, true
		if f.Has(decode.SYN) {
			c.Base[dir] = p.Seq
		}
	}
	if rev := dir.Reverse(); !c.BaseSet[rev] && f.Has(decode.ACK) {
		c.Base[rev], c.BaseSet[rev] = p.Ack-1, true
	}
	if f.Has(decode.RST) {
		c.SawRST = true
	}
	if f.Has(decode.FIN | decode.ACK) {
		c.SawFINACK = true
	}
	if p.InICMPError { // a quoted header is not a segment the host sent again
		c.ICMPErrors++
		return
	}
	c.recordEvidence(frame, ts, dir, p)
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
