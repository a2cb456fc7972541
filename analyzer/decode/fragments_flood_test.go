package decode

import (
	"encoding/binary"

	"github.com/portlens/portlens/analyzer/capture"
)

// The floods the reassembly tests and benchmarks feed the decoder: many
// fragments in the shapes that hurt a fragment table most. Every frame is
// raw IP (capture.LinkRaw); a shape says, for fragment i of n, which
// datagram it belongs to, where it starts, how long it is and whether more
// follow. Offsets are multiples of 8, at most 65528 (the 13-bit field).

// blocks is how many 8-byte offsets a flood spreads its fragments over:
// every offset from 8 to 65520 (0 is left out so that nothing completes
// unless a shape sends it).
const floodBlocks = 8190

type floodShape struct {
	name string
	v6   bool
	frag func(i, n int) (id uint32, off, length int, more bool)
}

// distinct: one datagram, every fragment a span (offset, length) never
// seen before: the offsets cycle, the length grows by one each cycle.
func distinct(i, n int) (uint32, int, int, bool) {
	return 1, 8 * (1 + i%floodBlocks), 1 + i/floodBlocks, true
}

var floodShapes = []floodShape{
	{"distinct", false, distinct},
	{"duplicates", false, func(i, n int) (uint32, int, int, bool) { return 1, 8, 8, true }},
	// overlapping: 24-byte fragments (each overlaps the next two offsets)
	// scattered over the datagram by a stride prime to the cycle.
	{"overlapping", false, func(i, n int) (uint32, int, int, bool) {
		return 1, 8 * (1 + (i*4099)%floodBlocks), 24 + i/floodBlocks, true
	}},
	// descending: offsets from the end down, so that every fragment lands
	// before all the others (the worst place in a sorted list).
	{"descending", false, func(i, n int) (uint32, int, int, bool) {
		return 1, 8 * (floodBlocks - i%floodBlocks), 1 + i/floodBlocks, true
	}},
	// tails: every fragment says it is the last, each with another end.
	{"tails", false, func(i, n int) (uint32, int, int, bool) {
		_, off, length, _ := distinct(i, n)
		return 1, off, length, false
	}},
	// datagrams: every fragment starts a datagram of its own (a new
	// identification), none completes: the table fills to its cap.
	{"datagrams", false, func(i, n int) (uint32, int, int, bool) {
		return uint32(i), 8 * (1 + i%floodBlocks), 8, true
	}},
	// completes: one datagram whose fragments overlap enough to cover
	// bytes 8 to the end, its last fragment among the first; fragment n-1
	// brings bytes 0-7 and completes it, after n-1 fragments.
	{"completes", false, func(i, n int) (uint32, int, int, bool) {
		switch {
		case i == n-1:
			return 1, 0, 8, true
		case i == 0:
			return 1, 8 * floodBlocks, 8, false
		}
		return 1, 8 * (1 + i%floodBlocks), 8 + i/floodBlocks, true
	}},
	{"ipv6-distinct", true, distinct},
	{"ipv6-datagrams", true, func(i, n int) (uint32, int, int, bool) {
		return uint32(i), 8 * (1 + i%floodBlocks), 8, true
	}},
}

// flood builds the frames of a shape one at a time in a reused buffer:
// only the header fields that change are written per fragment.
type flood struct {
	shape floodShape
	n     int
	buf   []byte
}

func newFlood(s floodShape, n int) *flood {
	return &flood{shape: s, n: n, buf: make([]byte, 48+65535)}
}

// frame returns fragment i, valid until the next call.
func (f *flood) frame(i int) []byte {
	id, off, length, more := f.shape.frag(i, f.n)
	b := f.buf
	if f.shape.v6 {
		b[0] = 0x60
		binary.BigEndian.PutUint16(b[4:], uint16(8+length))
		b[6], b[7] = 44, 64 // next header: fragment; hop limit
		copy(b[8:24], []byte{0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x23})
		copy(b[24:40], []byte{0x20, 0x01, 0x0d, 0xb8, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10})
		word := uint16(off/8) << 3
		if more {
			word |= 1
		}
		b[40], b[41] = 6, 0 // TCP
		binary.BigEndian.PutUint16(b[42:], word)
		binary.BigEndian.PutUint32(b[44:], id)
		return b[:48+length]
	}
	b[0], b[1] = 0x45, 0
	binary.BigEndian.PutUint16(b[2:], uint16(20+length))
	binary.BigEndian.PutUint16(b[4:], uint16(id))
	word := uint16(off / 8)
	if more {
		word |= 0x2000
	}
	binary.BigEndian.PutUint16(b[6:], word)
	b[8], b[9] = 64, 6
	// The source changes every 65536 datagrams, so that identifications
	// never repeat between two of them.
	copy(b[12:16], []byte{192, 0, 2, byte(id >> 16)})
	copy(b[16:20], []byte{198, 51, 100, 10})
	return b[:20+length]
}

// feed decodes fragments [from, to) of the flood with d, and returns how
// many of them completed a datagram.
func (f *flood) feed(d *Decoder, p *Packet, from, to int) (completed int) {
	for i := from; i < to; i++ {
		_ = d.Decode(capture.LinkRaw, f.frame(i), p)
		if p.Reassembled {
			completed++
		}
	}
	return completed
}
