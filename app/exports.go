package app

import (
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

// export writes the file in the background into a Blob, a MiB at a time:
// neither the Go heap nor the JS heap ever holds the whole document (a
// million-packet capture's report is hundreds of MB), and the page yields
// to the browser while the words are rendered.
func (p *Page) export(ctx app.Context, kind string) {
	s := &p.s
	if s.Res == nil {
		return
	}
	base := strings.TrimSuffix(strings.TrimSuffix(s.File, ".gz"), ".pcapng")
	base = strings.TrimSuffix(base, ".pcap")
	res, src, opts, mu := s.Res, s.src, s.Options(), s.decodeMu
	frames := append([]int32(nil), s.flagged...)
	ctx.Async(func() {
		y := newYielder()
		defer y.Release()
		w := newBlobWriter(y.Paced(slice))
		var name, mime string
		switch kind {
		case "csv":
			name, mime = base+"-flags.csv", "text/csv"
			_ = export.FlagsCSV(w, res)
		case "json":
			name, mime = base+"-report.json", "application/json"
			_ = res.WriteJSON(w, opts, false)
		case "pcapng":
			name, mime = base+"-flagged.pcapng", "application/x-pcapng"
			nw := export.NewNgWriter(w)
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
		default:
			return
		}
		blob := w.Blob(mime)
		ctx.Dispatch(func(ctx app.Context) { download(name, blob) })
	})
}

// blobWriter collects what is written into the parts of a Blob: each MiB
// is copied out to a JS Uint8Array as it fills, and the browser keeps the
// parts (on disk when they are large).
type blobWriter struct {
	buf   []byte
	parts app.Value
	pause func()
}

const blobPart = 1 << 20

func newBlobWriter(pause func()) *blobWriter {
	return &blobWriter{buf: make([]byte, 0, blobPart), parts: app.Window().Get("Array").New(), pause: pause}
}

func (w *blobWriter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		k := copy(w.buf[len(w.buf):cap(w.buf)], p)
		w.buf, p = w.buf[:len(w.buf)+k], p[k:]
		if len(w.buf) == cap(w.buf) {
			w.flush()
		}
	}
	w.pause()
	return n, nil
}

func (w *blobWriter) flush() {
	if len(w.buf) == 0 {
		return
	}
	u8 := app.Window().Get("Uint8Array").New(len(w.buf))
	app.CopyBytesToJS(u8, w.buf)
	w.parts.Call("push", u8)
	w.buf = w.buf[:0]
}

// Blob returns everything written as one Blob of type mime.
func (w *blobWriter) Blob(mime string) app.Value {
	w.flush()
	return app.Window().Get("Blob").New(w.parts, map[string]any{"type": mime})
}

// download saves blob as a file through a Blob URL.
func download(name string, blob app.Value) {
	win := app.Window()
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
