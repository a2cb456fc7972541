package filter

import (
	"net/netip"

	"github.com/portlens/portlens/analyzer/decode"
)

// Frame is what a filter reads: the fields of one frame, filled in by the
// caller. Keep one Frame and Reset it before each frame: the slices keep
// their capacity, so filling a Frame allocates nothing once it has grown.
// A filter reads only the groups its Needs reports; the rest may be left
// empty.
//
// Fields that Wireshark shows once per protocol layer are slices here,
// outermost layer first: a tunnel has two IP headers, an ICMP error adds
// the IP and transport headers it quotes (Wireshark dissects those too),
// and a filter such as ip.addr == x looks at every one of them.
type Frame struct {
	Number  int64 // frame.number, 1-based
	Len     int64 // frame.len: bytes on the wire
	CapLen  int64 // frame.cap_len: bytes captured
	TimeRel int64 // frame.time_relative: nanoseconds since the first frame (negative when time runs backwards)

	// Protos holds the protocols present, which the bare names test
	// ("tcp", "ip", "icmp"). The Add methods set the bits of the layers
	// they add.
	Protos Protos

	Eth  []MACPair  // every Ethernet header (eth.src, eth.dst)
	IPv4 []AddrPair // every IPv4 header (ip.src, ip.dst)
	IPv6 []AddrPair // every IPv6 header (ipv6.src, ipv6.dst)
	TCP  []TCP      // every TCP header
	UDP  []Ports    // every UDP header
	SCTP []Ports    // every SCTP common header

	Reused   bool      // Wireshark's tcp.analysis.reused_ports is on this frame
	Findings []Finding // portlens's findings on this frame

	Data []byte // the captured bytes, for "frame contains" and "frame matches"
}

// Protos is a set of protocols present in a frame.
type Protos uint16

// The protocols a bare name tests. The frame protocol is always present.
const (
	ProtoEth Protos = 1 << iota
	ProtoIP         // IPv4
	ProtoIPv6
	ProtoICMP
	ProtoICMPv6
	ProtoTCP
	ProtoUDP
	ProtoSCTP
)

// MAC is an Ethernet address.
type MAC [6]byte

// MACPair holds the addresses of one Ethernet header.
type MACPair struct{ Src, Dst MAC }

// AddrPair holds the addresses of one IP header.
type AddrPair struct{ Src, Dst netip.Addr }

// Ports holds the ports of one UDP or SCTP header.
type Ports struct{ Src, Dst uint16 }

// TCP holds the fields of one TCP header that filters can read.
type TCP struct {
	Src, Dst uint16
	Stream   int32 // tcp.stream; -1 when there is none
	Flags    decode.TCPFlags
	Seq, Ack uint32 // raw sequence and acknowledgment numbers (tcp.seq_raw, tcp.ack_raw)
	Len      uint32 // tcp.len: payload bytes
	// Absent lists the fields that this header does not show. Wireshark
	// leaves them out of a TCP header quoted in an ICMP error (seq_raw and
	// len; flags too when the quote stops after 8 bytes).
	Absent TCPFields
}

// TCPFields is a set of TCP header fields.
type TCPFields uint8

// The TCP fields a quoted header can lack.
const (
	AbsentFlags TCPFields = 1 << iota
	AbsentSeq
	AbsentAck
	AbsentLen
)

// Finding is one portlens finding on a frame.
type Finding struct {
	Index    int32  // portlens.finding: the finding's number in the result
	Kind     string // portlens.kind, e.g. "tcp.reused_ports"
	Class    string // portlens.class, e.g. "after-rst"
	Severity string // portlens.severity: "note" or "warning"
}

// Reset empties f for the next frame, keeping the slices' memory.
func (f *Frame) Reset() {
	*f = Frame{
		Eth: f.Eth[:0], IPv4: f.IPv4[:0], IPv6: f.IPv6[:0],
		TCP: f.TCP[:0], UDP: f.UDP[:0], SCTP: f.SCTP[:0],
		Findings: f.Findings[:0],
	}
}

// AddEth adds an Ethernet header.
func (f *Frame) AddEth(src, dst MAC) {
	f.Protos |= ProtoEth
	f.Eth = append(f.Eth, MACPair{src, dst})
}

// AddIP adds an IPv4 or IPv6 header, by the version of its addresses
// (an IPv4-mapped IPv6 address is IPv6).
func (f *Frame) AddIP(src, dst netip.Addr) {
	if src.Is4() || !src.Is6() && !dst.Is6() {
		f.Protos |= ProtoIP
		f.IPv4 = append(f.IPv4, AddrPair{src, dst})
		return
	}
	f.Protos |= ProtoIPv6
	f.IPv6 = append(f.IPv6, AddrPair{src, dst})
}

// AddTCP adds a TCP header.
func (f *Frame) AddTCP(t TCP) {
	f.Protos |= ProtoTCP
	f.TCP = append(f.TCP, t)
}

// AddUDP adds a UDP header.
func (f *Frame) AddUDP(src, dst uint16) {
	f.Protos |= ProtoUDP
	f.UDP = append(f.UDP, Ports{src, dst})
}

// AddSCTP adds an SCTP common header.
func (f *Frame) AddSCTP(src, dst uint16) {
	f.Protos |= ProtoSCTP
	f.SCTP = append(f.SCTP, Ports{src, dst})
}
