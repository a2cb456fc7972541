package rules

import (
	"fmt"

	"github.com/portlens/portlens/analyzer/conv"
)

// PortSpan is the time one connection keeps its client's port busy, as
// port.exhaustion counts it under the verdict's settings: open from From
// to Closed, then held until Until (the client's TIME_WAIT when it closed
// first; under a NAT the NAT's hold after any close). Held is false for a
// SYN nothing answered under a NAT: the NAT dropped it, it took no port.
type PortSpan struct {
	From, Closed, Until int64
	Held                bool
}

// PortSpan is conversation i's PortSpan (views draw what the rules count).
func (v *Verdict) PortSpan(i int) PortSpan {
	c := v.in.conv(int32(i))
	cd := c.ClientDir()
	if n, ok := v.s.NATPreset(); ok {
		s, held := natSpan(c, int32(i), cd, &n, v.in.End)
		if !held {
			return PortSpan{From: c.FirstTime, Closed: c.LastTime, Until: c.LastTime}
		}
		return PortSpan{From: s.from, Closed: s.closed, Until: s.to, Held: true}
	}
	client, _ := c.Endpoints(cd)
	b := spanOf(c, int32(i), cd, v.hosts.preset(client.Host).TimeWait, v.in.End)
	closed := c.LastTime
	if c.End() == conv.Open {
		closed = b.to
	}
	return PortSpan{From: b.from, Closed: closed, Until: b.to, Held: true}
}

// PortBudget is what a client's ports held at once toward one destination
// are measured against: the NAT's budget under a NAT, else the size of
// the client's ephemeral range; what names it.
func (v *Verdict) PortBudget(client conv.HostID) (n int, what string, nat bool) {
	if nt, ok := v.s.NATPreset(); ok {
		return nt.Budget, fmt.Sprintf("%s: %s", nt.Label, nt.Limit), true
	}
	p := v.hosts.preset(client)
	return p.Ephemeral.Size(), fmt.Sprintf("%s ephemeral range %s (%d ports)", p.Label, p.Ephemeral, p.Ephemeral.Size()), false
}
