package analyzer

import (
	"bytes"
	"io"
	"net/netip"
	"time"

	"github.com/portlens/portlens/analyzer/blocks"
	"github.com/portlens/portlens/analyzer/capture"
	"github.com/portlens/portlens/analyzer/conv"
	"github.com/portlens/portlens/analyzer/decode"
	"github.com/portlens/portlens/analyzer/rules"
)

// Result is everything one analysis found. Its memory follows what the
// capture holds (a few bytes a frame, a compact record a conversation),
// never the bytes of the packets or the words of the flags: rows and
// explanations are rendered when asked for.
type Result struct {
	File    string
	Packets int
	// FirstTime and LastTime bound the capture (ns since the epoch).
	FirstTime, LastTime int64
	// StartTime is frame 1's time, which Wireshark's frame.time_relative
	// counts from (FirstTime is the earliest, when time runs backwards).
	StartTime     int64
	Frames        Frames
	Hosts         *conv.Hosts
	Conversations *conv.Table // index == tcp.stream
	// Answers are the SYNs whose first answer was a bare ACK (conv.Answer).
	Answers      []conv.Answer
	UDPFlows     *blocks.List[conv.UDPFlow]
	Associations []conv.Association
	// Verdict holds the flags, judged under Verdict.Settings().
	Verdict *rules.Verdict
	// Reassembly is what the IP fragment table dropped at its cap.
	Reassembly decode.Reassembly
	// Error says why reading stopped early ("" when the file was read
	// whole); ErrorFrame and ErrorOffset say where.
	// Stopped is set when the reading was stopped before the end: by
	// Run.Stop (StopReason StopCancel, no Error) or by the budget
	// (StopMemory, StopPackets; Error says which, at which frame: the
	// first one not read).
	Stopped     bool
	StopReason  string
	Error       string
	ErrorFrame  int
	ErrorOffset int64

	undecoded int // frames of a link type with no decoder
	info      capture.Info
	reader    *capture.Reader
	// kept is a small compressed capture's decompressed bytes, which rows
	// are read from (capture.Reader.Decompressed).
	kept *bytes.Reader
	// The rows' reading position, reused while frames are asked for in
	// increasing order: cursor's next frame is cursorFrame+1 of cursorSrc.
	cursor      *capture.Cursor
	cursorFrame int
	cursorSrc   io.ReaderAt
}

// Judge (re)runs the rules with new options, without reading again.
func (r *Result) Judge(opts Options) {
	r.Verdict = r.Judged(opts)
}

// Judged runs the rules with opts and returns their verdict, leaving
// r.Verdict as it is: a page can judge in the background and swap the
// verdict in at once.
func (r *Result) Judged(opts Options) *rules.Verdict {
	in := r.RulesInput()
	if opts.Pause != nil {
		in.Pacer = &rules.Pacer{Pause: opts.Pause}
	}
	return rules.Judge(in, opts.Rules)
}

// RulesInput is what the trackers recorded, for the rules.
func (r *Result) RulesInput() *rules.Input {
	return &rules.Input{Hosts: r.Hosts, Conversations: r.Conversations, Answers: r.Answers, UDPFlows: r.UDPFlows,
		Associations: r.Associations, Start: r.FirstTime, End: r.LastTime}
}

// Flags are the verdict's flags, in frame order.
func (r *Result) Flags() []rules.Flag {
	if r.Verdict == nil {
		return nil
	}
	return r.Verdict.Flags
}

// FlagsOf returns the flags raised on frame n.
func (r *Result) FlagsOf(n int) []rules.Flag {
	if r.Verdict == nil {
		return nil
	}
	lo, hi := r.Verdict.Of(n)
	return r.Verdict.Flags[lo:hi:hi]
}

// ExplainedOf returns frame n's flags in words.
func (r *Result) ExplainedOf(n int) []rules.Explained {
	if r.Verdict == nil {
		return nil
	}
	lo, hi := r.Verdict.Of(n)
	out := make([]rules.Explained, 0, hi-lo)
	for i := lo; i < hi; i++ {
		out = append(out, r.Verdict.Explain(i))
	}
	return out
}

// Hosts returns every TCP host's preset under opts, with what auto
// inferred and from how many connections.
func (r *Result) HostPresets(opts Options) map[netip.Addr]rules.HostPreset {
	if r.Verdict != nil && r.Verdict.Settings() == opts.Rules.Normalized() {
		return r.Verdict.HostPresets()
	}
	return rules.ResolveHosts(r.RulesInput(), opts.Rules)
}

// Conversation returns tcp.stream s.
func (r *Result) Conversation(s int) *conv.Conversation { return r.Conversations.At(s) }

// AddrPort is e's address and port.
func (r *Result) AddrPort(e conv.Endpoint) netip.AddrPort { return r.Hosts.AddrPort(e) }

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
	if r.Verdict == nil {
		return map[rules.Kind]int{}
	}
	return r.Verdict.Counts()
}

// Undecoded counts frames whose link type portlens cannot decode.
func (r *Result) Undecoded() int { return r.undecoded }
