package rules

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/portlens/portlens/analyzer/conv"
)

const stalePeerRule = "A SYN on a 4-tuple its receiver still holds gets no SYN/ACK: in TIME_WAIT the receiver repeats its last " +
	"ACK unless RFC 6191 finds the SYN clearly new (a higher timestamp, else a higher ISN); a connection it believes open answers " +
	"with a challenge ACK (RFC 9293 section 3.10.7.4; RFC 5961 section 4). Either ACK acknowledges the old connection, not the " +
	"SYN; the sender resets it (RFC 9293 section 3.10.7.3: RST with the ACK's acknowledgment number) and sends the SYN again " +
	"after its retransmission timeout (RFC 6298: 1 s)"

// maxChain bounds the walk over the retries of one collision.
const maxChain = 64

// stalePeer flags, once per collision, a SYN whose first answer was a bare
// ACK of another connection (its ack is not the SYN's ISN + 1): the peer
// still held the ports. The SYNs sent again and answered the same way are
// later rounds of the same collision, counted in its words.
func stalePeer(v *Verdict) []Flag {
	ans := v.in.Answers
	if len(ans) == 0 {
		return nil
	}
	var flags []Flag
	for k := range ans {
		v.in.Pacer.Tick()
		a := &ans[k]
		c := v.in.conv(a.Stream)
		if !challenged(c, a) || v.laterRound(c) {
			continue
		}
		flags = append(flags, Flag{Frame: c.SYN.Frame, Stream: a.Stream, Subject: int32(k), Kind: StalePeer,
			Class: v.staleClass(c)})
	}
	return flags
}

// challenged reports whether a answers c's SYN with an ACK of another
// connection: its acknowledgment number is not the SYN's ISN + 1.
func challenged(c *conv.Conversation, a *conv.Answer) bool {
	return c.SYN.Frame > 0 && a.Frame > c.SYN.Frame && a.Ack != c.SYN.Seq+1
}

// laterRound reports whether c's SYN was sent again after an earlier
// SYN on the same ports from the same endpoint was answered the same way.
func (v *Verdict) laterRound(c *conv.Conversation) bool {
	if c.PrevStream < 0 {
		return false
	}
	pa := v.answerOf(c.PrevStream)
	prev := v.in.conv(c.PrevStream)
	if pa == nil || prev.SYN.Frame == 0 {
		return false
	}
	src, _ := c.Endpoints(c.SYNDir)
	psrc, _ := prev.Endpoints(prev.SYNDir)
	return psrc == src && challenged(prev, pa)
}

// answerOf finds stream s's answer, nil if it has none.
func (v *Verdict) answerOf(s int32) *conv.Answer {
	if v.answerIdx == nil {
		v.answerIdx = make(map[int32]int32, len(v.in.Answers))
		for k := range v.in.Answers {
			v.answerIdx[v.in.Answers[k].Stream] = int32(k)
		}
	}
	k, ok := v.answerIdx[s]
	if !ok {
		return nil
	}
	return &v.in.Answers[k]
}

// staleClass says what the peer held: TIME_WAIT after it closed first and
// the other side's FIN followed, else a connection it believed open.
func (v *Verdict) staleClass(c *conv.Conversation) Class {
	if c.PrevStream < 0 {
		return ClassEarlierUnseen
	}
	prev := v.in.conv(c.PrevStream)
	_, peer := c.Endpoints(c.SYNDir)
	pd := prev.DirOf(peer)
	if prev.FirstRST == 0 && prev.FirstFIN[pd] > 0 && prev.FirstFIN[pd.Reverse()] > prev.FirstFIN[pd] {
		return ClassPeerTimeWait
	}
	return ClassHalfOpen
}

// collision is one tcp.stale_peer flag's evidence, gathered for its words.
type collision struct {
	a          *conv.Answer
	c, prev    *conv.Conversation // prev nil when the earlier connection is not in the capture
	src, peer  conv.Endpoint      // the SYN's sender and its receiver
	cd, pd     conv.Dir           // their directions in prev
	rst        int32              // the sender's RST after the answer, 0 if none
	rstSeq     uint32             // its sequence number
	retry      int32              // the SYN sent again, 0 if none
	retryTime  int64
	rounds     int          // SYNs answered by a stale ACK, this one included
	syns       int          // SYNs sent in all, retransmissions included
	opened     conv.Segment // the SYN/ACK that opened the connection; Frame 0 if none
	openStream int32
}

// collisionOf gathers the evidence of flag f: the answer, the earlier
// connection, and the rounds that followed until a SYN/ACK came.
func (v *Verdict) collisionOf(f *Flag) collision {
	a := &v.in.Answers[f.Subject]
	c := v.in.conv(a.Stream)
	src, peer := c.Endpoints(c.SYNDir)
	k := collision{a: a, c: c, src: src, peer: peer, rounds: 1, syns: int(c.SYNCount), openStream: -1}
	if c.PrevStream >= 0 {
		k.prev = v.in.conv(c.PrevStream)
		k.cd, k.pd = k.prev.DirOf(src), k.prev.DirOf(peer)
	}
	k.rst, k.rstSeq = a.RST, a.RSTSeq
	k.retry, k.retryTime = a.Retry, a.RetryTime
	if c.SYNACK.Frame > 0 && c.SYNACKDir != c.SYNDir {
		k.opened, k.openStream = c.SYNACK, a.Stream
		return k
	}
	// The SYN sent again after an RST starts a new stream (Wireshark's
	// rule): follow the chain while the same endpoint keeps sending SYNs.
	cur := c
	for n := c.NextStream; n >= 0 && k.rounds < maxChain; n = cur.NextStream {
		cur = v.in.conv(n)
		if cur.SYN.Frame == 0 {
			break
		}
		if s, _ := cur.Endpoints(cur.SYNDir); s != src {
			break
		}
		if k.retry == 0 {
			k.retry, k.retryTime = cur.SYN.Frame, cur.SYN.Time
		}
		k.syns += int(cur.SYNCount)
		if na := v.answerOf(n); na != nil && challenged(cur, na) {
			k.rounds++
		}
		if cur.SYNACK.Frame > 0 && cur.SYNACKDir != cur.SYNDir {
			k.opened, k.openStream = cur.SYNACK, n
			break
		}
	}
	return k
}

func (v *Verdict) staleWords(f *Flag) words {
	k := v.collisionOf(f)
	src, peer := v.in.Hosts.AddrPort(k.src), v.in.Hosts.AddrPort(k.peer)
	var b []byte
	b = fmt.Appendf(b, "Frame %d is a SYN from %s to %s (ISN %d). %s answered it in frame %d, %s later, not with a SYN/ACK "+
		"but with a bare ACK: seq %d, ack %d. An answer to this SYN would acknowledge %d (its ISN + 1); ",
		k.c.SYN.Frame, src, peer, k.c.SYN.Seq, peer, k.a.Frame, formatDuration(time.Duration(k.a.Time-k.c.SYN.Time)),
		k.a.Seq, k.a.Ack, k.c.SYN.Seq+1)
	b = v.appendHeld(b, &k, f.Class, src, peer)
	b = append(b, ' ')
	b = appendAftermath(b, &k, f.Class, src, peer)
	return words{
		message:     staleMessage(&k, f.Class, src, peer),
		explanation: string(b),
		advice:      staleAdvice[f.Class],
		related:     k.related(),
		rule:        stalePeerRule,
	}
}

func staleMessage(k *collision, class Class, src, peer netip.AddrPort) string {
	what := "an ACK of stream %d, which the peer still held in TIME_WAIT"
	switch class {
	case ClassHalfOpen:
		what = "a challenge ACK: the peer still held stream %d open"
	case ClassEarlierUnseen:
		what = "an ACK of an earlier connection not in the capture"
	}
	if class != ClassEarlierUnseen {
		what = fmt.Sprintf(what, k.c.PrevStream)
	}
	cost := "never opened in the capture"
	if k.opened.Frame > 0 {
		cost = "opened " + formatDuration(time.Duration(k.opened.Time-k.c.SYN.Time)) + " late"
	}
	return fmt.Sprintf("SYN %s → %s answered by %s; the connection %s", src, peer, what, cost)
}

// appendHeld says what the peer held: the earlier connection, how it
// ended, and how the ACK's numbers belong to it.
func (v *Verdict) appendHeld(b []byte, k *collision, class Class, src, peer netip.AddrPort) []byte {
	if k.prev == nil {
		return fmt.Appendf(b, "%d belongs to another connection on these ports, one that is not in the capture (it began "+
			"before the capture started): %s still held it, in TIME_WAIT or open.", k.a.Ack, peer)
	}
	prev := k.prev
	b = fmt.Appendf(b, "%d belongs to stream %d, the earlier connection on these ports (frames %d to %d)", k.a.Ack,
		k.c.PrevStream, prev.FirstFrame, prev.LastFrame)
	if k.a.Ack == prev.NextSeq[k.cd] {
		b = fmt.Appendf(b, ": it is exactly where %s's side of stream %d ended", src, k.c.PrevStream)
	} else {
		b = fmt.Appendf(b, " (%s's side of it ended at %d)", src, prev.NextSeq[k.cd])
	}
	if k.a.Seq == prev.NextSeq[k.pd] {
		b = fmt.Appendf(b, ", and seq %d where %s's side ended", k.a.Seq, peer)
	}
	b = append(b, ". "...)
	since := time.Duration(k.c.SYN.Time - prev.LastTime)
	switch class {
	case ClassPeerTimeWait:
		p := v.hosts.preset(k.peer.Host)
		b = fmt.Appendf(b, "%s closed stream %d first (FIN in frame %d, %s's FIN in frame %d); its last packet, frame %d, "+
			"was %s before this SYN, ", peer, k.c.PrevStream, prev.FirstFIN[k.pd], src, prev.FirstFIN[k.cd], prev.LastFrame,
			formatDuration(since))
		if since < p.TimeWait {
			b = fmt.Appendf(b, "inside the TIME_WAIT of %s by %s: %s still held the ports in TIME_WAIT. ",
				formatDuration(p.TimeWait), v.hosts.presetWords(k.peer.Host), peer)
		} else {
			b = fmt.Appendf(b, "longer than the TIME_WAIT of %s by %s, yet %s still held the ports in TIME_WAIT: "+
				"its TIME_WAIT is longer than the preset says (Windows keeps 120 s, some stacks 240 s). ",
				formatDuration(p.TimeWait), v.hosts.presetWords(k.peer.Host), peer)
		}
		return appendNotNew(b, k)
	}
	switch {
	case prev.FirstRST > 0:
		rs, _ := prev.Endpoints(prev.RSTDir)
		b = fmt.Appendf(b, "Stream %d ended with an RST from %s in frame %d, %s before this SYN, yet %s answered as if it "+
			"still held the connection: the RST did not reach it or was not accepted (outside its window).",
			k.c.PrevStream, v.in.Hosts.AddrPort(rs), prev.FirstRST, formatDuration(since), peer)
	case prev.FirstFIN[k.pd] > 0 && prev.FirstFIN[k.cd] > 0:
		b = fmt.Appendf(b, "%s closed stream %d first (FIN in frame %d) and %s's FIN followed in frame %d: the closer holds "+
			"TIME_WAIT, not %s, yet %s answered %s later as if it still held the connection (LAST-ACK: the final ACK of the "+
			"close never reached it).", src, k.c.PrevStream, prev.FirstFIN[k.cd], peer, prev.FirstFIN[k.pd], peer, peer,
			formatDuration(since))
	case prev.FirstFIN[k.pd] > 0:
		b = fmt.Appendf(b, "%s closed its side of stream %d in frame %d, but %s never sent its FIN in the capture: %s still "+
			"held the connection (FIN-WAIT-2) %s later.", peer, k.c.PrevStream, prev.FirstFIN[k.pd], src, peer, formatDuration(since))
	case prev.FirstFIN[k.cd] > 0:
		b = fmt.Appendf(b, "%s closed its side of stream %d in frame %d, but %s never closed its own in the capture: it "+
			"still held the connection (CLOSE-WAIT) %s later.", src, k.c.PrevStream, prev.FirstFIN[k.cd], peer, formatDuration(since))
	default:
		b = fmt.Appendf(b, "Stream %d never closed in the capture; its last packet, frame %d, was %s before this SYN: %s "+
			"still believed it open, while %s had forgotten it (a restarted client, or a close the peer never received).",
			k.c.PrevStream, prev.LastFrame, formatDuration(since), peer, src)
	}
	return append(b, " A SYN on a connection it holds open gets a challenge ACK (RFC 5961 section 4)."...)
}

// appendNotNew says why RFC 6191 did not let the SYN reopen the tuple in
// TIME_WAIT: its timestamp, else its ISN, is not above the old ones.
func appendNotNew(b []byte, k *collision) []byte {
	prev, syn := k.prev, k.c.SYN
	if k.c.SYNHasTS && prev.HasTS[k.cd] {
		old := prev.LastTSVal[k.cd]
		if int32(syn.TSVal-old) > 0 {
			return fmt.Appendf(b, "The SYN's timestamp %d is above the old connection's last %d from that side, which "+
				"RFC 6191 accepts: the peer did not apply it (timestamps off on its side, or a middlebox in between).",
				syn.TSVal, old)
		}
		return fmt.Appendf(b, "The SYN's timestamp %d is not above the old connection's last %d from that side (another "+
			"host's clock behind the same address, or a restarted one), so RFC 6191 does not let it reopen the tuple.",
			syn.TSVal, old)
	}
	last := prev.NextSeq[k.cd]
	if int32(syn.Seq-last) > 0 {
		return fmt.Appendf(b, "Without timestamps on both connections RFC 6191 compares sequence numbers: the ISN %d is above "+
			"the old connection's last %d, which it accepts; the peer did not.", syn.Seq, last)
	}
	return fmt.Appendf(b, "Without timestamps on both connections RFC 6191 compares sequence numbers: the ISN %d is not "+
		"above the old connection's last %d, so the peer kept TIME_WAIT and repeated its last ACK.", syn.Seq, last)
}

// appendAftermath says what the sender did and what the collision cost.
func appendAftermath(b []byte, k *collision, class Class, src, peer netip.AddrPort) []byte {
	if k.rst > 0 {
		b = fmt.Appendf(b, "%s reset it in frame %d", src, k.rst)
		if k.rstSeq == k.a.Ack {
			b = fmt.Appendf(b, " (RST seq %d, the ACK's acknowledgment number, as RFC 9293 section 3.10.7.3 has a "+
				"connecting endpoint answer an ACK it did not expect)", k.rstSeq)
		} else {
			b = fmt.Appendf(b, " (RST seq %d, not the ACK's acknowledgment number %d: the peer may not accept it)",
				k.rstSeq, k.a.Ack)
		}
		switch {
		case k.rounds > 1 && class == ClassPeerTimeWait:
			b = append(b, ", which the peer did not honour: it kept its TIME_WAIT (RFC 1337 protection, Linux "+
				"net.ipv4.tcp_rfc1337=1)"...)
		case k.rounds > 1:
			b = append(b, ", which the peer did not accept: it kept the stale connection"...)
		case class == ClassPeerTimeWait:
			b = append(b, ", which ends the peer's TIME_WAIT (RFC 1337 calls it TIME-WAIT assassination)"...)
		default:
			b = append(b, ", which makes the peer drop the stale connection"...)
		}
		b = append(b, ". "...)
	} else {
		b = fmt.Appendf(b, "No RST from %s followed in the capture. ", src)
	}
	if k.retry > 0 {
		b = fmt.Appendf(b, "It sent the SYN again in frame %d, %s after the first (its retransmission timeout; %s in all",
			k.retry, formatDuration(time.Duration(k.retryTime-k.c.SYN.Time)), plural(k.syns, "SYN"))
		if k.rounds > 1 {
			b = fmt.Appendf(b, ", %d of them answered by the same stale ACK", k.rounds)
		}
		b = append(b, "). "...)
	}
	if k.opened.Frame == 0 {
		return fmt.Appendf(b, "No SYN/ACK came in the capture: the connection never opened while it ran (%s after the "+
			"first SYN).", formatDuration(time.Duration(k.c.LastTime-k.c.SYN.Time)))
	}
	cost := time.Duration(k.opened.Time - k.c.SYN.Time)
	b = fmt.Appendf(b, "The SYN/ACK came in frame %d (stream %d)", k.opened.Frame, k.openStream)
	if k.rounds > 1 && class == ClassPeerTimeWait {
		b = fmt.Appendf(b, ", %s after the old connection's last packet: the peer's TIME_WAIT had run out",
			formatDuration(time.Duration(k.opened.Time-k.prev.LastTime)))
	}
	return fmt.Appendf(b, ". The collision cost %s, from the first SYN (frame %d) to the established connection. "+
		"Wireshark may mark the ACK \"ACKed unseen segment\" and the SYN sent again a retransmission or a port reuse: "+
		"it looks like a network fault, but the peer only remembered the old connection.",
		formatDuration(cost), k.c.SYN.Frame)
}

// related: the earlier connection's first and closing frames, the ACK,
// the RST, the SYN sent again and the SYN/ACK that opened the connection.
func (k *collision) related() []int {
	var r []int
	add := func(f int32) {
		if f > 0 && (len(r) == 0 || r[len(r)-1] != int(f)) {
			r = append(r, int(f))
		}
	}
	if k.prev != nil {
		add(k.prev.FirstFrame)
		add(k.prev.EndFrame())
	}
	add(k.a.Frame)
	add(k.rst)
	add(k.retry)
	add(k.opened.Frame)
	return r
}

var staleAdvice = map[Class]string{
	ClassPeerTimeWait: "Find why the client chose this port again so soon: a fixed source port (bind() before connect()), a narrow " +
		"ephemeral range (net.ipv4.ip_local_port_range), SO_REUSEADDR on the client socket, or a NAT mapping several clients to " +
		"one address. Keep TCP timestamps on at both ends (net.ipv4.tcp_timestamps) so RFC 6191 lets a new SYN reopen a tuple in " +
		"TIME_WAIT; net.ipv4.tcp_tw_reuse only lets a client reuse its own TIME_WAIT ports, not the server's. Or let the client " +
		"close first, so the server keeps no TIME_WAIT.",
	ClassHalfOpen: "The server kept a connection the client had forgotten (a restarted process or host, a NAT that dropped the " +
		"mapping). Let the server find dead connections (TCP keepalive, an application idle timeout), close connections cleanly " +
		"before a restart, and avoid fixed client ports, so that a restarted client does not come back on the same 4-tuple.",
	ClassEarlierUnseen: "Capture longer before the problem to see the earlier connection; then check for a fixed source port, " +
		"a narrow ephemeral range or SO_REUSEADDR on the client, and TCP timestamps on both ends (RFC 6191).",
}

// staleSubject is what a tcp.stale_peer flag is about, to group it by:
// the client (the SYN's sender, with its port) and the destination that
// held the old connection.
func (v *Verdict) staleSubject(f *Flag) (client, dest conv.Endpoint) {
	c := v.in.conv(v.in.Answers[f.Subject].Stream)
	return c.Endpoints(c.SYNDir)
}

// staleJudge is the host whose preset judged a tcp.stale_peer flag: the
// peer that held the ports (its TIME_WAIT).
func (v *Verdict) staleJudge(f *Flag) conv.HostID {
	_, dest := v.staleSubject(f)
	return dest.Host
}
