package analyzer

import (
	"bufio"
	"runtime"
	"sync"
)

// The flags are most of a report with many of them: each one's words are
// rendered as it is written (about 1.5 KB of JSON a flag). With more than
// one CPU, chunks of flags are rendered on several goroutines and written
// in order, so the document is the same bytes, sooner.

// flagChunk is how many flags one goroutine renders at a time.
const flagChunk = 512

// writeFlags writes the JSON of the flags listed (indices into the
// verdict's flags; nil for all of them), comma-separated, each with its
// finding renumbered by newIndex when that is set.
func (r *Result) writeFlags(bw *bufio.Writer, flags []int, newIndex map[int]int) {
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
	workers := runtime.GOMAXPROCS(0)
	if workers == 1 || n < 8*flagChunk || !r.Verdict.ReadyForConcurrentUse(n) {
		var b []byte // one flag's JSON, its memory reused
		for k := range n {
			b = render(k, k+1, b[:0])
			bw.Write(b)
		}
		return
	}
	// At most a chunk a worker in flight (and one being written), each rendered into a buffer
	// taken from pool and given back once written.
	pool := sync.Pool{New: func() any { return make([]byte, 0, 1<<20) }}
	pending := make(chan chan []byte, workers)
	go func() {
		for lo := 0; lo < n; lo += flagChunk {
			done := make(chan []byte, 1)
			pending <- done
			go func(lo int) { done <- render(lo, min(lo+flagChunk, n), pool.Get().([]byte)[:0]) }(lo)
		}
		close(pending)
	}()
	for done := range pending {
		b := <-done
		bw.Write(b)
		pool.Put(b)
	}
}
