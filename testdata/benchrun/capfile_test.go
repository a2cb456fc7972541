package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/portlens/portlens/testdata/benchgen/benchcap"
)

// A kept capture is reused only while it is what benchgen writes for
// its settings; any change to it or to the settings writes it again.
func TestEnsureCapture(t *testing.T) {
	// A short prefix, so that a change past it is left to the SHA-256.
	defer func(n int) { prefixLen = n }(prefixLen)
	prefixLen = 4096
	spec := capSpec{packets: 3000, copies: 4, pcapng: true}
	var want bytes.Buffer
	if err := benchcap.Write(&want, spec.config()); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		damage func(t *testing.T, file string)
		reused bool
	}{
		{"untouched", func(t *testing.T, file string) {}, true},
		{"truncated", func(t *testing.T, file string) { must(t, os.Truncate(file, int64(want.Len()-1))) }, false},
		{"byte changed", func(t *testing.T, file string) { flipByte(t, file, want.Len()-5) }, false},
		{"byte changed in the prefix", func(t *testing.T, file string) { flipByte(t, file, 100) }, false},
		{"no sidecar", func(t *testing.T, file string) { must(t, os.Remove(file+".sha256")) }, false},
		{"sidecar of other settings", func(t *testing.T, file string) {
			side, _ := os.ReadFile(file + ".sha256")
			must(t, os.WriteFile(file+".sha256", []byte(strings.Replace(string(side), "-copies 4", "-copies 5", 1)), 0o644))
		}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := &bench{dir: t.TempDir()}
			file, size, err := b.ensureCapture(spec)
			must(t, err)
			if size != int64(want.Len()) || filepath.Dir(file) != b.dir {
				t.Fatalf("%s: %d bytes, want %d in %s", file, size, want.Len(), b.dir)
			}
			c.damage(t, file)
			_, why := verifyCapture(file, spec)
			if (why == nil) != c.reused {
				t.Errorf("verifyCapture: %v, want reused %v", why, c.reused)
			}
			// Either way ensureCapture ends with the right bytes.
			_, _, err = b.ensureCapture(spec)
			must(t, err)
			if got, _ := os.ReadFile(file); !bytes.Equal(got, want.Bytes()) {
				t.Errorf("after ensureCapture the file differs from benchcap's output")
			}
			if _, why := verifyCapture(file, spec); why != nil {
				t.Errorf("after ensureCapture: %v", why)
			}
		})
	}
}

// The counts come from the report's header, even when only its first
// megabyte is kept.
func TestHeadWriterCounts(t *testing.T) {
	h := &headWriter{}
	doc := `{"file":"x.pcap","packets":1234,"flag_counts":{"tcp.reused_ports":7,"port.outside_ephemeral":3},"flags":[` +
		strings.Repeat(`{"frame":1},`, 200_000) + `{"frame":2}],"error":""}`
	for i := 0; i < len(doc); i += 4096 {
		h.Write([]byte(doc[i:min(i+4096, len(doc))]))
	}
	packets, counts, err := h.counts()
	must(t, err)
	if packets != 1234 || counts["tcp.reused_ports"] != 7 || counts["port.outside_ephemeral"] != 3 || h.n != int64(len(doc)) {
		t.Errorf("packets %d, counts %v, %d bytes counted of %d", packets, counts, h.n, len(doc))
	}
	if _, _, err := (&headWriter{head: []byte(`{"packets":1,"flags":[`)}).counts(); err == nil {
		t.Error("a report without flag_counts gave no error")
	}
}

// A report written to a file gives the same counts, and its whole size,
// from its first megabyte.
func TestReadHead(t *testing.T) {
	doc := `{"file":"x.pcap","packets":1234,"flag_counts":{"tcp.reused_ports":7},"flags":[` +
		strings.Repeat(`{"frame":1},`, 200_000) + `{"frame":2}],"error":""}`
	name := filepath.Join(t.TempDir(), "report.json")
	must(t, os.WriteFile(name, []byte(doc), 0o644))
	h, err := readHead(name)
	must(t, err)
	packets, counts, err := h.counts()
	must(t, err)
	if packets != 1234 || counts["tcp.reused_ports"] != 7 || h.n != int64(len(doc)) || len(h.head) != headSize {
		t.Errorf("packets %d, counts %v, size %d of %d, %d bytes kept", packets, counts, h.n, len(doc), len(h.head))
	}
}

// Each part of BENCHMARKS.md is replaced on its own; the text around stays.
func TestWriteInto(t *testing.T) {
	name := filepath.Join(t.TempDir(), "B.md")
	must(t, writeInto(name, "bench", "one\n"))
	must(t, writeInto(name, "bench-big", "big\n"))
	data, _ := os.ReadFile(name)
	must(t, os.WriteFile(name, []byte(string(data)+"notes kept\n"), 0o644))
	must(t, writeInto(name, "bench", "two\n"))
	got, _ := os.ReadFile(name)
	for _, want := range []string{"<!-- bench:begin -->\ntwo\n<!-- bench:end -->", "<!-- bench-big:begin -->\nbig\n<!-- bench-big:end -->", "notes kept"} {
		if !strings.Contains(string(got), want) {
			t.Errorf("missing %q in\n%s", want, got)
		}
	}
	if strings.Contains(string(got), "one") {
		t.Errorf("the old part stayed:\n%s", got)
	}
}

func flipByte(t *testing.T, file string, at int) {
	data, err := os.ReadFile(file)
	must(t, err)
	data[at] ^= 1
	must(t, os.WriteFile(file, data, 0o644))
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
