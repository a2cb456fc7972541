package main

// Generated captures are kept in the bench directory between runs: the
// 2 GB one takes a while to write. Each is reused only when it is what the
// generator writes today: a sidecar file NAME.sha256 records its size and
// SHA-256 (computed while writing it), the file must still match both, and
// its first bytes must equal what benchcap generates now (a cheap check
// that the generator has not changed since).

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/portlens/portlens/testdata/benchgen/benchcap"
)

// capSpec is one generated capture: `go run ./testdata/benchgen` with
// the flags args() returns writes the same bytes.
type capSpec struct {
	name    string // how the table names it
	packets int
	copies  int
	pcapng  bool
	tshark  bool // also time tshark -Y on it
}

func (c capSpec) config() benchcap.Config {
	return benchcap.Config{Packets: c.packets, Seed: 1, PcapNG: c.pcapng, Copies: c.copies}
}

// args are benchgen's flags for this capture.
func (c capSpec) args() string {
	s := fmt.Sprintf("-packets %d -copies %d", c.packets, c.copies)
	if c.pcapng {
		s += " -pcapng"
	}
	return s
}

func (c capSpec) fileName() string {
	ext := "pcap"
	if c.pcapng {
		ext = "pcapng"
	}
	return fmt.Sprintf("bench-%d-x%d.%s", c.packets, c.copies, ext)
}

// prefixLen is how much of a kept capture is compared with a fresh
// generation before reusing it (a variable for the test).
var prefixLen = 8 << 20

// ensureCapture returns the path of spec's capture in dir and its size,
// writing it unless a verified copy is there.
func (b *bench) ensureCapture(spec capSpec) (string, int64, error) {
	file := filepath.Join(b.dir, spec.fileName())
	if size, why := verifyCapture(file, spec); why == nil {
		b.say("reusing %s (%d bytes, SHA-256 and generator prefix checked)", file, size)
		return file, size, nil
	} else if !errors.Is(why, os.ErrNotExist) {
		b.say("not reusing %s: %v", file, why)
	}
	b.say("writing %s (benchgen %s)", file, spec.args())
	size, sum, err := writeCapture(file, spec)
	if err != nil {
		return "", 0, err
	}
	side := fmt.Sprintf("%s %d %s\n", hex.EncodeToString(sum), size, spec.args())
	return file, size, os.WriteFile(file+".sha256", []byte(side), 0o644)
}

func writeCapture(file string, spec capSpec) (int64, []byte, error) {
	_ = os.Remove(file + ".sha256")
	f, err := os.Create(file)
	if err != nil {
		return 0, nil, err
	}
	h := sha256.New()
	cw := &countWriter{w: io.MultiWriter(f, h)}
	err = benchcap.Write(cw, spec.config())
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return cw.n, h.Sum(nil), err
}

// verifyCapture says why file cannot be reused, or returns its size.
func verifyCapture(file string, spec capSpec) (int64, error) {
	side, err := os.ReadFile(file + ".sha256")
	if err != nil {
		return 0, err
	}
	f := strings.Fields(string(side))
	if len(f) < 2 || strings.Join(f[2:], " ") != spec.args() {
		return 0, fmt.Errorf("%s.sha256 is for other settings", file)
	}
	size, _ := strconv.ParseInt(f[1], 10, 64)
	st, err := os.Stat(file)
	if err != nil {
		return 0, err
	}
	if st.Size() != size {
		return 0, fmt.Errorf("%d bytes, %d when written", st.Size(), size)
	}
	fresh := &prefixWriter{max: prefixLen}
	_ = benchcap.Write(fresh, spec.config()) // stops with errPrefixFull
	in, err := os.Open(file)
	if err != nil {
		return 0, err
	}
	defer in.Close()
	head := make([]byte, len(fresh.buf))
	if _, err := io.ReadFull(in, head); err != nil || !bytes.Equal(head, fresh.buf) {
		return 0, errors.New("the generator writes other bytes now")
	}
	h := sha256.New()
	h.Write(head)
	if _, err := io.Copy(h, in); err != nil {
		return 0, err
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != f[0] {
		return 0, fmt.Errorf("SHA-256 %s, %s when written", got, f[0])
	}
	return size, nil
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

var errPrefixFull = errors.New("prefix full")

// prefixWriter keeps the first max bytes written to it, then refuses.
type prefixWriter struct {
	buf []byte
	max int
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	room := p.max - len(p.buf)
	if len(b) > room {
		p.buf = append(p.buf, b[:room]...)
		return room, errPrefixFull
	}
	p.buf = append(p.buf, b...)
	return len(b), nil
}
