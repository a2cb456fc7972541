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
// per-frame columns) and must decode the packet again for others.
type Need uint16

const (
	NeedFrame    Need = 1 << iota // Number, Len, CapLen, TimeRel
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
)

// Field describes a field or protocol name that filters can use.
type Field struct {
	Name string
	Type Type
	Bits int    // TypeUint: the width, which bounds the values
	Desc string // one line, for help texts
	Need Need   // the Frame fields it reads
}

// typeName is the type as Wireshark words it in messages, with the width.
func (f *Field) typeName() string {
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

// fieldDef is a Field with the functions that read its values from a
// Frame. Each returns the i-th value of a field, counting from 0, so a
// filter can walk a multi-valued field without allocating.
type fieldDef struct {
	Field
	has  func(*Frame) bool // presence, for a protocol or label
	num  func(*Frame, int) (int64, slot)
	ip6  func(*Frame, int) (netip.Addr, slot)
	str  func(*Frame, int) (string, slot)
	data func(*Frame) []byte // the bytes of the frame protocol
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

func proto(name string, p Protos, desc string) fieldDef {
	return fieldDef{Field: Field{Name: name, Type: TypeProtocol, Desc: desc, Need: NeedProtos},
		has: func(f *Frame) bool { return f.Protos&p != 0 }}
}

func num(name string, t Type, bits int, need Need, desc string, get func(*Frame, int) (int64, slot)) fieldDef {
	return fieldDef{Field: Field{Name: name, Type: t, Bits: bits, Desc: desc, Need: need}, num: get}
}

func str(name, desc string, get func(*Finding) string) fieldDef {
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
	num("frame.number", TypeUint, 32, NeedFrame, "frame number, from 1", one(func(f *Frame) int64 { return f.Number })),
	num("frame.time_relative", TypeTime, 0, NeedFrame, "seconds since the first frame", one(func(f *Frame) int64 { return f.TimeRel })),
	num("frame.len", TypeUint, 32, NeedFrame, "frame length on the wire, in bytes", one(func(f *Frame) int64 { return f.Len })),
	num("frame.cap_len", TypeUint, 32, NeedFrame, "captured length, in bytes", one(func(f *Frame) int64 { return f.CapLen })),

	proto("eth", ProtoEth, "Ethernet"),
	num("eth.addr", TypeEther, 0, NeedEth, "source or destination Ethernet address", ethAddr(both)),
	num("eth.src", TypeEther, 0, NeedEth, "source Ethernet address", ethAddr(src)),
	num("eth.dst", TypeEther, 0, NeedEth, "destination Ethernet address", ethAddr(dst)),

	proto("ip", ProtoIP, "IPv4"),
	num("ip.addr", TypeIPv4, 0, NeedIP, "source or destination IPv4 address, of every IPv4 header", ip4Addr(both)),
	num("ip.src", TypeIPv4, 0, NeedIP, "source IPv4 address", ip4Addr(src)),
	num("ip.dst", TypeIPv4, 0, NeedIP, "destination IPv4 address", ip4Addr(dst)),
	proto("ipv6", ProtoIPv6, "IPv6"),
	{Field: Field{Name: "ipv6.addr", Type: TypeIPv6, Desc: "source or destination IPv6 address, of every IPv6 header", Need: NeedIP}, ip6: ip6Addr(both)},
	{Field: Field{Name: "ipv6.src", Type: TypeIPv6, Desc: "source IPv6 address", Need: NeedIP}, ip6: ip6Addr(src)},
	{Field: Field{Name: "ipv6.dst", Type: TypeIPv6, Desc: "destination IPv6 address", Need: NeedIP}, ip6: ip6Addr(dst)},
	proto("icmp", ProtoICMP, "ICMP"),
	proto("icmpv6", ProtoICMPv6, "ICMPv6"),

	proto("tcp", ProtoTCP, "TCP"),
	num("tcp.port", TypeUint, 16, NeedPorts, "source or destination TCP port", tcpPort(both)),
	num("tcp.srcport", TypeUint, 16, NeedPorts, "source TCP port", tcpPort(src)),
	num("tcp.dstport", TypeUint, 16, NeedPorts, "destination TCP port", tcpPort(dst)),
	num("tcp.stream", TypeUint, 32, NeedStream, "TCP stream index, from 0, as Wireshark counts", tcpStream),
	num("tcp.flags", TypeUint, 16, NeedTCPFlags, "TCP flags as a number (0x002 SYN, 0x010 ACK...)", tcpFlags(0)),
	num("tcp.flags.syn", TypeBool, 0, NeedTCPFlags, "SYN flag", tcpFlags(decode.SYN)),
	num("tcp.flags.ack", TypeBool, 0, NeedTCPFlags, "ACK flag", tcpFlags(decode.ACK)),
	num("tcp.flags.fin", TypeBool, 0, NeedTCPFlags, "FIN flag", tcpFlags(decode.FIN)),
	num("tcp.flags.reset", TypeBool, 0, NeedTCPFlags, "RST flag", tcpFlags(decode.RST)),
	num("tcp.flags.push", TypeBool, 0, NeedTCPFlags, "PSH flag", tcpFlags(decode.PSH)),
	num("tcp.flags.urg", TypeBool, 0, NeedTCPFlags, "URG flag", tcpFlags(decode.URG)),
	num("tcp.flags.ece", TypeBool, 0, NeedTCPFlags, "ECE flag", tcpFlags(decode.ECE)),
	num("tcp.flags.cwr", TypeBool, 0, NeedTCPFlags, "CWR flag", tcpFlags(decode.CWR)),
	num("tcp.seq_raw", TypeUint, 32, NeedTCPSeq, "sequence number as sent (not relative)", tcpSeq(AbsentSeq)),
	num("tcp.ack_raw", TypeUint, 32, NeedTCPSeq, "acknowledgment number as sent (not relative)", tcpSeq(AbsentAck)),
	num("tcp.len", TypeUint, 32, NeedTCPSeq, "TCP payload length, in bytes", tcpSeq(AbsentLen)),
	{Field: Field{Name: "tcp.analysis.reused_ports", Type: TypeLabel, Desc: "Wireshark's \"TCP Port numbers reused\"", Need: NeedReused},
		has: func(f *Frame) bool { return f.Reused }},

	proto("udp", ProtoUDP, "UDP"),
	num("udp.port", TypeUint, 16, NeedPorts, "source or destination UDP port", ports(func(f *Frame) []Ports { return f.UDP }, both)),
	num("udp.srcport", TypeUint, 16, NeedPorts, "source UDP port", ports(func(f *Frame) []Ports { return f.UDP }, src)),
	num("udp.dstport", TypeUint, 16, NeedPorts, "destination UDP port", ports(func(f *Frame) []Ports { return f.UDP }, dst)),
	proto("sctp", ProtoSCTP, "SCTP"),
	num("sctp.port", TypeUint, 16, NeedPorts, "source or destination SCTP port", ports(func(f *Frame) []Ports { return f.SCTP }, both)),
	num("sctp.srcport", TypeUint, 16, NeedPorts, "source SCTP port", ports(func(f *Frame) []Ports { return f.SCTP }, src)),
	num("sctp.dstport", TypeUint, 16, NeedPorts, "destination SCTP port", ports(func(f *Frame) []Ports { return f.SCTP }, dst)),

	str("portlens.kind", "kind of a portlens finding, e.g. \"tcp.reused_ports\"", func(x *Finding) string { return x.Kind }),
	str("portlens.class", "class of a portlens finding, e.g. \"after-rst\"", func(x *Finding) string { return x.Class }),
	str("portlens.severity", "severity of a portlens finding: \"note\" or \"warning\"", func(x *Finding) string { return x.Severity }),
	num("portlens.finding", TypeUint, 32, NeedFindings, "number of a portlens finding on the frame", finding),
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

func one(get func(*Frame) int64) func(*Frame, int) (int64, slot) {
	return func(f *Frame, i int) (int64, slot) {
		if i > 0 {
			return 0, slotEnd
		}
		return get(f), slotHave
	}
}

func ethAddr(r role) func(*Frame, int) (int64, slot) {
	return func(f *Frame, i int) (int64, slot) {
		h, second := r.pick(i)
		if h >= len(f.Eth) {
			return 0, slotEnd
		}
		m := f.Eth[h].Src
		if second {
			m = f.Eth[h].Dst
		}
		return macValue(m), slotHave
	}
}

// macValue orders Ethernet addresses as their bytes do.
func macValue(m MAC) int64 {
	return int64(m[0])<<40 | int64(m[1])<<32 | int64(binary.BigEndian.Uint32(m[2:]))
}

func ip4Addr(r role) func(*Frame, int) (int64, slot) {
	return func(f *Frame, i int) (int64, slot) {
		h, second := r.pick(i)
		if h >= len(f.IPv4) {
			return 0, slotEnd
		}
		a := f.IPv4[h].Src
		if second {
			a = f.IPv4[h].Dst
		}
		return ip4Value(a), slotHave
	}
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

func tcpPort(r role) func(*Frame, int) (int64, slot) {
	return func(f *Frame, i int) (int64, slot) {
		h, second := r.pick(i)
		if h >= len(f.TCP) {
			return 0, slotEnd
		}
		if second {
			return int64(f.TCP[h].Dst), slotHave
		}
		return int64(f.TCP[h].Src), slotHave
	}
}

func ports(of func(*Frame) []Ports, r role) func(*Frame, int) (int64, slot) {
	return func(f *Frame, i int) (int64, slot) {
		p := of(f)
		h, second := r.pick(i)
		if h >= len(p) {
			return 0, slotEnd
		}
		if second {
			return int64(p[h].Dst), slotHave
		}
		return int64(p[h].Src), slotHave
	}
}

func tcpStream(f *Frame, i int) (int64, slot) {
	if i >= len(f.TCP) {
		return 0, slotEnd
	}
	if f.TCP[i].Stream < 0 {
		return 0, slotSkip
	}
	return int64(f.TCP[i].Stream), slotHave
}

// tcpFlags reads one flag as a boolean, or with bit 0 all flags as a number.
func tcpFlags(bit decode.TCPFlags) func(*Frame, int) (int64, slot) {
	return func(f *Frame, i int) (int64, slot) {
		if i >= len(f.TCP) {
			return 0, slotEnd
		}
		t := &f.TCP[i]
		switch {
		case t.Absent&AbsentFlags != 0:
			return 0, slotSkip
		case bit == 0:
			return int64(t.Flags), slotHave
		case t.Flags&bit != 0:
			return 1, slotHave
		}
		return 0, slotHave
	}
}

func tcpSeq(which TCPFields) func(*Frame, int) (int64, slot) {
	return func(f *Frame, i int) (int64, slot) {
		if i >= len(f.TCP) {
			return 0, slotEnd
		}
		t := &f.TCP[i]
		switch {
		case t.Absent&which != 0:
			return 0, slotSkip
		case which == AbsentSeq:
			return int64(t.Seq), slotHave
		case which == AbsentAck:
			return int64(t.Ack), slotHave
		}
		return int64(t.Len), slotHave
	}
}

func finding(f *Frame, i int) (int64, slot) {
	if i >= len(f.Findings) {
		return 0, slotEnd
	}
	return int64(f.Findings[i].Index), slotHave
}
