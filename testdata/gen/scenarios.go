package main

// The Wireshark set: captures whose expected results come from Wireshark
// (testdata/captures/expected.jsonl). This file holds the rule scenarios;
// variants.go holds the same kind of traffic in other encapsulations and
// file formats.

import "time"

func wiresharkCaptures() []capture {
	return append([]capture{
		{name: "seed-rst-storm.pcap", desc: "SYN refused by RST/ACK five times, 500 ms apart, new ISN each time", build: rstStorm(false)},
		{name: "seed-rst-storm-same-isn.pcap", desc: "the RST storm with the same ISN every time (RST seen, so still reuse)", build: rstStorm(true)},
		{name: "seed-fin-then-syn-2h.pcap", desc: "connection closed by FIN, new SYN from the same client port 2 hours later", build: finThenSYN2h},
		{name: "seed-synack-missing-syn.pcap", desc: "SYN, SYN/ACK, SYN (new ISN), SYN/ACK, SYN/ACK answering an uncaptured SYN", build: synAckMissingSYN},
		{name: "seed-ack-then-synack.pcap", desc: "SYN, SYN/ACK, ACK, then a SYN/ACK with a new seq (its SYN not captured)", build: ackThenSynAck},
		{name: "syn-retransmissions.pcap", desc: "SYN sent three times with one ISN, SYN/ACK twice, no RST/FIN before: nothing reused", build: synRetransmissions},
		{name: "same-isn-after-rst.pcap", desc: "connection aborted by RST, new SYN with the same ISN 3 s later", build: sameISNAfter(true)},
		{name: "same-isn-after-fin.pcap", desc: "connection closed by FIN, new SYN with the same ISN 30 s later", build: sameISNAfter(false)},
		{name: "simultaneous-open.pcap", desc: "simultaneous open (SYN both ways), FIN close, then a second simultaneous open", build: simultaneousOpen},
		{name: "reverse-direction-reuse.pcap", desc: "peer B:51413 -> A:6881 closed, then A:6881 opens toward B:51413", build: reverseReuse},
		{name: "mid-connection-start.pcap", desc: "capture starts mid-connection (no SYN), later a new SYN from the same client port", build: midConnection},
		{name: "out-of-order-timestamps.pcap", desc: "refused SYNs whose timestamps go backwards: frame order counts", build: outOfOrder},
		{name: "ipv6-extension-headers.pcap", desc: "IPv6, client packets with hop-by-hop + destination options before TCP; reuse after RST", build: ipv6Ext},
		{name: "mixed-protocols.pcap", desc: "DNS over UDP, TCP 5060 refused, SCTP INIT/INIT-ACK and UDP on 5060, then TCP 5060 again", build: mixedProtocols},
	}, append(variantCaptures(), longtailCaptures()...)...)
}

// Addresses used throughout (documentation ranges).
func clientServer() (*host, *host) {
	return newHost("192.168.1.23", 64), newHost("203.0.113.10", 52)
}

func clientServer6() (*host, *host) {
	return newHost("2001:db8:1::23", 64), newHost("2001:db8:2::10", 56)
}

// rstStorm: a client bound to port 40312 retries a closed port 8080.
func rstStorm(sameISN bool) func() []pkt {
	return func() []pkt {
		cl, sv := clientServer()
		var t timeline
		for i := range 5 {
			isn := uint32(0x1c2d3e4f)
			if !sameISN {
				isn += uint32(i) * 0x2f00ab17
			}
			c := newConn(endpoint{cl, 40312}, endpoint{sv, 8080}, isn, 0)
			t.tcp(0, c.syn())
			t.tcp(wan, c.refuse())
			t.wait(500*time.Millisecond - wan)
		}
		return t.pkts
	}
}

// finThenSYN2h: an HTTPS exchange closed by the client, and the same client
// port two hours later.
func finThenSYN2h() []pkt {
	cl, sv := clientServer()
	var t timeline
	c := newConn(endpoint{cl, 51514}, endpoint{sv, 443}, 0x5a17c3e1, 0x9b20d4f2)
	t.handshake(c, wan)
	t.request(c, wan, 517, 1400)
	t.closeBy(c, true, wan)
	t.wait(2 * time.Hour)
	c = newConn(endpoint{cl, 51514}, endpoint{sv, 443}, 0x07e9a2b4, 0x3c4d5e6f)
	t.handshake(c, wan)
	t.request(c, wan, 517, 1400)
	t.closeBy(c, true, wan)
	return t.pkts
}

func synAckMissingSYN() []pkt {
	cl, sv := clientServer()
	var t timeline
	c1 := newConn(endpoint{cl, 45000}, endpoint{sv, 80}, 1000, 50000)
	c2 := newConn(endpoint{cl, 45000}, endpoint{sv, 80}, 2000, 60000)
	c3 := newConn(endpoint{cl, 45000}, endpoint{sv, 80}, 3000, 70000) // its SYN is not captured
	t.tcp(0, c1.syn())
	t.tcp(wan, c1.synAck())
	t.tcp(time.Second, c2.syn())
	t.tcp(wan, c2.synAck())
	t.tcp(time.Second+wan, c3.synAck())
	return t.pkts
}

func ackThenSynAck() []pkt {
	cl, sv := clientServer()
	var t timeline
	c1 := newConn(endpoint{cl, 45001}, endpoint{sv, 80}, 1000, 50000)
	c2 := newConn(endpoint{cl, 45001}, endpoint{sv, 80}, 2000, 60000) // its SYN is not captured
	t.handshake(c1, wan)
	t.tcp(time.Second+wan, c2.synAck())
	return t.pkts
}

// synRetransmissions: Linux retries the SYN after 1 s and 2 s more; the
// server's SYN/ACK is retransmitted once because the first ACK was lost.
func synRetransmissions() []pkt {
	cl, sv := clientServer()
	var t timeline
	c := newConn(endpoint{cl, 52100}, endpoint{sv, 443}, 0x6d1e2f30, 0xa1b2c3d4)
	t.tcp(0, c.syn())
	t.tcp(time.Second, c.syn())
	t.tcp(2*time.Second, c.syn())
	t.tcp(wan, c.synAck())
	t.tcp(time.Second, c.synAck())
	t.tcp(40*time.Microsecond, c.ack(true))
	t.request(c, wan, 517, 2800)
	t.closeBy(c, false, wan)
	return t.pkts
}

// sameISNAfter: a connection ends (RST or FIN) and the client's next SYN
// from the same port carries the same ISN. 4.4 flags it; 4.0 does not.
func sameISNAfter(byRST bool) func() []pkt {
	return func() []pkt {
		cl, sv := clientServer()
		var t timeline
		c := newConn(endpoint{cl, 50022}, endpoint{sv, 22}, 0x11223344, 0x55667788)
		t.handshake(c, wan)
		t.request(c, wan, 41, 41)
		gap := 30 * time.Second
		if byRST {
			t.tcp(time.Millisecond, c.rst(true))
			gap = 3 * time.Second
		} else {
			t.closeBy(c, true, wan)
		}
		t.wait(gap)
		c = newConn(endpoint{cl, 50022}, endpoint{sv, 22}, 0x11223344, 0x99aabbcc)
		t.handshake(c, wan)
		t.request(c, wan, 41, 41)
		t.closeBy(c, true, wan)
		return t.pkts
	}
}

// simultaneousOpen: two peers punching through NAT open toward each other at
// once, close, and do it again with new ISNs.
func simultaneousOpen() []pkt {
	a, b := newHost("198.51.100.7", 64), newHost("203.0.113.44", 49)
	var t timeline
	for i, isn := range []uint32{0x0badcafe, 0x7e57ab1e} {
		c := newConn(endpoint{a, 40000}, endpoint{b, 50000}, isn, isn^0x5a5a5a5a)
		if i > 0 {
			t.wait(10 * time.Second)
		}
		t.tcp(0, c.syn())
		t.tcp(2*time.Millisecond, c.synFromServer())
		t.tcp(wan/2, c.synAckFromClient())
		t.tcp(2*time.Millisecond, c.synAck())
		t.request(c, wan, 120, 120)
		t.closeBy(c, true, wan)
	}
	return t.pkts
}

// reverseReuse: peer B connects to A, closes; later A's port 6881 connects
// back to B's port 51413 (the same unordered pair, the roles swapped).
func reverseReuse() []pkt {
	a, b := newHost("198.51.100.7", 64), newHost("203.0.113.44", 49)
	var t timeline
	c := newConn(endpoint{b, 51413}, endpoint{a, 6881}, 0x21436587, 0xa9cbedf0)
	t.handshake(c, wan)
	t.request(c, wan, 68, 68)
	t.closeBy(c, true, wan)
	t.wait(20 * time.Second)
	c = newConn(endpoint{a, 6881}, endpoint{b, 51413}, 0x31415926, 0x27182818)
	t.handshake(c, wan)
	t.request(c, wan, 68, 68)
	t.closeBy(c, false, wan)
	return t.pkts
}

// midConnection: the capture starts inside a download (no SYN); the
// connection goes silent (NAT state dropped) and 90 s later the client
// opens a new one from the same port. No RST or FIN: the new ISN alone
// differs from the base inferred from the first packets.
func midConnection() []pkt {
	cl, sv := clientServer()
	var t timeline
	c := newConn(endpoint{cl, 48211}, endpoint{sv, 80}, 0x40302010, 0x80706050)
	c.cnxt += 180
	c.snxt += 1448 * 40
	t.tcp(0, c.data(false, 1448))
	t.tcp(50*time.Microsecond, c.data(false, 1448))
	t.tcp(40*time.Microsecond, c.ack(true))
	t.tcp(wan, c.data(false, 1448))
	t.tcp(40*time.Microsecond, c.ack(true))
	t.wait(90 * time.Second)
	c = newConn(endpoint{cl, 48211}, endpoint{sv, 80}, 0x0f1e2d3c, 0x4b5a6978)
	t.handshake(c, wan)
	t.request(c, wan, 180, 1448)
	t.closeBy(c, true, wan)
	return t.pkts
}

// outOfOrder: three refused connection attempts; the second pair carries
// timestamps earlier than the first (a merged capture with clock skew).
func outOfOrder() []pkt {
	cl, sv := clientServer()
	var t timeline
	for i := range 3 {
		c := newConn(endpoint{cl, 40400}, endpoint{sv, 3306}, 0x600d0000+uint32(i)*0x01010101, 0)
		t.tcp(time.Second, c.syn())
		t.tcp(wan, c.refuse())
	}
	t.pkts[2].at -= 1500 * time.Millisecond
	t.pkts[3].at -= 1500 * time.Millisecond
	return t.pkts
}

// reuseAfterRST is the common body of the encapsulation variants: a
// request, an abort by the client, and a new connection from the same port
// 2 s later. It returns the index of the new connection's SYN.
func reuseAfterRST(t *timeline, cl, sv *host, cport, sport uint16) (reuse int) {
	c := newConn(endpoint{cl, cport}, endpoint{sv, sport}, 0x2a3b4c5d, 0x6e7f8091)
	t.handshake(c, wan)
	t.request(c, wan, 300, 900)
	t.tcp(time.Millisecond, c.rst(true))
	t.wait(2 * time.Second)
	reuse = len(t.pkts)
	c = newConn(endpoint{cl, cport}, endpoint{sv, sport}, 0x3c4d5e6f, 0x708192a3)
	t.handshake(c, wan)
	t.request(c, wan, 300, 900)
	t.closeBy(c, true, wan)
	return reuse
}

// reuseAfterFIN: the same with a FIN close by the server first.
func reuseAfterFIN(t *timeline, cl, sv *host, cport, sport uint16) (reuse int) {
	c := newConn(endpoint{cl, cport}, endpoint{sv, sport}, 0x0a0b0c0d, 0x1a1b1c1d)
	t.handshake(c, wan)
	t.request(c, wan, 300, 900)
	t.closeBy(c, false, wan)
	t.wait(5 * time.Second)
	reuse = len(t.pkts)
	c = newConn(endpoint{cl, cport}, endpoint{sv, sport}, 0x2a2b2c2d, 0x3a3b3c3d)
	t.handshake(c, wan)
	t.request(c, wan, 300, 900)
	t.closeBy(c, true, wan)
	return reuse
}

func ipv6Ext() []pkt {
	cl, sv := clientServer6()
	cl.v6ext = true
	var t timeline
	reuseAfterRST(&t, cl, sv, 46000, 443)
	return t.pkts
}

// mixedProtocols: a DNS lookup, then TCP, SCTP and UDP on port 5060 between
// the same two hosts. Only the second TCP SYN is a reuse.
func mixedProtocols() []pkt {
	cl, sv := clientServer()
	dns := newHost("192.168.1.1", 64)
	var t timeline
	q := dnsQuery(0x4d2e, "sip.example.net")
	t.ip(0, udp(endpoint{cl, 53211}, endpoint{dns, 53}, q))
	t.ip(4*time.Millisecond, udp(endpoint{dns, 53}, endpoint{cl, 53211}, dnsAnswer(q, sv.ip.AsSlice())))
	c := newConn(endpoint{cl, 5060}, endpoint{sv, 5060}, 0x51d0c0de, 0)
	t.tcp(time.Millisecond, c.syn())
	t.tcp(wan, c.refuse())
	t.ip(100*time.Millisecond, sctpInit(endpoint{cl, 5060}, endpoint{sv, 5060}, 0x1eaf0001, false))
	t.ip(wan, sctpInit(endpoint{sv, 5060}, endpoint{cl, 5060}, 0x1eaf0001, true))
	t.ip(time.Second, udp(endpoint{cl, 5060}, endpoint{sv, 5060}, sipOptions()))
	t.ip(wan, udp(endpoint{sv, 5060}, endpoint{cl, 5060}, sipOK()))
	c = newConn(endpoint{cl, 5060}, endpoint{sv, 5060}, 0x51d0c1de, 0x0ddba11)
	t.handshake(c, wan)
	t.request(c, wan, 400, 300)
	t.closeBy(c, true, wan)
	return t.pkts
}
