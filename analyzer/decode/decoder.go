package decode

import (
	"errors"
	"fmt"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/portlens/portlens/analyzer/capture"
)

// ErrUnsupportedLink is returned for frames of a link type with no decoder.
var ErrUnsupportedLink = errors.New("unsupported link type")

// Decoder decodes frames into Packets. It keeps one gopacket
// DecodingLayerParser per first layer, all sharing one set of layers, so
// decoding allocates nothing per frame. A Decoder is not safe for
// concurrent use; it keeps IP fragments between calls.
type Decoder struct {
	parsers map[gopacket.LayerType]*gopacket.DecodingLayerParser
	decoded []gopacket.LayerType

	eth   layers.Ethernet
	dot1q layers.Dot1Q
	sll   layers.LinuxSLL
	sll2  layers.LinuxSLL2
	loop  layers.Loopback
	ip4   ipv4Layer
	ip6   ipv6Layer
	ext6  layers.IPv6ExtensionSkipper
	frag6 ipv6FragmentLayer
	tcp   tcpLayer
	udp   udpLayer
	sctp  sctpLayer
	gre   layers.GRE
	icmp4 icmpv4Layer
	icmp6 icmpv6Layer
	vxlan layers.VXLAN
	gnv   layers.Geneve

	frags fragments
	ip    ipPayload // the innermost IP payload decoded so far

	// Per-frame state the layers fill in as they decode.
	pkt     *Packet
	inError bool // the layers being decoded are quoted in an ICMP error
}

// NewDecoder returns a Decoder ready for any supported link type.
func NewDecoder() *Decoder {
	d := &Decoder{parsers: make(map[gopacket.LayerType]*gopacket.DecodingLayerParser)}
	d.ip4.d, d.ip6.d, d.frag6.d = d, d, d
	d.tcp.d, d.udp.d, d.sctp.d = d, d, d
	d.icmp4.d, d.icmp6.d = d, d
	d.frags.init()
	return d
}

func (d *Decoder) parser(first gopacket.LayerType) *gopacket.DecodingLayerParser {
	if p := d.parsers[first]; p != nil {
		return p
	}
	// The extension skipper goes before the fragment layer: both claim
	// LayerTypeIPv6Fragment and the later one wins.
	p := gopacket.NewDecodingLayerParser(first,
		&d.eth, &d.dot1q, &d.sll, &d.sll2, &d.loop,
		&d.ip4, &d.ip6, &d.ext6, &d.frag6,
		&d.tcp, &d.udp, &d.sctp, &d.gre, &d.icmp4, &d.icmp6,
		&d.vxlan, &d.gnv)
	p.IgnoreUnsupported = true
	d.parsers[first] = p
	return p
}

// firstLayer chooses the decoder for a link type. Raw IP link types carry
// no header naming the protocol, so the version nibble decides.
func firstLayer(link capture.LinkType, data []byte) (gopacket.LayerType, bool) {
	switch link {
	case capture.LinkEthernet:
		return layers.LayerTypeEthernet, true
	case capture.LinkLinuxSLL:
		return layers.LayerTypeLinuxSLL, true
	case capture.LinkLinuxSLL2:
		return layers.LayerTypeLinuxSLL2, true
	case capture.LinkNull, capture.LinkLoop:
		return layers.LayerTypeLoopback, true
	case capture.LinkIPv4:
		return layers.LayerTypeIPv4, true
	case capture.LinkIPv6:
		return layers.LayerTypeIPv6, true
	case capture.LinkRaw, capture.LinkRaw12, capture.LinkRaw14:
		if len(data) > 0 && data[0]>>4 == 6 {
			return layers.LayerTypeIPv6, true
		}
		return layers.LayerTypeIPv4, true
	}
	return gopacket.LayerTypeZero, false
}

// Decode fills p from one frame. The error is ErrUnsupportedLink for a
// link type it cannot decode; a frame that is merely short or malformed
// is not an error: p then holds whatever could be decoded.
func (d *Decoder) Decode(link capture.LinkType, data []byte, p *Packet) error {
	p.reset()
	first, ok := firstLayer(link, data)
	if !ok {
		return fmt.Errorf("%w: %v", ErrUnsupportedLink, link)
	}
	d.pkt, d.inError = p, false
	// Errors here are malformed or truncated inner layers; what was
	// decoded before them stands, as in Wireshark.
	_ = d.parser(first).DecodeLayers(data, &d.decoded)
	for _, t := range d.decoded {
		if t == layers.LayerTypeDot1Q {
			p.VLAN = int(d.dot1q.VLANIdentifier)
			break
		}
	}
	d.pkt = nil
	return nil
}
