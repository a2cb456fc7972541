// Package conv tracks TCP conversations exactly as Wireshark 4.4 does:
// which packets belong together (tcp.stream) and when a SYN or SYN/ACK
// reuses the ports of an earlier conversation (tcp.analysis.reused_ports).
// It records, per conversation, the evidence the rules and explanations
// need (how it began and ended, when, with which frames); it judges
// nothing and formats nothing.
package conv

import "net/netip"

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

// Conversation is one TCP conversation: Wireshark's tcp.stream.
type Conversation struct {
	Stream int
	// A sent the first packet seen; B is its peer.
	A, B Endpoint

	FirstFrame, LastFrame int
	FirstTime, LastTime   int64 // nanoseconds since the epoch
	Packets               [2]int
	Bytes                 [2]int64 // frame lengths on the wire, per direction

	// Base is Wireshark's recorded initial sequence number per flow
	// (indexed by Dir), valid where BaseSet says.
	Base    [2]uint32
	BaseSet [2]bool
	// SawRST and SawFINACK are Wireshark's completeness bits that make a
	// SYN on the same ports start a new conversation.
	SawRST, SawFINACK bool

	// The handshake as captured: the first SYN (no ACK) and SYN/ACK.
	SYN, SYNACK    Segment
	SYNCount       int // SYNs without ACK, retransmissions included
	SYNDir         Dir // sender of the first SYN, valid when SYN.Frame > 0
	SYNACKCount    int
	SYNACKDir      Dir        // sender of the first SYN/ACK
	FirstFIN       [2]Segment // per direction
	FirstRST       Segment
	RSTDir         Dir
	LastTSVal      [2]uint32 // TCP timestamp option, last value per direction
	HasTS          [2]bool
	PrevStream     int     // the conversation on the same ports this one reused; -1 if none
	NextStream     int     // the conversation that reused this one's ports; -1 if none
	ReusedBy       Segment // the frame that started this conversation by reusing ports
	ReusedBySYNACK bool    // true when that frame was a SYN/ACK
	// NextSeq is, per direction, the sequence number after the highest
	// one sent (seq + length + SYN + FIN): RFC 6191 compares a new ISN
	// with it when there are no timestamps.
	NextSeq [2]uint32
	// ICMPErrors counts TCP headers of this conversation quoted in ICMP
	// errors (an unreachable answering a SYN, for instance).
	ICMPErrors int
}

// Segment names one frame of a conversation and what it carried.
type Segment struct {
	Frame int // 0 when there is none
	Time  int64
	Seq   uint32
	Ack   uint32
	TSVal uint32
	HasTS bool
}

// End reports how the conversation ended.
func (c *Conversation) End() End {
	switch {
	case c.FirstRST.Frame > 0:
		return Rst
	case c.FirstFIN[0].Frame > 0 || c.FirstFIN[1].Frame > 0:
		return Fin
	}
	return Open
}

// EndSegment is the packet that ended the conversation: its RST, or the
// first FIN; the zero Segment when it is still open.
func (c *Conversation) EndSegment() Segment {
	switch c.End() {
	case Rst:
		return c.FirstRST
	case Fin:
		f0, f1 := c.FirstFIN[0], c.FirstFIN[1]
		if f0.Frame == 0 || (f1.Frame > 0 && f1.Frame < f0.Frame) {
			return f1
		}
		return f0
	}
	return Segment{}
}

// ClosedFirstBy returns the direction that sent the first FIN.
func (c *Conversation) ClosedFirstBy() (Dir, bool) {
	f0, f1 := c.FirstFIN[0], c.FirstFIN[1]
	switch {
	case f0.Frame > 0 && (f1.Frame == 0 || f0.Frame < f1.Frame):
		return FromA, true
	case f1.Frame > 0:
		return FromB, true
	}
	return FromA, false
}

// Client returns the endpoint that opened the conversation: the sender of
// the SYN, else the receiver of the SYN/ACK, else the endpoint with the
// higher port (servers usually listen on the lower one).
func (c *Conversation) Client() (client, server netip.AddrPort) {
	return c.endpoints(c.ClientDir())
}

// ClientDir returns the direction from the client to the server.
func (c *Conversation) ClientDir() Dir {
	switch {
	case c.SYN.Frame > 0:
		return c.SYNDir
	case c.SYNACK.Frame > 0:
		return c.SYNACKDir.Reverse()
	case c.A.Port() >= c.B.Port():
		return FromA
	}
	return FromB
}

func (c *Conversation) endpoints(from Dir) (src, dst netip.AddrPort) {
	if from == FromA {
		return c.A.AddrPort(), c.B.AddrPort()
	}
	return c.B.AddrPort(), c.A.AddrPort()
}
