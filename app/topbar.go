package app

import (
	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// TopBar: the name, the privacy promise, and the ways to open a capture.
type TopBar struct {
	app.Compo
	S   *State
	Rev int
}

func (c *TopBar) Render() app.UI {
	reading := c.S.Phase == PhaseReading
	return app.Header().Class("topbar").Body(
		app.Div().Class("brand").Body(
			app.Img().Src("web/icon.svg").Alt("").Class("logo").Width(28).Height(28),
			app.Div().Body(
				app.H1().Text("portlens"),
				app.P().Class("tagline").Text("TCP port reuse, explained"),
			),
		),
		app.P().ID("privacy").Class("privacy").Body(
			lockIcon(),
			app.Text("Your capture never leaves this browser: it is analyzed in this tab, nothing is uploaded."),
		),
		app.Div().Class("actions").Body(
			&FileButton{Disabled: reading},
			&SampleMenu{Disabled: reading},
		),
	)
}

// FileButton is the "Open capture" button: a label for a visually hidden
// file input, so it is keyboard-accessible and scriptable (upload tests).
type FileButton struct {
	app.Compo
	Disabled bool
}

func (c *FileButton) Render() app.UI {
	input := app.Input().ID("file-input").Type("file").Class("visually-hidden").
		Accept(".pcap,.pcapng,.cap,.gz,.pcap.gz,.pcapng.gz,application/vnd.tcpdump.pcap")
	if c.Disabled {
		// Only when true: prerendered, Disabled(false) is written as
		// disabled="false", which HTML reads as disabled.
		input = input.Disabled(true)
	}
	return app.Span().Class("file-button").Body(
		input.
			OnChange(func(ctx app.Context, e app.Event) {
				files := ctx.JSSrc().Get("files")
				if files.Length() == 0 {
					return
				}
				f := files.Index(0)
				ctx.NewActionWithValue(actionOpen, openRequest{Name: f.Get("name").String(), Blob: f})
				ctx.JSSrc().Set("value", "") // choosing the same file again re-opens it
			}),
		app.Label().For("file-input").Class("button primary").Text("Open capture…"),
	)
}

// Sample is a capture shipped with the page.
type Sample struct {
	File, Title, About string
}

// Samples are the seed scenarios of testdata/captures, copied into
// web/samples by `make samples`.
var Samples = []Sample{
	{"seed-rst-storm.pcap", "RST storm", "A SYN refused by RST five times, 500 ms apart: four port reuses after RST."},
	{"seed-rst-storm-same-isn.pcap", "RST storm, same ISN", "The same storm with one initial sequence number: still reuse, since an RST was seen."},
	{"seed-fin-then-syn-2h.pcap", "FIN, then SYN 2 h later", "A connection closed by FIN, the same client port used again two hours later."},
	{"seed-synack-missing-syn.pcap", "SYN/ACK with no SYN", "SYN/ACKs with new sequence numbers whose SYN was not captured."},
	{"seed-ack-then-synack.pcap", "ACK, then a new SYN/ACK", "A complete handshake, then a SYN/ACK with a new sequence number."},
}

// SampleMenu opens a built-in sample.
type SampleMenu struct {
	app.Compo
	Disabled bool
}

func (c *SampleMenu) Render() app.UI {
	opts := []app.UI{app.Option().Value("").Text("Built-in samples…").Selected(true)}
	for _, s := range Samples {
		opts = append(opts, app.Option().Value(s.File).Text(s.Title))
	}
	sel := app.Select().ID("sample-select")
	if c.Disabled {
		sel = sel.Disabled(true) // as FileButton's
	}
	return app.Span().Class("sample-menu").Body(
		app.Label().For("sample-select").Class("visually-hidden").Text("Open a built-in sample"),
		sel.Body(opts...).
			OnChange(func(ctx app.Context, e app.Event) {
				v := ctx.JSSrc().Get("value").String()
				if v != "" {
					ctx.NewActionWithValue(actionSample, v)
				}
				ctx.JSSrc().Set("selectedIndex", 0)
			}),
	)
}

// lockIcon is a small padlock drawn in SVG (no emoji font needed).
func lockIcon() app.UI {
	return app.Elem("svg").XMLNS(svgNS).Class("lock").Attr("viewBox", "0 0 16 16").Attr("width", "14").Attr("height", "14").
		Aria("hidden", "true").Body(
		app.Elem("rect").XMLNS(svgNS).Attr("x", "3").Attr("y", "7").Attr("width", "10").Attr("height", "8").Attr("rx", "1.5"),
		app.Elem("path").XMLNS(svgNS).Attr("d", "M5 7V5a3 3 0 0 1 6 0v2").Attr("fill", "none").Attr("stroke-width", "1.6"),
	)
}
