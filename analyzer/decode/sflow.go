package decode

import (
	"encoding/binary"
	"net/netip"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// sFlow v5 datagrams (https://sflow.org/sflow_version_5.txt) carry the
// first bytes of packets an agent sampled, often several to a datagram.
// Wireshark dissects each sampled header like a packet, with
// pinfo->flags.in_error_pkt set (packet-sflow.c), so a frame can hold
// several TCP headers: each finds or starts its conversation, in order.
// The first sample continues the frame's own decoding; the others are
// decoded after it, into Decoder.Extra.

// sample is one sampled packet header: its first layer and its bytes (the
// header as sampled, up to its 4-byte padding, as Wireshark takes it).
type sample struct {
	first gopacket.LayerType
	data  []byte
}

type sflowLayer struct {
	d       *Decoder
	next    gopacket.LayerType
	payload []byte
}

func (l *sflowLayer) CanDecode() gopacket.LayerClass    { return layerSFlow }
func (l *sflowLayer) NextLayerType() gopacket.LayerType { return l.next }
func (l *sflowLayer) LayerPayload() []byte              { return l.payload }

func (l *sflowLayer) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	d := l.d
	l.next, l.payload = gopacket.LayerTypeZero, nil
	if d.sampling { // sFlow inside a sample: not followed
		return nil
	}
	d.samples = sflowSamples(data, d.samples[:0])
	if len(d.samples) == 0 {
		return nil
	}
	// The samples' headers replace the datagram's in the Packet; a
	// display filter still sees the datagram's (SFlow).
	p := d.pkt
	d.carrier = SFlow{Src: p.Src, Dst: p.Dst, SrcPort: p.SrcPort, DstPort: p.DstPort}
	l.next, l.payload = d.samples[0].first, d.samples[0].data
	d.inError, d.sampling = true, true
	return nil
}

// SFlow is the sFlow datagram a frame carries, as the Packet no longer
// shows it once the first sample is decoded into it: the innermost IP
// header and the UDP header that carry the datagram.
type SFlow struct {
	Src, Dst         netip.Addr
	SrcPort, DstPort uint16
}

// SFlow returns the sFlow datagram of the frame decoded last and how
// many packet headers it samples (the first decoded into the frame's
// Packet, the others into Extra); ok is false when the frame carries no
// sampled header.
func (d *Decoder) SFlow() (s SFlow, samples int, ok bool) {
	return d.carrier, len(d.samples), len(d.samples) > 0
}

// SampleEthernet returns the Ethernet addresses of the frame's i-th
// sampled header (from 0, in SFlow's order); ok is false when that
// header does not start with an Ethernet header. It reads the frame's
// bytes, which must be as Decode was given them.
func (d *Decoder) SampleEthernet(i int) (src, dst [6]byte, ok bool) {
	if i < 0 || i >= len(d.samples) {
		return src, dst, false
	}
	s := d.samples[i]
	if s.first != layerEther || len(s.data) < 12 {
		return src, dst, false
	}
	return [6]byte(s.data[6:12]), [6]byte(s.data[0:6]), true
}

// sflowSamples appends the sampled headers of an sFlow v5 datagram to
// out, walking samples and records by their stated lengths, as Wireshark
// does. A header cut short ends the walk (Wireshark's exception).
func sflowSamples(b []byte, out []sample) []sample {
	be := binary.BigEndian
	if len(b) < 8 || be.Uint32(b) != 5 {
		return out
	}
	n := 8
	switch be.Uint32(b[4:]) { // agent address type; unknown ones have no address
	case 1:
		n += 4
	case 2:
		n += 16
	}
	n += 12 // sub-agent id, sequence number, uptime
	if len(b) < n+4 {
		return out
	}
	count := int(be.Uint32(b[n:]))
	n += 4
	for i := 0; i < count && n+8 <= len(b); i++ {
		format := be.Uint32(b[n:])
		length := int(be.Uint32(b[n+4:]))
		// Records are read by their count from the datagram; the sample's
		// length only says where the next sample starts.
		var ok bool
		if out, ok = flowSample(format, b[n+8:], out); !ok {
			return out
		}
		n += 8 + length
		if n < 0 { // a length that overflows
			break
		}
	}
	return out
}

// flowSample appends the raw packet headers of a flow sample (format 1)
// or an expanded flow sample (format 3) of the standard enterprise; ok
// is false when a header runs past the datagram.
func flowSample(format uint32, b []byte, out []sample) (_ []sample, ok bool) {
	be := binary.BigEndian
	var n int
	switch format {
	case 1:
		n = 32
	case 3:
		n = 44
	default:
		return out, true
	}
	if len(b) < n {
		return out, true
	}
	records := int(be.Uint32(b[n-4:]))
	for i := 0; i < records && n+8 <= len(b); i++ {
		rformat := be.Uint32(b[n:])
		rlen := int(be.Uint32(b[n+4:]))
		if rformat == 1 { // raw packet header
			if out, ok = rawHeader(b[n+8:], out); !ok {
				return out, false
			}
		}
		n += 8 + rlen
		if n < 0 {
			break
		}
	}
	return out, true
}

// rawHeader appends a raw packet header record's header: protocol, frame
// length, bytes stripped, header length, then the header.
func rawHeader(b []byte, out []sample) (_ []sample, ok bool) {
	if len(b) < 16 {
		return out, false
	}
	be := binary.BigEndian
	hlen := int(be.Uint32(b[12:]))
	hlen += -hlen & 3 // XDR pads to 4 bytes; Wireshark takes the padding too
	if hlen < 0 || len(b)-16 < hlen {
		return out, false
	}
	var first gopacket.LayerType
	switch be.Uint32(b) {
	case 1:
		first = layerEther
	case 7:
		first = layerPPP
	case 11:
		first = layers.LayerTypeIPv4
	case 12:
		first = layers.LayerTypeIPv6
	default:
		return out, true
	}
	return append(out, sample{first: first, data: b[16 : 16+hlen]}), true
}
