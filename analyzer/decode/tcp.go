package decode

import (
	"encoding/binary"
	"errors"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

var (
	errShortTCP  = errors.New("TCP header shorter than its first 16 bytes")
	errShortUDP  = errors.New("UDP header shorter than 8 bytes")
	errShortSCTP = errors.New("SCTP header shorter than 12 bytes")
)

// tcpLayer decodes a TCP header as Wireshark 4.4 does for conversation
// tracking: it reads the ports, sequence numbers, flags and window (16
// bytes) before it looks the conversation up, so those are enough for a
// segment to count; whatever is missing after them only changes what is
// shown (TCPHeaderState). gopacket's TCP layer rejects such headers, and
// allocates for options.
type tcpLayer struct {
	d *Decoder
}

func (l *tcpLayer) CanDecode() gopacket.LayerClass    { return layers.LayerTypeTCP }
func (l *tcpLayer) NextLayerType() gopacket.LayerType { return gopacket.LayerTypeZero }
func (l *tcpLayer) LayerPayload() []byte              { return nil }

func (l *tcpLayer) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	if len(data) < 16 {
		if len(data) >= 4 && !l.d.inError {
			// Wireshark shows the ports, then stops (Decoder.CutTCP).
			l.d.cutTCP = [2]uint16{binary.BigEndian.Uint16(data[0:2]), binary.BigEndian.Uint16(data[2:4])}
			l.d.hasCutTCP = true
		}
		df.SetTruncated()
		return errShortTCP
	}
	off := int(data[12]>>4) * 4
	hlen := max(20, off)
	p := l.d.pkt
	p.Transport = TCP
	p.SrcPort = binary.BigEndian.Uint16(data[0:2])
	p.DstPort = binary.BigEndian.Uint16(data[2:4])
	p.Seq = binary.BigEndian.Uint32(data[4:8])
	p.Ack = binary.BigEndian.Uint32(data[8:12])
	p.Flags = TCPFlags(data[13]) | TCPFlags(data[12]&1)<<8
	p.Window = binary.BigEndian.Uint16(data[14:16])
	p.PayloadLen = max(0, l.d.ip.claimed-l.d.ip.offsetOf(data)-hlen)
	p.TCPSegLen = int32(l.d.ip.claimed - l.d.ip.offsetOf(data) - off)
	p.TCPHeader = tcpHeaderState(off, len(data))
	p.Options = TCPOptions{}
	if len(data) > 20 {
		parseTCPOptions(data[20:min(hlen, len(data))], &p.Options)
	}
	return nil
}

// parseTCPOptions reads the options that matter here and stops quietly at
// the first malformed one, as a dissector would.
func parseTCPOptions(opts []byte, o *TCPOptions) {
	o.OptionsLen = uint8(len(opts))
	// Linux puts NOP, NOP, timestamps on every segment after the
	// handshake: take that layout in one step, as the loop would (here,
	// where the call is inlined; the loop is a call of its own).
	if len(opts) == 12 && binary.BigEndian.Uint32(opts) == 0x0101080a {
		o.HasTS = true
		o.TSVal = binary.BigEndian.Uint32(opts[4:8])
		o.TSEcr = binary.BigEndian.Uint32(opts[8:12])
		return
	}
	parseTCPOptionList(opts, o)
}

// parseTCPOptionList reads the options one by one.
func parseTCPOptionList(opts []byte, o *TCPOptions) {
	for len(opts) > 0 {
		kind := opts[0]
		if kind == 0 { // end of options
			return
		}
		if kind == 1 { // no-op
			opts = opts[1:]
			continue
		}
		if len(opts) < 2 || opts[1] < 2 || int(opts[1]) > len(opts) {
			return
		}
		body := opts[2:opts[1]]
		switch {
		case kind == 2 && len(body) == 2:
			o.MSS, o.HasMSS = binary.BigEndian.Uint16(body), true
		case kind == 3 && len(body) == 1:
			o.WScale, o.HasWScale = body[0], true
		case kind == 4:
			o.SACKPerm = true
		case kind == 8 && len(body) == 8:
			o.HasTS = true
			o.TSVal = binary.BigEndian.Uint32(body[0:4])
			o.TSEcr = binary.BigEndian.Uint32(body[4:8])
		case kind == 30:
			o.MPTCP = true
		}
		opts = opts[opts[1]:]
	}
}

// udpLayer records the UDP ports and lets gopacket choose what the payload
// is from the ports (VXLAN and Geneve tunnels carry further IP headers).
type udpLayer struct {
	layers.UDP
	d     *Decoder
	bogus bool
}

func (l *udpLayer) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	if len(data) < 8 {
		df.SetTruncated()
		return errShortUDP
	}
	if err := l.UDP.DecodeFromBytes(data, df); err != nil {
		return err
	}
	// Wireshark stops at a bogus length (below 8, as BIG TCP's 0 is).
	l.bogus = l.Length < 8
	p := l.d.pkt
	p.Transport = UDP
	p.SrcPort, p.DstPort = uint16(l.SrcPort), uint16(l.DstPort)
	if d := l.d; !d.inError && d.nUDPs < len(d.udps) {
		d.udps[d.nUDPs] = [2]uint16{p.SrcPort, p.DstPort}
		d.nUDPs++
	}
	p.PayloadLen = max(0, l.d.ip.claimed-l.d.ip.offsetOf(data)-8)
	return nil
}

func (l *udpLayer) NextLayerType() gopacket.LayerType {
	if l.bogus || l.d.inError {
		return gopacket.LayerTypeZero
	}
	return udpPortLayer(uint16(l.SrcPort), uint16(l.DstPort))
}

// sctpLayer records the ports and, for INIT and INIT ACK, the initiate tag.
type sctpLayer struct {
	d *Decoder
}

func (l *sctpLayer) CanDecode() gopacket.LayerClass    { return layers.LayerTypeSCTP }
func (l *sctpLayer) NextLayerType() gopacket.LayerType { return gopacket.LayerTypeZero }
func (l *sctpLayer) LayerPayload() []byte              { return nil }

func (l *sctpLayer) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	if len(data) < 12 {
		df.SetTruncated()
		return errShortSCTP
	}
	p := l.d.pkt
	p.Transport = SCTP
	p.SrcPort = binary.BigEndian.Uint16(data[0:2])
	p.DstPort = binary.BigEndian.Uint16(data[2:4])
	p.SCTPVerTag = binary.BigEndian.Uint32(data[4:8])
	p.PayloadLen = max(0, l.d.ip.claimed-l.d.ip.offsetOf(data)-12)
	chunks := data[12:]
	if len(chunks) >= 4 {
		p.SCTPChunk = chunks[0]
		if (p.SCTPChunk == 1 || p.SCTPChunk == 2) && len(chunks) >= 8 {
			p.SCTPInitiateTag = binary.BigEndian.Uint32(chunks[4:8])
		}
	}
	return nil
}
