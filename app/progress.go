package app

import (
	"fmt"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// Progress shows how far the reading is, and lets the user cancel it.
type Progress struct {
	app.Compo
	File    string
	Size    int64
	Bytes   int64
	Packets int
	Started time.Time
}

func (c *Progress) Render() app.UI {
	pct := 0.0
	if c.Size > 0 {
		pct = 100 * float64(c.Bytes) / float64(c.Size)
	}
	secs := time.Since(c.Started).Seconds()
	rate := ""
	if secs > 0.05 && c.Packets > 0 {
		rate = fmt.Sprintf(" · %s packets/s · %s/s", thousands(int(float64(c.Packets)/secs)), humanBytes(int64(float64(c.Bytes)/secs)))
	}
	return app.Section().Class("progress").Aria("label", "Reading").Body(
		app.P().Body(app.Text("Reading "), app.Strong().Text(c.File), app.Text(" in this tab…")),
		app.Progress().ID("progress-bar").Max(100).Value(fmt.Sprintf("%.1f", pct)).Aria("label", "bytes read"),
		app.P().Class("progress-figures").Attr("role", "status").Text(fmt.Sprintf("%s of %s · %s packets%s",
			humanBytes(c.Bytes), humanBytes(c.Size), thousands(c.Packets), rate)),
		app.Button().ID("cancel").Class("button").Text("Cancel").
			OnClick(func(ctx app.Context, e app.Event) { ctx.NewAction(actionCancel) }),
	)
}
