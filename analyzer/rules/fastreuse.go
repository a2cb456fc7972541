package rules

import (
	"strconv"

	"github.com/portlens/portlens/analyzer/conv"
)

const fastReuseRule = "The side that closes a TCP connection first keeps its 4-tuple in TIME_WAIT for 2 x MSL so that late " +
	"segments of the old connection are not taken for the new one (RFC 793); RFC 6191 allows an earlier reuse only when " +
	"timestamps or sequence numbers advance"

const fastReuseAdvice = "Avoid fixed source ports so connections do not come back on the same 4-tuple; keep TCP timestamps on " +
	"(RFC 6191) so a reuse inside TIME_WAIT is safe; if the server closes first, consider letting the client close."

// fastReuse flags a SYN that reuses the 4-tuple of a connection closed
// with FIN less than the TIME_WAIT of the first closer's preset ago. A
// reuse seen only on a SYN/ACK (its SYN not captured) is left to
// tcp.reused_ports: it may be the old connection seen again elsewhere (the
// same traffic on another VLAN), not a new one.
func fastReuse(v *Verdict) []Flag {
	var flags []Flag
	for _, i := range v.hosts.reused {
		v.in.Pacer.Tick()
		r, ok := v.reuseOf(i)
		if !ok || r.cur.ReusedBySYNACK || r.prev.End() != conv.Fin || r.sinceEnd() >= r.preset.TimeWait {
			continue
		}
		flags = append(flags, Flag{Frame: r.cur.ReusedBy().Frame, Kind: FastReuse, Stream: i, Subject: i})
	}
	return flags
}

func (v *Verdict) fastReuseWords(f *Flag) words {
	r, _ := v.reuseOf(f.Subject)
	since := r.sinceEnd()
	d, _ := r.prev.ClosedFirstBy()
	fin := r.prev.FirstFIN[d]
	tw := r.preset.TimeWait
	// "4-tuple %s ↔ %s reused %s after its close, inside TIME_WAIT (%s)"
	b := make([]byte, 0, 1024) // the message and the explanation, one after the other
	b = append(b, "4-tuple "...)
	b = appendAddrPort(b, r.a())
	b = append(b, " ↔ "...)
	b = appendAddrPort(b, r.b())
	b = append(b, " reused "...)
	b = appendDuration(b, since)
	b = append(b, " after its close, inside TIME_WAIT ("...)
	b = appendDuration(b, tw)
	b = append(b, ')')
	m := len(b)
	// "Frame %d is a SYN from %s to %s on the ports of stream %d, which %s closed first with a FIN in frame %d; "+
	// "the old connection's last packet, frame %d, was %s earlier, %s before the TIME_WAIT of %s ran out, by %s. %s"
	b = append(b, "Frame "...)
	b = strconv.AppendInt(b, int64(r.cur.ReusedBy().Frame), 10)
	b = append(b, " is a SYN from "...)
	b = appendAddrPort(b, r.a())
	b = append(b, " to "...)
	b = appendAddrPort(b, r.b())
	b = append(b, " on the ports of stream "...)
	b = strconv.AppendInt(b, int64(r.cur.PrevStream), 10)
	b = append(b, ", which "...)
	b = appendAddrPort(b, r.holder())
	b = append(b, " closed first with a FIN in frame "...)
	b = strconv.AppendInt(b, int64(fin), 10)
	b = append(b, "; the old connection's last packet, frame "...)
	b = strconv.AppendInt(b, int64(r.prev.LastFrame), 10)
	b = append(b, ", was "...)
	b = appendDuration(b, since)
	b = append(b, " earlier, "...)
	b = appendDuration(b, tw-since)
	b = append(b, " before the TIME_WAIT of "...)
	b = appendDuration(b, tw)
	b = append(b, " ran out, by "...)
	b = append(b, r.words...)
	b = append(b, ". "...)
	b = r.appendSafety(b)
	text := ownString(b)
	return words{
		message:     text[:m],
		explanation: text[m:],
		advice:      fastReuseAdvice,
		related:     []int{int(r.prev.FirstFrame), int(fin), int(r.prev.LastFrame)},
		rule:        fastReuseRule,
	}
}
