package app

import (
	"errors"
	"io"
	"sync"
)

// The page reads a capture (a JS Blob) from start to end in chunks, and
// rows again at offsets through a small cache of blocks. The bookkeeping
// of both is here, in plain Go without syscall/js, so that a native fuzz
// target (chunks_test.go) drives it with any chunk sizes, short reads and
// offsets; blob.go plugs in the browser's reads.

const (
	chunkSize   = 2 << 20   // bytes per sequential read
	blockSize   = 256 << 10 // bytes per cached block for rows
	blockCached = 24        // blocks kept
)

// errBlobChanged: the Blob holds fewer or more bytes than its size said,
// as when the file changed on disk while the page read it.
var errBlobChanged = errors.New("the file changed while it was read (its size is not what it was)")

// chunkReader reads a file of known size from start to end, an io.Reader
// over reads of one chunk at a time. fill reads the bytes at off into
// buf: all of buf or fewer (a stream hands out what it has), none only
// when the file ends early.
type chunkReader struct {
	size, off  int64
	chunk      int
	fill       func(buf []byte, off int64) (int, error)
	buf        []byte
	start, end int // the part of buf not read yet
}

func newChunkReader(size int64, chunk int, fill func(buf []byte, off int64) (int, error)) *chunkReader {
	return &chunkReader{size: size, chunk: chunk, fill: fill}
}

func (r *chunkReader) Read(p []byte) (int, error) {
	if r.start == r.end {
		if r.off >= r.size {
			return 0, io.EOF
		}
		if len(r.buf) < r.chunk {
			r.buf = make([]byte, r.chunk)
		}
		n := int(min(int64(r.chunk), r.size-r.off))
		got, err := r.fill(r.buf[:n], r.off)
		if err != nil {
			return 0, err
		}
		if got <= 0 || got > n {
			return 0, errBlobChanged
		}
		r.off += int64(got)
		r.start, r.end = 0, got
	}
	n := copy(p, r.buf[r.start:r.end])
	r.start += n
	return n, nil
}

// blockCache reads a file at offsets, an io.ReaderAt for rows decoded
// again on demand. The rows on screen lie close together in the file, so
// a few cached blocks serve a whole screen with one or two reads. load
// reads the block at `at` into b, all of it (b never runs past the end).
type blockCache struct {
	mu     sync.Mutex
	size   int64
	block  int // bytes a block
	keep   int // blocks kept
	load   func(b []byte, at int64) (int, error)
	blocks []cachedBlock
	clock  int
}

type cachedBlock struct {
	index int64
	data  []byte
	used  int
}

func newBlockCache(size int64, block, keep int, load func(b []byte, at int64) (int, error)) *blockCache {
	return &blockCache{size: size, block: block, keep: keep, load: load}
}

// ReadAt fills p from the blocks, loading the missing ones.
func (c *blockCache) ReadAt(p []byte, off int64) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if off < 0 {
		return 0, errors.New("blockCache.ReadAt: negative offset")
	}
	if off >= c.size {
		return 0, io.EOF
	}
	bs := int64(c.block)
	n := 0
	for n < len(p) && off < c.size {
		b, err := c.get(off / bs)
		if err != nil {
			return n, err
		}
		k := copy(p[n:], b[off%bs:])
		n += k
		off += int64(k)
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// get returns block index, from the cache or loaded in place of the one
// used longest ago.
func (c *blockCache) get(index int64) ([]byte, error) {
	c.clock++
	for i := range c.blocks {
		if c.blocks[i].index == index {
			c.blocks[i].used = c.clock
			return c.blocks[i].data, nil
		}
	}
	at := index * int64(c.block)
	data := make([]byte, min(int64(c.block), c.size-at))
	got, err := c.load(data, at)
	if err != nil {
		return nil, err
	}
	if got != len(data) {
		return nil, errBlobChanged // a block short of bytes is never cached
	}
	if len(c.blocks) < c.keep {
		c.blocks = append(c.blocks, cachedBlock{index, data, c.clock})
		return data, nil
	}
	lru := 0
	for i := range c.blocks {
		if c.blocks[i].used < c.blocks[lru].used {
			lru = i
		}
	}
	c.blocks[lru] = cachedBlock{index, data, c.clock}
	return data, nil
}
