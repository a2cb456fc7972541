package rules

import (
	"fmt"
	"net/netip"
	"time"
)

const synRule = "A client retransmits an unanswered SYN with growing delays (RFC 6298: 1 s, then doubling); no SYN/ACK " +
	"and no RST means the SYN or its answer was dropped: a full listen queue (backlog, SYN cookies off) or a filter"

// synUnanswered flags a connection attempt whose SYN was sent at least
// s.SYNMin times with nothing coming back: no SYN/ACK, no RST, no packet
// at all from the peer and no ICMP error quoting it.
func synUnanswered(in *Input, s Settings, presetFor func(netip.Addr) Preset) []Flag {
	var flags []Flag
	for i := range in.Conversations {
		c := &in.Conversations[i]
		if c.SYN.Frame == 0 || c.SYNCount < s.SYNMin || c.ICMPErrors > 0 {
			continue
		}
		peer := c.SYNDir.Reverse()
		if c.Packets[peer] > 0 || c.Packets[c.SYNDir] != c.SYNCount {
			continue
		}
		src, dst := endpointsOf(c, c.SYNDir)
		span := time.Duration(c.LastTime - c.SYN.Time)
		flags = append(flags, Flag{
			Frame: c.SYN.Frame, Kind: SYNUnanswered, Severity: Warning, Stream: c.Stream,
			Message: fmt.Sprintf("SYN from %s to %s sent %d times without answer", src, dst, c.SYNCount),
			Explanation: fmt.Sprintf("Frame %d is a SYN from %s to %s. It was sent %s over %s (the last in frame %d) "+
				"and nothing came back in the capture: no SYN/ACK, no RST, no ICMP error. The server's listen queue (backlog) may be full, "+
				"or a firewall drops the SYN or the answer. A capture on only one side of an asymmetric path looks the same.",
				c.SYN.Frame, src, dst, plural(c.SYNCount, "time"), formatDuration(span), c.LastFrame),
			Advice:  "Check that the service is up and its accept queue keeps up (ss -lnt: Recv-Q against Send-Q), and look for a filter dropping the SYN on the path.",
			Related: []int{c.LastFrame},
			Rule:    synRule,
		})
	}
	return flags
}
