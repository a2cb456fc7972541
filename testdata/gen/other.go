package main

// Protocols other than TCP, mixed into captures so a reader must skip them:
// DNS and SIP over UDP, SCTP INIT / INIT-ACK, ICMP errors quoting TCP.

import (
	"encoding/binary"
	"hash/crc32"
	"net"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

func dnsQuery(id uint16, name string) *layers.DNS {
	return &layers.DNS{ID: id, RD: true, Questions: []layers.DNSQuestion{
		{Name: []byte(name), Type: layers.DNSTypeA, Class: layers.DNSClassIN},
	}}
}

func dnsAnswer(q *layers.DNS, ip net.IP) *layers.DNS {
	a := *q
	a.QR, a.RA = true, true
	a.Answers = []layers.DNSResourceRecord{{
		Name: q.Questions[0].Name, Type: layers.DNSTypeA, Class: layers.DNSClassIN, TTL: 300, IP: ip,
	}}
	return &a
}

func sipOptions() gopacket.Payload {
	return gopacket.Payload("OPTIONS sip:sip.example.net SIP/2.0\r\n" +
		"Via: SIP/2.0/UDP 192.168.1.23:5060;branch=z9hG4bK776asdhds\r\n" +
		"Max-Forwards: 70\r\nTo: <sip:sip.example.net>\r\n" +
		"From: <sip:probe@192.168.1.23>;tag=1928301774\r\n" +
		"Call-ID: a84b4c76e66710\r\nCSeq: 63104 OPTIONS\r\nContent-Length: 0\r\n\r\n")
}

func sipOK() gopacket.Payload {
	return gopacket.Payload("SIP/2.0 200 OK\r\n" +
		"Via: SIP/2.0/UDP 192.168.1.23:5060;branch=z9hG4bK776asdhds\r\n" +
		"To: <sip:sip.example.net>;tag=93810874\r\n" +
		"From: <sip:probe@192.168.1.23>;tag=1928301774\r\n" +
		"Call-ID: a84b4c76e66710\r\nCSeq: 63104 OPTIONS\r\nContent-Length: 0\r\n\r\n")
}

// sctpInit builds an SCTP INIT (verification tag 0) or, with initAck, the
// INIT-ACK answering an INIT whose initiate tag was peerTag.
func sctpInit(src, dst endpoint, peerTag uint32, initAck bool) []byte {
	h := &layers.SCTP{SrcPort: layers.SCTPPort(src.port), DstPort: layers.SCTPPort(dst.port)}
	chunk := &layers.SCTPInit{
		SCTPChunk:   layers.SCTPChunk{Type: layers.SCTPChunkTypeInit},
		InitiateTag: peerTag, AdvertisedReceiverWindowCredit: 106496,
		OutboundStreams: 10, InboundStreams: 65535, InitialTSN: peerTag ^ 0x0f0f0f0f,
	}
	if initAck {
		h.VerificationTag = peerTag
		chunk.Type = layers.SCTPChunkTypeInitAck
		chunk.InitiateTag = peerTag ^ 0x13572468
		chunk.InitialTSN = chunk.InitiateTag ^ 0x0f0f0f0f
		chunk.Parameters = []layers.SCTPInitParameter{{Type: 7, Value: payload(32, peerTag)}} // state cookie
	}
	ipls, _ := ipHeader(src.h, dst.h, layers.IPProtocolSCTP)
	b := serialize(append(ipls, h, chunk)...)
	return fixSCTPChecksum(b)
}

// fixSCTPChecksum recomputes the CRC32c over the SCTP packet with the
// checksum field zeroed (gopacket sums whatever the field held).
func fixSCTPChecksum(ip []byte) []byte {
	off := int(ip[0]&0x0f) * 4
	if ip[0]>>4 == 6 {
		off = 40
	}
	s := ip[off:]
	clear(s[8:12])
	binary.LittleEndian.PutUint32(s[8:12], crc32.Checksum(s, crc32.MakeTable(crc32.Castagnoli)))
	return ip
}

// icmpUnreachable is an ICMPv4 destination unreachable from router, quoting
// the original IPv4 packet (up to 548 bytes, as Linux does).
func icmpUnreachable(router, to *host, code uint8, quoted []byte) []byte {
	if len(quoted) > 548 {
		quoted = quoted[:548]
	}
	ipls, _ := ipHeader(router, to, layers.IPProtocolICMPv4)
	ipls[0].(*layers.IPv4).Flags = 0
	ic := &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(layers.ICMPv4TypeDestinationUnreachable, code)}
	if code == layers.ICMPv4CodeFragmentationNeeded {
		ic.Seq = 1400 // next-hop MTU sits in the low half of the rest-of-header
	}
	return serialize(append(ipls, ic, gopacket.Payload(quoted))...)
}

// sctpChunk builds an SCTP packet with one chunk of the given type and body
// (COOKIE-ECHO, COOKIE-ACK) under verification tag vtag.
func sctpChunk(src, dst endpoint, vtag uint32, typ layers.SCTPChunkType, body []byte) []byte {
	h := &layers.SCTP{SrcPort: layers.SCTPPort(src.port), DstPort: layers.SCTPPort(dst.port), VerificationTag: vtag}
	chunk := binary.BigEndian.AppendUint16([]byte{byte(typ), 0}, uint16(4+len(body)))
	chunk = pad4(append(chunk, body...))
	ipls, _ := ipHeader(src.h, dst.h, layers.IPProtocolSCTP)
	return fixSCTPChecksum(serialize(append(ipls, h, gopacket.Payload(chunk))...))
}
