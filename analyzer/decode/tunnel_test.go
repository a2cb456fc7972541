package decode

import (
	"encoding/binary"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/portlens/portlens/analyzer/capture"
)

// greFrame is an outer IPv4 packet carrying a GRE header (flags,
// protocol, and the words the flags announce, zero), then rest.
func greFrame(t *testing.T, flags, proto uint16, rest []byte) []byte {
	h := binary.BigEndian.AppendUint16(nil, flags)
	h = binary.BigEndian.AppendUint16(h, proto)
	for _, bit := range []uint16{greChecksum | greRouting, greKey, greSequence} {
		if flags&bit != 0 {
			h = append(h, 0, 0, 0, 9)
		}
	}
	if flags&greRouting != 0 { // one entry of 4 bytes, then the null entry
		h = append(h, 0, 1, 0, 4, 192, 0, 2, 7, 0, 0, 0, 0)
	}
	return serialize(t, ipv4(outerA, outerB, layers.IPProtocolGRE), gopacket.Payload(append(h, rest...)))
}

// ERSPAN headers as Wireshark 4.4 reads them (packet-erspan.c; the oracle
// on testdata/captures/tunnel-erspan-*.pcap), GRE with routing, IPv6 in
// GRE, and 802.1BR E-Tags: the mirrored or carried TCP counts, or not.
func TestDecodeMirrorsAndTags(t *testing.T) {
	inner := ipv4(clientIP, serverIP, layers.IPProtocolTCP)
	ethTCP := serialize(t, eth(layers.EthernetTypeIPv4), inner, syn(inner))
	v2 := []byte{0x10, 100, 0x01, 0x23, 0, 0, 0, 0x42}                // version 1, VLAN 100, session, index
	v3 := []byte{0x20, 100, 0x01, 0x23, 0, 0, 0, 1, 0, 0, 0x00, 0x02} // version 2, frame type 0, no subheader
	v3sub := append(append([]byte{}, v3[:11]...), 0x03, 0x1c, 0, 0, 0x42, 0, 1, 0xe2, 0x40)
	v3ip := append(append([]byte{}, v3[:10]...), 0x08, 0x02) // frame type 2: IP
	v9 := append([]byte{0x30}, v2[1:]...)                    // version 3
	ip6 := &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: layers.IPProtocolTCP,
		SrcIP: []byte{0x20, 1, 0xd, 0xb8, 15: 1}, DstIP: []byte{0x20, 1, 0xd, 0xb8, 15: 2}}
	tcp6 := syn(inner)
	tcp6.SetNetworkLayerForChecksum(ip6)
	eTag := append(append(ethHeader(ethTCP[14:])[:12:12], 0x89, 0x3f, 0, 0, 0, 7, 0, 0, 0x08, 0x00), ethTCP[14:]...)
	for _, c := range []struct {
		name  string
		link  capture.LinkType
		frame []byte
		tcp   bool
	}{
		{"ERSPAN I: no sequence, no header", capture.LinkRaw, greFrame(t, 0, 0x88be, ethTCP), true},
		{"ERSPAN I with a key", capture.LinkRaw, greFrame(t, greKey, 0x88be, ethTCP), true},
		{"ERSPAN II", capture.LinkRaw, greFrame(t, greSequence, 0x88be, append(v2, ethTCP...)), true},
		{"no sequence: a type II header is taken for the frame", capture.LinkRaw, greFrame(t, greKey, 0x88be, append(v2, ethTCP...)), false},
		{"ERSPAN III", capture.LinkRaw, greFrame(t, greSequence, 0x22eb, append(v3, ethTCP...)), true},
		{"ERSPAN III with platform subheader", capture.LinkRaw, greFrame(t, greSequence, 0x22eb, append(v3sub, ethTCP...)), true},
		{"ERSPAN III without GRE flags", capture.LinkRaw, greFrame(t, 0, 0x22eb, append(v3, ethTCP...)), true},
		{"version 2 header under 0x88BE", capture.LinkRaw, greFrame(t, greSequence, 0x88be, append(v3sub, ethTCP...)), true},
		{"ERSPAN III, frame type IP", capture.LinkRaw, greFrame(t, greSequence, 0x22eb, append(v3ip, ethTCP...)), false},
		{"ERSPAN version 3", capture.LinkRaw, greFrame(t, greSequence, 0x88be, append(v9, ethTCP...)), false},
		{"GRE with routing", capture.LinkRaw, greFrame(t, greRouting, 0x0800, ethTCP[14:]), true},
		{"IPv6 in GRE", capture.LinkRaw, greFrame(t, 0, 0x86dd, serialize(t, ip6, tcp6)), true},
		{"Aruba type: 802.11", capture.LinkRaw, greFrame(t, 0, 0x8210, ethTCP[14:]), false},
		{"802.1BR E-Tag", capture.LinkEthernet, eTag, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			var p Packet
			if err := NewDecoder().Decode(c.link, c.frame, &p); err != nil {
				t.Fatal(err)
			}
			if (p.Transport == TCP) != c.tcp {
				t.Fatalf("transport %v, want TCP %v", p.Transport, c.tcp)
			}
			if c.tcp && (p.SrcPort != 51000 || p.Seq != 1000) {
				t.Errorf("port %d seq %d", p.SrcPort, p.Seq)
			}
			newPathPair().compare(t, c.name, c.link, c.frame)
		})
	}
}
