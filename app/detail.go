package app

import (
	"fmt"
	"net/netip"
	"strconv"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/portlens/portlens/analyzer"
	"github.com/portlens/portlens/analyzer/decode"
)

// Detail shows the selected packet: its headers, then each flag with its
// explanation, the rule it was judged against, advice, and links to the
// related frames. Compact (the embed) leaves out the headers.
type Detail struct {
	app.Compo
	S       *State
	Rev     int
	RowsRev int
	Compact bool

	fetching int
}

func (c *Detail) OnMount(ctx app.Context)  { c.ensure(ctx) }
func (c *Detail) OnUpdate(ctx app.Context) { c.ensure(ctx) }

func (c *Detail) ensure(ctx app.Context) {
	s := c.S
	n := s.Selected
	if n == 0 || s.Res == nil || s.Row(n) != nil || c.fetching == n {
		return
	}
	c.fetching = n
	res, src := s.Res, s.src
	ctx.Async(func() {
		s.loadRows(res, src, []int{n})
		ctx.Dispatch(func(ctx app.Context) {
			c.fetching = 0
			s.RowsRev++
		})
	})
}

func (c *Detail) Render() app.UI {
	s := c.S
	n := s.Selected
	panel := app.Section().ID("detail").Class("detail").Aria("label", "Selected packet").Attr("aria-live", "polite")
	if n == 0 {
		return panel.Body(app.P().Class("empty").Text("Select a packet to see its headers and, for a flagged packet, why it was flagged."))
	}
	row := s.Row(n)
	if row == nil {
		return panel.Body(app.P().Class("empty").Text("Reading frame " + strconv.Itoa(n) + "…"))
	}
	lo, hi := s.Res.Verdict.Of(n)
	return panel.DataSet("frame", n).Body(
		app.Div().Class("detail-head").Body(
			app.H2().Text(fmt.Sprintf("Frame %d", n)),
			app.If(!c.Compact, func() app.UI { return followButton(s, n) }),
		),
		app.If(c.Compact, func() app.UI { return app.P().Class("frame-info").Text(row.Info) }),
		app.If(hi > lo, func() app.UI {
			flags := make([]app.UI, 0, hi-lo)
			for i := lo; i < hi; i++ {
				flags = append(flags, c.renderFlag(i))
			}
			return app.Div().Class("flags").Body(flags...)
		}).ElseIf(c.Compact, func() app.UI {
			return app.P().Class("empty").Text("No flag on this frame.")
		}),
		app.If(!c.Compact, func() app.UI { return c.renderHeaders(row) }),
	)
}

// renderFlag shows flag i of the verdict in words, rendered now.
func (c *Detail) renderFlag(i int) app.UI {
	v := c.S.Res.Verdict
	f := v.Explain(i)
	judged := "No preset: this rule does not depend on the ephemeral range."
	if h, ok := v.JudgedBy(i); ok {
		p := h.Preset
		judged = "Judged by " + h.Host.String() + "'s preset: " + p.Label + ", ephemeral " + p.Ephemeral.String() +
			", TIME_WAIT " + p.TimeWait.String() + " (" + p.Source + ")."
	}
	return app.Article().Class("flag "+string(f.Severity)).DataSet("kind", f.Kind.String()).Body(
		app.H3().Body(
			app.Span().Class("sev-icon "+string(f.Severity)).Aria("hidden", "true").Text(sevGlyph(f.Severity)),
			app.Text(" "),
			app.Span().Class("sev-word").Text(string(f.Severity)),
			app.Text(" · "),
			app.Code().Text(f.Kind.String()),
			app.If(f.Class != "", func() app.UI { return app.Span().Class("class").Text(" · " + f.Class) }),
		),
		app.P().Class("message").Text(f.Message),
		app.P().Class("explanation").Text(f.Explanation),
		app.If(f.Advice != "", func() app.UI {
			return app.P().Class("advice").Body(app.Strong().Text("What to do: "), app.Text(f.Advice))
		}),
		app.If(len(f.Related) > 0, func() app.UI {
			links := []app.UI{app.Span().Text("Related frames: ")}
			for i, r := range f.Related {
				if i > 0 {
					links = append(links, app.Text(", "))
				}
				links = append(links, frameLink(r))
			}
			return app.P().Class("related").Body(links...)
		}),
		app.Details().Class("rule").Body(
			app.Summary().Text("Rule and preset"),
			app.P().Text(f.Rule),
			app.P().Text(judged),
		),
	)
}

// frameLink jumps to frame n. A plain link (not ctx.Navigate) so that it
// works under a sub-path and can be opened with the keyboard.
func frameLink(n int) app.UI {
	return app.A().Href("#frame-"+strconv.Itoa(n)).Class("frame-link").DataSet("frame", n).
		OnClick(func(ctx app.Context, e app.Event) {
			e.PreventDefault()
			ctx.NewActionWithValue(actionSelect, n)
		}, app.EventScope(n)).Text("frame " + strconv.Itoa(n))
}

func (c *Detail) renderHeaders(r *analyzer.Row) app.UI {
	s := c.S
	p := &r.Packet
	tree := []app.UI{
		group("Frame", []kv{
			{"Number", strconv.Itoa(r.Number)},
			{"Arrival time", absTime(r.Time)},
			{"Since first frame", relTime(r.Time, s.Res.FirstTime) + " s"},
			{"Length", fmt.Sprintf("%d bytes on the wire, %d captured", r.Length, r.Captured)},
			{"Link type", r.Link.String()},
		}),
	}
	if p.VLAN >= 0 {
		tree = append(tree, group("802.1Q", []kv{{"VLAN", strconv.Itoa(p.VLAN)}}))
	}
	if p.IPVersion != 0 {
		ip := []kv{
			{"Version", strconv.Itoa(int(p.IPVersion))},
			{"Source", addr(p.Src)},
			{"Destination", addr(p.Dst)},
			{"TTL / hop limit", strconv.Itoa(int(p.TTL))},
		}
		if p.IPVersion == 4 {
			ip = append(ip, kv{"Identification", fmt.Sprintf("0x%04x (%d)", p.IPID, p.IPID)})
		}
		if p.Tunnelled || p.InICMPError {
			ip = append(ip, kv{"Outer source", addr(p.OuterSrc)}, kv{"Outer destination", addr(p.OuterDst)})
		}
		if p.Fragment {
			ip = append(ip, kv{"Fragment", "yes (not the last of its datagram)"})
		}
		if p.Reassembled {
			ip = append(ip, kv{"Reassembled", "yes: the transport fields are the whole datagram's"})
		}
		tree = append(tree, group(fmt.Sprintf("Internet Protocol version %d", p.IPVersion), ip))
	}
	switch p.Transport {
	case decode.TCP:
		tree = append(tree, group("Transmission Control Protocol", c.tcpFields(r)))
	case decode.UDP:
		tree = append(tree, group("User Datagram Protocol", []kv{
			{"Source port", strconv.Itoa(int(p.SrcPort))},
			{"Destination port", strconv.Itoa(int(p.DstPort))},
			{"Payload", fmt.Sprintf("%d bytes", p.PayloadLen)},
		}))
	case decode.SCTP:
		tree = append(tree, group("SCTP", []kv{
			{"Source port", strconv.Itoa(int(p.SrcPort))},
			{"Destination port", strconv.Itoa(int(p.DstPort))},
			{"Verification tag", fmt.Sprintf("0x%08x", p.SCTPVerTag)},
		}))
	}
	if p.ICMPType != 0 || p.Transport == decode.ICMPv4 || p.Transport == decode.ICMPv6 || p.InICMPError {
		tree = append(tree, group("ICMP", []kv{{"Type", strconv.Itoa(int(p.ICMPType))}, {"Code", strconv.Itoa(int(p.ICMPCode))}}))
	}
	return app.Div().Class("headers").Body(append([]app.UI{app.H3().Text("Headers")}, tree...)...)
}

func (c *Detail) tcpFields(r *analyzer.Row) []kv {
	p := &r.Packet
	fields := []kv{
		{"Source port", strconv.Itoa(int(p.SrcPort))},
		{"Destination port", strconv.Itoa(int(p.DstPort))},
		{"Stream index", strconv.Itoa(r.Stream)},
		{"Sequence number (raw)", strconv.FormatUint(uint64(p.Seq), 10)},
		{"Acknowledgment number (raw)", strconv.FormatUint(uint64(p.Ack), 10)},
		{"Flags", analyzer.FlagNames(p.Flags)},
		{"Window", strconv.Itoa(int(p.Window))},
		{"Payload", fmt.Sprintf("%d bytes", p.PayloadLen)},
	}
	o := p.Options
	if o.HasMSS {
		fields = append(fields, kv{"MSS", strconv.Itoa(int(o.MSS))})
	}
	if o.HasWScale {
		fields = append(fields, kv{"Window scale", strconv.Itoa(int(o.WScale))})
	}
	if o.SACKPerm {
		fields = append(fields, kv{"SACK permitted", "yes"})
	}
	if o.HasTS {
		fields = append(fields, kv{"Timestamps", fmt.Sprintf("TSval %d, TSecr %d", o.TSVal, o.TSEcr)})
	}
	if r.Stream >= 0 && r.Stream < c.S.Res.Conversations.Len() {
		conv := c.S.Res.Conversation(r.Stream)
		if conv.PrevStream >= 0 {
			fields = append(fields, kv{"Reuses the ports of", "stream " + strconv.Itoa(int(conv.PrevStream))})
		}
		if conv.NextStream >= 0 {
			fields = append(fields, kv{"Ports reused by", "stream " + strconv.Itoa(int(conv.NextStream))})
		}
	}
	return fields
}

type kv struct{ K, V string }

func group(title string, fields []kv) app.UI {
	return app.Details().Class("hdr").Open(true).Body(
		app.Summary().Text(title),
		app.Dl().Body(app.Range(fields).Slice(func(i int) app.UI {
			return app.Div().Class("kv").Body(app.Dt().Text(fields[i].K), app.Dd().Text(fields[i].V))
		})),
	)
}

func addr(a netip.Addr) string {
	if !a.IsValid() {
		return "-"
	}
	return a.String()
}
