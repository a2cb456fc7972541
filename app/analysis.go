package app

import (
	"math"
	"runtime/debug"
	"runtime/metrics"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/portlens/portlens/analyzer"
)

// slice is how long the analysis computes before yielding to the browser:
// one frame at 60 Hz. Each yield costs about a millisecond (a task, the
// browser's turn, Go's return into the wasm): 16 ms slices read a
// million packets 40-60 ms sooner than 8 ms ones did, and still leave
// every task far below 50 ms.
const slice = 16 * time.Millisecond

// open analyzes a capture the user chose, in steps of ~16 ms with the
// browser getting control in between, so the page stays responsive.
func (p *Page) open(ctx app.Context, r openRequest) {
	p.run++
	id := p.run
	p.holdPanel = false // an earlier capture's results may have been half shown
	size := int64(r.Blob.Get("size").Int())
	p.s.reset(r.Name, size)
	p.s.Src = r.Src
	p.reading = id
	opts := p.s.Options()
	opts.Budget.MaxMemory = pageBudget()
	ctx.Async(func() {
		y := newYielder()
		defer y.Release()
		y.Yield() // the click or the drop ends here; the reading starts in a task of its own
		gc := newGCTuner(opts.Budget.MaxMemory)
		opts.Pause = y.Paced(slice) // the rules take seconds on millions of packets
		run := analyzer.Start(r.Name, newBlobReader(r.Blob), opts)
		lastUI := time.Now()
		for more := true; more; {
			t0 := time.Now()
			for more && time.Since(t0) < slice {
				more = run.Step(512)
			}
			if time.Since(lastUI) > 100*time.Millisecond {
				lastUI = time.Now()
				gc.check()
				b, n := run.Progress()
				ctx.Dispatch(func(ctx app.Context) {
					if p.run == id {
						p.s.Bytes, p.s.Packets = b, n
					}
				})
			}
			y.Yield()
			if p.cancelled(id) {
				return
			}
			if p.stop == id {
				run.Stop() // Cancel: keep and judge what was read
				more = false
			}
		}
		gc.judging()
		res := run.Result()
		gc.done()
		bytes, _ := run.Progress()
		src := newBlobReaderAt(r.Blob)
		y.Yield() // the results are shown in a task of their own
		ctx.Dispatch(func(ctx app.Context) {
			if p.run != id {
				return
			}
			p.reading = 0
			p.s.Bytes = size
			if res.Stopped {
				p.s.Bytes = bytes
			}
			p.s.finish(res, src)
			p.afterOpen(ctx)
			if p.Embed {
				p.announce(ctx)
				return
			}
			p.showResults(ctx, id)
		})
	})
}

// showResults renders a capture's results in two tasks: the summary and
// the tabs (the caller's render), then the view of the tab shown first,
// the focus on it (which lays the page out) and portlens:done. On a
// million packets each is 20-35 ms: together they held the main thread
// past 50 ms.
func (p *Page) showResults(ctx app.Context, id int) {
	p.holdPanel = true
	p.nextTask(ctx, id, func(ctx app.Context) {
		p.holdPanel = false
		ctx.Defer(func(ctx app.Context) { focusResults() })
		p.announce(ctx) // deferred too: after the focus
	})
}

// nextTask runs fn in a task of its own after the current changes are
// rendered (go-app renders in the next animation frame, then runs what
// was deferred) and the browser has had a turn, unless another capture
// was opened meanwhile.
func (p *Page) nextTask(ctx app.Context, id int, fn func(ctx app.Context)) {
	ctx.Defer(func(ctx app.Context) {
		afterTurn(ctx, func(ctx app.Context) {
			if p.run == id {
				fn(ctx)
			}
		})
	})
}

// rejudge reruns the rules with the current settings, without reading the
// capture again. On a big capture that takes a while, so it runs in the
// background with yields, and the flags are swapped in when it is done.
func (p *Page) rejudge(ctx app.Context) {
	res := p.s.Res
	if res == nil {
		return
	}
	p.judging++
	id := p.judging
	opts := p.s.Options()
	ctx.Async(func() {
		y := newYielder()
		defer y.Release()
		opts.Pause = y.Paced(slice)
		verdict := res.Judged(opts)
		ctx.Dispatch(func(ctx app.Context) {
			if p.s.Res != res || p.judging != id {
				return // another capture, or newer settings, came meanwhile
			}
			p.s.setVerdict(verdict)
			p.refilter(ctx) // flags changed: a filter on them selects anew
			p.announce(ctx)
		})
	})
}

// cancelled is read from the analysis goroutine; js/wasm runs one
// goroutine at a time and switches only where they block, so no lock.
func (p *Page) cancelled(id int) bool { return p.run != id }

// cancel stops the reading: an analysis in progress ends where it is and
// shows what was read; a sample still being fetched is abandoned.
func (p *Page) cancel() {
	if p.reading == p.run && p.reading != 0 {
		p.stop = p.run
		return
	}
	p.run++
	settings := p.s.Settings
	file := p.s.File
	rev := p.s.Rev
	p.s = State{Settings: settings, Phase: PhaseIdle, Tab: TabPackets, Rev: rev + 1,
		Notice: "Cancelled reading " + file + "."}
}

// openSample fetches a built-in sample (a same-origin file next to the page).
func (p *Page) openSample(ctx app.Context, name string) {
	p.openURL(ctx, name, name, ctx.ResolveStaticResource("/web/samples/"+name))
}

// openURL fetches a same-origin capture and analyzes it; src is how an
// embed names it (a sample's name, or the URL as given).
func (p *Page) openURL(ctx app.Context, name, src, url string) {
	p.run++
	id := p.run
	p.s.reset(name, 0)
	ctx.Async(func() {
		blob, err := fetchBlob(url)
		ctx.Dispatch(func(ctx app.Context) {
			if p.run != id {
				return
			}
			if err != nil {
				p.s.Phase = PhaseIdle
				p.s.Notice = "Could not load " + name + ": " + err.Error()
				if p.Embed {
					p.s.Phase = PhaseError
					p.announce(ctx)
				}
				p.s.Rev++
				return
			}
			p.open(ctx, openRequest{Name: name, Blob: blob, Src: src})
		})
	})
}

// announce tells automation the analysis is over: after the DOM shows the
// results, a portlens:done event with the same figures as data-*.
func (p *Page) announce(ctx app.Context) {
	packets, flags, state := p.s.Packets, 0, p.s.Phase
	if p.s.Res != nil {
		flags = len(p.s.Res.Flags())
	}
	ctx.Defer(func(ctx app.Context) {
		root := app.Window().GetElementByID("portlens")
		if !root.Truthy() {
			return
		}
		ev := app.Window().Get("CustomEvent").New("portlens:done", map[string]any{
			"bubbles": true,
			"detail":  map[string]any{"state": state, "packets": packets, "flags": flags},
		})
		root.Call("dispatchEvent", ev)
		if p.Embed {
			p.post()
		}
	})
}

// gcTuner sets how eagerly Go collects while a capture is read. Under
// wasm a collection cannot be preempted: each one holds the main thread
// for tens of milliseconds (it marks the binary's globals and the page's
// objects, then sweeps), however small the heap. So no collection runs
// before the heap reaches floorHeap (the collector is off, under a memory
// limit of floorHeap); then Go's default pace (the heap doubles between
// collections); past bigHeap, a quarter (what the wasm build sets): the
// tab's memory then stays near what is live. A soft memory limit over the
// budget (pageOwn above it) makes the collector hold the heap there when
// the rules' temporary tables come in a burst at the end.
type gcTuner struct {
	budget int64
	paced  bool // past floorHeap: collecting at a pace
	big    bool // past bigHeap: at a quarter's pace
}

const (
	floorHeap = 48 << 20
	bigHeap   = 96 << 20
)

func newGCTuner(budget int64) *gcTuner {
	debug.SetGCPercent(-1)
	debug.SetMemoryLimit(floorHeap)
	return &gcTuner{budget: budget}
}

// check sets the pace by the heap's size.
func (g *gcTuner) check() {
	if g.big {
		return
	}
	var s [1]metrics.Sample
	s[0].Name = "/memory/classes/heap/objects:bytes"
	metrics.Read(s[:])
	if s[0].Value.Kind() != metrics.KindUint64 {
		g.pace(25)
		return
	}
	switch heap := s[0].Value.Uint64(); {
	case heap > bigHeap:
		g.pace(25)
	case heap > floorHeap/2 && !g.paced:
		g.pace(100)
	}
}

// pace collects at percent from now on, within the budget.
func (g *gcTuner) pace(percent int) {
	debug.SetGCPercent(percent)
	g.paced, g.big = true, percent < 100
	limit := int64(math.MaxInt64)
	if g.budget > 0 {
		limit = g.budget + pageOwn
	}
	debug.SetMemoryLimit(limit)
}

// judging collects at a pace, if not yet: the rules' tables may hold more
// than floorHeap, and check is not called while they are built.
func (g *gcTuner) judging() {
	if !g.paced {
		g.pace(100)
	}
}

// done goes back to the quarter pace.
func (g *gcTuner) done() { g.pace(25) }

// The page's memory budget (analyzer.Budget). A wasm32 memory holds at
// most 4 GiB, and Go's heap can fill it (measured under V8: 4064 MB
// allocated, then "fatal error: out of memory", which nothing catches and
// which leaves the tab dead). The budget bounds what the analysis holds
// times the collector's room (the page collects at GOGC 25 once the heap
// passes 96 MB, so the heap stays under 1.25 times what is live, and the
// budget allows 1.5): 3 GiB leaves a gigabyte of the 4 for the page's
// own memory (pageOwn: the Go runtime, go-app, the views) and for what
// comes after the reading (a second verdict while the settings are
// judged again, the exports). A device with little memory says so in
// navigator.deviceMemory (Chromium: 0.25 to 8, in GB, rounded down to a
// power of two): half of it there, so that the tab is not the one the
// browser kills. At 3 GiB the analysis holds up to 2 GiB: 200 million
// empty frames, or millions of conversations; a capture that needs more
// is the command's (portlens analyze, whose budget follows the machine).
const (
	pageMaxMemory = 3 << 30
	pageOwn       = 256 << 20
)

// pageBudget is the budget of the next analysis: pageMaxMemory, half of
// a smaller device's memory, or less when the page's URL asks for less
// (?max-memory=64MiB, for tests: a bomb then stops within seconds).
func pageBudget() int64 {
	b := int64(pageMaxMemory)
	if dm := app.Window().Get("navigator").Get("deviceMemory"); dm.Truthy() && dm.Type() == app.TypeNumber {
		if half := int64(dm.Float() * (1 << 30) / 2); half > 0 && half < b {
			b = half
		}
	}
	if u := app.Window().URL(); u != nil {
		if v := u.Query().Get("max-memory"); v != "" {
			if n, err := analyzer.ParseSize(v); err == nil && n > 0 && n < b {
				b = n
			}
		}
	}
	return b
}
