package analyzer

import (
	"bufio"
	"bytes"
	"encoding/json"
	"runtime"
	"sync"
)

// Findings and flags are most of a report with many flags: each one's
// words are rendered as it is written (about 1.5 KB of JSON a flag). With
// more than one CPU, chunks of them are rendered on several goroutines and
// written in order, so the document is the same bytes, sooner.

// flagChunk and findingChunk are how many flags, or findings, one
// goroutine renders at a time.
const (
	flagChunk    = 512
	findingChunk = 128
)

// writeFindings writes the JSON of the findings listed (indices into the
// verdict's findings), comma-separated, as json.Encoder writes them.
func (r *Result) writeFindings(bw *bufio.Writer, findings []int, parallel bool) error {
	var failed error
	var mu sync.Mutex
	render := func(lo, hi int, b []byte) []byte {
		buf := bytes.NewBuffer(b)
		enc := json.NewEncoder(buf)
		enc.SetEscapeHTML(false)
		for k := lo; k < hi; k++ {
			if k > 0 {
				buf.WriteByte(',')
			}
			e := r.Verdict.ExplainFinding(findings[k])
			if err := enc.Encode(&e); err != nil {
				mu.Lock()
				failed = err
				mu.Unlock()
			}
			buf.Truncate(buf.Len() - 1) // Encode's newline
		}
		return buf.Bytes()
	}
	renderInOrder(bw, len(findings), findingChunk, parallel, render)
	return failed
}

// writeFlags writes the JSON of the flags listed (indices into the
// verdict's flags; nil for all of them), comma-separated, each with its
// finding renumbered by newIndex when that is set.
func (r *Result) writeFlags(bw *bufio.Writer, flags []int, newIndex map[int]int, parallel bool) {
	n := len(flags)
	if flags == nil {
		n = len(r.Flags())
	}
	render := func(lo, hi int, b []byte) []byte {
		for k := lo; k < hi; k++ {
			i := k
			if flags != nil {
				i = flags[k]
			}
			if k > 0 {
				b = append(b, ',')
			}
			e := r.Verdict.Explain(i)
			if newIndex != nil {
				e.Finding = newIndex[e.Finding]
			}
			b = appendFlagJSON(b, &e)
		}
		return b
	}
	renderInOrder(bw, n, flagChunk, parallel, render)
}

// concurrentRendering reports whether the report's words may be rendered
// on several goroutines: more than one CPU, enough flags to be worth it,
// and a verdict ready for it.
func (r *Result) concurrentRendering(flags int) bool {
	return runtime.GOMAXPROCS(0) > 1 && flags >= 8*flagChunk && r.Verdict.ReadyForConcurrentUse(flags)
}

// renderInOrder writes render's output for items [0, n) in chunks of
// size, in order; with parallel, up to GOMAXPROCS chunks are rendered at
// once, each into a buffer taken from a pool and given back once written.
func renderInOrder(bw *bufio.Writer, n, size int, parallel bool, render func(lo, hi int, b []byte) []byte) {
	if !parallel {
		var b []byte // one item's JSON, its memory reused
		for k := range n {
			b = render(k, k+1, b[:0])
			bw.Write(b)
		}
		return
	}
	pool := sync.Pool{New: func() any { return make([]byte, 0, 1<<20) }}
	pending := make(chan chan []byte, runtime.GOMAXPROCS(0))
	go func() {
		for lo := 0; lo < n; lo += size {
			done := make(chan []byte, 1)
			pending <- done
			go func(lo int) { done <- render(lo, min(lo+size, n), pool.Get().([]byte)[:0]) }(lo)
		}
		close(pending)
	}()
	for done := range pending {
		b := <-done
		bw.Write(b)
		pool.Put(b)
	}
}
