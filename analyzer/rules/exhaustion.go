package rules

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/portlens/portlens/analyzer/conv"
)

const exhaustionRule = "A client holds at most (range size) connections to one server address and port at once, counting " +
	"those in TIME_WAIT; beyond that connect() fails with EADDRNOTAVAIL (Linux: 28232 ports, about 470 new connections a " +
	"second over 60 s of TIME_WAIT; sources per preset in analyzer/rules/RULES.md)"

// busySpan is the time one connection keeps its client port: from its
// first packet to its end, plus TIME_WAIT when the client closed first,
// to the end of the capture when it never closed.
type busySpan struct {
	from, to int64
	c        int32
}

func spanOf(c *conv.Conversation, i int32, clientDir conv.Dir, tw time.Duration, captureEnd int64) busySpan {
	b := busySpan{from: c.FirstTime, to: c.LastTime, c: i}
	switch c.End() {
	case conv.Fin:
		if d, _ := c.ClosedFirstBy(); d == clientDir {
			b.to += int64(tw)
		}
	case conv.Open:
		if c.Packets[clientDir.Reverse()] > 0 && captureEnd > b.to {
			b.to = captureEnd
		}
	}
	return b
}

// destEvidence is what one port.exhaustion flag says: a client, a
// destination, and the numbers of the sweep over its connections.
type destEvidence struct {
	client      conv.HostID
	server      conv.Endpoint
	n           int           // connections
	first, last int32         // the first and the last connection (by start)
	span        time.Duration // from the first connection's start to the last's
	peak, most  int           // ports busy at once; connections within one TIME_WAIT
	need        int           // busy ports that make the flag (under a NAT: its budget)

	// Under a NAT (class nat-budget, natbudget.go): the connections that
	// held a port; when the budget first filled and until when, by which
	// connection, held by how many open and how many closed; the
	// connections whose SYN nothing answered while it was full (the
	// first and last, their SYNs with retransmissions) and at other times.
	answered             int
	fullAt, fullUntil    int64
	fullConv             int32
	open, waiting        int
	dropped, droppedSYNs int
	otherUnanswered      int
	firstDrop, lastDrop  int32
}

// exhaustion flags, once per client and destination, a client that keeps
// s.ExhaustionShare of its ephemeral range busy toward one server address
// and port, or opens more connections within one TIME_WAIT than the range
// has ports (it cycles through the range).
func exhaustion(v *Verdict) []Flag {
	in, s, hosts := &v.in, v.s, v.hosts
	// Only a destination with at least min(need, size+1) connections can
	// be flagged, and a client opened no more connections to one
	// destination than in all: clients below the least threshold of any
	// preset are skipped without resolving their preset.
	least := exhaustionFloor(hosts.fallback, s)
	for _, p := range Presets {
		least = min(least, exhaustionFloor(p, s))
	}
	candidate := make([]bool, len(hosts.stats))
	some := false
	for id, st := range hosts.stats {
		if st.conns >= least {
			p := hosts.preset(conv.HostID(id))
			candidate[id] = st.conns >= exhaustionFloor(*p, s)
			some = some || candidate[id]
		}
	}
	if !some {
		return nil
	}
	// Count each destination's connections, then build the spans of
	// those that have enough.
	type dest struct {
		client conv.HostID
		server conv.Endpoint
		n      int
		spans  []busySpan
	}
	var dests []dest
	idx := make(map[[2]uint64]int32)
	convs := in.Conversations
	group := make([]int32, convs.Len())
	for i := range convs.Len() {
		in.Pacer.Tick()
		group[i] = -1
		c := convs.At(i)
		if c.SYN.Frame == 0 && c.SYNACK.Frame == 0 {
			continue
		}
		cl, server := c.A, c.B
		if !clientIsA(c) {
			cl, server = c.B, c.A
		}
		if !candidate[cl.Host] {
			continue
		}
		ik := [2]uint64{uint64(uint32(cl.Host)), uint64(uint32(server.Host))<<16 | uint64(server.Port)}
		g, seen := idx[ik]
		if !seen {
			g = int32(len(dests))
			idx[ik] = g
			dests = append(dests, dest{client: cl.Host, server: server})
		}
		group[i] = g
		dests[g].n++
	}
	for g := range dests {
		if dests[g].n < exhaustionFloor(*hosts.preset(dests[g].client), s) {
			dests[g].n = -1 // cannot be flagged
			continue
		}
		dests[g].spans = make([]busySpan, 0, dests[g].n)
	}
	for i, g := range group {
		if g < 0 || dests[g].n < 0 {
			continue
		}
		c := convs.At(i)
		p := hosts.preset(dests[g].client)
		dests[g].spans = append(dests[g].spans, spanOf(c, int32(i), c.ClientDir(), p.TimeWait, in.End))
	}
	var flags []Flag
	for g := range dests {
		if dests[g].n < 0 {
			continue
		}
		p := *hosts.preset(dests[g].client)
		need := int(math.Ceil(s.ExhaustionShare * float64(p.Ephemeral.Size())))
		if e, at, class, ok := judgeDest(dests[g].spans, p, need); ok {
			e.client, e.server = dests[g].client, dests[g].server
			v.dests = append(v.dests, e)
			first := convs.At(int(at)).FirstFrame
			flags = append(flags, Flag{Frame: first, Kind: Exhaustion, Class: class, Stream: at, Subject: int32(len(v.dests) - 1)})
		}
	}
	return flags
}

// exhaustionFloor is the fewest connections to one destination a client
// judged by p must open to be flagged: min(need, size+1).
func exhaustionFloor(p Preset, s Settings) int {
	size := p.Ephemeral.Size()
	need := int(math.Ceil(s.ExhaustionShare * float64(size)))
	return min(need, size+1)
}

// judgeDest sweeps one client's connections to one destination and
// returns the evidence, the connection the flag sits on and its class.
func judgeDest(spans []busySpan, p Preset, need int) (e destEvidence, at int32, class Class, ok bool) {
	size := p.Ephemeral.Size()
	slices.SortStableFunc(spans, func(a, b busySpan) int { return cmp.Compare(a.from, b.from) })
	// Busy ports: open plus in TIME_WAIT. At each start, the connections
	// started so far minus those whose port was freed by then.
	ends := make([]int64, len(spans))
	for i, sp := range spans {
		ends[i] = sp.to
	}
	slices.Sort(ends)
	peak, busyAt, freed := 0, -1, 0
	for i, sp := range spans {
		for freed < len(ends) && ends[freed] <= sp.from {
			freed++
		}
		if busy := i + 1 - freed; busy > peak {
			peak = busy
			if peak >= need && busyAt < 0 {
				busyAt = i
			}
		}
	}
	// Cycling: starts within one TIME_WAIT beyond the range size.
	cycledAt, most := -1, 0
	lo := 0
	for i, sp := range spans {
		for sp.from-spans[lo].from >= int64(p.TimeWait) {
			lo++
		}
		if n := i - lo + 1; n > most {
			most = n
			if n > size && cycledAt < 0 {
				cycledAt = i
			}
		}
	}
	idx, class := busyAt, ClassBusy
	if idx < 0 || (cycledAt >= 0 && cycledAt < idx) {
		idx, class = cycledAt, ClassCycled
	}
	if idx < 0 {
		return e, 0, 0, false
	}
	e = destEvidence{n: len(spans), first: spans[0].c, last: spans[len(spans)-1].c,
		span: time.Duration(spans[len(spans)-1].from - spans[0].from), peak: peak, most: most, need: need}
	return e, spans[idx].c, class, true
}

func (v *Verdict) exhaustionWords(f *Flag) words {
	if f.Class == ClassNATBudget {
		return v.natWords(f)
	}
	e := &v.dests[f.Subject]
	p := *v.hosts.preset(e.client)
	s := v.s
	client, server := v.in.Hosts.Addr(e.client), v.in.Hosts.AddrPort(e.server)
	size := p.Ephemeral.Size()
	rate := 0.0
	if e.span > 0 {
		rate = float64(e.n-1) / e.span.Seconds()
	}
	sustainable := float64(size) / p.TimeWait.Seconds()
	what := fmt.Sprintf("at this frame %d ports were busy (open or in TIME_WAIT), %.0f%% of the %d-port range, at or above the %.0f%% threshold",
		e.need, 100*float64(e.need)/float64(size), size, 100*s.ExhaustionShare)
	msg := fmt.Sprintf("%s nearly exhausts its ephemeral ports toward %s: peak %d busy of %d, %.1f connections/s",
		client, server, e.peak, size, rate)
	if f.Class == ClassCycled {
		what = fmt.Sprintf("this is connection %d opened to it within one TIME_WAIT (%s): more than the %d ports of the range, so ports come back while a client that closes first would still hold them",
			size+1, formatDuration(p.TimeWait), size)
		msg = fmt.Sprintf("%s cycles through its %d ephemeral ports toward %s within one TIME_WAIT: %d connections, %.1f/s",
			client, size, server, e.most, rate)
	}
	first, last := v.in.conv(e.first).FirstFrame, v.in.conv(e.last).FirstFrame
	return words{
		message: msg,
		explanation: fmt.Sprintf("%s opened %s to %s between frame %d and frame %d (%s, %.1f a second); %s. "+
			"The peak was %d ports busy at once and at most %d connections were opened within one TIME_WAIT. "+
			"The range %s and TIME_WAIT %s come from %s: it sustains about %.0f new connections a second to one destination.",
			client, plural(e.n, "connection"), server, first, last,
			formatDuration(e.span), rate, what, e.peak, e.most, p.Ephemeral, formatDuration(p.TimeWait), presetWords(p), sustainable),
		advice: "Reuse connections (keep-alive, pooling), spread load over more server addresses or ports, widen the ephemeral " +
			"range, or let the server close first so the client keeps no TIME_WAIT. Behind a NAT, mind its per-destination limit " +
			"(AWS NAT Gateway 55,000; Google Cloud NAT 64 ports per VM by default).",
		related: []int{int(first)},
		rule:    exhaustionRule,
	}
}
