package summary

import (
	"cmp"
	"net/netip"
	"slices"
	"sort"

	"github.com/portlens/portlens/analyzer"
	"github.com/portlens/portlens/analyzer/conv"
	"github.com/portlens/portlens/analyzer/rules"
)

// The port budget timeline and the source-port density of one client:
// what the rules count (rules.Verdict.PortSpan), gathered once per client
// and destination (PortUse), then binned for any time range and width
// (Bin, Density) so that a million connections draw as a few hundred
// columns, never one mark each.

// Destination is a server endpoint one client opened connections to.
type Destination struct {
	Addr        netip.AddrPort
	Endpoint    conv.Endpoint
	Connections int
}

// Destinations lists the destinations host opened connections to, most
// connections first.
func Destinations(res *analyzer.Result, host conv.HostID) []Destination {
	idx := map[conv.Endpoint]int{}
	var out []Destination
	for i := range res.Conversations.Len() {
		client, server := res.Conversations.At(i).Client()
		if client.Host != host {
			continue
		}
		k, ok := idx[server]
		if !ok {
			k = len(out)
			idx[server] = k
			out = append(out, Destination{Addr: res.AddrPort(server), Endpoint: server})
		}
		out[k].Connections++
	}
	slices.SortStableFunc(out, func(a, b Destination) int { return cmp.Compare(b.Connections, a.Connections) })
	return out
}

// PortUse is one client's connections, to one destination or all, as the
// rules count their ports: sorted times, ready to be binned.
type PortUse struct {
	Host conv.HostID
	// Dest is the destination; All is set for every destination.
	Dest conv.Endpoint
	All  bool
	// Budget is what the ports held at once are measured against (a NAT's
	// budget, else the client's ephemeral range size), BudgetWhat names it.
	Budget     int
	BudgetWhat string
	NAT        bool
	Range      rules.Range // the client's ephemeral range (its preset's)
	// Connections counts them; First and Last bound their times;
	// PortLo and PortHi their source ports.
	Connections    int
	First, Last    int64
	PortLo, PortHi uint16

	starts     []portStart // by time
	heldStarts []int64     // sorted: the starts of the connections that held a port
	closes     []int64     // sorted: held connections' closes
	ends       []int64     // sorted: held connections' ports freed
	unanswered []int64     // sorted: SYNs nothing answered
	flags      []flagAt    // by time
}

type portStart struct {
	t      int64
	port   uint16
	reused bool
}

type flagAt struct {
	t     int64
	frame int32
	kind  rules.Kind
	class rules.Class
}

// Ports gathers host's connections to dest (all destinations when all).
func Ports(res *analyzer.Result, host conv.HostID, dest conv.Endpoint, all bool) *PortUse {
	v := res.Verdict
	u := &PortUse{Host: host, Dest: dest, All: all, PortLo: 65535}
	u.Budget, u.BudgetWhat, u.NAT = v.PortBudget(host)
	u.Range = v.PresetOf(host).Ephemeral
	convs := res.Conversations
	mine := func(c *conv.Conversation) (port uint16, ok bool) {
		client, server := c.Client()
		return client.Port, client.Host == host && (all || server == dest)
	}
	n := 0
	for i := range convs.Len() {
		if _, ok := mine(convs.At(i)); ok {
			n++
		}
	}
	u.starts, u.heldStarts = make([]portStart, 0, n), make([]int64, 0, n)
	u.closes, u.ends = make([]int64, 0, n), make([]int64, 0, n)
	for i := range convs.Len() {
		c := convs.At(i)
		port, ok := mine(c)
		if !ok {
			continue
		}
		sp := v.PortSpan(i)
		u.starts = append(u.starts, portStart{t: sp.From, port: port, reused: c.PrevStream >= 0})
		if sp.Held {
			u.heldStarts = append(u.heldStarts, sp.From)
			u.closes = append(u.closes, sp.Closed)
			u.ends = append(u.ends, sp.Until)
		}
		if c.SYN.Frame > 0 && c.Packets[c.SYNDir.Reverse()] == 0 {
			u.unanswered = append(u.unanswered, c.SYN.Time)
		}
		u.PortLo, u.PortHi = min(u.PortLo, port), max(u.PortHi, port)
	}
	for _, f := range v.Flags {
		if f.Stream < 0 || int(f.Stream) >= convs.Len() {
			continue
		}
		c := convs.At(int(f.Stream))
		if _, ok := mine(c); ok {
			u.flags = append(u.flags, flagAt{t: frameTime(c, f.Frame), frame: f.Frame, kind: f.Kind, class: f.Class})
		}
	}
	slices.SortStableFunc(u.starts, func(a, b portStart) int { return cmp.Compare(a.t, b.t) })
	for _, s := range [][]int64{u.heldStarts, u.closes, u.ends, u.unanswered} {
		slices.Sort(s)
	}
	slices.SortStableFunc(u.flags, func(a, b flagAt) int { return cmp.Compare(a.t, b.t) })
	u.Connections = len(u.starts)
	if u.Connections > 0 {
		u.First, u.Last = u.starts[0].t, max(u.starts[len(u.starts)-1].t, lastOf(u.ends))
	} else {
		u.PortLo = 0
	}
	return u
}

func lastOf(s []int64) int64 {
	if len(s) == 0 {
		return 0
	}
	return s[len(s)-1]
}

// frameTime is the time of frame n of c, where the conversation knows it
// (its SYN, SYN/ACK, first and last frame); else its first packet's.
func frameTime(c *conv.Conversation, n int32) int64 {
	switch n {
	case c.SYN.Frame:
		return c.SYN.Time
	case c.SYNACK.Frame:
		return c.SYNACK.Time
	case c.LastFrame:
		return c.LastTime
	}
	return c.FirstTime
}

// Timeline is a PortUse binned over [From, To): per bin, the ports held
// at the bin's busiest moment, split into open and closed-but-held
// (TIME_WAIT, the client's or the NAT's), the SYNs nothing answered, and
// the flags.
type Timeline struct {
	From, To      int64
	Open, Waiting []int32
	Unanswered    []int32
	Flags         []FlagBin
	// Peak is the most ports held at once in the range, at PeakAt.
	Peak   int
	PeakAt int64
}

// FlagBin is the flags of one bin: how many, the first one's frame, kind
// and class, whether any is a warning, and the kinds (names, distinct).
type FlagBin struct {
	Bin     int
	Count   int
	Frame   int32
	Kind    rules.Kind
	Class   rules.Class
	Warning bool
	Kinds   []rules.Kind
}

// Bin bins u over [from, to) into n columns.
func (u *PortUse) Bin(from, to int64, n int) Timeline {
	if to <= from {
		to = from + 1
	}
	n = max(n, 1)
	tl := Timeline{From: from, To: to, Open: make([]int32, n), Waiting: make([]int32, n), Unanswered: make([]int32, n)}
	binOf := func(t int64) int { return min(int(float64(t-from)/float64(to-from)*float64(n)), n-1) }
	// Three sorted streams of events: a start opens a port, a close turns
	// an open one into a held one, an end frees a held one. At equal
	// times ends come first (a port freed as another is taken), then
	// closes, then starts, as the rules count. The state at from is the
	// events before it, found by binary search.
	hs, cs, es := u.heldStarts, u.closes, u.ends
	si, _ := slices.BinarySearch(hs, from)
	ci, _ := slices.BinarySearch(cs, from)
	ei, _ := slices.BinarySearch(es, from)
	open, waiting := si-ci, ci-ei
	tl.Peak, tl.PeakAt = open+waiting, from
	const never = int64(1<<63 - 1)
	for b := range n {
		end := from + int64(float64(to-from)*float64(b+1)/float64(n))
		if b == n-1 {
			end = to
		}
		best, bestOpen := open+waiting, open
		for {
			te, tc, ts := never, never, never
			if ei < len(es) {
				te = es[ei]
			}
			if ci < len(cs) {
				tc = cs[ci]
			}
			if si < len(hs) {
				ts = hs[si]
			}
			t := min(te, tc, ts)
			if t >= end {
				break
			}
			switch t {
			case te:
				ei++
				waiting--
			case tc:
				ci++
				open--
				waiting++
			default: // only a start adds a port: the peak is at one
				si++
				open++
				if open+waiting > best {
					best, bestOpen = open+waiting, open
				}
				if open+waiting > tl.Peak {
					tl.Peak, tl.PeakAt = open+waiting, t
				}
			}
		}
		tl.Open[b], tl.Waiting[b] = int32(bestOpen), int32(best-bestOpen)
	}
	for i := sort.Search(len(u.unanswered), func(i int) bool { return u.unanswered[i] >= from }); i < len(u.unanswered) && u.unanswered[i] < to; i++ {
		tl.Unanswered[binOf(u.unanswered[i])]++
	}
	u.binFlags(&tl, binOf, n)
	return tl
}

func (u *PortUse) binFlags(tl *Timeline, binOf func(int64) int, n int) {
	i := sort.Search(len(u.flags), func(i int) bool { return u.flags[i].t >= tl.From })
	for ; i < len(u.flags) && u.flags[i].t < tl.To; i++ {
		f := u.flags[i]
		b := min(binOf(f.t), n-1)
		k := len(tl.Flags) - 1
		if k < 0 || tl.Flags[k].Bin != b {
			tl.Flags = append(tl.Flags, FlagBin{Bin: b, Frame: f.frame, Kind: f.kind, Class: f.class})
			k++
		}
		fb := &tl.Flags[k]
		fb.Count++
		fb.Warning = fb.Warning || f.kind.Severity() == rules.Warning
		if !slices.Contains(fb.Kinds, f.kind) {
			fb.Kinds = append(fb.Kinds, f.kind)
		}
	}
}

// Density is a PortUse's connections binned by start time (Cols columns
// over [From, To)) and source port (Rows rows over [Lo, Hi], Lo at row
// 0): Counts[row*Cols+col]. Reused counts per column the connections that
// reused an earlier one's ports.
type Density struct {
	From, To   int64
	Cols, Rows int
	Lo, Hi     uint16
	Counts     []uint32
	Max        uint32
	Reused     []int32
}

// Density bins u's connection starts in [from, to) by time and port.
func (u *PortUse) Density(from, to int64, cols, rows int, lo, hi uint16) Density {
	if to <= from {
		to = from + 1
	}
	if hi < lo {
		lo, hi = hi, lo
	}
	cols, rows = max(cols, 1), max(rows, 1)
	d := Density{From: from, To: to, Cols: cols, Rows: rows, Lo: lo, Hi: hi,
		Counts: make([]uint32, cols*rows), Reused: make([]int32, cols)}
	span := float64(int(hi)-int(lo)) + 1
	i := sort.Search(len(u.starts), func(i int) bool { return u.starts[i].t >= from })
	for ; i < len(u.starts) && u.starts[i].t < to; i++ {
		s := u.starts[i]
		if s.port < lo || s.port > hi {
			continue
		}
		c := min(int(float64(s.t-from)/float64(to-from)*float64(cols)), cols-1)
		r := min(int(float64(int(s.port)-int(lo))/span*float64(rows)), rows-1)
		k := r*cols + c
		d.Counts[k]++
		d.Max = max(d.Max, d.Counts[k])
		if s.reused {
			d.Reused[c]++
		}
	}
	return d
}

// FlaggedDestination is the destination of host's first port.exhaustion
// flag (a NAT budget or an ephemeral range it filled); ok is false when
// it has none.
func FlaggedDestination(res *analyzer.Result, host conv.HostID) (dest conv.Endpoint, ok bool) {
	for _, f := range res.Flags() {
		if f.Kind != rules.Exhaustion || f.Stream < 0 || int(f.Stream) >= res.Conversations.Len() {
			continue
		}
		if client, server := res.Conversations.At(int(f.Stream)).Client(); client.Host == host {
			return server, true
		}
	}
	return dest, false
}
