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
	convs []*conv.Conversation
	peers []netip.AddrPort // one per conversation, repeats kept
}

// apKey is a netip.AddrPort as a flat, pointer-free map key (one memhash;
// addresses decoded from packets carry no zone).
type apKey struct {
	ip   [16]byte
	port uint16
	v4   bool
}

func keyOf(ap netip.AddrPort) apKey {
	a := ap.Addr()
	return apKey{ip: a.As16(), port: ap.Port(), v4: a.Is4()}
}

// groupBy collects conversations under the endpoint pick returns (ok
// false skips the conversation), in order of first appearance. The groups
// share two backing arrays: one allocation each, not one per group.
func groupBy(in *Input, pick func(c *conv.Conversation) (netip.AddrPort, netip.AddrPort, bool)) []portUse {
	convs := in.Conversations
	var uses []portUse
	var count []int32
	idx := make(map[apKey]int32)
	group := make([]int32, len(convs))
	peers := make([]netip.AddrPort, len(convs))
	total := 0
	for i := range convs {
		in.Pacer.Tick()
		at, peer, ok := pick(&convs[i])
		if !ok {
			group[i] = -1
			continue
		}
		k := keyOf(at)
		g, seen := idx[k]
		if !seen {
			g = int32(len(uses))
			idx[k] = g
			uses = append(uses, portUse{at: at})
			count = append(count, 0)
		}
		group[i], peers[i] = g, peer
		count[g]++
		total++
	}
	flatConvs := make([]*conv.Conversation, total)
	flatPeers := make([]netip.AddrPort, total)
	off := 0
	for g := range uses {
		n := int(count[g])
		uses[g].convs = flatConvs[off : off : off+n]
		uses[g].peers = flatPeers[off : off : off+n]
		off += n
	}
	for i, g := range group {
		if g < 0 {
			continue
		}
		u := &uses[g]
		u.convs = append(u.convs, &convs[i])
		u.peers = append(u.peers, peers[i])
	}
	return uses
}

// synSender picks the sender of a captured SYN (the initiator).
func synSender(c *conv.Conversation) (netip.AddrPort, netip.AddrPort, bool) {
	if c.SYN.Frame == 0 {
		return netip.AddrPort{}, netip.AddrPort{}, false
	}
	src, dst := endpointsOf(c, c.SYNDir)
	return src, dst, true
}

// frames lists the frame of seg(c) for each conversation after the first.
func (u *portUse) others(seg func(c *conv.Conversation) conv.Segment) []int {
	var out []int
	for _, c := range u.convs[1:] {
		out = append(out, seg(c).Frame)
	}
	return capRelated(out)
}

func synOf(c *conv.Conversation) conv.Segment    { return c.SYN }
func synackOf(c *conv.Conversation) conv.Segment { return c.SYNACK }

func (u *portUse) peerList() string { return string(u.appendPeerList(nil)) }

// appendPeerList appends the distinct peers, sorted, as "a, b, c and 4 more".
func (u *portUse) appendPeerList(b []byte) []byte {
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
		b = peers[i].AppendTo(b)
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
func outsideEphemeral(in *Input, s Settings, presetFor func(netip.Addr) Preset) []Flag {
	var flags []Flag
	var b []byte // reused for every flag's words
	uses := groupBy(in, synSender)
	for i := range uses {
		in.Pacer.Tick()
		u := &uses[i]
		p := presetFor(u.at.Addr())
		if u.at.Port() < 1024 || p.Ephemeral.Contains(u.at.Port()) {
			continue
		}
		// Auto had too few connections to know this host: only a port
		// outside every preset's range says something.
		other := inSomePreset(u.at.Port())
		if p.Assumed && other != "" {
			continue
		}
		c := u.convs[0]
		_, dst := endpointsOf(c, c.SYNDir)
		why := "a fixed or explicitly bound source port, a host running another operating system than the preset, or a NAT rewriting ports"
		if u.at.Port() < 49152 && p.Ephemeral.Lo >= 32768 {
			why = "a port in the registered range 1024-49151, outside every modern default range except Linux's and FreeBSD's: usually bound explicitly by the application (a fixed source port), or rewritten by a NAT"
		}
		port := uint64(u.at.Port())
		// "Source port %d of %s is outside its ephemeral range %s"
		b = append(b[:0], "Source port "...)
		b = strconv.AppendUint(b, port, 10)
		b = append(b, " of "...)
		b = u.at.Addr().AppendTo(b)
		b = append(b, " is outside its ephemeral range "...)
		b = appendRange(b, p.Ephemeral)
		msg := string(b)
		// "Frame %d is a SYN from %s to %s. Port %d lies outside %s's ephemeral range %s, by %s. "+
		// "%s opened %s from this port in the capture (toward %s). Likely %s."
		b = append(b[:0], "Frame "...)
		b = strconv.AppendInt(b, int64(c.SYN.Frame), 10)
		b = append(b, " is a SYN from "...)
		b = u.at.AppendTo(b)
		b = append(b, " to "...)
		b = dst.AppendTo(b)
		b = append(b, ". Port "...)
		b = strconv.AppendUint(b, port, 10)
		b = append(b, " lies outside "...)
		b = u.at.Addr().AppendTo(b)
		b = append(b, "'s ephemeral range "...)
		b = appendRange(b, p.Ephemeral)
		b = append(b, ", by "...)
		b = appendPresetWords(b, p)
		b = append(b, ". "...)
		b = u.at.Addr().AppendTo(b)
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
			Explanation: string(b),
			Advice: "If the host runs another operating system, choose its preset (or --os auto). Otherwise find what binds the port: " +
				"a fixed source port makes every reconnect reuse the same 4-tuple and wait out TIME_WAIT.",
			Related: u.others(synOf),
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
func privilegedSource(in *Input, s Settings, presetFor func(netip.Addr) Preset) []Flag {
	var flags []Flag
	pick := func(c *conv.Conversation) (netip.AddrPort, netip.AddrPort, bool) {
		src, dst, ok := synSender(c)
		return src, dst, ok && src.Port() < 1024 && !privilegedExpected(src.Port(), dst.Port())
	}
	uses := groupBy(in, pick)
	for i := range uses {
		in.Pacer.Tick()
		u := &uses[i]
		c := u.convs[0]
		_, dst := endpointsOf(c, c.SYNDir)
		flags = append(flags, Flag{
			Frame: c.SYN.Frame, Kind: PrivilegedSource, Severity: Warning, Stream: c.Stream,
			Message: fmt.Sprintf("Privileged source port %d: %s opened a connection to %s from a port below 1024", u.at.Port(), u.at.Addr(), dst),
			Explanation: fmt.Sprintf("Frame %d is a SYN from %s to %s. Port %d is a system port (0-1023, RFC 6335): no operating system hands it out as an ephemeral port, and on Unix only root may bind it. "+
				"%s opened %s from this port in the capture (toward %s). Outside rsh/rlogin, NFS and portmapper clients and active FTP data, "+
				"it means a process running as root chose it, a middlebox rewrote it, or the traffic is crafted (a scan, a spoofed packet; "+
				"port 20 is also the default source port of packets built with Scapy).",
				c.SYN.Frame, u.at, dst, u.at.Port(), u.at.Addr(), plural(len(u.convs), "connection"), u.peerList()),
			Advice:  "Find the process that binds the port and why it runs as root; check for NAT or port-rewriting middleboxes, or for scans.",
			Related: u.others(synOf),
			Rule:    privilegedRule,
		})
	}
	return flags
}

const serverRule = "A listening port inside its host's ephemeral range can be taken by an outgoing connection " +
	"before the service binds it (bind fails with EADDRINUSE); Linux reserves such ports with net.ipv4.ip_local_reserved_ports " +
	"(sources per preset in analyzer/rules/RULES.md)"

// synackSender picks the sender of a captured SYN/ACK (the service).
func synackSender(c *conv.Conversation) (netip.AddrPort, netip.AddrPort, bool) {
	if c.SYNACK.Frame == 0 {
		return netip.AddrPort{}, netip.AddrPort{}, false
	}
	src, dst := endpointsOf(c, c.SYNACKDir)
	return src, dst, true
}

// serverInEphemeral flags, once per host and port, a service answering
// with SYN/ACK from a port inside its host's ephemeral range.
func serverInEphemeral(in *Input, s Settings, presetFor func(netip.Addr) Preset) []Flag {
	var flags []Flag
	var pairs map[hostPair][]*conv.Conversation // built on the first candidate only
	uses := groupBy(in, synackSender)
	for i := range uses {
		in.Pacer.Tick()
		u := &uses[i]
		p := presetFor(u.at.Addr())
		if !p.Ephemeral.Contains(u.at.Port()) {
			continue
		}
		if pairs == nil {
			pairs = byHostPair(in)
		}
		if negotiated(u, pairs) {
			continue
		}
		c := u.convs[0]
		flags = append(flags, Flag{
			Frame: c.SYNACK.Frame, Kind: ServerInEphemeral, Severity: Note, Stream: c.Stream,
			Message: fmt.Sprintf("Service %s listens inside its ephemeral range %s", u.at, p.Ephemeral),
			Explanation: fmt.Sprintf("Frame %d is a SYN/ACK from %s: a service listens on port %d, which lies inside %s's ephemeral range %s, by %s. "+
				"It accepted %s in the capture (from %s). While it is not listening (at boot, after a restart) any outgoing connection of the host may take the port, and the service then cannot bind it. "+
				"(Data channels negotiated over another connection between the same hosts, such as passive FTP, are not flagged: the OS hands those ports out on purpose.)",
				c.SYNACK.Frame, u.at, u.at.Port(), u.at.Addr(), p.Ephemeral, presetWords(p),
				plural(len(u.convs), "connection"), u.peerList()),
			Advice:  "Move the service below the ephemeral range, or reserve its port (Linux net.ipv4.ip_local_reserved_ports, Windows netsh int ipv4 add excludedportrange).",
			Related: u.others(synackOf),
			Rule:    serverRule,
		})
	}
	return flags
}

type hostPair struct{ lo, hi netip.Addr }

func pairOf(a, b netip.Addr) hostPair {
	if b.Less(a) {
		a, b = b, a
	}
	return hostPair{a, b}
}

// byHostPair indexes conversations by their two addresses.
func byHostPair(in *Input) map[hostPair][]*conv.Conversation {
	m := map[hostPair][]*conv.Conversation{}
	for i := range in.Conversations {
		in.Pacer.Tick()
		c := &in.Conversations[i]
		k := pairOf(c.A.Addr(), c.B.Addr())
		m[k] = append(m[k], c)
	}
	return m
}

// negotiated reports whether every connection to the port u was accepted
// while another connection between the same two hosts was open: a data
// channel negotiated over a control connection (FTP, IRC DCC, GridFTP),
// whose listening port the OS handed out from the ephemeral range on
// purpose.
func negotiated(u *portUse, pairs map[hostPair][]*conv.Conversation) bool {
	for _, c := range u.convs {
		found := false
		for _, o := range pairs[pairOf(c.A.Addr(), c.B.Addr())] {
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
