package capture

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"hash/maphash"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/portlens/portlens/testdata/benchgen/benchcap"
)

// Big captures for the fuzz targets: a few numbers (bigSpec) expand to a
// capture of megabytes, past the reader's 512 KiB buffer, with records and
// pcapng blocks bigger than that buffer, and gzip streams of many deflate
// blocks. The fuzzer mutates the numbers, not the megabytes, so every
// mutation is still a capture: another seed, size, layout or damage.

// bigSpec describes one big capture.
type bigSpec struct {
	Kind uint8  // bits 0-1: which capture (see buildBig); bit 2: gzip it
	Seed uint64 // picks the frames, their sizes, the blocks around them
	Size uint16 // the capture is 1 MiB + Size%40 * 128 KiB, before gzip
}

// bigFrame is one frame the builder wrote: where its record or block
// starts and ends in the uncompressed capture, and its data's hash.
type bigFrame struct {
	off, end int64
	sum      uint64
}

// sumSeed hashes frame data (maphash: megabytes a run, so not SHA-256).
var sumSeed = maphash.MakeSeed()

type bigCapture struct {
	plain  []byte
	frames []bigFrame
	bounds map[int64]bool // where a record or block ends: a cut there is a clean end
	gz     []byte         // the gzip file, if the spec says gzip
}

func (c *bigCapture) file() []byte {
	if c.gz != nil {
		return c.gz
	}
	return c.plain
}

func (c *bigCapture) frame(off int64, data []byte, end int64) {
	c.frames = append(c.frames, bigFrame{off: off, end: end, sum: maphash.Bytes(sumSeed, data)})
}

// buildBig expands a spec; the same spec gives the same bytes.
func buildBig(tb testing.TB, spec bigSpec) *bigCapture {
	rng := rand.New(rand.NewPCG(spec.Seed, uint64(spec.Kind&3)))
	target := 1<<20 + int(spec.Size%40)*(128<<10)
	var c *bigCapture
	switch spec.Kind & 3 {
	case 0:
		c = bigEthernetPcap(rng, target)
	case 1:
		c = bigDBusPcap(rng, target)
	case 2:
		c = bigMixedPcapng(rng, target)
	default:
		c = bigMergedPcapng(testdataFrames(tb), rng, target)
	}
	if spec.Kind&4 != 0 {
		c.gz = gzipBig(rng, c.plain)
	}
	return c
}

// benchFrames is generated traffic (TCP connections and DNS lookups from
// many clients, as benchcap writes it), split into frames once.
var benchFrames = sync.OnceValue(func() [][]byte {
	var b bytes.Buffer
	if err := benchcap.Write(&b, benchcap.Config{Packets: 20_000, Seed: 1}); err != nil {
		panic(err)
	}
	raw := b.Bytes()[24:] // little-endian microsecond pcap, 16-byte record headers
	var frames [][]byte
	for len(raw) >= 16 {
		n := int(binary.LittleEndian.Uint32(raw[8:]))
		frames = append(frames, raw[16:16+n:16+n])
		raw = raw[16+n:]
	}
	return frames
})

// pcapWriter appends pcap records and notes each frame.
type pcapWriter struct {
	c    *bigCapture
	o    binary.AppendByteOrder
	nano bool
	ns   int64 // time of the next record
}

func newPcapWriter(be, nano bool, link uint32, target int) *pcapWriter {
	magic := uint32(magicMicro)
	if nano {
		magic = magicNano
	}
	b := buildPcap(pcapSpec{be: be, magic: magic, link: link, snaplen: 262144})
	b = append(make([]byte, 0, target+3<<20), b...) // room for the last big record
	return &pcapWriter{c: &bigCapture{plain: b, bounds: map[int64]bool{24: true}}, o: order(be), nano: nano, ns: 1_700_000_000e9}
}

func (w *pcapWriter) add(rng *rand.Rand, data []byte) {
	c := w.c
	off := int64(len(c.plain))
	frac := w.ns % 1e9 / 1e3
	if w.nano {
		frac = w.ns % 1e9
	}
	orig := uint32(len(data))
	if rng.IntN(50) == 0 {
		orig += uint32(rng.IntN(3000)) // cut by a snaplen
	}
	b := w.o.AppendUint32(c.plain, uint32(w.ns/1e9))
	b = w.o.AppendUint32(b, uint32(frac))
	b = w.o.AppendUint32(b, uint32(len(data)))
	b = w.o.AppendUint32(b, orig)
	c.plain = append(b, data...)
	end := int64(len(c.plain))
	c.frame(off, data, end)
	c.bounds[end] = true
	w.ns += 1000 + int64(rng.IntN(2_000_000))*1000
}

// bigEthernetPcap: generated traffic and jumbo frames up to Wireshark's
// 256 KiB maximum, little-endian, microseconds.
func bigEthernetPcap(rng *rand.Rand, target int) *bigCapture {
	pool := benchFrames()
	w := newPcapWriter(false, false, 1, target)
	every, i := 100+rng.IntN(2000), rng.IntN(len(pool))
	for len(w.c.plain) < target {
		data := pool[i%len(pool)]
		if rng.IntN(every) == 0 {
			data = payload(9000+rng.IntN(maxCaplenStandard-9000+1), byte(i))
		}
		w.add(rng, data)
		i++
	}
	return w.c
}

// bigDBusPcap: D-Bus allows 128 MiB a record, so a few records of up to
// 2 MiB come between ordinary ones: big-endian, nanoseconds.
func bigDBusPcap(rng *rand.Rand, target int) *bigCapture {
	pool := benchFrames()
	w := newPcapWriter(true, true, 231, target)
	every, i := bigEvery(rng, target), rng.IntN(len(pool))
	for len(w.c.plain) < target {
		data := pool[i%len(pool)]
		if rng.IntN(every) == 0 {
			data = payload(512<<10-64+rng.IntN(3<<19), byte(i))
		}
		w.add(rng, data)
		i++
	}
	return w.c
}

// ngWriter appends pcapng blocks and notes each frame and block end.
type ngWriter struct {
	n  ng
	c  *bigCapture
	ns int64
}

func newNgWriter(target int) *ngWriter {
	w := &ngWriter{c: &bigCapture{bounds: map[int64]bool{}}, ns: 1_700_000_000e9}
	w.n.b = make([]byte, 0, target+3<<20) // room for the last big block
	return w
}

// block runs add, which appends one block, and notes where it ends; a
// packet block's data is also a frame.
func (w *ngWriter) block(frame []byte, add func()) {
	off := int64(len(w.n.b))
	add()
	end := int64(len(w.n.b))
	w.c.bounds[end] = true
	if frame != nil {
		w.c.frame(off, frame, end)
	}
}

func (w *ngWriter) done() *bigCapture {
	w.c.plain = w.n.b
	return w.c
}

// nameRecord is a name resolution block's body: 10.0.0.1 is "a".
func (w *ngWriter) nameRecord() []byte {
	o := order(w.n.be)
	b := o.AppendUint16(nil, 1) // nrb_record_ipv4
	b = o.AppendUint16(b, 6)
	b = append(b, 10, 0, 0, 1, 'a', 0, 0, 0)
	return append(b, 0, 0, 0, 0) // nrb_record_end
}

// packetOptions are the options dumpcap and editcap put on packets: a
// comment, flags, a hash, a drop count.
func (w *ngWriter) packetOptions(rng *rand.Rand) [][]byte {
	var opts [][]byte
	switch r := rng.IntN(2000); {
	case r == 0:
		opts = append(opts, w.n.opt(1, payload(60000+rng.IntN(5536), 'C')))
	case r < 100:
		opts = append(opts, w.n.opt(1, payload(rng.IntN(1<<rng.IntN(12)), 'c')))
	}
	if rng.IntN(2) == 0 {
		opts = append(opts, w.n.opt(2, []byte{1, 0, 0, 0}))
	}
	if rng.IntN(8) == 0 {
		opts = append(opts, w.n.opt(3, append([]byte{2}, payload(16, 7)...)))
	}
	if rng.IntN(8) == 0 {
		opts = append(opts, w.n.opt(4, i64opt(w.n.be, int64(rng.IntN(100)))))
	}
	return opts
}

// bigMixedPcapng: generated traffic in EPBs with options, SPBs, blocks
// to skip or to list (name resolution, statistics, unknown types and
// custom blocks up to 1.5 MiB), D-Bus packets up to 2 MiB, and a second,
// big-endian section with interfaces of its own.
func bigMixedPcapng(rng *rand.Rand, target int) *bigCapture {
	pool := benchFrames()
	w := newNgWriter(target)
	section := func() {
		w.block(nil, func() { w.n.shb(w.n.opt(4, []byte("portlens big fuzz"))) })
		w.block(nil, func() { w.n.idb(1, 0, w.n.opt(2, []byte("eth0")), w.n.opt(9, u8opt(6))) })
		w.block(nil, func() { w.n.idb(231, 0, w.n.opt(9, u8opt(9))) })
	}
	section()
	i, every := rng.IntN(len(pool)), bigEvery(rng, target)
	for len(w.n.b) < target {
		if !w.n.be && len(w.n.b) > target/2 {
			w.n.be = true
			section()
		}
		data := pool[i%len(pool)]
		w.ns += int64(rng.IntN(1_000_000)) * 1000
		us := uint64(w.ns / 1e3)
		if rng.IntN(every) == 0 {
			w.bigBlock(rng, i)
			continue
		}
		switch r := rng.IntN(1000); {
		case r < 30:
			w.block(nil, func() { w.n.block(blockNRB, w.nameRecord()) })
		case r < 50:
			w.block(nil, func() { w.n.block(blockISB, make([]byte, 12)) })
		case r < 120:
			w.block(data, func() { w.n.spb(uint32(len(data)), data) })
		default:
			opts := w.packetOptions(rng)
			w.block(data, func() { w.n.epb(0, us, data, 0, opts...) })
		}
		i++
	}
	return w.done()
}

// bigEvery: one record or block in so many is a big one (512 KiB to
// 2 MiB), for about three of them in a capture of target bytes whose
// other records are some 150 bytes.
func bigEvery(rng *rand.Rand, target int) int {
	return max(1, target/150/(1+rng.IntN(5)))
}

// bigBlock appends a block past the reader's buffer: a D-Bus packet, a
// custom block (a frame to Wireshark) or a block of an unknown type
// (skipped).
func (w *ngWriter) bigBlock(rng *rand.Rand, i int) {
	size := (512<<10 - 64 + rng.IntN(3<<19)) &^ 3
	switch rng.IntN(3) {
	case 0:
		big := payload(size, byte(i))
		w.block(big, func() { w.n.epb(1, uint64(w.ns), big, 0) })
	case 1:
		body := append([]byte{0, 0, 0x7f, 0xff}, payload(size, byte(i))...)
		w.block(body[4:], func() { w.n.block(blockCustom, body) })
	default:
		w.block(nil, func() { w.n.block(0x0BADF00D, payload(size, 1)) })
	}
}

// srcCapture is one test capture's frames, to merge into a big one.
type srcCapture struct {
	name   string
	frames []frame
}

var (
	testdataMu     sync.Mutex
	testdataCached []srcCapture
)

// testdataFrames reads the project's test captures once.
func testdataFrames(tb testing.TB) []srcCapture {
	testdataMu.Lock()
	defer testdataMu.Unlock()
	if testdataCached != nil {
		return testdataCached
	}
	for _, dir := range []string{"../../testdata/captures", "../../testdata/rules"} {
		names, _ := filepath.Glob(filepath.Join(dir, "*.pcap*"))
		for _, name := range names {
			b, err := os.ReadFile(name)
			if err != nil {
				tb.Fatal(err)
			}
			frames, _, err := readAll(tb, b)
			if err != io.EOF {
				tb.Fatalf("%s: %v", name, err)
			}
			testdataCached = append(testdataCached, srcCapture{filepath.Base(name), frames})
		}
	}
	if len(testdataCached) == 0 {
		tb.Fatal("no test captures")
	}
	return testdataCached
}

// bigMergedPcapng: the test captures one after the other, as mergecap -a
// would append them, again and again: each capture a section of its own
// (either byte order) with one interface per link type it holds.
func bigMergedPcapng(caps []srcCapture, rng *rand.Rand, target int) *bigCapture {
	w := newNgWriter(target)
	for k := 0; len(w.n.b) < target || k == 0; k++ {
		src := caps[rng.IntN(len(caps))]
		if len(src.frames) > 4000 { // a window of the big ones
			lo := rng.IntN(len(src.frames) - 4000)
			src.frames = src.frames[lo : lo+4000]
		}
		w.n.be = rng.IntN(2) == 0
		w.block(nil, func() { w.n.shb() })
		ifaces := map[LinkType]uint32{}
		for _, f := range src.frames {
			if _, ok := ifaces[f.Link]; ok || f.Interface < 0 {
				continue
			}
			ifaces[f.Link] = uint32(len(ifaces))
			w.block(nil, func() { w.n.idb(uint16(f.Link), 0, w.n.opt(9, u8opt(9))) })
		}
		for _, f := range src.frames {
			if f.Interface < 0 {
				continue // custom and journal blocks: not packets
			}
			opts := w.packetOptions(rng)
			ts := uint64(max(f.Time, 0)) + uint64(k)*3600e9
			w.block(f.Data, func() { w.n.epb(ifaces[f.Link], ts, f.Data, uint32(f.Length), opts...) })
		}
	}
	return w.done()
}

// gzipBig compresses as gzip writers do: mostly fast levels, now and then
// the default, sometimes as two gzip members one after the other (which
// Wireshark reads as one stream).
func gzipBig(rng *rand.Rand, plain []byte) []byte {
	levels := []int{gzip.HuffmanOnly, gzip.BestSpeed, gzip.BestSpeed, gzip.DefaultCompression}
	var z bytes.Buffer
	parts := [][]byte{plain}
	if rng.IntN(4) == 0 {
		cut := rng.IntN(len(plain))
		parts = [][]byte{plain[:cut], plain[cut:]}
	}
	for _, p := range parts {
		w, _ := gzip.NewWriterLevel(&z, levels[rng.IntN(len(levels))])
		w.Write(p)
		w.Close()
	}
	return z.Bytes()
}
