package main

// Network and transport layers: hosts, TCP connections that keep their own
// sequence numbers, and the IP packets that carry them. Link layers are in
// link.go.

import (
	"encoding/binary"
	"net/netip"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// host is one machine: its address, MAC, TTL and the counters a real stack
// would advance (IPv4 ID, TCP timestamp clock).
type host struct {
	ip    netip.Addr
	mac   [6]byte
	ttl   uint8
	ipid  uint16
	tsval uint32
	// v6ext adds a hop-by-hop and a destination-options header before TCP
	// (IPv6 only).
	v6ext bool
	// windows makes the TCP options look like Windows 10's (no timestamps,
	// window scale 8).
	windows bool
}

func newHost(addr string, ttl uint8) *host {
	ip := netip.MustParseAddr(addr)
	b := ip.As16()
	h := &host{ip: ip, ttl: ttl, ipid: binary.BigEndian.Uint16(b[14:]) * 97}
	h.mac = [6]byte{0x02, 0x42, b[12], b[13], b[14], b[15]} // locally administered
	h.tsval = uint32(b[15]) * 1000003
	return h
}

// endpoint is a host and a port.
type endpoint struct {
	h    *host
	port uint16
}

// TCP flags, as a bit set in header order.
const (
	fin = 1 << iota
	syn
	rst
	psh
	ack
)

// seg is one TCP segment, ready to be serialized.
type seg struct {
	src, dst endpoint
	flags    int
	seq, ack uint32
	win      uint16
	opts     []layers.TCPOption
	payload  []byte
}

var serOpts = gopacket.SerializeOptions{ComputeChecksums: true, FixLengths: true}

func serialize(ls ...gopacket.SerializableLayer) []byte {
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, serOpts, ls...); err != nil {
		panic(err) // layers built here are always valid
	}
	return buf.Bytes()
}

// ipHeader returns the IP layer(s) from src to dst carrying proto, and the
// layer the transport checksum is computed against.
func ipHeader(src, dst *host, proto layers.IPProtocol) ([]gopacket.SerializableLayer, gopacket.NetworkLayer) {
	if src.ip.Is4() {
		src.ipid++
		ip := &layers.IPv4{
			Version: 4, IHL: 5, Id: src.ipid, Flags: layers.IPv4DontFragment,
			TTL: src.ttl, Protocol: proto,
			SrcIP: src.ip.AsSlice(), DstIP: dst.ip.AsSlice(),
		}
		return []gopacket.SerializableLayer{ip}, ip
	}
	ip := &layers.IPv6{
		Version: 6, HopLimit: src.ttl, NextHeader: proto, FlowLabel: uint32(src.tsval) & 0xfffff,
		SrcIP: src.ip.AsSlice(), DstIP: dst.ip.AsSlice(),
	}
	if !src.v6ext {
		return []gopacket.SerializableLayer{ip}, ip
	}
	ip.NextHeader = layers.IPProtocolIPv6HopByHop
	return []gopacket.SerializableLayer{ip,
		&extHeader{next: layers.IPProtocolIPv6Destination},
		&extHeader{next: proto},
	}, ip
}

// extHeader is an 8-byte IPv6 extension header (hop-by-hop or destination
// options) holding a single PadN option.
type extHeader struct{ next layers.IPProtocol }

func (e *extHeader) LayerType() gopacket.LayerType { return layers.LayerTypeIPv6Destination }

func (e *extHeader) SerializeTo(b gopacket.SerializeBuffer, _ gopacket.SerializeOptions) error {
	p, err := b.PrependBytes(8)
	if err != nil {
		return err
	}
	copy(p, []byte{byte(e.next), 0, 1, 4, 0, 0, 0, 0}) // hdr ext len 0, PadN of 4
	return nil
}

// bytes serializes the segment as an IP packet.
func (s seg) bytes() []byte {
	tcp := &layers.TCP{
		SrcPort: layers.TCPPort(s.src.port), DstPort: layers.TCPPort(s.dst.port),
		Seq: s.seq, Ack: s.ack, Window: s.win, Options: s.opts,
		FIN: s.flags&fin != 0, SYN: s.flags&syn != 0, RST: s.flags&rst != 0,
		PSH: s.flags&psh != 0, ACK: s.flags&ack != 0,
	}
	ipls, nl := ipHeader(s.src.h, s.dst.h, layers.IPProtocolTCP)
	if err := tcp.SetNetworkLayerForChecksum(nl); err != nil {
		panic(err)
	}
	return serialize(append(ipls, tcp, gopacket.Payload(s.payload))...)
}

// conn is one TCP connection between a client and a server endpoint. It
// tracks the next sequence number of each side, so the segments it returns
// are consistent with each other.
type conn struct {
	c, s       endpoint
	cisn, sisn uint32
	cnxt, snxt uint32 // next sequence number to send
}

func newConn(c, s endpoint, cisn, sisn uint32) *conn {
	return &conn{c: c, s: s, cisn: cisn, sisn: sisn, cnxt: cisn + 1, snxt: sisn + 1}
}

func mss(h *host) uint16 {
	if h.ip.Is4() {
		return 1460
	}
	return 1440
}

// tsopt is the timestamps option; every call advances the sender's clock.
func tsopt(h *host, ecr uint32) layers.TCPOption {
	h.tsval += 7
	v := binary.BigEndian.AppendUint32(nil, h.tsval)
	return layers.TCPOption{OptionType: layers.TCPOptionKindTimestamps, OptionLength: 10,
		OptionData: binary.BigEndian.AppendUint32(v, ecr)}
}

// synOpts are the options of a Linux SYN or SYN/ACK: MSS, SACK permitted,
// timestamps, NOP, window scale 7.
// Windows sends MSS, NOP, window scale 8, NOP, NOP, SACK permitted.
func synOpts(h *host, ecr uint32) []layers.TCPOption {
	nop := layers.TCPOption{OptionType: layers.TCPOptionKindNop}
	if h.windows {
		return []layers.TCPOption{
			{OptionType: layers.TCPOptionKindMSS, OptionLength: 4, OptionData: binary.BigEndian.AppendUint16(nil, mss(h))},
			nop, {OptionType: layers.TCPOptionKindWindowScale, OptionLength: 3, OptionData: []byte{8}},
			nop, nop, {OptionType: layers.TCPOptionKindSACKPermitted, OptionLength: 2},
		}
	}
	return []layers.TCPOption{
		{OptionType: layers.TCPOptionKindMSS, OptionLength: 4, OptionData: binary.BigEndian.AppendUint16(nil, mss(h))},
		{OptionType: layers.TCPOptionKindSACKPermitted, OptionLength: 2},
		tsopt(h, ecr),
		{OptionType: layers.TCPOptionKindNop},
		{OptionType: layers.TCPOptionKindWindowScale, OptionLength: 3, OptionData: []byte{7}},
	}
}

func ackOpts(h, peer *host) []layers.TCPOption {
	if h.windows || peer.windows {
		return nil // no timestamps negotiated
	}
	return []layers.TCPOption{{OptionType: layers.TCPOptionKindNop}, {OptionType: layers.TCPOptionKindNop}, tsopt(h, peer.tsval)}
}

// syn is the client's SYN with its ISN (call again for a retransmission).
func (c *conn) syn() seg {
	return seg{src: c.c, dst: c.s, flags: syn, seq: c.cisn, win: 64240, opts: synOpts(c.c.h, 0)}
}

// synFromServer is the server side's SYN of a simultaneous open.
func (c *conn) synFromServer() seg {
	return seg{src: c.s, dst: c.c, flags: syn, seq: c.sisn, win: 64240, opts: synOpts(c.s.h, 0)}
}

// synAck is the server's answer to the client's SYN.
func (c *conn) synAck() seg {
	opts := synOpts(c.s.h, c.c.h.tsval)
	if c.c.h.windows { // the client offered no timestamps: answer without
		opts = []layers.TCPOption{opts[0], opts[1], opts[3], opts[4]}
	}
	return seg{src: c.s, dst: c.c, flags: syn | ack, seq: c.sisn, ack: c.cisn + 1, win: 65160, opts: opts}
}

// synAckFromClient is the client side's SYN/ACK of a simultaneous open.
func (c *conn) synAckFromClient() seg {
	return seg{src: c.c, dst: c.s, flags: syn | ack, seq: c.cisn, ack: c.sisn + 1, win: 64240,
		opts: synOpts(c.c.h, c.s.h.tsval)}
}

// ack is a pure ACK from the client (fromClient) or the server.
func (c *conn) ack(fromClient bool) seg { return c.seg(fromClient, ack, 0) }

// data sends n bytes of payload with PSH/ACK.
func (c *conn) data(fromClient bool, n int) seg { return c.seg(fromClient, psh|ack, n) }

// fin sends FIN/ACK.
func (c *conn) fin(fromClient bool) seg { return c.seg(fromClient, fin|ack, 0) }

// rst aborts the connection with RST/ACK from one side.
func (c *conn) rst(fromClient bool) seg { return c.seg(fromClient, rst|ack, 0) }

// refuse is a closed port's answer to the SYN: RST/ACK, seq 0.
func (c *conn) refuse() seg {
	return seg{src: c.s, dst: c.c, flags: rst | ack, seq: 0, ack: c.cisn + 1}
}

func (c *conn) seg(fromClient bool, flags, n int) seg {
	src, dst, nxt, peer := c.c, c.s, &c.cnxt, c.snxt
	win := uint16(502)
	if !fromClient {
		src, dst, nxt, peer = c.s, c.c, &c.snxt, c.cnxt
		win = 509
	}
	s := seg{src: src, dst: dst, flags: flags, seq: *nxt, ack: peer, win: win, payload: payload(n, *nxt)}
	if flags&rst == 0 {
		s.opts = ackOpts(src.h, dst.h)
	} else {
		s.win = 0
	}
	*nxt += uint32(n)
	if flags&fin != 0 {
		*nxt++
	}
	return s
}

// payload is n bytes of printable filler that depends on seed, so segments
// differ from each other.
func payload(n int, seed uint32) []byte {
	if n == 0 {
		return nil
	}
	b := make([]byte, n)
	for i := range b {
		b[i] = 'a' + byte((uint32(i)+seed)%26)
	}
	return b
}

// udp builds a UDP datagram (with optional application layer).
func udp(src, dst endpoint, app ...gopacket.SerializableLayer) []byte {
	ipls, nl := ipHeader(src.h, dst.h, layers.IPProtocolUDP)
	if ip4, ok := nl.(*layers.IPv4); ok {
		ip4.Flags = 0
	}
	u := &layers.UDP{SrcPort: layers.UDPPort(src.port), DstPort: layers.UDPPort(dst.port)}
	if err := u.SetNetworkLayerForChecksum(nl); err != nil {
		panic(err)
	}
	return serialize(append(append(ipls, u), app...)...)
}
