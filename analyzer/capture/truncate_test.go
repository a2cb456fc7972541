package capture

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

// TestTruncation cuts valid captures at every byte offset. A cut exactly
// between records is a clean end (Wireshark reads to EOF there); any other
// cut returns every complete frame before it and then an *Error, also
// among the first three records, from which Wireshark guesses a pcap
// file's record layout (TestTinyTruncatedPcaps has more).
func TestTruncation(t *testing.T) {
	recs := []rec{{sec: 1, data: payload(60, 1)}, {sec: 2, data: payload(7, 2)}, {sec: 3, data: payload(0, 0)}, {sec: 4, data: payload(99, 3)}}
	pcapBytes := buildPcap(pcapSpec{link: 1}, recs...)
	pcapEnds := []int{24}
	for _, r := range recs {
		pcapEnds = append(pcapEnds, pcapEnds[len(pcapEnds)-1]+16+len(r.data))
	}
	n := sampleNG()
	for _, c := range []struct {
		name string
		b    []byte
		ends []int // offsets where a header or record/block ends
	}{
		{"pcap", pcapBytes, pcapEnds},
		{"pcapng", n.b, n.ends},
	} {
		t.Run(c.name, func(t *testing.T) {
			full, _, err := readAll(t, c.b)
			if err != io.EOF {
				t.Fatal(err)
			}
			clean := map[int]bool{}
			for _, e := range c.ends {
				clean[e] = true
			}
			for cut := 0; cut < len(c.b); cut++ {
				frames, _, err := readAll(t, c.b[:cut])
				var complete int
				for _, f := range full {
					if end := endOf(f, c.ends); end <= cut {
						complete++
					}
				}
				if len(frames) != complete {
					t.Fatalf("cut %d: %d frames, want %d (%v)", cut, len(frames), complete, err)
				}
				for i := range frames {
					if !bytes.Equal(frames[i].Data, full[i].Data) {
						t.Fatalf("cut %d: frame %d differs", cut, i+1)
					}
				}
				if clean[cut] {
					if err != io.EOF {
						t.Fatalf("cut %d on a boundary: %v, want io.EOF", cut, err)
					}
					continue
				}
				var e *Error
				if !errors.As(err, &e) {
					t.Fatalf("cut %d: %v, want *Error", cut, err)
				}
				if e.Offset > int64(cut) {
					t.Fatalf("cut %d: error at offset %d beyond the cut: %v", cut, e.Offset, e)
				}
			}
		})
	}
}

// endOf finds where the record or block that starts at f.Offset ends.
func endOf(f frame, ends []int) int {
	for _, e := range ends {
		if e > int(f.Offset) {
			return e
		}
	}
	return -1
}
