package main

import "io"

// readAhead reads its source on a goroutine of its own, a block ahead of
// the analysis, so that the kernel's copying of a file (a sixth of the
// time of `analyze --json` on a 123 MB file) overlaps the decoding. Each
// Read of the source fills one block; its bytes and error come out in
// order.
type readAhead struct {
	full chan aheadBlock
	free chan []byte
	stop chan struct{}
	cur  aheadBlock // the block being read out
	off  int
}

type aheadBlock struct {
	b   []byte
	err error
}

const (
	aheadBlockSize = 1 << 20
	aheadBlocks    = 3
)

func newReadAhead(r io.Reader) *readAhead {
	ra := &readAhead{full: make(chan aheadBlock, aheadBlocks), free: make(chan []byte, aheadBlocks),
		stop: make(chan struct{})}
	for range aheadBlocks {
		ra.free <- make([]byte, aheadBlockSize)
	}
	go ra.fill(r)
	return ra
}

// fill reads r block after block until an error (io.EOF included) or Close.
func (ra *readAhead) fill(r io.Reader) {
	for {
		var buf []byte
		select {
		case buf = <-ra.free:
		case <-ra.stop:
			return
		}
		n, err := r.Read(buf)
		ra.full <- aheadBlock{b: buf[:n], err: err}
		if err != nil {
			return
		}
	}
}

func (ra *readAhead) Read(p []byte) (int, error) {
	for ra.off == len(ra.cur.b) {
		if ra.cur.err != nil {
			return 0, ra.cur.err
		}
		if ra.cur.b != nil {
			ra.free <- ra.cur.b[:cap(ra.cur.b)]
		}
		ra.cur, ra.off = <-ra.full, 0
	}
	n := copy(p, ra.cur.b[ra.off:])
	ra.off += n
	return n, nil
}

// Close stops the reading goroutine (when the analysis stopped early).
func (ra *readAhead) Close() {
	select {
	case <-ra.stop:
	default:
		close(ra.stop)
	}
}
