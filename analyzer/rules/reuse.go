package rules

import (
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/portlens/portlens/analyzer/conv"
)

// Reuse classes: why a port pair came back, stated in each
// tcp.reused_ports flag.
const (
	ClassAfterRST      = "after-rst"
	ClassInTimeWait    = "in-time-wait"
	ClassAfterTimeWait = "after-time-wait"
	ClassWhileOpen     = "while-open"
	ClassMissingSYN    = "missing-syn"
	ClassSameISN       = "same-isn"
)

// WiresharkExpert is Wireshark's expert-info text for the flag.
const WiresharkExpert = "A new tcp session is started with the same ports as an earlier session in this trace"

const reuseRule = "Wireshark 4.4 tcp.analysis.reused_ports: a SYN or SYN/ACK whose sequence number differs " +
	"from the recorded ISN of its flow, or that follows an RST or FIN+ACK on the same ports, starts a new conversation " +
	"(epan/dissectors/packet-tcp.c; Wireshark issue 19771)"

// reuse describes one port reuse: the new conversation and the one it
// replaced, with the settings that judge time.
type reuse struct {
	cur, prev *conv.Conversation
	preset    Preset
}

// ReusedPortsFlags returns one tcp.reused_ports flag per conversation that
// Wireshark started by reusing ports, in frame order of the tracker.
func ReusedPortsFlags(convs []conv.Conversation, s Settings, presetFor func(netip.Addr) Preset) []Flag {
	return reusedPorts(&Input{Conversations: convs}, s, presetFor)
}

func reusedPorts(in *Input, s Settings, presetFor func(netip.Addr) Preset) []Flag {
	var flags []Flag
	convs := in.Conversations
	for i := range convs {
		in.Pacer.Tick()
		c := &convs[i]
		if c.ReusedBy.Frame == 0 || c.PrevStream < 0 {
			continue
		}
		r := reuse{cur: c, prev: &convs[c.PrevStream]}
		r.preset = presetFor(r.holder().Addr())
		flags = append(flags, r.flag())
	}
	return flags
}

// oldDir is the direction, in the earlier conversation, of the endpoint
// that sent the reusing segment.
func (r reuse) oldDir() conv.Dir {
	if r.prev.A == r.cur.A {
		return conv.FromA
	}
	return conv.FromB
}

// holder is the endpoint whose clock judges the reuse: after a FIN close
// the side that closed first, which holds TIME_WAIT; otherwise the sender
// of the reusing segment.
func (r reuse) holder() netip.AddrPort {
	if r.prev.End() == conv.Fin {
		d, _ := r.prev.ClosedFirstBy()
		closer, _ := endpointsOf(r.prev, d)
		return closer
	}
	return r.cur.A
}

// sinceEnd is the time from the earlier conversation's last packet to the
// reusing segment: TIME_WAIT starts with the last ACK of the close.
func (r reuse) sinceEnd() time.Duration {
	return time.Duration(r.cur.ReusedBy.Time - r.prev.LastTime)
}

func (r reuse) class() string {
	if r.cur.ReusedBySYNACK {
		return ClassMissingSYN
	}
	end := r.prev.End()
	switch {
	case end != conv.Open && r.cur.ReusedBy.Seq == r.prev.Base[r.oldDir()]:
		return ClassSameISN
	case end == conv.Rst:
		return ClassAfterRST
	case end == conv.Fin && r.sinceEnd() < r.preset.TimeWait:
		return ClassInTimeWait
	case end == conv.Fin:
		return ClassAfterTimeWait
	}
	return ClassWhileOpen
}

func (r reuse) flag() Flag {
	cur, prev := r.cur, r.prev
	class := r.class()
	related := []int{prev.FirstFrame}
	if end := prev.EndSegment(); end.Frame > 0 && end.Frame != prev.FirstFrame {
		related = append(related, end.Frame)
	}
	if prev.LastFrame != related[len(related)-1] && prev.LastFrame != prev.FirstFrame {
		related = append(related, prev.LastFrame)
	}
	kind := "SYN"
	if cur.ReusedBySYNACK {
		kind = "SYN/ACK"
	}
	return Flag{
		Frame:    cur.ReusedBy.Frame,
		Kind:     ReusedPorts,
		Class:    class,
		Severity: Note,
		Stream:   cur.Stream,
		Message: fmt.Sprintf("TCP port numbers reused: %s %s → %s reuses the ports of stream %d (%s)",
			kind, cur.A, cur.B, prev.Stream, class),
		Explanation: r.explain(kind, class),
		Advice:      reuseAdvice[class],
		Related:     related,
		Rule:        reuseRule,
	}
}

func (r reuse) explain(kind, class string) string {
	cur, prev := r.cur, r.prev
	var b strings.Builder
	fmt.Fprintf(&b, "Frame %d is a %s from %s to %s. Stream %d used the same ports from frame %d (%s).",
		cur.ReusedBy.Frame, kind, cur.A, cur.B, prev.Stream, prev.FirstFrame, formatTime(prev.FirstTime))
	b.WriteString(" " + r.describeEnd())
	oldISN := prev.Base[r.oldDir()]
	fmt.Fprintf(&b, " The earlier initial sequence number on this side was %d; this %s carries %d", oldISN, kind, cur.ReusedBy.Seq)
	if oldISN == cur.ReusedBy.Seq {
		b.WriteString(" (the same)")
	}
	b.WriteString(".")
	b.WriteString(" " + classWords(class, r))
	fmt.Fprintf(&b, " Wireshark 4.4 starts a new conversation here (tcp.stream %d) and notes: %q.", cur.Stream, WiresharkExpert)
	return b.String()
}

func (r reuse) describeEnd() string {
	prev := r.prev
	since := formatDuration(r.sinceEnd())
	switch prev.End() {
	case conv.Rst:
		src, _ := endpointsOf(prev, prev.RSTDir)
		return fmt.Sprintf("It ended with an RST from %s in frame %d; its last packet, frame %d, was %s before this one.",
			src, prev.FirstRST.Frame, prev.LastFrame, since)
	case conv.Fin:
		d, _ := prev.ClosedFirstBy()
		src, _ := endpointsOf(prev, d)
		fin := prev.FirstFIN[d]
		half := ""
		if prev.FirstFIN[d.Reverse()].Frame == 0 {
			half = " (only that side sent a FIN: the close was not complete in the capture)"
		}
		return fmt.Sprintf("It was closed with FIN, first by %s in frame %d%s; its last packet, frame %d, was %s before this one.",
			src, fin.Frame, half, prev.LastFrame, since)
	}
	return fmt.Sprintf("It never closed in the capture (no FIN or RST); its last packet, frame %d, was %s before this one.",
		prev.LastFrame, since)
}

func classWords(class string, r reuse) string {
	p := r.preset
	switch class {
	case ClassMissingSYN:
		return "No SYN for the new connection is in the capture: the SYN/ACK's new sequence number is what shows a new connection began (the SYN was lost, not captured, or took another path)."
	case ClassSameISN:
		return "The new SYN repeats the old initial sequence number after the close: Wireshark 4.4 flags it as a reuse, while Wireshark 4.0 to 4.2 showed it as a retransmission without the flag, so the two versions disagree on this frame."
	case ClassAfterRST:
		return "A reuse after an RST is typical of repeated attempts that are refused (nothing listening, or a firewall answering with RST); an RST leaves no TIME_WAIT behind."
	case ClassInTimeWait:
		return fmt.Sprintf("That is less than the TIME_WAIT of %s by %s: %s closed first and may still hold the ports in TIME_WAIT. %s",
			formatDuration(p.TimeWait), presetWords(p), r.holder(), r.safetyWords())
	case ClassAfterTimeWait:
		return fmt.Sprintf("That is longer than the TIME_WAIT of %s by %s: ordinary recycling of a port.",
			formatDuration(p.TimeWait), presetWords(p))
	}
	return "The earlier connection was still open as far as the capture shows: a half-open peer, a restarted client, or a NAT handing out the same port."
}

// safetyWords applies RFC 6191 to a SYN that reopens a tuple in
// TIME_WAIT: it is safe when its timestamp is higher than the old
// connection's last one from that side or, without timestamps, when its
// ISN is above the old connection's last sequence number.
func (r reuse) safetyWords() string {
	syn := r.cur.ReusedBy
	od := r.oldDir()
	var b strings.Builder
	if r.holder() == r.cur.A {
		b.WriteString("The sender closed first, so its own stack let it reuse a port it held in TIME_WAIT (Linux net.ipv4.tcp_tw_reuse, or SO_REUSEADDR / a fixed port). ")
	} else {
		b.WriteString("The peer holds TIME_WAIT and accepts the SYN only if RFC 6191 finds it safe. ")
	}
	if syn.HasTS && r.prev.HasTS[od] {
		old := r.prev.LastTSVal[od]
		if int32(syn.TSVal-old) > 0 {
			fmt.Fprintf(&b, "Its TCP timestamp %d is above the old connection's last %d from that side: RFC 6191 makes the reuse safe.", syn.TSVal, old)
		} else {
			fmt.Fprintf(&b, "Its TCP timestamp %d is not above the old connection's last %d from that side: RFC 6191 does not make it safe.", syn.TSVal, old)
		}
		return b.String()
	}
	last := r.prev.NextSeq[od]
	if int32(syn.Seq-last) > 0 {
		fmt.Fprintf(&b, "Without TCP timestamps on both connections RFC 6191 compares sequence numbers: the new ISN %d is above the old connection's last sequence number %d, so the reuse is safe.", syn.Seq, last)
	} else {
		fmt.Fprintf(&b, "Without TCP timestamps on both connections RFC 6191 compares sequence numbers: the new ISN %d is not above the old connection's last sequence number %d, so it is not safe (the peer may answer with an ACK of the old connection).", syn.Seq, last)
	}
	return b.String()
}

var reuseAdvice = map[string]string{
	ClassAfterRST:      "Find why the attempts are refused: is the service listening, does a firewall reset them?",
	ClassInTimeWait:    "Let TIME_WAIT run out before reusing a port (avoid fixed source ports), or enable TCP timestamps so RFC 6191 applies.",
	ClassAfterTimeWait: "Usually harmless. Many such reuses in a short capture hint at a narrow ephemeral range.",
	ClassWhileOpen:     "Check for a client that restarted without closing, a half-open peer, or a NAT reusing ports.",
	ClassMissingSYN:    "Capture closer to the client, or check for loss on the path of the SYN.",
	ClassSameISN:       "Compare Wireshark versions with care: 4.0-4.2 do not flag this; check for retransmitted SYNs after a reset.",
}
