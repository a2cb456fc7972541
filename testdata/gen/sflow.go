package main

// sFlow v5 datagrams (https://sflow.org/sflow_version_5.txt): an agent
// samples packets and sends the first bytes of each, several samples to a
// datagram. Wireshark dissects every sampled header like a packet of its
// own, so one frame can carry several TCP headers.

import (
	"encoding/binary"

	"github.com/gopacket/gopacket"
)

const (
	sflowPort      = 6343
	sflowHeaderLen = 128 // bytes of each sampled packet kept, as agents default to
)

// sflowSample is one sampled packet: the IP packet and how it is framed
// in the raw-packet-header record (header protocol 1 Ethernet, 11 IPv4).
type sflowSample struct {
	ip       []byte
	protocol uint32
	expanded bool // an expanded flow sample (format 3) instead of format 1
}

// sflowDatagram encodes a datagram from agent with sequence number seq.
func sflowDatagram(agent *host, seq uint32, samples []sflowSample) []byte {
	be := binary.BigEndian
	b := be.AppendUint32(nil, 5) // version
	b = be.AppendUint32(b, 1)    // agent address type: IPv4
	b = append(b, agent.ip.AsSlice()...)
	b = be.AppendUint32(b, 0)           // sub-agent id
	b = be.AppendUint32(b, seq)         // datagram sequence number
	b = be.AppendUint32(b, 3600000+seq) // uptime, ms
	b = be.AppendUint32(b, uint32(len(samples)))
	for i, s := range samples {
		body := sflowFlowSample(seq*8+uint32(i), s)
		format := uint32(1)
		if s.expanded {
			format = 3
		}
		b = be.AppendUint32(b, format)
		b = be.AppendUint32(b, uint32(len(body)))
		b = append(b, body...)
	}
	return b
}

// sflowFlowSample is a flow sample holding one raw-packet-header record.
func sflowFlowSample(seq uint32, s sflowSample) []byte {
	be := binary.BigEndian
	b := be.AppendUint32(nil, seq)
	if s.expanded {
		b = be.AppendUint32(b, 0) // source id type
		b = be.AppendUint32(b, 7) // source id index
	} else {
		b = be.AppendUint32(b, 7) // source id: ifIndex 7
	}
	b = be.AppendUint32(b, 1024)     // sampling rate
	b = be.AppendUint32(b, seq*1024) // sample pool
	b = be.AppendUint32(b, 0)        // drops
	if s.expanded {
		b = be.AppendUint32(b, 0) // input format
		b = be.AppendUint32(b, 7)
		b = be.AppendUint32(b, 0) // output format
		b = be.AppendUint32(b, 3)
	} else {
		b = be.AppendUint32(b, 7) // input ifIndex
		b = be.AppendUint32(b, 3) // output ifIndex
	}
	b = be.AppendUint32(b, 1) // one flow record
	packet := s.ip
	if s.protocol == 1 {
		packet = ethernetCopy(s.ip)
	}
	kept := packet[:min(len(packet), sflowHeaderLen)]
	rec := be.AppendUint32(nil, s.protocol)
	rec = be.AppendUint32(rec, uint32(len(packet)+4)) // frame length, FCS included
	rec = be.AppendUint32(rec, 4)                     // bytes stripped: the FCS
	rec = be.AppendUint32(rec, uint32(len(kept)))
	rec = pad4(append(rec, kept...))
	b = be.AppendUint32(b, 1) // record format: raw packet header
	b = be.AppendUint32(b, uint32(len(rec)))
	return append(b, rec...)
}

// sflowPacket is the UDP datagram that carries samples from agent to
// collector.
func sflowPacket(agent, collector *host, seq uint32, samples []sflowSample) []byte {
	return udp(endpoint{agent, 50343}, endpoint{collector, sflowPort},
		gopacket.Payload(sflowDatagram(agent, seq, samples)))
}
