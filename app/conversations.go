package app

import (
	"fmt"
	"strconv"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/portlens/portlens/analyzer/summary"
)

const pageSize = 200

// Conversations lists the TCP streams: 4-tuple, start, duration, packets,
// how each ended, and reuse chains (6 -> 7 -> 8 on the same ports).
type Conversations struct {
	app.Compo
	S   *State
	Rev int

	page int
}

func (c *Conversations) Render() app.UI {
	s := c.S
	convs := s.Res.Conversations
	from := min(c.page*pageSize, convs.Len())
	to := min(from+pageSize, convs.Len())
	rows := make([]app.UI, 0, to-from)
	for i := from; i < to; i++ {
		cv := convs.At(i)
		client, server := cv.Client()
		chain := summary.Chain(convs, i)
		var chainUI app.UI = app.Text("")
		if len(chain) > 1 {
			parts := []app.UI{}
			for j, st := range chain {
				if j > 0 {
					parts = append(parts, app.Text(" → "))
				}
				if st == i {
					parts = append(parts, app.Strong().Text(strconv.Itoa(st)))
				} else {
					parts = append(parts, streamLink(st))
				}
			}
			chainUI = app.Span().Class("chain").Body(parts...)
		}
		cls := ""
		if cv.PrevStream >= 0 {
			cls = "reused"
		}
		rows = append(rows, app.Tr().Class(cls).DataSet("stream", i).Body(
			app.Td().Class("num").Body(streamLink(i)),
			app.Td().Class("mono").Text(s.Res.AddrPort(client).String()),
			app.Td().Class("mono").Text(s.Res.AddrPort(server).String()),
			app.Td().Class("num").Text(relTime(cv.FirstTime, s.Res.FirstTime)),
			app.Td().Class("num").Text(span(time.Duration(cv.LastTime-cv.FirstTime))),
			app.Td().Class("num").Text(fmt.Sprintf("%d / %d", cv.Packets[cv.ClientDir()], cv.Packets[1-cv.ClientDir()])),
			app.Td().Text(cv.End().String()+" · "+string(summary.StateOf(s.Res, cv))),
			app.Td().Body(chainUI),
		))
	}
	return app.Section().ID("conversations").Class("table-view").Aria("label", "TCP conversations").Body(
		app.P().Class("hint").Text(fmt.Sprintf("%s TCP conversations (Wireshark's tcp.stream). Packets are client → server / server → client; the state is at the capture's end, TIME_WAIT by the %s clock.",
			thousands(convs.Len()), s.Settings.Effective().Label)),
		app.Div().Class("scroll").Body(app.Table().Body(
			app.Caption().Class("visually-hidden").Text("TCP conversations"),
			app.THead().Body(app.Tr().Body(
				th("Stream"), th("Client"), th("Server"), th("Start (s)"), th("Duration"), th("Packets"), th("End · state"), th("Reuse chain"),
			)),
			app.TBody().Body(rows...),
		)),
		pager(convs.Len(), c.page, func(p int) { c.page = p }),
	)
}

func th(text string) app.UI { return app.Th().Scope("col").Text(text) }

// streamLink filters the packet list to one stream.
func streamLink(stream int) app.UI {
	return app.A().Href("#stream-"+strconv.Itoa(stream)).Class("stream-link").DataSet("stream", stream).
		OnClick(func(ctx app.Context, e app.Event) {
			e.PreventDefault()
			ctx.NewActionWithValue(actionFilter, Filter{Text: "stream:" + strconv.Itoa(stream)})
			ctx.NewActionWithValue(actionTab, TabPackets)
		}, app.EventScope(stream)).Text(strconv.Itoa(stream))
}

// pager pages through long tables.
func pager(total, page int, set func(int)) app.UI {
	pages := (total + pageSize - 1) / pageSize
	if pages <= 1 {
		return app.Text("")
	}
	return app.Nav().Class("pager").Aria("label", "Pages").Body(
		app.Button().Class("button small").Disabled(page == 0).Text("← Previous").
			OnClick(func(ctx app.Context, e app.Event) { set(page - 1) }, app.EventScope(page)),
		app.Span().Text(fmt.Sprintf(" rows %s–%s of %s ", thousands(page*pageSize+1), thousands(min((page+1)*pageSize, total)), thousands(total))),
		app.Button().Class("button small").Disabled(page >= pages-1).Text("Next →").
			OnClick(func(ctx app.Context, e app.Event) { set(page + 1) }, app.EventScope(page)),
	)
}
