package decode

import (
	"bytes"
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"
)

// wiresharkReassembly is epan/reassemble.c's fragment_add_check, written
// plainly for the tests: every fragment kept in a list sorted by offset
// (a fragment goes after those with the same offset), the contiguous
// length from 0 walked anew each time, the datagram's length set by the
// first tail, and the bytes copied in list order, each fragment adding
// only what the ones before it did not hold. Quadratic, and obviously so.
type wiresharkReassembly struct {
	table map[fragmentKey]*refDatagram
}

type refDatagram struct {
	frags   []refFragment
	datalen int
	set     bool
}

type refFragment struct {
	off  int
	data []byte
}

func (w *wiresharkReassembly) add(key fragmentKey, off int, more bool, payload []byte) (data []byte, done bool) {
	if w.table == nil {
		w.table = map[fragmentKey]*refDatagram{}
	}
	d := w.table[key]
	if d == nil {
		d = &refDatagram{}
		w.table[key] = d
	}
	at := len(d.frags)
	for at > 0 && d.frags[at-1].off > off {
		at--
	}
	d.frags = slices.Insert(d.frags, at, refFragment{off, bytes.Clone(payload)})
	if !more && !d.set {
		d.datalen, d.set = off+len(payload), true
	}
	if !d.set || d.contiguous() < d.datalen {
		return nil, false
	}
	delete(w.table, key)
	return d.assemble(), true
}

func (d *refDatagram) contiguous() int {
	if len(d.frags) == 0 || d.frags[0].off != 0 {
		return 0
	}
	reach := 0
	for _, f := range d.frags {
		if f.off > reach {
			break
		}
		reach = max(reach, f.off+len(f.data))
	}
	return reach
}

func (d *refDatagram) assemble() []byte {
	out := make([]byte, d.datalen)
	pos := 0
	for _, f := range d.frags {
		if f.off >= d.datalen {
			continue
		}
		n := min(len(f.data), d.datalen-f.off)
		if f.off+n > pos {
			copy(out[pos:f.off+n], f.data[pos-f.off:n])
			pos = f.off + n
		}
	}
	return out
}

// fragOp is one fragment of a sequence the table and the reference are fed.
type fragOp struct {
	key    int // which of a few datagram keys
	block  int // offset / 8
	length int
	more   bool
	fill   byte // the fragment's bytes are fill, fill+1, ...
}

func (o fragOp) payload() []byte {
	b := make([]byte, o.length)
	for i := range b {
		b[i] = o.fill + byte(i)
	}
	return b
}

var refKeys = []fragmentKey{
	newFragmentKey(netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("198.51.100.1"), 1, false),
	newFragmentKey(netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("198.51.100.1"), 2, false),
	newFragmentKey(netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("2001:db8::2"), 1, true),
}

// compareWithWireshark feeds ops to a table and to the reference and fails
// at the first fragment where they disagree on whether it completes a
// datagram, on its length or on its first 128 bytes.
func compareWithWireshark(t testing.TB, ops []fragOp) {
	t.Helper()
	var f fragments
	var w wiresharkReassembly
	for i, o := range ops {
		key := refKeys[o.key%len(refKeys)]
		p := o.payload()
		head, total, done := f.add(key, 8*o.block, o.more, p)
		want, wantDone := w.add(key, 8*o.block, o.more, p)
		if done != wantDone {
			t.Fatalf("fragment %d of %v: complete %v, Wireshark %v", i, ops[:i+1], done, wantDone)
		}
		if !done {
			continue
		}
		if total != len(want) {
			t.Fatalf("fragment %d of %v: length %d, Wireshark %d", i, ops[:i+1], total, len(want))
		}
		if w := want[:min(len(want), fragmentHeadBytes)]; !bytes.Equal(head, w) {
			t.Fatalf("fragment %d of %v: head\n%x\nWireshark\n%x", i, ops[:i+1], head, w)
		}
	}
}

// randomOps makes a sequence of n fragments over a datagram of up to
// blocks 8-byte blocks: overlaps, duplicates, several tails, gaps filled
// late, fragments past the end; big ones now and then.
func randomOps(r *rand.Rand, n, blocks int) []fragOp {
	ops := make([]fragOp, n)
	for i := range ops {
		o := fragOp{key: r.IntN(len(refKeys)), block: r.IntN(blocks), more: r.IntN(4) != 0, fill: byte(r.IntN(256))}
		switch r.IntN(8) {
		case 0:
			o.length = 1 + r.IntN(7)
		case 1:
			o.length = 1 + r.IntN(8*blocks)
		default:
			o.length = 8 * (1 + r.IntN(4))
		}
		if r.IntN(16) == 0 {
			o.block = r.IntN(maxBlocks) // far out: another chunk
		}
		ops[i] = o
	}
	return ops
}

func TestFragmentsMatchWireshark(t *testing.T) {
	r := rand.New(rand.NewPCG(14, 2))
	rounds := 3000
	if testing.Short() {
		rounds = 300
	}
	for range rounds {
		for _, blocks := range []int{4, 24, 300} {
			compareWithWireshark(t, randomOps(r, 1+r.IntN(60), blocks))
		}
	}
}

// FuzzFragmentsMatchWireshark reads fragments from the fuzzer's bytes, 5
// bytes each: key, block (two bytes), length, more flag and fill.
func FuzzFragmentsMatchWireshark(f *testing.F) {
	f.Add([]byte{0, 0, 1, 8, 1, 0, 0, 0, 8, 0, 0})
	f.Add([]byte{0, 0, 0, 16, 1, 1, 0, 0, 1, 8, 0, 2, 0, 0, 2, 8, 0, 3})
	f.Fuzz(func(t *testing.T, b []byte) {
		var ops []fragOp
		for ; len(b) >= 5 && len(ops) < 200; b = b[5:] {
			ops = append(ops, fragOp{key: int(b[0]), block: int(b[1])<<4 | int(b[2]>>4),
				length: 1 + int(b[3]) + int(b[2]&0x0f)<<8, more: b[4]&1 != 0, fill: b[4]})
		}
		compareWithWireshark(t, ops)
	})
}
