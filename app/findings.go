package app

import (
	"slices"
	"strconv"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/portlens/portlens/analyzer/rules"
)

// TabFindings is the findings view: the first tab after a capture loads
// when it has findings.
const TabFindings = "findings"

// findingsPage is how many findings the view lists at first, and adds
// with each "Show more".
const findingsPage = 25

// findingsStep is how many findings are added to the page at once: the
// list grows over a few frames, so mounting it never holds the main
// thread for long.
const findingsStep = 5

// FindingsView lists the verdict's findings, ranked: each expands (a
// <details>) to its explanation, advice and example frames, and one
// button filters the packet list to its flagged frames
// (portlens.finding==RANK) and selects the first.
type FindingsView struct {
	app.Compo
	S       *State
	Rev     int
	RowsRev int

	shown   int // findings listed
	target  int // findings to list: shown grows to it a few at a time
	growing bool
	open    map[int]bool // findings expanded by the user (the first is, at first)
	loading bool
	verdict *rules.Verdict // the verdict shown and open belong to
}

func (c *FindingsView) OnMount(ctx app.Context)  { c.ensureRows(ctx); c.grow(ctx) }
func (c *FindingsView) OnUpdate(ctx app.Context) { c.ensureRows(ctx); c.grow(ctx) }

// grow lists findingsStep more findings after the browser has had a
// turn, until target are listed.
func (c *FindingsView) grow(ctx app.Context) {
	if c.growing || c.shown >= c.target || c.S.Res == nil || c.shown >= len(c.S.Res.Verdict.Findings()) {
		return
	}
	c.growing = true
	v := c.verdict
	afterTurn(ctx, func(ctx app.Context) {
		c.growing = false
		if c.verdict == v {
			c.shown = min(c.shown+findingsStep, c.target)
		}
	})
}

// reset starts over when the verdict changes (another capture, or new
// settings): ranks mean other findings then.
func (c *FindingsView) reset() {
	if v := c.S.Res.Verdict; c.verdict != v {
		// A capture's results list the top finding first: the view is
		// mounted in one task with the focus on it (Page.showResults), and
		// the others follow a few at a time, each step a task of its own.
		c.verdict, c.shown, c.target, c.open = v, 1, findingsPage, map[int]bool{0: true}
	}
}

// ensureRows reads again the example frames of the expanded findings, so
// they show as packet-list rows.
func (c *FindingsView) ensureRows(ctx app.Context) {
	s := c.S
	if s.Res == nil || s.Res.Verdict == nil || c.loading {
		return
	}
	c.reset()
	var want []int
	fs := s.Res.Verdict.Findings()
	for i := range c.open {
		if c.open[i] && i < len(fs) {
			for _, f := range fs[i].Frames() {
				if s.Row(int(f)) == nil {
					want = append(want, int(f))
				}
			}
		}
	}
	if len(want) == 0 {
		return
	}
	slices.Sort(want)
	c.loading = true
	res, src := s.Res, s.src
	ctx.Async(func() {
		s.loadRows(res, src, want)
		ctx.Dispatch(func(ctx app.Context) {
			c.loading = false
			s.RowsRev++
		})
	})
}

func (c *FindingsView) Render() app.UI {
	s := c.S
	c.reset()
	v := s.Res.Verdict
	fs := v.Findings()
	n := min(c.shown, len(fs))
	return app.Section().ID("findings").Class("findings-view").Aria("label", "Findings").Body(
		app.P().Class("hint findings-intro").Text(counted(len(fs), "finding groups", "findings group")+" the "+
			counted(len(v.Flags), "flag", "flags")+" by cause and subject, most important first: warnings, then those that concern the most connections. "+
			"Open one for its explanation and examples; “Show its frames” filters the packet list to it."),
		app.Ol().Class("findings-list").OnKeyDown(c.onKey).Body(
			app.Range(fs[:n]).Slice(func(i int) app.UI {
				return c.renderFinding(i)
			}),
		),
		app.If(n < len(fs) && c.shown >= c.target, func() app.UI {
			return app.Button().ID("findings-more").Class("small").
				OnClick(func(ctx app.Context, e app.Event) { c.target = c.shown + findingsPage }).
				Text("Show " + strconv.Itoa(min(findingsPage, len(fs)-n)) + " more (" + thousands(len(fs)-n) + " not shown)")
		}),
	)
}

// renderFinding shows finding i (rank i+1).
func (c *FindingsView) renderFinding(i int) app.UI {
	s := c.S
	v := s.Res.Verdict
	fd := &v.Findings()[i]
	f := v.ExplainFinding(i)
	return app.Li().ID("finding-"+strconv.Itoa(i+1)).Class("finding "+string(f.Severity)).
		DataSet("finding", i+1).DataSet("kind", f.Kind.String()).DataSet("count", f.Count).Body(
		app.Details().Open(c.open[i]).
			OnToggle(func(ctx app.Context, e app.Event) {
				open := ctx.JSSrc().Get("open").Bool()
				if c.open[i] != open {
					c.open[i] = open
					c.ensureRows(ctx)
				} else {
					ctx.PreventUpdate()
				}
			}, app.EventScope(strconv.Itoa(i))).
			Body(
				app.Summary().Class("finding-head").Body(
					app.Span().Class("rank").Text(strconv.Itoa(i+1)+"."),
					app.Span().Class("sev-icon "+string(f.Severity)).Aria("hidden", "true").Text(sevGlyph(f.Severity)),
					app.Span().Class("visually-hidden").Text(string(f.Severity)),
					app.Code().Class("finding-kind").Text(kindAndClass(f.Kind, f.Class)),
					app.Span().Class("finding-title").Text(f.Title),
				),
				app.If(c.open[i], func() app.UI { return c.renderBody(i, fd, &f) }),
			),
	)
}

func (c *FindingsView) renderBody(i int, fd *rules.Finding, f *rules.ExplainedFinding) app.UI {
	first := f.FirstFrame
	return app.Div().Class("finding-body").Body(
		app.P().Class("explanation").Text(f.Explanation),
		app.If(f.Advice != "", func() app.UI {
			return app.P().Class("advice").Body(app.Strong().Text("What to do: "), app.Text(f.Advice))
		}),
		app.Div().Class("examples").Body(
			app.H3().Text("Examples"),
			app.Div().Class("example-rows").Body(
				app.Range(f.Frames).Slice(func(k int) app.UI { return c.renderExample(i, fd, f.Frames[k]) }),
			),
		),
		app.Button().Class("show-frames small").DataSet("finding", i+1).
			OnClick(func(ctx app.Context, e app.Event) { showFinding(ctx, i, first) }, app.EventScope(strconv.Itoa(i))).
			Text("Show its "+counted(f.Count, "flagged frame", "flagged frames")+" in the packet list"),
	)
}

// renderExample is one example frame as a packet-list row, labelled first,
// worst or last where it is; a click shows it among the finding's frames.
func (c *FindingsView) renderExample(i int, fd *rules.Finding, n int) app.UI {
	var label string
	switch {
	case fd.Count == 1:
	case int(fd.WorstFrame) == n && int(fd.FirstFrame) == n:
		label = "first, worst"
	case int(fd.WorstFrame) == n:
		label = "worst"
	case int(fd.FirstFrame) == n:
		label = "first"
	case int(fd.LastFrame) == n:
		label = "last"
	}
	info, from, to, proto, at := "", "", "", "", ""
	if r := c.S.Row(n); r != nil {
		info, from, to, proto, at = r.Info, r.Source, r.Destination, r.Protocol, relTime(r.Time, c.S.Res.FirstTime)
	}
	return app.Button().Class("example").DataSet("frame", n).
		Title("Show frame "+strconv.Itoa(n)+" in the packet list, among the finding's frames").
		OnClick(func(ctx app.Context, e app.Event) { showFinding(ctx, i, n) }, app.EventScope(strconv.Itoa(n))).
		Body(
			app.Span().Class("ex-label").Text(label),
			app.Span().Class("c-no").Text(strconv.Itoa(n)),
			app.Span().Class("c-time").Text(at),
			app.Span().Class("c-src").Text(from),
			app.Span().Class("c-dst").Text(to),
			app.Span().Class("c-proto").Text(proto),
			app.Span().Class("c-info").Text(info),
		)
}

// showFinding filters the packet list to finding i's flagged frames and
// selects frame n (which switches to the packet list).
func showFinding(ctx app.Context, i, n int) {
	ctx.NewActionWithValue(actionFilter, Filter{Text: findingTerm(i)})
	ctx.NewActionWithValue(actionSelect, n)
	// The findings were long: bring the packet list into view once shown
	// (a browser timer: this view is gone by then, and its context too).
	var scroll app.Func
	scroll = app.FuncOf(func(this app.Value, args []app.Value) any {
		if tp := app.Window().GetElementByID("tabpanel"); tp.Truthy() {
			tp.Call("scrollIntoView", map[string]any{"block": "start"})
		}
		scroll.Release()
		return nil
	})
	app.Window().Call("setTimeout", scroll, 100)
}

// findingTerm is the filter term of finding i (rank i+1).
func findingTerm(i int) string { return "portlens.finding==" + strconv.Itoa(i+1) }

func kindAndClass(k rules.Kind, class string) string {
	if class == "" {
		return k.String()
	}
	return k.String() + " · " + class
}

// counted is "1 flag", "176,542 flags".
func counted(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return thousands(n) + " " + many
}

// hasFindings reports whether the result has findings to show.
func hasFindings(s *State) bool {
	return s.Res != nil && s.Res.Verdict != nil && len(s.Res.Verdict.Findings()) > 0
}

// rulesLabel says what the rules judged by: the preset, or under auto
// what the verdict inferred per host ("auto: 3 hosts Linux, 1 Windows
// (inferred); 12 assumed Linux").
func rulesLabel(s *State) string {
	if s.Settings.Rules().Preset == "auto" && s.Res != nil && s.Res.Verdict != nil {
		d := s.fresh()
		if d.presets == "" {
			d.presets = "auto: " + s.Res.Verdict.PresetSummary()
		}
		return d.presets
	}
	return s.Settings.Effective().Label + " preset"
}

// EmbedFinding is the embed's top finding (view=findings): its title,
// explanation and example frames, above the packet list filtered to it.
type EmbedFinding struct {
	app.Compo
	S   *State
	Rev int
}

func (c *EmbedFinding) Render() app.UI {
	s := c.S
	if !hasFindings(s) {
		return app.P().ID("embed-finding").Class("empty").Text("No findings: nothing flagged.")
	}
	v := s.Res.Verdict
	f := v.ExplainFinding(0)
	links := []app.UI{app.Span().Text("Examples: ")}
	for k, n := range f.Frames {
		if k > 0 {
			links = append(links, app.Text(", "))
		}
		links = append(links, frameLink(n))
	}
	more := ""
	if n := len(v.Findings()); n > 1 {
		more = " (the first of " + thousands(n) + " findings)"
	}
	return app.Article().ID("embed-finding").Class("flag finding-card "+string(f.Severity)).DataSet("kind", f.Kind.String()).Body(
		app.H3().Body(
			app.Span().Class("sev-icon "+string(f.Severity)).Aria("hidden", "true").Text(sevGlyph(f.Severity)),
			app.Text(" "),
			app.Code().Text(kindAndClass(f.Kind, f.Class)),
			app.Span().Class("more").Text(more),
		),
		app.P().Class("message").Text(f.Title),
		app.P().Class("explanation").Text(f.Explanation),
		app.P().Class("related").Body(links...),
	)
}

// onKey moves between the findings from the keyboard, as in the packet
// list: ↓/j and ↑/k to the next and previous finding, Home and End to
// the first and last shown; Enter and Space open one (its <summary>).
func (c *FindingsView) onKey(ctx app.Context, e app.Event) {
	if e.Get("ctrlKey").Bool() || e.Get("altKey").Bool() || e.Get("metaKey").Bool() {
		return
	}
	at := focusedFinding()
	// The keys move over every finding the list is to show, also those
	// it has not added yet (it grows a few at a time after the results
	// appear): such a one is added at once, then focused.
	n := min(max(c.target, c.shown), len(c.S.Res.Verdict.Findings()))
	to := -1
	switch e.Get("key").String() {
	case "ArrowDown", "j":
		to = min(at+1, n-1)
	case "ArrowUp", "k":
		to = max(at-1, 0)
	case "Home":
		to = 0
	case "End":
		to = n - 1
	}
	if to < 0 {
		ctx.PreventUpdate()
		return
	}
	e.PreventDefault()
	if to < c.shown {
		focusFinding(to)
		ctx.PreventUpdate()
		return
	}
	c.shown = to + 1
	ctx.Defer(func(ctx app.Context) { focusFinding(to) })
}

// focusFinding gives the keyboard to finding i's summary (rank i+1),
// reporting whether it is on the page.
func focusFinding(i int) bool {
	doc := app.Window().Get("document")
	sum := doc.Call("querySelector", "#finding-"+strconv.Itoa(i+1)+" > details > summary")
	if !sum.Truthy() {
		return false
	}
	sum.Call("focus", map[string]any{"preventScroll": i == 0})
	return true
}

// focusedFinding is the index of the finding whose summary has the
// keyboard, -1 when none.
func focusedFinding() int {
	ae := app.Window().Get("document").Get("activeElement")
	if !ae.Truthy() {
		return -1
	}
	li := ae.Call("closest", "li.finding")
	if !li.Truthy() {
		return -1
	}
	n, err := strconv.Atoi(li.Get("dataset").Get("finding").String())
	if err != nil {
		return -1
	}
	return n - 1
}
