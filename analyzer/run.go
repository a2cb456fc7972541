// Package analyzer reads a capture and finds the packets that break or
// strain the TCP port-reuse and ephemeral-port rules. Data flows one way:
// capture (read) -> decode -> conv (track, Wireshark's rule) -> rules
// (judge, explain) -> Result, which the views render.
package analyzer

import (
	"errors"
	"io"
	"slices"

	"github.com/portlens/portlens/analyzer/capture"
	"github.com/portlens/portlens/analyzer/conv"
	"github.com/portlens/portlens/analyzer/decode"
	"github.com/portlens/portlens/analyzer/rules"
)

// Options are the analysis settings.
type Options struct {
	Rules rules.Settings
	// Pause, when set, is called now and then while the rules run (they
	// can take a second on a million packets), so that a caller that must
	// stay responsive can yield there. The browser page sets it.
	Pause func()
}

// DefaultOptions judges against Linux's ephemeral range.
func DefaultOptions() Options { return Options{Rules: rules.DefaultSettings()} }

// Run is one analysis in progress. It reads in steps so a caller that must
// stay responsive (the browser page) can yield between them:
//
//	run := analyzer.Start(name, r, opts)
//	for run.Step(4096) {
//	}
//	res := run.Result()
type Run struct {
	reader  *capture.Reader
	decoder *decode.Decoder
	tracker *conv.Tracker
	udp     *conv.UDPTracker
	sctp    *conv.SCTPTracker
	pkt     decode.Packet
	res     *Result
	opts    Options
	done    bool
	// compressed captures cannot be re-read at an offset for rows.
	compressed bool
}

// Start begins analysing the capture read from r. A stream that is not a
// capture at all gives a Run whose Result has Error set and no packets.
func Start(name string, r io.Reader, opts Options) *Run {
	run := &Run{
		decoder: decode.NewDecoder(),
		tracker: conv.NewTracker(),
		udp:     conv.NewUDPTracker(),
		sctp:    conv.NewSCTPTracker(),
		res:     &Result{File: name},
		opts:    opts,
	}
	rd, err := capture.NewReader(r)
	if err != nil {
		run.fail(err)
		return run
	}
	run.reader = rd
	run.compressed = rd.Info().Compressed
	return run
}

func (run *Run) fail(err error) {
	run.done = true
	run.res.Error = err.Error()
	var ce *capture.Error
	if errors.As(err, &ce) {
		run.res.ErrorOffset = ce.Offset
		run.res.ErrorFrame = ce.Frame
	}
}

// Step reads up to n packets and reports whether there are more to read.
func (run *Run) Step(n int) bool {
	for i := 0; i < n && !run.done; i++ {
		p, err := run.reader.Next()
		if err == io.EOF {
			run.done = true
			break
		}
		if err != nil {
			run.fail(err)
			break
		}
		run.add(p)
	}
	return !run.done
}

// Stop ends the reading early, at the user's request: Result then judges
// the packets read so far, and says so in Result.Stopped.
func (run *Run) Stop() {
	if !run.done {
		run.done = true
		run.res.Stopped = true
	}
}

// Progress reports the bytes read from the input and the packets so far.
func (run *Run) Progress() (bytes int64, packets int) {
	if run.reader == nil {
		return 0, 0
	}
	return run.reader.BytesRead(), run.res.Packets
}

func (run *Run) add(cp *capture.Packet) {
	res := run.res
	res.Packets++
	frame := res.Packets
	if frame == 1 || cp.Time < res.FirstTime {
		res.FirstTime = cp.Time
	}
	if frame == 1 || cp.Time > res.LastTime {
		res.LastTime = cp.Time
	}
	fr := Frame{Offset: cp.Offset, Stream: -1}
	if run.compressed {
		fr.Offset = res.spill(cp)
	}
	p := &run.pkt
	if err := run.decoder.Decode(cp.Link, cp.Data, p); err != nil {
		res.undecoded++
	}
	fr.Transport = p.Transport
	fr.Stream = run.track(frame, cp, p)
	if extra := run.decoder.Extra(); len(extra) > 0 {
		fr.Stream = run.trackExtra(frame, cp, p, extra)
	}
	if len(res.Frames) == cap(res.Frames) {
		// Double, as the tracker does: append's quarter steps would copy
		// the index about four times over on a big capture.
		res.Frames = slices.Grow(res.Frames, max(4096, len(res.Frames)))
	}
	res.Frames = append(res.Frames, fr)
}

// track gives one transport header of a frame to its tracker and returns
// its tcp.stream, -1 when it is not TCP.
func (run *Run) track(frame int, cp *capture.Packet, p *decode.Packet) int32 {
	switch p.Transport {
	case decode.TCP:
		return int32(run.tracker.Add(frame, cp.Time, cp.Length, p).Stream)
	case decode.UDP:
		run.udp.Add(frame, cp.Time, p)
	case decode.SCTP:
		run.sctp.Add(frame, cp.Time, p)
	}
	return -1
}

// trackExtra tracks the further transport headers of a frame (the
// samples of an sFlow datagram after the first): Wireshark dissects each,
// in order. It returns the frame's stream: its first TCP header's, as
// Wireshark shows it once the whole frame is dissected, that is the
// conversation current for those ports then (a later header of the same
// frame may have started it).
func (run *Run) trackExtra(frame int, cp *capture.Packet, p *decode.Packet, extra []decode.Packet) int32 {
	first := p
	for i := range extra {
		run.track(frame, cp, &extra[i])
		if first.Transport != decode.TCP {
			first = &extra[i]
		}
	}
	if first.Transport != decode.TCP {
		return -1
	}
	return int32(run.tracker.Current(first))
}

// Result finishes the analysis (reading whatever is left) and judges it.
func (run *Run) Result() *Result {
	for run.Step(1 << 16) {
	}
	res := run.res
	if run.reader != nil {
		res.info = run.reader.Info()
		res.reader = run.reader
	}
	res.Conversations = run.tracker.Conversations()
	res.UDPFlows = run.udp.Flows
	res.Associations = run.sctp.Associations
	res.Judge(run.opts)
	return res
}

// Analyze reads the whole capture from r and returns the result.
func Analyze(name string, r io.Reader, opts Options) *Result {
	return Start(name, r, opts).Result()
}
