package app

import (
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
}

// Rules turns the settings into the rules' input.
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
	)
}
