package capture

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"testing/iotest"
)

// Readers that deliver a capture in pieces of every awkward size: a
// record must come out the same whatever the boundaries.
var chunkings = []struct {
	name string
	wrap func(io.Reader) io.Reader
}{
	{"whole", func(r io.Reader) io.Reader { return r }},
	{"1-byte", iotest.OneByteReader},
	{"half", iotest.HalfReader},
	{"data+EOF", iotest.DataErrReader},
	{"7-byte", func(r io.Reader) io.Reader { return &sizedReader{r: r, sizes: []int{7}} }},
	{"4KiB", func(r io.Reader) io.Reader { return &sizedReader{r: r, sizes: []int{4096}} }},
	{"64KiB-pipe", func(r io.Reader) io.Reader { return &sizedReader{r: r, sizes: []int{64 << 10}} }},
	{"2MiB-blob", func(r io.Reader) io.Reader { return &sizedReader{r: r, sizes: []int{2 << 20}} }},
	{"odd-sizes", func(r io.Reader) io.Reader { return &sizedReader{r: r, sizes: []int{1, 4093, 3, 65537, 13, 511}} }},
	{"random", func(r io.Reader) io.Reader { return &sizedReader{r: r, rng: rand.New(rand.NewPCG(1, 2))} }},
	{"empty-reads", func(r io.Reader) io.Reader { return &sizedReader{r: r, sizes: []int{0, 5, 0, 1000}} }},
}

// sizedReader returns at most sizes[i] bytes on its i-th read (cycling),
// or a random size (up to 256 KiB, or 8 MiB when big); a size of 0
// returns 0 bytes and a nil error, which io.Reader allows now and then.
type sizedReader struct {
	r     io.Reader
	sizes []int
	rng   *rand.Rand
	big   bool
	n     int
}

func (s *sizedReader) Read(p []byte) (int, error) {
	var k int
	switch {
	case s.rng != nil && s.big:
		k = 1 + s.rng.IntN(1<<s.rng.IntN(24))
	case s.rng != nil:
		k = 1 + s.rng.IntN(1<<s.rng.IntN(18))
	default:
		k = s.sizes[s.n%len(s.sizes)]
	}
	s.n++
	if k == 0 {
		return 0, nil
	}
	return s.r.Read(p[:min(k, len(p))])
}

// digest reads everything and summarizes each frame and the final error,
// so two readings can be compared without keeping the data.
func digest(t testing.TB, r io.Reader) []string {
	t.Helper()
	rd, err := NewReader(r)
	if err != nil {
		return []string{"open: " + err.Error()}
	}
	var out []string
	for {
		p, err := rd.Next()
		if err != nil {
			return append(out, "end: "+err.Error())
		}
		sum := sha256.Sum256(p.Data)
		out = append(out, fmt.Sprintf("%x len=%d/%d t=%d link=%d if=%d off=%d", sum[:8], len(p.Data), p.Length,
			p.Time, p.Link, p.Interface, p.Offset))
	}
}

// bigNG is a pcapng well past the reader's 512 KiB buffer whose packets
// carry options and whose packet blocks are interleaved with blocks of
// other kinds, in two sections: records cross every kind of boundary.
func bigNG(packets int) []byte {
	n := &ng{}
	n.shb(n.opt(4, []byte("portlens chunked-read test")))
	n.idb(1, 0, n.opt(2, []byte("eth0")))
	n.idb(101, 0, n.opt(9, u8opt(9)))
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range packets {
		if i == packets/2 {
			n.be = true
			n.shb()
			n.idb(1, 0)
		}
		size := 40 + rng.IntN(1500)
		if i%97 == 0 {
			size = 9000 + rng.IntN(60000) // jumbo frames and big reads
		}
		data := payload(size, byte(i))
		ts := uint64(1_700_000_000_000_000 + i*1013)
		switch i % 11 {
		case 3:
			n.spb(uint32(size), data)
		case 5:
			n.block(blockNRB, []byte{1, 0, 6, 0, 10, 0, 0, 1, 'a', 0, 0, 0, 0, 0, 0, 0})
			n.epb(0, ts, data, 0)
		case 7:
			n.block(blockCustom, append([]byte{0, 0, 0x7f, 0xff}, payload(1+i%13, 9)...))
			n.block(blockISB, make([]byte, 12))
		default:
			iface := uint32(i % 2)
			if n.be {
				iface = 0
			}
			n.epb(iface, ts, data, uint32(size+i%3), n.opt(2, []byte{1, 0, 0, 0}), n.opt(4, i64opt(n.be, int64(i))))
		}
	}
	return n.b
}

// bigPcap is a pcap past the buffer, with the same spread of sizes.
func bigPcap(packets int) []byte {
	rng := rand.New(rand.NewPCG(5, 6))
	recs := make([]rec, packets)
	for i := range recs {
		size := 40 + rng.IntN(1500)
		if i%97 == 0 {
			size = 9000 + rng.IntN(60000)
		}
		recs[i] = rec{sec: uint32(i), frac: uint32(i), data: payload(size, byte(i))}
	}
	return buildPcap(pcapSpec{link: 1}, recs...)
}

func gzipped(b []byte) []byte {
	var z bytes.Buffer
	w := gzip.NewWriter(&z)
	w.Write(b)
	w.Close()
	return z.Bytes()
}

// chunkedInputs are the captures every chunking must read alike: the
// project's test captures, built ones past the buffer size (plain, gzip,
// and truncated inside a block), and the fuzz seeds.
func chunkedInputs(t *testing.T) map[string][]byte {
	in := map[string][]byte{}
	for _, dir := range []string{"../../testdata/captures", "../../testdata/rules"} {
		names, err := filepath.Glob(filepath.Join(dir, "*.pcap*"))
		if err != nil || len(names) == 0 {
			t.Fatalf("no test captures in %s (%v)", dir, err)
		}
		for _, name := range names {
			b, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			in[filepath.Base(name)] = b
		}
	}
	n := 3000
	if testing.Short() {
		n = 300 // still past the buffer: a few jumbo frames
	}
	ngb, pc := bigNG(n), bigPcap(n)
	in["big.pcapng"], in["big.pcap"] = ngb, pc
	in["big.pcapng.gz"], in["big.pcap.gz"] = gzipped(ngb), gzipped(pc)
	in["big-truncated.pcapng"] = ngb[:len(ngb)-1000]
	in["big-truncated.pcap"] = pc[:len(pc)-1000]
	for name, b := range seedCaptures() {
		in["seed-"+name] = b
	}
	return in
}

// TestChunkedReads: every capture gives the same frames (bytes, lengths,
// times, offsets) and the same final error whatever sizes Read returns.
func TestChunkedReads(t *testing.T) {
	for name, b := range chunkedInputs(t) {
		want := digest(t, bytes.NewReader(b))
		if len(want) < 2 && name != "seed-pcap-mod" {
			t.Fatalf("%s: no frames read whole: %v", name, want)
		}
		for _, c := range chunkings {
			got := digest(t, c.wrap(bytes.NewReader(b)))
			if i := firstDiff(got, want); i >= 0 {
				t.Errorf("%s read %s: frame %d differs:\n got %s\nwant %s", name, c.name, i+1, at(got, i), at(want, i))
			}
		}
	}
}

func firstDiff(a, b []string) int {
	for i := range max(len(a), len(b)) {
		if at(a, i) != at(b, i) {
			return i
		}
	}
	return -1
}

func at(s []string, i int) string {
	if i < len(s) {
		return s[i]
	}
	return "(none)"
}

// FuzzChunkedReads: a fuzzed capture read in fuzzed piece sizes gives
// what it gives read whole. The inputs are small, so the pieces are too:
// boundaries fall inside every field.
func FuzzChunkedReads(f *testing.F) {
	for _, b := range seedCaptures() {
		f.Add(b, uint64(1))
	}
	f.Add(bigNG(40), uint64(7))
	f.Fuzz(func(t *testing.T, b []byte, seed uint64) {
		want := digest(t, bytes.NewReader(b))
		rng := rand.New(rand.NewPCG(seed, seed>>32))
		sizes := make([]int, 1+rng.IntN(8))
		for i := range sizes {
			sizes[i] = rng.IntN(300) // 0 included: empty reads
		}
		sizes[0] = max(sizes[0], 1)
		got := digest(t, &sizedReader{r: bytes.NewReader(b), sizes: sizes})
		if i := firstDiff(got, want); i >= 0 {
			t.Fatalf("sizes %v: frame %d differs:\n got %s\nwant %s", sizes, i+1, at(got, i), at(want, i))
		}
	})
}

// TestUnreadable: a file that cannot be read from its first bytes on (a
// browser's NotReadableError) says so, rather than that it is empty or
// not a capture.
func TestUnreadable(t *testing.T) {
	failure := errors.New("NotReadableError: the file could not be read")
	for _, r := range []io.Reader{
		iotest.ErrReader(failure),
		io.MultiReader(bytes.NewReader([]byte{0xd4, 0xc3}), iotest.ErrReader(failure)),
	} {
		_, err := NewReader(r)
		var e *Error
		if !errors.As(err, &e) || e.Error() != "byte 0: reading: "+failure.Error() {
			t.Errorf("%v, want an *Error saying the file could not be read", err)
		}
	}
}
