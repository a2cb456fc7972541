package rules

import (
	"net/netip"
	"strconv"
	"time"

	"github.com/portlens/portlens/analyzer/conv"
)

// WiresharkExpert is Wireshark's expert-info text for the flag.
const WiresharkExpert = "A new tcp session is started with the same ports as an earlier session in this trace"

const reuseRule = "Wireshark 4.4 tcp.analysis.reused_ports: a SYN or SYN/ACK whose sequence number differs " +
	"from the recorded ISN of its flow, or that follows an RST or FIN+ACK on the same ports, starts a new conversation " +
	"(epan/dissectors/packet-tcp.c; Wireshark issue 19771)"

// reuse describes one port reuse: the new conversation and the one it
// replaced, with the preset that judges time (the holder's) and its words.
type reuse struct {
	cur, prev *conv.Conversation
	curIdx    int32
	hosts     *conv.Hosts
	preset    *Preset
	words     string // presetWords(*preset)
}

// ReusedPortsFlags returns one tcp.reused_ports flag per conversation that
// Wireshark started by reusing ports, in frame order of the tracker, in
// words, each host judged by presetFor.
func ReusedPortsFlags(in *Input, s Settings, presetFor func(netip.Addr) Preset) []Explained {
	v := newVerdict(in, s.withDefaults())
	v.hosts.custom = presetFor
	v.Flags = reusedPorts(v)
	out := make([]Explained, len(v.Flags))
	for i := range v.Flags {
		out[i] = v.Explain(i)
	}
	return out
}

// reuseOf returns the reuse conversation i starts, ok false when it
// reused no ports, judged by the holder's preset.
func (v *Verdict) reuseOf(i int32) (r reuse, ok bool) {
	c := v.in.conv(i)
	if !c.Reused || c.PrevStream < 0 {
		return r, false
	}
	r = reuse{cur: c, prev: v.in.conv(c.PrevStream), curIdx: i, hosts: v.in.Hosts}
	id := r.holderEndpoint().Host
	r.preset, r.words = v.hosts.preset(id), v.hosts.presetWords(id)
	return r, true
}

func reusedPorts(v *Verdict) []Flag {
	flags := make([]Flag, 0, len(v.hosts.reused))
	for _, i := range v.hosts.reused {
		v.in.Pacer.Tick()
		r, ok := v.reuseOf(i)
		if !ok {
			continue
		}
		flags = append(flags, Flag{Frame: r.cur.ReusedBy().Frame, Kind: ReusedPorts, Class: r.class(),
			Stream: i, Subject: i})
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
func (r reuse) holder() netip.AddrPort { return r.hosts.AddrPort(r.holderEndpoint()) }

func (r reuse) holderEndpoint() conv.Endpoint {
	if r.prev.End() == conv.Fin {
		d, _ := r.prev.ClosedFirstBy()
		closer, _ := r.prev.Endpoints(d)
		return closer
	}
	return r.cur.A
}

// sinceEnd is the time from the earlier conversation's last packet to the
// reusing segment: TIME_WAIT starts with the last ACK of the close.
func (r reuse) sinceEnd() time.Duration {
	return time.Duration(r.cur.ReusedBy().Time - r.prev.LastTime)
}

func (r reuse) class() Class {
	if r.cur.ReusedBySYNACK {
		return ClassMissingSYN
	}
	end := r.prev.End()
	switch {
	case end != conv.Open && r.cur.ReusedBy().Seq == r.prev.Base[r.oldDir()]:
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

// a and b are the reusing conversation's endpoints.
func (r reuse) a() netip.AddrPort { return r.hosts.AddrPort(r.cur.A) }
func (r reuse) b() netip.AddrPort { return r.hosts.AddrPort(r.cur.B) }

func (v *Verdict) reuseWords(f *Flag) words {
	r, _ := v.reuseOf(f.Subject)
	cur, prev := r.cur, r.prev
	class := f.Class
	related := make([]int, 1, 3)
	related[0] = int(prev.FirstFrame)
	if end := prev.EndFrame(); end > 0 && end != prev.FirstFrame {
		related = append(related, int(end))
	}
	if int(prev.LastFrame) != related[len(related)-1] && prev.LastFrame != prev.FirstFrame {
		related = append(related, int(prev.LastFrame))
	}
	kind := "SYN"
	if cur.ReusedBySYNACK {
		kind = "SYN/ACK"
	}
	// "TCP port numbers reused: %s %s → %s reuses the ports of stream %d (%s)"
	b := make([]byte, 0, 1536) // the message and the explanation, one after the other
	b = append(b, "TCP port numbers reused: "...)
	b = append(b, kind...)
	b = append(b, ' ')
	b = appendAddrPort(b, r.a())
	b = append(b, " → "...)
	b = appendAddrPort(b, r.b())
	b = append(b, " reuses the ports of stream "...)
	b = strconv.AppendInt(b, int64(cur.PrevStream), 10)
	b = append(b, " ("...)
	b = append(b, class.String()...)
	b = append(b, ')')
	m := len(b)
	text := ownString(r.appendExplanation(b, kind, class))
	return words{
		message:     text[:m],
		explanation: text[m:],
		advice:      reuseAdvice[class],
		related:     related,
		rule:        reuseRule,
	}
}

// quotedExpert is WiresharkExpert as %q writes it.
var quotedExpert = strconv.Quote(WiresharkExpert)

func (r reuse) appendExplanation(b []byte, kind string, class Class) []byte {
	cur, prev := r.cur, r.prev
	by := cur.ReusedBy()
	// "Frame %d is a %s from %s to %s. Stream %d used the same ports from frame %d (%s)."
	b = append(b, "Frame "...)
	b = strconv.AppendInt(b, int64(by.Frame), 10)
	b = append(b, " is a "...)
	b = append(b, kind...)
	b = append(b, " from "...)
	b = appendAddrPort(b, r.a())
	b = append(b, " to "...)
	b = appendAddrPort(b, r.b())
	b = append(b, ". Stream "...)
	b = strconv.AppendInt(b, int64(cur.PrevStream), 10)
	b = append(b, " used the same ports from frame "...)
	b = strconv.AppendInt(b, int64(prev.FirstFrame), 10)
	b = append(b, " ("...)
	b = appendTime(b, prev.FirstTime)
	b = append(b, ")."...)
	b = append(b, ' ')
	b = r.appendEnd(b)
	oldISN := prev.Base[r.oldDir()]
	// " The earlier initial sequence number on this side was %d; this %s carries %d"
	b = append(b, " The earlier initial sequence number on this side was "...)
	b = strconv.AppendUint(b, uint64(oldISN), 10)
	b = append(b, "; this "...)
	b = append(b, kind...)
	b = append(b, " carries "...)
	b = strconv.AppendUint(b, uint64(by.Seq), 10)
	if oldISN == by.Seq {
		b = append(b, " (the same)"...)
	}
	b = append(b, '.')
	b = append(b, ' ')
	b = r.appendClassWords(b, class)
	// " Wireshark 4.4 starts a new conversation here (tcp.stream %d) and notes: %q."
	b = append(b, " Wireshark 4.4 starts a new conversation here (tcp.stream "...)
	b = strconv.AppendInt(b, int64(r.curIdx), 10)
	b = append(b, ") and notes: "...)
	b = append(b, quotedExpert...)
	return append(b, '.')
}

func (r reuse) appendEnd(b []byte) []byte {
	prev := r.prev
	switch prev.End() {
	case conv.Rst:
		// "It ended with an RST from %s in frame %d; its last packet, frame %d, was %s before this one."
		src, _ := prev.Endpoints(prev.RSTDir)
		b = append(b, "It ended with an RST from "...)
		b = appendAddrPort(b, r.hosts.AddrPort(src))
		b = append(b, " in frame "...)
		b = strconv.AppendInt(b, int64(prev.FirstRST), 10)
	case conv.Fin:
		// "It was closed with FIN, first by %s in frame %d%s; its last packet, frame %d, was %s before this one."
		d, _ := prev.ClosedFirstBy()
		src, _ := prev.Endpoints(d)
		b = append(b, "It was closed with FIN, first by "...)
		b = appendAddrPort(b, r.hosts.AddrPort(src))
		b = append(b, " in frame "...)
		b = strconv.AppendInt(b, int64(prev.FirstFIN[d]), 10)
		if prev.FirstFIN[d.Reverse()] == 0 {
			b = append(b, " (only that side sent a FIN: the close was not complete in the capture)"...)
		}
	default:
		// "It never closed in the capture (no FIN or RST); its last packet, frame %d, was %s before this one."
		b = append(b, "It never closed in the capture (no FIN or RST)"...)
	}
	b = append(b, "; its last packet, frame "...)
	b = strconv.AppendInt(b, int64(prev.LastFrame), 10)
	b = append(b, ", was "...)
	b = appendDuration(b, r.sinceEnd())
	return append(b, " before this one."...)
}

func (r reuse) appendClassWords(b []byte, class Class) []byte {
	p := r.preset
	switch class {
	case ClassMissingSYN:
		return append(b, "No SYN for the new connection is in the capture: the SYN/ACK's new sequence number is what shows a new connection began (the SYN was lost, not captured, or took another path)."...)
	case ClassSameISN:
		return append(b, "The new SYN repeats the old initial sequence number after the close: Wireshark 4.4 flags it as a reuse, while Wireshark 4.0 to 4.2 showed it as a retransmission without the flag, so the two versions disagree on this frame."...)
	case ClassAfterRST:
		return append(b, "A reuse after an RST is typical of repeated attempts that are refused (nothing listening, or a firewall answering with RST); an RST leaves no TIME_WAIT behind."...)
	case ClassInTimeWait:
		// "That is less than the TIME_WAIT of %s by %s: %s closed first and may still hold the ports in TIME_WAIT. %s"
		b = append(b, "That is less than the TIME_WAIT of "...)
		b = appendDuration(b, p.TimeWait)
		b = append(b, " by "...)
		b = append(b, r.words...)
		b = append(b, ": "...)
		b = appendAddrPort(b, r.holder())
		b = append(b, " closed first and may still hold the ports in TIME_WAIT. "...)
		return r.appendSafety(b)
	case ClassAfterTimeWait:
		// "That is longer than the TIME_WAIT of %s by %s: ordinary recycling of a port."
		b = append(b, "That is longer than the TIME_WAIT of "...)
		b = appendDuration(b, p.TimeWait)
		b = append(b, " by "...)
		b = append(b, r.words...)
		return append(b, ": ordinary recycling of a port."...)
	}
	return append(b, "The earlier connection was still open as far as the capture shows: a half-open peer, a restarted client, or a NAT handing out the same port."...)
}

// appendSafety applies RFC 6191 to a SYN that reopens a tuple in
// TIME_WAIT: it is safe when its timestamp is higher than the old
// connection's last one from that side or, without timestamps, when its
// ISN is above the old connection's last sequence number.
func (r reuse) appendSafety(b []byte) []byte {
	syn, synTS := r.cur.ReusedBy(), r.cur.ReusedByHasTS()
	od := r.oldDir()
	if r.holder() == r.a() {
		b = append(b, "The sender closed first, so its own stack let it reuse a port it held in TIME_WAIT (Linux net.ipv4.tcp_tw_reuse, or SO_REUSEADDR / a fixed port). "...)
	} else {
		b = append(b, "The peer holds TIME_WAIT and accepts the SYN only if RFC 6191 finds it safe. "...)
	}
	if synTS && r.prev.HasTS[od] {
		old := r.prev.LastTSVal[od]
		b = append(b, "Its TCP timestamp "...)
		b = strconv.AppendUint(b, uint64(syn.TSVal), 10)
		if int32(syn.TSVal-old) > 0 {
			b = append(b, " is above the old connection's last "...)
			b = strconv.AppendUint(b, uint64(old), 10)
			return append(b, " from that side: RFC 6191 makes the reuse safe."...)
		}
		b = append(b, " is not above the old connection's last "...)
		b = strconv.AppendUint(b, uint64(old), 10)
		return append(b, " from that side: RFC 6191 does not make it safe."...)
	}
	last := r.prev.NextSeq[od]
	b = append(b, "Without TCP timestamps on both connections RFC 6191 compares sequence numbers: the new ISN "...)
	b = strconv.AppendUint(b, uint64(syn.Seq), 10)
	if int32(syn.Seq-last) > 0 {
		b = append(b, " is above the old connection's last sequence number "...)
		b = strconv.AppendUint(b, uint64(last), 10)
		return append(b, ", so the reuse is safe."...)
	}
	b = append(b, " is not above the old connection's last sequence number "...)
	b = strconv.AppendUint(b, uint64(last), 10)
	return append(b, ", so it is not safe (the peer may answer with an ACK of the old connection)."...)
}

var reuseAdvice = map[Class]string{
	ClassAfterRST:      "Find why the attempts are refused: is the service listening, does a firewall reset them?",
	ClassInTimeWait:    "Let TIME_WAIT run out before reusing a port (avoid fixed source ports), or enable TCP timestamps so RFC 6191 applies.",
	ClassAfterTimeWait: "Usually harmless. Many such reuses in a short capture hint at a narrow ephemeral range.",
	ClassWhileOpen:     "Check for a client that restarted without closing, a half-open peer, or a NAT reusing ports.",
	ClassMissingSYN:    "Capture closer to the client, or check for loss on the path of the SYN.",
	ClassSameISN:       "Compare Wireshark versions with care: 4.0-4.2 do not flag this; check for retransmitted SYNs after a reset.",
}
