package app

import (
	"fmt"
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/portlens/portlens/analyzer/summary"
)

// Endpoints is netstat -an for the capture: the services (address:port
// that clients connected to) with their connections' states at the end of
// the capture and their unanswered SYNs, then the clients' port usage.
type Endpoints struct {
	app.Compo
	S   *State
	Rev int
}

var stateOrder = []summary.State{summary.Established, summary.SynSent, summary.HalfClosed, summary.TimeWait, summary.Closed}

func (c *Endpoints) Render() app.UI {
	s := c.S
	svcs, clients := s.Services(), s.Clients()
	svcs = svcs[:min(len(svcs), pageSize)]
	clients = clients[:min(len(clients), pageSize)]
	return app.Section().ID("endpoints").Class("table-view").Aria("label", "Endpoints").Body(
		app.H2().Text("Services"),
		app.P().Class("hint").Text("Each address:port that clients opened connections to, with the state of those connections at the end of the capture (TIME_WAIT by the "+
			"preset of the side that closed first). Refused: SYNs the service answered with an RST (nothing listening, or a firewall). Unanswered: SYNs with no answer at all, which point at a full listen queue or a filter."),
		app.Div().Class("scroll").Body(app.Table().ID("services").Body(
			app.THead().Body(app.Tr().Body(th("Service"), th("Answered"), th("Connections"), th("Clients"), th("States at end"), th("Refused (RST)"), th("Unanswered SYNs"))),
			app.TBody().Body(app.Range(svcs).Slice(func(i int) app.UI {
				sv := svcs[i]
				var states []string
				for _, st := range stateOrder {
					if n := sv.States[st]; n > 0 {
						states = append(states, fmt.Sprintf("%s %d", st, n))
					}
				}
				answered := "no"
				if sv.Answered {
					answered = "yes"
				}
				cls := ""
				if sv.Unanswered > 0 {
					cls = "warn"
				}
				return app.Tr().Body(
					app.Td().Class("mono").Text(sv.Addr.String()),
					app.Td().Text(answered),
					app.Td().Class("num").Text(thousands(sv.Connections)),
					app.Td().Class("num").Text(thousands(sv.Clients)),
					app.Td().Text(strings.Join(states, ", ")),
					app.Td().Class("num").Text(thousands(sv.Refused)),
					app.Td().Class("num "+cls).Text(thousands(sv.Unanswered)),
				)
			})),
		)),
		app.H2().Text("Clients"),
		app.P().Class("hint").Text("Hosts that opened connections, and the source ports they used, each judged against the ephemeral range of its own preset (under auto, the one inferred for it)."),
		app.Div().Class("scroll").Body(app.Table().ID("clients").Body(
			app.THead().Body(app.Tr().Body(th("Client"), th("Preset"), th("Connections"), th("Distinct ports"), th("Port range used"), th("Outside ephemeral"), th("Reused"))),
			app.TBody().Body(app.Range(clients).Slice(func(i int) app.UI {
				cl := clients[i]
				return app.Tr().Body(
					app.Td().Class("mono").Text(cl.Addr.String()),
					app.Td().Text(cl.Preset.Label+" "+cl.Preset.Ephemeral.String()),
					app.Td().Class("num").Text(thousands(cl.Connections)),
					app.Td().Class("num").Text(thousands(cl.Ports)),
					app.Td().Class("num").Text(fmt.Sprintf("%d–%d", cl.Lo, cl.Hi)),
					app.Td().Class("num").Text(thousands(cl.Outside)),
					app.Td().Class("num").Text(thousands(cl.Reused)),
				)
			})),
		)),
	)
}
