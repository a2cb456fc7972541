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
	b     []byte // scratch for one flag's words
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
	flags := make([]Flag, 0, total)
	for _, p := range parts {
		flags = append(flags, p...)
	}
	return sortFlags(flags)
}

// sortFlags sorts flags by frame, then kind, keeping the order of equal
// ones (a stable sort), moving each 150-byte Flag once.
func sortFlags(flags []Flag) []Flag {
	type key struct {
		frame int
		kind  Kind
		i     int
	}
	keys := make([]key, len(flags))
	sorted := true
	for i := range flags {
		keys[i] = key{flags[i].Frame, flags[i].Kind, i}
		if i > 0 && sorted && cmp.Or(cmp.Compare(keys[i-1].frame, keys[i].frame), cmp.Compare(keys[i-1].kind, keys[i].kind)) > 0 {
			sorted = false
		}
	}
	if sorted {
		return flags
	}
	slices.SortFunc(keys, func(a, b key) int {
		return cmp.Or(cmp.Compare(a.frame, b.frame), cmp.Compare(a.kind, b.kind), cmp.Compare(a.i, b.i))
	})
	out := make([]Flag, len(flags))
	for i, k := range keys {
		out[i] = flags[k.i]
	}
	return out
}

// textArena hands out strings carved from shared chunks: one allocation
// per 64 KB of words rather than one per string. Bytes handed out are
// never written again.
type textArena struct{ buf []byte }

// string returns a string holding b.
func (a *textArena) string(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if cap(a.buf)-len(a.buf) < len(b) {
		a.buf = make([]byte, 0, max(64<<10, len(b)))
	}
	n := len(a.buf)
	a.buf = append(a.buf, b...)
	return unsafe.String(&a.buf[n], len(b))
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
