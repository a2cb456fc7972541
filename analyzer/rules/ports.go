package rules

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"

	"github.com/portlens/portlens/analyzer/conv"
)

// portUse is one (host, port) as the rules see it: the connections that
// used it in one role (sending SYNs, or SYN/ACKs when synack), in capture
// order.
type portUse struct {
	at     conv.Endpoint
	synack bool
	convs  []int32
}

// groupBy collects the conversations of list (their SYN/ACK's senders
// when synack is set, else their SYN's) that keep accepts, under their
// sender, in order of first appearance. Senders are keyed by host id and
// port, and the groups share one backing array.
func (v *Verdict) groupBy(list []sent, synack bool, keep func(s sent) bool) []portUse {
	var firsts, count []int32 // each group's first list entry and size
	var groupOf []int32       // per kept entry
	var kept []int32          // the list's entries kept
	idx := make(map[uint64]int32)
	for k, s := range list {
		v.in.Pacer.Tick()
		if !keep(s) {
			continue
		}
		key := uint64(uint32(s.host))<<16 | uint64(s.port)
		g, seen := idx[key]
		if !seen {
			g = int32(len(firsts))
			idx[key] = g
			firsts = append(firsts, int32(k))
			count = append(count, 0)
		}
		kept = append(kept, int32(k))
		groupOf = append(groupOf, g)
		count[g]++
	}
	uses := make([]portUse, len(firsts))
	flat := make([]int32, len(kept))
	off := int32(0)
	for g, k := range firsts {
		s := list[k]
		uses[g] = portUse{at: conv.Endpoint{Host: s.host, Port: s.port}, synack: synack, convs: flat[off : off : off+count[g]]}
		off += count[g]
	}
	for m, k := range kept {
		u := &uses[groupOf[m]]
		u.convs = append(u.convs, list[k].conv)
	}
	return uses
}

// keep stores u's connections as the evidence of a flag and returns the
// flag's subject.
func (v *Verdict) keep(u *portUse) int32 {
	v.groups = append(v.groups, group{off: int32(len(v.members)), n: int32(len(u.convs))})
	v.members = append(v.members, u.convs...)
	return int32(len(v.groups) - 1)
}

// use rebuilds the portUse of group g.
func (v *Verdict) use(g int32, synack bool) portUse {
	convs := v.groupMembers(g)
	at, _ := sentBy(v.in.conv(convs[0]), synack)
	return portUse{at: at, synack: synack, convs: convs}
}

// peer is the receiver of conversation i's segment in u.
func (v *Verdict) peer(u *portUse, i int32) netip.AddrPort {
	return v.in.Hosts.AddrPort(v.peerEndpoint(u, i))
}

// peerEndpoint is peer as an endpoint.
func (v *Verdict) peerEndpoint(u *portUse, i int32) conv.Endpoint {
	_, dst := sentBy(v.in.conv(i), u.synack)
	return dst
}

// others lists the frame of u's segment (SYN or SYN/ACK) of each
// conversation after the first, at most maxRelated; nil when there is
// none.
func (v *Verdict) others(u *portUse) []int {
	n := min(len(u.convs)-1, maxRelated)
	if n <= 0 {
		return nil
	}
	out := make([]int, n)
	for k, i := range u.convs[1 : n+1] {
		c := v.in.conv(i)
		seg := c.SYN
		if u.synack {
			seg = c.SYNACK
		}
		out[k] = int(seg.Frame)
	}
	return out
}

// appendPeerList appends the distinct peers, sorted, as "a, b, c and 4 more".
// A fixed port may have thousands of connections, and the list is in a
// finding's title: the peers are told apart by their endpoints (integers,
// sorted fast) and only the first four in address order are picked out.
func (v *Verdict) appendPeerList(b []byte, u *portUse) []byte {
	if len(u.convs) == 1 {
		return appendAddrPort(b, v.peer(u, u.convs[0]))
	}
	keys := make([]uint64, len(u.convs))
	for k, i := range u.convs {
		e := v.peerEndpoint(u, i)
		keys[k] = uint64(uint32(e.Host))<<16 | uint64(e.Port)
	}
	slices.Sort(keys)
	keys = slices.Compact(keys) // a host has one address: distinct endpoints are distinct peers
	var first [4]netip.AddrPort
	n := 0
	for _, k := range keys {
		ap := v.in.Hosts.AddrPort(conv.Endpoint{Host: conv.HostID(k >> 16), Port: uint16(k)})
		at := n
		for at > 0 && ap.Compare(first[at-1]) < 0 {
			at--
		}
		if at == len(first) {
			continue
		}
		copy(first[at+1:], first[at:min(n, len(first)-1)])
		first[at] = ap
		n = min(n+1, len(first))
	}
	for i := range n {
		switch {
		case i == 0:
		case i == n-1:
			b = append(b, " and "...)
		default:
			b = append(b, ", "...)
		}
		if i == 3 {
			b = strconv.AppendInt(b, int64(len(keys)-3), 10)
			b = append(b, " more"...)
			break
		}
		b = appendAddrPort(b, first[i])
	}
	return b
}

func (v *Verdict) peerList(u *portUse) string { return string(v.appendPeerList(nil, u)) }

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
func outsideEphemeral(v *Verdict) []Flag {
	// Only endpoints that will be flagged are grouped: the test depends
	// on the host and port alone.
	uses := v.groupBy(v.hosts.syns, false, func(s sent) bool {
		if s.port < 1024 {
			return false
		}
		p := v.hosts.preset(s.host)
		if p.Ephemeral.Contains(s.port) {
			return false
		}
		// Auto had too few connections to know this host: only a port
		// outside every preset's range says something.
		return !p.Assumed || inSomePreset(s.port) == ""
	})
	return v.flagUses(uses, OutsideEphemeral)
}

// flagUses raises one flag of kind on the first SYN (or SYN/ACK) of each
// group, keeping the group as its evidence.
func (v *Verdict) flagUses(uses []portUse, kind Kind) []Flag {
	flags := make([]Flag, 0, len(uses))
	for i := range uses {
		v.in.Pacer.Tick()
		u := &uses[i]
		first := u.convs[0]
		c := v.in.conv(first)
		seg := c.SYN
		if u.synack {
			seg = c.SYNACK
		}
		flags = append(flags, Flag{Frame: seg.Frame, Kind: kind, Stream: first, Subject: v.keep(u)})
	}
	return flags
}

func (v *Verdict) outsideWords(f *Flag) words {
	u := v.use(f.Subject, false)
	p := v.hosts.preset(u.at.Host)
	c := v.in.conv(u.convs[0])
	at := v.in.Hosts.AddrPort(u.at)
	dst := v.peer(&u, u.convs[0])
	why := "a fixed or explicitly bound source port, a host running another operating system than the preset, or a NAT rewriting ports"
	if at.Port() < 49152 && p.Ephemeral.Lo >= 32768 {
		why = "a port in the registered range 1024-49151, outside every modern default range except Linux's and FreeBSD's: usually bound explicitly by the application (a fixed source port), or rewritten by a NAT"
	}
	port := uint64(at.Port())
	// "Source port %d of %s is outside its ephemeral range %s"
	b := append([]byte(nil), "Source port "...)
	b = strconv.AppendUint(b, port, 10)
	b = append(b, " of "...)
	b = appendAddr(b, at.Addr())
	b = append(b, " is outside its ephemeral range "...)
	b = appendRange(b, p.Ephemeral)
	msg := string(b)
	// "Frame %d is a SYN from %s to %s. Port %d lies outside %s's ephemeral range %s, by %s. "+
	// "%s opened %s from this port in the capture (toward %s). Likely %s."
	b = append(b[:0], "Frame "...)
	b = strconv.AppendInt(b, int64(c.SYN.Frame), 10)
	b = append(b, " is a SYN from "...)
	b = appendAddrPort(b, at)
	b = append(b, " to "...)
	b = appendAddrPort(b, dst)
	b = append(b, ". Port "...)
	b = strconv.AppendUint(b, port, 10)
	b = append(b, " lies outside "...)
	b = appendAddr(b, at.Addr())
	b = append(b, "'s ephemeral range "...)
	b = appendRange(b, p.Ephemeral)
	b = append(b, ", by "...)
	b = append(b, v.hosts.presetWords(u.at.Host)...)
	b = append(b, ". "...)
	b = appendAddr(b, at.Addr())
	b = append(b, " opened "...)
	b = appendPlural(b, len(u.convs), "connection")
	b = append(b, " from this port in the capture (toward "...)
	b = v.appendPeerList(b, &u)
	b = append(b, "). Likely "...)
	b = append(b, why...)
	b = append(b, '.')
	return words{
		message:     msg,
		explanation: string(b),
		advice: "If the host runs another operating system, choose its preset (or --os auto). Otherwise find what binds the port: " +
			"a fixed source port makes every reconnect reuse the same 4-tuple and wait out TIME_WAIT.",
		related: v.others(&u),
		rule:    outsideRule,
	}
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
func privilegedSource(v *Verdict) []Flag {
	uses := v.groupBy(v.hosts.syns, false, func(s sent) bool {
		if s.port >= 1024 {
			return false
		}
		_, dst := sentBy(v.in.conv(s.conv), false)
		return !privilegedExpected(s.port, dst.Port)
	})
	return v.flagUses(uses, PrivilegedSource)
}

func (v *Verdict) privilegedWords(f *Flag) words {
	u := v.use(f.Subject, false)
	c := v.in.conv(u.convs[0])
	at := v.in.Hosts.AddrPort(u.at)
	dst := v.peer(&u, u.convs[0])
	return words{
		message: fmt.Sprintf("Privileged source port %d: %s opened a connection to %s from a port below 1024", at.Port(), at.Addr(), dst),
		explanation: fmt.Sprintf("Frame %d is a SYN from %s to %s. Port %d is a system port (0-1023, RFC 6335): no operating system hands it out as an ephemeral port, and on Unix only root may bind it. "+
			"%s opened %s from this port in the capture (toward %s). Outside rsh/rlogin, NFS and portmapper clients and active FTP data, "+
			"it means a process running as root chose it, a middlebox rewrote it, or the traffic is crafted (a scan, a spoofed packet; "+
			"port 20 is also the default source port of packets built with Scapy).",
			c.SYN.Frame, at, dst, at.Port(), at.Addr(), plural(len(u.convs), "connection"), v.peerList(&u)),
		advice:  "Find the process that binds the port and why it runs as root; check for NAT or port-rewriting middleboxes, or for scans.",
		related: v.others(&u),
		rule:    privilegedRule,
	}
}
