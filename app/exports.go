package app

import (
	"bytes"
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/portlens/portlens/analyzer/export"
)

// Exports offers the flags as CSV and JSON and the flagged packets as
// pcapng: made in the tab, downloaded from a blob: URL, never sent anywhere.
type Exports struct {
	app.Compo
	S   *State
	Rev int
}

func (c *Exports) Render() app.UI {
	none := c.S.Res == nil || len(c.S.Res.Flags()) == 0
	btn := func(kind, label, title string) app.UI {
		return app.Button().ID("export-" + kind).Class("button small").Title(title).Disabled(none && kind == "pcapng").
			OnClick(func(ctx app.Context, e app.Event) { ctx.NewActionWithValue(actionExport, kind) }).Text(label)
	}
	return app.Div().Class("exports").Attr("role", "group").Aria("label", "Export").Body(
		app.Span().Class("label").Text("Export"),
		btn("csv", "Flags CSV", "The flags as CSV, one row per flag"),
		btn("json", "Report JSON", "The report, as portlens analyze --json writes it"),
		btn("pcapng", "Flagged pcapng", "The flagged packets as a pcapng file"),
	)
}

// export builds the file in memory and hands it to the browser.
func (p *Page) export(ctx app.Context, kind string) {
	s := &p.s
	if s.Res == nil {
		return
	}
	base := strings.TrimSuffix(strings.TrimSuffix(s.File, ".gz"), ".pcapng")
	base = strings.TrimSuffix(base, ".pcap")
	var b bytes.Buffer
	switch kind {
	case "csv":
		_ = export.FlagsCSV(&b, s.Res)
		download(base+"-flags.csv", "text/csv", b.Bytes())
	case "json":
		_ = s.Res.WriteJSON(&b, s.Options(), false)
		download(base+"-report.json", "application/json", b.Bytes())
	case "pcapng":
		res, src, frames, mu := s.Res, s.src, append([]int32(nil), s.flagged...), s.decodeMu
		ctx.Async(func() {
			nw := export.NewNgWriter(&b)
			for _, n := range frames {
				mu.Lock()
				pkt, err := res.Packet(src, int(n))
				if err == nil {
					err = nw.WritePacket(pkt)
				}
				mu.Unlock()
				if err != nil {
					break
				}
			}
			ctx.Dispatch(func(ctx app.Context) {
				download(base+"-flagged.pcapng", "application/x-pcapng", b.Bytes())
			})
		})
	}
}

// download saves data as a file through a Blob URL.
func download(name, mime string, data []byte) {
	win := app.Window()
	u8 := win.Get("Uint8Array").New(len(data))
	app.CopyBytesToJS(u8, data)
	blob := win.Get("Blob").New([]any{u8}, map[string]any{"type": mime})
	url := win.Get("URL").Call("createObjectURL", blob)
	a := win.Get("document").Call("createElement", "a")
	a.Set("href", url)
	a.Set("download", name)
	a.Set("hidden", true)
	win.Get("document").Get("body").Call("appendChild", a)
	a.Call("click")
	a.Call("remove")
	win.Call("setTimeout", app.FuncOf(func(this app.Value, args []app.Value) any {
		win.Get("URL").Call("revokeObjectURL", url)
		return nil
	}), 10000)
}
