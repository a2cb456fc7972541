// Package analyzer reads a capture and finds the packets that break or
// strain the TCP port-reuse and ephemeral-port rules. Data flows one way:
// capture (read) -> decode -> conv (track, Wireshark's rule) -> rules
// (judge, explain) -> Result, which the views render.
package analyzer

import (
	"bytes"
	"errors"
	"fmt"
	"io"

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
	// Budget bounds the memory and the frames of the analysis (budget.go).
	Budget Budget
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
	budget  *budgetWatch
	// udpFlows counts the UDP flows so far (for the budget): flows are
	// numbered in order, so it is the highest flow seen plus one.
	udpFlows int
}

// Start begins analysing the capture read from r. A stream that is not a
// capture at all gives a Run whose Result has Error set and no packets.
func Start(name string, r io.Reader, opts Options) *Run {
	hosts := conv.NewHosts()
	run := &Run{
		decoder: decode.NewDecoder(),
		tracker: conv.NewTracker(hosts),
		udp:     conv.NewUDPTracker(hosts),
		sctp:    conv.NewSCTPTracker(hosts),
		res:     &Result{File: name, Hosts: hosts},
		opts:    opts,
		budget:  newBudgetWatch(opts.Budget),
	}
	rd, err := capture.NewReader(r)
	if err != nil {
		run.fail(err)
		return run
	}
	run.reader = rd
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
// It returns early after a run of blocks that hold no frame (pcapng
// interface descriptions...), so that a caller that must stay responsive
// gets control back however the file is made.
func (run *Run) Step(n int) bool {
	for i := 0; i < n && !run.done; i++ {
		p, err := run.reader.NextPaced()
		if err == io.EOF {
			run.done = true
			break
		}
		if err != nil {
			run.fail(err)
			break
		}
		if p == nil { // blocks without a frame: look, and give control back
			run.checkBudget(run.reader.Offset())
			break
		}
		// Every checkEvery frames, before one more is taken in: a file
		// that ends there was read whole, whatever it holds.
		if run.res.Packets%checkEvery == 0 || run.res.Packets >= run.budget.packetLimit() {
			if run.checkBudget(p.Offset) {
				break
			}
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
		run.res.StopReason = StopCancel
	}
}

// checkBudget stops the reading, as Stop does, when the analysis is past
// its budget: the frame or block at offset is not read, and Result.Error
// says why and where. It reports whether it stopped.
func (run *Run) checkBudget(offset int64) bool {
	res := run.res
	reason, why := StopPackets, ""
	if limit := run.budget.packetLimit(); res.Packets >= limit {
		why = fmt.Sprintf("packet limit of %d reached", limit)
	} else if why = run.budget.over(run.holding()); why != "" {
		reason = StopMemory
	}
	if why == "" {
		return false
	}
	run.done = true
	res.Stopped, res.StopReason = true, reason
	res.ErrorFrame, res.ErrorOffset = res.Packets+1, offset
	covered := "no frame"
	if res.Packets > 0 {
		covered = fmt.Sprintf("frames 1 to %d", res.Packets)
	}
	res.Error = fmt.Sprintf("frame %d at byte %d: %s; the results cover %s", res.ErrorFrame, offset, why, covered)
	return true
}

// holding is what the analysis holds so far, for the budget.
func (run *Run) holding() holding {
	return holding{frames: run.res.Packets, conversations: run.tracker.Len(), udpFlows: run.udpFlows,
		associations: len(run.sctp.Associations), hosts: run.res.Hosts.Len(), reader: run.reader.Held()}
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
	if frame == 1 {
		res.StartTime = cp.Time
	}
	if frame == 1 || cp.Time < res.FirstTime {
		res.FirstTime = cp.Time
	}
	if frame == 1 || cp.Time > res.LastTime {
		res.LastTime = cp.Time
	}
	fr := Frame{Ref: -1}
	p := &run.pkt
	if err := run.decoder.Decode(cp.Link, cp.Data, p); err != nil {
		res.undecoded++
		fr.Undecoded = true
	}
	fr.Transport = p.Transport
	fr.Layered = p.Tunnelled || p.InErrorPkt() || p.Fragment || p.Reassembled || oddTCP(p, run.decoder)
	fr.IPv6 = p.IPVersion == 6
	fr.Ethernet = cp.Link == capture.LinkEthernet
	fr.Ref, fr.Dir = run.track(frame, cp, p)
	if p.Transport == decode.TCP {
		fr.Flags = p.Flags
	}
	if extra := run.decoder.Extra(); len(extra) > 0 {
		run.trackExtra(frame, cp, p, extra, &fr)
	}
	res.Frames.add(fr, cp.Offset)
}

// oddTCP reports whether a frame's TCP header shows fields the columns
// cannot say: a data offset below 20 (no flags shown), or a header of
// fewer than 16 bytes (ports, and no conversation).
func oddTCP(p *decode.Packet, d *decode.Decoder) bool {
	if p.Transport == decode.TCP {
		return p.TCPHeader == decode.HeaderBadOffset
	}
	_, _, cut := d.CutTCP()
	return cut
}

// track gives one transport header of a frame to its tracker and returns
// its conversation (stream, flow or association) and its direction
// there; -1 for a header of none.
func (run *Run) track(frame int, cp *capture.Packet, p *decode.Packet) (int32, conv.Dir) {
	switch p.Transport {
	case decode.TCP:
		t := run.tracker.Add(frame, cp.Time, cp.Length, p)
		return int32(t.Stream), t.Dir
	case decode.UDP:
		flow, d := run.udp.Add(frame, cp.Time, p)
		run.udpFlows = max(run.udpFlows, flow+1)
		return int32(flow), d
	case decode.SCTP:
		assoc, d := run.sctp.Add(frame, cp.Time, p)
		return int32(assoc), d
	}
	return -1, conv.FromA
}

// trackExtra tracks the further transport headers of a frame (the
// samples of an sFlow datagram after the first): Wireshark dissects each,
// in order. The frame then shows its first TCP header as Wireshark does
// once the whole frame is dissected: in the conversation current for its
// ports, which a later header of the same frame may have started.
func (run *Run) trackExtra(frame int, cp *capture.Packet, p *decode.Packet, extra []decode.Packet, fr *Frame) {
	first := p
	for i := range extra {
		run.track(frame, cp, &extra[i])
		if first.Transport != decode.TCP {
			first = &extra[i]
		}
	}
	fr.Layered = true
	if first.Transport == decode.TCP {
		stream, dir := run.tracker.Current(first)
		fr.Transport, fr.Ref, fr.Dir, fr.Flags = decode.TCP, int32(stream), dir, first.Flags
	}
}

// Result finishes the analysis (reading whatever is left) and judges it.
func (run *Run) Result() *Result {
	for run.Step(1 << 16) {
	}
	res := run.res
	if run.reader != nil {
		res.info = run.reader.Info()
		res.reader = run.reader
		if res.Stopped {
			run.reader.StopKeeping()
		}
		if b := run.reader.Decompressed(); b != nil {
			res.kept = bytes.NewReader(b)
		}
	}
	res.Answers = run.tracker.Answers()
	res.Conversations = run.tracker.Conversations()
	res.UDPFlows = run.udp.Flows()
	res.Associations = run.sctp.Associations
	res.Reassembly = run.decoder.Reassembly()
	res.Judge(run.opts)
	return res
}

// Analyze reads the whole capture from r and returns the result.
func Analyze(name string, r io.Reader, opts Options) *Result {
	return Start(name, r, opts).Result()
}
