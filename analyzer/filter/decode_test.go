package filter_test

import (
	"errors"
	"io"
	"net"
	"net/netip"
	"os"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/ip4defrag"
	"github.com/gopacket/gopacket/layers"
	"github.com/portlens/portlens/analyzer/capture"
	"github.com/portlens/portlens/analyzer/decode"
	"github.com/portlens/portlens/analyzer/filter"
)

// decodeCapture reads a capture into Frames the way Wireshark dissects
// it, with gopacket: every Ethernet and IP header (tunnels, and the
// headers quoted in ICMP errors), ports, TCP flags and numbers, and IPv4
// datagrams reassembled on the fragment that completes them. It is an
// independent decoder, written for this test, so that the table below
// checks the filter semantics and not portlens's own decoder. It leaves
// out tcp.stream and portlens's findings.
func decodeCapture(t testing.TB, path string) []*filter.Frame {
	t.Helper()
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	r, err := capture.NewReader(fh)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	d := &wsDecoder{defrag: ip4defrag.NewIPv4Defragmenter()}
	var frames []*filter.Frame
	for {
		p, err := r.Next()
		if errors.Is(err, io.EOF) {
			return frames
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if len(frames) == 0 {
			d.first = p.Time
		}
		frames = append(frames, d.frame(int64(len(frames)+1), p))
	}
}

type wsDecoder struct {
	defrag *ip4defrag.IPv4Defragmenter
	first  int64
}

func (d *wsDecoder) frame(n int64, p *capture.Packet) *filter.Frame {
	f := &filter.Frame{Number: n, Len: int64(p.Length), CapLen: int64(len(p.Data)), TimeRel: p.Time - d.first,
		Data: append([]byte(nil), p.Data...)}
	first := linkLayer(p.Link, p.Data)
	if first == gopacket.LayerTypeZero {
		return f
	}
	pkt := gopacket.NewPacket(f.Data, first, gopacket.Default)
	d.walk(f, pkt.Layers(), p.Time, -1)
	return f
}

// gopacketStops reports whether the test decoder gives up on a frame where
// Wireshark goes on: a layer gopacket cannot decode (a truncated TCP
// header), an EtherType or GRE payload it does not know (802.1ah, Aruba's
// 802.11 in GRE), an IPv6 fragment, which it does not reassemble, sFlow,
// whose sampled headers Wireshark decodes too, or Teredo.
func gopacketStops(link capture.LinkType, data []byte) bool {
	first := linkLayer(link, data)
	if first == gopacket.LayerTypeZero {
		return true
	}
	pkt := gopacket.NewPacket(data, first, gopacket.NoCopy)
	if pkt.ErrorLayer() != nil {
		return true
	}
	ls := pkt.Layers()
	for _, l := range ls {
		if fr, ok := l.(*layers.IPv6Fragment); ok && (fr.FragmentOffset != 0 || fr.MoreFragments) {
			return true
		}
		if l.LayerType() == layers.LayerTypeSFlow {
			return true // Wireshark also decodes the packet headers sFlow samples
		}
		if u, ok := l.(*layers.UDP); ok && (u.SrcPort == 3544 || u.DstPort == 3544) {
			return true // Teredo: IPv6 in UDP, which Wireshark decodes
		}
	}
	last := ls[len(ls)-1].LayerType()
	if last == gopacket.LayerTypePayload && len(ls) > 1 {
		last = ls[len(ls)-2].LayerType()
	}
	switch last {
	case layers.LayerTypeEthernet, layers.LayerTypeDot1Q, layers.LayerTypeGRE:
		return true
	}
	return false
}

func linkLayer(l capture.LinkType, data []byte) gopacket.LayerType {
	switch l {
	case capture.LinkEthernet:
		return layers.LayerTypeEthernet
	case capture.LinkNull, capture.LinkLoop:
		return layers.LayerTypeLoopback
	case capture.LinkLinuxSLL:
		return layers.LayerTypeLinuxSLL
	case capture.LinkLinuxSLL2:
		return layers.LayerTypeLinuxSLL2
	case capture.LinkIPv4:
		return layers.LayerTypeIPv4
	case capture.LinkIPv6:
		return layers.LayerTypeIPv6
	case capture.LinkRaw, capture.LinkRaw12, capture.LinkRaw14:
		if len(data) > 0 && data[0]>>4 == 6 {
			return layers.LayerTypeIPv6
		}
		return layers.LayerTypeIPv4
	}
	return gopacket.LayerTypeZero
}

// walk adds the fields of decoded layers. rem is what remains of the IP
// payload by the IP header's length fields (-1 before an IP header): tcp.len
// comes from it, as in Wireshark, not from the bytes captured.
func (d *wsDecoder) walk(f *filter.Frame, ls []gopacket.Layer, ts int64, rem int) {
	for _, l := range ls {
		switch l := l.(type) {
		case *layers.Ethernet:
			f.AddEth(filter.MAC(l.SrcMAC), filter.MAC(l.DstMAC))
		case *layers.IPv4:
			if len(l.SrcIP) == 0 || l.Version != 4 { // Wireshark shows "ip" without addresses
				f.Protos |= filter.ProtoIP
				return
			}
			f.AddIP(addr(l.SrcIP), addr(l.DstIP))
			rem = int(l.Length) - int(l.IHL)*4
			frag := l.Flags&layers.IPv4MoreFragments != 0 || l.FragOffset != 0
			switch {
			case frag && l.FragOffset == 0 && len(l.Payload) < rem:
				// A first fragment cut by the snap length cannot be
				// reassembled; Wireshark decodes what it holds.
				sub := gopacket.NewPacket(l.Payload, l.Protocol.LayerType(), gopacket.Default)
				d.walk(f, sub.Layers(), ts, rem)
			case frag:
				d.reassemble(f, l, ts)
			}
		case *layers.IPv6:
			if len(l.SrcIP) == 0 || l.Version != 6 {
				f.Protos |= filter.ProtoIPv6
				return
			}
			f.AddIP(addr(l.SrcIP), addr(l.DstIP))
			rem = int(l.Length)
		case *layers.IPv6HopByHop, *layers.IPv6Destination, *layers.IPv6Routing:
			rem -= len(l.LayerContents())
		case *layers.IPv6Fragment:
			rem -= len(l.LayerContents())
			if l.FragmentOffset == 0 && !l.MoreFragments {
				// An atomic fragment is a whole datagram: Wireshark decodes on,
				// gopacket does not.
				sub := gopacket.NewPacket(l.Payload, l.NextHeader.LayerType(), gopacket.Default)
				d.walk(f, sub.Layers(), ts, rem)
			}
		case *layers.TCP:
			n := len(l.Payload)
			if rem >= 0 {
				n = max(rem-int(l.DataOffset)*4, 0)
			}
			f.AddTCP(filter.TCP{Src: uint16(l.SrcPort), Dst: uint16(l.DstPort), Stream: -1,
				Flags: tcpFlags(l), Seq: l.Seq, Ack: l.Ack, Len: uint32(n)})
		case *layers.UDP:
			f.AddUDP(uint16(l.SrcPort), uint16(l.DstPort))
			if l.Length < 8 {
				return // Wireshark: "BAD UDP LENGTH", and nothing after
			}
		case *layers.SCTP:
			f.AddSCTP(uint16(l.SrcPort), uint16(l.DstPort))
		case *layers.ICMPv4:
			f.Protos |= filter.ProtoICMP
			switch l.TypeCode.Type() {
			case layers.ICMPv4TypeDestinationUnreachable, layers.ICMPv4TypeSourceQuench, layers.ICMPv4TypeRedirect,
				layers.ICMPv4TypeTimeExceeded, layers.ICMPv4TypeParameterProblem:
				quoted(f, l.Payload)
			}
		case *layers.ICMPv6:
			f.Protos |= filter.ProtoICMPv6
			if l.TypeCode.Type() <= layers.ICMPv6TypeParameterProblem && len(l.Payload) > 4 {
				quoted(f, l.Payload[4:]) // after the unused or MTU word
			}
		}
	}
}

// reassemble decodes the transport of an IPv4 datagram on the fragment
// that completes it, as Wireshark shows it on that frame.
func (d *wsDecoder) reassemble(f *filter.Frame, l *layers.IPv4, ts int64) {
	cp := *l
	whole, err := d.defrag.DefragIPv4WithTimestamp(&cp, time.Unix(0, ts))
	if err != nil || whole == nil {
		return
	}
	sub := gopacket.NewPacket(whole.Payload, whole.Protocol.LayerType(), gopacket.Default)
	d.walk(f, sub.Layers(), ts, len(whole.Payload))
}

// quoted adds the IP header and the start of the transport header that an
// ICMP error quotes. Wireshark shows the quoted TCP header's ports, ack
// and flags, but not seq_raw or len; fields past the quoted bytes are
// absent.
func quoted(f *filter.Frame, b []byte) {
	var proto layers.IPProtocol
	var payload []byte
	switch {
	case len(b) >= 20 && b[0]>>4 == 4:
		var ip layers.IPv4
		if ip.DecodeFromBytes(b, gopacket.NilDecodeFeedback) != nil {
			return
		}
		f.AddIP(addr(ip.SrcIP), addr(ip.DstIP))
		proto, payload = ip.Protocol, ip.Payload
	case len(b) >= 40 && b[0]>>4 == 6:
		var ip layers.IPv6
		if ip.DecodeFromBytes(b, gopacket.NilDecodeFeedback) != nil {
			return
		}
		f.AddIP(addr(ip.SrcIP), addr(ip.DstIP))
		proto, payload = ip.NextHeader, ip.Payload
	default:
		return
	}
	if len(payload) < 4 {
		return
	}
	src, dst := uint16(payload[0])<<8|uint16(payload[1]), uint16(payload[2])<<8|uint16(payload[3])
	switch proto {
	case layers.IPProtocolTCP:
		t := filter.TCP{Src: src, Dst: dst, Stream: -1, Absent: filter.AbsentSeq | filter.AbsentLen}
		if len(payload) >= 12 {
			t.Ack = uint32(payload[8])<<24 | uint32(payload[9])<<16 | uint32(payload[10])<<8 | uint32(payload[11])
		} else {
			t.Absent |= filter.AbsentAck
		}
		if len(payload) >= 14 {
			t.Flags = decode.TCPFlags(payload[13]) | decode.TCPFlags(payload[12]&1)<<8
		} else {
			t.Absent |= filter.AbsentFlags
		}
		f.AddTCP(t)
	case layers.IPProtocolUDP:
		f.AddUDP(src, dst)
	case layers.IPProtocolSCTP:
		f.AddSCTP(src, dst)
	case layers.IPProtocolICMPv4:
		f.Protos |= filter.ProtoICMP
	case layers.IPProtocolICMPv6:
		f.Protos |= filter.ProtoICMPv6
	}
}

func addr(ip net.IP) netip.Addr {
	a, _ := netip.AddrFromSlice(ip) // 4 bytes in IPv4 layers, 16 in IPv6
	return a
}

func tcpFlags(l *layers.TCP) decode.TCPFlags {
	var f decode.TCPFlags
	for _, b := range []struct {
		set  bool
		flag decode.TCPFlags
	}{{l.FIN, decode.FIN}, {l.SYN, decode.SYN}, {l.RST, decode.RST}, {l.PSH, decode.PSH}, {l.ACK, decode.ACK},
		{l.URG, decode.URG}, {l.ECE, decode.ECE}, {l.CWR, decode.CWR}, {l.NS, decode.AE}} {
		if b.set {
			f |= b.flag
		}
	}
	return f
}
