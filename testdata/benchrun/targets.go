package main

// The targets of issues 9 and 10, each with the figure this run measured
// and whether it is met. MB and GB are 10^6 and 10^9 bytes.

import (
	"fmt"
	"strings"
)

type target struct {
	what, measured string
	ok             bool
	ratio          float64 // measured / target, for "missed, 1.3x"
	unknown        string  // why it could not be measured
}

func targetTable(ts []target) string {
	var s strings.Builder
	s.WriteString("| target | measured | status |\n|---|---|---|\n")
	for _, t := range ts {
		status := "met"
		switch {
		case t.unknown != "":
			status, t.measured = "not measured", t.unknown
		case !t.ok && t.ratio > 0:
			status = fmt.Sprintf("**missed** (%.2fx)", t.ratio)
		case !t.ok:
			status = "**missed**"
		}
		fmt.Fprintf(&s, "| %s | %s | %s |\n", t.what, t.measured, status)
	}
	return s.String()
}

// atMost is a target "v <= limit".
func atMost(what string, v, limit float64, measured string) target {
	return target{what: what, measured: measured, ok: v <= limit, ratio: v / limit}
}

func (b *bench) mainTargets() []target {
	var ts []target
	one := b.sizedNamed(sizeSpecs[0].name)
	switch {
	case one == nil:
	case one.cmd.err != "" || one.page.err != "":
		ts = append(ts, target{what: "1M packets, ~200k flags", unknown: one.cmd.err + " " + one.page.err})
	default:
		p, c := one.page, one.cmd
		name := fmt.Sprintf("1M packets (%.0f MB, %dk flags)", float64(one.size)/1e6, c.flags/1000)
		ts = append(ts,
			atMost(name+": tab memory <= 160 MB", p.tab(), 160e6, fmt.Sprintf("%s (wasm %s + JS heap peak %s; after GC %s + %s; renderer RssAnon peak %s)",
				mb(p.tab()), mbn(p.wasm), mbn(p.heap), mbn(p.wasm), mbn(p.heapGC), mbn(p.rssPeak))),
			atMost(name+": page done <= 1.5 s", p.wall, 1.5, fmt.Sprintf("%s (renderer CPU %.1f s; longest task %.0f ms)", fmtDur(p.wall), p.cpu, p.longest)),
			atMost(name+": `analyze --json` <= 100 MB RSS", c.rss, 100e6, fmt.Sprintf("%s (%s of JSON written)", mb(c.rss), mb(float64(c.jsonBytes)))))
		if t := one.tshark; t.wall > 0 {
			x := t.wall / c.wall
			ts = append(ts, target{what: name + ": `analyze --json` >= 10x faster than `tshark -Y`",
				measured: fmt.Sprintf("%.1fx (%s vs %s; in CPU time %.1fx: %.1f s vs %.1f s)", x, fmtDur(c.wall), fmtDur(t.wall), t.cpu/c.cpu, c.cpu, t.cpu),
				ok:       x >= 10, ratio: 10 / x})
		} else {
			ts = append(ts, target{what: name + ": `analyze --json` >= 10x faster than `tshark -Y`", unknown: "tshark not run " + t.err})
		}
	}
	for _, r := range b.sized {
		if r.spec.name == sizeSpecs[0].name || r.page.err != "" {
			continue
		}
		ts = append(ts, sameCounts(r))
	}
	if b.wasmGzip > 0 {
		ts = append(ts, atMost("web/app.wasm <= 4 MB gzip", b.wasmGzip, 4e6, fmt.Sprintf("%.2f MB gzip -9", b.wasmGzip/1e6)))
	}
	if b.loadTime > 0 {
		ts = append(ts, atMost("page interactive <= 1 s on localhost", b.loadTime, 1,
			fmtDur(b.loadTime)+" (navigation start to data-state=\"idle\", first visit)"))
	}
	return ts
}

func (b *bench) bigTargets() []target {
	var ts []target
	for _, r := range b.sized {
		name := fmt.Sprintf("%s (%.2f GB, %.1fM packets)", r.spec.name, float64(r.size)/1e9, float64(r.spec.packets)/1e6)
		if r.cmd.err != "" {
			ts = append(ts, target{what: name, unknown: r.cmd.err})
			continue
		}
		ts = append(ts, atMost(name+": `analyze --json` <= 1 GB RSS", r.cmd.rss, 1e9, mb(r.cmd.rss)))
		if r.page.err != "" {
			ts = append(ts, target{what: name + ": opens in Chromium", unknown: r.page.err})
			continue
		}
		p := r.page
		ts = append(ts, sameCounts(r), lastRowTarget(r),
			atMost(name+": tab memory <= 1 GB", p.tab(), 1e9, fmt.Sprintf("%s (wasm %s + JS heap peak %s; renderer RssAnon peak %s); page done in %s",
				mb(p.tab()), mbn(p.wasm), mbn(p.heap), mbn(p.rssPeak), fmtDur(p.wall))))
		if b.wasmGzip > 0 {
			ts = append(ts, atMost("web/app.wasm <= 4 MB gzip", b.wasmGzip, 4e6, fmt.Sprintf("%.2f MB gzip -9", b.wasmGzip/1e6)))
		}
	}
	return ts
}

// sameCounts: the page shows the packets and flags the command counts.
func sameCounts(r sizeResult) target {
	p, c := r.page, r.cmd
	return target{what: fmt.Sprintf("%s: opens in Chromium with the command's packet and flag counts", r.spec.name),
		measured: fmt.Sprintf("page %s, %d packets, %d flags; command %d packets, %d flags", p.state, p.packets, p.flags, c.packets, c.flags),
		ok:       p.state == "done" && p.packets == c.packets && p.flags == c.flags}
}

// lastRowTarget: in every run the list scrolled to its last frame and
// that frame's detail opened.
func lastRowTarget(r sizeResult) target {
	var times []string
	ok := len(r.page.runs) > 0
	for _, run := range r.page.runs {
		ok = ok && run.LastRow > 0
		times = append(times, fmtDur(run.LastRow/1e3))
	}
	return target{what: fmt.Sprintf("%s: the list scrolls to the last frame and its detail opens", r.spec.name),
		measured: fmt.Sprintf("End to frame %d's detail: %s", r.page.packets, strings.Join(times, ", ")), ok: ok}
}

func (b *bench) sizedNamed(name string) *sizeResult {
	for i := range b.sized {
		if b.sized[i].spec.name == name {
			return &b.sized[i]
		}
	}
	return nil
}
