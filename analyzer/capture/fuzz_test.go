package capture

import (
	"bytes"
	"compress/gzip"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
)

var updateSeeds = flag.Bool("update-seeds", false, "rewrite the fuzz seed corpus under testdata/fuzz")

func seedCaptures() map[string][]byte {
	ngBE := &ng{be: true}
	ngBE.shb()
	ngBE.idb(1, 0, ngBE.opt(9, u8opt(0x80|20)))
	ngBE.epb(0, 1<<40, payload(60, 0), 0)
	var z bytes.Buffer
	w := gzip.NewWriter(&z)
	w.Write(sampleNG().b)
	w.Close()
	return map[string][]byte{
		"pcap":      buildPcap(pcapSpec{link: 1}, rec{sec: 1, data: payload(60, 1)}, rec{sec: 2, data: payload(7, 2)}),
		"pcap-be":   buildPcap(pcapSpec{be: true, magic: magicNano, link: 113}, rec{sec: 1, data: payload(20, 1)}),
		"pcap-mod":  buildPcap(pcapSpec{magic: magicModified, link: 1, extra: 8}, rec{data: payload(14, 1)}),
		"pcapng":    sampleNG().b,
		"pcapng-be": ngBE.b,
		"gzip":      z.Bytes(),
	}
}

// TestWriteFuzzSeeds regenerates testdata/fuzz/* with -update-seeds.
func TestWriteFuzzSeeds(t *testing.T) {
	if !*updateSeeds {
		t.Skip("run with -update-seeds")
	}
	for _, target := range []string{"FuzzReader", "FuzzPacketAt"} {
		dir := filepath.Join("testdata", "fuzz", target)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for name, b := range seedCaptures() {
			body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", b)
			if target == "FuzzPacketAt" {
				body += "int64(24)\n"
			}
			if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// FuzzReader: any input ends in io.EOF or an *Error, never a panic, with
// frames in file order and never more data than the wire length.
func FuzzReader(f *testing.F) {
	for _, b := range seedCaptures() {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := NewReader(bytes.NewReader(b))
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("NewReader: %T %v", err, err)
			}
			return
		}
		last := int64(-1)
		for {
			p, err := r.Next()
			if err != nil {
				var e *Error
				if err != io.EOF && !errors.As(err, &e) {
					t.Fatalf("Next: %T %v", err, err)
				}
				if _, again := r.Next(); again != err {
					t.Fatalf("error not sticky: %v then %v", err, again)
				}
				return
			}
			if p.Offset <= last {
				t.Fatalf("offset %d after %d", p.Offset, last)
			}
			last = p.Offset
			if len(p.Data) > p.Length && p.Link != LinkCustomBlock {
				t.Fatalf("%d bytes captured of %d", len(p.Data), p.Length)
			}
		}
	})
}

// FuzzPacketAt: every frame Next returned reads back the same through
// PacketAt, and PacketAt at any offset fails cleanly.
func FuzzPacketAt(f *testing.F) {
	for _, b := range seedCaptures() {
		f.Add(b, int64(24))
	}
	f.Fuzz(func(t *testing.T, b []byte, off int64) {
		frames, r, err := readAll(t, b)
		if r == nil {
			return
		}
		var e *Error
		if err != io.EOF && !errors.As(err, &e) {
			t.Fatalf("Next: %T %v", err, err)
		}
		ra := bytes.NewReader(b)
		if r.Info().Compressed {
			return
		}
		for i, fr := range frames {
			p, err := r.PacketAt(ra, fr.Offset)
			if err != nil {
				t.Fatalf("frame %d at %d: %v", i+1, fr.Offset, err)
			}
			if !bytes.Equal(p.Data, fr.Data) || p.Time != fr.Time || p.Length != fr.Length || p.Interface != fr.Interface {
				t.Fatalf("frame %d differs through PacketAt", i+1)
			}
		}
		if _, err := r.PacketAt(ra, off); err != nil && !errors.As(err, &e) {
			t.Fatalf("PacketAt(%d): %T %v", off, err, err)
		}
	})
}
