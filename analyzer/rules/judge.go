package rules

import (
	"cmp"
	"net/netip"
	"slices"

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

// rule is one rule: what the tracker recorded and the hosts' presets in,
// flags out.
type rule func(in *Input, s Settings, presetFor func(netip.Addr) Preset) []Flag

var allRules = []rule{
	func(in *Input, s Settings, pf func(netip.Addr) Preset) []Flag {
		return reusedPorts(in, s, pf)
	},
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
	s = s.withDefaults()
	presetFor := presetFunc(ResolveHosts(in, s), s.preset())
	var flags []Flag
	for _, r := range allRules {
		flags = append(flags, r(in, s, presetFor)...)
		in.Pacer.Tick()
	}
	slices.SortStableFunc(flags, func(a, b Flag) int {
		return cmp.Or(cmp.Compare(a.Frame, b.Frame), cmp.Compare(a.Kind, b.Kind))
	})
	return flags
}
