package main

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/portlens/portlens/testdata/benchgen/benchcap"
)

// stdinFeeds are the ways a capture reaches standard input.
var stdinFeeds = []struct {
	name string
	open func(t *testing.T, path string) io.Reader
}{
	// A pipe, as from `zcat x | portlens analyze -`: Linux delivers at most
	// 64 KiB a read, and nothing can be read twice, so rows come from the copy.
	{"pipe", func(t *testing.T, path string) io.Reader {
		data := readFile(t, path)
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			w.Write(data) // fails with EPIPE when the reader stops early: fine
			w.Close()
		}()
		t.Cleanup(func() { r.Close() })
		return r
	}},
	// `portlens analyze - < x`: a regular file, read in place.
	{"file", func(t *testing.T, path string) io.Reader {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		return f
	}},
	// The same file behind a prefix the shell already consumed: the
	// capture starts at stdin's offset, not at the file's start.
	{"file-at-offset", func(t *testing.T, path string) io.Reader {
		p := filepath.Join(t.TempDir(), "prefixed")
		if err := os.WriteFile(p, append([]byte("consumed"), readFile(t, path)...), 0o644); err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		if _, err := f.Seek(int64(len("consumed")), io.SeekStart); err != nil {
			t.Fatal(err)
		}
		return f
	}},
	// Any other reader, in small reads: copied to a temporary file too.
	{"reader", func(t *testing.T, path string) io.Reader {
		return &smallReads{data: readFile(t, path)}
	}},
}

// smallReads hands out at most 1000 bytes a read, and nothing else (no
// ReaderAt, not a file).
type smallReads struct{ data []byte }

func (r *smallReads) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), 1000)], r.data)
	r.data = r.data[n:]
	return n, nil
}

// TestAnalyzeStdin: `analyze -` prints exactly what `analyze FILE` prints,
// but for the name, in text and JSON, however standard input is fed, and
// leaves no temporary file behind.
func TestAnalyzeStdin(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "bench.pcap") // 600 KB: flags far past the first 64 KiB read
	writeFile(t, big, benchcap.Bytes(5000))
	bigGz := filepath.Join(dir, "bench.pcap.gz")
	writeFile(t, bigGz, gzipBytes(t, readFile(t, big)))
	cut := filepath.Join(dir, "cut.pcapng")
	data := readFile(t, seeds+"pcapng-two-interfaces.pcapng")
	writeFile(t, cut, data[:len(data)-30])

	files := []string{seeds + "seed-rst-storm.pcap", seeds + "gzip-reuse-after-fin.pcap.gz",
		seeds + "pcapng-two-interfaces.pcapng", seeds + "pcap-nanosecond.pcap", big, bigGz, cut}
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	for _, file := range files {
		for _, mode := range [][]string{{"analyze"}, {"analyze", "--json", "--frames"}} {
			wantOut, wantErr, wantStatus := runCLI(t, append(mode, file)...)
			if !strings.Contains(wantOut, "TCP") && !strings.Contains(wantOut, `"conversations"`) {
				t.Fatalf("%s: no report:\n%s", file, wantOut)
			}
			wantOut = strings.Replace(wantOut, file, "-", 1)
			wantErr = strings.Replace(wantErr, file, "standard input", 1)
			for _, feed := range stdinFeeds {
				out, errOut, status := runCLIWith(t, feed.open(t, file), append(mode, "-")...)
				name := strings.Join(mode[1:], " ") + " " + filepath.Base(file) + " via " + feed.name
				if status != wantStatus || errOut != wantErr {
					t.Errorf("%s: status %d, stderr %q; from the file: %d, %q", name, status, errOut, wantStatus, wantErr)
				}
				if out != wantOut {
					t.Errorf("%s: the output differs from the file's:\n%s\nwant:\n%s", name, head(out), head(wantOut))
				}
				if left, _ := os.ReadDir(tmp); len(left) > 0 {
					t.Fatalf("%s: %s left in the temporary directory", name, left[0].Name())
				}
			}
		}
	}
}

func TestAnalyzeStdinOnce(t *testing.T) {
	_, errOut, status := runCLI(t, "analyze", "-", seeds+"seed-rst-storm.pcap", "-")
	if status != exitUsage || !strings.Contains(errOut, "standard input (-) can be read only once") {
		t.Errorf("status %d, stderr %q", status, errOut)
	}
	// An empty standard input is an empty capture, named as such.
	_, errOut, status = runCLI(t, "analyze", "-")
	if status != exitDamaged || !strings.HasPrefix(errOut, "portlens: standard input: not a capture file") {
		t.Errorf("empty stdin: status %d, stderr %q", status, errOut)
	}
}

func head(s string) string {
	if len(s) > 2000 {
		return s[:2000] + "…"
	}
	return s
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func gzipBytes(t *testing.T, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write(data)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
