package app

import (
	"errors"
	"io"
	"sync"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// The capture is a JS Blob (a dropped File, or a fetched sample). It is
// read in chunks with Blob.slice().arrayBuffer(), never whole: memory stays
// flat whatever the file's size. Every method here awaits promises, so it
// must run on a goroutine of its own (ctx.Async), never on the UI goroutine.

const chunkSize = 2 << 20 // bytes per sequential read

// await blocks the calling goroutine until the promise settles.
func await(promise app.Value) (app.Value, error) {
	type result struct {
		v   app.Value
		err error
	}
	ch := make(chan result, 1)
	then := app.FuncOf(func(this app.Value, args []app.Value) any {
		ch <- result{v: args[0]}
		return nil
	})
	catch := app.FuncOf(func(this app.Value, args []app.Value) any {
		ch <- result{err: errors.New(args[0].Call("toString").String())}
		return nil
	})
	defer then.Release()
	defer catch.Release()
	promise.Call("then", then, catch)
	r := <-ch
	return r.v, r.err
}

// readBlob copies blob[off:off+len(p)] into p.
func readBlob(blob app.Value, p []byte, off int64) (int, error) {
	buf, err := await(blob.Call("slice", off, off+int64(len(p))).Call("arrayBuffer"))
	if err != nil {
		return 0, err
	}
	u8 := app.Window().Get("Uint8Array").New(buf)
	return app.CopyBytesToGo(p, u8), nil
}

// blobReader reads a Blob from start to end: an io.Reader. It reads the
// Blob's byte stream into one reused buffer (a BYOB reader), so reading a
// gigabyte leaves no gigabyte of garbage ArrayBuffers behind; where the
// browser has no byte stream for Blobs it reads slices instead.
type blobReader struct {
	blob      app.Value
	size, off int64
	byob      app.Value // the stream's BYOB reader, if there is one
	// spare is the ArrayBuffer for the read after next; next is the
	// read already asked for (a promise), so the browser reads the file
	// while the analysis works on the chunk before.
	spare, next app.Value
	buf         []byte
	start, end  int
}

func newBlobReader(blob app.Value) *blobReader {
	r := &blobReader{blob: blob, size: int64(blob.Get("size").Int())}
	if st := blob.Get("stream"); st.Truthy() {
		func() {
			defer func() { recover() }() // no byte stream: a TypeError
			r.byob = blob.Call("stream").Call("getReader", map[string]any{"mode": "byob"})
			r.spare = app.Window().Get("ArrayBuffer").New(chunkSize)
			r.next = r.byob.Call("read", app.Window().Get("Uint8Array").New(app.Window().Get("ArrayBuffer").New(chunkSize)))
		}()
	}
	return r
}

func (r *blobReader) Read(p []byte) (int, error) {
	if r.start == r.end {
		if r.off >= r.size {
			return 0, io.EOF
		}
		if cap(r.buf) < chunkSize {
			r.buf = make([]byte, chunkSize)
		}
		var got int
		var err error
		if r.byob != nil && r.byob.Truthy() {
			got, err = r.readStream()
		} else {
			n := int(min(chunkSize, r.size-r.off))
			got, err = readBlob(r.blob, r.buf[:n], r.off)
		}
		if err != nil {
			return 0, err
		}
		if got == 0 {
			return 0, io.ErrUnexpectedEOF // the Blob is shorter than its size said
		}
		r.off += int64(got)
		r.start, r.end = 0, got
	}
	n := copy(p, r.buf[r.start:r.end])
	r.start += n
	return n, nil
}

// readStream takes the chunk read ahead into r.buf and asks for the one
// after it, into the spare buffer: two buffers in turn, none garbage.
func (r *blobReader) readStream() (int, error) {
	res, err := await(r.next)
	if err != nil {
		return 0, err
	}
	if res.Get("done").Bool() {
		return 0, nil
	}
	v := res.Get("value")
	n := app.CopyBytesToGo(r.buf, v)
	ab := v.Get("buffer") // the same memory, handed back: the spare after next
	r.next = r.byob.Call("read", app.Window().Get("Uint8Array").New(r.spare, 0, chunkSize))
	r.spare = ab
	return n, nil
}

// blobReaderAt reads a Blob at offsets, for rows decoded again on demand.
// The rows on screen lie close together in the file, so a few cached
// blocks serve a whole screen with one or two reads.
type blobReaderAt struct {
	mu     sync.Mutex
	blob   app.Value
	size   int64
	blocks blockCache
}

func newBlobReaderAt(blob app.Value) *blobReaderAt {
	return &blobReaderAt{blob: blob, size: int64(blob.Get("size").Int())}
}

func (r *blobReaderAt) ReadAt(p []byte, off int64) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.blocks.readAt(p, off, r.size, func(b []byte, at int64) error {
		_, err := readBlob(r.blob, b, at)
		return err
	})
}

const (
	blockSize   = 256 << 10
	blockCached = 24
)

// blockCache is a small LRU of fixed-size blocks of a file.
type blockCache struct {
	blocks []cachedBlock
	clock  int
}

type cachedBlock struct {
	index int64
	data  []byte
	used  int
}

// readAt fills p from the blocks, loading the missing ones with load.
func (c *blockCache) readAt(p []byte, off, size int64, load func(b []byte, at int64) error) (int, error) {
	if off >= size {
		return 0, io.EOF
	}
	n := 0
	for n < len(p) && off < size {
		b, err := c.block(off/blockSize, size, load)
		if err != nil {
			return n, err
		}
		k := copy(p[n:], b[off%blockSize:])
		n += k
		off += int64(k)
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (c *blockCache) block(index, size int64, load func(b []byte, at int64) error) ([]byte, error) {
	c.clock++
	for i := range c.blocks {
		if c.blocks[i].index == index {
			c.blocks[i].used = c.clock
			return c.blocks[i].data, nil
		}
	}
	at := index * blockSize
	data := make([]byte, min(blockSize, size-at))
	if err := load(data, at); err != nil {
		return nil, err
	}
	if len(c.blocks) < blockCached {
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

// yielder hands control back to the browser: a MessageChannel round trip
// is a new task, so rendering and input run before the next step.
// (runtime.Gosched and awaiting resolved promises do not yield.)
type yielder struct {
	port app.Value
	ch   chan struct{}
	fn   app.Func
}

func newYielder() *yielder {
	y := &yielder{ch: make(chan struct{}, 1)}
	mc := app.Window().Get("MessageChannel").New()
	y.fn = app.FuncOf(func(this app.Value, args []app.Value) any {
		select {
		case y.ch <- struct{}{}:
		default:
		}
		return nil
	})
	mc.Get("port1").Set("onmessage", y.fn)
	y.port = mc.Get("port2")
	return y
}

func (y *yielder) Yield() {
	y.port.Call("postMessage", nil)
	<-y.ch
}

// Paced returns a function that yields only when at least d has passed
// since the last yield: cheap enough to call in a tight loop.
func (y *yielder) Paced(d time.Duration) func() {
	last := time.Now()
	return func() {
		if time.Since(last) >= d {
			y.Yield()
			last = time.Now()
		}
	}
}

func (y *yielder) Release() {
	y.fn.Release()
}
