package app

import (
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/portlens/portlens/analyzer"
	"github.com/portlens/portlens/analyzer/conv"
	"github.com/portlens/portlens/analyzer/summary"
)

// Conversations lists the TCP streams: 4-tuple, start, duration, packets,
// bytes, how each ended, and reuse chains (6 -> 7 -> 8 on the same ports).
// A virtual table (vtable.go): sortable on every column, filterable, any
// number of rows.
type Conversations struct {
	app.Compo
	S   *State
	Rev int

	resized resizeWatch
}

func (c *Conversations) OnMount(ctx app.Context) {
	c.S.tables.conversations.mounted(ctx, c.def())
	c.resized.watch(ctx, "conversations-table-viewport", c.OnResize)
}
func (c *Conversations) OnDismount()              { c.resized.stop() }
func (c *Conversations) OnUpdate(ctx app.Context) { c.S.tables.conversations.mounted(ctx, c.def()) }
func (c *Conversations) OnResize(ctx app.Context) { c.S.tables.conversations.mounted(ctx, c.def()) }

func (c *Conversations) Render() app.UI {
	s := c.S
	return app.Section().ID("conversations").Class("table-view").Aria("label", "TCP conversations").Body(
		app.P().Class("hint").Text(fmt.Sprintf("%s TCP conversations (Wireshark's tcp.stream). Packets are client → server / server → client; the state is at the capture's end, TIME_WAIT by the %s clock. Click a column to sort, a stream to see its packets.",
			thousands(s.Res.Conversations.Len()), s.Settings.Effective().Label)),
		s.tables.conversations.render(c.def()),
	)
}

func (c *Conversations) def() *tableDef {
	s := c.S
	res := s.Res
	return &tableDef{
		ID: "conversations-table", Label: "TCP conversations", Noun: "conversations",
		Placeholder: "Filter: 10.0.0.1, port:443, stream:7, flagged (Enter)",
		N:           res.Conversations.Len(), Of: res.Verdict,
		Cols:   convCols(res),
		Filter: func(text string) (matcher, string) { return convFilter(s, text) },
		Row:    c.row,
	}
}

func (c *Conversations) row(i int, row app.HTMLDiv) app.HTMLDiv {
	res := c.S.Res
	cv := res.Conversation(i)
	client, server := cv.Client()
	cd := cv.ClientDir()
	if cv.PrevStream >= 0 {
		row = row.Class("reused")
	}
	return row.DataSet("stream", i).Body(
		vcell(0, "num").Body(streamLink(i)),
		vcell(1, "mono").Text(res.AddrPort(client).String()),
		vcell(2, "mono").Text(res.AddrPort(server).String()),
		vcell(3, "num").Text(relTime(cv.FirstTime, res.FirstTime)),
		vcell(4, "num").Text(span(time.Duration(cv.LastTime-cv.FirstTime))),
		vcell(5, "num").Text(fmt.Sprintf("%d / %d", cv.Packets[cd], cv.Packets[1-cd])),
		vcell(6, "num").Text(humanBytes(int64(cv.Bytes[0]+cv.Bytes[1]))),
		vcell(7, "").Text(cv.End().String()+" · "+string(summary.StateOf(res, cv))),
		vcell(8, "").Body(chainUI(summary.Chain(res.Conversations, i), i)),
	)
}

// vcell is a cell of column c of a virtual table.
func vcell(c int, class string) app.HTMLDiv {
	return app.Div().Class("col-"+strconv.Itoa(c)+" "+class).Attr("role", "cell")
}

// chainUI shows a reuse chain around stream i: all of a short one, the
// ends and i's neighbours of a long one.
func chainUI(chain []int, i int) app.UI {
	if len(chain) < 2 {
		return app.Text("")
	}
	at := slices.Index(chain, i)
	var parts []app.UI
	gap := false
	for j, st := range chain {
		if len(chain) > 7 && j > 0 && j < len(chain)-1 && (j < at-2 || j > at+2) {
			gap = true
			continue
		}
		if len(parts) > 0 {
			if gap {
				parts = append(parts, app.Text(" → …"))
			}
			parts = append(parts, app.Text(" → "))
		}
		gap = false
		if st == i {
			parts = append(parts, app.Strong().Text(strconv.Itoa(st)))
		} else {
			parts = append(parts, streamLink(st))
		}
	}
	if len(chain) > 7 {
		parts = append(parts, app.Text(" ("+strconv.Itoa(len(chain))+" streams)"))
	}
	return app.Span().Class("chain").Body(parts...)
}

// convCols are the Conversations columns and their sort keys: numbers
// computed once per sort, so that sorting a million conversations compares
// int64s, never strings.
func convCols(res *analyzer.Result) []vcol {
	convs := res.Conversations
	at := func(f func(c *conv.Conversation) int64) func(func()) func(int) int64 {
		return func(func()) func(int) int64 { return func(i int) int64 { return f(convs.At(i)) } }
	}
	endpoint := func(client bool) func(func()) func(int) int64 {
		return func(pause func()) func(int) int64 {
			rank := hostRanks(res.Hosts, pause)
			return func(i int) int64 {
				c, s := convs.At(i).Client()
				if !client {
					c = s
				}
				return int64(rank[c.Host])<<16 | int64(c.Port)
			}
		}
	}
	return []vcol{
		{Label: "Stream", Title: "tcp.stream", Class: "num", Key: func(func()) func(int) int64 { return func(i int) int64 { return int64(i) } }},
		{Label: "Client", Title: "The side that sent the first SYN (else the first packet)", Class: "mono", Key: endpoint(true)},
		{Label: "Server", Class: "mono", Key: endpoint(false)},
		{Label: "Start (s)", Title: "Seconds since the capture's first packet", Class: "num", Key: at(func(c *conv.Conversation) int64 { return c.FirstTime })},
		{Label: "Duration", Class: "num", Key: at(func(c *conv.Conversation) int64 { return c.LastTime - c.FirstTime })},
		{Label: "Packets", Title: "Client → server / server → client; sorted by their sum", Class: "num",
			Key: at(func(c *conv.Conversation) int64 { return int64(c.Packets[0]) + int64(c.Packets[1]) })},
		{Label: "Bytes", Title: "Both directions, frame lengths on the wire", Class: "num",
			Key: at(func(c *conv.Conversation) int64 { return int64(c.Bytes[0] + c.Bytes[1]) })},
		{Label: "End · state", Title: "How it ended (open, FIN, RST) and its state at the capture's end", Key: at(func(c *conv.Conversation) int64 {
			return int64(c.End())<<8 | int64(slices.Index(stateOrder, summary.StateOf(res, c)))
		})},
		{Label: "Reuse chain", Title: "Conversations on the same ports, oldest first; sorted chains first, chain by chain", Key: chainKey(convs)},
	}
}

// chainKey sorts the conversations of reuse chains first, each chain
// together (keyed by its first stream; ties keep stream order, which is
// chain order), then those that reused nothing and were not reused.
func chainKey(convs *conv.Table) func(func()) func(int) int64 {
	return func(pause func()) func(int) int64 {
		n := convs.Len()
		head := make([]int32, n)
		for i := range n {
			pause()
			head[i] = int32(i)
			// A stream reuses the ports of an older one: its head is known.
			if p := convs.At(i).PrevStream; p >= 0 && int(p) < i {
				head[i] = head[p]
			}
		}
		return func(i int) int64 {
			if c := convs.At(i); c.PrevStream < 0 && c.NextStream < 0 {
				return 1 << 40
			}
			return int64(head[i])
		}
	}
}

// hostRanks ranks the capture's hosts by address, so that an endpoint
// sorts as a number: rank << 16 | port.
func hostRanks(hosts *conv.Hosts, pause func()) []int32 {
	ids := make([]int32, hosts.Len())
	for i := range ids {
		ids[i] = int32(i)
	}
	slices.SortFunc(ids, func(a, b int32) int {
		pause()
		return hosts.Addr(conv.HostID(a)).Compare(hosts.Addr(conv.HostID(b)))
	})
	rank := make([]int32, len(ids))
	for r, id := range ids {
		rank[id] = int32(r)
	}
	return rank
}

// convFilter is THE filter of the Conversations table: the predicate on a
// conversation index (its tcp.stream) for the filter box's text, a
// Wireshark display filter as in the packet list (analyzer's
// ConversationMatcher: addresses, ports, tcp.stream, reused ports, flags
// and findings describe a conversation). Services and clients pass when
// one of their conversations does.
func convFilter(s *State, text string) (matcher, string) {
	f := Filter{Text: text}
	cf, err := f.Compile()
	if err != nil {
		return nil, err.Error()
	}
	if cf == nil {
		return nil, ""
	}
	match, err := s.Res.ConversationMatcher(cf)
	if err != nil {
		return nil, err.Error()
	}
	return func(pause func()) func(int) bool { return match }, ""
}

// followFilter is the filter that shows one TCP conversation's packets:
// the one place that spells it (with Wireshark's display filters it
// becomes "tcp.stream == N").
func followFilter(stream int) Filter {
	return Filter{Text: "tcp.stream == " + strconv.Itoa(stream)}
}

// streamLink shows one stream's packets.
func streamLink(stream int) app.UI {
	return app.A().Href("#stream-"+strconv.Itoa(stream)).Class("stream-link").DataSet("stream", stream).
		OnClick(func(ctx app.Context, e app.Event) {
			e.PreventDefault()
			ctx.NewActionWithValue(actionFilter, followFilter(stream))
			ctx.NewActionWithValue(actionTab, TabPackets)
		}, app.EventScope(stream)).Text(strconv.Itoa(stream))
}
