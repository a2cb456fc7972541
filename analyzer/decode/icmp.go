package decode

import (
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// ICMP error messages quote the start of the packet that caused them.
// Wireshark dissects that quote, TCP header included, and tracks it like
// any other segment; so do these layers, marking the packet InICMPError.

type icmpv4Layer struct {
	layers.ICMPv4
	d    *Decoder
	next gopacket.LayerType
}

func (l *icmpv4Layer) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	if err := l.ICMPv4.DecodeFromBytes(data, df); err != nil {
		return err
	}
	d := l.d
	l.next = gopacket.LayerTypeZero
	if d.inError {
		// An ICMP message inside an ICMP error's quote: not followed further.
		return nil
	}
	p := d.pkt
	p.Transport = ICMPv4
	p.ICMPType, p.ICMPCode = l.TypeCode.Type(), l.TypeCode.Code()
	switch p.ICMPType {
	case layers.ICMPv4TypeDestinationUnreachable, layers.ICMPv4TypeSourceQuench,
		layers.ICMPv4TypeRedirect, layers.ICMPv4TypeTimeExceeded,
		layers.ICMPv4TypeParameterProblem:
		d.inError = true
		l.next = layers.LayerTypeIPv4
	}
	return nil
}

func (l *icmpv4Layer) NextLayerType() gopacket.LayerType { return l.next }

type icmpv6Layer struct {
	layers.ICMPv6
	d       *Decoder
	next    gopacket.LayerType
	payload []byte
}

func (l *icmpv6Layer) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	if err := l.ICMPv6.DecodeFromBytes(data, df); err != nil {
		return err
	}
	d := l.d
	l.next, l.payload = gopacket.LayerTypeZero, nil
	if d.inError {
		return nil
	}
	p := d.pkt
	p.Transport = ICMPv6
	p.ICMPType, p.ICMPCode = l.TypeCode.Type(), l.TypeCode.Code()
	// Types 1-4 are the errors; their quote follows 4 bytes of
	// type-specific data (unused, MTU or pointer).
	if p.ICMPType >= 1 && p.ICMPType <= 4 && len(data) > 8 {
		d.inError = true
		l.next, l.payload = layers.LayerTypeIPv6, data[8:]
	}
	return nil
}

func (l *icmpv6Layer) NextLayerType() gopacket.LayerType { return l.next }
func (l *icmpv6Layer) LayerPayload() []byte              { return l.payload }
