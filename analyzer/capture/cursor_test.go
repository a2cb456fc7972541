package capture

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"testing"
)

// TestCursor: a cursor at any frame's offset reads that frame and the
// ones after it exactly as Next did, in pcap, pcapng (sections of both
// byte orders, blocks that make no frame in between) and gzip, and a
// cursor moved back and forth stays right.
func TestCursor(t *testing.T) {
	for name, b := range chunkedInputs(t) {
		r, err := NewReader(bytes.NewReader(b))
		if err != nil {
			continue
		}
		var want []string
		var offs []int64
		for {
			p, err := r.Next()
			if err != nil {
				break
			}
			want = append(want, frameDigest(p))
			offs = append(offs, p.Offset)
		}
		if len(want) == 0 {
			continue
		}
		ra := bytes.NewReader(b)
		// From the first frame to the end, in one cursor.
		c, err := r.CursorAt(ra, offs[0])
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for i := range want {
			p, err := c.Next()
			if err != nil || frameDigest(p) != want[i] {
				t.Fatalf("%s: cursor frame %d: %v (%v)", name, i+1, digestOr(p), err)
			}
		}
		// Jumps: every 7th frame, then back to earlier ones.
		step := max(1, len(want)/50)
		for _, i := range append(seq(0, len(want), step), seq(len(want)-1, -1, -3*step)...) {
			if err := c.Seek(ra, offs[i]); err != nil {
				t.Fatalf("%s: seek to frame %d: %v", name, i+1, err)
			}
			p, err := c.Next()
			if err != nil || frameDigest(p) != want[i] {
				t.Fatalf("%s: frame %d after a seek: %v (%v)", name, i+1, digestOr(p), err)
			}
			if p2, err := r.PacketAt(ra, offs[i]); err != nil || frameDigest(p2) != want[i] {
				t.Fatalf("%s: PacketAt frame %d: %v", name, i+1, err)
			}
		}
	}
}

func seq(from, to, step int) []int {
	var out []int
	for i := from; (step > 0 && i < to) || (step < 0 && i > to); i += step {
		out = append(out, i)
	}
	return out
}

func frameDigest(p *Packet) string {
	sum := sha256.Sum256(p.Data)
	return fmt.Sprintf("%x %d %d %d %d %d", sum[:8], p.Length, p.Time, p.Link, p.Interface, p.Offset)
}

func digestOr(p *Packet) string {
	if p == nil {
		return "nil"
	}
	return frameDigest(p)
}
