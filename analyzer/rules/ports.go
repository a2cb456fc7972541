package rules

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"

	"github.com/portlens/portlens/analyzer/conv"
)

// portUse is one (host, port) as the rules see it: the connections that
// used it in one role, in capture order, and the peer of each.
type portUse struct {
	at    netip.AddrPort
	host  int32 // at's host id
	convs []*conv.Conversation
	peers []netip.AddrPort // one per conversation, repeats kept
}

// groupBy collects the conversations of list (their SYN/ACK's senders
// when synack is set, else their SYN's) that keep accepts, under their
// sender, in order of first appearance. Senders are keyed by host id and
// port (an integer, not a netip.AddrPort), and the groups share two
// backing arrays: one allocation each, not one per group.
func (j *judgement) groupBy(list []sent, synack bool, keep func(s sent) bool) []portUse {
	convs := j.in.Conversations
	var firsts, hosts, count []int32 // each group's first conversation, host and size
	members := j.members[:0]         // the list's entries kept
	for k, s := range list {
		j.in.Pacer.Tick()
		if keep(s) {
			members = append(members, int32(k))
		}
	}
	groupOf := slices.Grow(j.groupOf[:0], len(members))
	idx := make(map[uint64]int32, len(members))
	for m, k := range members {
		j.in.Pacer.Tick()
		s := list[k]
		key := uint64(uint32(s.host))<<16 | uint64(s.port)
		g, seen := idx[key]
		if !seen {
			g = int32(len(firsts))
			idx[key] = g
			firsts, hosts = append(firsts, s.conv), append(hosts, s.host)
			count = append(count, 0)
		}
		members[m] = s.conv
		groupOf = append(groupOf, g)
		count[g]++
	}
	j.members, j.groupOf = members, groupOf
	uses := make([]portUse, len(firsts))
	for g, i := range firsts {
		at, _ := sentBy(&convs[i], synack)
		uses[g] = portUse{at: at, host: hosts[g]}
	}
	flatConvs := make([]*conv.Conversation, len(members))
	flatPeers := make([]netip.AddrPort, len(members))
	off := 0
	for g := range uses {
		n := int(count[g])
		uses[g].convs = flatConvs[off : off : off+n]
		uses[g].peers = flatPeers[off : off : off+n]
		off += n
	}
	for m, i := range members {
		u := &uses[groupOf[m]]
		c := &convs[i]
		_, peer := sentBy(c, synack)
		u.convs = append(u.convs, c)
		u.peers = append(u.peers, peer)
	}
	return uses
}

// others lists the frame of seg(c) for each conversation after the
// first, at most maxRelated; nil when there is none.
func (j *judgement) others(u *portUse, seg func(c *conv.Conversation) conv.Segment) []int {
	n := min(len(u.convs)-1, maxRelated)
	if n <= 0 {
		return nil
	}
	out := j.ints.take(n)
	for k, c := range u.convs[1 : n+1] {
		out[k] = seg(c).Frame
	}
	return out
}

func synOf(c *conv.Conversation) conv.Segment    { return c.SYN }
func synackOf(c *conv.Conversation) conv.Segment { return c.SYNACK }

func (u *portUse) peerList() string { return string(u.appendPeerList(nil)) }

// appendPeerList appends the distinct peers, sorted, as "a, b, c and 4 more".
func (u *portUse) appendPeerList(b []byte) []byte {
	if len(u.peers) == 1 {
		return appendAddrPort(b, u.peers[0])
	}
	peers := slices.Clone(u.peers)
	slices.SortFunc(peers, func(a, b netip.AddrPort) int { return a.Compare(b) })
	peers = slices.Compact(peers)
	n := min(len(peers), 4)
	for i := range n {
		switch {
		case i == 0:
		case i == n-1:
			b = append(b, " and "...)
		default:
			b = append(b, ", "...)
		}
		if i == 3 {
			b = strconv.AppendInt(b, int64(len(peers)-3), 10)
			b = append(b, " more"...)
			break
		}
		b = appendAddrPort(b, peers[i])
	}
	return b
}

const outsideRule = "The ephemeral (dynamic) port range of the initiator's operating system: a connection opened " +
	"with a port the OS chose lies inside it (RFC 6335 section 6; sources per preset in analyzer/rules/RULES.md)"

// inSomePreset names a preset whose range holds port, "" if none does.
func inSomePreset(port uint16) string {
	for _, p := range Presets {
		if p.Ephemeral.Contains(port) {
			return p.Name
		}
	}
	return ""
}

// outsideEphemeral flags, once per host and port, a SYN whose source port
// (1024 or above: lower ones are port.privileged_source) lies outside the
// ephemeral range of its host's preset.
func outsideEphemeral(j *judgement) []Flag {
	// Only endpoints that will be flagged are grouped: the test depends
	// on the host and port alone.
	uses := j.groupBy(j.hosts.syns, false, func(s sent) bool {
		if s.port < 1024 {
			return false
		}
		p := j.hosts.preset(s.host)
		if p.Ephemeral.Contains(s.port) {
			return false
		}
		// Auto had too few connections to know this host: only a port
		// outside every preset's range says something.
		return !p.Assumed || inSomePreset(s.port) == ""
	})
	flags := make([]Flag, 0, len(uses))
	for i := range uses {
		j.in.Pacer.Tick()
		u := &uses[i]
		p := j.hosts.preset(u.host)
		c := u.convs[0]
		dst := u.peers[0]
		why := "a fixed or explicitly bound source port, a host running another operating system than the preset, or a NAT rewriting ports"
		if u.at.Port() < 49152 && p.Ephemeral.Lo >= 32768 {
			why = "a port in the registered range 1024-49151, outside every modern default range except Linux's and FreeBSD's: usually bound explicitly by the application (a fixed source port), or rewritten by a NAT"
		}
		port := uint64(u.at.Port())
		// "Source port %d of %s is outside its ephemeral range %s"
		b := append(j.text.begin(), "Source port "...)
		b = strconv.AppendUint(b, port, 10)
		b = append(b, " of "...)
		b = appendAddr(b, u.at.Addr())
		b = append(b, " is outside its ephemeral range "...)
		b = appendRange(b, p.Ephemeral)
		msg := j.text.end(b)
		// "Frame %d is a SYN from %s to %s. Port %d lies outside %s's ephemeral range %s, by %s. "+
		// "%s opened %s from this port in the capture (toward %s). Likely %s."
		b = append(j.text.begin(), "Frame "...)
		b = strconv.AppendInt(b, int64(c.SYN.Frame), 10)
		b = append(b, " is a SYN from "...)
		b = appendAddrPort(b, u.at)
		b = append(b, " to "...)
		b = appendAddrPort(b, dst)
		b = append(b, ". Port "...)
		b = strconv.AppendUint(b, port, 10)
		b = append(b, " lies outside "...)
		b = appendAddr(b, u.at.Addr())
		b = append(b, "'s ephemeral range "...)
		b = appendRange(b, p.Ephemeral)
		b = append(b, ", by "...)
		b = append(b, j.hosts.presetWords(u.host)...)
		b = append(b, ". "...)
		b = appendAddr(b, u.at.Addr())
		b = append(b, " opened "...)
		b = appendPlural(b, len(u.convs), "connection")
		b = append(b, " from this port in the capture (toward "...)
		b = u.appendPeerList(b)
		b = append(b, "). Likely "...)
		b = append(b, why...)
		b = append(b, '.')
		flags = append(flags, Flag{
			Frame: c.SYN.Frame, Kind: OutsideEphemeral, Severity: Note, Stream: c.Stream,
			Message:     msg,
			Explanation: j.text.end(b),
			Advice: "If the host runs another operating system, choose its preset (or --os auto). Otherwise find what binds the port: " +
				"a fixed source port makes every reconnect reuse the same 4-tuple and wait out TIME_WAIT.",
			Related: j.others(u, synOf),
			Rule:    outsideRule,
		})
	}
	return flags
}

const privilegedRule = "Ports 0-1023 are the system ports; on Unix only root may bind them (RFC 6335). Legitimate " +
	"privileged source ports: rsh/rlogin/rexec (512-1023 toward 512-514), NFS and portmapper clients (bindresvport, toward 2049 and 111), active FTP data (from 20)"

// privilegedExpected reports whether a privileged source port is how the
// protocol works: rsh/rlogin/rexec, NFS and portmapper clients prove root
// with a port below 1024; an active FTP server opens data from port 20 to
// the client's high port.
func privilegedExpected(src, dst uint16) bool {
	switch {
	case src == 20 && dst >= 1024:
		return true
	case src >= 512 && (dst >= 512 && dst <= 514 || dst == 2049 || dst == 111):
		return true
	}
	return false
}

// privilegedSource flags, once per host and port, a SYN from a source
// port below 1024, except where the protocol expects one.
func privilegedSource(j *judgement) []Flag {
	var flags []Flag
	uses := j.groupBy(j.hosts.syns, false, func(s sent) bool {
		if s.port >= 1024 {
			return false
		}
		_, dst := sentBy(&j.in.Conversations[s.conv], false)
		return !privilegedExpected(s.port, dst.Port())
	})
	for i := range uses {
		j.in.Pacer.Tick()
		u := &uses[i]
		c := u.convs[0]
		dst := u.peers[0]
		flags = append(flags, Flag{
			Frame: c.SYN.Frame, Kind: PrivilegedSource, Severity: Warning, Stream: c.Stream,
			Message: fmt.Sprintf("Privileged source port %d: %s opened a connection to %s from a port below 1024", u.at.Port(), u.at.Addr(), dst),
			Explanation: fmt.Sprintf("Frame %d is a SYN from %s to %s. Port %d is a system port (0-1023, RFC 6335): no operating system hands it out as an ephemeral port, and on Unix only root may bind it. "+
				"%s opened %s from this port in the capture (toward %s). Outside rsh/rlogin, NFS and portmapper clients and active FTP data, "+
				"it means a process running as root chose it, a middlebox rewrote it, or the traffic is crafted (a scan, a spoofed packet; "+
				"port 20 is also the default source port of packets built with Scapy).",
				c.SYN.Frame, u.at, dst, u.at.Port(), u.at.Addr(), plural(len(u.convs), "connection"), u.peerList()),
			Advice:  "Find the process that binds the port and why it runs as root; check for NAT or port-rewriting middleboxes, or for scans.",
			Related: j.others(u, synOf),
			Rule:    privilegedRule,
		})
	}
	return flags
}
