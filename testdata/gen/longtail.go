package main

// The long tail of Wireshark 4.4 agreement: captures whose TCP headers sit
// where few tools look (ERSPAN, E-Tags, sFlow samples, 8-byte fragments,
// source-routed datagrams) or are damaged in the ways that change what
// Wireshark tracks (short headers, bogus data offsets, options cut by the
// snap length, IPv4 options shorter than their fields).

import (
	"net/netip"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

func longtailCaptures() []capture {
	return []capture{
		{name: "tunnel-erspan-type1.pcap", desc: "ERSPAN type I (GRE 0x88BE, no sequence number, no ERSPAN header); reuse after RST", build: mirrored(v4(reuseAfterRST, 47020, 443), erspanTypeI)},
		{name: "tunnel-erspan-type2.pcap", desc: "ERSPAN type II (GRE with sequence number, 8-byte header); reuse after FIN", build: mirrored(v4(reuseAfterFIN, 47021, 443), erspanTypeII)},
		{name: "tunnel-erspan-type3.pcap", desc: "ERSPAN type III (GRE 0x22EB, 12-byte header, platform subheader on every other packet); reuse after RST", build: mirrored(v4(reuseAfterRST, 47022, 443), erspanTypeIII)},
		{name: "tunnel-erspan-variants.pcap", desc: "one SYN per port in ERSPAN headers Wireshark reads or refuses: key without sequence, 0x22EB without flags, version 3, frame type IP", build: erspanVariants},
		{name: "tunnel-gre-fields.pcap", desc: "one SYN per port in GRE headers with a checksum, routing entries (RFC 1701), both, routing and key, and an Aruba type", build: greFields},
		{name: "tunnel-gre-ipv6.pcap", desc: "IPv6 in GRE (protocol 0x86DD, inside the range Aruba's types sit in); reuse after FIN", build: greIPv6},
		{name: "etag-8021br.pcap", desc: "802.1BR E-Tag (EtherType 0x893F) before IPv4; reuse after FIN", build: v4(reuseAfterFIN, 47023, 443), links: []layers.LinkType{ethETag}},
		{name: "ip-fragments-tiny.pcap", desc: "TCP headers spanning several fragments: reuse SYN in 8-byte fragments, data in 16-byte fragments backwards, 24-byte fragments last first, IPv6 8-byte fragments", build: tinyFragments},
		{name: "ip-fragments-edges.pcap", desc: "reassembly's edges: overlapping copies (the lowest offset, then the first, holds a byte), two last fragments (the first sets the length), an empty last fragment, private addresses on two VLANs, protocol XOR identification, IPv6 next headers that differ", build: fragmentEdges, links: []layers.LinkType{ethVLAN}},
		{name: "ipv4-lsrr.pcap", desc: "loose source route: SYN and ACKs via a hop carry the final host; the hop's own address, a passed pointer and a bad pointer do not", build: sourceRoute(optLSRR)},
		{name: "ipv4-ssrr.pcap", desc: "strict source route, three hops, pointer on the second; reuse after RST with the route", build: sourceRoute(optSSRR)},
		{name: "ipv4-bad-options.pcap", desc: "IPv4 options of length 0, 1, too long (TCP still counts) and options shorter than their fields (Router Alert, Stream ID, Timestamp, Quick-Start, Traceroute: no TCP)", build: badIPv4Options},
		{name: "tcp-short-headers.pcap", desc: "segments of 12, 16 and 19 bytes, data offsets 2 and 4, a data offset past the segment: which split streams, flag, or count an RST", build: shortHeaders},
		{name: "tcp-snaplen-cut.pcap", desc: "snap length 68: Linux SYNs (options cut) split streams unflagged, Windows SYNs (whole) are flagged", build: snapCut},
		{name: "tcp-odd-syn-flags.pcap", desc: "reuse SYNs with URG+PSH+CWR+reserved bits, with FIN, with ECE+CWR+AE: flagged like plain SYNs", build: oddSYNFlags},
		{name: "sflow-samples.pcap", desc: "sFlow datagrams with several sampled TCP headers (Ethernet, IPv4, expanded samples): each finds or starts its conversation", build: sflowSamples},
		{name: "icmp-quote-first.pcap", desc: "an ICMP error quoting a SYN before any packet of its connection: the quote sets no ISN, so a SYN with another ISN is no reuse", build: icmpQuoteFirst},
	}
}

// erspanVariants: lone SYNs on ports 41000 up, each in a header kind of
// its own. Wireshark finds TCP in those it reads as ERSPAN types I to III.
func erspanVariants() []pkt {
	cl, sv := clientServer()
	heads := []func(i int) []byte{
		erspanTypeI,
		func(i int) []byte { return greHeader(greKey, greERSPAN, 7, 0) }, // key, no sequence: type I
		func(i int) []byte { // key, no sequence, a type II header anyway: read as the frame
			return append(greHeader(greKey, greERSPAN, 7, 0), erspan2Header(100)...)
		},
		func(i int) []byte { return append(greHeader(0, greERSPAN3, 0, 0), erspan3Header(100, 1, 0, false)...) },
		func(i int) []byte {
			return append(greHeader(greSeq, greERSPAN, 0, 5), erspan3Header(100, 1, 0, true)...)
		},
		func(i int) []byte { // version 3: unknown, Wireshark stops
			h := erspan2Header(100)
			h[0] = 3<<4 | h[0]&0x0f
			return append(greHeader(greSeq, greERSPAN, 0, 6), h...)
		},
		func(i int) []byte { // frame type 2 (IP): shown as data
			return append(greHeader(greSeq, greERSPAN3, 0, 7), erspan3Header(100, 1, 2, false)...)
		},
		erspanTypeII,
		erspanTypeIII,
	}
	var t timeline
	for i := range heads {
		c := newConn(endpoint{cl, uint16(41000 + i)}, endpoint{sv, 80}, 0x1000+uint32(i), 0)
		t.tcp(time.Second, c.syn())
	}
	return mirrored(func() []pkt { return t.pkts }, func(i int) []byte { return heads[i](i) })()
}

// greFields: lone SYNs on ports 42000 up, in GRE headers whose optional
// fields a decoder must skip: checksum and offset (C), source route
// entries up to a null one (R, which brings the checksum word too), a key;
// the last uses an Aruba type, which Wireshark reads as 802.11, not IP.
func greFields() []pkt {
	cl, sv := clientServer()
	a, b := newHost("10.255.0.1", 64), newHost("10.255.0.2", 61)
	heads := [][]byte{
		{0x80, 0, 0x08, 0, 0, 0, 0, 0},                                      // C
		{0x40, 0, 0x08, 0, 0, 0, 0, 0, 0, 1, 0, 4, 10, 0, 0, 1, 0, 0, 0, 0}, // R: an entry, then the null one
		{0x40, 0, 0x08, 0, 0, 0, 0, 0, 0, 0, 0, 0},                          // R: the null entry only
		{0xc0, 0, 0x08, 0, 0, 0, 0, 0, 0, 0, 0, 0},                          // C and R
		{0x60, 0, 0x08, 0, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 0},              // R and K
		{0, 0, 0x82, 0x10}, // Aruba 0x8210
	}
	var t timeline
	for i, h := range heads {
		c := newConn(endpoint{cl, uint16(42000 + i)}, endpoint{sv, 80}, 0x1000, 0)
		outer, _ := ipHeader(a, b, layers.IPProtocolGRE)
		t.ip(time.Second, serialize(append(outer, gopacket.Payload(append(h, c.syn().bytes()...)))...))
	}
	return t.pkts
}

// greIPv6: an IPv6 conversation carried in GRE between two IPv4 routers.
func greIPv6() []pkt {
	a, b := newHost("10.255.0.1", 64), newHost("10.255.0.2", 61)
	cl, sv := clientServer6()
	var t timeline
	reuseAfterFIN(&t, cl, sv, 47024, 443)
	for i, p := range t.pkts {
		src, dst := a, b
		if string(srcAddr(p.ip)) == string(sv.ip.AsSlice()) {
			src, dst = b, a
		}
		outer, _ := ipHeader(src, dst, layers.IPProtocolGRE)
		outer = append(outer, gopacket.Payload(greHeader(0, uint16(layers.EthernetTypeIPv6), 0, 0)))
		t.pkts[i].ip = serialize(append(outer, gopacket.Payload(p.ip))...)
	}
	return t.pkts
}

// tinyFragments: a connection aborted by RST; the client reuses its port
// with a SYN sent in 8-byte fragments (its 40-byte TCP header spans five),
// the server's data comes in 16-byte fragments in reverse order, the
// client's in 24-byte fragments with the last one first; then the same
// over IPv6 with 8-byte fragments.
func tinyFragments() []pkt {
	var t timeline
	cl, sv := clientServer()
	c := newConn(endpoint{cl, 47101}, endpoint{sv, 443}, 0x2a3b4c5d, 0x6e7f8091)
	t.handshake(c, wan)
	t.tcp(time.Millisecond, c.rst(true))
	t.wait(2 * time.Second)
	c = newConn(endpoint{cl, 47101}, endpoint{sv, 443}, 0x3c4d5e6f, 0x708192a3)
	for _, f := range fragment(c.syn().bytes(), 8) {
		t.ip(20*time.Microsecond, f)
	}
	t.tcp(wan, c.synAck())
	t.tcp(40*time.Microsecond, c.ack(true))
	fs := fragment(c.data(false, 40).bytes(), 16)
	for i := range fs {
		t.ip(20*time.Microsecond, fs[len(fs)-1-i])
	}
	fs = fragment(c.data(true, 60).bytes(), 24)
	t.ip(wan, fs[len(fs)-1])
	for _, f := range fs[:len(fs)-1] {
		t.ip(20*time.Microsecond, f)
	}
	t.closeBy(c, true, wan)

	cl6, sv6 := clientServer6()
	c = newConn(endpoint{cl6, 47101}, endpoint{sv6, 443}, 0x4d5e6f70, 0x8192a3b4)
	for _, f := range fragment6(c.syn().bytes(), 8, 0x5eed) {
		t.ip(time.Second, f)
	}
	t.tcp(wan, c.synAck())
	t.tcp(40*time.Microsecond, c.rst(true))
	t.wait(time.Second)
	c = newConn(endpoint{cl6, 47101}, endpoint{sv6, 443}, 0x5e6f7081, 0x92a3b4c5)
	for _, f := range fragment6(c.syn().bytes(), 8, 0x5eee) {
		t.ip(20*time.Microsecond, f)
	}
	t.tcp(wan, c.synAck())
	return t.pkts
}

// IPv4 option types the captures use.
const (
	optLSRR = 0x83
	optSSRR = 0x89
)

// sourceRouted serializes s (whose TCP checksum is computed for its final
// destination) with a source route option of type typ: the header's
// destination is hdrDst, the route lists addrs, the pointer is ptr.
func sourceRouted(s seg, typ, ptr byte, hdrDst netip.Addr, addrs ...netip.Addr) []byte {
	opt := []byte{typ, byte(3 + 4*len(addrs)), ptr}
	for _, a := range addrs {
		opt = append(opt, a.AsSlice()...)
	}
	ip := withIPv4Options(s, append([]byte{optNOP}, opt...))
	copy(ip[16:20], hdrDst.AsSlice())
	return fixIPv4(ip)
}

const optNOP = 0x01

// sourceRoute: a client reaches the server through routers r1..r3 with a
// source route; the server answers directly. Wireshark keys the routed
// packets on the final destination, so they share the server's stream.
//   - LSRR: one hop, pointer on it (header to r1); then a plain SYN to r1
//     itself on the same ports (another conversation); a routed ACK whose
//     pointer passed the end (header to the server); one whose pointer is
//     bad (5): keyed on the header's r1.
//   - SSRR: two hops, pointer on the second (header to r2); after an RST,
//     a routed SYN with a new ISN reuses the port.
func sourceRoute(typ byte) func() []pkt {
	return func() []pkt {
		cl, sv := clientServer()
		r1, r2, r3 := netip.MustParseAddr("198.51.100.1"), netip.MustParseAddr("198.51.100.2"), netip.MustParseAddr("198.51.100.3")
		var t timeline
		c := newConn(endpoint{cl, 47110}, endpoint{sv, 443}, 0x0badf00d, 0x5eedbeef)
		routed := func(s seg) []byte { return sourceRouted(s, typ, 4, r1, sv.ip) }
		if typ == optSSRR {
			routed = func(s seg) []byte { return sourceRouted(s, typ, 8, r2, r1, r3, sv.ip) }
		}
		t.ip(0, routed(c.syn()))
		t.tcp(wan, c.synAck())
		t.ip(40*time.Microsecond, routed(c.ack(true)))
		t.ip(200*time.Microsecond, routed(c.data(true, 120)))
		t.tcp(wan, c.data(false, 300))
		if typ == optLSRR {
			hop := &host{ip: r1, ttl: 64}
			d := newConn(endpoint{cl, 47110}, endpoint{hop, 443}, 0x77777777, 0)
			t.tcp(time.Millisecond, d.syn())
			t.ip(time.Millisecond, sourceRouted(c.ack(true), typ, 8, sv.ip, r1, sv.ip)) // pointer past the end
			// A bad pointer: the header's r1 is the destination, also for the checksum.
			t.ip(time.Millisecond, fixTCPv4(sourceRouted(c.ack(true), typ, 5, r1, sv.ip)))
			t.closeBy(c, true, wan)
			return t.pkts
		}
		t.ip(time.Millisecond, routed(c.rst(true)))
		t.wait(time.Second)
		c = newConn(endpoint{cl, 47110}, endpoint{sv, 443}, 0x1badf00d, 0x6eedbeef)
		t.ip(0, routed(c.syn()))
		t.tcp(wan, c.synAck())
		t.ip(40*time.Microsecond, routed(c.ack(true)))
		return t.pkts
	}
}

// badIPv4Options: a connection whose segments carry IPv4 options Wireshark
// walks past (length 0, 1, past the header, no length byte) and, on SYNs
// that would reuse the port, options its dissectors read beyond: those
// frames end in the IP header, so the SYN neither splits nor is flagged
// until the last one, without options.
func badIPv4Options() []pkt {
	cl, sv := clientServer()
	var t timeline
	c := newConn(endpoint{cl, 47120}, endpoint{sv, 443}, 0x10203040, 0x50607080)
	t.ip(0, withIPv4Options(c.syn(), []byte{0x07, 0}))                       // record route, length 0
	t.tcp(wan, c.synAck())                                                   //
	t.ip(40*time.Microsecond, withIPv4Options(c.ack(true), []byte{0x99, 1})) // unknown type, length 1
	t.ip(200*time.Microsecond, withIPv4Options(c.data(true, 100), []byte{0x07, 40, 4, 0}))
	t.tcp(wan, c.data(false, 200))
	t.ip(time.Millisecond, withIPv4Options(c.rst(true), []byte{optNOP, optNOP, optNOP, 0x44})) // no length byte
	c = newConn(endpoint{cl, 47120}, endpoint{sv, 443}, 0x20304050, 0x60708090)
	for _, opt := range [][]byte{
		{0x94, 2},                   // router alert: its value missing
		{0x88, 3, 0},                // stream id: 1 of 2 bytes
		{0x44, 3, 5},                // timestamp: no flags byte
		{0x19, 4, 0x05, 30},         // quick-start rate request: no nonce
		{0x52, 8, 0, 1, 0, 2, 0, 0}, // traceroute: no originator
	} {
		t.ip(time.Second, withIPv4Options(c.syn(), opt))
	}
	t.tcp(time.Second, c.syn())
	t.tcp(wan, c.synAck())
	t.ip(40*time.Microsecond, withIPv4Options(c.ack(true), []byte{0x86, 10, 0, 0, 0, 1, 7, 4, 0, 0})) // CIPSO, a free-form tag
	t.closeBy(c, false, wan)
	return t.pkts
}

// shortHeaders: Wireshark needs the first 16 bytes of a TCP header to
// find its conversation; what follows decides the rest (see the README).
func shortHeaders() []pkt {
	cl, sv := clientServer()
	cut := func(n int) func([]byte) []byte { return func(b []byte) []byte { return b[:n] } }
	offset := func(words byte) func([]byte) []byte {
		return func(b []byte) []byte { b[12] = words<<4 | b[12]&0x0f; return b }
	}
	var t timeline
	c := newConn(endpoint{cl, 47130}, endpoint{sv, 443}, 0x01000000, 0x05000000)
	t.handshake(c, wan)
	t.tcp(200*time.Microsecond, c.data(true, 80))
	t.tcp(time.Millisecond, c.rst(true))
	c = newConn(endpoint{cl, 47130}, endpoint{sv, 443}, 0x02000000, 0x06000000)
	t.ip(time.Second, editTCP(c.syn(), cut(16)))             // splits, unflagged, sets the ISN
	t.tcp(time.Second, c.syn())                              // a retransmission of it
	t.ip(wan, editTCP(c.synAck(), cut(19)))                  //
	t.ip(40*time.Microsecond, editTCP(c.ack(true), cut(12))) // too short: no TCP
	t.ip(time.Millisecond, editTCP(c.rst(true), offset(4)))  // its RST is not noted
	t.tcp(time.Second, c.syn())                              // so this is no reuse
	c = newConn(endpoint{cl, 47130}, endpoint{sv, 443}, 0x03000000, 0x07000000)
	t.ip(time.Second, editTCP(c.syn(), offset(2))) // splits, unflagged
	t.ip(wan, editTCP(c.synAck(), func(b []byte) []byte { return offset(8)(b)[:24] }))
	t.tcp(40*time.Microsecond, c.ack(true))
	t.closeBy(c, true, wan)
	c = newConn(endpoint{cl, 47130}, endpoint{sv, 443}, 0x04000000, 0x08000000)
	t.tcp(time.Second, c.syn()) // whole: flagged
	t.tcp(wan, c.synAck())
	return t.pkts
}

// snapCut: a capture taken with a 68-byte snap length (tcpdump's old
// default): a Linux client's SYNs (74 bytes) lose options, a Windows
// client's (66 bytes) do not.
func snapCut() []pkt {
	var t timeline
	cl, sv := clientServer()
	reuseAfterRST(&t, cl, sv, 47140, 443)
	win := newHost("192.168.1.24", 128)
	win.windows = true
	t.wait(time.Second)
	reuseAfterRST(&t, win, sv, 47141, 443)
	for i := range t.pkts {
		t.pkts[i].snap = 68
	}
	return t.pkts
}

// oddSYNFlags: three aborted connections on one port; each reuse SYN
// carries extra flags Wireshark's reuse test ignores.
func oddSYNFlags() []pkt {
	cl, sv := clientServer()
	var t timeline
	edits := []func([]byte) []byte{
		func(b []byte) []byte { b[13] |= 0x20 | 0x08 | 0x80; b[12] |= 0x0e; return b }, // URG, PSH, CWR, reserved
		func(b []byte) []byte { b[13] |= 0x01; return b },                              // FIN
		func(b []byte) []byte { b[13] |= 0x40 | 0x80; b[12] |= 0x01; return b },        // ECE, CWR, AE
	}
	c := newConn(endpoint{cl, 47150}, endpoint{sv, 443}, 0x0f000000, 0x0e000000)
	t.handshake(c, wan)
	for i, edit := range edits {
		t.tcp(time.Millisecond, c.rst(true))
		c = newConn(endpoint{cl, 47150}, endpoint{sv, 443}, 0x0f000000+uint32(i+1)<<20, 0x0e000000+uint32(i+1)<<20)
		t.ip(time.Second, editTCP(c.syn(), edit))
		t.tcp(wan, c.synAck())
		t.tcp(40*time.Microsecond, c.ack(true))
	}
	t.closeBy(c, true, wan)
	return t.pkts
}

// sflowSamples: connections A, B, C between the same hosts, seen both
// directly and in samples an agent sends to a collector. Sampled headers
// find and split conversations but set no ISN and are never flagged.
func sflowSamples() []pkt {
	cl, sv := clientServer()
	agent, collector := newHost("10.30.0.1", 64), newHost("10.30.0.50", 64)
	dns := newHost("192.168.1.1", 64)
	eth := func(s seg) sflowSample { return sflowSample{ip: s.bytes(), protocol: 1} }
	var t timeline
	seq := uint32(0)
	sflow := func(gap time.Duration, samples ...sflowSample) {
		seq++
		t.ip(gap, sflowPacket(agent, collector, seq, samples))
	}
	a := newConn(endpoint{cl, 47160}, endpoint{sv, 443}, 0x1000, 0x5000)
	b := newConn(endpoint{cl, 47161}, endpoint{sv, 443}, 0x2000, 0x6000)
	t.handshake(a, wan)
	sflow(time.Millisecond, eth(b.syn()), eth(a.data(true, 100)))
	a2 := newConn(endpoint{cl, 47160}, endpoint{sv, 443}, 0x3000, 0x7000)
	sflow(time.Millisecond, eth(a.ack(true)), eth(a2.syn())) // the SYN splits A: both show the new stream
	t.tcp(wan, a2.synAck())
	t.tcp(wan, b.synAck())
	cc := newConn(endpoint{cl, 47162}, endpoint{sv, 443}, 0x4000, 0x8000)
	sflow(time.Millisecond, sflowSample{ip: cc.syn().bytes(), protocol: 11},
		sflowSample{ip: cc.synAck().bytes(), protocol: 1, expanded: true}, eth(b.ack(true)))
	t.tcp(wan, cc.ack(true))
	sflow(time.Millisecond, eth(a2.rst(true)))
	t.tcp(time.Second, a2.syn()) // the sampled RST counts: a reuse
	q := dnsQuery(0x1d2e, "www.example.net")
	sflow(wan, sflowSample{ip: udp(endpoint{cl, 53100}, endpoint{dns, 53}, q), protocol: 11}, eth(a2.synAck()))
	t.tcp(40*time.Microsecond, a2.ack(true))
	return t.pkts
}

// icmpQuoteFirst: a router's unreachable quotes a client's SYN before the
// capture sees any packet of it; the client then retries with a new ISN.
func icmpQuoteFirst() []pkt {
	cl, sv := clientServer()
	router := newHost("192.168.1.1", 64)
	var t timeline
	c := newConn(endpoint{cl, 47170}, endpoint{sv, 8443}, 0x0c0ffee1, 0)
	t.ip(0, icmpUnreachable(router, cl, layers.ICMPv4CodeHost, c.syn().bytes()))
	c = newConn(endpoint{cl, 47170}, endpoint{sv, 8443}, 0x1c0ffee1, 0x2dec0de1)
	t.handshake(c, wan)
	t.request(c, wan, 100, 100)
	t.closeBy(c, true, wan)
	return t.pkts
}
