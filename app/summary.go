package app

import (
	"sort"
	"strings"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/portlens/portlens/analyzer"
	"github.com/portlens/portlens/analyzer/rules"
)

// Summary: what the file is, what it holds, and its flags by kind (each a
// button that filters the packet list to that kind).
type Summary struct {
	app.Compo
	S   *State
	Rev int

	// settingsOpen: the rule settings are built only while shown (they are
	// not small, and the results' first paint should be).
	settingsOpen bool
}

func (c *Summary) Render() app.UI {
	s := c.S
	res := s.Res
	info := res.Info()
	format := info.Format
	if info.Compressed {
		format += ", gzip"
	}
	if format == "" {
		format = "unknown"
	}
	links := strings.Join(res.LinkTypes(), ", ")
	if links == "" {
		links = "none"
	}
	spanText, start := "-", "-"
	if res.Packets > 0 {
		spanText = span(res.Duration())
		start = time.Unix(0, res.FirstTime).UTC().Format("2006-01-02 15:04:05 UTC")
	}
	counts := res.FlagCounts()
	kinds := make([]rules.Kind, 0, len(counts))
	for k := range counts {
		kinds = append(kinds, k)
	}
	sort.Slice(kinds, func(i, j int) bool { return kinds[i].String() < kinds[j].String() })

	return app.Section().ID("summary").Class("summary").Aria("label", "Summary").Body(
		app.Div().Class("summary-head").Body(
			app.H2().Class("file-name").Text(res.File),
			&Exports{S: s, Rev: s.Rev},
			&Share{S: s, Rev: s.Rev},
		),
		app.Dl().Class("facts").Body(
			fact("Format", format),
			fact("Link types", links),
			fact("Packets", thousands(res.Packets)),
			fact("First packet", start),
			fact("Span", spanText),
			fact("TCP conversations", thousands(res.Conversations.Len())),
			fact("Read in", span(s.Elapsed)+" · "+humanBytes(readBytes(s))),
			app.If(res.ReassemblyNote() != "", func() app.UI { return fact("Reassembly", res.ReassemblyNote()) }),
		),
		app.Div().Class("flag-kinds").Attr("role", "group").Aria("label", "Flags by kind").Body(
			app.If(res.Packets == 0, func() app.UI {
				return app.P().ID("no-packets").Class("hint").Text("No packets: nothing to judge.")
			}).ElseIf(len(res.Flags()) == 0, func() app.UI {
				return app.P().ID("no-flags").Class("ok").Text(noFlags(res, s.Settings.Effective().Label))
			}).Else(func() app.UI {
				return app.Div().Body(
					app.Span().Class("label").Text(plural(len(res.Flags()), "flag", "flags")+":"),
					app.Range(kinds).Slice(func(i int) app.UI {
						k := kinds[i]
						on := s.Filter.Kind == k.String()
						return app.Button().Class("kind").DataSet("kind", k.String()).Aria("pressed", on).
							Title("Show only "+k.String()+" in the packet list").
							OnClick(func(ctx app.Context, e app.Event) {
								f := Filter{Kind: k.String()}
								if on {
									f = Filter{}
								}
								ctx.NewActionWithValue(actionFilter, f)
								ctx.NewActionWithValue(actionTab, TabPackets)
							}, app.EventScope(k, on)).
							Body(app.Span().Class("kind-name").Text(k.String()), app.Span().Class("count").Text(thousands(counts[k])))
					}),
				)
			}),
		),
		app.Details().Class("settings-box").Open(c.settingsOpen).
			OnToggle(func(ctx app.Context, e app.Event) {
				if open := ctx.JSSrc().Get("open").Bool(); open != c.settingsOpen {
					c.settingsOpen = open
				} else {
					ctx.PreventUpdate()
				}
			}).Body(
			app.Summary().ID("rules-line").Text("Rules: "+rulesLabel(s)+natLabel(s.Settings)+" (change)"),
			app.If(c.settingsOpen, func() app.UI { return &SettingsPanel{S: s, Rev: s.Rev} }),
		),
	)
}

func fact(name, value string) app.UI {
	return app.Div().Class("fact").Body(app.Dt().Text(name), app.Dd().Text(value))
}

// readBytes is how much of the file the results cover: all of it, unless
// the reading was stopped.
func readBytes(s *State) int64 {
	if s.Res != nil && s.Res.Stopped {
		return s.Bytes
	}
	return s.Size
}

// noFlags says that nothing was flagged, and in what: a clean result only
// covers the packets read, which damage or the memory budget cuts short.
func noFlags(res *analyzer.Result, preset string) string {
	in := ""
	switch {
	case res.StopReason == analyzer.StopMemory || res.StopReason == analyzer.StopPackets:
		in = " in the " + plural(res.Packets, "packet", "packets") + " read before the budget stopped the reading"
	case res.Error != "":
		in = " in the " + plural(res.Packets, "packet", "packets") + " read before the damage"
	}
	return "No flags" + in + ": no port reuse or ephemeral-port problem found with the " + preset + " preset."
}
