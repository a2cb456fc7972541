package rules

import (
	"cmp"
	"math"
	"slices"

	"github.com/portlens/portlens/analyzer/conv"
)

// Findings group the flags by cause and subject: a capture with 200,000
// flags usually has a few causes (three clients with fixed source ports,
// one host of another operating system), and a finding says each once,
// with the numbers of all its flags and a few example frames. Wireshark's
// Expert Info groups by message; portlens groups by cause.
//
// They live in package rules because grouping needs what the rules keep
// private (whose clock judged a reuse, the connections behind a port.*
// flag, the sweep behind an exhaustion) and their words use the rules'
// own phrasing; a Verdict computes them after its flags, so a re-judgement
// (Result.Judge, Result.Judged) brings its findings along.
//
// A finding keeps numbers only; ExplainFinding renders its words.

// maxExamples caps the example frames of one finding.
const maxExamples = 10

// Finding is one cause, as numbers: its flags' kind (and class), how many
// flags and connections it covers, where, and example frames.
type Finding struct {
	Kind  Kind
	Class Class
	// Count is the number of flags the finding groups; Connections the
	// connections they concern (DNS queries for udp.fixed_source_port,
	// associations for sctp.reused_ports).
	Count, Connections int32
	// FirstFrame and LastFrame are the frames of its first and last flag;
	// WorstFrame the frame of its worst flag (see worse).
	FirstFrame, LastFrame, WorstFrame int32

	key      findingKey
	examples [maxExamples]int32
	nExample uint8
	// first and worst are flag indices (into Verdict.Flags).
	first, worst int32
	stats        findingStats
}

// Severity is the severity of the finding's flags.
func (f *Finding) Severity() Severity { return f.Kind.Severity() }

// Frames are the example frames, in frame order: the first flag's, the
// worst's, the last's, and others spread between them, at most 10.
func (f *Finding) Frames() []int32 { return f.examples[:f.nExample] }

// findingKey names a finding's cause and subject: the kind (and class),
// and per kind the hosts, endpoints and port that make it one cause.
type findingKey struct {
	kind  Kind
	class Class
	// fixed marks a port.* finding about one port used by several
	// connections (a fixed source port), not a host's scattered ports.
	fixed bool
	port  uint16        // the fixed port; an SCTP association's first endpoint's port
	host  conv.HostID   // the client, source or server host
	peer  conv.Endpoint // the server (reuses, exhaustion, SYNs: port 0), the other SCTP endpoint
}

// findingStats are the numbers a finding's words need, gathered over its
// flags.
type findingStats struct {
	// lo, mid and hi bound the flags' measures (the minimum, median and
	// maximum): intervals in ns for reuses.
	lo, mid, hi int64
	// ports counts the distinct source ports; portLo and portHi bound them.
	ports          int32
	portLo, portHi uint16
	// from and to are the times (ns) of the first and last flagged event.
	from, to int64
}

// flagCause is what grouping learns of one flag.
type flagCause struct {
	key findingKey
	// measure orders the flags of a finding: the worst has the least.
	measure int64
	conns   int32
	port    uint16
	at      int64 // the flagged event's time (ns)
}

// causeOf finds flag f's cause. The worst flag of a finding (measure) is,
// for reuses (TCP and SCTP), the one that came soonest after the earlier
// connection's last packet; for port.* and DNS, the port with the most
// connections (queries); the other kinds have one flag per finding.
func (v *Verdict) causeOf(f *Flag) flagCause {
	k := findingKey{kind: f.Kind}
	switch f.Kind {
	case ReusedPorts, FastReuse:
		c := v.in.conv(f.Subject)
		prev := v.in.conv(c.PrevStream)
		cl, sv := c.Client()
		k.class, k.host, k.peer = f.Class, cl.Host, sv
		at := c.ReusedBy().Time
		return flagCause{key: k, measure: at - prev.LastTime, conns: 1, port: cl.Port, at: at}
	case OutsideEphemeral, PrivilegedSource, ServerInEphemeral:
		u := v.use(f.Subject, f.Kind == ServerInEphemeral)
		n := int32(len(u.convs))
		k.host = u.at.Host
		if f.Kind != ServerInEphemeral && n > 1 {
			k.fixed, k.port = true, u.at.Port
		}
		c := v.in.conv(u.convs[0])
		at := c.SYN.Time
		if u.synack {
			at = c.SYNACK.Time
		}
		return flagCause{key: k, measure: -int64(n), conns: n, port: u.at.Port, at: at}
	case Exhaustion:
		e := &v.dests[f.Subject]
		k.class, k.host, k.peer = f.Class, e.client, e.server
		return flagCause{key: k, conns: int32(e.n), at: v.in.conv(f.Stream).FirstTime}
	case SYNUnanswered:
		convs := v.groupMembers(v.syns[f.Subject].group)
		c := v.in.conv(convs[0])
		src, dst := c.Endpoints(c.SYNDir)
		k.host, k.peer = src.Host, conv.Endpoint{Host: dst.Host}
		return flagCause{key: k, conns: int32(len(convs)), port: src.Port, at: c.SYN.Time}
	case FixedSourcePort:
		d := &v.dns[f.Subject]
		k.host = d.src.Host
		return flagCause{key: k, measure: -int64(d.queries), conns: int32(d.queries), port: d.src.Port, at: d.firstTime}
	case StalePeer:
		client, dest := v.staleSubject(f)
		k.class, k.host, k.peer = f.Class, client.Host, dest
		at := v.in.conv(v.in.Answers[f.Subject].Stream).SYN.Time
		return flagCause{key: k, conns: 1, port: client.Port, at: at}
	case SCTPReusedPorts:
		a := &v.in.Associations[f.Subject]
		lo, hi := a.A, a.B
		if hi.Host < lo.Host || (hi.Host == lo.Host && hi.Port < lo.Port) {
			lo, hi = hi, lo
		}
		k.host, k.port, k.peer = lo.Host, lo.Port, hi
		at := a.ReusedBy.Time
		return flagCause{key: k, measure: at - v.in.Associations[a.Prev].LastTime, conns: 1, port: a.A.Port, at: at}
	}
	return flagCause{key: k}
}

// group builds the findings of v.Flags, ranked, and each flag's finding.
// It keeps 4 bytes a flag (its finding) and, while it runs, 4 more (the
// flags in finding order): a flag's cause is worked out again when its
// finding is summarized rather than kept for every flag.
func (v *Verdict) group() {
	n := len(v.Flags)
	v.finding = make([]int32, n)
	var idx findingIndex
	var sizes []int32
	for i := range v.Flags {
		v.in.Pacer.Tick()
		g := idx.find(v.causeOf(&v.Flags[i]).key, int32(len(sizes)))
		if int(g) == len(sizes) {
			sizes = append(sizes, 0)
		}
		v.finding[i] = g
		sizes[g]++
	}
	idx = findingIndex{}
	// Each finding's flags, in frame order: a counting sort by finding.
	starts := make([]int32, len(sizes)+1)
	for g, sz := range sizes {
		starts[g+1] = starts[g] + sz
	}
	order := make([]int32, n)
	next := slices.Clone(starts[:len(sizes)])
	for i, g := range v.finding {
		v.in.Pacer.Tick()
		order[next[g]] = int32(i)
		next[g]++
	}
	v.findings = make([]Finding, len(sizes))
	var scratch []int64
	var ports []uint16
	for g := range v.findings {
		v.in.Pacer.Tick()
		scratch, ports = v.summarize(&v.findings[g], order[starts[g]:starts[g+1]], scratch, ports)
	}
	v.rank()
}

// summarize fills finding fd from its flags (flag indices, in frame
// order); scratch and ports are reused buffers.
func (v *Verdict) summarize(fd *Finding, flags []int32, scratch []int64, ports []uint16) ([]int64, []uint16) {
	first, last := flags[0], flags[len(flags)-1]
	c0 := v.causeOf(&v.Flags[first])
	fd.key = c0.key
	fd.Kind, fd.Class = fd.key.kind, fd.key.class
	fd.Count = int32(len(flags))
	fd.first, fd.worst = first, first
	fd.FirstFrame, fd.LastFrame = v.Flags[first].Frame, v.Flags[last].Frame
	scratch, ports = scratch[:0], ports[:0]
	st := &fd.stats
	st.from, st.to = c0.at, c0.at
	worst := c0.measure
	for _, i := range flags {
		c := c0
		if i != first {
			v.in.Pacer.Tick()
			c = v.causeOf(&v.Flags[i])
		}
		fd.Connections += c.conns
		if c.measure < worst {
			fd.worst, worst = i, c.measure
		}
		st.from, st.to = min(st.from, c.at), max(st.to, c.at)
		scratch = append(scratch, c.measure)
		ports = append(ports, c.port)
	}
	fd.WorstFrame = v.Flags[fd.worst].Frame
	sortOrderedPaced(v.in.Pacer, scratch)
	st.lo, st.mid, st.hi = scratch[0], scratch[(len(scratch)-1)/2], scratch[len(scratch)-1]
	sortOrderedPaced(v.in.Pacer, ports)
	st.portLo, st.portHi = ports[0], ports[len(ports)-1]
	st.ports = int32(len(slices.Compact(ports)))
	fd.pickExamples(v.Flags, flags)
	return scratch, ports
}

// pickExamples keeps the frames of the first, worst and last flags and
// of others evenly spread between, at most maxExamples, in frame order.
func (fd *Finding) pickExamples(all []Flag, flags []int32) {
	picks := make([]int32, 0, maxExamples+1)
	picks = append(picks, all[fd.first].Frame, all[fd.worst].Frame)
	if n := len(flags); n <= maxExamples {
		for _, i := range flags {
			picks = append(picks, all[i].Frame)
		}
	} else {
		for k := range maxExamples - 1 { // the first, 7 between, the last
			picks = append(picks, all[flags[k*(n-1)/(maxExamples-2)]].Frame)
		}
	}
	slices.Sort(picks)
	picks = slices.Compact(picks)
	if len(picks) > maxExamples { // drop a spread one, never the worst
		for k := 1; k < len(picks)-1; k++ {
			if picks[k] != fd.WorstFrame {
				picks = slices.Delete(picks, k, k+1)
				break
			}
		}
	}
	fd.nExample = uint8(copy(fd.examples[:], picks))
}

// rankKey orders findings: warnings first, then the ones that explain
// more of the capture: more connections (queries, associations)
// concerned, then more flags (a port.* flag stands for all the
// connections of its port), then the earlier, then by kind. Packed into
// integers once a finding, so that ranking tens of thousands of findings
// compares integers (it runs in the page too).
type rankKey struct {
	hi, lo uint64
	g      int32 // the finding, which also breaks any tie
}

func rankKeyOf(f *Finding, g int32) rankKey {
	var sev uint64 = 1
	if f.Severity() == Warning {
		sev = 0
	}
	// Larger counts first: stored as their complement.
	hi := sev<<63 | uint64(uint32(math.MaxInt32-f.Connections))<<31 | uint64(uint32(math.MaxInt32-f.Count))
	lo := uint64(uint32(f.FirstFrame))<<8 | uint64(kindRank[f.Kind])
	return rankKey{hi, lo, g}
}

func compareRank(a, b rankKey) int {
	return cmp.Or(cmp.Compare(a.hi, b.hi), cmp.Compare(a.lo, b.lo), cmp.Compare(a.g, b.g))
}

// rank sorts the findings and renumbers the flags' findings.
func (v *Verdict) rank() {
	keys := make([]rankKey, len(v.findings))
	for g := range v.findings {
		v.in.Pacer.Tick()
		keys[g] = rankKeyOf(&v.findings[g], int32(g))
	}
	sortPaced(v.in.Pacer, keys, compareRank)
	rankOf := make([]int32, len(keys))
	sorted := make([]Finding, len(keys))
	for r, k := range keys {
		v.in.Pacer.Tick()
		rankOf[k.g] = int32(r)
		sorted[r] = v.findings[k.g]
	}
	v.findings = sorted
	for i, g := range v.finding {
		v.in.Pacer.Tick()
		v.finding[i] = rankOf[g]
	}
}

// Findings are the verdict's findings, ranked (see rankKey).
func (v *Verdict) Findings() []Finding { return v.findings }

// FindingOf is the index in Findings of flag i's finding, -1 when the
// verdict has none (ReusedPortsFlags).
func (v *Verdict) FindingOf(i int) int {
	if i < 0 || i >= len(v.finding) {
		return -1
	}
	return int(v.finding[i])
}

// FlagsOfFinding lists the indices (into Flags) of finding n's flags, in
// frame order.
func (v *Verdict) FlagsOfFinding(n int) []int {
	var out []int
	for i, g := range v.finding {
		if int(g) == n {
			out = append(out, i)
		}
	}
	return out
}

// KindCount is the number of flags of kind k.
func (v *Verdict) KindCount(k Kind) int {
	if k >= numKinds {
		return 0
	}
	return v.counts[k]
}
