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
	// The parser used last and its first layer.
	last      *gopacket.DecodingLayerParser
	lastFirst gopacket.LayerType

	ip4   ipv4Layer
	ip6   ipv6Layer
	ext6  layers.IPv6ExtensionSkipper
	frag6 ipv6FragmentLayer
	tcp   tcpLayer
	udp   udpLayer
	sctp  sctpLayer
	icmp4 icmpv4Layer
	icmp6 icmpv6Layer
	vxlan layers.VXLAN
	gnv   layers.Geneve
	sflow sflowLayer

	links []gopacket.DecodingLayer // link layers and tunnels (link.go, tunnel.go)
	frags fragments
	ip    ipPayload // the innermost IP payload decoded so far

	// Per-frame state the layers fill in as they decode.
	pkt     *Packet
	inError bool // Wireshark's in_error_pkt: an ICMP error's quote or an sFlow sample
	// sampling: the layers being decoded are a packet an sFlow agent
	// sampled; samples are the frame's samples (the first continues the
	// frame's decoding), extra the packets decoded from the others (Extra).
	sampling bool
	samples  []sample
	extra    []Packet
	carrier  SFlow // the datagram holding samples (SFlow)
	// cutTCP are the ports of a TCP header cut before 16 bytes (CutTCP).
	cutTCP    [2]uint16
	hasCutTCP bool
	// ethers are the frame's Ethernet headers' addresses (source at 6,
	// destination at 0), outer first, when the parser decoded it (Ethers).
	ethers  [4][12]byte
	nEthers int
	// udps are the ports of the frame's UDP headers, outer first (UDPs).
	udps  [4][2]uint16
	nUDPs int
}

// NewDecoder returns a Decoder ready for any supported link type. The
// parsers, link layers and fragment table are built on first use: a
// Decoder made to decode one row of the table (analyzer/row.go) usually
// needs none of them, since the fast path takes the frame.
func NewDecoder() *Decoder {
	d := &Decoder{}
	d.ip4.d, d.ip6.d, d.frag6.d = d, d, d
	d.tcp.d, d.udp.d, d.sctp.d = d, d, d
	d.icmp4.d, d.icmp6.d, d.sflow.d = d, d, d
	return d
}

func (d *Decoder) parser(first gopacket.LayerType) *gopacket.DecodingLayerParser {
	if first == d.lastFirst && d.last != nil {
		// Captures keep to one link type, mostly: skip the map lookup.
		return d.last
	}
	p := d.parserFor(first)
	d.lastFirst, d.last = first, p
	return p
}

func (d *Decoder) parserFor(first gopacket.LayerType) *gopacket.DecodingLayerParser {
	if p := d.parsers[first]; p != nil {
		return p
	}
	if d.parsers == nil {
		d.parsers = make(map[gopacket.LayerType]*gopacket.DecodingLayerParser)
		d.links = d.linkLayers()
	}
	// The extension skipper goes before the fragment layer: both claim
	// LayerTypeIPv6Fragment and the later one wins.
	// A sparse container (a slice indexed by layer type) finds the next
	// layer without hashing, which the default map container does for
	// every layer of every frame.
	var dlc gopacket.DecodingLayerContainer = gopacket.DecodingLayerSparse(nil)
	for _, l := range []gopacket.DecodingLayer{&d.ip4, &d.ip6, &d.ext6, &d.frag6,
		&d.tcp, &d.udp, &d.sctp, &d.icmp4, &d.icmp6, &d.vxlan, &d.gnv, &d.sflow} {
		dlc = dlc.Put(l)
	}
	for _, l := range d.links {
		dlc = dlc.Put(l)
	}
	p := gopacket.NewDecodingLayerParser(first)
	p.SetDecodingLayerContainer(dlc)
	p.IgnoreUnsupported = true
	d.parsers[first] = p
	return p
}

// firstLayer chooses the decoder for a link type. Raw IP link types carry
// no header naming the protocol, so the version nibble decides.
func firstLayer(link capture.LinkType, data []byte) (gopacket.LayerType, bool) {
	switch link {
	case capture.LinkEthernet:
		return layerEther, true
	case capture.LinkLinuxSLL:
		return layerSLL, true
	case capture.LinkLinuxSLL2:
		return layerSLL2, true
	case capture.LinkNull, capture.LinkLoop:
		return layerNull, true
	case 7: // ARCNET (BSD)
		return layerARCNETBSD, true
	case 129: // ARCNET (Linux)
		return layerARCNET, true
	case 9, 50: // PPP, PPP in HDLC framing
		return layerPPP, true
	case 51: // PPPoE
		return layerPPPoE, true
	case 104: // Cisco HDLC
		return layerCHDLC, true
	case 10: // FDDI
		return layerFDDI, true
	case 178: // Juniper Ethernet
		return layerJuniper, true
	case 239: // Linux NFLOG
		return layerNFLOG, true
	case 242: // IP over InfiniBand
		return layerIPoIB, true
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
	// The fast path takes no sFlow frame: forget the last one's samples
	// (SFlow), as decodeParser does.
	d.extra, d.samples, d.hasCutTCP, d.nEthers, d.nUDPs = d.extra[:0], d.samples[:0], false, 0, 0
	if decodeFast(link, data, p) {
		return nil
	}
	return d.decodeParser(link, data, p)
}

// decodeParser is the general path: gopacket's DecodingLayerParser over
// the layers of this package, for every frame the fast path declines.
func (d *Decoder) decodeParser(link capture.LinkType, data []byte, p *Packet) error {
	p.reset()
	first, ok := firstLayer(link, data)
	if !ok {
		return fmt.Errorf("%w: %v", ErrUnsupportedLink, link)
	}
	d.pkt, d.inError, d.sampling, d.samples, d.hasCutTCP, d.nEthers, d.nUDPs = p, false, false, d.samples[:0], false, 0, 0
	// Errors here are malformed or truncated inner layers; what was
	// decoded before them stands, as in Wireshark.
	_ = d.parser(first).DecodeLayers(data, &d.decoded)
	d.decodeSamples(p)
	d.pkt, d.sampling = nil, false
	return nil
}

// decodeSamples decodes the sFlow samples after the first (which the
// frame's own decoding took) into d.extra. Each starts with the frame's
// outer fields, as the first sample does.
func (d *Decoder) decodeSamples(p *Packet) {
	if len(d.samples) < 2 {
		return
	}
	for _, s := range d.samples[1:] {
		d.extra = append(d.extra, Packet{IPVersion: p.IPVersion, OuterSrc: p.OuterSrc, OuterDst: p.OuterDst,
			TTL: p.TTL, IPID: p.IPID, VLAN: p.VLAN})
		d.pkt, d.inError = &d.extra[len(d.extra)-1], true
		_ = d.parser(s.first).DecodeLayers(s.data, &d.decoded)
	}
}

// Ethers returns the addresses of the Ethernet headers of the frame
// decoded last, outer first (a tunnel's inner frames after it; not an sFlow
// sample's: SampleEthernet), at most four; none when the fast path took
// the frame, which has one Ethernet header, at its start. Each holds the
// destination's 6 bytes, then the source's. Valid until the next Decode.
func (d *Decoder) Ethers() [][12]byte { return d.ethers[:d.nEthers] }

// UDPs returns the source and destination ports of the UDP headers of
// the frame decoded last, outer first (a tunnel's: VXLAN, Geneve, GTP,
// Teredo; not those quoted in an ICMP error or sampled by sFlow), at most
// four; none when the fast path took the frame. Valid until the next
// Decode.
func (d *Decoder) UDPs() [][2]uint16 { return d.udps[:d.nUDPs] }

// CutTCP returns the ports of the frame's TCP header when the frame (not
// a quote in it) holds its first 4 bytes but not 16: Wireshark shows the
// ports of such a header and stops, and tracks no conversation for it,
// so the Packet has no transport.
func (d *Decoder) CutTCP() (src, dst uint16, ok bool) {
	if !d.hasCutTCP {
		return 0, 0, false
	}
	return d.cutTCP[0], d.cutTCP[1], true
}

// Extra returns the transport headers of the frame decoded last beyond
// the one Decode filled in: the second and later packets sampled in an
// sFlow datagram, in order. Wireshark dissects each, so each finds or
// starts a conversation. The slice is valid until the next Decode.
func (d *Decoder) Extra() []Packet { return d.extra }
