package main

// The Wireshark set, continued: the same reuse traffic in other link types,
// file formats and encapsulations (VLAN, tunnels, fragments, ICMP quotes).

import (
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

func variantCaptures() []capture {
	eth := []layers.LinkType{layers.LinkTypeEthernet}
	return []capture{
		{name: "vlan-8021q.pcap", desc: "connection on VLAN 100 aborted by RST; same addresses and ports on VLAN 200 (VLAN is not in the key)", build: vlanReuse, links: []layers.LinkType{ethVLAN}},
		{name: "vlan-qinq.pcap", desc: "802.1ad outer tag 1000 + 802.1Q inner tag 100; reuse after FIN", build: tagged(v4(reuseAfterFIN, 47001, 443), 1000, 100), links: []layers.LinkType{ethQinQ}},
		{name: "link-sll.pcap", desc: "Linux cooked capture v1 (LINKTYPE_LINUX_SLL 113); reuse after RST", build: v4(reuseAfterRST, 47002, 443), links: []layers.LinkType{layers.LinkTypeLinuxSLL}},
		{name: "link-sll2.pcap", desc: "Linux cooked capture v2 (LINKTYPE_LINUX_SLL2 276); reuse after FIN", build: v4(reuseAfterFIN, 47003, 443), links: []layers.LinkType{layers.LinkTypeLinuxSLL2}},
		{name: "link-null-le.pcap", desc: "BSD loopback (LINKTYPE_NULL 0), family little-endian, IPv4 then IPv6; reuse after RST in each", build: both(reuseAfterRST, 47004, 8080), links: []layers.LinkType{layers.LinkTypeNull}},
		{name: "link-null-be.pcap", desc: "BSD loopback from a big-endian host: big-endian pcap, family big-endian; reuse after FIN", build: both(reuseAfterFIN, 47005, 8080), links: []layers.LinkType{nullBigEndian}, format: pcapBigEndian},
		{name: "link-raw-ip.pcap", desc: "raw IP (LINKTYPE_RAW 101), IPv4 and IPv6 packets; reuse after RST in each", build: both(reuseAfterRST, 47006, 443), links: []layers.LinkType{layers.LinkTypeRaw}},
		{name: "link-ipv4.pcap", desc: "LINKTYPE_IPV4 (228); reuse after FIN", build: v4(reuseAfterFIN, 47007, 443), links: []layers.LinkType{layers.LinkTypeIPv4}},
		{name: "link-ipv6.pcap", desc: "LINKTYPE_IPV6 (229); reuse after RST", build: v6(reuseAfterRST, 47008, 443), links: []layers.LinkType{layers.LinkTypeIPv6}},
		{name: "pcapng-two-interfaces.pcapng", desc: "pcapng, interface 0 Ethernet, interface 1 raw IP; first connection on 0, the reuse on 1", build: twoInterfaces, links: []layers.LinkType{layers.LinkTypeEthernet, layers.LinkTypeRaw}, format: pcapng},
		{name: "pcapng-tsresol-binary.pcapng", desc: "pcapng with if_tsresol 2^-20 s; reuse after FIN", build: v4(reuseAfterFIN, 47010, 443), links: eth, format: pcapngBinary},
		{name: "pcap-nanosecond.pcap", desc: "nanosecond pcap (magic a1b23c4d); reuse after RST", build: v4(reuseAfterRST, 47011, 443), format: pcapNano},
		{name: "pcap-big-endian.pcap", desc: "big-endian pcap, Ethernet; reuse after RST", build: v4(reuseAfterRST, 47012, 443), format: pcapBigEndian},
		{name: "gzip-reuse-after-fin.pcap.gz", desc: "gzip-compressed pcap; reuse after FIN", build: v4(reuseAfterFIN, 47013, 443)},
		{name: "tunnel-ipip.pcap", desc: "IPv4-in-IPv4; two inner clients with the same ports, one reuses after RST", build: tunnel(false)},
		{name: "tunnel-gre.pcap", desc: "GRE (IPv4 in GRE in IPv4); two inner clients with the same ports, one reuses after RST", build: tunnel(true)},
		{name: "ip-fragments.pcap", desc: "reuse SYN (with 1200 bytes of TFO data) and a data segment sent as IPv4 fragments", build: fragments},
		{name: "icmp-quoted-tcp.pcap", desc: "ICMP errors quoting TCP headers: frag-needed in a live connection; a late unreachable quoting a SYN after the port was reused", build: icmpQuotes},
	}
}

type body func(t *timeline, cl, sv *host, cport, sport uint16) (reuse int)

func v4(b body, cport, sport uint16) func() []pkt {
	return func() []pkt {
		var t timeline
		cl, sv := clientServer()
		b(&t, cl, sv, cport, sport)
		return t.pkts
	}
}

func v6(b body, cport, sport uint16) func() []pkt {
	return func() []pkt {
		var t timeline
		cl, sv := clientServer6()
		b(&t, cl, sv, cport, sport)
		return t.pkts
	}
}

// both runs the body over IPv4, then over IPv6 with the same ports.
func both(b body, cport, sport uint16) func() []pkt {
	return func() []pkt {
		var t timeline
		cl, sv := clientServer()
		b(&t, cl, sv, cport, sport)
		t.wait(time.Second)
		cl6, sv6 := clientServer6()
		b(&t, cl6, sv6, cport, sport)
		return t.pkts
	}
}

// tagged sets the VLAN tags of every packet of a scenario.
func tagged(build func() []pkt, outer, inner uint16) func() []pkt {
	return func() []pkt {
		pkts := build()
		for i := range pkts {
			pkts[i].outer, pkts[i].vlan = outer, inner
		}
		return pkts
	}
}

func vlanReuse() []pkt {
	var t timeline
	cl, sv := clientServer()
	n := reuseAfterRST(&t, cl, sv, 47000, 443)
	for i := range t.pkts {
		t.pkts[i].vlan = 100
		if i >= n {
			t.pkts[i].vlan = 200
		}
	}
	return t.pkts
}

// twoInterfaces: a router capturing on its LAN (Ethernet) and WAN (raw IP)
// sides; the first connection is seen on one, the reuse on the other.
func twoInterfaces() []pkt {
	var t timeline
	cl, sv := clientServer()
	n := reuseAfterRST(&t, cl, sv, 47009, 443)
	for i := n; i < len(t.pkts); i++ {
		t.pkts[i].iface = 1
	}
	return t.pkts
}

// tunnel carries two inner conversations between the same tunnel endpoints:
// 172.16.1.10 and 172.16.1.11 both use port 33000 toward 172.16.2.20:22.
// Only the first one reuses its port.
func tunnel(gre bool) func() []pkt {
	return func() []pkt {
		a, b := newHost("10.255.0.1", 64), newHost("10.255.0.2", 61)
		cl1, cl2, sv := newHost("172.16.1.10", 64), newHost("172.16.1.11", 64), newHost("172.16.2.20", 61)
		var t timeline
		c := newConn(endpoint{cl2, 33000}, endpoint{sv, 22}, 0x5eed0001, 0x5eed1001)
		t.handshake(c, wan)
		t.request(c, wan, 41, 41)
		reuseAfterRST(&t, cl1, sv, 33000, 22)
		t.closeBy(c, true, wan)
		for i, p := range t.pkts {
			src, dst := a, b
			if string(srcAddr(p.ip)) == string(sv.ip.AsSlice()) {
				src, dst = b, a
			}
			proto := layers.IPProtocolIPv4
			if gre {
				proto = layers.IPProtocolGRE
			}
			outer, _ := ipHeader(src, dst, proto)
			if gre {
				outer = append(outer, &layers.GRE{Protocol: layers.EthernetTypeIPv4})
			}
			t.pkts[i].ip = serialize(append(outer, gopacket.Payload(p.ip))...)
		}
		return t.pkts
	}
}

// fragments: a connection aborted by RST, then a TCP Fast Open SYN carrying
// 1200 bytes, fragmented over a 576-byte path, and a fragmented data segment.
func fragments() []pkt {
	var t timeline
	cl, sv := clientServer()
	c := newConn(endpoint{cl, 47100}, endpoint{sv, 443}, 0x2a3b4c5d, 0x6e7f8091)
	t.handshake(c, wan)
	t.tcp(time.Millisecond, c.rst(true))
	t.wait(2 * time.Second)
	c = newConn(endpoint{cl, 47100}, endpoint{sv, 443}, 0x3c4d5e6f, 0x708192a3)
	s := c.syn()
	s.opts = append(s.opts, layers.TCPOption{OptionType: 34, OptionLength: 10, OptionData: []byte{0xf0, 0x0d, 0xfa, 0xce, 0xde, 0xad, 0xbe, 0xef}})
	s.payload = payload(1200, 7)
	for _, f := range fragment(s.bytes(), 552) {
		t.ip(20*time.Microsecond, f)
	}
	c.cnxt += 1200
	t.tcp(wan, c.synAck())
	t.tcp(40*time.Microsecond, c.ack(true))
	for _, f := range fragment(c.data(false, 1000).bytes(), 552) {
		t.ip(wan, f)
	}
	t.tcp(40*time.Microsecond, c.ack(true))
	t.closeBy(c, true, wan)
	return t.pkts
}

// fragment splits an IPv4 packet into fragments carrying at most size bytes
// of its payload each (size a multiple of 8).
func fragment(ip []byte, size int) [][]byte {
	hl := int(ip[0]&0x0f) * 4
	var orig layers.IPv4
	if err := orig.DecodeFromBytes(ip, gopacket.NilDecodeFeedback); err != nil {
		panic(err)
	}
	data := ip[hl:]
	var out [][]byte
	for off := 0; off < len(data); off += size {
		end := min(off+size, len(data))
		f := orig
		f.Flags = 0
		if end < len(data) {
			f.Flags = layers.IPv4MoreFragments
		}
		f.FragOffset = uint16(off / 8)
		f.Options, f.Padding = nil, nil
		out = append(out, serialize(&f, gopacket.Payload(data[off:end])))
	}
	return out
}

// icmpQuotes: (1) a router on the path reports "fragmentation needed" for a
// client data segment of a live connection; (2) a SYN refused by RST, the
// client reuses the port with a new ISN and connects, and a late ICMP host
// unreachable quoting the first SYN arrives afterwards.
func icmpQuotes() []pkt {
	var t timeline
	cl, sv := clientServer()
	router := newHost("192.168.1.1", 64)
	c := newConn(endpoint{cl, 47200}, endpoint{sv, 443}, 0x1a2b3c4d, 0x5e6f7081)
	t.handshake(c, wan)
	big := c.data(true, 1448)
	bigIP := big.bytes()
	t.ip(200*time.Microsecond, bigIP)
	t.ip(500*time.Microsecond, icmpUnreachable(router, cl, layers.ICMPv4CodeFragmentationNeeded, bigIP))
	t.tcp(wan, c.ack(false))
	t.closeBy(c, true, wan)

	c = newConn(endpoint{cl, 47201}, endpoint{sv, 8443}, 0x0c0ffee0, 0)
	first := c.syn().bytes()
	t.ip(time.Second, first)
	t.tcp(wan, c.refuse())
	t.wait(time.Second)
	c = newConn(endpoint{cl, 47201}, endpoint{sv, 8443}, 0x0c0ffee0+0x10000000, 0x0dec0de0)
	t.handshake(c, wan)
	t.ip(3*time.Millisecond, icmpUnreachable(router, cl, layers.ICMPv4CodeHost, first))
	t.request(c, wan, 200, 200)
	t.closeBy(c, true, wan)
	return t.pkts
}
