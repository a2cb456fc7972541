package rules

import (
	"fmt"
	"net/netip"

	"github.com/portlens/portlens/analyzer/conv"
)

const fastReuseRule = "The side that closes a TCP connection first keeps its 4-tuple in TIME_WAIT for 2 x MSL so that late " +
	"segments of the old connection are not taken for the new one (RFC 793); RFC 6191 allows an earlier reuse only when " +
	"timestamps or sequence numbers advance"

// fastReuse flags a SYN that reuses the 4-tuple of a connection closed
// with FIN less than the TIME_WAIT of the first closer's preset ago. A
// reuse seen only on a SYN/ACK (its SYN not captured) is left to
// tcp.reused_ports: it may be the old connection seen again elsewhere (the
// same traffic on another VLAN), not a new one.
func fastReuse(in *Input, s Settings, presetFor func(netip.Addr) Preset) []Flag {
	var flags []Flag
	for i := range in.Conversations {
		in.Pacer.Tick()
		c := &in.Conversations[i]
		if c.ReusedBy.Frame == 0 || c.PrevStream < 0 || c.ReusedBySYNACK {
			continue
		}
		r := reuse{cur: c, prev: &in.Conversations[c.PrevStream]}
		if r.prev.End() != conv.Fin {
			continue
		}
		r.preset = presetFor(r.holder().Addr())
		since := r.sinceEnd()
		if since >= r.preset.TimeWait {
			continue
		}
		d, _ := r.prev.ClosedFirstBy()
		fin := r.prev.FirstFIN[d]
		flags = append(flags, Flag{
			Frame: c.ReusedBy.Frame, Kind: FastReuse, Severity: Warning, Stream: c.Stream,
			Message: fmt.Sprintf("4-tuple %s ↔ %s reused %s after its close, inside TIME_WAIT (%s)",
				c.A, c.B, formatDuration(since), formatDuration(r.preset.TimeWait)),
			Explanation: fmt.Sprintf("Frame %d is a SYN from %s to %s on the ports of stream %d, which %s closed first with a FIN in frame %d; "+
				"the old connection's last packet, frame %d, was %s earlier, %s before the TIME_WAIT of %s ran out, by %s. %s",
				c.ReusedBy.Frame, c.A, c.B, r.prev.Stream, r.holder(), fin.Frame,
				r.prev.LastFrame, formatDuration(since), formatDuration(r.preset.TimeWait-since),
				formatDuration(r.preset.TimeWait), presetWords(r.preset), r.safetyWords()),
			Advice: "Avoid fixed source ports so connections do not come back on the same 4-tuple; keep TCP timestamps on " +
				"(RFC 6191) so a reuse inside TIME_WAIT is safe; if the server closes first, consider letting the client close.",
			Related: []int{r.prev.FirstFrame, fin.Frame, r.prev.LastFrame},
			Rule:    fastReuseRule,
		})
	}
	return flags
}
