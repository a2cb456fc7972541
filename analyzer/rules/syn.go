package rules

import (
	"fmt"
	"time"

	"github.com/portlens/portlens/analyzer/conv"
)

const synRule = "A client retransmits an unanswered SYN with growing delays (RFC 6298: 1 s, then doubling); no SYN/ACK " +
	"and no RST means the SYN or its answer was dropped: a full listen queue (backlog, SYN cookies off) or a filter"

// minRetransmit is the shortest gap that can be a SYN retransmission:
// Linux's minimum RTO (TCP_RTO_MIN, 200 ms). Copies closer together are
// the same SYN captured twice (a mirror port, two interfaces).
const minRetransmit = 200 * time.Millisecond

// scanPorts is how many unanswered destination ports on one server make
// the explanation speak of a port scan.
const scanPorts = 10

// unanswered reports whether c is a SYN sent at least min times, the
// copies spread over minRetransmit or more, with nothing coming back: no
// SYN/ACK, no RST, no packet at all from the peer, no ICMP error.
func unanswered(c *conv.Conversation, min int) bool {
	if c.SYN.Frame == 0 || c.SYNCount < min || c.ICMPErrors > 0 {
		return false
	}
	if c.Packets[c.SYNDir.Reverse()] > 0 || c.Packets[c.SYNDir] != c.SYNCount {
		return false
	}
	return time.Duration(c.LastTime-c.SYN.Time) >= minRetransmit
}

// synUnanswered flags, once per client and server address, connection
// attempts whose SYN was retransmitted without any answer.
func synUnanswered(j *judgement) []Flag {
	in, s := j.in, j.s
	type group struct {
		convs []*conv.Conversation
		ports map[uint16]bool
	}
	groups := map[uint64]*group{}
	var order []uint64
	for _, i := range j.hosts.resent { // SYNMin is at least 2
		in.Pacer.Tick()
		c := &in.Conversations[i]
		if !unanswered(c, s.SYNMin) {
			continue
		}
		_, dst := endpointsOf(c, c.SYNDir)
		e := j.hosts.ends[i]
		if c.SYNDir != conv.FromA {
			e.a, e.b = e.b, e.a
		}
		k := uint64(uint32(e.a))<<32 | uint64(uint32(e.b)) // ordered: client, server
		g := groups[k]
		if g == nil {
			g = &group{ports: map[uint16]bool{}}
			groups[k] = g
			order = append(order, k)
		}
		g.convs = append(g.convs, c)
		g.ports[dst.Port()] = true
	}
	var flags []Flag
	for _, k := range order {
		g := groups[k]
		c := g.convs[0]
		src, dst := endpointsOf(c, c.SYNDir)
		span := time.Duration(c.LastTime - c.SYN.Time)
		var b []byte
		b = fmt.Appendf(b, "Frame %d is a SYN from %s to %s. It was sent %s over %s (the last in frame %d) "+
			"and nothing came back in the capture: no SYN/ACK, no RST, no ICMP error.",
			c.SYN.Frame, src, dst, plural(c.SYNCount, "time"), formatDuration(span), c.LastFrame)
		if len(g.convs) > 1 {
			b = fmt.Appendf(b, " The same happened to %s from %s to %s (%s of it).",
				plural(len(g.convs)-1, "other attempt"), src.Addr(), dst.Addr(), plural(len(g.ports), "port"))
		}
		if len(g.ports) >= scanPorts {
			b = fmt.Appendf(b, " Unanswered SYNs to %d ports of one server are the pattern of a port scan meeting a filter.", len(g.ports))
		} else {
			b = fmt.Appendf(b, " The server's listen queue (backlog) may be full, or a firewall drops the SYN or the answer.")
		}
		b = fmt.Appendf(b, " A capture on only one side of an asymmetric path looks the same.")
		related := []int{c.LastFrame}
		for _, o := range g.convs[1:] {
			related = append(related, o.SYN.Frame)
		}
		flags = append(flags, Flag{
			Frame: c.SYN.Frame, Kind: SYNUnanswered, Severity: Warning, Stream: c.Stream,
			Message:     fmt.Sprintf("SYN from %s to %s sent %d times without answer", src, dst, c.SYNCount),
			Explanation: string(b),
			Advice:      "Check that the service is up and its accept queue keeps up (ss -lnt: Recv-Q against Send-Q), and look for a filter dropping the SYN on the path.",
			Related:     capRelated(related),
			Rule:        synRule,
		})
	}
	return flags
}
