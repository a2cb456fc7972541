package app

import (
	"strconv"
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/portlens/portlens/analyzer/rules"
)

// rowHeight is the fixed height of a packet row in CSS pixels (the CSS
// says the same): what makes the list virtual. Only the rows in view are in
// the DOM; a sizer as tall as all rows gives the scroll bar its range.
const rowHeight = 24

// maxListHeight caps the sizer: browsers cannot lay out an element much
// taller than 17 million pixels (Firefox; Chrome about 33 million), which
// is 700k rows. Past the cap a scroll position maps to rows in proportion
// (scrollMap), so a capture of any size still scrolls from end to end.
const maxListHeight = 8_000_000

// PacketList is the Wireshark-like packet list, virtualized.
type PacketList struct {
	app.Compo
	S   *State
	Rev int
	// AutoFocus: the list takes the keyboard when it appears and nothing
	// else has it (not in an embed: a frame must not steal the focus).
	AutoFocus bool

	first    int // first row in view
	visible  int // rows rendered: those that fit in the viewport, and two more
	inView   int // rows that fit in the viewport, 0 until measured
	fetching bool
	shownSel int    // the selection last scrolled into view
	shownOf  Filter // the filter it was scrolled into view under
	setTop   int    // the scrollTop layout last set, to tell its scroll event apart
	resized  resizeWatch
}

// scrollMap maps between scroll positions and rows for a list of n rows
// in a viewport h pixels tall.
type scrollMap struct{ n, h int }

func (m scrollMap) scaled() bool { return m.n*rowHeight > maxListHeight }

// height is the sizer's height.
func (m scrollMap) height() int { return min(m.n*rowHeight, maxListHeight) }

// rowAt is the first row in view at scroll position top.
func (m scrollMap) rowAt(top int) int {
	if !m.scaled() {
		return top / rowHeight
	}
	px, rows := maxListHeight-m.h, m.n-m.h/rowHeight
	if px <= 0 || rows <= 0 {
		return 0
	}
	return min(int(int64(top)*int64(rows)/int64(px)), rows)
}

// topOf is the scroll position that shows row first at the top.
func (m scrollMap) topOf(first int) int {
	if !m.scaled() {
		return first * rowHeight
	}
	px, rows := maxListHeight-m.h, m.n-m.h/rowHeight
	if px <= 0 || rows <= 0 {
		return 0
	}
	return int((int64(first)*int64(px) + int64(rows) - 1) / int64(rows))
}

func (c *PacketList) OnMount(ctx app.Context) {
	c.visible = 30
	c.follow(ctx)
	c.resized.watch(ctx, "viewport", func(ctx app.Context) { c.layout(ctx, false) })
	if c.AutoFocus {
		ctx.Defer(func(ctx app.Context) {
			// Coming from another tab: by its tab button (the list is
			// what the user came for), or by a link in a view that is
			// gone (the body has the focus then).
			ae := app.Window().Get("document").Get("activeElement")
			if !ae.Truthy() || ae.Get("tagName").String() == "BODY" || strings.HasPrefix(ae.Get("id").String(), "tab-") {
				focusList()
			}
		})
	}
}

func (c *PacketList) OnUpdate(ctx app.Context) { c.follow(ctx) }

func (c *PacketList) OnDismount() { c.resized.stop() }

// OnResize measures again how many rows fit.
func (c *PacketList) OnResize(ctx app.Context) {
	ctx.Defer(func(ctx app.Context) { c.layout(ctx, false) })
}

// focusResults gives the keyboard to the first view of new results: the
// first finding when the findings are shown, else the packet list.
func focusResults() {
	if !focusFinding(0) {
		focusList()
	}
}

// focusList gives the packet list the keyboard, without scrolling the page.
func focusList() {
	if vp := app.Window().GetElementByID("viewport"); vp.Truthy() {
		vp.Call("focus", map[string]any{"preventScroll": true})
	}
}

// follow keeps the selection in view, then lays out and loads rows.
func (c *PacketList) follow(ctx app.Context) {
	if n := c.S.Selected; n != c.shownSel || c.S.Filter != c.shownOf {
		c.shownSel, c.shownOf = n, c.S.Filter
		shown := c.visible - 1
		if c.inView > 0 {
			shown = c.inView
		}
		if i := c.S.IndexOf(n); i >= 0 && (i < c.first || i >= c.first+shown) {
			c.first = max(0, i-shown/3)
		}
	}
	c.first = min(c.first, max(0, c.S.Len()-1))
	ctx.Defer(func(ctx app.Context) { c.layout(ctx, true) })
	c.ensureRows(ctx)
}

// layout sets the geometry through CSSOM (the CSP forbids style
// attributes): the sizer's height, the window's offset, the scroll.
func (c *PacketList) layout(ctx app.Context, scroll bool) {
	vp := app.Window().GetElementByID("viewport")
	if !vp.Truthy() {
		return
	}
	m := scrollMap{n: c.S.Len(), h: vp.Get("clientHeight").Int()}
	app.Window().GetElementByID("sizer").Get("style").Call("setProperty", "height", strconv.Itoa(m.height())+"px")
	app.Window().GetElementByID("window").Get("style").Call("setProperty", "transform", "translateY("+strconv.Itoa(m.topOf(c.first))+"px)")
	// Measured after the sizer is set: a viewport sized by its content (the
	// embed's) has no height before.
	if h := vp.Get("clientHeight").Int(); h > 0 {
		if v := h/rowHeight + 2; v != c.visible || h/rowHeight != c.inView {
			c.visible, c.inView = v, h/rowHeight
			c.shownSel = 0 // check again that the selection is in view
			c.follow(ctx)
			ctx.Update()
		}
	}
	if scroll {
		m.h = vp.Get("clientHeight").Int()
		if m.rowAt(vp.Get("scrollTop").Int()) != c.first {
			c.setTop = m.topOf(c.first)
			vp.Set("scrollTop", c.setTop)
		}
	}
	if m.scaled() {
		// Past the cap, rows and pixels no longer line up: put the rows
		// where the viewport is, so the first one is never cut.
		top := vp.Get("scrollTop").Int()
		app.Window().GetElementByID("window").Get("style").Call("setProperty", "transform", "translateY("+strconv.Itoa(top)+"px)")
	}
}

func (c *PacketList) onScroll(ctx app.Context, e app.Event) {
	vp := e.Get("target")
	top := vp.Get("scrollTop").Int()
	first := scrollMap{n: c.S.Len(), h: vp.Get("clientHeight").Int()}.rowAt(top)
	if top == c.setTop || first == c.first { // our own scroll, or no new row
		c.setTop = -1
		ctx.PreventUpdate()
		return
	}
	c.first = first
	ctx.Defer(func(ctx app.Context) { c.layout(ctx, false) })
	c.ensureRows(ctx)
}

// ensureRows decodes the rows in view that are not loaded yet, on a
// goroutine (the file's reads await the browser).
func (c *PacketList) ensureRows(ctx app.Context) {
	s := c.S
	if c.fetching || s.Res == nil {
		return
	}
	var missing []int
	for i := c.first; i < min(c.first+c.visible, s.Len()); i++ {
		if n := s.FrameAt(i); s.Row(n) == nil {
			missing = append(missing, n)
		}
	}
	if len(missing) == 0 {
		return
	}
	c.fetching = true
	res, src := s.Res, s.src
	ctx.Async(func() {
		s.loadRows(res, src, missing)
		ctx.Dispatch(func(ctx app.Context) {
			c.fetching = false
			s.RowsRev++
			c.ensureRows(ctx)
		})
	})
}

func (c *PacketList) onKey(ctx app.Context, e app.Event) {
	s := c.S
	n := s.Len()
	if n == 0 {
		return
	}
	if e.Get("ctrlKey").Bool() || e.Get("metaKey").Bool() || e.Get("altKey").Bool() {
		ctx.PreventUpdate() // the browser's (Ctrl+F finds)
		return
	}
	cur := s.IndexOf(s.Selected)
	target := -1
	switch e.Get("key").String() {
	case "ArrowDown", "j":
		target = min(cur+1, n-1)
	case "ArrowUp", "k":
		target = max(cur-1, 0)
	case "PageDown":
		target = min(max(cur, 0)+c.visible-2, n-1)
	case "PageUp":
		target = max(cur-c.visible+2, 0)
	case "Home":
		target = 0
	case "End":
		target = n - 1
	case "f": // follow the selected frame's TCP stream (again: back)
		if s.Selected > 0 {
			e.PreventDefault()
			ctx.NewActionWithValue(actionFollow, s.Selected)
		}
		return
	case "Escape":
		if s.Filter.Active() {
			e.PreventDefault()
			ctx.NewAction(actionUnfollow)
		} else {
			ctx.PreventUpdate()
		}
		return
	case "n", "p":
		dir := 1
		if e.Get("key").String() == "p" {
			dir = -1
		}
		if f := s.NextFlag(max(s.Selected, 0), dir); f > 0 {
			e.PreventDefault()
			ctx.NewActionWithValue(actionSelect, f)
		}
		return
	default:
		ctx.PreventUpdate()
		return
	}
	e.PreventDefault()
	if target >= 0 {
		ctx.NewActionWithValue(actionSelect, s.FrameAt(target))
	}
}

func (c *PacketList) Render() app.UI {
	s := c.S
	total := s.Len()
	last := min(c.first+c.visible, total)
	rows := make([]app.UI, 0, max(last-c.first, 0))
	for i := c.first; i < last; i++ {
		rows = append(rows, c.renderRow(i, s.FrameAt(i)))
	}
	active := ""
	if s.IndexOf(s.Selected) >= 0 {
		active = "row-" + strconv.Itoa(s.Selected)
	}
	return app.Div().ID("packet-list").Class("packet-list").Attr("role", "table").
		Aria("label", "Packets").Aria("rowcount", total+1).DataSet("rows", total).DataSet("filter", s.shownFilter()).Body(
		app.Div().Class("thead").Attr("role", "rowgroup").Body(
			app.Div().Class("row head").Attr("role", "row").Aria("rowindex", 1).Body(
				app.Div().Class("c-sev").Attr("role", "columnheader").Aria("label", "Severity"),
				app.Div().Class("c-no").Attr("role", "columnheader").Text("No."),
				app.Div().Class("c-time").Attr("role", "columnheader").Text("Time"),
				app.Div().Class("c-src").Attr("role", "columnheader").Text("Source"),
				app.Div().Class("c-dst").Attr("role", "columnheader").Text("Destination"),
				app.Div().Class("c-proto").Attr("role", "columnheader").Text("Protocol"),
				app.Div().Class("c-len").Attr("role", "columnheader").Text("Length"),
				app.Div().Class("c-info").Attr("role", "columnheader").Text("Info"),
			),
		),
		app.Div().ID("viewport").Class("viewport").Attr("role", "rowgroup").TabIndex(0).
			Aria("label", "Packet rows: arrow keys move, n and p jump to the next and previous flag, f follows the TCP stream, Esc clears the filter").
			Aria("activedescendant", active).
			OnScroll(c.onScroll).OnKeyDown(c.onKey).Body(
			app.Div().ID("sizer").Class("sizer").Body(
				app.Div().ID("window").Class("window").Body(rows...),
			),
		),
		app.If(total == 0, func() app.UI {
			return app.P().Class("empty").Text("No packet matches the filter.")
		}),
	)
}

func (c *PacketList) renderRow(i, n int) app.UI {
	s := c.S
	cls := "row"
	sev := s.Severity(n)
	switch sev {
	case rules.Warning:
		cls += " flagged warning"
	case rules.Note:
		cls += " flagged note"
	}
	if n == s.Selected {
		cls += " selected"
	}
	var cells []app.UI
	icon := app.Div().Class("c-sev").Attr("role", "cell")
	if sev != "" {
		icon = icon.Body(app.Span().Class("sev-icon "+string(sev)).Title(string(sev)).Aria("label", string(sev)).Text(sevGlyph(sev)))
	}
	cells = append(cells, icon, cell("c-no", strconv.Itoa(n)))
	if r := s.Row(n); r != nil {
		cells = append(cells,
			cell("c-time", relTime(r.Time, s.Res.FirstTime)),
			cell("c-src", r.Source).Title(r.Source), // an IPv6 address may not fit
			cell("c-dst", r.Destination).Title(r.Destination),
			cell("c-proto", r.Protocol),
			cell("c-len", strconv.Itoa(r.Length)),
			cell("c-info", r.Info).Title(r.Info),
		)
	} else {
		cells = append(cells, cell("c-time loading", "…"), cell("c-src", ""), cell("c-dst", ""),
			cell("c-proto", ""), cell("c-len", ""), cell("c-info", ""))
	}
	return app.Div().ID("row-"+strconv.Itoa(n)).Class(cls).Attr("role", "row").
		Aria("rowindex", i+2).Aria("selected", n == s.Selected).DataSet("frame", n).
		OnClick(func(ctx app.Context, e app.Event) { ctx.NewActionWithValue(actionSelect, n) }, app.EventScope(n)).
		Body(cells...)
}

func cell(class, text string) app.HTMLDiv {
	return app.Div().Class(class).Attr("role", "cell").Text(text)
}

func sevGlyph(s rules.Severity) string {
	if s == rules.Warning {
		return "▲"
	}
	return "●"
}
