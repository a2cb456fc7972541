package app

import (
	"fmt"
	"strconv"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/portlens/portlens/analyzer/rules"
)

const settingsKey = "portlens.settings"

// Settings are the user's rule settings, remembered in localStorage.
type Settings struct {
	Preset    string `json:"preset"`    // a preset name or "auto"
	TimeWait  int    `json:"time_wait"` // seconds, 0 for the preset's
	Ephemeral string `json:"ephemeral"` // "LO-HI", "" for the preset's
	// NAT names the cloud NAT the clients are behind ("" for none,
	// "custom"); NATBudget and NATTimeWait (seconds) override its own.
	NAT         string `json:"nat,omitempty"`
	NATBudget   int    `json:"nat_budget,omitempty"`
	NATTimeWait int    `json:"nat_time_wait,omitempty"`
}

// Rules turns the settings into the rules' input. A NAT the rules would
// refuse (a custom one without its budget) is left out.
func (s Settings) Rules() rules.Settings {
	rs := rules.DefaultSettings()
	if s.Preset != "" {
		rs.Preset = s.Preset
	}
	if s.TimeWait > 0 {
		rs.TimeWait = time.Duration(s.TimeWait) * time.Second
	}
	if r, err := rules.ParseRange(s.Ephemeral); err == nil {
		rs.Ephemeral = r
	}
	rs.NAT, rs.NATBudget, rs.NATTimeWait = s.NAT, max(s.NATBudget, 0), time.Duration(max(s.NATTimeWait, 0))*time.Second
	if rs.NAT == "" || rs.CheckNAT() != nil {
		rs.NAT, rs.NATBudget, rs.NATTimeWait = "", 0, 0
	}
	return rs
}

// Effective is the preset the settings choose (under auto, the fallback
// for hosts auto cannot judge), as the rules resolve it.
func (s Settings) Effective() rules.Preset { return s.Rules().Chosen() }

// SettingsPanel edits the settings; every change re-judges at once.
type SettingsPanel struct {
	app.Compo
	S   *State
	Rev int
}

func (c *SettingsPanel) Render() app.UI {
	st := c.S.Settings
	p := st.Effective()
	opts := []app.UI{app.Option().Value("auto").Text("auto (per host, else Linux)").Selected(st.Preset == "auto")}
	for _, pr := range rules.Presets {
		opts = append(opts, app.Option().Value(pr.Name).Text(pr.Label+" ("+pr.Ephemeral.String()+")").
			Selected(pr.Name == st.Preset || (st.Preset == "" && pr.Name == "linux")))
	}
	tw := ""
	if st.TimeWait > 0 {
		tw = strconv.Itoa(st.TimeWait)
	}
	return app.Section().Class("settings").Aria("label", "Rule settings").Body(
		app.Div().Class("field").Body(
			app.Label().For("preset").Text("Operating system preset"),
			app.Select().ID("preset").Body(opts...).OnChange(func(ctx app.Context, e app.Event) {
				st := c.S.Settings
				st.Preset = ctx.JSSrc().Get("value").String()
				ctx.NewActionWithValue(actionSettings, st)
			}),
		),
		app.Div().Class("field").Body(
			app.Label().For("timewait").Text("TIME_WAIT (s)"),
			app.Input().ID("timewait").Type("number").Min(1).Max(3600).Value(tw).
				Placeholder(strconv.Itoa(int(p.TimeWait.Seconds()))).
				OnChange(func(ctx app.Context, e app.Event) {
					v, _ := strconv.Atoi(ctx.JSSrc().Get("value").String())
					st := c.S.Settings
					st.TimeWait = max(v, 0)
					ctx.NewActionWithValue(actionSettings, st)
				}),
		),
		app.Div().Class("field").Body(
			app.Label().For("ephemeral").Text("Ephemeral range"),
			app.Input().ID("ephemeral").Type("text").Value(st.Ephemeral).Placeholder(p.Ephemeral.String()).
				Attr("inputmode", "numeric").Attr("pattern", `\d+-\d+`).
				OnChange(func(ctx app.Context, e app.Event) {
					st := c.S.Settings
					st.Ephemeral = ctx.JSSrc().Get("value").String()
					ctx.NewActionWithValue(actionSettings, st)
				}),
		),
		app.P().Class("hint").Text("Judged against "+p.Label+": ephemeral "+p.Ephemeral.String()+
			", TIME_WAIT "+p.TimeWait.String()+". Source: "+p.Source+"."),
		c.natFields(),
	)
}

// natFields choose the cloud NAT the clients are behind and its budget.
func (c *SettingsPanel) natFields() app.UI {
	st := c.S.Settings
	opts := []app.UI{app.Option().Value("").Text("none").Selected(st.NAT == "")}
	for _, n := range rules.NATs {
		opts = append(opts, app.Option().Value(n.Name).Text(fmt.Sprintf("%s (%s)", n.Label, thousands(n.Budget))).
			Selected(n.Name == st.NAT))
	}
	opts = append(opts, app.Option().Value("custom").Text("custom").Selected(st.NAT == "custom"))
	n, on := st.Rules().NATPreset()
	budget, tw := "", ""
	if st.NATBudget > 0 {
		budget = strconv.Itoa(st.NATBudget)
	}
	if st.NATTimeWait > 0 {
		tw = strconv.Itoa(st.NATTimeWait)
	}
	hint := "No NAT: port.exhaustion judges each client's ephemeral range only."
	switch {
	case on:
		hint = fmt.Sprintf("Clients behind %s: %s toward one destination, TIME_WAIT %s. Source: %s.",
			n.Label, plural(n.Budget, "connection", "connections"), span(n.TimeWait), n.Source)
	case st.NAT == "custom":
		hint = "A custom NAT needs its budget and its TIME_WAIT."
	}
	set := func(apply func(st *Settings, v string)) app.EventHandler {
		return func(ctx app.Context, e app.Event) {
			st := c.S.Settings
			apply(&st, ctx.JSSrc().Get("value").String())
			ctx.NewActionWithValue(actionSettings, st)
		}
	}
	return app.Div().Class("nat-settings").Body(
		app.Div().Class("field").Body(
			app.Label().For("nat").Text("Cloud NAT"),
			app.Select().ID("nat").Body(opts...).OnChange(set(func(st *Settings, v string) { st.NAT = v })),
		),
		app.Div().Class("field").Body(
			app.Label().For("nat-budget").Text("NAT budget (per VM and destination)"),
			app.Input().ID("nat-budget").Type("number").Min(1).Max(1000000).Value(budget).Placeholder(placeholder(on, n.Budget)).
				OnChange(set(func(st *Settings, v string) { st.NATBudget, _ = strconv.Atoi(v) })),
		),
		app.Div().Class("field").Body(
			app.Label().For("nat-timewait").Text("NAT TIME_WAIT (s)"),
			app.Input().ID("nat-timewait").Type("number").Min(1).Max(3600).Value(tw).Placeholder(placeholder(on, int(n.TimeWait.Seconds()))).
				OnChange(set(func(st *Settings, v string) { st.NATTimeWait, _ = strconv.Atoi(v) })),
		),
		app.P().ID("nat-hint").Class("hint").Text(hint),
	)
}

func placeholder(on bool, v int) string {
	if !on {
		return ""
	}
	return strconv.Itoa(v)
}

// natLabel names the settings' NAT for the rules' summary line.
func natLabel(st Settings) string {
	if n, ok := st.Rules().NATPreset(); ok {
		return ", behind " + n.Label
	}
	return ""
}
