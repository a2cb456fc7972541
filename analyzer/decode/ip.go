package decode

import (
	"encoding/binary"
	"errors"
	"net/netip"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// The IP layers (gopacket's IPv6 wrapped, IPv4 decoded by hand) record,
// as each header is decoded, what the frame needs: the innermost addresses win, the first
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
	p.InICMPError, p.Sampled = d.inError && !d.sampling, d.sampling
}

// ipv4Layer decodes an IPv4 header by hand: gopacket's decoder refuses a
// header whose options are malformed, where Wireshark reads on (see
// ipopts.go), and it allocates for the options.
type ipv4Layer struct {
	d       *Decoder
	next    gopacket.LayerType
	payload []byte
	hdr     ipv4Header
}

// ipv4Header holds the fields of an IPv4 header the analysis uses.
type ipv4Header struct {
	hlen    int
	field   int // the total length, as gopacket keeps it (TSO's 0: the captured length)
	id      uint16
	ttl     uint8
	proto   layers.IPProtocol
	offset  int // fragment offset in bytes
	more    bool
	src     netip.Addr
	dst     netip.Addr // the final destination of a source route
	payload []byte     // up to the total length
}

var (
	errShortIPv4   = errors.New("IPv4 header shorter than 20 bytes")
	errBadIPv4     = errors.New("IPv4 header or total length out of range")
	errIPv4Options = errors.New("IPv4 option shorter than its fields")
)

// parseIPv4 reads an IPv4 header with the checks gopacket's IPv4 decoder
// makes (the fast path makes them too), except the one on options. A
// header whose options stop Wireshark is returned with errIPv4Options.
func parseIPv4(data []byte) (h ipv4Header, err error) {
	if len(data) < 20 {
		return h, errShortIPv4
	}
	if data[0]>>4 != 4 {
		return h, errBadVersion
	}
	length := int(binary.BigEndian.Uint16(data[2:]))
	h.field = length
	if length == 0 {
		// TCP segmentation offload: gopacket takes the captured length,
		// clamped to 16 bits in the field.
		length = len(data)
		h.field = min(length, 0xffff)
	}
	h.hlen = int(data[0]&0x0f) * 4
	if length < 20 || h.hlen < 20 || h.hlen > length || h.hlen > len(data) {
		return h, errBadIPv4
	}
	data = data[:min(len(data), length)]
	h.id = binary.BigEndian.Uint16(data[4:])
	h.more = data[6]&0x20 != 0
	h.offset = int(binary.BigEndian.Uint16(data[6:])&0x1fff) * 8
	h.ttl, h.proto = data[8], layers.IPProtocol(data[9])
	h.src, h.dst = netip.AddrFrom4([4]byte(data[12:16])), netip.AddrFrom4([4]byte(data[16:20]))
	h.payload = data[h.hlen:]
	if h.hlen > 20 {
		dst, routed, ok := ipv4Options(data[20:h.hlen])
		if routed {
			h.dst = netip.AddrFrom4(dst)
		}
		if !ok {
			return h, errIPv4Options
		}
	}
	return h, nil
}

func (l *ipv4Layer) CanDecode() gopacket.LayerClass    { return layers.LayerTypeIPv4 }
func (l *ipv4Layer) NextLayerType() gopacket.LayerType { return l.next }
func (l *ipv4Layer) LayerPayload() []byte              { return l.payload }

func (l *ipv4Layer) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	h, err := parseIPv4(data)
	if err == errIPv4Options {
		// Wireshark has the addresses by then, and stops.
		l.d.sawIP(4, h.src, h.dst)
	}
	if err != nil {
		df.SetTruncated()
		return err
	}
	l.hdr = h
	d := l.d
	d.sawIP(4, h.src, h.dst)
	if !d.inError {
		d.pkt.TTL, d.pkt.IPID = h.ttl, uint32(h.id)
	}
	l.payload, l.next = h.payload, ipProtocolLayer(h.proto)
	d.ip = ipPayload{data: data[h.hlen:], claimed: h.field - h.hlen}

	if h.offset == 0 && !h.more {
		return nil
	}
	if d.inError || len(h.payload) < d.ip.claimed || d.ip.claimed <= 0 {
		// Wireshark dissects a fragment it cannot reassemble (quoted in
		// an ICMP error, cut short by the snap length, or empty) only if
		// it is the first one.
		if h.offset != 0 {
			l.next = gopacket.LayerTypeFragment
		}
		return nil
	}
	key := newFragmentKey(h.src, h.dst, ipv4FragmentID(uint8(h.proto), h.id, h.src, h.dst, d.pkt.VLAN), false)
	return l.reassemble(key, h.offset, h.more)
}

func (l *ipv4Layer) reassemble(key fragmentKey, offset int, more bool) error {
	d := l.d
	head, total, done := d.frags.add(key, offset, more, l.hdr.payload[:d.ip.claimed])
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
	if d.inError || claimed <= 0 || len(l.payload) < claimed {
		if offset != 0 {
			l.next = gopacket.LayerTypeFragment
		}
		return nil
	}
	p := d.pkt
	// packet-ipv6.c keys on the addresses and the identification alone.
	key := newFragmentKey(p.Src, p.Dst, l.Identification, true)
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
