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
		app.Range(shownTabs(c.S)).Slice(func(i int) app.UI {
			t := shownTabs(c.S)[i]
			on := c.S.Tab == t.ID
			return app.Button().ID("tab-"+t.ID).Class("tab").Attr("role", "tab").Aria("selected", on).
				Aria("controls", "tabpanel").
				OnClick(func(ctx app.Context, e app.Event) { ctx.NewActionWithValue(actionTab, t.ID) }, app.EventScope(t.ID)).
				Text(t.Label)
		}),
	)
}

// shownTabs are the tabs of a result: Findings first when there are any.
func shownTabs(s *State) []struct{ ID, Label string } {
	if !hasFindings(s) {
		return tabs
	}
	return append([]struct{ ID, Label string }{{TabFindings, "Findings"}}, tabs...)
}
