package app

import (
	"cmp"
	"slices"
	"strconv"
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// The Conversations and Endpoints tables are virtual, like the packet list:
// fixed-height rows, only those in view in the DOM, a sizer for the scroll
// bar (scrollMap, so a million rows still scroll from end to end).
//
// A table never copies the records it shows. It keeps an order: the
// indexes ([]int32) of the records that pass its filter, sorted on one
// column. With no filter and no sort it keeps nothing and shows records
// 0..n-1. Building an order reads every record and sorts, seconds for
// millions in WebAssembly, so it runs on a goroutine that yields to the
// browser every few milliseconds; the new order replaces the old when done.

// vcol is a column of a virtual table.
type vcol struct {
	Label string
	Title string // the header's tooltip
	Class string // the cells' class: "num" (right-aligned), "mono"
	// Key makes the sort key of every record, once per sort (it may
	// prepare, e.g. rank the addresses, calling pause as it goes). Cmp
	// compares two records instead: for short lists whose keys are not
	// numbers. A column has one of them.
	Key func(pause func()) func(i int) int64
	Cmp func(a, b int) int
}

// matcher makes a table's filter predicate: the parsing is done, what is
// left may take long (a scan of every conversation) and runs in the
// background, calling pause as it goes.
type matcher func(pause func()) func(i int) bool

// tableDef tells a vtable about its records. Views build it on each render:
// it holds closures over the State.
type tableDef struct {
	ID          string // the table's DOM id; its viewport is ID+"-viewport"
	Label       string // for assistive technology: "TCP conversations"
	Noun        string // what a record is, plural: "conversations"
	Placeholder string // the filter box's
	N           int    // records 0..N-1
	Of          any    // the data's identity: an order built for another is rebuilt
	Cols        []vcol
	// Filter parses the filter box's text into a matcher (nil when the
	// text is empty) and says what it did not understand.
	Filter func(text string) (matcher, string)
	// Row fills in the row of record i: its cells, a class, data-*.
	Row func(i int, row app.HTMLDiv) app.HTMLDiv
}

// orderKey is what an order is built for.
type orderKey struct {
	of   any
	sort int // 1 + the sorted column, 0 for the records' own order
	desc bool
	text string
}

// vtable is the state of one table: kept in the State, so that a table
// keeps its sort, filter and scroll across tab switches.
type vtable struct {
	sort    int // 1 + the column sorted on, 0 for none
	desc    bool
	text    string // the filter box's text
	problem string // what the filter did not understand

	order    []int32 // records shown, in order; nil with built.sort == 0 and no filter: all, in their order
	built    orderKey
	building orderKey
	busy     bool
	job      int // id of the latest build: a newer one abandons it

	first   int // first row in view
	visible int // rows rendered
	setTop  int // the scrollTop layout last set, to tell its scroll event apart
}

// tables are the States' tables.
type tables struct {
	conversations, services, clients vtable
}

// natural reports whether the table shows all records in their own order:
// when asked to, and while an order built for other data (the services
// of another verdict) is being rebuilt, since its indexes mean nothing now.
func (t *vtable) natural(def *tableDef) bool {
	return t.built.of != def.Of || t.built.sort == 0 && t.built.text == ""
}

// rows is the number of rows shown.
func (t *vtable) rows(def *tableDef) int {
	if t.natural(def) {
		return def.N
	}
	return len(t.order)
}

// record is the record shown in row r.
func (t *vtable) record(def *tableDef, r int) int {
	if t.natural(def) {
		return r
	}
	return int(t.order[r])
}

// sync starts building the order the table's settings ask for, unless it
// is built or being built.
func (t *vtable) sync(ctx app.Context, def *tableDef) {
	text := strings.TrimSpace(t.text)
	k := orderKey{of: def.Of, sort: t.sort, desc: t.desc, text: text}
	if k.sort == 0 {
		k.desc = false
	}
	if k == t.built && !t.busy || t.busy && k == t.building {
		return
	}
	t.job++
	var match matcher
	match, t.problem = nil, ""
	if text != "" {
		match, t.problem = def.Filter(text)
		if t.problem != "" {
			return // a filter that does not compile changes nothing
		}
	}
	if k.sort == 0 && text == "" { // the records' own order: nothing to build
		t.order, t.built, t.busy, t.first = nil, k, false, 0
		return
	}
	var key func(func()) func(int) int64
	var cmpf func(a, b int) int
	if k.sort > 0 && k.sort <= len(def.Cols) {
		key, cmpf = def.Cols[k.sort-1].Key, def.Cols[k.sort-1].Cmp
	}
	id, n := t.job, def.N
	t.building, t.busy = k, true
	ctx.Async(func() {
		y := newYielder()
		defer y.Release()
		pause := pacedEvery(y.Paced(slice), 1024)
		var pred func(int) bool
		if match != nil {
			pred = match(pause)
		}
		var keyOf func(int) int64
		if key != nil {
			keyOf = key(pause)
		}
		order := orderOf(n, pred, keyOf, cmpf, k.desc, pause)
		ctx.Dispatch(func(ctx app.Context) {
			if t.job != id || t.building != k {
				return // the settings changed meanwhile, or another capture came
			}
			t.order, t.built, t.busy, t.first = order, k, false, 0
			ctx.Defer(func(ctx app.Context) { t.layout(ctx, def, true) })
		})
	})
}

// pacedEvery calls pause once every n calls: pause itself reads the clock,
// which costs more than a comparison.
func pacedEvery(pause func(), n int) func() {
	calls := 0
	return func() {
		if calls++; calls%n == 0 {
			pause()
		}
	}
}

// orderOf lists the records 0..n-1 that match (all, when match is nil),
// sorted by key, else by cmpf, else in their own order; descending when
// desc. Ties keep the records' order, so every sort is a total order.
// pause is called at every step: the caller's way to yield.
func orderOf(n int, match func(int) bool, key func(int) int64, cmpf func(a, b int) int, desc bool, pause func()) []int32 {
	if key != nil {
		return orderByKey(n, match, key, desc, pause)
	}
	order := make([]int32, 0, n)
	for i := range n {
		pause()
		if match == nil || match(i) {
			order = append(order, int32(i))
		}
	}
	if cmpf != nil {
		slices.SortFunc(order, func(a, b int32) int {
			pause()
			c := cmpf(int(a), int(b))
			if desc {
				c = -c
			}
			if c == 0 {
				c = cmp.Compare(a, b)
			}
			return c
		})
	}
	return order
}

// keyed is a record and its sort key, side by side: sorting these pairs
// reads memory in order, where sorting indexes by keys[i] jumps about
// (nine times slower for a million).
type keyed struct {
	key int64
	i   int32
}

func orderByKey(n int, match func(int) bool, key func(int) int64, desc bool, pause func()) []int32 {
	var pairs []keyed
	if match == nil {
		pairs = make([]keyed, 0, n)
	}
	for i := range n {
		pause()
		if match == nil || match(i) {
			k := key(i)
			if desc {
				k = ^k // reverses the order, and never overflows as -k would
			}
			pairs = append(pairs, keyed{k, int32(i)})
		}
	}
	slices.SortFunc(pairs, func(a, b keyed) int {
		pause()
		if a.key != b.key {
			return cmp.Compare(a.key, b.key)
		}
		return cmp.Compare(a.i, b.i)
	})
	order := make([]int32, len(pairs))
	for j, p := range pairs {
		order[j] = p.i
	}
	return order
}

// layout sets the geometry through CSSOM (the CSP forbids style
// attributes), measures how many rows fit, and with scroll puts the
// viewport where the first row in view is (coming back to the tab).
func (t *vtable) layout(ctx app.Context, def *tableDef, scroll bool) {
	doc := app.Window()
	vp := doc.GetElementByID(def.ID + "-viewport")
	if !vp.Truthy() {
		return
	}
	m := scrollMap{n: t.rows(def), h: vp.Get("clientHeight").Int()}
	doc.GetElementByID(def.ID+"-sizer").Get("style").Call("setProperty", "height", strconv.Itoa(m.height())+"px")
	top := m.topOf(t.first)
	if scroll && m.rowAt(vp.Get("scrollTop").Int()) != t.first {
		t.setTop = top
		vp.Set("scrollTop", top)
	}
	if m.scaled() { // rows and pixels no longer line up: the rows go where the viewport is
		top = vp.Get("scrollTop").Int()
	}
	doc.GetElementByID(def.ID+"-window").Get("style").Call("setProperty", "transform", "translateY("+strconv.Itoa(top)+"px)")
	if v := m.h/rowHeight + 2; m.h > 0 && v != t.visible {
		t.visible = v
		ctx.Update()
	}
}

func (t *vtable) onScroll(ctx app.Context, def *tableDef, e app.Event) {
	vp := e.Get("target")
	top := vp.Get("scrollTop").Int()
	first := scrollMap{n: t.rows(def), h: vp.Get("clientHeight").Int()}.rowAt(top)
	if top == t.setTop || first == t.first {
		t.setTop = -1
		ctx.PreventUpdate()
		return
	}
	t.first = first
	ctx.Defer(func(ctx app.Context) { t.layout(ctx, def, false) })
}

// setSort sorts on column c (0-based); on the sorted column it reverses.
func (t *vtable) setSort(c int) {
	if t.sort == c+1 {
		t.desc = !t.desc
	} else {
		t.sort, t.desc = c+1, false
	}
}

// render draws the table: the filter box, the header (each column a sort
// button), the rows in view.
func (t *vtable) render(def *tableDef) app.UI {
	total := t.rows(def)
	if t.visible == 0 {
		t.visible = 30
	}
	t.first = min(t.first, max(0, total-1))
	last := min(t.first+t.visible, total)
	rows := make([]app.UI, 0, max(last-t.first, 0))
	for r := t.first; r < last; r++ {
		i := t.record(def, r)
		row := app.Div().Class("row").Attr("role", "row").Aria("rowindex", r+2).DataSet("record", i)
		rows = append(rows, def.Row(i, row))
	}
	head := make([]app.UI, len(def.Cols))
	for c, col := range def.Cols {
		h := app.Div().Class("col-"+strconv.Itoa(c)+" "+col.Class).Attr("role", "columnheader")
		mark := ""
		if t.sort == c+1 {
			dir := "ascending"
			mark = " ▲"
			if t.desc {
				dir, mark = "descending", " ▼"
			}
			h = h.Aria("sort", dir)
		}
		title := "Sort by " + strings.ToLower(col.Label)
		if col.Title != "" {
			title = col.Title + " (click to sort)"
		}
		head[c] = h.Body(app.Button().Class("sort").Title(title).DataSet("col", c).
			OnClick(func(ctx app.Context, e app.Event) {
				t.setSort(c)
				t.sync(ctx, def)
			}, app.EventScope(def.Of, c)).
			Text(col.Label + mark))
	}
	status := thousands(total) + " of " + thousands(def.N) + " " + def.Noun
	if total == def.N {
		status = thousands(def.N) + " " + def.Noun
	}
	if t.busy {
		status += " · sorting and filtering…"
	}
	// What the rows on screen are, for automation: the order built, not
	// the one asked for while it is being built.
	sorted, filtered := "", ""
	if !t.natural(def) {
		filtered = t.built.text
	}
	if t.built.sort > 0 && !t.natural(def) {
		sorted = def.Cols[t.built.sort-1].Label + map[bool]string{false: " ascending", true: " descending"}[t.built.desc]
	}
	return app.Div().ID(def.ID).Class("vtable").DataSet("busy", t.busy).DataSet("sorted", sorted).DataSet("filtered", filtered).Body(
		app.Div().Class("vtable-bar").Attr("role", "search").Body(
			app.Label().For(def.ID+"-filter").Class("visually-hidden").Text("Filter "+def.Noun),
			app.Input().ID(def.ID+"-filter").Type("search").Class("table-filter").Value(t.text).
				Placeholder(def.Placeholder).Attr("autocomplete", "off").Attr("spellcheck", "false").
				OnChange(func(ctx app.Context, e app.Event) {
					t.text = ctx.JSSrc().Get("value").String()
					t.sync(ctx, def)
				}, app.EventScope(def.Of)),
			app.Span().ID(def.ID+"-count").Class("count").Attr("role", "status").Text(status),
			app.If(t.problem != "", func() app.UI { return app.P().Class("filter-problem").Text(t.problem) }),
		),
		app.Div().Class("vtable-scroll").Body(
			app.Div().Class("vtable-inner").Attr("role", "table").Aria("label", def.Label).Aria("rowcount", total+1).Body(
				app.Div().Class("thead").Attr("role", "rowgroup").Body(
					app.Div().Class("row head").Attr("role", "row").Aria("rowindex", 1).Body(head...),
				),
				app.Div().ID(def.ID+"-viewport").Class("viewport").Attr("role", "rowgroup").TabIndex(0).
					Aria("label", def.Label+": scroll with the arrow keys").
					OnScroll(func(ctx app.Context, e app.Event) { t.onScroll(ctx, def, e) }, app.EventScope(def.Of)).Body(
					app.Div().ID(def.ID+"-sizer").Class("sizer").Body(
						app.Div().ID(def.ID+"-window").Class("window").Body(rows...),
					),
				),
				app.If(total == 0 && !t.busy, func() app.UI {
					return app.P().Class("empty").Text("No " + strings.TrimSuffix(def.Noun, "s") + " matches the filter.")
				}),
			),
		),
	)
}

// mounted keeps the order in step with the settings and lays out after
// the render: the views call it from OnMount, OnUpdate and OnResize.
func (t *vtable) mounted(ctx app.Context, def *tableDef) {
	t.sync(ctx, def)
	ctx.Defer(func(ctx app.Context) { t.layout(ctx, def, true) })
}
