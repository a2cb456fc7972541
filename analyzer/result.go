package analyzer

import (
	"net/netip"
	"time"

	"github.com/portlens/portlens/analyzer/capture"
	"github.com/portlens/portlens/analyzer/conv"
	"github.com/portlens/portlens/analyzer/decode"
	"github.com/portlens/portlens/analyzer/rules"
)

// Frame is what the analysis keeps per packet: a compact index, not the
// packet. Rows for display are decoded again from the file on demand
// (Result.Row), so memory grows by 16 bytes a packet whatever their size.
type Frame struct {
	Offset    int64 // where the packet's record starts in the capture
	Stream    int32 // tcp.stream, -1 for frames without a TCP header
	Transport decode.Transport
}

// Result is everything one analysis found.
type Result struct {
	File    string
	Packets int
	// FirstTime and LastTime bound the capture (ns since the epoch).
	FirstTime, LastTime int64
	Frames              []Frame
	Conversations       []conv.Conversation
	UDPFlows            []conv.UDPFlow
	Associations        []conv.Association
	Flags               []rules.Flag
	// Error says why reading stopped early ("" when the file was read
	// whole); ErrorFrame and ErrorOffset say where.
	// Stopped is set when the reading was stopped before the end (Run.Stop).
	Stopped     bool
	Error       string
	ErrorFrame  int
	ErrorOffset int64

	undecoded int    // frames of a link type with no decoder
	spilled   []byte // packet heads, for compressed captures (see spill)
	info      capture.Info
	reader    *capture.Reader
}

// Judge (re)runs the rules with new options, without reading again.
func (r *Result) Judge(opts Options) {
	r.Flags = r.Flagged(opts)
}

// Flagged runs the rules with opts and returns their flags, leaving
// r.Flags as it is: a page can judge in the background and swap the
// flags in at once.
func (r *Result) Flagged(opts Options) []rules.Flag {
	in := r.RulesInput()
	if opts.Pause != nil {
		in.Pacer = &rules.Pacer{Pause: opts.Pause}
	}
	return rules.Judge(in, opts.Rules)
}

// RulesInput is what the trackers recorded, for the rules.
func (r *Result) RulesInput() *rules.Input {
	return &rules.Input{Conversations: r.Conversations, UDPFlows: r.UDPFlows,
		Associations: r.Associations, End: r.LastTime}
}

// Hosts returns every TCP host's preset under opts, with what auto
// inferred and from how many connections.
func (r *Result) Hosts(opts Options) map[netip.Addr]rules.HostPreset {
	return rules.ResolveHosts(r.RulesInput(), opts.Rules)
}

// Info describes the capture file's format.
func (r *Result) Info() capture.Info { return r.info }

// Duration is the time span of the capture.
func (r *Result) Duration() time.Duration { return time.Duration(r.LastTime - r.FirstTime) }

// LinkTypes lists the distinct link types of the capture's interfaces.
func (r *Result) LinkTypes() []string {
	var names []string
	seen := map[capture.LinkType]bool{}
	for _, in := range r.info.Interfaces {
		if !seen[in.Link] {
			seen[in.Link] = true
			names = append(names, in.Link.String())
		}
	}
	return names
}

// FlagCounts counts the flags by kind.
func (r *Result) FlagCounts() map[rules.Kind]int {
	counts := map[rules.Kind]int{}
	for _, f := range r.Flags {
		counts[f.Kind]++
	}
	return counts
}

// Undecoded counts frames whose link type portlens cannot decode.
func (r *Result) Undecoded() int { return r.undecoded }
