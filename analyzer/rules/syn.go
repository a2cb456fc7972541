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
	if c.SYN.Frame == 0 || int(c.SYNCount) < min || c.ICMPErrors > 0 {
		return false
	}
	if c.Packets[c.SYNDir.Reverse()] > 0 || c.Packets[c.SYNDir] != uint32(c.SYNCount) {
		return false
	}
	return time.Duration(c.LastTime-c.SYN.Time) >= minRetransmit
}

// synGroup is the evidence of one tcp.syn_unanswered flag: the
// unanswered attempts of one client to one server (a group of
// conversations) and how many server ports they tried.
type synGroup struct {
	group int32
	ports int
}

// synUnanswered flags, once per client and server address, connection
// attempts whose SYN was retransmitted without any answer.
func synUnanswered(v *Verdict) []Flag {
	in, s := &v.in, v.s
	type attempts struct {
		convs []int32
		ports map[uint16]bool
	}
	groups := map[uint64]*attempts{}
	var order []uint64
	for _, i := range v.hosts.resent { // SYNMin is at least 2
		in.Pacer.Tick()
		c := in.conv(i)
		if !unanswered(c, s.SYNMin) {
			continue
		}
		src, dst := c.Endpoints(c.SYNDir)
		k := uint64(uint32(src.Host))<<32 | uint64(uint32(dst.Host)) // ordered: client, server
		g := groups[k]
		if g == nil {
			g = &attempts{ports: map[uint16]bool{}}
			groups[k] = g
			order = append(order, k)
		}
		g.convs = append(g.convs, i)
		g.ports[dst.Port] = true
	}
	var flags []Flag
	for _, k := range order {
		g := groups[k]
		first := g.convs[0]
		v.syns = append(v.syns, synGroup{group: v.keep(&portUse{convs: g.convs}), ports: len(g.ports)})
		flags = append(flags, Flag{Frame: in.conv(first).SYN.Frame, Kind: SYNUnanswered, Stream: first,
			Subject: int32(len(v.syns) - 1)})
	}
	return flags
}

func (v *Verdict) synWords(f *Flag) words {
	e := v.syns[f.Subject]
	convs := v.groupMembers(e.group)
	c := v.in.conv(convs[0])
	s, d := c.Endpoints(c.SYNDir)
	src, dst := v.in.Hosts.AddrPort(s), v.in.Hosts.AddrPort(d)
	span := time.Duration(c.LastTime - c.SYN.Time)
	var b []byte
	b = fmt.Appendf(b, "Frame %d is a SYN from %s to %s. It was sent %s over %s (the last in frame %d) "+
		"and nothing came back in the capture: no SYN/ACK, no RST, no ICMP error.",
		c.SYN.Frame, src, dst, plural(int(c.SYNCount), "time"), formatDuration(span), c.LastFrame)
	if len(convs) > 1 {
		b = fmt.Appendf(b, " The same happened to %s from %s to %s (%s of it).",
			plural(len(convs)-1, "other attempt"), src.Addr(), dst.Addr(), plural(e.ports, "port"))
	}
	if e.ports >= scanPorts {
		b = fmt.Appendf(b, " Unanswered SYNs to %d ports of one server are the pattern of a port scan meeting a filter.", e.ports)
	} else {
		b = fmt.Appendf(b, " The server's listen queue (backlog) may be full, or a firewall drops the SYN or the answer.")
	}
	b = fmt.Appendf(b, " A capture on only one side of an asymmetric path looks the same.")
	related := []int{int(c.LastFrame)}
	for _, o := range convs[1:] {
		related = append(related, int(v.in.conv(o).SYN.Frame))
	}
	return words{
		message:     fmt.Sprintf("SYN from %s to %s sent %d times without answer", src, dst, c.SYNCount),
		explanation: string(b),
		advice:      "Check that the service is up and its accept queue keeps up (ss -lnt: Recv-Q against Send-Q), and look for a filter dropping the SYN on the path.",
		related:     capRelated(related),
		rule:        synRule,
	}
}
