package analyzer

import (
	"testing"

	"github.com/portlens/portlens/analyzer/conv"
	"github.com/portlens/portlens/analyzer/decode"
)

// Every field of a Frame survives the columns, across blocks, and the
// checkpoints name every 16th frame's offset.
func TestFramesColumns(t *testing.T) {
	var fs Frames
	frameOf := func(n int) Frame {
		return Frame{
			Ref:       int32(n*7 - 3),
			Transport: decode.Transport(n % 7),
			Dir:       conv.Dir(n % 2),
			Flags:     decode.TCPFlags(n % 256),
			Layered:   n%3 == 0,
			Undecoded: n%5 == 0,
			IPv6:      n%11 == 0,
			Ethernet:  n%13 == 0,
		}
	}
	const n = 3*4096 + 77
	for i := 1; i <= n; i++ {
		fs.add(frameOf(i), int64(i)*100)
	}
	if fs.Len() != n {
		t.Fatalf("Len %d, want %d", fs.Len(), n)
	}
	for i := 1; i <= n; i++ {
		if got, want := fs.At(i), frameOf(i); got != want {
			t.Fatalf("frame %d: %+v, want %+v", i, got, want)
		}
		off, skip := fs.checkpoint(i)
		if first := i - skip; skip < 0 || skip >= checkpointEvery || (first-1)%checkpointEvery != 0 || off != int64(first)*100 {
			t.Fatalf("frame %d: checkpoint at %d, skip %d", i, off, skip)
		}
	}
}
