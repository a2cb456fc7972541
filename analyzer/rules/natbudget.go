package rules

import (
	"cmp"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/portlens/portlens/analyzer/conv"
)

const natBudgetRule = "A NAT gives each VM a budget of ports toward one destination (address, port, protocol): a connection " +
	"holds one from its SYN until the NAT's TIME_WAIT after its close (its idle timeout when it stays open); beyond the " +
	"budget the NAT drops new SYNs, which the client retransmits without answer (sources per NAT in analyzer/rules/RULES.md)"

// heldSpan is the time one connection holds a port: open from `from` to
// `closed`, then kept (TIME_WAIT) until `to`.
type heldSpan struct {
	from, closed, to int64
	c                int32
}

// natSpan is the time conversation c holds a port of NAT n, ok false for
// a SYN nothing answered: the NAT dropped it (or the server never
// answered), and it holds no port.
func natSpan(c *conv.Conversation, i int32, clientDir conv.Dir, n *NAT, end int64) (s heldSpan, ok bool) {
	if c.Packets[clientDir.Reverse()] == 0 {
		return s, false
	}
	s = heldSpan{from: c.FirstTime, closed: c.LastTime, c: i}
	switch {
	case c.FirstRST > 0:
		s.to = c.LastTime + int64(n.hold(true))
	case c.FirstFIN[0] > 0 && c.FirstFIN[1] > 0:
		s.to = c.LastTime + int64(n.hold(false))
	default: // open or half-closed: until the idle timeout or the capture's end
		s.to = min(c.LastTime+int64(n.Idle), max(end, c.LastTime))
		s.closed = s.to
	}
	return s, true
}

// natBudget flags, once per client and destination, a client that held
// its NAT's whole per-destination budget at some moment (class
// nat-budget), tying the SYNs that went unanswered while it was full to
// that moment. The evidence goes to v.dests, as port.exhaustion's.
func natBudget(v *Verdict) []Flag {
	n, ok := v.s.NATPreset()
	if !ok {
		return nil
	}
	groups := v.destGroups(n.Budget)
	var flags []Flag
	for _, g := range groups {
		e, at, ok := v.judgeNAT(g, &n)
		if !ok {
			continue
		}
		v.dests = append(v.dests, e)
		flags = append(flags, Flag{Frame: v.in.conv(at).FirstFrame, Kind: Exhaustion, Class: ClassNATBudget,
			Stream: at, Subject: int32(len(v.dests) - 1)})
	}
	return flags
}

// destGroup is one client's connections to one destination.
type destGroup struct {
	client conv.HostID
	server conv.Endpoint
	convs  []int32
}

// destGroups groups the handshaken connections by client and destination,
// keeping the groups of at least least connections (only clients that
// opened that many are looked at).
func (v *Verdict) destGroups(least int) []destGroup {
	in, hosts := &v.in, v.hosts
	candidate := make([]bool, len(hosts.stats))
	some := false
	for id, st := range hosts.stats {
		candidate[id] = st.conns >= least
		some = some || candidate[id]
	}
	if !some {
		return nil
	}
	var groups []destGroup
	idx := make(map[[2]uint64]int32)
	for i := range in.Conversations.Len() {
		in.Pacer.Tick()
		c := in.Conversations.At(i)
		if c.SYN.Frame == 0 && c.SYNACK.Frame == 0 {
			continue
		}
		cl, server := c.Client()
		if !candidate[cl.Host] {
			continue
		}
		k := [2]uint64{uint64(uint32(cl.Host)), uint64(uint32(server.Host))<<16 | uint64(server.Port)}
		g, seen := idx[k]
		if !seen {
			g = int32(len(groups))
			idx[k] = g
			groups = append(groups, destGroup{client: cl.Host, server: server})
		}
		groups[g].convs = append(groups[g].convs, int32(i))
	}
	return slices.DeleteFunc(groups, func(g destGroup) bool { return len(g.convs) < least })
}

// judgeNAT sweeps one client's connections to one destination under NAT
// n: the ports held at each start, the moments the budget was full, and
// the SYNs nothing answered then. at is the connection the flag sits on:
// the first SYN dropped while the budget was full, else the connection
// that filled it.
func (v *Verdict) judgeNAT(g destGroup, n *NAT) (e destEvidence, at int32, ok bool) {
	var spans []heldSpan
	var drops []int32
	for _, i := range g.convs {
		c := v.in.conv(i)
		if s, held := natSpan(c, i, c.ClientDir(), n, v.in.End); held {
			spans = append(spans, s)
		} else if c.SYN.Frame > 0 {
			drops = append(drops, i)
		}
	}
	full := fullIntervals(spans, n.Budget)
	if len(full) == 0 {
		return e, 0, false
	}
	e = destEvidence{client: g.client, server: g.server, n: len(g.convs), first: g.convs[0], last: g.convs[len(g.convs)-1],
		need: n.Budget, answered: len(spans), fullAt: full[0].from, fullUntil: full[0].to, fullConv: full[0].c,
		firstDrop: -1, lastDrop: -1}
	e.span = time.Duration(v.in.conv(e.last).FirstTime - v.in.conv(e.first).FirstTime)
	e.peak = peakHeld(spans)
	for _, s := range spans {
		if s.from <= e.fullAt && e.fullAt < s.to {
			if s.closed > e.fullAt {
				e.open++
			} else {
				e.waiting++
			}
		}
	}
	for _, i := range drops {
		c := v.in.conv(i)
		k := sort.Search(len(full), func(k int) bool { return full[k].to > c.SYN.Time })
		if k == len(full) || full[k].from > c.SYN.Time {
			e.otherUnanswered++
			continue
		}
		if e.firstDrop < 0 {
			e.firstDrop = i
		}
		e.lastDrop = i
		e.dropped++
		e.droppedSYNs += int(c.SYNCount)
	}
	at = e.fullConv
	if e.firstDrop >= 0 {
		at = e.firstDrop
	}
	return e, at, true
}

// fullIntervals returns the times the spans held budget ports or more at
// once, in order; each interval's c is the connection that filled it. A
// span that ends when another starts frees its port first, and the
// budget stays full across that instant.
func fullIntervals(spans []heldSpan, budget int) []heldSpan {
	type event struct {
		t     int64
		delta int
		c     int32
	}
	evs := make([]event, 0, 2*len(spans))
	for _, s := range spans {
		evs = append(evs, event{s.from, 1, s.c}, event{s.to, -1, s.c})
	}
	slices.SortStableFunc(evs, func(a, b event) int {
		if c := cmp.Compare(a.t, b.t); c != 0 {
			return c
		}
		return cmp.Compare(a.delta, b.delta) // ends first
	})
	var out []heldSpan
	held := 0
	for _, ev := range evs {
		held += ev.delta
		switch {
		case ev.delta > 0 && held == budget && len(out) > 0 && out[len(out)-1].to == ev.t:
			out[len(out)-1].to = 0 // a port freed and taken at once: still full
		case ev.delta > 0 && held == budget:
			out = append(out, heldSpan{from: ev.t, c: ev.c})
		case ev.delta < 0 && held == budget-1 && len(out) > 0 && out[len(out)-1].to == 0:
			out[len(out)-1].to = ev.t
		}
	}
	return out
}

// peakHeld is the most spans held at once.
func peakHeld(spans []heldSpan) int {
	starts := make([]int64, len(spans))
	ends := make([]int64, len(spans))
	for i, s := range spans {
		starts[i], ends[i] = s.from, s.to
	}
	slices.Sort(starts)
	slices.Sort(ends)
	peak, freed := 0, 0
	for i, t := range starts {
		for freed < len(ends) && ends[freed] <= t {
			freed++
		}
		peak = max(peak, i+1-freed)
	}
	return peak
}

// clock is ns as "15:04:05.000" (UTC).
func clock(ns int64) string { return time.Unix(0, ns).UTC().Format("15:04:05.000") }

func (v *Verdict) natWords(f *Flag) words {
	e := &v.dests[f.Subject]
	n, _ := v.s.NATPreset()
	client, server := v.in.Hosts.Addr(e.client), v.in.Hosts.AddrPort(e.server)
	full := v.in.conv(e.fullConv)
	msg := fmt.Sprintf("%s held %d connections to %s at %s (%s's %s)", client, e.need, server, clock(e.fullAt), n.Label, n.Limit)
	switch {
	case e.dropped == 1:
		msg += "; the next SYN was never answered"
	case e.dropped > 1:
		msg += fmt.Sprintf("; the next %d SYNs were never answered", e.dropped)
	default:
		msg += ": its whole budget toward that destination"
	}
	var b []byte
	b = fmt.Appendf(b, "Under %s a VM may hold %s toward one destination (address, port, protocol) at once, counting "+
		"connections open, closing, and kept for the NAT's TIME_WAIT of %s after they close. %s opened %s to %s between "+
		"frame %d and frame %d (%s). At %s (%s into the capture), when stream %d opened in frame %d, it held %d: %d open or "+
		"closing and %d closed less than %s before, which the NAT still holds.",
		n.words(), plural(e.need, "connection"), formatDuration(n.TimeWait), client, plural(e.n, "connection"), server,
		v.in.conv(e.first).FirstFrame, v.in.conv(e.last).FirstFrame, formatDuration(e.span), string(appendTime(nil, e.fullAt)),
		formatDuration(time.Duration(e.fullAt-v.in.Start)), e.fullConv, full.FirstFrame, e.need, e.open, e.waiting,
		formatDuration(n.TimeWait))
	if e.fullUntil >= v.in.End {
		b = append(b, " The budget stayed full to the end of the capture."...)
	} else {
		b = fmt.Appendf(b, " The budget stayed full for %s, until a port came free at %s.",
			formatDuration(time.Duration(e.fullUntil-e.fullAt)), clock(e.fullUntil))
	}
	if e.dropped > 0 {
		first, last := v.in.conv(e.firstDrop), v.in.conv(e.lastDrop)
		b = fmt.Appendf(b, " %s to %s while it was full never got an answer (the first in frame %d, the last in frame %d; "+
			"%s with their retransmissions): the NAT had no port left toward %s and dropped them.",
			plural(e.dropped, "new connection"), server, first.SYN.Frame, last.SYN.Frame, plural(e.droppedSYNs, "SYN"), server)
	} else {
		b = append(b, " No SYN went unanswered while it was full: the next one would have been dropped."...)
	}
	if e.otherUnanswered > 0 {
		b = fmt.Appendf(b, " %s went unanswered while the budget was not full: those are not the NAT's doing.",
			plural(e.otherUnanswered, "other connection"))
	}
	if e.peak > e.need {
		b = fmt.Appendf(b, " Yet at the peak %d were held at once, more than the budget: connections opened while it was full "+
			"were answered, so the NAT on this path allows more than %d (set its budget with --nat-budget, or check that the "+
			"capture is behind this NAT).", e.peak, e.need)
	} else {
		b = fmt.Appendf(b, " The peak was %d held at once.", e.peak)
	}
	related := []int{int(full.FirstFrame)}
	if e.firstDrop >= 0 && e.lastDrop != e.firstDrop {
		related = append(related, int(v.in.conv(e.lastDrop).SYN.Frame))
	}
	return words{
		message:     msg,
		explanation: string(b),
		advice:      n.Advice,
		related:     related,
		rule:        natBudgetRule,
	}
}
