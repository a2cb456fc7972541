package decode

import (
	"encoding/binary"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// Tunnels Wireshark decodes by default: the TCP header inside counts, with
// the innermost IP addresses.

// gre: flags and version, protocol, then the optional words its flags
// announce (checksum and offset, key, sequence number, PPTP's
// acknowledgement) and, with the routing flag, source route entries.
func gre(b []byte) (int, gopacket.LayerType, bool) {
	if len(b) < 4 {
		return 0, 0, false
	}
	flags := binary.BigEndian.Uint16(b)
	proto := binary.BigEndian.Uint16(b[2:])
	n := 4
	if flags&(greChecksum|greRouting) != 0 { // checksum and offset
		n += 4
	}
	for _, bit := range []uint16{greKey, greSequence} {
		if flags&bit != 0 {
			n += 4
		}
	}
	if flags&7 == 1 && flags&0x0080 != 0 { // PPTP (version 1) acknowledgement
		n += 4
	}
	if flags&greRouting != 0 {
		// Entries of address family, offset and length, up to a null one.
		for {
			if len(b) < n+4 {
				return 0, 0, false
			}
			af, sreLen := binary.BigEndian.Uint16(b[n:]), int(b[n+3])
			n += 4 + sreLen
			if af == 0 && sreLen == 0 {
				break
			}
		}
	}
	if len(b) < n {
		return 0, 0, false
	}
	skip, next := greNext(flags, proto, b[n:])
	return n + skip, next, len(b) >= n+skip
}

// GRE flag bits.
const (
	greChecksum = 0x8000
	greRouting  = 0x4000
	greKey      = 0x2000
	greSequence = 0x1000
)

// greNext is the layer for a GRE protocol type, given the flags and what
// follows the GRE header, and how many bytes to skip before it.
func greNext(flags, proto uint16, rest []byte) (skip int, next gopacket.LayerType) {
	switch {
	case proto == 0x883e: // WCCP: an optional 4-byte redirect header before IPv4
		if len(rest) > 0 && rest[0]>>4 != 4 {
			skip = 4
		}
		return skip, layers.LayerTypeIPv4
	case proto == 0x88be:
		// ERSPAN: type II (and III) headers come with a GRE sequence
		// number; without one it is type I, the mirrored frame directly.
		if flags&greSequence != 0 {
			return 0, layerERSPAN
		}
		return 0, layerEther
	case proto == 0x22eb: // ERSPAN type III: always a header
		return 0, layerERSPAN
	case arubaGRE(proto): // Aruba: 802.11 frames
		return 0, layerWLAN
	case proto == 0x880b: // PPP (PPTP)
		return 0, layerPPP
	}
	return 0, etherTypeLayer(proto)
}

// arubaGRE reports the protocol types Wireshark gives to Aruba's
// 802.11-in-GRE: 0x8200 to 0x8370 in steps of 0x10, and 0x9000. (The
// range between holds EtherTypes such as IPv6's 0x86DD.)
func arubaGRE(proto uint16) bool {
	return proto >= 0x8200 && proto <= 0x8370 && proto&0xf == 0 || proto == 0x9000
}

// erspan reads an ERSPAN header by its version: 1 (type II) is 8 bytes;
// 2 (type III) is 12, and 8 more with the optional platform subheader (O
// bit), and carries Ethernet only when its frame type is 0. Wireshark
// stops at any other version or frame type.
func erspan(b []byte) (int, gopacket.LayerType, bool) {
	if len(b) < 2 {
		return 0, 0, false
	}
	switch b[0] >> 4 {
	case 1:
		return 8, layerEther, len(b) >= 8
	case 2:
		if len(b) < 12 {
			return 0, 0, false
		}
		n, next := 12, layerEther
		if b[11]&1 != 0 { // platform-specific subheader
			n += 8
		}
		if frameType := binary.BigEndian.Uint16(b[10:]) >> 10 & 0x1f; frameType != 0 {
			next = gopacket.LayerTypeZero
		}
		return n, next, len(b) >= n
	}
	return 2, gopacket.LayerTypeZero, true
}

// wlan decodes an 802.11 data frame header (no FCS), then LLC/SNAP.
func wlan(b []byte) (int, gopacket.LayerType, bool) {
	if len(b) < 24 {
		return 0, 0, false
	}
	fc0, fc1 := b[0], b[1]
	if (fc0>>2)&3 != 2 { // not a data frame
		return 24, gopacket.LayerTypeZero, true
	}
	n := 24
	if fc1&3 == 3 { // to and from DS: a fourth address
		n += 6
	}
	qos := fc0&0x80 != 0
	amsdu := false
	if qos {
		if len(b) < n+2 {
			return 0, 0, false
		}
		amsdu = b[n]&0x80 != 0
		n += 2
		if fc1&0x80 != 0 { // +HTC
			n += 4
		}
	}
	if fc0&0x40 != 0 { // a null data frame carries nothing
		return n, gopacket.LayerTypeZero, true
	}
	if amsdu { // first A-MSDU subframe: DA, SA, length
		n += 14
	}
	return n, layerLLC, true
}

// gtpu decodes a GTPv1-U header; a G-PDU carries an IP packet.
func gtpu(b []byte) (int, gopacket.LayerType, bool) {
	if len(b) < 8 || b[0]>>5 != 1 {
		return 0, 0, false
	}
	n := 8
	if b[0]&0x07 != 0 { // E, S or PN: sequence, N-PDU and next extension type
		if len(b) < 12 {
			return 0, 0, false
		}
		n = 12
		for next := b[11]; next != 0; {
			if len(b) < n+1 || b[n] == 0 {
				return 0, 0, false
			}
			n += int(b[n]) * 4
			if len(b) < n {
				return 0, 0, false
			}
			next = b[n-1]
		}
	}
	if b[1] != 0xff {
		return n, gopacket.LayerTypeZero, true
	}
	return n, layerIPByNibble, true
}

// ayiya: identity and signature lengths in the first bytes, the next
// header in the fourth.
func ayiya(b []byte) (int, gopacket.LayerType, bool) {
	if len(b) < 8 {
		return 0, 0, false
	}
	n := 8 + 1<<(b[0]>>4) + int(b[1]>>4)*4
	if b[2]&0x0f != 1 { // only "forward" carries a packet
		return n, gopacket.LayerTypeZero, true
	}
	return n, ipProtocolLayer(layers.IPProtocol(b[3])), true
}

// teredo: optional authentication and origin indication, then IPv6.
func teredo(b []byte) (int, gopacket.LayerType, bool) {
	n := 0
	if len(b) >= 4 && b[0] == 0 && b[1] == 1 { // authentication
		n = 4 + int(b[2]) + int(b[3]) + 9
	}
	if len(b) >= n+8 && b[n] == 0 && b[n+1] == 0 { // origin indication
		n += 8
	}
	if len(b) <= n || b[n]>>4 != 6 {
		return 0, 0, false
	}
	return n, layers.LayerTypeIPv6, true
}
