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
func fastReuse(j *judgement) []Flag {
	var flags []Flag
	for _, i := range j.hosts.reused {
		j.in.Pacer.Tick()
		r, ok := j.reuseOf(int(i))
		if !ok || r.cur.ReusedBySYNACK || r.prev.End() != conv.Fin {
			continue
		}
		j.judgeBy(&r, int(i))
		since := r.sinceEnd()
		if since >= r.preset.TimeWait {
			continue
		}
		c := r.cur
		d, _ := r.prev.ClosedFirstBy()
		fin := r.prev.FirstFIN[d]
		tw := r.preset.TimeWait
		// "4-tuple %s ↔ %s reused %s after its close, inside TIME_WAIT (%s)"
		b := append(j.text.begin(), "4-tuple "...)
		b = appendAddrPort(b, c.A.AddrPort())
		b = append(b, " ↔ "...)
		b = appendAddrPort(b, c.B.AddrPort())
		b = append(b, " reused "...)
		b = appendDuration(b, since)
		b = append(b, " after its close, inside TIME_WAIT ("...)
		b = appendDuration(b, tw)
		b = append(b, ')')
		msg := j.text.end(b)
		// "Frame %d is a SYN from %s to %s on the ports of stream %d, which %s closed first with a FIN in frame %d; "+
		// "the old connection's last packet, frame %d, was %s earlier, %s before the TIME_WAIT of %s ran out, by %s. %s"
		b = append(j.text.begin(), "Frame "...)
		b = strconv.AppendInt(b, int64(c.ReusedBy.Frame), 10)
		b = append(b, " is a SYN from "...)
		b = appendAddrPort(b, c.A.AddrPort())
		b = append(b, " to "...)
		b = appendAddrPort(b, c.B.AddrPort())
		b = append(b, " on the ports of stream "...)
		b = strconv.AppendInt(b, int64(r.prev.Stream), 10)
		b = append(b, ", which "...)
		b = appendAddrPort(b, r.holder())
		b = append(b, " closed first with a FIN in frame "...)
		b = strconv.AppendInt(b, int64(fin.Frame), 10)
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
		flags = append(flags, Flag{
			Frame: c.ReusedBy.Frame, Kind: FastReuse, Severity: Warning, Stream: c.Stream,
			Message:     msg,
			Explanation: j.text.end(b),
			Advice:      fastReuseAdvice,
			Related:     j.ints.of(r.prev.FirstFrame, fin.Frame, r.prev.LastFrame),
			Rule:        fastReuseRule,
		})
	}
	return flags
}
