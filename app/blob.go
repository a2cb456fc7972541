package app

import (
	"errors"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// The capture is a JS Blob (a dropped File, or a fetched sample). It is
// read in chunks with the Blob's byte stream or Blob.slice().arrayBuffer(),
// never whole: memory stays flat whatever the file's size. The chunk and
// block bookkeeping is chunks.go's; here are the browser's reads. Every
// method here awaits promises, so it must run on a goroutine of its own
// (ctx.Async), never on the UI goroutine.

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
	*chunkReader
	byob app.Value // the stream's BYOB reader, if there is one
	// spare is the ArrayBuffer for the read after next; next is the
	// read already asked for (a promise), so the browser reads the file
	// while the analysis works on the chunk before.
	spare, next app.Value
	ended       bool // the stream said done
}

func newBlobReader(blob app.Value) *blobReader {
	r := &blobReader{}
	if st := blob.Get("stream"); st.Truthy() {
		func() {
			defer func() { recover() }() // no byte stream: a TypeError
			r.byob = blob.Call("stream").Call("getReader", map[string]any{"mode": "byob"})
			r.spare = app.Window().Get("ArrayBuffer").New(chunkSize)
			r.next = r.read(app.Window().Get("ArrayBuffer").New(chunkSize))
		}()
	}
	r.chunkReader = newChunkReader(int64(blob.Get("size").Int()), chunkSize, func(buf []byte, off int64) (int, error) {
		if r.byob != nil && r.byob.Truthy() {
			return r.readStream(buf)
		}
		return readBlob(blob, buf, off)
	})
	return r
}

// readStream takes the chunk read ahead into buf and asks for the one
// after it, into the spare buffer: two buffers in turn, none garbage.
// Each read asks for a whole chunk (min: the stream fills the view before
// it answers; browsers without it answer with what they have, 64 KiB at a
// time): one round trip between Go and the browser every 2 MiB instead of
// every 64 KiB, which left the main thread idle for a third of a
// million-packet analysis.
func (r *blobReader) readStream(buf []byte) (int, error) {
	if r.ended {
		return 0, nil // the stream ended before the Blob's size
	}
	res, err := await(r.next)
	if err != nil {
		return 0, err
	}
	v := res.Get("value")
	n := 0
	if v.Truthy() {
		if v.Get("byteLength").Int() > len(buf) {
			return 0, errBlobChanged // more than the Blob's size
		}
		n = app.CopyBytesToGo(buf, v)
	}
	if res.Get("done").Bool() {
		// With min, the last bytes come with done.
		r.ended = true
		return n, nil
	}
	ab := v.Get("buffer") // the same memory, handed back: the spare after next
	r.next = r.read(r.spare)
	r.spare = ab
	return n, nil
}

// read asks the stream for the next chunk into buffer ab.
func (r *blobReader) read(ab app.Value) app.Value {
	return r.byob.Call("read", app.Window().Get("Uint8Array").New(ab, 0, chunkSize), map[string]any{"min": chunkSize})
}

// newBlobReaderAt reads a Blob at offsets, for rows decoded again on
// demand, through a cache of blocks.
func newBlobReaderAt(blob app.Value) *blockCache {
	return newBlockCache(int64(blob.Get("size").Int()), blockSize, blockCached, func(b []byte, at int64) (int, error) {
		return readBlob(blob, b, at)
	})
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

// afterTurn runs fn on the UI goroutine in a task of its own, once the
// browser has had a turn (input, rendering) after the current one.
func afterTurn(ctx app.Context, fn func(ctx app.Context)) {
	ctx.Async(func() {
		y := newYielder()
		y.Yield()
		y.Release()
		ctx.Dispatch(fn)
	})
}
