package decode

import (
	"encoding/binary"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// Tunnels Wireshark decodes by default: the TCP header inside counts, with
// the innermost IP addresses.

// gre: flags and version, protocol, then optional checksum, key and
// sequence words (and PPTP's acknowledgement).
func gre(b []byte) (int, gopacket.LayerType, bool) {
	if len(b) < 4 {
		return 0, 0, false
	}
	flags := binary.BigEndian.Uint16(b)
	proto := binary.BigEndian.Uint16(b[2:])
	n := 4
	for _, bit := range []uint16{0x8000, 0x2000, 0x1000} { // C, K, S
		if flags&bit != 0 {
			n += 4
		}
	}
	if flags&7 == 1 && flags&0x0080 != 0 { // PPTP (version 1) acknowledgement
		n += 4
	}
	if len(b) < n {
		return 0, 0, false
	}
	switch {
	case proto == 0x883e: // WCCP: an optional 4-byte redirect header before IPv4
		if len(b) > n && b[n]>>4 != 4 {
			n += 4
		}
		return n, layers.LayerTypeIPv4, true
	case proto >= 0x8200 && proto <= 0x9000: // Aruba: 802.11 frames
		return n, layerWLAN, true
	case proto == 0x88be: // ERSPAN type II
		return n, layerERSPAN, true
	case proto == 0x880b: // PPP (PPTP)
		return n, layerPPP, true
	}
	return n, etherTypeLayer(proto), true
}

// erspan type II: 8 bytes of header, then the mirrored Ethernet frame.
func erspan(b []byte) (int, gopacket.LayerType, bool) {
	return 8, layerEther, len(b) >= 8
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

// sflow decodes an sFlow v5 datagram down to the first sampled packet
// header of an Ethernet frame, which Wireshark dissects like a packet.
func sflow(b []byte) (int, gopacket.LayerType, bool) {
	if len(b) < 8 || binary.BigEndian.Uint32(b) != 5 {
		return 0, 0, false
	}
	n := 8
	switch binary.BigEndian.Uint32(b[4:]) { // agent address type
	case 1:
		n += 4
	case 2:
		n += 16
	default:
		return 0, 0, false
	}
	n += 12 // sub-agent id, sequence number, uptime
	if len(b) < n+4 {
		return 0, 0, false
	}
	samples := int(binary.BigEndian.Uint32(b[n:]))
	n += 4
	for i := 0; i < samples && n+8 <= len(b); i++ {
		format := binary.BigEndian.Uint32(b[n:]) & 0xfff
		length := int(binary.BigEndian.Uint32(b[n+4:]))
		body := b[n+8 : min(len(b), n+8+length)]
		if off, ok := sflowSample(format, body); ok {
			return n + 8 + off, layerEther, true
		}
		n += 8 + length
	}
	return len(b), gopacket.LayerTypeZero, true
}

// sflowSample finds a raw Ethernet header record in a flow sample (format
// 1) or an expanded flow sample (format 3).
func sflowSample(format uint32, b []byte) (int, bool) {
	var n int
	switch format {
	case 1:
		n = 32
	case 3:
		n = 44
	default:
		return 0, false
	}
	if len(b) < n {
		return 0, false
	}
	records := int(binary.BigEndian.Uint32(b[n-4:]))
	for i := 0; i < records && n+8 <= len(b); i++ {
		rformat := binary.BigEndian.Uint32(b[n:]) & 0xfff
		rlen := int(binary.BigEndian.Uint32(b[n+4:]))
		if rformat == 1 && n+24 <= len(b) && binary.BigEndian.Uint32(b[n+8:]) == 1 {
			return n + 24, true // header protocol 1: Ethernet
		}
		n += 8 + rlen
	}
	return 0, false
}
