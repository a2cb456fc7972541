package conv

import (
	"github.com/portlens/portlens/analyzer/decode"
)

// key is the unordered pair of endpoints: Wireshark's conversation key for
// TCP has the innermost IP addresses and the ports, nothing else (no VLAN,
// interface or time). With addresses numbered by Hosts it is 12 bytes of
// integers, which the map hashes as one block of memory.
type key struct {
	lo, hi HostID // lo <= hi (ports break the tie)
	ports  uint32 // lo's port << 16 | hi's port
}

func keyOf(a, b Endpoint) key {
	if b.Host < a.Host || (b.Host == a.Host && b.Port < a.Port) {
		a, b = b, a
	}
	return key{lo: a.Host, hi: b.Host, ports: uint32(a.Port)<<16 | uint32(b.Port)}
}

// Tracker assigns TCP segments to conversations in frame order.
type Tracker struct {
	hosts *Hosts
	// current4 and current map each tuple to its most recently created
	// conversation, the one Wireshark finds for the next packet on those
	// ports: current4 IPv4 tuples by their raw addresses, current the
	// others (IPv6) by host ids, in the same kind of table.
	current4 index4
	current  index4
	convs    Table
	// answers are the SYNs answered by a bare ACK (answer.go); answerOf
	// finds a stream's entry while its SYN may still be sent again.
	answers  []Answer
	answerOf map[int32]int32
}

// NewTracker returns an empty Tracker numbering addresses in hosts.
func NewTracker(hosts *Hosts) *Tracker {
	return &Tracker{hosts: hosts}
}

// Len is the number of conversations so far.
func (t *Tracker) Len() int { return t.convs.Len() }

// Conversations returns the conversations (index == Stream). The tracker
// must not be used afterwards: its lookup table is dropped, as only the
// records are needed once the reading is done.
func (t *Tracker) Conversations() *Table {
	t.current, t.current4, t.answerOf = index4{}, index4{}, nil
	return &t.convs
}

// Result of adding one segment.
type Result struct {
	Stream int
	Dir    Dir
	// Reused is set when this segment started a new conversation on the
	// ports of an earlier one: Wireshark's tcp.analysis.reused_ports.
	Reused bool
}

// endpoints numbers p's transport endpoints.
func endpoints(h *Hosts, p *decode.Packet) (src, dst Endpoint) {
	return Endpoint{h.ID(p.Src), p.SrcPort}, Endpoint{h.ID(p.Dst), p.DstPort}
}

// Add processes one TCP segment (p.Transport must be TCP) of frame number
// frame, captured at time t (ns), length bytes on the wire.
func (t *Tracker) Add(frame int, ts int64, length int, p *decode.Packet) Result {
	idx, dir, ok := t.find(p)
	if !ok {
		idx, dir = t.create(p, -1), FromA
	}
	c := t.convs.At(int(idx))
	res := Result{Stream: int(idx), Dir: dir}

	// Sections 3 and 4 of the reference: a SYN or SYN/ACK whose flow
	// already has a base starts a new conversation when its sequence
	// number differs or the old conversation saw an RST or FIN+ACK.
	if p.Flags.Has(decode.SYN) && c.BaseSet[dir] &&
		(p.Seq != c.Base[dir] || c.SawRST || c.SawFINACK) {
		old := idx
		idx = t.create(p, old)
		t.convs.At(int(old)).NextStream = idx
		c = t.convs.At(int(idx))
		dir = FromA
		res = Result{Stream: int(idx), Dir: dir}
		// Wireshark 4.4 shows no TCP analysis for a header inside another
		// packet (an ICMP error's quote, an sFlow sample) nor for one it
		// cannot read whole: such a SYN splits the stream, unflagged.
		if !p.InErrorPkt() && p.TCPHeader == decode.HeaderWhole {
			c.Reused = true
			c.ReusedBySYNACK = p.Flags.Has(decode.ACK)
			res.Reused = true
		}
	}
	c.record(frame, ts, length, dir, p)
	if !p.InErrorPkt() {
		t.noteAnswer(idx, c, frame, ts, dir, p)
	}
	return res
}

// Current returns the conversation a segment like p finds now (the most
// recent on its ports; stream -1 if none) and p's direction in it.
// Wireshark shows a frame's streams once the whole frame is dissected, so
// in a frame with several TCP headers (sFlow samples) each shows the
// conversation current after the last of them.
func (t *Tracker) Current(p *decode.Packet) (stream int, dir Dir) {
	idx, dir, ok := t.find(p)
	if !ok {
		return -1, FromA
	}
	return int(idx), dir
}

// find returns the current conversation of p's tuple and p's direction
// in it.
func (t *Tracker) find(p *decode.Packet) (idx int32, dir Dir, ok bool) {
	if tu, is4 := tupleOf4(p.Src, p.Dst, p.SrcPort, p.DstPort); is4 {
		return t.current4.get(tu)
	}
	src, dst := endpoints(t.hosts, p)
	return t.current.get(tupleOfIDs(src, dst))
}

// create starts a conversation whose A endpoint is p's source and makes
// it the current one of its tuple.
func (t *Tracker) create(p *decode.Packet, prev int32) int32 {
	src, dst := endpoints(t.hosts, p)
	c, i := t.convs.Add()
	*c = Conversation{A: src, B: dst, PrevStream: prev, NextStream: -1}
	if tu, is4 := tupleOf4(p.Src, p.Dst, p.SrcPort, p.DstPort); is4 {
		t.current4.put(tu, int32(i))
	} else {
		t.current.put(tupleOfIDs(src, dst), int32(i))
	}
	return int32(i)
}

func segmentOf(frame int, ts int64, p *decode.Packet) Segment {
	return Segment{Frame: int32(frame), Time: ts, Seq: p.Seq, Ack: p.Ack, TSVal: p.Options.TSVal}
}

// record updates the conversation after the reuse decision: flow bases
// (section 2), completeness (section 5), and the evidence kept for rules.
func (c *Conversation) record(frame int, ts int64, length int, dir Dir, p *decode.Packet) {
	if c.Packets[0]+c.Packets[1] == 0 {
		c.FirstFrame, c.FirstTime = int32(frame), ts
	}
	c.LastFrame, c.LastTime = int32(frame), ts
	c.Packets[dir]++
	c.Bytes[dir] += uint64(length)

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
		c.ICMPErrors = inc16(c.ICMPErrors)
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

// inc16 counts up to 65535 and stays there.
func inc16(n uint16) uint16 {
	if n == 0xffff {
		return n
	}
	return n + 1
}

func (c *Conversation) recordEvidence(frame int, ts int64, dir Dir, p *decode.Packet) {
	f := p.Flags
	switch {
	case f.Has(decode.SYN) && !f.Has(decode.ACK):
		if c.SYN.Frame == 0 {
			c.SYN, c.SYNDir, c.SYNHasTS = segmentOf(frame, ts, p), dir, p.Options.HasTS
		}
		c.SYNCount = inc16(c.SYNCount)
	case f.Has(decode.SYN | decode.ACK):
		if c.SYNACK.Frame == 0 {
			c.SYNACK, c.SYNACKDir, c.SYNACKHasTS = segmentOf(frame, ts, p), dir, p.Options.HasTS
		}
		c.SYNACKCount = inc16(c.SYNACKCount)
	}
	if f.Has(decode.FIN) && c.FirstFIN[dir] == 0 {
		c.FirstFIN[dir] = int32(frame)
	}
	if f.Has(decode.RST) && c.FirstRST == 0 {
		c.FirstRST, c.RSTDir = int32(frame), dir
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
