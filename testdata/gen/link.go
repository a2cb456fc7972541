package main

// Link layers: each capture's IP packets are framed for its link type here.

import (
	"encoding/binary"
	"fmt"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// pkt is one packet of a scenario, before link-layer framing.
type pkt struct {
	at    time.Duration // offset from the capture's epoch
	ip    []byte        // IPv4 or IPv6 packet
	iface int           // pcapng interface; selects the link type
	vlan  uint16        // 802.1Q VLAN (ethVLAN, ethQinQ), E-CID (ethETag)
	outer uint16        // 802.1ad service VLAN (ethQinQ)
	snap  int           // bytes of the frame captured; 0: all of it
}

// Pseudo link types for the Ethernet variants; they are written to the file
// as LINKTYPE_ETHERNET.
const (
	ethVLAN layers.LinkType = 0x1001 + iota
	ethQinQ
	nullBigEndian // LINKTYPE_NULL with the family in big-endian order
	ethETag       // Ethernet with an 802.1BR E-Tag (EtherType 0x893F)
)

// fileLinkType is the link type as stored in the capture file.
func fileLinkType(lt layers.LinkType) layers.LinkType {
	switch lt {
	case ethVLAN, ethQinQ, ethETag:
		return layers.LinkTypeEthernet
	case nullBigEndian:
		return layers.LinkTypeNull
	}
	return lt
}

// frame adds the link-layer header of lt to p. local is the address of the
// capturing host, used for the "outgoing" packet type of the Linux headers.
func frame(lt layers.LinkType, p pkt, local []byte) []byte {
	v6 := p.ip[0]>>4 == 6
	etype := layers.EthernetTypeIPv4
	if v6 {
		etype = layers.EthernetTypeIPv6
	}
	src, dst := macs(p.ip)
	switch lt {
	case layers.LinkTypeEthernet:
		return padEthernet(serialize(&layers.Ethernet{SrcMAC: src, DstMAC: dst, EthernetType: etype}, gopacket.Payload(p.ip)))
	case ethVLAN:
		return padEthernet(serialize(
			&layers.Ethernet{SrcMAC: src, DstMAC: dst, EthernetType: layers.EthernetTypeDot1Q},
			&layers.Dot1Q{VLANIdentifier: p.vlan, Type: etype},
			gopacket.Payload(p.ip)))
	case ethQinQ:
		return padEthernet(serialize(
			&layers.Ethernet{SrcMAC: src, DstMAC: dst, EthernetType: layers.EthernetTypeQinQ},
			&layers.Dot1Q{VLANIdentifier: p.outer, Type: layers.EthernetTypeDot1Q},
			&layers.Dot1Q{VLANIdentifier: p.vlan, Type: etype},
			gopacket.Payload(p.ip)))
	case ethETag:
		return padEthernet(serialize(
			&layers.Ethernet{SrcMAC: src, DstMAC: dst, EthernetType: 0x893f},
			gopacket.Payload(eTag(p.vlan, etype)),
			gopacket.Payload(p.ip)))
	case layers.LinkTypeLinuxSLL:
		h := make([]byte, 16)
		binary.BigEndian.PutUint16(h[0:], sllPacketType(p.ip, local))
		binary.BigEndian.PutUint16(h[2:], 1) // ARPHRD_ETHER
		binary.BigEndian.PutUint16(h[4:], 6)
		copy(h[6:], src)
		binary.BigEndian.PutUint16(h[14:], uint16(etype))
		return append(h, p.ip...)
	case layers.LinkTypeLinuxSLL2:
		h := make([]byte, 20)
		binary.BigEndian.PutUint16(h[0:], uint16(etype))
		binary.BigEndian.PutUint32(h[4:], 2) // interface index
		binary.BigEndian.PutUint16(h[8:], 1) // ARPHRD_ETHER
		h[10] = byte(sllPacketType(p.ip, local))
		h[11] = 6
		copy(h[12:], src)
		return append(h, p.ip...)
	case layers.LinkTypeNull, nullBigEndian:
		family := uint32(2) // AF_INET
		if v6 {
			family = 30 // AF_INET6 on macOS
		}
		if lt == nullBigEndian {
			return append(binary.BigEndian.AppendUint32(nil, family), p.ip...)
		}
		return append(binary.LittleEndian.AppendUint32(nil, family), p.ip...)
	case layers.LinkTypeRaw, layers.LinkTypeIPv4, layers.LinkTypeIPv6:
		return p.ip
	}
	panic(fmt.Sprintf("no framing for link type %d", lt))
}

// eTag is an 802.1BR E-Tag after its EtherType: E-PCP 0, ingress E-CID
// 0, GRP 0, E-CID base ecid (the port extender's port), extensions 0,
// then the EtherType of what follows.
func eTag(ecid uint16, next layers.EthernetType) []byte {
	b := []byte{0, 0}
	b = binary.BigEndian.AppendUint16(b, ecid&0x0fff)
	b = append(b, 0, 0)
	return binary.BigEndian.AppendUint16(b, uint16(next))
}

// padEthernet pads a frame to the 60-byte Ethernet minimum, as a capture on
// a mirror port shows it.
func padEthernet(b []byte) []byte {
	for len(b) < 60 {
		b = append(b, 0)
	}
	return b
}

// macs derives locally administered MACs from the outermost IP addresses.
func macs(ip []byte) (src, dst []byte) {
	s, d := ip[12:16], ip[16:20]
	if ip[0]>>4 == 6 {
		s, d = ip[20:24], ip[36:40]
	}
	return append([]byte{0x02, 0x42}, s...), append([]byte{0x02, 0x42}, d...)
}

// sllPacketType is 4 (outgoing) for packets sent by the capturing host and 0
// (to us) otherwise.
func sllPacketType(ip, local []byte) uint16 {
	if string(srcAddr(ip)) == string(local) {
		return 4
	}
	return 0
}

// srcAddr is the outermost source address of an IP packet.
func srcAddr(ip []byte) []byte {
	if ip[0]>>4 == 6 {
		return ip[8:24]
	}
	return ip[12:16]
}
