package app

import (
	"fmt"
	"strconv"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/portlens/portlens/analyzer/summary"
)

const svgNS = "http://www.w3.org/2000/svg"

// Ports plots one client host's source port against time: the preset's
// ephemeral range as a band, reused ports marked. Sequential allocation is
// a rising line, random a cloud, a fixed port a flat row, exhaustion a
// dense band.
type Ports struct {
	app.Compo
	S   *State
	Rev int

	host string
}

const (
	plotW, plotH    = 900.0, 320.0
	padL, padR      = 64.0, 16.0
	padT, padB      = 12.0, 36.0
	maxPlotPoints   = 20000
	portAxisMaximum = 65535.0
)

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
	p := cl.Preset
	points := summary.Points(s.Res, cl.Host)
	t0, t1 := s.Res.FirstTime, s.Res.LastTime
	if t1 <= t0 {
		t1 = t0 + 1
	}
	x := func(t int64) float64 { return padL + (plotW-padL-padR)*float64(t-t0)/float64(t1-t0) }
	y := func(port uint16) float64 { return padT + (plotH-padT-padB)*(1-float64(port)/portAxisMaximum) }
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }

	band := svg("rect").Class("band").Attr("x", f(padL)).Attr("width", f(plotW-padL-padR)).
		Attr("y", f(y(p.Ephemeral.Hi))).Attr("height", f(y(p.Ephemeral.Lo)-y(p.Ephemeral.Hi)))
	items := []app.UI{
		band,
		svg("line").Class("axis").Attr("x1", f(padL)).Attr("x2", f(padL)).Attr("y1", f(padT)).Attr("y2", f(plotH-padB)),
		svg("line").Class("axis").Attr("x1", f(padL)).Attr("x2", f(plotW-padR)).Attr("y1", f(plotH-padB)).Attr("y2", f(plotH-padB)),
	}
	for _, port := range []uint16{0, 1024, p.Ephemeral.Lo, p.Ephemeral.Hi, 65535} {
		items = append(items, svg("text").Class("tick").Attr("x", f(padL-6)).Attr("y", f(y(port)+4)).Attr("text-anchor", "end").Text(strconv.Itoa(int(port))))
	}
	items = append(items,
		svg("text").Class("tick").Attr("x", f(padL)).Attr("y", f(plotH-12)).Text("0 s"),
		svg("text").Class("tick").Attr("x", f(plotW-padR)).Attr("y", f(plotH-12)).Attr("text-anchor", "end").Text(span(s.Res.Duration())),
	)
	step := max(1, len(points)/maxPlotPoints)
	for i := 0; i < len(points); i += step {
		pt := points[i]
		cls := "pt"
		if pt.Reused {
			cls += " reused"
		} else if !p.Ephemeral.Contains(pt.Port) {
			cls += " outside"
		}
		r := "3"
		if pt.Reused {
			r = "5"
		}
		items = append(items, svg("circle").Class(cls).Attr("cx", f(x(pt.Time))).Attr("cy", f(y(pt.Port))).Attr("r", r).
			Body(svg("title").Text(fmt.Sprintf("stream %d, port %d, %s s", pt.Stream, pt.Port, relTime(pt.Time, t0)))))
	}
	opts := make([]app.UI, 0, len(clients))
	for _, x := range clients[:min(len(clients), 500)] {
		opts = append(opts, app.Option().Value(x.Addr.String()).Selected(x.Addr == cl.Addr).
			Text(fmt.Sprintf("%s (%d connections)", x.Addr, x.Connections)))
	}
	return app.Section().ID("ports").Class("ports-view").Aria("label", "Source ports over time").Body(
		app.Div().Class("field").Body(
			app.Label().For("port-host").Text("Client host"),
			app.Select().ID("port-host").Body(opts...).OnChange(func(ctx app.Context, e app.Event) {
				c.host = ctx.JSSrc().Get("value").String()
			}),
		),
		app.Elem("svg").XMLNS(svgNS).ID("port-plot").Class("plot").Attr("viewBox", fmt.Sprintf("0 0 %.0f %.0f", plotW, plotH)).
			Attr("role", "img").Aria("label", fmt.Sprintf("Source port against time for %s: %d connections, %d reused ports", cl.Addr, cl.Connections, cl.Reused)).
			Body(items...),
		app.P().Class("legend").Body(
			app.Span().Class("key band-key").Text("■"), app.Text(" "+p.Label+" ephemeral range "+p.Ephemeral.String()+"  "),
			app.Span().Class("key pt-key").Text("●"), app.Text(" connection  "),
			app.Span().Class("key reused-key").Text("●"), app.Text(" reused ports  "),
			app.Span().Class("key outside-key").Text("●"), app.Text(" outside the range"),
		),
		app.P().Class("hint").Text(fmt.Sprintf("%s: %d connections from %d distinct ports (%d–%d), %d outside the range, %d reusing an earlier conversation's ports.",
			cl.Addr, cl.Connections, cl.Ports, cl.Lo, cl.Hi, cl.Outside, cl.Reused)),
	)
}

func svg(tag string) app.HTMLElem { return app.Elem(tag).XMLNS(svgNS) }
