package main

// Mirrored traffic: ERSPAN (types I, II and III, in GRE) and 802.1BR
// E-Tags. A switch copies each packet of a scenario, Ethernet header
// included, toward a collector; Wireshark dissects the copy, so the TCP
// inside counts with the original addresses.

import (
	"encoding/binary"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// GRE flag bits (RFC 2784, 2890) and the protocol types of ERSPAN.
const (
	greKey      = 0x2000
	greSeq      = 0x1000
	greERSPAN   = 0x88be // types I and II
	greERSPAN3  = 0x22eb // type III
	erspanSpan  = 0x0123 // session id in the ERSPAN headers
	erspanIndex = 0x00042
)

// greHeader is a GRE header with the optional key and sequence number
// its flags announce.
func greHeader(flags, proto uint16, key, seq uint32) []byte {
	b := binary.BigEndian.AppendUint16(nil, flags)
	b = binary.BigEndian.AppendUint16(b, proto)
	if flags&greKey != 0 {
		b = binary.BigEndian.AppendUint32(b, key)
	}
	if flags&greSeq != 0 {
		b = binary.BigEndian.AppendUint32(b, seq)
	}
	return b
}

// erspan2Header is the 8-byte type II header: version 1, VLAN, COS,
// encapsulation, truncation bit and session id, then the port index.
func erspan2Header(vlan uint16) []byte {
	b := binary.BigEndian.AppendUint16(nil, 1<<12|vlan&0x0fff)
	b = binary.BigEndian.AppendUint16(b, erspanSpan)
	return binary.BigEndian.AppendUint32(b, erspanIndex)
}

// erspan3Header is the 12-byte type III header (version 2) with frame
// type ft (0: Ethernet), followed by the 8-byte platform-specific
// subheader when sub is set (O bit).
func erspan3Header(vlan uint16, ts uint32, ft uint16, sub bool) []byte {
	b := binary.BigEndian.AppendUint16(nil, 2<<12|vlan&0x0fff)
	b = binary.BigEndian.AppendUint16(b, erspanSpan)
	b = binary.BigEndian.AppendUint32(b, ts)
	b = binary.BigEndian.AppendUint16(b, 0) // security group tag
	last := ft<<10 | 1<<1                   // frame type; granularity 100 ns
	if sub {
		last |= 1
	}
	b = binary.BigEndian.AppendUint16(b, last)
	if sub { // platform id 7: reserved, source index, upper timestamp
		b = binary.BigEndian.AppendUint32(b, 7<<26|0x42)
		b = binary.BigEndian.AppendUint32(b, 0x0001e240)
	}
	return b
}

// ethernetCopy is the mirrored Ethernet frame of an IP packet.
func ethernetCopy(ip []byte) []byte {
	return frame(layers.LinkTypeEthernet, pkt{ip: ip}, nil)
}

// mirrored wraps every packet of build in GRE from a switch to a
// collector; head returns the GRE header and whatever precedes the
// mirrored frame for the i-th packet.
func mirrored(build func() []pkt, head func(i int) []byte) func() []pkt {
	return func() []pkt {
		sw, collector := newHost("10.20.0.1", 255), newHost("10.20.0.99", 64)
		pkts := build()
		for i, p := range pkts {
			outer, _ := ipHeader(sw, collector, layers.IPProtocolGRE)
			inner := append(head(i), ethernetCopy(p.ip)...)
			pkts[i].ip = serialize(append(outer, gopacket.Payload(inner))...)
		}
		return pkts
	}
}

// erspanTypeI: GRE without a sequence number carries the frame directly
// (Broadcom Trident 2 and others), so Wireshark looks for no ERSPAN header.
func erspanTypeI(i int) []byte { return greHeader(0, greERSPAN, 0, 0) }

// erspanTypeII: GRE with a sequence number, then the 8-byte header.
func erspanTypeII(i int) []byte {
	return append(greHeader(greSeq, greERSPAN, 0, uint32(i)), erspan2Header(100)...)
}

// erspanTypeIII: GRE type 0x22EB, the 12-byte header, and on every other
// packet the optional platform subheader.
func erspanTypeIII(i int) []byte {
	return append(greHeader(greSeq, greERSPAN3, 0, uint32(i)), erspan3Header(100, uint32(i)*1000, 0, i%2 == 1)...)
}
