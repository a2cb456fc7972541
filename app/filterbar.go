package app

import (
	"fmt"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// FilterBar edits the packet list's filter.
type FilterBar struct {
	app.Compo
	S   *State
	Rev int
}

func (c *FilterBar) OnMount(ctx app.Context)  { c.syncInput(ctx) }
func (c *FilterBar) OnUpdate(ctx app.Context) { c.syncInput(ctx) }

// syncInput keeps the box's live value in step with the filter when the
// filter changes elsewhere (Clear, a stream link): the value attribute
// alone does not change what an edited input shows.
func (c *FilterBar) syncInput(ctx app.Context) {
	text := c.S.Filter.Text
	ctx.Defer(func(ctx app.Context) {
		if el := app.Window().GetElementByID("filter-text"); el.Truthy() && el.Get("value").String() != text {
			el.Set("value", text)
		}
	})
}

func (c *FilterBar) apply(ctx app.Context, f Filter) {
	ctx.NewActionWithValue(actionFilter, f)
}

func (c *FilterBar) Render() app.UI {
	s := c.S
	f := s.Filter
	count := fmt.Sprintf("%s of %s packets", thousands(s.Len()), thousands(s.Res.Frames.Len()))
	if s.Filtering {
		count = "Filtering " + thousands(s.Res.Frames.Len()) + " packets…"
	}
	cls := "filter-text"
	if s.FilterProblem != "" {
		cls += " invalid"
	}
	return app.Div().Class("filterbar").Attr("role", "search").Body(
		app.Label().For("filter-text").Class("visually-hidden").Text("Display filter (Wireshark's syntax)"),
		app.Input().ID("filter-text").Class(cls).Type("search").Value(f.Text).
			Placeholder("Apply a display filter: tcp.stream == 3, ip.addr == 10.0.0.1 && tcp.flags.syn == 1, tcp.analysis.reused_ports (Enter)").
			Aria("invalid", s.FilterProblem != "").Aria("describedby", "filter-problem").
			Attr("autocomplete", "off").Attr("spellcheck", "false").
			OnChange(func(ctx app.Context, e app.Event) {
				nf := c.S.Filter
				nf.Text = ctx.JSSrc().Get("value").String()
				c.apply(ctx, nf)
			}),
		app.Label().Class("check").Body(
			app.Input().ID("flagged-only").Type("checkbox").Checked(f.FlaggedOnly).
				OnChange(func(ctx app.Context, e app.Event) {
					nf := c.S.Filter
					nf.FlaggedOnly = ctx.JSSrc().Get("checked").Bool()
					c.apply(ctx, nf)
				}),
			app.Text(" Flagged only"),
		),
		app.If(f.Kind != "", func() app.UI {
			return app.Button().Class("chip").Title("Remove this filter").
				OnClick(func(ctx app.Context, e app.Event) {
					nf := c.S.Filter
					nf.Kind = ""
					c.apply(ctx, nf)
				}).Text(f.Kind + " ✕")
		}),
		app.If(f.Active(), func() app.UI {
			return app.Button().ID("filter-clear").Class("button small").Text("Clear").
				OnClick(func(ctx app.Context, e app.Event) { c.apply(ctx, Filter{}) })
		}),
		app.Span().ID("filter-count").Class("count").Attr("role", "status").Text(count),
		app.If(s.FilterProblem != "", func() app.UI {
			return app.P().ID("filter-problem").Class("filter-problem").Attr("role", "alert").Text(s.FilterProblem)
		}),
		app.P().Class("keys").Text("Keys: ↑ ↓ move · n / p next / previous flag · f follow the TCP stream · Esc clear the filter"),
	)
}
