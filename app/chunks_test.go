package app

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/portlens/portlens/analyzer"
	"github.com/portlens/portlens/testdata/benchgen/benchcap"
)

// FuzzBlobChunks drives the page's reading path natively: the capture read
// through chunkReader (as blobReader reads the File, in chunks of a
// fuzzed size, the browser handing out fewer bytes than asked now and
// then, or failing at a fuzzed offset), analyzed in steps as the page
// does; then rows read again through blockCache (as blobReaderAt does) at
// fuzzed offsets, in blocks of a fuzzed size. The captures are generated
// traffic of megabytes (pcap or pcapng, maybe gzip), built from the
// fuzzed numbers. Properties:
//   - the report (WriteJSON, with and without frames) is byte for byte
//     analyzer.Analyze's over the whole bytes; when the read fails, over
//     the bytes delivered before the failure, then the same error;
//   - ReadAt returns the file's bytes (and io.EOF past its end), or an
//     error when the browser handed out a short block: never wrong bytes;
//   - frames read again through the cache are those read from the bytes.
//
// shape: bit 0 pcapng, bit 1 gzip, bit 2 three time-shifted copies of
// one run (most conversations reused), bit 3 the read fails at a fuzzed
// offset, bit 4 short reads. chunk and block: sizes (see sizeOf); reads:
// the seed of the short reads, offsets and frames.
func FuzzBlobChunks(f *testing.F) {
	for i, s := range []struct {
		seed, reads   uint64
		shape         uint8
		packets       uint16
		chunk, blocks uint32
	}{
		{1, 1, 0, 0, chunkSize, blockSize | blockCached<<24},
		{2, 2, 1 | 16, 3000, 1 << 19, 4096 | 3<<24},
		{3, 3, 2 | 4, 9000, 4093, 65537 | 1<<24},
		{4, 4, 8 | 16, 500, 1 << 16, 1000 | 30<<24},
		{5, 5, 1 | 2 | 8, 20000, 7, 1 | 5<<24},
		{6, 6, 16, 11000, 3 << 20, 300000 | 2<<24},
	} {
		if testing.Short() && i%2 == 1 {
			continue
		}
		f.Add(s.seed, s.shape, s.packets, s.chunk, s.blocks, s.reads)
	}
	f.Fuzz(func(t *testing.T, seed uint64, shape uint8, packets uint16, chunk, blocks uint32, reads uint64) {
		c := blobCaptureOf(t, seed, shape&7, packets)
		rng := rand.New(rand.NewPCG(reads, 1))
		src := &fuzzBlob{file: c.file, rng: rng, short: shape&16 != 0, failAt: -1}
		if shape&8 != 0 {
			src.failAt = rng.Int64N(int64(len(c.file)))
		}
		r := newChunkReader(int64(len(c.file)), sizeOf(chunk, 4<<20), src.fill)
		run := analyzer.Start(c.name, r, c.opts)
		for run.Step(1 + rng.IntN(2048)) {
		}
		res := run.Result()
		want := c.want
		if src.failed {
			want = reportOf(t, analyzer.Analyze(c.name, io.MultiReader(bytes.NewReader(c.file[:src.delivered]),
				errReader{errNotReadable}), c.opts), c.opts)
		}
		if got := reportOf(t, res, c.opts); !bytes.Equal(got, want) {
			t.Fatalf("report through chunks of %d (failed: %v at %d) differs:\n%s", r.chunk, src.failed, src.delivered, diffAt(got, want))
		}
		cache := newBlockCache(int64(len(c.file)), sizeOf(blocks&0xffffff, 1<<20), 1+int(blocks>>24)%32, src.load)
		checkReadAt(t, cache, c.file, rng, src.short)
		if !src.short {
			checkRows(t, res, c, cache, rng)
		}
	})
}

// sizeOf maps a fuzzed number to a size from 1 to limit (n itself when
// it is one).
func sizeOf(n uint32, limit int) int {
	if n == 0 {
		return 1
	}
	return 1 + int(n-1)%limit
}

var errNotReadable = errors.New("NotReadableError: the file could not be read")

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// fuzzBlob plays the browser: the File's bytes, handed out in full or
// short, failing from failAt on.
type fuzzBlob struct {
	file      []byte
	rng       *rand.Rand
	short     bool
	failAt    int64
	failed    bool
	delivered int64 // bytes handed out in order before a failure
}

// fill is what blobReader's reads do: the bytes at off, all or some.
func (b *fuzzBlob) fill(buf []byte, off int64) (int, error) {
	if b.failAt >= 0 && off+int64(len(buf)) > b.failAt {
		b.failed, b.delivered = true, off
		return 0, errNotReadable
	}
	n := len(buf)
	if b.short && b.rng.IntN(3) == 0 {
		n = 1 + b.rng.IntN(n)
	}
	return copy(buf[:n], b.file[off:]), nil
}

// load is what blobReaderAt's reads do: a block, now and then short.
func (b *fuzzBlob) load(buf []byte, at int64) (int, error) {
	n := len(buf)
	if b.short && b.rng.IntN(4) == 0 {
		n = b.rng.IntN(n)
	}
	return copy(buf[:n], b.file[at:]), nil
}

// checkReadAt compares ReadAt at fuzzed offsets and lengths with the
// bytes: near block edges, across several blocks, at and past the end.
func checkReadAt(t *testing.T, cache *blockCache, file []byte, rng *rand.Rand, short bool) {
	t.Helper()
	ref := bytes.NewReader(file)
	size := int64(len(file))
	for range 24 {
		var off int64
		switch rng.IntN(4) {
		case 0:
			off = rng.Int64N(size + 10)
		case 1:
			off = int64(rng.IntN(int(size)/cache.block+1))*int64(cache.block) - int64(rng.IntN(3))
		case 2:
			off = size - int64(rng.IntN(100))
		default:
			off = rng.Int64N(min(size, 1<<16))
		}
		off = max(off, 0)
		p := make([]byte, rng.IntN(min(3*cache.block, 2<<20)+2))
		q := make([]byte, len(p))
		n, err := cache.ReadAt(p, off)
		wn, werr := ref.ReadAt(q, off)
		if short && errors.Is(err, errBlobChanged) {
			continue // a short block is an error, and it is not cached
		}
		if n != wn || (err == nil) != (werr == nil) || !bytes.Equal(p[:n], q[:wn]) {
			t.Fatalf("ReadAt(%d bytes, %d) of %d: %d, %v; want %d, %v (same bytes: %v)", len(p), off, size, n, err, wn, werr, bytes.Equal(p[:n], q[:wn]))
		}
	}
	if _, err := cache.ReadAt(make([]byte, 1), -1); err == nil {
		t.Fatal("ReadAt at a negative offset: no error")
	}
}

// checkRows reads a few frames again through the cache, in the order the
// page does (a screen of rows, then a jump), and from the bytes.
func checkRows(t *testing.T, res *analyzer.Result, c *blobCapture, cache *blockCache, rng *rand.Rand) {
	t.Helper()
	frames := res.Frames.Len()
	if frames == 0 {
		return
	}
	ref := c.whole()
	for range 3 {
		first := 1 + rng.IntN(frames)
		for n := first; n < min(frames+1, first+20); n++ {
			got, err := res.Packet(cache, n)
			if err != nil {
				t.Fatalf("frame %d through the cache: %v", n, err)
			}
			want, err := ref.Packet(bytes.NewReader(c.file), n)
			if err != nil {
				t.Fatalf("frame %d from the bytes: %v", n, err)
			}
			if !bytes.Equal(got.Data, want.Data) || got.Offset != want.Offset || got.Time != want.Time {
				t.Fatalf("frame %d through the cache differs", n)
			}
		}
	}
}

func reportOf(t *testing.T, res *analyzer.Result, opts analyzer.Options) []byte {
	t.Helper()
	var b bytes.Buffer
	for _, frames := range []bool{false, true} {
		if err := res.WriteJSON(&b, opts, frames); err != nil {
			t.Fatal(err)
		}
	}
	return b.Bytes()
}

func diffAt(got, want []byte) string {
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	lo := max(0, i-100)
	return fmt.Sprintf("  got …%s…\n want …%s…", got[lo:min(len(got), i+100)], want[lo:min(len(want), i+100)])
}

// blobCapture is a generated capture and its report read whole.
type blobCapture struct {
	name string
	file []byte
	opts analyzer.Options
	want []byte
	ref  *analyzer.Result
	mu   sync.Mutex
}

// whole is the capture analyzed from its bytes, for rows read again.
func (c *blobCapture) whole() *analyzer.Result {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ref == nil {
		c.ref = analyzer.Analyze(c.name, bytes.NewReader(c.file), c.opts)
	}
	return c.ref
}

var blobCaptures struct {
	sync.Mutex
	keys []string
	caps []*blobCapture
}

// blobCaptureOf builds the capture of these numbers, or takes it from the
// last few built: the fuzzer often changes only how it is read.
func blobCaptureOf(t *testing.T, seed uint64, shape uint8, packets uint16) *blobCapture {
	key := fmt.Sprint(seed, shape, packets)
	blobCaptures.Lock()
	defer blobCaptures.Unlock()
	for i, k := range blobCaptures.keys {
		if k == key {
			return blobCaptures.caps[i]
		}
	}
	cfg := benchcap.Config{Packets: 10_000 + int(packets)%30_000, Seed: seed, PcapNG: shape&1 != 0}
	if shape&4 != 0 {
		cfg.Copies = 3
	}
	var b bytes.Buffer
	if err := benchcap.Write(&b, cfg); err != nil {
		t.Fatal(err)
	}
	c := &blobCapture{name: "fuzz.pcap", file: b.Bytes(), opts: (&State{Settings: Settings{Preset: "auto"}}).Options()}
	if shape&2 != 0 {
		var z bytes.Buffer
		w, _ := gzip.NewWriterLevel(&z, gzip.BestSpeed)
		w.Write(c.file)
		w.Close()
		c.name, c.file = "fuzz.pcap.gz", z.Bytes()
	}
	c.want = reportOf(t, c.whole(), c.opts)
	blobCaptures.keys = append(blobCaptures.keys, key)
	blobCaptures.caps = append(blobCaptures.caps, c)
	if len(blobCaptures.keys) > 3 {
		blobCaptures.keys, blobCaptures.caps = blobCaptures.keys[1:], blobCaptures.caps[1:]
	}
	return c
}
