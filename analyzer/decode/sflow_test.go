package decode

import (
	"encoding/binary"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/portlens/portlens/analyzer/capture"
)

// sflowRecord is a raw packet header record (header protocol proto) in a
// flow sample (format 1) or an expanded one (format 3).
func sflowRecord(format, proto uint32, header []byte) []byte {
	be := binary.BigEndian
	fixed := 28 // format 1: seq, source, rate, pool, drops, input, output
	if format == 3 {
		fixed = 40
	}
	b := make([]byte, fixed)
	b = be.AppendUint32(b, 1) // one record
	rec := be.AppendUint32(nil, proto)
	rec = be.AppendUint32(rec, uint32(len(header)+4))
	rec = be.AppendUint32(rec, 4)
	rec = be.AppendUint32(rec, uint32(len(header)))
	rec = append(rec, header...)
	for len(rec)%4 != 0 {
		rec = append(rec, 0)
	}
	b = be.AppendUint32(b, 1) // raw packet header
	b = be.AppendUint32(b, uint32(len(rec)))
	b = append(b, rec...)
	s := be.AppendUint32(nil, format)
	s = be.AppendUint32(s, uint32(len(b)))
	return append(s, b...)
}

// sflowFrame is an IPv4/UDP frame to port 6343 with an sFlow v5 datagram
// holding the given samples.
func sflowFrame(t *testing.T, samples ...[]byte) []byte {
	be := binary.BigEndian
	d := be.AppendUint32(nil, 5)
	d = be.AppendUint32(d, 1)
	d = append(d, 192, 0, 2, 99)
	d = append(d, make([]byte, 12)...)
	d = be.AppendUint32(d, uint32(len(samples)))
	for _, s := range samples {
		d = append(d, s...)
	}
	u := ipv4(outerA, outerB, layers.IPProtocolUDP)
	return serialize(t, u, udp(u, 6343), gopacket.Payload(d))
}

// Every sampled header of an sFlow datagram is decoded, marked Sampled:
// the first as the frame's packet, the others in Extra, in order.
func TestDecodeSFlowSamples(t *testing.T) {
	inner := ipv4(clientIP, serverIP, layers.IPProtocolTCP)
	ipTCP := serialize(t, inner, syn(inner))
	ethTCP := serialize(t, eth(layers.EthernetTypeIPv4), inner, syn(inner))
	back := ipv4(serverIP, clientIP, layers.IPProtocolUDP)
	ethUDP := serialize(t, eth(layers.EthernetTypeIPv4), back, udp(back, 53), gopacket.Payload("q"))
	counters := binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(nil, 2), 4)
	counters = append(counters, 0, 0, 0, 0)
	frame := sflowFrame(t,
		counters,                         // a counter sample: skipped
		sflowRecord(1, 1, ethTCP),        // Ethernet
		sflowRecord(1, 11, ipTCP[:40]),   // IPv4, cut before the TCP option
		sflowRecord(3, 1, ethUDP),        // expanded sample
		sflowRecord(1, 2, ethTCP),        // token ring: not decoded
		sflowRecord(1<<12|1, 1, ethTCP),  // another enterprise's format
		sflowRecord(1, 12, []byte{0x60}), // IPv6, too short to decode
	)
	d := NewDecoder()
	var p Packet
	if err := d.Decode(capture.LinkRaw, frame, &p); err != nil {
		t.Fatal(err)
	}
	if p.Transport != TCP || !p.Sampled || p.InICMPError || !p.InErrorPkt() || p.SrcPort != 51000 || p.TCPHeader != HeaderWhole {
		t.Fatalf("first sample: transport %v sampled %v quoted %v port %d header %v",
			p.Transport, p.Sampled, p.InICMPError, p.SrcPort, p.TCPHeader)
	}
	if p.OuterSrc.String() != "192.0.2.1" || p.Src.String() != "10.0.0.1" || p.Tunnelled {
		t.Errorf("first sample: outer %v inner %v tunnelled %v", p.OuterSrc, p.Src, p.Tunnelled)
	}
	extra := d.Extra()
	if len(extra) != 3 {
		t.Fatalf("%d further samples, want 3", len(extra))
	}
	if e := extra[0]; e.Transport != TCP || !e.Sampled || e.TCPHeader != HeaderCut || e.Seq != 1000 || e.OuterSrc.String() != "192.0.2.1" {
		t.Errorf("IPv4 sample: transport %v sampled %v header %v seq %d outer %v", e.Transport, e.Sampled, e.TCPHeader, e.Seq, e.OuterSrc)
	}
	if e := extra[1]; e.Transport != UDP || e.SrcPort != 40000 || e.Src.String() != "10.0.0.2" || !e.Sampled {
		t.Errorf("expanded sample: transport %v port %d from %v", e.Transport, e.SrcPort, e.Src)
	}
	if e := extra[2]; e.Transport == TCP || e.Transport == UDP {
		t.Errorf("short IPv6 sample gave %v", e.Transport)
	}
	// The datagram's own headers, which the samples replaced in p.
	carrier, samples, ok := d.SFlow()
	if !ok || samples != 4 || carrier.Src.String() != "192.0.2.1" || carrier.Dst.String() != "192.0.2.2" ||
		carrier.SrcPort != 40000 || carrier.DstPort != 6343 {
		t.Errorf("datagram: %+v, %d samples, ok %v", carrier, samples, ok)
	}
	// Each sample's Ethernet header, where it starts with one.
	for i, want := range []bool{true, false, true, false, false} {
		src, dst, ok := d.SampleEthernet(i)
		if ok != want || ok && (src != [6]byte{0, 1, 2, 3, 4, 5} || dst != [6]byte{0, 1, 2, 3, 4, 6}) {
			t.Errorf("sample %d: Ethernet %v %x > %x", i, ok, src, dst)
		}
	}
	// The next frame (the fast path's) has no further headers.
	if d.Decode(capture.LinkRaw, ipTCP, &p); len(d.Extra()) != 0 || p.Sampled {
		t.Errorf("after a plain frame: %d further headers, sampled %v", len(d.Extra()), p.Sampled)
	}
	if _, n, ok := d.SFlow(); ok || n != 0 {
		t.Errorf("after a plain frame: an sFlow datagram of %d samples", n)
	}
}

// A sampled header that runs past the datagram ends the walk, as
// Wireshark's exception does; the samples before it stand.
func TestDecodeSFlowCutShort(t *testing.T) {
	inner := ipv4(clientIP, serverIP, layers.IPProtocolTCP)
	ethTCP := serialize(t, eth(layers.EthernetTypeIPv4), inner, syn(inner))
	last := sflowRecord(1, 1, ethTCP)
	frame := sflowFrame(t, sflowRecord(1, 1, ethTCP), sflowRecord(1, 1, ethTCP), last[:len(last)-10])
	d := NewDecoder()
	var p Packet
	d.Decode(capture.LinkRaw, frame, &p)
	if p.Transport != TCP || len(d.Extra()) != 1 || d.Extra()[0].Transport != TCP {
		t.Fatalf("transport %v, %d further headers", p.Transport, len(d.Extra()))
	}
	for n := range frame { // and any cut of the frame decodes without panicking
		d.Decode(capture.LinkRaw, frame[:n], &p)
	}
}
