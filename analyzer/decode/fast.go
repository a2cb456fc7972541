package decode

import (
	"encoding/binary"
	"net/netip"

	"github.com/gopacket/gopacket"
	"github.com/portlens/portlens/analyzer/capture"
)

// The fast path decodes the frames that make up nearly every capture
// (Ethernet, SLL, loopback or raw IP; at most two VLAN tags; one IPv4 or
// IPv6 header that is not a fragment; TCP, or UDP that is no tunnel)
// straight from the bytes. Going through the DecodingLayerParser costs an
// interface call and a layer lookup per header plus gopacket's bookkeeping,
// which dominates decoding (and is several times slower in js/wasm).
//
// It must give exactly the Packet the parser path gives, so it accepts a
// frame only when every check the parser's layers make passes, and it
// reports false for anything else (tunnels, ICMP, fragments, extension
// headers, LLC, malformed or truncated headers...), whatever it has
// written to p: the parser path then decodes the frame from scratch.
// FuzzFastPathEqualsParser and TestFastPathEqualsParser hold the two
// paths to the same answers.

// maxFastVLANTags is how many 802.1Q/802.1ad tags the fast path skips;
// deeper stacks are rare enough to leave to the parser.
const maxFastVLANTags = 2

// decodeFast fills p from a common frame and reports whether it did.
func decodeFast(link capture.LinkType, data []byte, p *Packet) bool {
	vlan := -1
	var etype uint16
	switch link {
	case capture.LinkEthernet:
		if len(data) < 14 {
			return false
		}
		etype, data = binary.BigEndian.Uint16(data[12:]), data[14:]
	case capture.LinkLinuxSLL:
		if len(data) < 16 {
			return false
		}
		etype, data = binary.BigEndian.Uint16(data[14:]), data[16:]
	case capture.LinkLinuxSLL2:
		if len(data) < 20 {
			return false
		}
		etype, data = binary.BigEndian.Uint16(data[0:]), data[20:]
	case capture.LinkNull, capture.LinkLoop:
		if len(data) < 4 {
			return false
		}
		// The address family is in the writer's byte order (null in link.go).
		fam := binary.LittleEndian.Uint32(data)
		if fam > 0xffff {
			fam = binary.BigEndian.Uint32(data)
		}
		switch fam {
		case 2:
			etype = 0x0800
		case 10, 24, 28, 30:
			etype = 0x86dd
		default:
			return false
		}
		data = data[4:]
	case capture.LinkIPv4:
		etype = 0x0800
	case capture.LinkIPv6:
		etype = 0x86dd
	case capture.LinkRaw, capture.LinkRaw12, capture.LinkRaw14:
		// As firstLayer: version 6 is IPv6, anything else is tried as IPv4
		// (and then refused by the version check below).
		etype = 0x0800
		if len(data) > 0 && data[0]>>4 == 6 {
			etype = 0x86dd
		}
	default:
		return false
	}
	for range maxFastVLANTags {
		if etype != 0x8100 && etype != 0x88a8 && etype != 0x9100 && etype != 0x9200 {
			break
		}
		if len(data) < 4 {
			return false
		}
		if vlan < 0 { // the outermost tag's id, as Decoder.vlan keeps
			vlan = int(binary.BigEndian.Uint16(data) & 0x0fff)
		}
		etype, data = binary.BigEndian.Uint16(data[2:]), data[4:]
	}
	switch etype {
	case 0x0800:
		return fastIPv4(data, vlan, p)
	case 0x86dd:
		return fastIPv6(data, vlan, p)
	}
	return false
}

// fastIPv4 mirrors ipv4Layer (parseIPv4) for a datagram that is not a
// fragment.
func fastIPv4(b []byte, vlan int, p *Packet) bool {
	if len(b) < 20 || b[0]>>4 != 4 {
		return false
	}
	ihl := int(b[0] & 0x0f)
	length := int(binary.BigEndian.Uint16(b[2:]))
	field := length // the IPv4 layer's Length, which the payload length uses
	if length == 0 {
		// TCP segmentation offload: gopacket takes the captured length,
		// clamped to 16 bits in the field.
		length = len(b)
		field = min(length, 0xffff)
	}
	hlen := ihl * 4
	if length < 20 || ihl < 5 || hlen > length || hlen > len(b) {
		return false
	}
	if b[6]&0x3f != 0 || b[7] != 0 { // MF or a fragment offset
		return false
	}
	dst := netip.AddrFrom4([4]byte(b[16:20]))
	if hlen > 20 {
		route, routed, ok := ipv4Options(b[20:hlen])
		if !ok {
			return false
		}
		if routed {
			dst = netip.AddrFrom4(route)
		}
	}
	payload := b[hlen:min(len(b), length)]
	claimed := field - hlen
	if !fastTransport(b[9], payload, claimed, p) {
		return false
	}
	src := netip.AddrFrom4([4]byte(b[12:16]))
	p.setIP(4, src, dst, b[8], uint32(binary.BigEndian.Uint16(b[4:])), vlan)
	return true
}

// fastIPv6 mirrors ipv6Layer and gopacket's IPv6.DecodeFromBytes for a
// header followed directly by TCP or UDP (no extension headers, which
// includes no hop-by-hop jumbogram, so a zero length is refused).
func fastIPv6(b []byte, vlan int, p *Packet) bool {
	if len(b) < 40 || b[0]>>4 != 6 {
		return false
	}
	plen := int(binary.BigEndian.Uint16(b[4:]))
	if plen == 0 {
		return false
	}
	payload := b[40:min(len(b), 40+plen)]
	if !fastTransport(b[6], payload, plen, p) {
		return false
	}
	src, dst := netip.AddrFrom16([16]byte(b[8:24])), netip.AddrFrom16([16]byte(b[24:40]))
	p.setIP(6, src, dst, b[7], 0, vlan)
	return true
}

// fastTransport mirrors tcpLayer and udpLayer for the transport header at
// the very start of the IP payload (so its offset in ipPayload is 0);
// claimed is the IP payload length the IP header states. It writes every
// transport field of p (setIP writes the others), which costs less than
// clearing the whole 192-byte Packet first, and only once its checks
// pass (a refused frame goes to the parser path, which resets p anyway).
func fastTransport(proto uint8, seg []byte, claimed int, p *Packet) bool {
	switch proto {
	case 6:
		if len(seg) < 20 {
			return false
		}
		// As tcpLayer: a bogus header length counts as 20.
		off := int(seg[12]>>4) * 4
		hlen := max(20, off)
		p.Options = TCPOptions{}
		if hlen > 20 {
			parseTCPOptions(seg[20:min(hlen, len(seg))], &p.Options)
		}
		p.Transport = TCP
		p.SrcPort = binary.BigEndian.Uint16(seg[0:2])
		p.DstPort = binary.BigEndian.Uint16(seg[2:4])
		p.Seq = binary.BigEndian.Uint32(seg[4:8])
		p.Ack = binary.BigEndian.Uint32(seg[8:12])
		p.Flags = TCPFlags(seg[13]) | TCPFlags(seg[12]&1)<<8
		p.Window = binary.BigEndian.Uint16(seg[14:16])
		p.PayloadLen = max(0, claimed-hlen)
		p.TCPSegLen = int32(claimed - off)
		p.TCPHeader = tcpHeaderState(off, len(seg))
		return true
	case 17:
		if len(seg) < 8 {
			return false
		}
		src := binary.BigEndian.Uint16(seg[0:2])
		dst := binary.BigEndian.Uint16(seg[2:4])
		// A bogus length (the parser stops there, or fails below 8) and the
		// ports of a tunnel (more headers follow) are the parser's.
		if binary.BigEndian.Uint16(seg[4:6]) < 8 || udpPortLayer(src, dst) != gopacket.LayerTypeZero {
			return false
		}
		p.Transport = UDP
		p.SrcPort, p.DstPort = src, dst
		p.Flags, p.Seq, p.Ack, p.Window, p.Options = 0, 0, 0, 0, TCPOptions{}
		p.PayloadLen, p.TCPHeader, p.TCPSegLen = max(0, claimed-8), HeaderWhole, 0
		return true
	}
	return false
}

// setIP writes the fields of p that fastTransport does not: those of the
// one IP header (also the outer addresses, as sawIP does for the first
// header), and the zero values of what the fast path never sees. A field
// added to Packet must be added here (TestFastPathEqualsParser reuses one
// Packet across frames, so a stale field shows up as a difference).
func (p *Packet) setIP(version uint8, src, dst netip.Addr, ttl uint8, ipid uint32, vlan int) {
	p.IPVersion = version
	p.Src, p.Dst = src, dst
	p.OuterSrc, p.OuterDst = src, dst
	p.TTL, p.IPID = ttl, ipid
	p.SCTPChunk, p.SCTPVerTag, p.SCTPInitiateTag = 0, 0, 0
	p.ICMPType, p.ICMPCode = 0, 0
	p.InICMPError, p.Sampled, p.Tunnelled, p.Fragment, p.Reassembled = false, false, false, false, false
	p.VLAN = vlan
}
