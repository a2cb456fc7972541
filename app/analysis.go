package app

import (
	"runtime/debug"
	"runtime/metrics"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/portlens/portlens/analyzer"
)

// slice is how long the analysis computes before yielding to the browser.
const slice = 8 * time.Millisecond

// open analyzes a capture the user chose, in steps of ~8 ms with the
// browser getting control in between, so the page stays responsive.
func (p *Page) open(ctx app.Context, r openRequest) {
	p.run++
	id := p.run
	size := int64(r.Blob.Get("size").Int())
	p.s.reset(r.Name, size)
	p.s.Src = r.Src
	p.reading = id
	opts := p.s.Options()
	ctx.Async(func() {
		y := newYielder()
		defer y.Release()
		y.Yield() // the click or the drop ends here; the reading starts in a task of its own
		gc := newGCTuner()
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
			p.announce(ctx)
			if !p.Embed {
				// New results: the keyboard goes to the view shown first
				// at once (the findings, else the packet list), wherever
				// it was (the file button, a sample).
				ctx.Defer(func(ctx app.Context) { focusResults() })
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

// gcTuner sets how eagerly Go collects while a capture is read. A small
// heap is collected at Go's default pace (it doubles between collections):
// every collection marks the page's own objects, and at a quarter's pace
// a small heap would be collected again and again, each time holding the
// main thread. Past bigHeap, at a quarter (what the wasm build sets): the
// tab's memory then stays near what is live.
type gcTuner struct{ big bool }

const bigHeap = 96 << 20

func newGCTuner() *gcTuner {
	debug.SetGCPercent(100)
	return &gcTuner{}
}

// check switches to the quarter pace once the heap is big.
func (g *gcTuner) check() {
	if g.big {
		return
	}
	var s [1]metrics.Sample
	s[0].Name = "/memory/classes/heap/objects:bytes"
	metrics.Read(s[:])
	if s[0].Value.Kind() == metrics.KindUint64 && s[0].Value.Uint64() > bigHeap {
		g.big = true
		debug.SetGCPercent(25)
	}
}

// done goes back to the quarter pace.
func (g *gcTuner) done() { debug.SetGCPercent(25) }
