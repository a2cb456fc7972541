package rules

import (
	"github.com/portlens/portlens/analyzer/blocks"

	"cmp"
	"slices"

	"github.com/portlens/portlens/analyzer/conv"
)

// Input is what the trackers recorded for the rules to judge.
type Input struct {
	Hosts         *conv.Hosts
	Conversations *conv.Table
	// Answers are the SYNs whose first answer was a bare ACK, in frame
	// order (the tracker's side list, conv.Answer).
	Answers      []conv.Answer
	UDPFlows     *blocks.List[conv.UDPFlow]
	Associations []conv.Association
	// Start and End are the times of the capture's first and last packet
	// (ns): connections still open keep their ports busy until End.
	Start, End int64
	// Pacer, when set, is ticked in the rules' loops so that a caller
	// that must stay responsive (the browser page) can pause them.
	Pacer *Pacer
}

// conv returns conversation i.
func (in *Input) conv(i int32) *conv.Conversation { return in.Conversations.At(int(i)) }

// Pacer gives a long judgement's caller a chance to run in between: Pause
// is called every 1024 ticks. In the browser it yields to the event loop
// when enough time has passed; a nil *Pacer never pauses.
type Pacer struct {
	Pause func()
	ticks uint32
}

// Tick counts one step of work.
func (p *Pacer) Tick() {
	if p == nil {
		return
	}
	p.ticks++
	if p.ticks&1023 == 0 {
		p.Pause()
	}
}

// sortPaced sorts s as slices.SortFunc does, ticking p as it compares: a
// sort of 10^4-10^5 items takes tens of milliseconds in a browser, longer
// than a page may hold its main thread. Without a pacer, or for fewer than
// pacedSortMin items (under a millisecond in wasm), it is slices.SortFunc.
const pacedSortMin = 4096

func sortPaced[E any](p *Pacer, s []E, cmp func(a, b E) int) {
	if p == nil || len(s) < pacedSortMin {
		slices.SortFunc(s, cmp)
		return
	}
	slices.SortFunc(s, func(a, b E) int {
		p.Tick()
		return cmp(a, b)
	})
}

// sortOrderedPaced is sortPaced for ordered values (slices.Sort).
func sortOrderedPaced[E cmp.Ordered](p *Pacer, s []E) {
	if p == nil || len(s) < pacedSortMin {
		slices.Sort(s)
		return
	}
	sortPaced(p, s, cmp.Compare[E])
}

// Verdict is the rules' judgement of one capture under one setting: the
// flags, as evidence, and what their words are rendered from. Its memory
// follows the flags, not the capture: a flag is 16 bytes, the evidence of
// a grouped flag a few bytes a connection, and the rule texts exist once.
// A Verdict is not safe for concurrent use (rendering fills caches),
// unless ReadyForConcurrentUse said so.
type Verdict struct {
	// Flags are in frame order, then kind.
	Flags  []Flag
	counts [numKinds]int // flags of each kind

	in    Input // without its Pacer: rendering never pauses
	s     Settings
	hosts *hostTable

	// The evidence tables of the grouped rules, indexed by Flag.Subject.
	groups  []group // port.* flags: the connections of one host and port
	members []int32 // the groups' conversations, group after group
	dests   []destEvidence
	syns    []synGroup
	dns     []dnsSource
	// answerIdx finds a stream's entry in in.Answers (tcp.stale_peer).
	answerIdx map[int32]int32

	// The findings (findings.go): ranked, and each flag's, parallel to
	// Flags.
	findings []Finding
	finding  []int32
}

// group is one host and port's connections: members[off : off+n].
type group struct{ off, n int32 }

// groupMembers returns the conversations of group g.
func (v *Verdict) groupMembers(g int32) []int32 {
	gr := v.groups[g]
	return v.members[gr.off : gr.off+gr.n]
}

// rule is one rule: what the tracker recorded and the hosts' presets in,
// flags (and their evidence, kept in the Verdict) out.
type rule func(v *Verdict) []Flag

var allRules = []rule{
	reusedPorts,
	outsideEphemeral,
	privilegedSource,
	serverInEphemeral,
	fastReuse,
	exhaustion,
	synUnanswered,
	fixedDNSPort,
	sctpReused,
	stalePeer,
	natBudget,
}

// newVerdict prepares a judgement: the host table (one pass over the
// conversations) and the settings.
func newVerdict(in *Input, s Settings) *Verdict {
	v := &Verdict{in: *in, s: s}
	v.in.Pacer = nil
	v.hosts = newHostTable(in, s)
	return v
}

// Judge runs every rule over the input.
func Judge(in *Input, s Settings) *Verdict {
	v := newVerdict(in, s.withDefaults())
	v.in.Pacer = in.Pacer // ticked while judging
	parts := make([][]Flag, len(allRules))
	total := 0
	for i, r := range allRules {
		parts[i] = r(v)
		total += len(parts[i])
		in.Pacer.Tick()
	}
	if total > 0 {
		v.Flags = mergeFlags(parts, total, in.Pacer)
	}
	for i := range v.Flags {
		v.counts[v.Flags[i].Kind]++
	}
	if total > 0 {
		v.group()
	}
	v.in.Pacer = nil
	v.hosts.doneJudging()
	return v
}

// Settings are the settings the verdict was judged under.
func (v *Verdict) Settings() Settings { return v.s }

// Of returns the index range [lo, hi) of frame n's flags in Flags (a
// binary search: every row of a packet list asks).
func (v *Verdict) Of(n int) (lo, hi int) {
	fl := v.Flags
	lo, _ = slices.BinarySearchFunc(fl, int32(n), func(f Flag, n int32) int { return cmp.Compare(f.Frame, n) })
	hi = lo
	for hi < len(fl) && fl[hi].Frame == int32(n) {
		hi++
	}
	return lo, hi
}

// Counts counts the flags by kind (kinds without flags are left out).
func (v *Verdict) Counts() map[Kind]int {
	counts := map[Kind]int{}
	for k, n := range v.counts {
		if n > 0 {
			counts[Kind(k)] = n
		}
	}
	return counts
}

// Explain renders flag i in words.
func (v *Verdict) Explain(i int) Explained {
	f := &v.Flags[i]
	var w words
	switch f.Kind {
	case ReusedPorts:
		w = v.reuseWords(f)
	case OutsideEphemeral:
		w = v.outsideWords(f)
	case PrivilegedSource:
		w = v.privilegedWords(f)
	case ServerInEphemeral:
		w = v.serverWords(f)
	case FastReuse:
		w = v.fastReuseWords(f)
	case Exhaustion:
		w = v.exhaustionWords(f)
	case SYNUnanswered:
		w = v.synWords(f)
	case FixedSourcePort:
		w = v.dnsWords(f)
	case SCTPReusedPorts:
		w = v.sctpWords(f)
	case StalePeer:
		w = v.staleWords(f)
	}
	return Explained{
		Frame: int(f.Frame), Kind: f.Kind, Class: f.Class.String(), Severity: f.Severity(), Stream: int(f.Stream),
		Finding: v.FindingOf(i), Message: w.message, Explanation: w.explanation, Advice: w.advice, Related: w.related, Rule: w.rule,
	}
}

// ReadyForConcurrentUse fills the caches that rendering fills lazily
// (every host's preset and its words, the answers' index) and reports
// true, after which Explain and ExplainFinding only read the verdict and
// may be called from several goroutines at once. It declines (false, and
// nothing done) when there are more than 4 hosts for each of the flags
// to render, n: resolving every host would cost more than it saves.
func (v *Verdict) ReadyForConcurrentUse(n int) bool {
	if v == nil || len(v.hosts.words) > 4*n {
		return false
	}
	v.answerOf(-1)
	for id := range v.hosts.words {
		v.hosts.presetWords(conv.HostID(id))
		v.hosts.host(conv.HostID(id)) // HostPreset's, under a named preset too
	}
	return true
}

// compareFlags orders flags by frame, then kind name.
func compareFlags(a, b *Flag) int { return cmp.Compare(a.order(), b.order()) }

// order is the flag's sort key: its frame, then its kind's rank among the
// kinds' names in alphabetical order (the order the report has always had).
func (f *Flag) order() int64 { return int64(f.Frame)<<8 | int64(kindRank[f.Kind]) }

// kindRank ranks each kind by its name.
var kindRank = func() (rank [256]uint8) {
	names := slices.Clone(Kinds)
	slices.SortFunc(names, func(a, b Kind) int { return cmp.Compare(a.String(), b.String()) })
	for i, k := range names {
		rank[k] = uint8(i)
	}
	return rank
}()

// mergeFlags returns the flags of parts in the order a stable sort of
// their concatenation by frame, then kind, gives: each part sorted
// stably (they mostly are already), then merged, earlier parts first
// among equals.
func mergeFlags(parts [][]Flag, total int, pacer *Pacer) []Flag {
	// Most rules flag nothing: the loop below scans only the others' heads.
	parts = slices.DeleteFunc(slices.Clone(parts), func(p []Flag) bool { return len(p) == 0 })
	for _, p := range parts {
		for i := 1; i < len(p); i++ {
			if compareFlags(&p[i-1], &p[i]) > 0 {
				slices.SortStableFunc(p, func(a, b Flag) int { return compareFlags(&a, &b) })
				break
			}
		}
	}
	// Each part's head key, kept beside it: the loop compares integers.
	heads := make([]int64, len(parts))
	const done = int64(1) << 62
	for k, p := range parts {
		heads[k] = done
		if len(p) > 0 {
			heads[k] = p[0].order()
		}
	}
	out := make([]Flag, 0, total)
	for len(out) < total {
		pacer.Tick()
		best := 0
		for k := 1; k < len(heads); k++ {
			if heads[k] < heads[best] {
				best = k
			}
		}
		out = append(out, parts[best][0])
		parts[best] = parts[best][1:]
		heads[best] = done
		if len(parts[best]) > 0 {
			heads[best] = parts[best][0].order()
		}
	}
	return out
}
