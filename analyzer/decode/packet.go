// Package decode turns the bytes of one captured frame into the few fields
// the analysis needs: the innermost IP addresses and the transport header
// that rides on them. It follows Wireshark's choices of what counts as the
// TCP header of a frame (innermost IP, quoted headers in ICMP errors,
// reassembled IP fragments), because stream numbers must match Wireshark's.
package decode

import (
	"net/netip"
)

// Transport is the innermost transport protocol found in a frame.
type Transport uint8

const (
	None Transport = iota
	TCP
	UDP
	SCTP
	ICMPv4
	ICMPv6
	OtherIP // an IP packet whose payload is none of the above
)

func (t Transport) String() string {
	switch t {
	case TCP:
		return "TCP"
	case UDP:
		return "UDP"
	case SCTP:
		return "SCTP"
	case ICMPv4:
		return "ICMP"
	case ICMPv6:
		return "ICMPv6"
	case OtherIP:
		return "IP"
	}
	return ""
}

// TCPFlags holds the TCP header's flag bits, in their wire positions.
type TCPFlags uint16

const (
	FIN TCPFlags = 1 << iota
	SYN
	RST
	PSH
	ACK
	URG
	ECE
	CWR
	AE // the former NS bit
)

// Has reports whether every bit of f2 is set in f.
func (f TCPFlags) Has(f2 TCPFlags) bool { return f&f2 == f2 }

// TCPHeaderState says how much of a TCP header a frame holds, which
// decides what Wireshark 4.4 does with the segment beyond finding its
// conversation (measured with the oracle; testdata/README.md).
type TCPHeaderState uint8

const (
	// HeaderWhole: the header is all there, as long as its data offset says.
	HeaderWhole TCPHeaderState = iota
	// HeaderCut: the fixed fields up to the window are there (16 bytes),
	// but not the whole header (cut by the snap length or the IP length,
	// options included). Wireshark tracks the segment, then fails reading
	// the rest: it shows no analysis, so no reused-ports flag.
	HeaderCut
	// HeaderBadOffset: a data offset below 5 words. Wireshark tracks the
	// segment, then gives up before it notes an RST or FIN, and shows no
	// analysis.
	HeaderBadOffset
)

// tcpHeaderState classifies a TCP header with data offset off (in bytes)
// of which n bytes are present (at least 16).
func tcpHeaderState(off, n int) TCPHeaderState {
	switch {
	case off < 20:
		return HeaderBadOffset
	case n < off:
		return HeaderCut
	}
	return HeaderWhole
}

// TCPOptions holds the options of a TCP header that explanations and the
// Info text use. Zero values mean "absent" except where a Has field says.
type TCPOptions struct {
	MSS        uint16
	HasMSS     bool
	WScale     uint8
	HasWScale  bool
	SACKPerm   bool
	HasTS      bool
	TSVal      uint32
	TSEcr      uint32
	MPTCP      bool
	OptionsLen uint8 // bytes of options present in the capture
}

// Packet is the decoded summary of one frame. It is filled in place by
// Decoder.Decode and holds no references into the frame's bytes.
type Packet struct {
	// Network layer of the innermost IP header carrying the transport.
	IPVersion uint8 // 4, 6, or 0 when the frame has no IP header
	Src, Dst  netip.Addr
	// OuterSrc/OuterDst are the first IP header's addresses, which differ
	// from Src/Dst for tunnels and ICMP errors.
	OuterSrc, OuterDst netip.Addr
	TTL                uint8
	IPID               uint32

	Transport        Transport
	SrcPort, DstPort uint16

	// TCP header fields (Transport == TCP).
	Flags      TCPFlags
	Seq, Ack   uint32
	Window     uint16
	Options    TCPOptions
	PayloadLen int // transport payload length, from the IP lengths
	TCPHeader  TCPHeaderState
	// TCPSegLen is Wireshark's tcp.len: the TCP bytes the IP lengths
	// claim less the data offset as written (which may be below 20), so
	// negative for a segment shorter than its own header (Wireshark then
	// shows no tcp.len). PayloadLen counts a bogus offset as 20.
	TCPSegLen int32

	// SCTP: the first chunk's type and the verification/initiate tags.
	SCTPChunk       uint8
	SCTPVerTag      uint32
	SCTPInitiateTag uint32

	// ICMP type and code of the outermost ICMP message, if any.
	ICMPType, ICMPCode uint8

	// InICMPError is set when the transport header is the one quoted
	// inside an ICMP error message, not a packet of its own.
	InICMPError bool
	// Sampled is set when the transport header is one an sFlow agent
	// sampled. Wireshark dissects it like a quote in an ICMP error.
	Sampled bool
	// Tunnelled is set when there is more than one IP header.
	Tunnelled bool
	// Fragment is set for an IP fragment that does not complete a
	// datagram; Reassembled for the fragment that completes one (its
	// transport fields are those of the whole datagram).
	Fragment    bool
	Reassembled bool

	// VLAN is the outermost 802.1Q tag's VLAN id, -1 when untagged.
	VLAN int
}

// InErrorPkt reports whether Wireshark dissects the transport header as
// part of another packet (an ICMP error's quote, an sFlow sample) rather
// than a packet of its own: its pinfo->flags.in_error_pkt. Such a header
// finds, and may split, conversations, and its RST and FIN count, but it
// sets no sequence bases and shows no analysis.
func (p *Packet) InErrorPkt() bool { return p.InICMPError || p.Sampled }

// HasPorts reports whether the packet carries a transport header with ports.
func (p *Packet) HasPorts() bool {
	return p.Transport == TCP || p.Transport == UDP || p.Transport == SCTP
}

// SrcAddrPort and DstAddrPort are the endpoints of the transport header.
func (p *Packet) SrcAddrPort() netip.AddrPort { return netip.AddrPortFrom(p.Src, p.SrcPort) }
func (p *Packet) DstAddrPort() netip.AddrPort { return netip.AddrPortFrom(p.Dst, p.DstPort) }

func (p *Packet) reset() {
	*p = Packet{VLAN: -1}
}
