package rules

import (
	"fmt"

	"github.com/portlens/portlens/analyzer/conv"
)

const serverRule = "A listening port inside its host's ephemeral range can be taken by an outgoing connection " +
	"before the service binds it (bind fails with EADDRINUSE); Linux reserves such ports with net.ipv4.ip_local_reserved_ports " +
	"(sources per preset in analyzer/rules/RULES.md)"

// serverInEphemeral flags, once per host and port, a service answering
// with SYN/ACK from a port inside its host's ephemeral range.
func serverInEphemeral(v *Verdict) []Flag {
	uses := v.groupBy(v.hosts.synacks, true, func(s sent) bool {
		return v.hosts.preset(s.host).Ephemeral.Contains(s.port)
	})
	if len(uses) == 0 {
		return nil
	}
	pairs := v.byHostPair(uses)
	kept := uses[:0]
	for i := range uses {
		v.in.Pacer.Tick()
		if !v.negotiated(&uses[i], pairs) {
			kept = append(kept, uses[i])
		}
	}
	return v.flagUses(kept, ServerInEphemeral)
}

func (v *Verdict) serverWords(f *Flag) words {
	u := v.use(f.Subject, true)
	p := v.hosts.preset(u.at.Host)
	c := v.in.conv(u.convs[0])
	at := v.in.Hosts.AddrPort(u.at)
	return words{
		message: fmt.Sprintf("Service %s listens inside its ephemeral range %s", at, p.Ephemeral),
		explanation: fmt.Sprintf("Frame %d is a SYN/ACK from %s: a service listens on port %d, which lies inside %s's ephemeral range %s, by %s. "+
			"It accepted %s in the capture (from %s). While it is not listening (at boot, after a restart) any outgoing connection of the host may take the port, and the service then cannot bind it. "+
			"(Data channels negotiated over another connection between the same hosts, such as passive FTP, are not flagged: the OS hands those ports out on purpose.)",
			c.SYNACK.Frame, at, at.Port(), at.Addr(), p.Ephemeral, v.hosts.presetWords(u.at.Host),
			plural(len(u.convs), "connection"), v.peerList(&u)),
		advice:  "Move the service below the ephemeral range, or reserve its port (Linux net.ipv4.ip_local_reserved_ports, Windows netsh int ipv4 add excludedportrange).",
		related: v.others(&u),
		rule:    serverRule,
	}
}

func pairKey(a, b conv.HostID) uint64 {
	lo, hi := min(a, b), max(a, b)
	return uint64(uint32(lo))<<32 | uint64(uint32(hi))
}

func convPair(c *conv.Conversation) uint64 { return pairKey(c.A.Host, c.B.Host) }

func (v *Verdict) byHostPair(uses []portUse) map[uint64][]int32 {
	m := map[uint64][]int32{}
	for i := range uses {
		for _, c := range uses[i].convs {
			m[convPair(v.in.conv(c))] = nil
		}
	}
	convs := v.in.Conversations
	for i := range convs.Len() {
		v.in.Pacer.Tick()
		k := convPair(convs.At(i))
		if l, ok := m[k]; ok {
			m[k] = append(l, int32(i))
		}
	}
	return m
}

func (v *Verdict) negotiated(u *portUse, pairs map[uint64][]int32) bool {
	for _, ci := range u.convs {
		c := v.in.conv(ci)
		found := false
		for _, oi := range pairs[convPair(c)] {
			o := v.in.conv(oi)
			if oi != ci && o.FirstTime <= c.SYNACK.Time && o.LastTime >= c.SYNACK.Time &&
				o.A.Port != u.at.Port && o.B.Port != u.at.Port {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}
