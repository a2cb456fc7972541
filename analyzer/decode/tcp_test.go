package decode

import (
	"bytes"
	"testing"

	"github.com/gopacket/gopacket/layers"
	"github.com/portlens/portlens/analyzer/capture"
)

// How much of a TCP header a frame holds decides what Wireshark 4.4 does
// with it (TCPHeaderState; testdata/captures/tcp-short-headers.pcap and
// tcp-snaplen-cut.pcap hold the oracle's answers).
func TestTCPHeaderStates(t *testing.T) {
	inner := ipv4(clientIP, serverIP, layers.IPProtocolTCP)
	whole := serialize(t, inner, syn(inner)) // 20 + 24 bytes, an MSS option
	// ipCut keeps n bytes of TCP and says so in the IP length.
	ipCut := func(n int) []byte {
		b := bytes.Clone(whole[:20+n])
		b[2], b[3] = 0, byte(20+n)
		return b
	}
	offset := func(b []byte, words byte) []byte {
		b = bytes.Clone(b)
		b[32] = words<<4 | b[32]&0x0f
		return b
	}
	for _, c := range []struct {
		name  string
		frame []byte
		tcp   bool
		state TCPHeaderState
	}{
		{"whole", whole, true, HeaderWhole},
		{"12 bytes: no conversation", ipCut(12), false, 0},
		{"15 bytes", ipCut(15), false, 0},
		{"16 bytes: up to the window", ipCut(16), true, HeaderCut},
		{"19 bytes", ipCut(19), true, HeaderCut},
		{"20 of 24: the option missing", ipCut(20), true, HeaderCut},
		{"snap length cuts the option", whole[:42], true, HeaderCut},
		{"data offset past the segment", offset(whole, 15), true, HeaderCut},
		{"data offset 4", offset(whole, 4), true, HeaderBadOffset},
		{"data offset 0, 16 bytes", offset(ipCut(16), 0), true, HeaderBadOffset},
	} {
		t.Run(c.name, func(t *testing.T) {
			var p Packet
			if err := NewDecoder().Decode(capture.LinkRaw, c.frame, &p); err != nil {
				t.Fatal(err)
			}
			if (p.Transport == TCP) != c.tcp || c.tcp && p.TCPHeader != c.state {
				t.Fatalf("transport %v header %v, want TCP %v header %v", p.Transport, p.TCPHeader, c.tcp, c.state)
			}
			if c.tcp && (p.SrcPort != 51000 || p.Seq != 1000 || !p.Flags.Has(SYN) || p.Window != 64240) {
				t.Errorf("fields: port %d seq %d flags %v window %d", p.SrcPort, p.Seq, p.Flags, p.Window)
			}
			newPathPair().compare(t, c.name, capture.LinkRaw, c.frame)
		})
	}
}
