package filter

import (
	"encoding/binary"
	"net/netip"
	"strconv"

	"github.com/portlens/portlens/analyzer/decode"
)

// Type is the type of a field's values; it decides which values and
// operators a comparison with the field accepts.
type Type uint8

const (
	TypeProtocol Type = iota // a protocol: tested for presence ("frame" also compares its bytes)
	TypeLabel                // no value: tested for presence only
	TypeBool                 // True or False (1 or 0)
	TypeUint                 // unsigned integer of Field.Bits bits
	TypeTime                 // seconds, to the nanosecond
	TypeIPv4                 // IPv4 address, or a CIDR prefix in comparisons
	TypeIPv6                 // IPv6 address, or a CIDR prefix in comparisons
	TypeEther                // Ethernet address
	TypeString               // character string
)

// String names the type as Wireshark's messages do.
func (t Type) String() string {
	switch t {
	case TypeProtocol:
		return "Protocol"
	case TypeLabel:
		return "Label"
	case TypeBool:
		return "Boolean"
	case TypeUint:
		return "Unsigned integer"
	case TypeTime:
		return "Time offset"
	case TypeIPv4:
		return "IPv4 address"
	case TypeIPv6:
		return "IPv6 address"
	case TypeEther:
		return "Ethernet or other MAC address"
	case TypeString:
		return "Character string"
	}
	return "Type(" + strconv.Itoa(int(t)) + ")"
}

// Need is a set of groups of Frame fields. A compiled filter reports the
// groups it reads, so the caller fills only those: the page and the
// command have some groups at hand for every frame (the analyzer's
// per-frame columns) and must decode the packet again for others. The
// TCP slice must hold one entry per TCP header when any of NeedPorts,
// NeedTCPFlags, NeedTCPSeq or NeedStream is set; within an entry only the
// needed fields matter.
type Need uint16

const (
	NeedFrame    Need = 1 << iota // Len, CapLen, TimeRel (and Number)
	NeedProtos                    // Protos, for bare protocol names
	NeedEth                       // Eth
	NeedIP                        // IPv4 and IPv6
	NeedPorts                     // Src and Dst of TCP, UDP and SCTP
	NeedTCPFlags                  // TCP Flags (and Absent)
	NeedTCPSeq                    // TCP Seq, Ack and Len (and Absent)
	NeedStream                    // TCP Stream
	NeedReused                    // Reused
	NeedFindings                  // Findings
	NeedData                      // Data
	NeedNumber                    // Number alone (frame.number), which a caller always has
)

// Field describes a field or protocol name that filters can use.
type Field struct {
	Name string
	Type Type
	Bits int    // TypeUint: the width, which bounds the values
	Desc string // one line, for help texts
	Need Need   // the Frame fields it reads
}

// TypeName names the field's type as Wireshark does, with the width of
// an integer: "Unsigned integer (16 bits)", "IPv4 address".
func (f Field) TypeName() string {
	if f.Type == TypeUint {
		return "Unsigned integer (" + strconv.Itoa(f.Bits) + " bits)"
	}
	return f.Type.String()
}

// slot tells what a field's accessor found at an index.
type slot uint8

const (
	slotEnd  slot = iota // no value at this index or after it
	slotSkip             // no value at this index, maybe after it
	slotHave             // a value
)

// fieldDef is a Field with the means to read its values from a Frame.
// The less common types read the i-th value through a function, counting
// from 0, so a filter can walk a multi-valued field without allocating;
// numeric fields, where filters spend their time, have a numAcc instead.
type fieldDef struct {
	Field
	has  func(*Frame) bool // presence, for a protocol or label
	num  *numAcc
	ip6  func(*Frame, int) (netip.Addr, slot)
	str  func(*Frame, int) (string, slot)
	data func(*Frame) []byte // set for "frame" only: the bytes it compares
}

// Fields lists the names filters can use, in the order of the help text.
func Fields() []Field {
	out := make([]Field, len(fieldTable))
	for i := range fieldTable {
		out[i] = fieldTable[i].Field
	}
	return out
}

var fieldByName = func() map[string]*fieldDef {
	m := make(map[string]*fieldDef, len(fieldTable))
	for i := range fieldTable {
		m[fieldTable[i].Name] = &fieldTable[i]
	}
	return m
}()

func protoField(name string, p Protos, desc string) fieldDef {
	return fieldDef{Field: Field{Name: name, Type: TypeProtocol, Desc: desc, Need: NeedProtos},
		has: func(f *Frame) bool { return f.Protos&p != 0 }}
}

func numField(name string, t Type, bits int, need Need, desc string, acc numAcc) fieldDef {
	return fieldDef{Field: Field{Name: name, Type: t, Bits: bits, Desc: desc, Need: need}, num: &acc}
}

func findingField(name, desc string, get func(*Finding) string) fieldDef {
	return fieldDef{Field: Field{Name: name, Type: TypeString, Desc: desc, Need: NeedFindings},
		str: func(f *Frame, i int) (string, slot) {
			if i >= len(f.Findings) {
				return "", slotEnd
			}
			return get(&f.Findings[i]), slotHave
		}}
}

var fieldTable = []fieldDef{
	{Field: Field{Name: "frame", Type: TypeProtocol, Desc: "every frame; \"frame contains\" and \"frame matches\" search its bytes"},
		has: func(*Frame) bool { return true }, data: func(f *Frame) []byte { return f.Data }},
	numField("frame.number", TypeUint, 32, NeedNumber, "frame number, from 1", numAcc{src: srcNumber}),
	numField("frame.time_relative", TypeTime, 0, NeedFrame, "seconds since the first frame", numAcc{src: srcTime}),
	numField("frame.len", TypeUint, 32, NeedFrame, "frame length on the wire, in bytes", numAcc{src: srcLen}),
	numField("frame.cap_len", TypeUint, 32, NeedFrame, "captured length, in bytes", numAcc{src: srcCapLen}),

	protoField("eth", ProtoEth, "Ethernet"),
	numField("eth.addr", TypeEther, 0, NeedEth, "source or destination Ethernet address", numAcc{src: srcEth}),
	numField("eth.src", TypeEther, 0, NeedEth, "source Ethernet address", numAcc{src: srcEth, role: src}),
	numField("eth.dst", TypeEther, 0, NeedEth, "destination Ethernet address", numAcc{src: srcEth, role: dst}),

	protoField("ip", ProtoIP, "IPv4"),
	numField("ip.addr", TypeIPv4, 0, NeedIP, "source or destination IPv4 address, of every IPv4 header", numAcc{src: srcIPv4}),
	numField("ip.src", TypeIPv4, 0, NeedIP, "source IPv4 address", numAcc{src: srcIPv4, role: src}),
	numField("ip.dst", TypeIPv4, 0, NeedIP, "destination IPv4 address", numAcc{src: srcIPv4, role: dst}),
	protoField("ipv6", ProtoIPv6, "IPv6"),
	{Field: Field{Name: "ipv6.addr", Type: TypeIPv6, Desc: "source or destination IPv6 address, of every IPv6 header", Need: NeedIP}, ip6: ip6Addr(both)},
	{Field: Field{Name: "ipv6.src", Type: TypeIPv6, Desc: "source IPv6 address", Need: NeedIP}, ip6: ip6Addr(src)},
	{Field: Field{Name: "ipv6.dst", Type: TypeIPv6, Desc: "destination IPv6 address", Need: NeedIP}, ip6: ip6Addr(dst)},
	protoField("icmp", ProtoICMP, "ICMP"),
	protoField("icmpv6", ProtoICMPv6, "ICMPv6"),

	protoField("tcp", ProtoTCP, "TCP"),
	numField("tcp.port", TypeUint, 16, NeedPorts, "source or destination TCP port", numAcc{src: srcTCPPort}),
	numField("tcp.srcport", TypeUint, 16, NeedPorts, "source TCP port", numAcc{src: srcTCPPort, role: src}),
	numField("tcp.dstport", TypeUint, 16, NeedPorts, "destination TCP port", numAcc{src: srcTCPPort, role: dst}),
	numField("tcp.stream", TypeUint, 32, NeedStream, "TCP stream index, from 0, as Wireshark counts", numAcc{src: srcStream}),
	numField("tcp.flags", TypeUint, 16, NeedTCPFlags, "TCP flags as a number: 0x002 SYN, 0x010 ACK... (the reserved bits read as 0)", numAcc{src: srcFlags}),
	numField("tcp.flags.syn", TypeBool, 0, NeedTCPFlags, "SYN flag", numAcc{src: srcFlags, bit: decode.SYN}),
	numField("tcp.flags.ack", TypeBool, 0, NeedTCPFlags, "ACK flag", numAcc{src: srcFlags, bit: decode.ACK}),
	numField("tcp.flags.fin", TypeBool, 0, NeedTCPFlags, "FIN flag", numAcc{src: srcFlags, bit: decode.FIN}),
	numField("tcp.flags.reset", TypeBool, 0, NeedTCPFlags, "RST flag", numAcc{src: srcFlags, bit: decode.RST}),
	numField("tcp.flags.push", TypeBool, 0, NeedTCPFlags, "PSH flag", numAcc{src: srcFlags, bit: decode.PSH}),
	numField("tcp.flags.urg", TypeBool, 0, NeedTCPFlags, "URG flag", numAcc{src: srcFlags, bit: decode.URG}),
	numField("tcp.flags.ece", TypeBool, 0, NeedTCPFlags, "ECE flag", numAcc{src: srcFlags, bit: decode.ECE}),
	numField("tcp.flags.cwr", TypeBool, 0, NeedTCPFlags, "CWR flag", numAcc{src: srcFlags, bit: decode.CWR}),
	numField("tcp.seq_raw", TypeUint, 32, NeedTCPSeq, "sequence number as sent (not relative)", numAcc{src: srcSeq}),
	numField("tcp.ack_raw", TypeUint, 32, NeedTCPSeq, "acknowledgment number as sent (not relative)", numAcc{src: srcAck}),
	numField("tcp.len", TypeUint, 32, NeedTCPSeq, "TCP payload length, in bytes", numAcc{src: srcTCPLen}),
	{Field: Field{Name: "tcp.analysis.reused_ports", Type: TypeLabel, Desc: "Wireshark's \"TCP Port numbers reused\"", Need: NeedReused},
		has: func(f *Frame) bool { return f.Reused }},

	protoField("udp", ProtoUDP, "UDP"),
	numField("udp.port", TypeUint, 16, NeedPorts, "source or destination UDP port", numAcc{src: srcUDP}),
	numField("udp.srcport", TypeUint, 16, NeedPorts, "source UDP port", numAcc{src: srcUDP, role: src}),
	numField("udp.dstport", TypeUint, 16, NeedPorts, "destination UDP port", numAcc{src: srcUDP, role: dst}),
	protoField("sctp", ProtoSCTP, "SCTP"),
	numField("sctp.port", TypeUint, 16, NeedPorts, "source or destination SCTP port", numAcc{src: srcSCTP}),
	numField("sctp.srcport", TypeUint, 16, NeedPorts, "source SCTP port", numAcc{src: srcSCTP, role: src}),
	numField("sctp.dstport", TypeUint, 16, NeedPorts, "destination SCTP port", numAcc{src: srcSCTP, role: dst}),

	findingField("portlens.kind", "kind of a portlens finding, e.g. \"tcp.reused_ports\"", func(x *Finding) string { return x.Kind }),
	findingField("portlens.class", "class of a portlens finding, e.g. \"after-rst\"", func(x *Finding) string { return x.Class }),
	findingField("portlens.severity", "severity of a portlens finding: \"note\" or \"warning\"", func(x *Finding) string { return x.Severity }),
	numField("portlens.finding", TypeUint, 32, NeedFindings, "number of a portlens finding on the frame", numAcc{src: srcFinding}),
	{Field: Field{Name: "portlens.flagged", Type: TypeLabel, Desc: "the frame has a portlens finding", Need: NeedFindings},
		has: func(f *Frame) bool { return len(f.Findings) > 0 }},
}

// role picks the source, the destination or both addresses of a header;
// with both, value i is the source of header i/2 when i is even.
type role uint8

const (
	both role = iota
	src
	dst
)

// pick returns which header and which of its two values index i means.
func (r role) pick(i int) (header int, second bool) {
	if r == both {
		return i >> 1, i&1 == 1
	}
	return i, r == dst
}

// macValue orders Ethernet addresses as their bytes do.
func macValue(m MAC) int64 {
	return int64(m[0])<<40 | int64(m[1])<<32 | int64(binary.BigEndian.Uint32(m[2:]))
}

// ip4Value orders IPv4 addresses as numbers. An address that is not IPv4
// (a caller's mistake) becomes -1, which no literal equals.
func ip4Value(a netip.Addr) int64 {
	a = a.Unmap()
	if !a.Is4() {
		return -1
	}
	b := a.As4()
	return int64(binary.BigEndian.Uint32(b[:]))
}

func ip6Addr(r role) func(*Frame, int) (netip.Addr, slot) {
	return func(f *Frame, i int) (netip.Addr, slot) {
		h, second := r.pick(i)
		if h >= len(f.IPv6) {
			return netip.Addr{}, slotEnd
		}
		if second {
			return f.IPv6[h].Dst, slotHave
		}
		return f.IPv6[h].Src, slotHave
	}
}

// numSrc says where in a Frame a numeric field's values are.
type numSrc uint8

const (
	srcNumber numSrc = iota
	srcLen
	srcCapLen
	srcTime
	srcEth
	srcIPv4
	srcTCPPort
	srcUDP
	srcSCTP
	srcStream
	srcFlags
	srcSeq
	srcAck
	srcTCPLen
	srcFinding
)

// numAcc reads a numeric field: booleans as 0 and 1, times in
// nanoseconds, IPv4 and Ethernet addresses as big-endian numbers, so that
// one comparison serves them all. It is a switch rather than a function
// per field because a direct call is several times cheaper than an
// indirect one, and matching a million frames is mostly this.
type numAcc struct {
	src  numSrc
	role role
	bit  decode.TCPFlags // srcFlags: one flag as a boolean; 0 for all flags as a number
}

// count is the number of indexes at, for this frame.
func (a *numAcc) count(f *Frame) int {
	per := 1
	if a.role == both {
		per = 2
	}
	switch a.src {
	case srcEth:
		return per * len(f.Eth)
	case srcIPv4:
		return per * len(f.IPv4)
	case srcTCPPort:
		return per * len(f.TCP)
	case srcUDP:
		return per * len(f.UDP)
	case srcSCTP:
		return per * len(f.SCTP)
	case srcStream, srcFlags, srcSeq, srcAck, srcTCPLen:
		return len(f.TCP)
	case srcFinding:
		return len(f.Findings)
	}
	return 1
}

// at returns the value at index i < count(f), or false if that header
// lacks the field.
func (a *numAcc) at(f *Frame, i int) (int64, bool) {
	h, second := a.role.pick(i)
	switch a.src {
	case srcNumber:
		return f.Number, true
	case srcLen:
		return f.Len, true
	case srcCapLen:
		return f.CapLen, true
	case srcTime:
		return f.TimeRel, true
	case srcEth:
		return macValue(pickOf(f.Eth[h].Src, f.Eth[h].Dst, second)), true
	case srcIPv4:
		return ip4Value(pickOf(f.IPv4[h].Src, f.IPv4[h].Dst, second)), true
	case srcTCPPort:
		return int64(pickOf(f.TCP[h].Src, f.TCP[h].Dst, second)), true
	case srcUDP:
		return int64(pickOf(f.UDP[h].Src, f.UDP[h].Dst, second)), true
	case srcSCTP:
		return int64(pickOf(f.SCTP[h].Src, f.SCTP[h].Dst, second)), true
	case srcFinding:
		return int64(f.Findings[i].Index), true
	}
	return a.tcp(&f.TCP[i])
}

func (a *numAcc) tcp(t *TCP) (int64, bool) {
	switch a.src {
	case srcStream:
		return int64(t.Stream), t.Stream >= 0
	case srcFlags:
		if a.bit == 0 {
			return int64(t.Flags), t.Absent&AbsentFlags == 0
		}
		return int64(t.Flags&a.bit) / int64(a.bit), t.Absent&AbsentFlags == 0
	case srcSeq:
		return int64(t.Seq), t.Absent&AbsentSeq == 0
	case srcAck:
		return int64(t.Ack), t.Absent&AbsentAck == 0
	}
	return int64(t.Len), t.Absent&AbsentLen == 0
}

func pickOf[T any](a, b T, second bool) T {
	if second {
		return b
	}
	return a
}
