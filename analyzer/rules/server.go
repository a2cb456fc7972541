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
func serverInEphemeral(j *judgement) []Flag {
	// Only services inside their host's range are grouped: the test
	// depends on the host and port alone.
	uses := j.groupBy(j.hosts.synacks, true, func(s sent) bool {
		return j.hosts.preset(s.host).Ephemeral.Contains(s.port)
	})
	if len(uses) == 0 {
		return nil
	}
	pairs := j.byHostPair(uses)
	var flags []Flag
	for i := range uses {
		j.in.Pacer.Tick()
		u := &uses[i]
		if j.negotiated(u, pairs) {
			continue
		}
		p := j.hosts.preset(u.host)
		c := u.convs[0]
		flags = append(flags, Flag{
			Frame: c.SYNACK.Frame, Kind: ServerInEphemeral, Severity: Note, Stream: c.Stream,
			Message: fmt.Sprintf("Service %s listens inside its ephemeral range %s", u.at, p.Ephemeral),
			Explanation: fmt.Sprintf("Frame %d is a SYN/ACK from %s: a service listens on port %d, which lies inside %s's ephemeral range %s, by %s. "+
				"It accepted %s in the capture (from %s). While it is not listening (at boot, after a restart) any outgoing connection of the host may take the port, and the service then cannot bind it. "+
				"(Data channels negotiated over another connection between the same hosts, such as passive FTP, are not flagged: the OS hands those ports out on purpose.)",
				c.SYNACK.Frame, u.at, u.at.Port(), u.at.Addr(), p.Ephemeral, j.hosts.presetWords(u.host),
				plural(len(u.convs), "connection"), u.peerList()),
			Advice:  "Move the service below the ephemeral range, or reserve its port (Linux net.ipv4.ip_local_reserved_ports, Windows netsh int ipv4 add excludedportrange).",
			Related: j.others(u, synackOf),
			Rule:    serverRule,
		})
	}
	return flags
}

// pairKey is the unordered pair of host ids a and b.
func pairKey(a, b int32) uint64 {
	lo, hi := min(a, b), max(a, b)
	return uint64(uint32(lo))<<32 | uint64(uint32(hi))
}

// convPair is pairKey of c's two hosts.
func (j *judgement) convPair(c *conv.Conversation) uint64 {
	return pairKey(j.hosts.id(c.A.Addr()), j.hosts.id(c.B.Addr()))
}

// byHostPair indexes, by their two hosts, the conversations between the
// host pairs of uses' conversations.
func (j *judgement) byHostPair(uses []portUse) map[uint64][]int32 {
	m := map[uint64][]int32{}
	for i := range uses {
		for _, c := range uses[i].convs {
			m[j.convPair(c)] = nil
		}
	}
	for i, e := range j.hosts.ends {
		j.in.Pacer.Tick()
		k := pairKey(e.a, e.b)
		if l, ok := m[k]; ok {
			m[k] = append(l, int32(i))
		}
	}
	return m
}

// negotiated reports whether every connection to the port u was accepted
// while another connection between the same two hosts was open: a data
// channel negotiated over a control connection (FTP, IRC DCC, GridFTP),
// whose listening port the OS handed out from the ephemeral range on
// purpose.
func (j *judgement) negotiated(u *portUse, pairs map[uint64][]int32) bool {
	for _, c := range u.convs {
		found := false
		for _, oi := range pairs[j.convPair(c)] {
			o := &j.in.Conversations[oi]
			if o != c && o.FirstTime <= c.SYNACK.Time && o.LastTime >= c.SYNACK.Time &&
				o.A.Port() != u.at.Port() && o.B.Port() != u.at.Port() {
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
