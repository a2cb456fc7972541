package app

import (
	"fmt"
	"math"
	"strconv"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/portlens/portlens/analyzer/conv"
	"github.com/portlens/portlens/analyzer/summary"
)

const svgNS = "http://www.w3.org/2000/svg"

// Ports shows one client's ports over time, to one destination or all:
// the port budget timeline (ports held at once, open and closed-but-held
// stacked, against the NAT's budget or the ephemeral range, the flags and
// the unanswered SYNs marked), and the source ports' density (port against
// time, the ephemeral range as a band). Both are binned by pixel column
// in the analyzer (summary.PortUse), so a million connections draw as
// fast as ten. Drag across either chart to zoom into a time range; the
// buttons zoom too; Esc or a double click shows the whole capture again.
type Ports struct {
	app.Compo
	S   *State
	Rev int

	host, dest string // chosen client and destination ("all"); "" for the default
	from, to   int64  // the zoomed range (ns since the epoch); to 0 for the whole capture
	width      float64
	drag       struct {
		on     bool
		x0, x1 float64
	}
	hover int // the timeline column under the pointer plus one; 0 for none

	// What the last Render drew, for painting the canvas and mapping the
	// pointer back to times.
	geo  chartGeo
	dens summary.Density
}

// chartGeo is the charts' shared horizontal geometry: both put the same
// time range at the same x.
type chartGeo struct {
	w        float64 // the width in CSS pixels (the viewBox's too)
	from, to int64
	cols     int
}

const (
	padL, padR  = 64.0, 72.0
	timelineH   = 260.0
	tlTop, tlBt = 40.0, 34.0
	densityH    = 220.0
	dTop, dBt   = 10.0, 34.0
	minZoom     = int64(1000) // 1 µs
)

func (g chartGeo) plotW() float64 { return g.w - padL - padR }
func (g chartGeo) colW() float64  { return g.plotW() / float64(g.cols) }
func (g chartGeo) x(t int64) float64 {
	return padL + g.plotW()*float64(t-g.from)/float64(g.to-g.from)
}
func (g chartGeo) timeAt(x float64) int64 {
	f := (min(max(x, padL), g.w-padR) - padL) / g.plotW()
	return g.from + int64(f*float64(g.to-g.from))
}
func (g chartGeo) colAt(x float64) int {
	if x < padL || x >= g.w-padR {
		return -1
	}
	return min(int((x-padL)/g.colW()), g.cols-1)
}

func (c *Ports) OnMount(ctx app.Context) {
	c.measure(ctx)
}

func (c *Ports) OnUpdate(ctx app.Context) { ctx.Defer(func(app.Context) { c.paint() }) }
func (c *Ports) OnResize(ctx app.Context) { c.measure(ctx) }

// measure sizes the charts to their box: one column a pixel.
func (c *Ports) measure(ctx app.Context) {
	el := app.Window().GetElementByID("port-charts")
	w := math.Floor(el.Call("getBoundingClientRect").Get("width").Float())
	if w >= 320 && w != c.width {
		ctx.Dispatch(func(ctx app.Context) { c.width = w })
	}
	ctx.Defer(func(app.Context) { c.paint() })
}

func (c *Ports) Render() app.UI {
	s := c.S
	clients := s.Clients()
	if len(clients) == 0 {
		return app.Section().ID("ports").Body(app.P().Class("empty").Text("No TCP client in this capture."))
	}
	cl := clients[0]
	for _, x := range clients {
		if x.Addr.String() == c.host {
			cl = x
		}
	}
	dests := s.Destinations(cl.Host)
	dest, all := c.chosenDest(cl.Host, dests)
	u := s.PortUse(cl.Host, dest.Endpoint, all)
	c.geo = c.geometry()
	g := c.geo
	tl := s.Timeline(u, g.from, g.to, g.cols)
	lo, hi := portRange(u)
	c.dens = s.Density(u, g.from, g.to, g.cols, int(densityH-dTop-dBt), lo, hi)
	return app.Section().ID("ports").Class("ports-view").Aria("label", "Ports over time").Body(
		c.controls(clients, cl, dests, dest, all),
		app.Div().ID("port-charts").Class("port-charts").Attr("tabindex", "0").
			Aria("label", "Charts: drag across a chart to zoom, Escape or double click to show the whole capture").
			OnKeyDown(c.onKey).Body(
			app.H3().Text("Ports held at once"),
			c.timeline(u, tl, cl.Addr.String(), dest, all),
			timelineLegend(u),
			app.H3().Text("Source ports"),
			app.Div().Class("density").Body(
				app.Canvas().ID("port-density-canvas").Attr("width", g.w).Attr("height", densityH).
					Aria("hidden", "true"),
				c.densityOverlay(u, lo, hi),
			),
			app.P().Class("legend").Body(
				app.Span().Class("key band-key").Text("■"), app.Text(" "+u.Range.String()+" ephemeral range of "+cl.Preset.Label+"  "),
				app.Span().Class("key pt-key").Text("■"), app.Text(" connections (darker: more in one pixel)  "),
				app.Span().Class("key reused-key").Text("▮"), app.Text(" reused an earlier connection's ports"),
			),
		),
		app.P().Class("hint").Text(fmt.Sprintf("%s: %s from %d distinct ports (%d–%d), %d outside the range, %d reusing an earlier conversation's ports.",
			cl.Addr, plural(cl.Connections, "connection", "connections"), cl.Ports, cl.Lo, cl.Hi, cl.Outside, cl.Reused)),
	)
}

// chosenDest is the destination the view shows: the user's choice, else
// the one a port.exhaustion flag is about, else the busiest.
func (c *Ports) chosenDest(host conv.HostID, dests []summary.Destination) (summary.Destination, bool) {
	if c.dest == "all" || len(dests) == 0 {
		return summary.Destination{}, true
	}
	for _, d := range dests {
		if d.Addr.String() == c.dest {
			return d, false
		}
	}
	if e, ok := summary.FlaggedDestination(c.S.Res, host); ok {
		for _, d := range dests {
			if d.Endpoint == e {
				return d, false
			}
		}
	}
	return dests[0], false
}

// geometry is the range shown and the charts' width.
func (c *Ports) geometry() chartGeo {
	res := c.S.Res
	g := chartGeo{w: c.width, from: res.FirstTime, to: res.LastTime}
	if g.w < 320 {
		g.w = 960
	}
	if c.to > c.from {
		g.from, g.to = c.from, c.to
	}
	if g.to <= g.from {
		g.to = g.from + int64(1e9)
	}
	g.cols = max(1, int(g.plotW()))
	return g
}

// portRange is the density chart's port axis: the client's ports and its
// ephemeral range, with a margin.
func portRange(u *summary.PortUse) (lo, hi uint16) {
	if u.Connections == 0 {
		return 0, 65535
	}
	l, h := min(int(u.PortLo), int(u.Range.Lo)), max(int(u.PortHi), int(u.Range.Hi))
	m := (h - l) / 20
	return uint16(max(0, l-m)), uint16(min(65535, h+m))
}

func (c *Ports) controls(clients []summary.Client, cl summary.Client, dests []summary.Destination, dest summary.Destination, all bool) app.UI {
	hosts := make([]app.UI, 0, min(len(clients), 500))
	for _, x := range clients[:min(len(clients), 500)] {
		hosts = append(hosts, app.Option().Value(x.Addr.String()).Selected(x.Addr == cl.Addr).
			Text(fmt.Sprintf("%s (%s)", x.Addr, plural(x.Connections, "connection", "connections"))))
	}
	ds := []app.UI{app.Option().Value("all").Selected(all).Text("all destinations")}
	for _, d := range dests[:min(len(dests), 500)] {
		ds = append(ds, app.Option().Value(d.Addr.String()).Selected(!all && d.Endpoint == dest.Endpoint).
			Text(fmt.Sprintf("%s (%s)", d.Addr, plural(d.Connections, "connection", "connections"))))
	}
	zoomed := c.to > c.from
	return app.Div().Class("port-controls").Body(
		app.Div().Class("field").Body(
			app.Label().For("port-host").Text("Client host"),
			app.Select().ID("port-host").Body(hosts...).OnChange(func(ctx app.Context, e app.Event) {
				c.host, c.dest = ctx.JSSrc().Get("value").String(), ""
				ctx.Defer(func(app.Context) { c.paint() })
			}),
		),
		app.Div().Class("field").Body(
			app.Label().For("port-dest").Text("Destination"),
			app.Select().ID("port-dest").Body(ds...).OnChange(func(ctx app.Context, e app.Event) {
				c.dest = ctx.JSSrc().Get("value").String()
				ctx.Defer(func(app.Context) { c.paint() })
			}),
		),
		app.Div().Class("zoom").Role("group").Aria("label", "Zoom").Body(
			app.Button().ID("zoom-in").Class("button small").Title("Zoom in (+)").Text("+").OnClick(func(ctx app.Context, e app.Event) { c.zoomBy(ctx, 0.5) }),
			app.Button().ID("zoom-out").Class("button small").Title("Zoom out (−)").Text("−").OnClick(func(ctx app.Context, e app.Event) { c.zoomBy(ctx, 2) }),
			app.Button().ID("zoom-reset").Class("button small").Title("Whole capture (Esc)").Text("Whole capture").
				Disabled(!zoomed).OnClick(func(ctx app.Context, e app.Event) { c.setZoom(ctx, 0, 0) }),
			app.Span().ID("zoom-range").Class("hint").Text(c.rangeText()),
		),
	)
}

// rangeText names the range shown, relative to the capture's start.
func (c *Ports) rangeText() string {
	if c.to <= c.from {
		return "whole capture"
	}
	g, t0 := c.geo, c.S.Res.FirstTime
	u, step := unitFor(g.to-t0), max(1, float64(g.to-g.from)/100)
	return formatIn(float64(g.from-t0), step, u) + " – " + formatIn(float64(g.to-t0), step, u)
}

// setZoom shows [from, to) (to 0: the whole capture).
func (c *Ports) setZoom(ctx app.Context, from, to int64) {
	res := c.S.Res
	if to > from {
		from, to = max(from, res.FirstTime), min(to, res.LastTime)
		if to-from < minZoom {
			mid := (from + to) / 2
			from, to = mid-minZoom/2, mid+minZoom/2
		}
		if from <= res.FirstTime && to >= res.LastTime {
			from, to = 0, 0
		}
	}
	c.from, c.to, c.hover = from, to, 0
	ctx.Defer(func(app.Context) { c.paint() })
}

// zoomBy scales the range shown around its middle.
func (c *Ports) zoomBy(ctx app.Context, f float64) {
	g := c.geo
	mid, half := (g.from+g.to)/2, float64(g.to-g.from)*f/2
	c.setZoom(ctx, mid-int64(half), mid+int64(half))
}

func (c *Ports) onKey(ctx app.Context, e app.Event) {
	switch e.Get("key").String() {
	case "Escape":
		c.setZoom(ctx, 0, 0)
	case "+", "=":
		c.zoomBy(ctx, 0.5)
	case "-", "_":
		c.zoomBy(ctx, 2)
	default:
		ctx.PreventUpdate()
	}
}

// pointerX is the pointer's x in the chart's viewBox.
func (c *Ports) pointerX(ctx app.Context, e app.Event) float64 {
	r := ctx.JSSrc().Call("getBoundingClientRect")
	w := r.Get("width").Float()
	if w <= 0 {
		return -1
	}
	return (e.Get("clientX").Float() - r.Get("left").Float()) * c.geo.w / w
}

func (c *Ports) onDown(ctx app.Context, e app.Event) {
	if e.Get("button").Int() != 0 {
		return
	}
	e.PreventDefault()
	x := c.pointerX(ctx, e)
	c.drag.on, c.drag.x0, c.drag.x1 = true, x, x
}

func (c *Ports) onMove(ctx app.Context, e app.Event) {
	x := c.pointerX(ctx, e)
	if c.drag.on {
		c.drag.x1 = x
		return
	}
	if col := c.geo.colAt(x) + 1; col != c.hover {
		c.hover = col
		return
	}
	ctx.PreventUpdate()
}

func (c *Ports) onUp(ctx app.Context, e app.Event) {
	if !c.drag.on {
		ctx.PreventUpdate()
		return
	}
	c.drag.on = false
	a, b := min(c.drag.x0, c.drag.x1), max(c.drag.x0, c.drag.x1)
	if b-a >= 4 {
		c.setZoom(ctx, c.geo.timeAt(a), c.geo.timeAt(b))
	}
}

func (c *Ports) onLeave(ctx app.Context, e app.Event) {
	c.drag.on, c.hover = false, 0
}

// interactive adds the zoom and hover handlers to a chart.
func (c *Ports) interactive(e app.HTMLElem) app.HTMLElem {
	return e.OnMouseDown(c.onDown).OnMouseMove(c.onMove).OnMouseUp(c.onUp).OnMouseLeave(c.onLeave).
		OnDblClick(func(ctx app.Context, e app.Event) { c.setZoom(ctx, 0, 0) })
}

func svg(tag string) app.HTMLElem { return app.Elem(tag).XMLNS(svgNS) }

// f formats a coordinate.
func f(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }
