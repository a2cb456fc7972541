package conv

import (
	"github.com/portlens/portlens/analyzer/blocks"

	"net/netip"
	"testing"

	"github.com/portlens/portlens/analyzer/capture"
	"github.com/portlens/portlens/analyzer/decode"
)

// FuzzDecodeAndTrack feeds arbitrary frames of every supported link type
// through the decoder and the tracker: nothing may panic, every TCP frame
// gets a stream that exists, and a flagged frame starts a new stream.
func FuzzDecodeAndTrack(f *testing.F) {
	f.Add(uint8(1), []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00, 0x45, 0, 0, 40, 0, 0, 0, 0, 64, 6, 0, 0,
		10, 0, 0, 1, 10, 0, 0, 2, 0xc0, 0x00, 0x00, 0x50, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0})
	f.Add(uint8(101), []byte{0x60, 0, 0, 0, 0, 20, 6, 64, 0x20, 1, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
		0x20, 1, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0xc0, 0, 0, 80, 0, 0, 0, 9, 0, 0, 0, 0, 0x50, 0x12, 1, 0, 0, 0, 0, 0})
	links := []capture.LinkType{0, 1, 7, 9, 10, 12, 14, 50, 51, 101, 104, 108, 113, 129, 178, 228, 229, 239, 242, 276}
	f.Fuzz(func(t *testing.T, linkIndex uint8, frame []byte) {
		d := decode.NewDecoder()
		tr := NewTracker(NewHosts())
		var p decode.Packet
		// The same frame three times: retransmission and reuse paths too.
		for i := 1; i <= 3; i++ {
			link := links[int(linkIndex)%len(links)]
			if d.Decode(link, frame, &p) != nil || p.Transport != decode.TCP {
				continue
			}
			before := tr.Len()
			r := tr.Add(i, int64(i), len(frame), &p)
			if r.Stream < 0 || r.Stream >= tr.Len() {
				t.Fatalf("frame %d: stream %d of %d", i, r.Stream, tr.Len())
			}
			if r.Reused && tr.Len() != before+1 {
				t.Fatalf("frame %d flagged without a new stream", i)
			}
		}
		n := tr.Len()
		convs := tr.Conversations()
		if convs.Len() != n {
			t.Fatalf("%d conversations out of %d", convs.Len(), n)
		}
		for i := range n {
			if c := convs.At(i); c.Packets[0]+c.Packets[1] == 0 {
				t.Fatalf("conversation %d has no packet", i)
			}
		}
	})
}

// Conversations spanning several of the tracker's blocks come out whole,
// in stream order.
func TestConversationsAcrossBlocks(t *testing.T) {
	tr := NewTracker(NewHosts())
	var p decode.Packet
	p.Transport, p.Flags, p.DstPort = decode.TCP, decode.SYN, 443
	p.Src, p.Dst = netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2")
	const n = 3<<blocks.Bits + 5
	for i := range n {
		p.SrcPort = uint16(1024 + i)
		if r := tr.Add(i+1, int64(i), 60, &p); r.Stream != i {
			t.Fatalf("segment %d: stream %d", i, r.Stream)
		}
	}
	if tr.Len() != n {
		t.Fatalf("Len %d, want %d", tr.Len(), n)
	}
	convs := tr.Conversations()
	if convs.Len() != n {
		t.Fatalf("%d conversations, want %d", convs.Len(), n)
	}
	for i := range n {
		if c := convs.At(i); c.A.Port != uint16(1024+i) || c.SYN.Frame != int32(i+1) {
			t.Fatalf("conversation %d: port %d SYN frame %d", i, c.A.Port, c.SYN.Frame)
		}
	}
}
