package app

import (
	"cmp"
	"fmt"
	"net/netip"
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/portlens/portlens/analyzer/conv"
	"github.com/portlens/portlens/analyzer/summary"
)

// Endpoints is netstat -an for the capture: the services (address:port
// that clients connected to) with their connections' states at the end of
// the capture and their unanswered SYNs, then the clients' port usage.
// Both are virtual tables (vtable.go): sortable, filterable, any length.
type Endpoints struct {
	app.Compo
	S   *State
	Rev int
}

var stateOrder = []summary.State{summary.Established, summary.SynSent, summary.HalfClosed, summary.TimeWait, summary.Closed}

func (c *Endpoints) Render() app.UI {
	s := c.S
	return app.Section().ID("endpoints").Class("table-view endpoints-view").Aria("label", "Endpoints").Body(
		app.Div().Class("table-part").Body(
			app.H2().Text("Services"),
			app.P().Class("hint").Text("Each address:port that clients opened connections to, with the state of those connections at the end of the capture (TIME_WAIT by the "+
				"preset of the side that closed first). Refused: SYNs the service answered with an RST (nothing listening, or a firewall). Unanswered: SYNs with no answer at all, which point at a full listen queue or a filter."),
			&ServiceTable{S: s, Rev: s.Rev},
		),
		app.Div().Class("table-part").Body(
			app.H2().Text("Clients"),
			app.P().Class("hint").Text("Hosts that opened connections, and the source ports they used, each judged against the ephemeral range of its own preset (under auto, the one inferred for it)."),
			&ClientTable{S: s, Rev: s.Rev},
		),
	)
}

// ServiceTable is the services' virtual table.
type ServiceTable struct {
	app.Compo
	S   *State
	Rev int

	resized resizeWatch
}

func (c *ServiceTable) OnMount(ctx app.Context) {
	c.S.tables.services.mounted(ctx, c.def())
	c.resized.watch(ctx, "services-viewport", c.OnResize)
}
func (c *ServiceTable) OnDismount()              { c.resized.stop() }
func (c *ServiceTable) OnUpdate(ctx app.Context) { c.S.tables.services.mounted(ctx, c.def()) }
func (c *ServiceTable) OnResize(ctx app.Context) { c.S.tables.services.mounted(ctx, c.def()) }
func (c *ServiceTable) Render() app.UI           { return c.S.tables.services.render(c.def()) }

func (c *ServiceTable) def() *tableDef {
	s := c.S
	svcs := s.Services()
	num := func(f func(sv *summary.Service) int) func(func()) func(int) int64 {
		return func(func()) func(int) int64 { return func(i int) int64 { return int64(f(&svcs[i])) } }
	}
	return &tableDef{
		ID: "services", Label: "Services", Noun: "services",
		Placeholder: "Filter: 10.0.0.1, port:443, stream:7, flagged (Enter)",
		N:           len(svcs), Of: s.Res.Verdict,
		Cols: []vcol{
			{Label: "Service", Class: "mono", Cmp: func(a, b int) int { return svcs[a].Addr.Compare(svcs[b].Addr) }},
			{Label: "Answered", Title: "It sent at least one SYN/ACK", Key: num(func(sv *summary.Service) int { return b2i(sv.Answered) })},
			{Label: "Connections", Class: "num", Key: num(func(sv *summary.Service) int { return sv.Connections })},
			{Label: "Clients", Class: "num", Key: num(func(sv *summary.Service) int { return sv.Clients })},
			{Label: "States at end", Title: "Sorted by the connections not CLOSED at the end", Key: num(func(sv *summary.Service) int {
				return sv.Connections - sv.States[summary.Closed]
			})},
			{Label: "Refused (RST)", Class: "num", Key: num(func(sv *summary.Service) int { return sv.Refused })},
			{Label: "Unanswered SYNs", Class: "num", Key: num(func(sv *summary.Service) int { return sv.Unanswered })},
		},
		Filter: func(text string) (matcher, string) { return serviceFilter(s, text) },
		Row: func(i int, row app.HTMLDiv) app.HTMLDiv {
			sv := &svcs[i]
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
			warn := ""
			if sv.Unanswered > 0 {
				warn = " warn"
			}
			return row.Body(
				vcell(0, "mono").Text(sv.Addr.String()),
				vcell(1, "").Text(answered),
				vcell(2, "num").Text(thousands(sv.Connections)),
				vcell(3, "num").Text(thousands(sv.Clients)),
				vcell(4, "").Text(strings.Join(states, ", ")),
				vcell(5, "num").Text(thousands(sv.Refused)),
				vcell(6, "num"+warn).Text(thousands(sv.Unanswered)),
			)
		},
	}
}

// ClientTable is the client hosts' virtual table.
type ClientTable struct {
	app.Compo
	S   *State
	Rev int

	resized resizeWatch
}

func (c *ClientTable) OnMount(ctx app.Context) {
	c.S.tables.clients.mounted(ctx, c.def())
	c.resized.watch(ctx, "clients-viewport", c.OnResize)
}
func (c *ClientTable) OnDismount()              { c.resized.stop() }
func (c *ClientTable) OnUpdate(ctx app.Context) { c.S.tables.clients.mounted(ctx, c.def()) }
func (c *ClientTable) OnResize(ctx app.Context) { c.S.tables.clients.mounted(ctx, c.def()) }
func (c *ClientTable) Render() app.UI           { return c.S.tables.clients.render(c.def()) }

func (c *ClientTable) def() *tableDef {
	s := c.S
	cls := s.Clients()
	num := func(f func(cl *summary.Client) int) func(func()) func(int) int64 {
		return func(func()) func(int) int64 { return func(i int) int64 { return int64(f(&cls[i])) } }
	}
	return &tableDef{
		ID: "clients", Label: "Clients", Noun: "clients",
		Placeholder: "Filter: 10.0.0.1, port:51514, stream:7, flagged (Enter)",
		N:           len(cls), Of: s.Res.Verdict,
		Cols: []vcol{
			{Label: "Client", Class: "mono", Cmp: func(a, b int) int { return cls[a].Addr.Compare(cls[b].Addr) }},
			{Label: "Preset", Cmp: func(a, b int) int {
				return cmp.Or(strings.Compare(cls[a].Preset.Label, cls[b].Preset.Label),
					cmp.Compare(cls[a].Preset.Ephemeral.Lo, cls[b].Preset.Ephemeral.Lo))
			}},
			{Label: "Connections", Class: "num", Key: num(func(cl *summary.Client) int { return cl.Connections })},
			{Label: "Distinct ports", Class: "num", Key: num(func(cl *summary.Client) int { return cl.Ports })},
			{Label: "Port range used", Title: "Sorted by the lowest port, then the highest", Class: "num",
				Key: num(func(cl *summary.Client) int { return int(cl.Lo)<<16 | int(cl.Hi) })},
			{Label: "Outside ephemeral", Class: "num", Key: num(func(cl *summary.Client) int { return cl.Outside })},
			{Label: "Reused", Class: "num", Key: num(func(cl *summary.Client) int { return cl.Reused })},
		},
		Filter: func(text string) (matcher, string) { return clientFilter(s, text) },
		Row: func(i int, row app.HTMLDiv) app.HTMLDiv {
			cl := &cls[i]
			return row.Body(
				vcell(0, "mono").Text(cl.Addr.String()),
				vcell(1, "").Text(cl.Preset.Label+" "+cl.Preset.Ephemeral.String()),
				vcell(2, "num").Text(thousands(cl.Connections)),
				vcell(3, "num").Text(thousands(cl.Ports)),
				vcell(4, "num").Text(fmt.Sprintf("%d–%d", cl.Lo, cl.Hi)),
				vcell(5, "num").Text(thousands(cl.Outside)),
				vcell(6, "num").Text(thousands(cl.Reused)),
			)
		},
	}
}

// serviceFilter is THE filter of the Services table: the predicate on a
// service (its index in State.Services). A service passes when one of its
// conversations passes the Conversations filter (convFilter): 10.0.0.5
// shows the services 10.0.0.5 offers or connected to, port:443 those on
// port 443, stream:7 the service of stream 7. The Wireshark display filter
// engine plugs in here, and only here.
func serviceFilter(s *State, text string) (matcher, string) {
	match, problem := convFilter(s, text)
	if match == nil {
		return nil, problem
	}
	res, svcs := s.Res, s.Services()
	return func(pause func()) func(int) bool {
		index := make(map[netip.AddrPort]int, len(svcs))
		for i := range svcs {
			index[svcs[i].Addr] = i
		}
		return byConversation(s, len(svcs), match(pause), pause, func(c *conv.Conversation) (int, bool) {
			_, server := c.Client()
			i, ok := index[res.AddrPort(server)]
			return i, ok
		})
	}, problem
}

// clientFilter is THE filter of the Clients table: the predicate on a
// client host (its index in State.Clients). As for services: a client
// passes when one of the conversations it opened passes the Conversations
// filter. The Wireshark display filter engine plugs in here, and only here.
func clientFilter(s *State, text string) (matcher, string) {
	match, problem := convFilter(s, text)
	if match == nil {
		return nil, problem
	}
	cls := s.Clients()
	return func(pause func()) func(int) bool {
		index := make(map[conv.HostID]int, len(cls))
		for i := range cls {
			index[cls[i].Host] = i
		}
		return byConversation(s, len(cls), match(pause), pause, func(c *conv.Conversation) (int, bool) {
			client, _ := c.Client()
			i, ok := index[client.Host]
			return i, ok
		})
	}, problem
}

// byConversation passes the records (of n) that a conversation passing
// match belongs to, as owner says.
func byConversation(s *State, n int, match func(int) bool, pause func(), owner func(c *conv.Conversation) (int, bool)) func(int) bool {
	pass := make([]bool, n)
	convs := s.Res.Conversations
	for i := range convs.Len() {
		pause()
		if match(i) {
			if k, ok := owner(convs.At(i)); ok {
				pass[k] = true
			}
		}
	}
	return func(i int) bool { return pass[i] }
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
