package decode

import (
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/portlens/portlens/analyzer/capture"
)

// fragmentsOf splits the payload of an IPv4 datagram into fragments of
// size bytes (the last shorter), all with identification id.
func fragmentsOf(t *testing.T, payload []byte, size int, id uint16) [][]byte {
	var out [][]byte
	for off := 0; off < len(payload); off += size {
		end := min(off+size, len(payload))
		h := &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Id: id, FragOffset: uint16(off / 8),
			Protocol: layers.IPProtocolTCP, SrcIP: clientIP, DstIP: serverIP}
		if end < len(payload) {
			h.Flags = layers.IPv4MoreFragments
		}
		out = append(out, serialize(t, h, gopacket.Payload(payload[off:end])))
	}
	return out
}

// With 8-byte fragments the TCP header spans several: the datagram's head
// is put together from all of them, in whatever order they come, and the
// segment appears on the frame that completes the datagram.
func TestDecodeTinyFragments(t *testing.T) {
	inner := ipv4(clientIP, serverIP, layers.IPProtocolTCP)
	payload := serialize(t, inner, syn(inner), gopacket.Payload(make([]byte, 30)))[20:] // 24 + 30 bytes
	orders := map[string]func(n int) []int{
		"in order": func(n int) []int {
			o := make([]int, n)
			for i := range o {
				o[i] = i
			}
			return o
		},
		"backwards": func(n int) []int {
			o := make([]int, n)
			for i := range o {
				o[i] = n - 1 - i
			}
			return o
		},
		"last first": func(n int) []int {
			o := []int{n - 1}
			for i := range n - 1 {
				o = append(o, i)
			}
			return o
		},
	}
	for _, size := range []int{8, 16, 24} {
		for name, order := range orders {
			frags := fragmentsOf(t, payload, size, uint16(size))
			d := NewDecoder()
			var p Packet
			idx := order(len(frags))
			for k, i := range idx {
				d.Decode(capture.LinkRaw, frags[i], &p)
				last := k == len(idx)-1
				if last != (p.Transport == TCP) || last != p.Reassembled || last == p.Fragment {
					t.Fatalf("%d-byte fragments %s, fragment %d of %d: transport %v reassembled %v fragment %v",
						size, name, k+1, len(idx), p.Transport, p.Reassembled, p.Fragment)
				}
			}
			if p.SrcPort != 51000 || p.Seq != 1000 || !p.Options.HasMSS || p.PayloadLen != 30 || p.TCPHeader != HeaderWhole {
				t.Errorf("%d-byte fragments %s: port %d seq %d mss %v len %d header %v",
					size, name, p.SrcPort, p.Seq, p.Options.HasMSS, p.PayloadLen, p.TCPHeader)
			}
		}
	}
}

// A datagram is complete only when its fragments cover it: a fragment
// repeated, or one overlapping another, does not stand in for a missing
// one.
func TestDecodeFragmentGap(t *testing.T) {
	inner := ipv4(clientIP, serverIP, layers.IPProtocolTCP)
	payload := serialize(t, inner, syn(inner), gopacket.Payload(make([]byte, 8)))[20:] // 32 bytes
	frags := fragmentsOf(t, payload, 8, 7)                                             // 4 fragments
	overlap := serialize(t, &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Id: 7, Flags: layers.IPv4MoreFragments,
		Protocol: layers.IPProtocolTCP, SrcIP: clientIP, DstIP: serverIP}, gopacket.Payload(payload[:16])) // bytes 0-15
	d := NewDecoder()
	var p Packet
	for _, f := range [][]byte{frags[0], frags[0], overlap, frags[3]} { // 16-23 missing
		d.Decode(capture.LinkRaw, f, &p)
		if p.Transport == TCP {
			t.Fatal("a datagram with a gap was reassembled")
		}
	}
	d.Decode(capture.LinkRaw, frags[2], &p)
	if p.Transport != TCP || !p.Reassembled {
		t.Fatalf("the missing fragment did not complete it: %v", p.Transport)
	}
}
