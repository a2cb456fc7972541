package capture

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"math/rand/v2"
	"sync"
	"testing"
	"testing/iotest"
)

// FuzzBigChunkedReads reads captures of megabytes, built from a small
// description the fuzzer mutates (bigSpec, see bigcapture_test.go),
// maybe damaged, whole and in pieces of fuzzed sizes. Properties:
//   - the same frames and the same end whatever the pieces (as
//     TestChunkedReads, at sizes past every buffer of the reader);
//   - undamaged: exactly the frames the builder wrote, then io.EOF;
//   - damaged: every frame that ends before the damage comes out whole,
//     then io.EOF or an *Error; cut: exactly the complete frames, then
//     io.EOF between records or an *Error at or before the cut;
//   - PacketAt reads frames again alike.
//
// damage: bits 0-2 what (none, cut, flipped byte, 4 bytes of 0xff, 64
// zero bytes, bytes inserted), bit 3 on a gzip capture: damage the
// compressed bytes rather than the capture inside. where: the place,
// modulo the length. chunks: the sizes Read returns (bigChunking).
func FuzzBigChunkedReads(f *testing.F) {
	for i, s := range bigSeeds {
		if testing.Short() && i%3 != 0 {
			continue
		}
		f.Add(s.spec.Kind, s.spec.Seed, s.spec.Size, s.damage, s.at, s.chunks)
	}
	f.Fuzz(func(t *testing.T, kind uint8, seed uint64, size uint16, damage uint8, where uint32, chunks uint64) {
		c := cachedBig(t, bigSpec{Kind: kind, Seed: seed, Size: size})
		d := damageBig(c, damage, where)
		whole := readBig(bytes.NewReader(d.file))
		name, wrap := bigChunking(chunks)
		pieces := readBig(wrap(bytes.NewReader(d.file)))
		if i := pieces.firstDiff(whole); i >= 0 {
			t.Fatalf("read %s: frame %d differs:\n got %s\nwant %s", name, i+1, pieces.line(i), whole.line(i))
		}
		checkDamage(t, c, d, whole)
		if c.gz == nil && whole.r != nil {
			checkPacketAt(t, whole, d.file, chunks)
		}
	})
}

type bigSeed struct {
	spec   bigSpec
	damage uint8
	at     uint32
	chunks uint64
}

// bigSeeds: every capture kind, plain and gzip, undamaged and with each
// kind of damage, read in each kind of pieces. Each runs as a unit test
// (a third of them with -short), so they stay near the 1 MiB minimum.
var bigSeeds = []bigSeed{
	// Blocks of 1-2 MiB, whole, in gzip: with the copy taken out of
	// stream.read's growing buffer (a test of this test), the fuzzer
	// found this in 4 s; the other seeds missed it. Then the D-Bus pcap.
	{spec: bigSpec{Kind: 'F', Seed: 37, Size: 80}, damage: 0, at: 0, chunks: 27},
	{spec: bigSpec{Kind: 0, Seed: 1, Size: 0}, damage: 0, at: 0, chunks: 0},
	{spec: bigSpec{Kind: 1, Seed: 13, Size: 9}, damage: 0, at: 0, chunks: 12},
	{spec: bigSpec{Kind: 1, Seed: 2, Size: 2}, damage: 1, at: 1_300_001, chunks: 1},
	{spec: bigSpec{Kind: 2, Seed: 3, Size: 4}, damage: 2, at: 900_000, chunks: 2},
	{spec: bigSpec{Kind: 3, Seed: 4, Size: 0}, damage: 3, at: 700_000, chunks: 3},
	{spec: bigSpec{Kind: 4, Seed: 5, Size: 1}, damage: 0, at: 0, chunks: 4},
	{spec: bigSpec{Kind: 6, Seed: 6, Size: 0}, damage: 4, at: 800_123, chunks: 5},
	{spec: bigSpec{Kind: 7, Seed: 7, Size: 0}, damage: 8 | 2, at: 300_000, chunks: 6},
	{spec: bigSpec{Kind: 5, Seed: 8, Size: 0}, damage: 8 | 1, at: 400_000, chunks: 7},
	{spec: bigSpec{Kind: 2, Seed: 9, Size: 8}, damage: 5, at: 2_000_000, chunks: 8},
	{spec: bigSpec{Kind: 0, Seed: 10, Size: 3}, damage: 1, at: 600_000, chunks: 9},
	{spec: bigSpec{Kind: 2, Seed: 11, Size: 1}, damage: 1, at: 1_100_000, chunks: 10},
	{spec: bigSpec{Kind: 3, Seed: 12, Size: 1}, damage: 1, at: 1_000_000, chunks: 11},
}

// cachedBig builds a spec, or takes it from the last few built: the
// fuzzer often mutates only the damage or the pieces.
func cachedBig(tb testing.TB, spec bigSpec) *bigCapture {
	bigCache.Lock()
	for _, e := range bigCache.entries {
		if e.spec == spec {
			bigCache.Unlock()
			return e.c
		}
	}
	bigCache.Unlock()
	c := buildBig(tb, spec)
	bigCache.Lock()
	defer bigCache.Unlock()
	bigCache.entries = append(bigCache.entries, bigEntry{spec, c})
	if len(bigCache.entries) > 4 {
		bigCache.entries = bigCache.entries[1:]
	}
	return c
}

type bigEntry struct {
	spec bigSpec
	c    *bigCapture
}

var bigCache struct {
	sync.Mutex
	entries []bigEntry
}

// damaged is a capture file with its damage: point is the first byte of
// the uncompressed capture that differs (its length when none does).
type damaged struct {
	file  []byte
	point int64
	none  bool // not damaged
	cut   bool // the capture inside ends at point, undamaged before
}

func damageBig(c *bigCapture, damage uint8, at uint32) damaged {
	what := (damage & 7) % 6
	if what == 0 {
		return damaged{file: c.file(), point: int64(len(c.plain)), none: true}
	}
	if c.gz != nil && damage&8 != 0 {
		file := spoil(c.gz, what, at)
		return damaged{file: file, point: firstChange(file, c.plain)}
	}
	plain := spoil(c.plain, what, at)
	point := int64(at % uint32(len(c.plain)))
	if c.gz == nil {
		return damaged{file: plain, point: point, cut: what == 1}
	}
	var z bytes.Buffer
	w, _ := gzip.NewWriterLevel(&z, gzip.HuffmanOnly) // fast: this runs for each input
	w.Write(plain)
	w.Close()
	return damaged{file: z.Bytes(), point: point, cut: what == 1}
}

// spoil returns a damaged copy of b.
func spoil(b []byte, what uint8, at uint32) []byte {
	i := int(at % uint32(len(b)))
	out := append([]byte(nil), b...)
	switch what {
	case 1:
		return out[:i]
	case 2:
		out[i] ^= byte(at>>24) | 1
	case 3:
		copy(out[i:], []byte{0xff, 0xff, 0xff, 0xff})
	case 4:
		clear(out[i:min(len(out), i+64)])
	default:
		ins := []byte{0xa1, 0xb2, 0xc3, 0xd4, 0x0a}[:1+int(at>>28)%5]
		out = append(out[:i], append(ins, b[i:]...)...)
	}
	return out
}

// firstChange decompresses a damaged gzip file only as far as it agrees
// with the capture it held: a damaged stream may inflate to anything.
func firstChange(gz, plain []byte) int64 {
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return 0
	}
	buf := make([]byte, 64<<10)
	var n int64
	for {
		k, err := zr.Read(buf[:min(len(buf), len(plain)-int(n)+1)])
		for j := range k {
			if n == int64(len(plain)) || buf[j] != plain[n] {
				return n
			}
			n++
		}
		if err != nil {
			return n
		}
	}
}

// bigReading is one reading of a capture: every frame summed up, and
// the error that ended it (io.EOF at a clean end; or what failed NewReader).
type bigReading struct {
	frames []frameSum
	err    error
	r      *Reader
}

// frameSum is a frame without its data: what must come out the same.
type frameSum struct {
	sum              uint64 // of the data
	captured, length int
	time             int64
	link             LinkType
	iface            int
	off              int64
}

func sumOf(p *Packet) frameSum {
	return frameSum{maphash.Bytes(sumSeed, p.Data), len(p.Data), p.Length, p.Time, p.Link, p.Interface, p.Offset}
}

func readBig(src io.Reader) bigReading {
	var out bigReading
	out.r, out.err = NewReader(src)
	if out.err != nil {
		return out
	}
	for {
		p, err := out.r.Next()
		if err != nil {
			out.err = err
			return out
		}
		out.frames = append(out.frames, sumOf(p))
	}
}

// firstDiff is the index of the first frame, or of the end, that differs
// between two readings; -1 if none does.
func (a bigReading) firstDiff(b bigReading) int {
	for i := range min(len(a.frames), len(b.frames)) {
		if a.frames[i] != b.frames[i] {
			return i
		}
	}
	if len(a.frames) != len(b.frames) || fmt.Sprint(a.err) != fmt.Sprint(b.err) {
		return min(len(a.frames), len(b.frames))
	}
	return -1
}

func (a bigReading) line(i int) string {
	if i < len(a.frames) {
		return fmt.Sprintf("%+v", a.frames[i])
	}
	return fmt.Sprintf("end: %v", a.err)
}

// checkDamage holds a whole reading to what the builder wrote and where
// the damage is.
func checkDamage(t *testing.T, c *bigCapture, d damaged, got bigReading) {
	t.Helper()
	var e *Error
	if got.err != io.EOF && !errors.As(got.err, &e) {
		t.Fatalf("reading ends in %T %v, want io.EOF or *Error", got.err, got.err)
	}
	if got.r != nil && got.r.format == formatPcap && got.r.pcap.variant != pcapStandard {
		// Damage among the first three records may make another
		// layout look saner, as it does to Wireshark.
		return
	}
	before := 0 // the frames that end before the damage
	for before < len(c.frames) && c.frames[before].end <= d.point {
		before++
	}
	if len(got.frames) < before {
		t.Fatalf("%d frames before the damage at byte %d, %d read (%v)", before, d.point, len(got.frames), got.err)
	}
	for i, f := range c.frames[:before] {
		if got.frames[i].off != f.off || got.frames[i].sum != f.sum {
			t.Fatalf("frame %d at byte %d differs (read at %d)", i+1, f.off, got.frames[i].off)
		}
	}
	switch {
	case d.none:
		if got.err != io.EOF || len(got.frames) != len(c.frames) {
			t.Fatalf("undamaged: %d frames of %d, %v", len(got.frames), len(c.frames), got.err)
		}
	case d.cut:
		if len(got.frames) != before {
			t.Fatalf("cut at %d: %d frames, want %d (%v)", d.point, len(got.frames), before, got.err)
		}
		if c.bounds[d.point] {
			if got.err != io.EOF {
				t.Fatalf("cut at %d between records: %v, want io.EOF", d.point, got.err)
			}
			return
		}
		if e == nil || e.Offset > d.point || (before > 0 && e.Offset < c.frames[before-1].end) {
			t.Fatalf("cut at %d after %d frames: %v, want an *Error at or before the cut", d.point, before, got.err)
		}
	}
}

// checkPacketAt reads a few frames again at their offsets.
func checkPacketAt(t *testing.T, whole bigReading, file []byte, seed uint64) {
	t.Helper()
	if len(whole.frames) == 0 {
		return
	}
	rng := rand.New(rand.NewPCG(seed, 11))
	ra := bytes.NewReader(file)
	for range 4 {
		i := rng.IntN(len(whole.frames))
		p, err := whole.r.PacketAt(ra, whole.frames[i].off)
		if err != nil {
			t.Fatalf("PacketAt frame %d: %v", i+1, err)
		}
		if got := sumOf(p); got != whole.frames[i] {
			t.Fatalf("PacketAt frame %d:\n got %+v\nwant %+v", i+1, got, whole.frames[i])
		}
	}
}

// bigChunking turns a number into the sizes Read returns: random sizes
// up to 4 MiB, sizes just around the reader's buffer, the page's 2 MiB
// chunks, tiny pieces and empty reads, or testing/iotest's readers.
func bigChunking(seed uint64) (string, func(io.Reader) io.Reader) {
	rng := rand.New(rand.NewPCG(seed, 13))
	sized := func(sizes ...int) func(io.Reader) io.Reader {
		return func(r io.Reader) io.Reader { return &sizedReader{r: r, sizes: sizes} }
	}
	switch seed % 6 {
	case 0:
		return "random", func(r io.Reader) io.Reader { return &sizedReader{r: r, rng: rng, big: true} }
	case 1:
		sizes := []int{bufSize - 1, bufSize + 1, bufSize, 2 << 20, 4095, 1, 0}
		rng.Shuffle(len(sizes), func(i, j int) { sizes[i], sizes[j] = sizes[j], sizes[i] })
		sizes[0] = max(sizes[0], 1)
		return fmt.Sprint("around the buffer ", sizes), sized(sizes...)
	case 2:
		return "2 MiB", sized(2 << 20)
	case 3:
		sizes := make([]int, 1+rng.IntN(8))
		for i := range sizes {
			sizes[i] = rng.IntN(1 << rng.IntN(20)) // 0 included: empty reads
		}
		sizes[0] = max(sizes[0], 1)
		return fmt.Sprint("cycle ", sizes), sized(sizes...)
	case 4:
		return "half", iotest.HalfReader
	default:
		return "data+EOF", func(r io.Reader) io.Reader {
			return iotest.DataErrReader(&sizedReader{r: r, rng: rng, big: true})
		}
	}
}
