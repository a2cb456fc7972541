package main

// fragmentEdges: IP fragments where reassembly rules decide where, and
// whether, a TCP header appears (epan/reassemble.c and packet-ip.c /
// packet-ipv6.c in Wireshark 4.4). Every case is a SYN of 20 header bytes
// and 20 data bytes (40 bytes of IP payload) from a port of its own; where
// it says "reuse", a connection on the same ports was reset first, so the
// SYN is flagged where Wireshark finds it.

import (
	"encoding/binary"
	"time"
)

// frag4 is a fragment of the IPv4 datagram whole carrying data at byte
// offset off of its payload (off a multiple of 8).
func frag4(whole []byte, off int, data []byte, more bool) []byte {
	f := append(append([]byte(nil), whole[:20]...), data...)
	word := uint16(off / 8)
	if more {
		word |= 0x2000
	}
	binary.BigEndian.PutUint16(f[6:], word)
	return fixIPv4(f)
}

// frag6 is a fragment of the IPv6 datagram whole (no extension headers)
// with identification id, carrying data at offset off, its fragment
// header naming next as the next header.
func frag6(whole []byte, off int, data []byte, more bool, id uint32, next byte) []byte {
	fh := []byte{next, 0, 0, 0, 0, 0, 0, 0}
	word := uint16(off/8) << 3
	if more {
		word |= 1
	}
	binary.BigEndian.PutUint16(fh[2:], word)
	binary.BigEndian.PutUint32(fh[4:], id)
	f := append(append(append([]byte(nil), whole[:40]...), fh...), data...)
	f[6] = 44
	binary.BigEndian.PutUint16(f[4:], uint16(len(f)-40))
	return f
}

// edgeSYN is the case's SYN: 20 header bytes, 20 bytes of data.
func edgeSYN(c *conn) []byte {
	s := c.syn()
	s.opts, s.payload = nil, payload(20, uint32(c.c.port))
	return s.bytes()
}

// edited returns a copy of b with the bytes at off replaced.
func edited(b []byte, off int, with ...byte) []byte {
	b = append([]byte(nil), b...)
	copy(b[off:], with)
	return b
}

func fragmentEdges() []pkt {
	var t timeline
	cl, sv := clientServer() // the client's address is private
	const vlan = 100
	at := func(gap time.Duration, ip []byte, vid uint16) {
		t.ip(gap, ip)
		t.pkts[len(t.pkts)-1].vlan = vid
	}
	// reused: a connection from port reset by the client, then a new one
	// (new ISNs) whose SYN the case fragments.
	reused := func(port uint16) *conn {
		c := newConn(endpoint{cl, port}, endpoint{sv, 443}, 0x11000000+uint32(port), 0x22000000+uint32(port))
		n := len(t.pkts)
		t.handshake(c, wan)
		t.tcp(time.Millisecond, c.rst(true))
		for i := n; i < len(t.pkts); i++ {
			t.pkts[i].vlan = vlan
		}
		t.wait(time.Second)
		return newConn(endpoint{cl, port}, endpoint{sv, 443}, 0x33000000+uint32(port), 0x44000000+uint32(port))
	}
	gap := 20 * time.Microsecond

	// 1. Bytes 8-15 twice: the copy at offset 8 came later but the one at 0
	// holds them first (its ACK and RST bits lose): the reuse SYN shows.
	ip := edgeSYN(reused(47401))
	p := ip[20:]
	at(0, frag4(ip, 0, p[:16], true), vlan)
	at(gap, frag4(ip, 8, edited(p[8:16], 5, 0x14), true), vlan) // flags RST+ACK
	at(gap, frag4(ip, 16, p[16:], false), vlan)

	// 2. Offset 0 twice: the first copy's source port stands.
	ip = edgeSYN(reused(47402))
	p = ip[20:]
	at(0, frag4(ip, 0, p[:16], true), vlan)
	at(gap, frag4(ip, 0, edited(p[:16], 0, 0xb9, 0x9b), true), vlan) // port 47515
	at(gap, frag4(ip, 16, p[16:], false), vlan)

	// 3. Two tails: the first says the datagram ends at 56, the second at
	// 40. The datagram is whole only when bytes 40-55 came too.
	ip = edgeSYN(reused(47403))
	p = ip[20:]
	pad := payload(8, 3)
	at(0, frag4(ip, 48, pad, false), vlan)
	at(gap, frag4(ip, 32, p[32:], false), vlan)
	at(gap, frag4(ip, 0, p[:32], true), vlan)
	at(gap, frag4(ip, 40, pad, true), vlan)

	// 4. An empty last fragment (IP total length 20) is no fragment to
	// Wireshark: the datagram ends with the real last one.
	ip = edgeSYN(reused(47404))
	p = ip[20:]
	at(0, frag4(ip, 0, p, true), vlan)
	at(gap, frag4(ip, 40, nil, false), vlan)
	at(gap, frag4(ip, 40, pad, false), vlan)

	// 5. A private address on two VLANs: two datagrams. The last fragment on
	// VLAN 200 completes nothing; sent again on VLAN 100 it does.
	ip = edgeSYN(reused(47405))
	p = ip[20:]
	at(0, frag4(ip, 0, p[:16], true), vlan)
	at(gap, frag4(ip, 16, p[16:], false), 200)
	at(gap, frag4(ip, 16, p[16:], false), vlan)

	// 6. Public addresses on two VLANs: one datagram.
	pub, pubSv := newHost("198.51.100.23", 64), newHost("203.0.113.20", 52)
	c := newConn(endpoint{pub, 47406}, endpoint{pubSv, 443}, 0x55000000, 0x66000000)
	ip = edgeSYN(c)
	p = ip[20:]
	at(time.Second, frag4(ip, 0, p[:16], true), vlan)
	at(gap, frag4(ip, 16, p[16:], false), 200)
	t.tcp(wan, c.synAck())
	t.pkts[len(t.pkts)-1].vlan = 200

	// 7. Protocol and identification XORed: a UDP datagram whose
	// identification is the SYN's XOR 6 XOR 17 is the same datagram to
	// Wireshark. Its last fragment completes it (as UDP, with the SYN's
	// first bytes); the SYN's own last fragment then starts another.
	ip = edgeSYN(reused(47407))
	p = ip[20:]
	udp := edited(ip, 9, 17)
	binary.BigEndian.PutUint16(udp[4:], binary.BigEndian.Uint16(ip[4:])^6^17)
	at(0, frag4(ip, 0, p[:16], true), vlan)
	at(gap, frag4(udp, 0, payload(16, 7), true), vlan)
	at(gap, frag4(udp, 16, payload(24, 9), false), vlan)
	at(gap, frag4(ip, 16, p[16:], false), vlan)

	// 8. IPv6: the next header differs between the fragment headers; the
	// identification alone keys them, and the last one's next header (TCP)
	// is the datagram's.
	cl6, sv6 := clientServer6()
	c6 := newConn(endpoint{cl6, 47408}, endpoint{sv6, 443}, 0x77000000, 0x88000000)
	ip = edgeSYN(c6)
	p = ip[40:]
	at(time.Second, frag6(ip, 0, p[:16], true, 0x0f0e, 17), vlan)
	at(gap, frag6(ip, 16, p[16:], false, 0x0f0e, 6), vlan)
	t.tcp(wan, c6.synAck())
	t.pkts[len(t.pkts)-1].vlan = vlan
	return t.pkts
}
