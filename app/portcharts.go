package app

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/portlens/portlens/analyzer/rules"
	"github.com/portlens/portlens/analyzer/summary"
)

// The Ports view's two charts, described from what the analyzer binned:
// the port budget timeline (SVG: two stacked step areas of at most one
// step a pixel, the budget line, the marks) and the density's axes and
// marks (an SVG over the canvas that paint fills).

// timeline draws the ports held at once against the budget.
func (c *Ports) timeline(u *summary.PortUse, tl summary.Timeline, client string, dest summary.Destination, all bool) app.UI {
	g := c.geo
	base, top := timelineH-tlBt, tlTop
	peak := max(tl.Peak, 1)
	ymax := float64(peak) * 1.15
	onScale := u.Budget <= 3*peak
	if onScale {
		ymax = float64(max(peak, u.Budget)) * 1.1
	}
	y := func(v float64) float64 { return base - (base-top)*v/ymax }
	items := []app.UI{
		svg("rect").Class("plot-bg").Attr("x", f(padL)).Attr("y", f(top)).Attr("width", f(g.plotW())).Attr("height", f(base-top)),
	}
	for _, v := range valueTicks(0, ymax, max(2, int((base-top)/40))) {
		items = append(items,
			svg("line").Class("grid").Attr("x1", f(padL)).Attr("x2", f(g.w-padR)).Attr("y1", f(y(v))).Attr("y2", f(y(v))),
			svg("text").Class("tick").Attr("x", f(padL-6)).Attr("y", f(y(v)+4)).Attr("text-anchor", "end").Text(thousands(int(v))))
	}
	total := make([]int32, len(tl.Open))
	for i := range total {
		total[i] = tl.Open[i] + tl.Waiting[i]
	}
	items = append(items,
		svg("path").ID("area-held").Class("area-waiting").Attr("d", stepPath(g, total, y, base)),
		svg("path").ID("area-open").Class("area-open").Attr("d", stepPath(g, tl.Open, y, base)),
	)
	items = append(items, budgetLine(g, u, onScale, y(float64(u.Budget)), top)...)
	items = append(items, c.timeAxis(base)...)
	items = append(items, dropMarks(g, tl, base)...)
	items = append(items, c.flagMarks(tl, top)...)
	items = append(items, c.hoverMarks(u, tl, top, base)...)
	items = append(items, c.selection(top, base))
	what := "all destinations"
	if !all {
		what = dest.Addr.String()
	}
	label := fmt.Sprintf("Ports %s held at once toward %s: peak %d, budget %d (%s); %d flags, %d unanswered SYNs in the range shown",
		client, what, tl.Peak, u.Budget, u.BudgetWhat, countFlags(tl), sum32(tl.Unanswered))
	return c.interactive(svg("svg").ID("port-timeline").Class("chart").Attr("viewBox", "0 0 "+f(g.w)+" "+f(timelineH)).
		Attr("role", "img").Aria("label", label).DataSet("peak", tl.Peak).DataSet("budget", u.Budget)).Body(items...)
}

// stepPath is a step area over the columns' values, one horizontal run
// for each run of equal values.
func stepPath(g chartGeo, vals []int32, y func(float64) float64, base float64) string {
	var b strings.Builder
	b.WriteString("M" + f(padL) + " " + f(base))
	last := int32(-1)
	for i, v := range vals {
		if v != last {
			if i > 0 {
				b.WriteString("H" + f(padL+float64(i)*g.colW()))
			}
			b.WriteString("V" + f(y(float64(v))))
			last = v
		}
	}
	b.WriteString("H" + f(g.w-padR) + "V" + f(base) + "Z")
	return b.String()
}

// budgetLine is the budget as a dashed line with its label, or, when it
// is far above the ports held, a note that it is off the scale.
func budgetLine(g chartGeo, u *summary.PortUse, onScale bool, yb, top float64) []app.UI {
	label := fmt.Sprintf("budget %s: %s", thousands(u.Budget), u.BudgetWhat)
	if !onScale {
		return []app.UI{svg("text").ID("budget-line").Class("budget-label").DataSet("budget", u.Budget).
			Attr("x", f(g.w-padR)).Attr("y", "14").Attr("text-anchor", "end").Text(label + " ↑ (off the scale)")}
	}
	return []app.UI{
		svg("line").ID("budget-line").Class("budget").DataSet("budget", u.Budget).
			Attr("x1", f(padL)).Attr("x2", f(g.w-padR)).Attr("y1", f(yb)).Attr("y2", f(yb)),
		svg("text").Class("budget-label").Attr("x", f(g.w-padR-4)).Attr("y", f(yb-5)).Attr("text-anchor", "end").Text(label),
	}
}

// timeAxis is the x axis: round times after the capture's start, labels
// far enough apart not to overlap.
func (c *Ports) timeAxis(base float64) []app.UI {
	g, t0 := c.geo, c.S.Res.FirstTime
	ticks, labels := timeTicks(g.from-t0, g.to-t0, max(2, int(g.plotW()/110)))
	items := []app.UI{svg("line").Class("axis").Attr("x1", f(padL)).Attr("x2", f(g.w-padR)).Attr("y1", f(base)).Attr("y2", f(base))}
	for i, t := range ticks {
		x := g.x(t + t0)
		items = append(items,
			svg("line").Class("axis").Attr("x1", f(x)).Attr("x2", f(x)).Attr("y1", f(base)).Attr("y2", f(base+4)),
			svg("text").Class("tick time-tick").Attr("x", f(x)).Attr("y", f(base+17)).Attr("text-anchor", "middle").Text(labels[i]))
	}
	return items
}

// dropMarks mark the columns with SYNs nothing answered.
func dropMarks(g chartGeo, tl summary.Timeline, base float64) []app.UI {
	var items []app.UI
	for i, n := range tl.Unanswered {
		if n == 0 {
			continue
		}
		items = append(items, svg("rect").Class("drop-mark").DataSet("count", n).
			Attr("x", f(padL+float64(i)*g.colW())).Attr("y", f(base-7)).Attr("width", f(max(2, g.colW()))).Attr("height", "7").
			Body(svg("title").Text(plural(int(n), "SYN never answered", "SYNs never answered"))))
	}
	return items
}

// flagMarks are a triangle above each column with flags; a click shows
// the first of them in the packet list.
func (c *Ports) flagMarks(tl summary.Timeline, top float64) []app.UI {
	g := c.geo
	var items []app.UI
	for _, fb := range tl.Flags {
		x := padL + (float64(fb.Bin)+0.5)*g.colW()
		cls := "flag-mark note"
		if fb.Warning {
			cls = "flag-mark warning"
		}
		kinds := make([]string, len(fb.Kinds))
		for i, k := range fb.Kinds {
			kinds[i] = k.String()
		}
		first := fb.Kind.String()
		if fb.Class != rules.NoClass {
			first += " (" + fb.Class.String() + ")"
		}
		frame := int(fb.Frame)
		items = append(items, svg("g").Class(cls).DataSet("kind", fb.Kind.String()).DataSet("class", fb.Class.String()).
			DataSet("frame", frame).DataSet("count", fb.Count).
			OnClick(func(ctx app.Context, e app.Event) { ctx.NewActionWithValue(actionSelect, frame) }).Body(
			svg("path").Attr("d", fmt.Sprintf("M%s %sl-5 -9h10z", f(x), f(top-2))),
			svg("title").Text(fmt.Sprintf("%s: %s; the first, %s, on frame %d (click to show it)",
				plural(fb.Count, "flag", "flags"), strings.Join(kinds, ", "), first, frame)),
		))
	}
	return items
}

// hoverMarks are the cursor and the tooltip of the column under the
// pointer: its time (relative and absolute) and counts.
func (c *Ports) hoverMarks(u *summary.PortUse, tl summary.Timeline, top, base float64) []app.UI {
	g, i := c.geo, c.hover-1
	if i < 0 || i >= len(tl.Open) || c.drag.on {
		return nil
	}
	t := g.from + int64((float64(i)+0.5)*float64(g.to-g.from)/float64(g.cols))
	t0 := c.S.Res.FirstTime
	lines := []string{
		fmt.Sprintf("+%s  %s", formatIn(float64(t-t0), max(1, float64(g.to-g.from)/float64(g.cols)), unitFor(g.to-t0)), absTime(t)),
		fmt.Sprintf("held %s: %s open, %s closed (TIME_WAIT); budget %s", thousands(int(tl.Open[i]+tl.Waiting[i])),
			thousands(int(tl.Open[i])), thousands(int(tl.Waiting[i])), thousands(u.Budget)),
	}
	if n := tl.Unanswered[i]; n > 0 {
		lines = append(lines, plural(int(n), "SYN never answered", "SYNs never answered"))
	}
	x := padL + (float64(i)+0.5)*g.colW()
	wide := 0
	for _, l := range lines {
		wide = max(wide, len([]rune(l)))
	}
	bw, bh := float64(wide)*6.6+12, float64(len(lines))*15+8
	bx := x + 8
	if bx+bw > g.w-4 {
		bx = x - 8 - bw
	}
	text := svg("text").Class("tooltip-text").Attr("x", f(bx+6)).Attr("y", f(top+16))
	spans := make([]app.UI, len(lines))
	for k, l := range lines {
		dy := "0"
		if k > 0 {
			dy = "15"
		}
		spans[k] = svg("tspan").Attr("x", f(bx+6)).Attr("dy", dy).Text(l)
	}
	return []app.UI{
		svg("line").Class("cursor").Attr("x1", f(x)).Attr("x2", f(x)).Attr("y1", f(top)).Attr("y2", f(base)),
		svg("g").ID("port-tooltip").Class("tooltip").Body(
			svg("rect").Attr("x", f(bx)).Attr("y", f(top+2)).Attr("width", f(bw)).Attr("height", f(bh)).Attr("rx", "4"),
			text.Body(spans...),
		),
	}
}

// selection is the range being dragged.
func (c *Ports) selection(top, base float64) app.UI {
	if !c.drag.on || math.Abs(c.drag.x1-c.drag.x0) < 2 {
		return svg("rect").Class("selection hidden").Attr("width", "0").Attr("height", "0")
	}
	a, b := min(c.drag.x0, c.drag.x1), max(c.drag.x0, c.drag.x1)
	a, b = max(a, padL), min(b, c.geo.w-padR)
	return svg("rect").Class("selection").Attr("x", f(a)).Attr("y", f(top)).Attr("width", f(max(0, b-a))).Attr("height", f(base-top))
}

func timelineLegend(u *summary.PortUse) app.UI {
	held := "closed, kept in TIME_WAIT by the client"
	if u.NAT {
		held = "closed, kept by the NAT for its TIME_WAIT"
	}
	return app.P().Class("legend").Body(
		app.Span().Class("key open-key").Text("■"), app.Text(" open  "),
		app.Span().Class("key waiting-key").Text("■"), app.Text(" "+held+"  "),
		app.Span().Class("key budget-key").Text("┄"), app.Text(" budget  "),
		app.Span().Class("key flag-key").Text("▼"), app.Text(" warnings "),
		app.Span().Class("key note-key").Text("▼"), app.Text(" notes (click one)  "),
		app.Span().Class("key drop-key").Text("▮"), app.Text(" SYNs never answered"),
	)
}

// densityOverlay is the density chart's axes, range band and marks, over
// the canvas.
func (c *Ports) densityOverlay(u *summary.PortUse, lo, hi uint16) app.UI {
	g := c.geo
	base, top := densityH-dBt, dTop
	y := func(p float64) float64 { return base - (base-top)*(p-float64(lo))/(float64(hi)-float64(lo)+1) }
	items := []app.UI{}
	if r := u.Range; r.Hi >= lo && r.Lo <= hi {
		y0, y1 := y(float64(max(r.Lo, lo))), y(float64(min(r.Hi, hi))+1)
		items = append(items, svg("rect").Class("band").Attr("x", f(padL)).Attr("width", f(g.plotW())).
			Attr("y", f(y1)).Attr("height", f(y0-y1)))
		// The range's bounds on the right, apart from the port ticks on the
		// left; one label when they would touch.
		if y0-y1 >= 14 {
			items = append(items, rightLabel(g, y1+4, strconv.Itoa(int(r.Hi))), rightLabel(g, y0+4, strconv.Itoa(int(r.Lo))))
		} else {
			items = append(items, rightLabel(g, (y0+y1)/2+4, r.String()))
		}
	}
	for _, v := range valueTicks(float64(lo), float64(hi), max(2, int((base-top)/36))) {
		items = append(items,
			svg("line").Class("grid").Attr("x1", f(padL)).Attr("x2", f(g.w-padR)).Attr("y1", f(y(v))).Attr("y2", f(y(v))),
			svg("text").Class("tick").Attr("x", f(padL-6)).Attr("y", f(y(v)+4)).Attr("text-anchor", "end").Text(strconv.Itoa(int(v))))
	}
	items = append(items, c.timeAxis(base)...)
	for i, n := range c.dens.Reused {
		if n > 0 {
			items = append(items, svg("rect").Class("reused-mark").DataSet("count", n).
				Attr("x", f(padL+float64(i)*g.colW())).Attr("y", f(top-dTop)).Attr("width", f(max(2, g.colW()))).Attr("height", f(dTop-2)).
				Body(svg("title").Text(plural(int(n), "connection reused an earlier one's ports", "connections reused an earlier one's ports"))))
		}
	}
	items = append(items, c.selection(top, base))
	return c.interactive(svg("svg").ID("port-density").Class("chart overlay").Attr("viewBox", "0 0 "+f(g.w)+" "+f(densityH)).
		Attr("preserveAspectRatio", "none").Attr("role", "img").
		Aria("label", fmt.Sprintf("Source port against time: %s, ports %d to %d", plural(u.Connections, "connection", "connections"), u.PortLo, u.PortHi))).
		Body(items...)
}

func rightLabel(g chartGeo, y float64, s string) app.UI {
	return svg("text").Class("tick range-tick").Attr("x", f(g.w-padR+6)).Attr("y", f(y)).Text(s)
}

// paint fills the density canvas: one cell a pixel, darker with more
// connections (on a log scale), each drawn 3 pixels wide so that a single
// connection still shows.
func (c *Ports) paint() {
	d := c.dens
	el := app.Window().GetElementByID("port-density-canvas")
	if !el.Truthy() || d.Cols == 0 {
		return
	}
	ctx := el.Call("getContext", "2d")
	if !ctx.Truthy() {
		return
	}
	ctx.Call("clearRect", 0, 0, el.Get("width").Int(), el.Get("height").Int())
	if d.Max == 0 {
		return
	}
	r, gr, b := accentRGB()
	buf := make([]byte, d.Cols*d.Rows*4)
	scale := 1 / math.Log1p(float64(d.Max))
	for row := range d.Rows {
		y := d.Rows - 1 - row // port lo at the bottom
		for col, n := range d.Counts[row*d.Cols : (row+1)*d.Cols] {
			if n == 0 {
				continue
			}
			a := byte(90 + 165*math.Log1p(float64(n))*scale)
			for yy := max(0, y-1); yy <= min(d.Rows-1, y+1); yy++ {
				for xx := max(0, col-1); xx <= min(d.Cols-1, col+1); xx++ {
					k := (yy*d.Cols + xx) * 4
					buf[k], buf[k+1], buf[k+2] = r, gr, b
					buf[k+3] = max(buf[k+3], a)
				}
			}
		}
	}
	img := ctx.Call("createImageData", d.Cols, d.Rows)
	app.CopyBytesToJS(img.Get("data"), buf)
	ctx.Call("putImageData", img, int(padL), int(dTop))
}

// accentRGB is the page's accent colour (light or dark scheme).
func accentRGB() (r, g, b byte) {
	r, g, b = 0x0b, 0x63, 0xc5
	win := app.Window()
	s := strings.TrimSpace(win.Call("getComputedStyle", win.Get("document").Get("documentElement")).
		Call("getPropertyValue", "--accent").String())
	if v, err := strconv.ParseUint(strings.TrimPrefix(s, "#"), 16, 32); err == nil && len(s) == 7 {
		r, g, b = byte(v>>16), byte(v>>8), byte(v)
	}
	return r, g, b
}

func countFlags(tl summary.Timeline) int {
	n := 0
	for _, fb := range tl.Flags {
		n += fb.Count
	}
	return n
}

func sum32(s []int32) int {
	n := 0
	for _, v := range s {
		n += int(v)
	}
	return n
}
