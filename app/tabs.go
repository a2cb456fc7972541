package app

import (
	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// Tabs switch between the result views.
type Tabs struct {
	app.Compo
	S   *State
	Rev int
}

var tabs = []struct{ ID, Label string }{
	{TabPackets, "Packets"},
	{TabConversations, "Conversations"},
	{TabEndpoints, "Endpoints"},
	{TabPorts, "Ports"},
}

func (c *Tabs) Render() app.UI {
	return app.Nav().Class("tabs").Attr("role", "tablist").Aria("label", "Views").Body(
		app.Range(tabs).Slice(func(i int) app.UI {
			t := tabs[i]
			on := c.S.Tab == t.ID
			return app.Button().ID("tab-"+t.ID).Class("tab").Attr("role", "tab").Aria("selected", on).
				Aria("controls", "tabpanel").
				OnClick(func(ctx app.Context, e app.Event) { ctx.NewActionWithValue(actionTab, t.ID) }, app.EventScope(t.ID)).
				Text(t.Label)
		}),
	)
}
