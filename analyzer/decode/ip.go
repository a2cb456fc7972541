package decode

import (
	"errors"
	"net/netip"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// The IP layers wrap gopacket's so that each header, as it is decoded,
// records what the frame needs: the innermost addresses win, the first
// ones are kept as the outer addresses, and fragments go through the
// reassembly table the way Wireshark's default (ip.defragment) does.

// ipPayload remembers where the transport header's IP payload starts and
// how long the IP header says it is, so the transport can compute its
// payload length from the lengths on the wire, not from what was captured.
var errBadVersion = errors.New("IP version does not match its link type")

type ipPayload struct {
	data    []byte
	claimed int
}

// offsetOf returns how far b starts into the IP payload (extension
// headers in between), using the shared backing array of the slices.
func (ip *ipPayload) offsetOf(b []byte) int {
	return cap(ip.data) - cap(b)
}

func (d *Decoder) sawIP(version uint8, src, dst netip.Addr) {
	p := d.pkt
	if p.IPVersion == 0 {
		p.OuterSrc, p.OuterDst = src, dst
	} else if !d.inError {
		p.Tunnelled = true
	}
	p.IPVersion, p.Src, p.Dst = version, src, dst
	// A new IP header hides any transport decoded before it (the UDP of a
	// VXLAN tunnel, say): only what rides on the innermost IP counts.
	p.Transport, p.SrcPort, p.DstPort = OtherIP, 0, 0
	p.InICMPError = d.inError
}

type ipv4Layer struct {
	layers.IPv4
	d       *Decoder
	next    gopacket.LayerType
	payload []byte
}

func (l *ipv4Layer) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	if len(data) == 0 || data[0]>>4 != 4 {
		return errBadVersion
	}
	if err := l.IPv4.DecodeFromBytes(data, df); err != nil {
		return err
	}
	d := l.d
	src, _ := netip.AddrFromSlice(l.SrcIP)
	dst, _ := netip.AddrFromSlice(l.DstIP)
	d.sawIP(4, src, dst)
	if !d.inError {
		d.pkt.TTL, d.pkt.IPID = l.TTL, uint32(l.Id)
	}
	hlen := int(l.IHL) * 4
	l.payload, l.next = l.IPv4.Payload, ipProtocolLayer(l.Protocol)
	d.ip = ipPayload{data: data[hlen:], claimed: int(l.Length) - hlen}

	offset := int(l.FragOffset) * 8
	more := l.Flags&layers.IPv4MoreFragments != 0
	if offset == 0 && !more {
		return nil
	}
	if d.inError || len(l.IPv4.Payload) < d.ip.claimed {
		// Wireshark dissects a fragment it cannot reassemble (quoted in
		// an ICMP error, or cut short by the snap length) only if it is
		// the first one.
		if offset != 0 {
			l.next = gopacket.LayerTypeFragment
		}
		return nil
	}
	key := fragmentKey{src: src, dst: dst, id: uint32(l.Id), proto: uint8(l.Protocol)}
	return l.reassemble(key, offset, more)
}

func (l *ipv4Layer) reassemble(key fragmentKey, offset int, more bool) error {
	d := l.d
	head, total, done := d.frags.add(key, offset, more, l.IPv4.Payload[:d.ip.claimed])
	if !done {
		d.pkt.Fragment = true
		l.next = gopacket.LayerTypeFragment
		return nil
	}
	d.pkt.Reassembled = true
	l.payload = head
	d.ip = ipPayload{data: head, claimed: total}
	return nil
}

func (l *ipv4Layer) NextLayerType() gopacket.LayerType { return l.next }
func (l *ipv4Layer) LayerPayload() []byte              { return l.payload }

type ipv6Layer struct {
	layers.IPv6
	d *Decoder
}

func (l *ipv6Layer) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	if len(data) == 0 || data[0]>>4 != 6 {
		return errBadVersion
	}
	if err := l.IPv6.DecodeFromBytes(data, df); err != nil {
		return err
	}
	d := l.d
	src, _ := netip.AddrFromSlice(l.SrcIP)
	dst, _ := netip.AddrFromSlice(l.DstIP)
	d.sawIP(6, src, dst)
	if !d.inError {
		d.pkt.TTL = l.HopLimit
	}
	d.ip = ipPayload{data: data[40:], claimed: int(l.Length)}
	return nil
}

// ipv6FragmentLayer reassembles IPv6 fragments like ipv6.defragment.
type ipv6FragmentLayer struct {
	layers.IPv6Fragment
	d       *Decoder
	next    gopacket.LayerType
	payload []byte
}

func (l *ipv6FragmentLayer) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	if err := l.IPv6Fragment.DecodeFromBytes(data, df); err != nil {
		return err
	}
	d := l.d
	l.payload, l.next = l.IPv6Fragment.Payload, l.NextHeader.LayerType()
	offset := int(l.FragmentOffset) * 8
	more := l.MoreFragments
	// Bytes of this fragment's payload according to the IPv6 length.
	claimed := d.ip.claimed - d.ip.offsetOf(data) - 8
	d.ip = ipPayload{data: l.IPv6Fragment.Payload, claimed: claimed}
	if offset == 0 && !more {
		return nil
	}
	if d.inError || claimed < 0 || len(l.payload) < claimed {
		if offset != 0 {
			l.next = gopacket.LayerTypeFragment
		}
		return nil
	}
	p := d.pkt
	key := fragmentKey{src: p.Src, dst: p.Dst, id: l.Identification, proto: uint8(l.NextHeader), v6: true}
	head, total, done := d.frags.add(key, offset, more, l.payload[:claimed])
	if !done {
		p.Fragment = true
		l.next = gopacket.LayerTypeFragment
		return nil
	}
	p.Reassembled = true
	l.payload = head
	d.ip = ipPayload{data: head, claimed: total}
	return nil
}

func (l *ipv6Layer) NextLayerType() gopacket.LayerType {
	if l.HopByHop != nil {
		return ipProtocolLayer(l.HopByHop.NextHeader)
	}
	return ipProtocolLayer(l.NextHeader)
}

func (l *ipv6FragmentLayer) NextLayerType() gopacket.LayerType { return l.next }
func (l *ipv6FragmentLayer) LayerPayload() []byte              { return l.payload }
