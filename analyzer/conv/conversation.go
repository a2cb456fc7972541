// Package conv tracks TCP conversations exactly as Wireshark 4.4 does:
// which packets belong together (tcp.stream) and when a SYN or SYN/ACK
// reuses the ports of an earlier conversation (tcp.analysis.reused_ports).
// It records, per conversation, the evidence the rules and explanations
// need (how it began and ended, when, with which frames); it judges
// nothing and formats nothing. UDP flows and SCTP associations are
// tracked alongside, for the rules that look at them.
package conv

import "github.com/portlens/portlens/analyzer/blocks"

// End says how a conversation ended, as far as the capture shows.
type End uint8

const (
	Open End = iota // neither FIN nor RST seen
	Fin             // a FIN was seen and no RST
	Rst             // an RST was seen
)

func (e End) String() string {
	switch e {
	case Fin:
		return "FIN"
	case Rst:
		return "RST"
	}
	return "open"
}

// Dir is a direction inside a conversation: FromA is sent by endpoint A,
// the sender of the conversation's first packet.
type Dir uint8

const (
	FromA Dir = 0
	FromB Dir = 1
)

// Reverse returns the other direction.
func (d Dir) Reverse() Dir { return 1 - d }

// Conversation is one TCP conversation: Wireshark's tcp.stream, which is
// its index in the Table. It is kept compact (176 bytes, no pointers):
// a 2 GB capture has millions.
type Conversation struct {
	FirstTime, LastTime int64     // nanoseconds since the epoch
	Bytes               [2]uint64 // frame lengths on the wire, per direction

	// The handshake as captured: the first SYN (no ACK) and SYN/ACK.
	SYN, SYNACK Segment

	// A sent the first packet seen; B is its peer.
	A, B Endpoint

	FirstFrame, LastFrame int32
	Packets               [2]uint32

	// Base is Wireshark's recorded initial sequence number per flow
	// (indexed by Dir), valid where BaseSet says.
	Base [2]uint32
	// NextSeq is, per direction, the sequence number after the highest
	// one sent (seq + length + SYN + FIN): RFC 6191 compares a new ISN
	// with it when there are no timestamps.
	NextSeq [2]uint32
	// LastTSVal is the TCP timestamp option's last value per direction,
	// valid where HasTS says.
	LastTSVal [2]uint32

	PrevStream int32 // the conversation on the same ports this one reused; -1 if none
	NextStream int32 // the conversation that reused this one's ports; -1 if none

	FirstFIN [2]int32 // frame of the first FIN per direction, 0 if none
	FirstRST int32    // frame of the first RST, 0 if none

	SYNCount    uint16 // SYNs without ACK, retransmissions included (saturating)
	SYNACKCount uint16
	// ICMPErrors counts TCP headers of this conversation quoted in ICMP
	// errors (an unreachable answering a SYN, for instance).
	ICMPErrors uint16

	BaseSet [2]bool
	HasTS   [2]bool
	// SawRST and SawFINACK are Wireshark's completeness bits that make a
	// SYN on the same ports start a new conversation.
	SawRST, SawFINACK bool
	SYNDir            Dir // sender of the first SYN, valid when SYN.Frame > 0
	SYNACKDir         Dir // sender of the first SYN/ACK
	RSTDir            Dir // sender of the first RST
	// Reused is set when the conversation began by reusing the ports of
	// PrevStream (Wireshark's tcp.analysis.reused_ports on its first
	// frame); ReusedBySYNACK when that frame was a SYN/ACK.
	Reused, ReusedBySYNACK bool
	// SYNHasTS and SYNACKHasTS say whether SYN.TSVal and SYNACK.TSVal
	// hold a TCP timestamp (kept here so Segment stays 24 bytes).
	SYNHasTS, SYNACKHasTS bool
}

// Segment names one frame of a conversation and what it carried.
type Segment struct {
	Time  int64
	Frame int32 // 0 when there is none
	Seq   uint32
	Ack   uint32
	TSVal uint32 // the TCP timestamp, valid when the conversation says (SYNHasTS)
}

// ReusedBy is the frame that started this conversation by reusing ports:
// its first SYN, or its first SYN/ACK (ReusedBySYNACK). The zero Segment
// when it reused nothing.
func (c *Conversation) ReusedBy() Segment {
	switch {
	case !c.Reused:
		return Segment{}
	case c.ReusedBySYNACK:
		return c.SYNACK
	}
	return c.SYN
}

// ReusedByHasTS reports whether ReusedBy carried a TCP timestamp.
func (c *Conversation) ReusedByHasTS() bool {
	if c.ReusedBySYNACK {
		return c.SYNACKHasTS
	}
	return c.SYNHasTS
}

// End reports how the conversation ended.
func (c *Conversation) End() End {
	switch {
	case c.FirstRST > 0:
		return Rst
	case c.FirstFIN[0] > 0 || c.FirstFIN[1] > 0:
		return Fin
	}
	return Open
}

// EndFrame is the frame that ended the conversation: its RST, or the
// first FIN; 0 when it is still open.
func (c *Conversation) EndFrame() int32 {
	switch c.End() {
	case Rst:
		return c.FirstRST
	case Fin:
		f0, f1 := c.FirstFIN[0], c.FirstFIN[1]
		if f0 == 0 || (f1 > 0 && f1 < f0) {
			return f1
		}
		return f0
	}
	return 0
}

// ClosedFirstBy returns the direction that sent the first FIN.
func (c *Conversation) ClosedFirstBy() (Dir, bool) {
	f0, f1 := c.FirstFIN[0], c.FirstFIN[1]
	switch {
	case f0 > 0 && (f1 == 0 || f0 < f1):
		return FromA, true
	case f1 > 0:
		return FromB, true
	}
	return FromA, false
}

// Client returns the endpoint that opened the conversation: the sender of
// the SYN, else the receiver of the SYN/ACK, else the endpoint with the
// higher port (servers usually listen on the lower one).
func (c *Conversation) Client() (client, server Endpoint) {
	return c.Endpoints(c.ClientDir())
}

// ClientDir returns the direction from the client to the server.
func (c *Conversation) ClientDir() Dir {
	switch {
	case c.SYN.Frame > 0:
		return c.SYNDir
	case c.SYNACK.Frame > 0:
		return c.SYNACKDir.Reverse()
	case c.A.Port >= c.B.Port:
		return FromA
	}
	return FromB
}

// Endpoints returns the sender and receiver of packets in direction d.
func (c *Conversation) Endpoints(d Dir) (src, dst Endpoint) {
	if d == FromA {
		return c.A, c.B
	}
	return c.B, c.A
}

// DirOf returns the direction of packets sent by src.
func (c *Conversation) DirOf(src Endpoint) Dir {
	if src == c.A {
		return FromA
	}
	return FromB
}

// Table holds a capture's conversations; index == tcp.stream.
type Table = blocks.List[Conversation]
