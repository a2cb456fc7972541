package main

// Byte-level edits for the captures that need what gopacket's serializers
// refuse to write: TCP headers with reserved bits, bogus data offsets or
// missing bytes, and IPv4 options with impossible lengths. Each edit fixes
// the lengths and checksums it disturbs, so the only oddity in a frame is
// the one it was built to have.

import "encoding/binary"

// inetChecksum is the Internet checksum (RFC 1071) of b, starting from sum.
func inetChecksum(b []byte, sum uint32) uint16 {
	for ; len(b) >= 2; b = b[2:] {
		sum += uint32(binary.BigEndian.Uint16(b))
	}
	if len(b) == 1 {
		sum += uint32(b[0]) << 8
	}
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	return ^uint16(sum)
}

// fixIPv4 sets the total length of an IPv4 packet to len(ip) and
// recomputes its header checksum.
func fixIPv4(ip []byte) []byte {
	hl := int(ip[0]&0x0f) * 4
	binary.BigEndian.PutUint16(ip[2:], uint16(len(ip)))
	ip[10], ip[11] = 0, 0
	binary.BigEndian.PutUint16(ip[10:], inetChecksum(ip[:hl], 0))
	return ip
}

// fixTCPv4 recomputes the TCP checksum of an IPv4 packet whose payload is
// a TCP segment long enough to hold the checksum field.
func fixTCPv4(ip []byte) []byte {
	hl := int(ip[0]&0x0f) * 4
	tcp := ip[hl:]
	if len(tcp) < 18 {
		return ip
	}
	var pseudo uint32
	for i := 12; i < 20; i += 2 {
		pseudo += uint32(binary.BigEndian.Uint16(ip[i:]))
	}
	pseudo += 6 + uint32(len(tcp))
	tcp[16], tcp[17] = 0, 0
	binary.BigEndian.PutUint16(tcp[16:], inetChecksum(tcp, pseudo))
	return ip
}

// editTCP serializes s over IPv4 and lets edit change the TCP segment
// (its header bytes, or its length by returning a shorter slice); the IP
// length and both checksums are then made consistent again.
func editTCP(s seg, edit func(tcp []byte) []byte) []byte {
	ip := s.bytes()
	hl := int(ip[0]&0x0f) * 4
	tcp := edit(append([]byte(nil), ip[hl:]...))
	out := append(append([]byte(nil), ip[:hl]...), tcp...)
	return fixTCPv4(fixIPv4(out))
}

// withIPv4Options serializes s over IPv4 with raw option bytes (padded to
// a multiple of 4 with end-of-options) inserted after the fixed header.
func withIPv4Options(s seg, opts []byte) []byte {
	ip := s.bytes()
	for len(opts)%4 != 0 {
		opts = append(opts, 0)
	}
	out := append(append(append([]byte(nil), ip[:20]...), opts...), ip[20:]...)
	out[0] = 0x40 | byte(5+len(opts)/4)
	return fixIPv4(out)
}

// fragment6 splits an IPv6 packet without extension headers into
// fragments carrying at most size bytes of its payload each (size a
// multiple of 8), all with identification id.
func fragment6(ip []byte, size int, id uint32) [][]byte {
	hdr, data := ip[:40], ip[40:]
	var out [][]byte
	for off := 0; off < len(data); off += size {
		end := min(off+size, len(data))
		fh := []byte{hdr[6], 0, 0, 0, 0, 0, 0, 0}
		word := uint16(off/8) << 3
		if end < len(data) {
			word |= 1 // more fragments
		}
		binary.BigEndian.PutUint16(fh[2:], word)
		binary.BigEndian.PutUint32(fh[4:], id)
		f := append(append(append([]byte(nil), hdr...), fh...), data[off:end]...)
		f[6] = 44 // next header: fragment
		binary.BigEndian.PutUint16(f[4:], uint16(len(f)-40))
		out = append(out, f)
	}
	return out
}
