package decode

import (
	"encoding/binary"
	"net"
	"net/netip"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/portlens/portlens/analyzer/capture"
)

// serialize builds a frame from gopacket layers, lengths and checksums fixed.
func serialize(t *testing.T, ls ...gopacket.SerializableLayer) []byte {
	t.Helper()
	buf := gopacket.NewSerializeBuffer()
	opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
	if err := gopacket.SerializeLayers(buf, opts, ls...); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

var (
	clientIP = net.IP{10, 0, 0, 1}
	serverIP = net.IP{10, 0, 0, 2}
	outerA   = net.IP{192, 0, 2, 1}
	outerB   = net.IP{192, 0, 2, 2}
)

func ipv4(src, dst net.IP, proto layers.IPProtocol) *layers.IPv4 {
	return &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Protocol: proto, SrcIP: src, DstIP: dst}
}

func syn(ip *layers.IPv4) *layers.TCP {
	tcp := &layers.TCP{SrcPort: 51000, DstPort: 443, Seq: 1000, SYN: true, Window: 64240,
		Options: []layers.TCPOption{{OptionType: layers.TCPOptionKindMSS, OptionLength: 4, OptionData: []byte{5, 0xb4}}}}
	tcp.SetNetworkLayerForChecksum(ip)
	return tcp
}

func udp(ip *layers.IPv4, dstPort layers.UDPPort) *layers.UDP {
	u := &layers.UDP{SrcPort: 40000, DstPort: dstPort}
	u.SetNetworkLayerForChecksum(ip)
	return u
}

func eth(t layers.EthernetType) *layers.Ethernet {
	return &layers.Ethernet{SrcMAC: net.HardwareAddr{0, 1, 2, 3, 4, 5}, DstMAC: net.HardwareAddr{0, 1, 2, 3, 4, 6}, EthernetType: t}
}

func TestDecodeEncapsulations(t *testing.T) {
	inner := ipv4(clientIP, serverIP, layers.IPProtocolTCP)
	plainTCP := serialize(t, inner, syn(inner))
	outerUDP := ipv4(outerA, outerB, layers.IPProtocolUDP)
	cases := []struct {
		name      string
		link      capture.LinkType
		frame     []byte
		vlan      int
		tunnelled bool
	}{
		{"ethernet", capture.LinkEthernet, serialize(t, eth(layers.EthernetTypeIPv4), inner, syn(inner)), -1, false},
		{"802.1Q", capture.LinkEthernet, serialize(t, eth(layers.EthernetTypeDot1Q),
			&layers.Dot1Q{VLANIdentifier: 42, Type: layers.EthernetTypeIPv4}, inner, syn(inner)), 42, false},
		{"QinQ", capture.LinkEthernet, serialize(t, eth(layers.EthernetTypeQinQ),
			&layers.Dot1Q{VLANIdentifier: 7, Type: layers.EthernetTypeDot1Q},
			&layers.Dot1Q{VLANIdentifier: 42, Type: layers.EthernetTypeIPv4}, inner, syn(inner)), 7, false},
		{"MPLS", capture.LinkEthernet, serialize(t, eth(layers.EthernetTypeMPLSUnicast),
			&layers.MPLS{Label: 16, StackBottom: true, TTL: 64}, inner, syn(inner)), -1, false},
		{"raw IP", capture.LinkRaw, plainTCP, -1, false},
		{"IPv4 link type", capture.LinkIPv4, plainTCP, -1, false},
		{"null, little-endian", capture.LinkNull, append([]byte{2, 0, 0, 0}, plainTCP...), -1, false},
		{"null, big-endian", capture.LinkNull, append([]byte{0, 0, 0, 2}, plainTCP...), -1, false},
		{"Linux SLL", capture.LinkLinuxSLL, append(sllHeader(), plainTCP...), -1, false},
		{"IP in IP", capture.LinkRaw, serialize(t, ipv4(outerA, outerB, layers.IPProtocolIPv4), inner, syn(inner)), -1, true},
		{"GRE", capture.LinkRaw, serialize(t, ipv4(outerA, outerB, layers.IPProtocolGRE),
			&layers.GRE{Protocol: layers.EthernetTypeIPv4}, inner, syn(inner)), -1, true},
		{"VXLAN", capture.LinkRaw, serialize(t, outerUDP, udp(outerUDP, 4789), &layers.VXLAN{ValidIDFlag: true, VNI: 5},
			eth(layers.EthernetTypeIPv4), inner, syn(inner)), -1, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var p Packet
			if err := NewDecoder().Decode(c.link, c.frame, &p); err != nil {
				t.Fatal(err)
			}
			if p.Transport != TCP || p.SrcPort != 51000 || p.DstPort != 443 || p.Seq != 1000 || !p.Flags.Has(SYN) {
				t.Fatalf("transport %v ports %d→%d seq %d flags %v", p.Transport, p.SrcPort, p.DstPort, p.Seq, p.Flags)
			}
			if p.Src != netip.MustParseAddr("10.0.0.1") || p.Dst != netip.MustParseAddr("10.0.0.2") {
				t.Errorf("addresses %v → %v, want the innermost 10.0.0.1 → 10.0.0.2", p.Src, p.Dst)
			}
			if !p.Options.HasMSS || p.Options.MSS != 1460 {
				t.Errorf("MSS %v %d", p.Options.HasMSS, p.Options.MSS)
			}
			if p.VLAN != c.vlan || p.Tunnelled != c.tunnelled {
				t.Errorf("vlan %d tunnelled %v, want %d %v", p.VLAN, p.Tunnelled, c.vlan, c.tunnelled)
			}
		})
	}
}

func sllHeader() []byte {
	h := make([]byte, 16)
	binary.BigEndian.PutUint16(h[2:], 1) // ARPHRD_ETHER
	binary.BigEndian.PutUint16(h[4:], 6)
	binary.BigEndian.PutUint16(h[14:], 0x0800)
	return h
}

// The TCP header quoted in an ICMP error counts, marked as quoted.
func TestDecodeICMPQuote(t *testing.T) {
	inner := ipv4(clientIP, serverIP, layers.IPProtocolTCP)
	quoted := serialize(t, inner, syn(inner))
	outer := ipv4(serverIP, clientIP, layers.IPProtocolICMPv4)
	frame := serialize(t, outer, &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(3, 3)}, gopacket.Payload(quoted))
	var p Packet
	if err := NewDecoder().Decode(capture.LinkRaw, frame, &p); err != nil {
		t.Fatal(err)
	}
	if p.Transport != TCP || !p.InICMPError || p.ICMPType != 3 || p.SrcPort != 51000 {
		t.Fatalf("transport %v quoted %v icmp %d port %d", p.Transport, p.InICMPError, p.ICMPType, p.SrcPort)
	}
	if p.OuterSrc != netip.MustParseAddr("10.0.0.2") || p.Src != netip.MustParseAddr("10.0.0.1") {
		t.Errorf("outer %v, inner %v", p.OuterSrc, p.Src)
	}
}

// Fragments: the TCP header appears on the frame that completes the
// datagram, as with Wireshark's default reassembly.
func TestDecodeFragments(t *testing.T) {
	inner := ipv4(clientIP, serverIP, layers.IPProtocolTCP)
	tcp := syn(inner)
	whole := serialize(t, inner, tcp, gopacket.Payload(make([]byte, 64)))
	payload := whole[20:] // TCP header and data: 24 + 64 bytes
	first := &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Id: 9, Flags: layers.IPv4MoreFragments,
		Protocol: layers.IPProtocolTCP, SrcIP: clientIP, DstIP: serverIP}
	second := &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Id: 9, FragOffset: 5, // 40 bytes
		Protocol: layers.IPProtocolTCP, SrcIP: clientIP, DstIP: serverIP}
	d := NewDecoder()
	var p Packet
	d.Decode(capture.LinkRaw, serialize(t, first, gopacket.Payload(payload[:40])), &p)
	if p.Transport == TCP || !p.Fragment {
		t.Fatalf("first fragment: transport %v fragment %v", p.Transport, p.Fragment)
	}
	d.Decode(capture.LinkRaw, serialize(t, second, gopacket.Payload(payload[40:])), &p)
	if p.Transport != TCP || !p.Reassembled || p.PayloadLen != 64 || p.SrcPort != 51000 {
		t.Fatalf("last fragment: transport %v reassembled %v len %d port %d", p.Transport, p.Reassembled, p.PayloadLen, p.SrcPort)
	}
}

func TestDecodeUnsupportedLink(t *testing.T) {
	var p Packet
	if err := NewDecoder().Decode(capture.LinkType(147), []byte{1, 2, 3}, &p); err == nil {
		t.Fatal("no error for a user link type")
	}
}

// A frame cut anywhere decodes without panicking. Its TCP header counts
// from 16 bytes on, as Wireshark's conversation lookup needs, and is
// whole only with its options.
func TestDecodeTruncatedFrames(t *testing.T) {
	inner := ipv4(clientIP, serverIP, layers.IPProtocolTCP)
	frame := serialize(t, eth(layers.EthernetTypeDot1Q), &layers.Dot1Q{VLANIdentifier: 1, Type: layers.EthernetTypeIPv4}, inner, syn(inner))
	tcpAt := 14 + 4 + 20
	d := NewDecoder()
	var p Packet
	for n := range frame {
		_ = d.Decode(capture.LinkEthernet, frame[:n], &p)
		if got, want := p.Transport == TCP, n >= tcpAt+16; got != want {
			t.Fatalf("cut at %d bytes: TCP %v, want %v", n, got, want)
		}
		if p.Transport == TCP && p.TCPHeader != HeaderCut {
			t.Fatalf("cut at %d bytes: header %v, want cut", n, p.TCPHeader)
		}
	}
	_ = d.Decode(capture.LinkEthernet, frame, &p)
	if p.Transport != TCP || p.TCPHeader != HeaderWhole {
		t.Fatalf("whole frame: transport %v header %v", p.Transport, p.TCPHeader)
	}
}
