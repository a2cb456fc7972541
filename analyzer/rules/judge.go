package rules

import (
	"cmp"
	"net/netip"
	"slices"

	"github.com/portlens/portlens/analyzer/conv"
)

// Input is what the tracker recorded for the rules to judge.
type Input struct {
	Conversations []conv.Conversation
}

// Judge runs every rule over the input and returns the flags in frame order.
func Judge(in *Input, s Settings) []Flag {
	p := s.preset()
	presetFor := func(netip.Addr) Preset { return p }
	flags := ReusedPortsFlags(in.Conversations, s, presetFor)
	slices.SortStableFunc(flags, func(a, b Flag) int {
		return cmp.Or(cmp.Compare(a.Frame, b.Frame), cmp.Compare(a.Kind, b.Kind))
	})
	return flags
}
