package app

import (
	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// Opener is the first screen: the whole page is a drop zone; this says so,
// and offers the file button and the samples.
type Opener struct {
	app.Compo
	Notice string
}

func (c *Opener) Render() app.UI {
	return app.Section().Class("opener").Aria("label", "Open a capture").Body(
		app.If(c.Notice != "", func() app.UI { return app.P().Class("notice").Attr("role", "status").Text(c.Notice) }),
		app.Div().Class("dropzone").Body(
			app.P().Class("drop-title").Text("Drop a pcap or pcapng file anywhere on this page"),
			app.P().Class("drop-sub").Text("gzip-compressed captures work too. Reading stays in this tab: there is no server to send it to."),
			app.Label().For("file-input").Class("button primary big").Text("Open capture…"),
		),
		app.H2().Text("Or try a sample"),
		app.Ul().Class("samples").Body(
			app.Range(Samples).Slice(func(i int) app.UI {
				s := Samples[i]
				return app.Li().Body(
					app.Button().ID("sample-"+s.File).Class("sample").
						OnClick(func(ctx app.Context, e app.Event) { ctx.NewActionWithValue(actionSample, s.File) }, app.EventScope(s.File)).
						Body(
							app.Strong().Text(s.Title),
							app.Span().Class("file").Text(s.File),
							app.Span().Class("about").Text(s.About),
						),
				)
			}),
		),
		app.P().Class("more").Body(
			app.Text("Writing documentation? "),
			app.A().ID("docs-link").Href("/web/docs.html").Target("_blank").Text("See these samples embedded in a page"),
			app.Text(", and use Share / Embed on any result to get the snippet."),
		),
	)
}

// openQueued opens what the user chose or dropped while the page was still
// loading. Until the WebAssembly runs, the page is go-app's prerendered
// HTML, whose buttons have no Go behind them: web/preload.js keeps the
// chosen File (or sample) and hands it over here, once, when the page
// mounts; from then on the page's own handlers take every event.
func (p *Page) openQueued(ctx app.Context) {
	pre := app.Window().Get("portlensPreload")
	if !pre.Truthy() {
		return
	}
	q := pre.Call("take")
	if !q.Truthy() {
		return
	}
	if f := q.Get("file"); f.Truthy() {
		ctx.Dispatch(func(ctx app.Context) { p.open(ctx, openRequest{Name: f.Get("name").String(), Blob: f}) })
		return
	}
	name := q.Get("sample")
	for _, s := range Samples {
		if name.Truthy() && s.File == name.String() {
			ctx.Dispatch(func(ctx app.Context) { p.openSample(ctx, s.File) })
		}
	}
}
