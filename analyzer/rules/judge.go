package rules

import (
	"cmp"
	"slices"
	"unsafe"

	"github.com/portlens/portlens/analyzer/conv"
)

// Input is what the trackers recorded for the rules to judge.
type Input struct {
	Conversations []conv.Conversation
	UDPFlows      []conv.UDPFlow
	Associations  []conv.Association
	// End is the time of the capture's last packet (ns): connections
	// still open keep their ports busy until then.
	End int64
	// Pacer, when set, is ticked in the rules' loops so that a caller
	// that must stay responsive (the browser page) can pause them.
	Pacer *Pacer
}

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

// judgement is one judgement in progress: the input, the settings, every
// host's preset by dense id, and arenas the flags' words and related
// frames are carved from.
type judgement struct {
	in    *Input
	s     Settings
	hosts *hostTable
	text  textArena
	ints  intArena
	// members and groupOf are groupBy's scratch.
	members, groupOf []int32
}

func newJudge(in *Input, s Settings) *judgement {
	return &judgement{in: in, s: s, hosts: newHostTable(in, s)}
}

// rule is one rule: what the tracker recorded and the hosts' presets in,
// flags out.
type rule func(j *judgement) []Flag

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
}

// Judge runs every rule over the input and returns the flags in frame order.
func Judge(in *Input, s Settings) []Flag {
	j := newJudge(in, s.withDefaults())
	parts := make([][]Flag, len(allRules))
	total := 0
	for i, r := range allRules {
		parts[i] = r(j)
		total += len(parts[i])
		in.Pacer.Tick()
	}
	if total == 0 {
		return nil
	}
	return mergeFlags(parts, total)
}

// compareFlags orders flags by frame, then kind.
func compareFlags(a, b *Flag) int {
	return cmp.Or(cmp.Compare(a.Frame, b.Frame), cmp.Compare(a.Kind, b.Kind))
}

// mergeFlags returns the flags of parts in the order a stable sort of
// their concatenation by frame, then kind, gives: each part sorted
// stably (they mostly are already), then merged, earlier parts first
// among equals.
func mergeFlags(parts [][]Flag, total int) []Flag {
	for _, p := range parts {
		for i := 1; i < len(p); i++ {
			if compareFlags(&p[i-1], &p[i]) > 0 {
				slices.SortStableFunc(p, func(a, b Flag) int { return compareFlags(&a, &b) })
				break
			}
		}
	}
	out := make([]Flag, 0, total)
	for {
		best, left := -1, 0
		for k := range parts {
			if len(parts[k]) == 0 {
				continue
			}
			left++
			if best < 0 || compareFlags(&parts[k][0], &parts[best][0]) < 0 {
				best = k
			}
		}
		if left <= 1 {
			if best >= 0 {
				out = append(out, parts[best]...)
			}
			return out
		}
		out = append(out, parts[best][0])
		parts[best] = parts[best][1:]
	}
}

// textArena hands out strings built in place in shared chunks: one
// allocation per 64 KB of words rather than one per string:
//
//	b := a.begin()
//	b = append(b, ...)
//	s := a.end(b)
//
// Bytes handed out are never written again.
type textArena struct {
	free []byte // the current chunk's unused capacity, length 0
}

// begin returns an empty slice to append one string's bytes to.
func (a *textArena) begin() []byte {
	if cap(a.free) < 4096 {
		a.free = make([]byte, 0, 64<<10)
	}
	return a.free
}

// end returns b, from begin, as a string, and keeps the capacity after
// it for the next one (append may have moved b to a larger array).
func (a *textArena) end(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	a.free = b[len(b):]
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// intArena hands out small []int carved from shared chunks.
type intArena struct{ buf []int }

// take returns a slice of n zeros whose capacity is n, so that appending
// to it never writes into another's.
func (a *intArena) take(n int) []int {
	if cap(a.buf)-len(a.buf) < n {
		a.buf = make([]int, 0, max(4096, n))
	}
	m := len(a.buf)
	a.buf = a.buf[:m+n]
	return a.buf[m : m+n : m+n]
}

// of returns a []int holding v.
func (a *intArena) of(v ...int) []int {
	out := a.take(len(v))
	copy(out, v)
	return out
}
