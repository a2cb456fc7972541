package analyzer_test

import (
	"bytes"
	"flag"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"testing/iotest"

	"github.com/portlens/portlens/analyzer"
	"github.com/portlens/portlens/testdata/benchgen/benchcap"
)

var publicCorpus = flag.String("public-corpus", "../../shared/corpus/public",
	"the public corpus (../shared/corpus/public beside the repository, as in CI)")

// pieces wraps a reader so that each Read returns at most the next of
// sizes (cycling), or a random size when rng is set; 0 returns no bytes
// and no error.
type pieces struct {
	r     io.Reader
	sizes []int
	rng   *rand.Rand
	n     int
}

func (p *pieces) Read(b []byte) (int, error) {
	k := 0
	if p.rng != nil {
		k = 1 + p.rng.IntN(1<<p.rng.IntN(18))
	} else {
		k = p.sizes[p.n%len(p.sizes)]
	}
	p.n++
	if k == 0 {
		return 0, nil
	}
	return p.r.Read(b[:min(k, len(b))])
}

// arrivals are the ways the same bytes reach the analysis: whole, a byte
// at a time, 4 KiB reads, a pipe's 64 KiB, random sizes (with empty
// reads), and the page's 2 MiB Blob slices.
var arrivals = []struct {
	name string
	wrap func(io.Reader) io.Reader
}{
	{"1-byte", iotest.OneByteReader},
	{"4KiB", func(r io.Reader) io.Reader { return &pieces{r: r, sizes: []int{4096}} }},
	{"64KiB", func(r io.Reader) io.Reader { return &pieces{r: r, sizes: []int{64 << 10}} }},
	{"random", func(r io.Reader) io.Reader {
		return &pieces{r: r, rng: rand.New(rand.NewPCG(9, 10))}
	}},
	{"odd+empty", func(r io.Reader) io.Reader { return &pieces{r: r, sizes: []int{3, 0, 4093, 0, 1, 65537}} }},
	{"blob-2MiB", func(r io.Reader) io.Reader { return &pieces{r: r, sizes: []int{2 << 20}} }},
}

// reportOf is the JSON report (with every frame's stream) of the capture
// read from r, as `portlens analyze --json --frames` writes it.
func reportOf(t testing.TB, name string, r io.Reader) []byte {
	t.Helper()
	opts := analyzer.DefaultOptions()
	res := analyzer.Analyze(name, r, opts)
	var buf bytes.Buffer
	if err := res.WriteJSON(&buf, opts, true); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// sameReportInputs lists the project's test captures and the public
// corpus; the corpus must be there (CI has it beside the repository).
func sameReportInputs(t *testing.T) []string {
	var files []string
	for _, dir := range []string{"../testdata/captures", "../testdata/rules"} {
		names, _ := filepath.Glob(filepath.Join(dir, "*.pcap*"))
		if len(names) == 0 {
			t.Fatalf("no test captures in %s", dir)
		}
		files = append(files, names...)
	}
	corpus, _ := filepath.Glob(filepath.Join(*publicCorpus, "*", "*"))
	if len(corpus) < 1000 {
		t.Fatalf("the public corpus is missing at %s (%d files): put ../shared beside the repository "+
			"as CI has it, or pass -public-corpus DIR", *publicCorpus, len(corpus))
	}
	return append(files, corpus...)
}

// TestSameReportHoweverBytesArrive: the report of every capture is byte
// for byte the same whatever sizes the reads return. The page reads in
// 2 MiB Blob slices, a pipe in 64 KiB, a file whole: one answer.
func TestSameReportHoweverBytesArrive(t *testing.T) {
	if testing.Short() {
		t.Skip("-short (the js/wasm run): the native run reads every capture every way")
	}
	for _, path := range sameReportInputs(t) {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(path)
		want := reportOf(t, name, bytes.NewReader(b))
		for _, a := range arrivals {
			if got := reportOf(t, name, a.wrap(bytes.NewReader(b))); !bytes.Equal(got, want) {
				t.Errorf("%s read %s: the report differs from a whole read:\n%s", path, a.name, firstLineDiff(got, want))
			}
		}
	}
}

// TestSameReportLargePcapng: a generated 200k-packet pcapng (every packet
// block with an option after its data, about 20 MB: many times the
// reader's buffer) gives the same report through every kind of read.
func TestSameReportLargePcapng(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	var capture bytes.Buffer
	if err := benchcap.Write(&capture, benchcap.Config{Packets: 200_000, Seed: 1, PcapNG: true}); err != nil {
		t.Fatal(err)
	}
	b := capture.Bytes()
	want := reportOf(t, "bench-200k.pcapng", bytes.NewReader(b))
	for _, a := range arrivals {
		if got := reportOf(t, "bench-200k.pcapng", a.wrap(bytes.NewReader(b))); !bytes.Equal(got, want) {
			t.Errorf("read %s: the report differs from a whole read:\n%s", a.name, firstLineDiff(got, want))
		}
	}
}

// firstLineDiff shows where two JSON reports part: a window around the
// first differing byte of each.
func firstLineDiff(got, want []byte) string {
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	lo := max(0, i-120)
	return "  got …" + string(got[lo:min(len(got), i+120)]) + "…\n want …" + string(want[lo:min(len(want), i+120)]) + "…"
}
