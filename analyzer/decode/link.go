package decode

import (
	"encoding/binary"
	"errors"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

var errShortHeader = errors.New("header longer than the captured data")

// headerFunc decodes one header: it returns the header's length and the
// layer that decodes what follows, or ok=false when data is not a valid
// header of this kind.
type headerFunc func(data []byte) (hlen int, next gopacket.LayerType, ok bool)

// simpleLayer turns a headerFunc into a gopacket DecodingLayer. Most link
// and tunnel headers only need "how long am I, what comes next".
type simpleLayer struct {
	typ     gopacket.LayerType
	fn      headerFunc
	next    gopacket.LayerType
	payload []byte
}

func (l *simpleLayer) CanDecode() gopacket.LayerClass    { return l.typ }
func (l *simpleLayer) NextLayerType() gopacket.LayerType { return l.next }
func (l *simpleLayer) LayerPayload() []byte              { return l.payload }

func (l *simpleLayer) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	hlen, next, ok := l.fn(data)
	if !ok || hlen > len(data) {
		df.SetTruncated()
		return errShortHeader
	}
	l.next, l.payload = next, data[hlen:]
	return nil
}

// linkLayers returns the link-layer and tunnel decoders; d receives the
// VLAN id of the outermost tag.
func (d *Decoder) linkLayers() []gopacket.DecodingLayer {
	fns := map[gopacket.LayerType]headerFunc{
		layerEther:      d.ethernet,
		layerVLAN:       d.vlan,
		layerLLC:        llc,
		layerPBB:        pbb,
		layerVNTag:      fixed(6, 4),
		layerETag:       fixed(8, 6), // 802.1BR: E-PCP, E-CIDs and extensions, then the EtherType
		layerCFP:        cfp,
		layerMPLS:       mpls,
		layerPPPoE:      pppoe,
		layerPPP:        ppp,
		layerSLL:        fixed(16, 14),
		layerSLL2:       fixed(20, 0),
		layerNull:       null,
		layerNFLOG:      nflog,
		layerARCNET:     arcnetLinux,
		layerARCNETBSD:  arcnetBSD,
		layerFDDI:       fddi,
		layerIPoIB:      fixed(44, 40),
		layerJuniper:    juniper,
		layerGRE:        gre,
		layerWLAN:       wlan,
		layerGTPU:       gtpu,
		layerAYIYA:      ayiya,
		layerTeredo:     teredo,
		layerERSPAN:     erspan,
		layerCHDLC:      fixed(4, 2),
		layerIPByNibble: func(b []byte) (int, gopacket.LayerType, bool) { return 0, byNibble(b), len(b) > 0 },
	}
	var out []gopacket.DecodingLayer
	for typ, fn := range fns {
		out = append(out, &simpleLayer{typ: typ, fn: fn})
	}
	return out
}

// fixed is a header of n bytes whose EtherType sits at typeAt.
func fixed(n, typeAt int) headerFunc {
	return func(b []byte) (int, gopacket.LayerType, bool) {
		if len(b) < n {
			return 0, 0, false
		}
		return n, etherTypeLayer(binary.BigEndian.Uint16(b[typeAt:])), true
	}
}

func (d *Decoder) ethernet(b []byte) (int, gopacket.LayerType, bool) {
	if len(b) < 14 {
		return 0, 0, false
	}
	if !d.sampling && d.nEthers < len(d.ethers) {
		d.ethers[d.nEthers] = [12]byte(b[:12])
		d.nEthers++
	}
	t := binary.BigEndian.Uint16(b[12:])
	if t <= 1500 { // an 802.3 length: LLC follows
		return 14, layerLLC, true
	}
	return 14, etherTypeLayer(t), true
}

func (d *Decoder) vlan(b []byte) (int, gopacket.LayerType, bool) {
	if len(b) < 4 {
		return 0, 0, false
	}
	if d.pkt.VLAN < 0 {
		d.pkt.VLAN = int(binary.BigEndian.Uint16(b) & 0x0fff)
	}
	t := binary.BigEndian.Uint16(b[2:])
	if t <= 1500 {
		return 4, layerLLC, true
	}
	return 4, etherTypeLayer(t), true
}

// llc decodes 802.2 LLC; only SNAP with an EtherType leads further.
func llc(b []byte) (int, gopacket.LayerType, bool) {
	if len(b) < 3 {
		return 0, 0, false
	}
	if b[0] == 0xaa && b[1] == 0xaa && b[2] == 0x03 && len(b) >= 8 {
		return 8, etherTypeLayer(binary.BigEndian.Uint16(b[6:])), true
	}
	return 3, gopacket.LayerTypeZero, true
}

// pbb is 802.1ah: a 4-byte I-TAG, then the customer's Ethernet header.
func pbb(b []byte) (int, gopacket.LayerType, bool) {
	if len(b) < 18 {
		return 0, 0, false
	}
	return 18, etherTypeLayer(binary.BigEndian.Uint16(b[16:])), true
}

// cfp is Cisco FabricPath: 2 bytes of FTag/TTL, then a classic Ethernet frame.
func cfp(b []byte) (int, gopacket.LayerType, bool) {
	return 2, layerEther, len(b) >= 2
}

// mpls skips the label stack; what follows has no type field, so the
// version nibble decides, as Wireshark's heuristics do for IP.
func mpls(b []byte) (int, gopacket.LayerType, bool) {
	for n := 0; n+4 <= len(b); n += 4 {
		if b[n+2]&1 == 1 { // bottom of stack
			return n + 4, layerIPByNibble, true
		}
	}
	return 0, 0, false
}

func pppoe(b []byte) (int, gopacket.LayerType, bool) {
	return 6, layerPPP, len(b) >= 6 && b[1] == 0 // code 0: session data
}

func ppp(b []byte) (int, gopacket.LayerType, bool) {
	n := 0
	if len(b) >= 2 && b[0] == 0xff && b[1] == 0x03 { // HDLC address and control
		n = 2
	}
	if len(b) < n+1 {
		return 0, 0, false
	}
	proto := uint16(b[n])
	if proto&1 == 0 { // two-byte protocol unless compressed
		if len(b) < n+2 {
			return 0, 0, false
		}
		proto = binary.BigEndian.Uint16(b[n:])
		n++
	}
	n++
	switch proto {
	case 0x21:
		return n, layers.LayerTypeIPv4, true
	case 0x57:
		return n, layers.LayerTypeIPv6, true
	case 0x281, 0x283:
		return n, layerMPLS, true
	}
	return n, gopacket.LayerTypeZero, true
}

// null is BSD loopback: a 4-byte address family in the writer's byte order.
func null(b []byte) (int, gopacket.LayerType, bool) {
	if len(b) < 4 {
		return 0, 0, false
	}
	fam := binary.LittleEndian.Uint32(b)
	if fam > 0xffff {
		fam = binary.BigEndian.Uint32(b)
	}
	switch fam {
	case 2:
		return 4, layers.LayerTypeIPv4, true
	case 10, 24, 28, 30:
		return 4, layers.LayerTypeIPv6, true
	}
	return 4, gopacket.LayerTypeZero, true
}

// nflog is Linux NFLOG: a 4-byte header then TLVs (host byte order); the
// payload TLV (type 9) holds the IP packet.
func nflog(b []byte) (int, gopacket.LayerType, bool) {
	if len(b) < 4 {
		return 0, 0, false
	}
	for n := 4; n+4 <= len(b); {
		tlen := int(binary.LittleEndian.Uint16(b[n:]))
		typ := binary.LittleEndian.Uint16(b[n+2:])
		if tlen < 4 {
			return 0, 0, false
		}
		if typ == 9 {
			return n + 4, layerIPByNibble, true
		}
		n += (tlen + 3) &^ 3
	}
	return len(b), gopacket.LayerTypeZero, true
}

// arcnetLinux: source, destination, 2-byte offset, then the protocol id.
func arcnetLinux(b []byte) (int, gopacket.LayerType, bool) {
	if len(b) < 5 {
		return 0, 0, false
	}
	n, next, ok := arcnetBSD(b[2:])
	return n + 2, next, ok
}

// arcnetBSD: source, destination, protocol id; RFC 1201 protocols add a
// split flag and a sequence number.
func arcnetBSD(b []byte) (int, gopacket.LayerType, bool) {
	if len(b) < 3 {
		return 0, 0, false
	}
	switch b[2] {
	case 0xf0: // RFC 1051 IP
		return 3, layers.LayerTypeIPv4, true
	case 0xd4, 0xc4: // RFC 1201 IP, IPv6
		n := 6
		if len(b) > 3 && b[3] == 0xff { // exception packet: 4 bytes of padding
			n += 4
		}
		if b[2] == 0xc4 {
			return n, layers.LayerTypeIPv6, true
		}
		return n, layers.LayerTypeIPv4, true
	}
	return 3, gopacket.LayerTypeZero, true
}

// fddi: frame control, destination and source addresses, then LLC.
func fddi(b []byte) (int, gopacket.LayerType, bool) {
	return 13, layerLLC, len(b) >= 13
}

// juniper: "MGC", flags, an optional extension block, then Ethernet (or
// IP directly when the no-L2 flag is set).
func juniper(b []byte) (int, gopacket.LayerType, bool) {
	if len(b) < 4 || b[0] != 'M' || b[1] != 'G' || b[2] != 'C' {
		return 0, 0, false
	}
	n := 4
	if b[3]&0x80 != 0 {
		if len(b) < 6 {
			return 0, 0, false
		}
		n = 6 + int(binary.BigEndian.Uint16(b[4:]))
	}
	if b[3]&0x02 != 0 {
		return n, layerIPByNibble, true
	}
	return n, layerEther, true
}
