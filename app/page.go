package app

import (
	"strconv"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// Actions: how the views tell the page what the user did.
const (
	actionOpen     = "open"     // value: openRequest
	actionSample   = "sample"   // value: sample file name
	actionCancel   = "cancel"   //
	actionSelect   = "select"   // value: frame number
	actionFilter   = "filter"   // value: Filter
	actionTab      = "tab"      // value: tab name
	actionSettings = "settings" // value: Settings
	actionExport   = "export"   // value: export kind
	actionUpdate   = "update"   // switch to the waiting new version
)

// Tabs of the results.
const (
	TabPackets       = "packets"
	TabConversations = "conversations"
	TabEndpoints     = "endpoints"
	TabPorts         = "ports"
)

// openRequest is a capture to read: a File (or a Blob) and its name, and
// for a fetched one, how an embed would name it (Src).
type openRequest struct {
	Name string
	Blob app.Value
	Src  string
}

// Page is the whole app: it owns the State, runs analyses, and handles
// the views' actions. Its root element carries data-state, data-packets
// and data-flags for automation, and dispatches portlens:done.
//
// With Embed set it is the embed view (/embed.html): the capture named by
// the URL's src, the packet list and the explanation, sized for an iframe.
type Page struct {
	app.Compo
	Embed bool

	s        State
	dragging bool
	run      int // id of the latest analysis: a new one abandons the old
	reading  int // id of the analysis reading now, 0 when none
	stop     int // id of the analysis the user stopped (Cancel)
	judging  int // id of the latest re-judgement: a newer one supersedes it
	// filterRun is the id of the latest filter applied: a newer one
	// supersedes one still being applied in the background.
	filterRun int

	embed    EmbedParams
	lastPost string // the embed's last message to its parent, to send changes only
	update   updateState
	follows  followState

	// holdPanel keeps a capture's first results render to the summary
	// and the tabs; the tab's view follows in a task of its own (see
	// showResults), so neither holds the main thread for long. The root's
	// data-state says "done" only once both are shown.
	holdPanel bool
}

func (p *Page) OnMount(ctx app.Context) {
	p.s.Phase = PhaseIdle
	p.s.Tab = TabPackets
	if p.Embed {
		p.startEmbed(ctx) // settings from the URL, not from this browser's storage
	} else {
		ctx.LocalStorage().Get(settingsKey, &p.s.Settings)
		p.watchUpdates(ctx)
		ctx.Defer(p.warmUp) // once the page is rendered; see warmup.go
	}
	ctx.Handle(actionOpen, func(ctx app.Context, a app.Action) {
		if r, ok := a.Value.(openRequest); ok {
			p.open(ctx, r)
		}
	})
	ctx.Handle(actionSample, func(ctx app.Context, a app.Action) {
		if name, ok := a.Value.(string); ok {
			p.openSample(ctx, name)
		}
	})
	ctx.Handle(actionCancel, func(ctx app.Context, a app.Action) { p.cancel() })
	ctx.Handle(actionSelect, func(ctx app.Context, a app.Action) {
		if n, ok := a.Value.(int); ok {
			p.selectFrame(n)
			if p.Embed {
				ctx.Defer(func(ctx app.Context) { p.post() })
			}
		}
	})
	ctx.Handle(actionFilter, func(ctx app.Context, a app.Action) {
		if f, ok := a.Value.(Filter); ok {
			p.s.Filter = f
			p.refilter(ctx)
		}
	})
	ctx.Handle(actionTab, func(ctx app.Context, a app.Action) {
		if t, ok := a.Value.(string); ok {
			p.s.Tab = t
			p.s.Rev++
		}
	})
	ctx.Handle(actionSettings, func(ctx app.Context, a app.Action) {
		if st, ok := a.Value.(Settings); ok {
			p.s.Settings = st
			if !p.Embed {
				ctx.LocalStorage().Set(settingsKey, st)
			}
			p.rejudge(ctx)
			p.s.Rev++
		}
	})
	p.handleFollow(ctx)
	ctx.Handle(actionUpdate, func(ctx app.Context, a app.Action) { p.applyUpdate() })
	ctx.Handle(actionExport, func(ctx app.Context, a app.Action) {
		if kind, ok := a.Value.(string); ok {
			p.export(ctx, kind)
		}
	})
	if !p.Embed {
		p.openQueued(ctx) // what the user chose before the page was ready
	}
}

// selectFrame selects frame n, showing it in the list (clearing a filter
// that hides it) and switching to the packets tab.
func (p *Page) selectFrame(n int) {
	s := &p.s
	if s.Res == nil || n < 1 || n > s.Res.Frames.Len() {
		return
	}
	if s.IndexOf(n) < 0 {
		s.Filter = Filter{}
		s.applyFilter()
	}
	s.Selected = n
	s.Tab = TabPackets
	s.Rev++
}

// afterOpen chooses what to show first: the frame the embed asks for,
// else the first flag.
func (p *Page) afterOpen(ctx app.Context) {
	s := &p.s
	if p.Embed {
		p.presetView()
	}
	if s.Selected == 0 && len(s.flagged) > 0 {
		s.Selected = int(s.flagged[0])
		if s.IndexOf(s.Selected) < 0 && s.Len() > 0 {
			s.Selected = s.FrameAt(0)
		}
	}
}

func (p *Page) Render() app.UI {
	if p.Embed {
		return p.renderEmbed()
	}
	s := &p.s
	flags := 0
	if s.Res != nil {
		flags = len(s.Res.Flags())
	}
	phase := s.Phase
	if p.holdPanel {
		phase = PhaseReading
	}
	root := app.Div().ID("portlens").Class("page").
		DataSet("state", phase).
		DataSet("packets", strconv.Itoa(s.Packets)).
		DataSet("flags", strconv.Itoa(flags)).
		OnDragOver(p.onDragOver).
		OnDragLeave(p.onDragLeave).
		OnDrop(p.onDrop)
	if p.dragging {
		root = root.Class("dragging")
	}
	if s.Res != nil {
		root = root.Class("has-results") // wide screens: the page fits the window, its panes scroll
	}
	return root.Body(
		app.If(p.update.ready, func() app.UI { return &UpdateBanner{} }),
		&TopBar{S: s, Rev: s.Rev},
		app.Main().ID("main").Body(
			// No phase yet: the prerendered page, shown until the wasm runs.
			app.If(s.Phase == PhaseIdle || s.Phase == "", func() app.UI { return &Opener{Notice: s.Notice} }),
			app.If(s.Phase == PhaseReading, func() app.UI {
				return &Progress{File: s.File, Size: s.Size, Bytes: s.Bytes, Packets: s.Packets, Started: s.Started}
			}),
			app.If(s.Res != nil, func() app.UI { return p.renderResults() }),
		),
		app.Div().Class("drop-overlay").Aria("hidden", "true").Body(
			app.Div().Class("drop-message").Text("Drop the capture to analyze it here, in this tab"),
		),
	)
}

func (p *Page) renderResults() app.UI {
	s := &p.s
	if s.Res.Packets == 0 && s.Res.Error != "" { // nothing to show but why, and a way to try again
		return app.Div().Class("results").Body(&ErrorBanner{S: s, Rev: s.Rev}, &Opener{})
	}
	tab := func() app.UI {
		switch s.Tab {
		case TabFindings:
			if hasFindings(s) {
				return &FindingsView{S: s, Rev: s.Rev, RowsRev: s.RowsRev}
			}
		case TabConversations:
			return &Conversations{S: s, Rev: s.Rev}
		case TabEndpoints:
			return &Endpoints{S: s, Rev: s.Rev}
		case TabPorts:
			return &Ports{S: s, Rev: s.Rev}
		}
		return app.Div().Class("packets-view").Body(
			&FilterBar{S: s, Rev: s.Rev},
			&PacketList{S: s, Rev: s.Rev, AutoFocus: true},
			&Detail{S: s, Rev: s.Rev, RowsRev: s.RowsRev},
		)
	}
	return app.Div().Class("results").Body(
		app.If(s.Res.Error != "", func() app.UI { return &ErrorBanner{S: s, Rev: s.Rev} }),
		app.If(s.Res.Stopped && s.Res.Error == "", func() app.UI { return &StoppedBanner{S: s, Rev: s.Rev} }),
		&Summary{S: s, Rev: s.Rev},
		&Tabs{S: s, Rev: s.Rev},
		app.Div().ID("tabpanel").Class("tabpanel").Attr("role", "tabpanel").Aria("labelledby", "tab-"+s.Tab).Body(
			app.If(!p.holdPanel, tab),
		),
	)
}

func (p *Page) onDragOver(ctx app.Context, e app.Event) {
	e.PreventDefault()
	if !p.dragging {
		p.dragging = true
	} else {
		ctx.PreventUpdate()
	}
}

func (p *Page) onDragLeave(ctx app.Context, e app.Event) {
	// Leaving a child element also fires dragleave: only a leave to
	// outside the window (no related target) ends the drag.
	if rt := e.Get("relatedTarget"); rt.Truthy() {
		ctx.PreventUpdate()
		return
	}
	p.dragging = false
}

func (p *Page) onDrop(ctx app.Context, e app.Event) {
	e.PreventDefault()
	p.dragging = false
	files := e.Get("dataTransfer").Get("files")
	if files.Length() == 0 {
		return
	}
	f := files.Index(0)
	p.open(ctx, openRequest{Name: f.Get("name").String(), Blob: f})
}
