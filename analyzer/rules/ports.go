package rules

import (
	"fmt"
	"net/netip"
	"slices"

	"github.com/portlens/portlens/analyzer/conv"
)

// portUse is one (host, port) as the rules see it: the connections that
// used it in one role, in capture order.
type portUse struct {
	at    netip.AddrPort
	convs []*conv.Conversation
	peers map[netip.AddrPort]bool
}

// groupBy collects conversations under the endpoint pick returns (ok
// false skips the conversation), in order of first appearance.
func groupBy(convs []conv.Conversation, pick func(c *conv.Conversation) (netip.AddrPort, netip.AddrPort, bool)) []*portUse {
	var order []*portUse
	idx := map[netip.AddrPort]*portUse{}
	for i := range convs {
		c := &convs[i]
		at, peer, ok := pick(c)
		if !ok {
			continue
		}
		u := idx[at]
		if u == nil {
			u = &portUse{at: at, peers: map[netip.AddrPort]bool{}}
			idx[at] = u
			order = append(order, u)
		}
		u.convs = append(u.convs, c)
		u.peers[peer] = true
	}
	return order
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

func (u *portUse) peerList() string {
	peers := make([]netip.AddrPort, 0, len(u.peers))
	for p := range u.peers {
		peers = append(peers, p)
	}
	slices.SortFunc(peers, func(a, b netip.AddrPort) int { return a.Compare(b) })
	var w []string
	for i, p := range peers {
		if i == 3 {
			w = append(w, fmt.Sprintf("%d more", len(peers)-3))
			break
		}
		w = append(w, p.String())
	}
	return joinWords(w)
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
	for _, u := range groupBy(in.Conversations, synSender) {
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
		flags = append(flags, Flag{
			Frame: c.SYN.Frame, Kind: OutsideEphemeral, Severity: Note, Stream: c.Stream,
			Message: fmt.Sprintf("Source port %d of %s is outside its ephemeral range %s", u.at.Port(), u.at.Addr(), p.Ephemeral),
			Explanation: fmt.Sprintf("Frame %d is a SYN from %s to %s. Port %d lies outside %s's ephemeral range %s, by %s. "+
				"%s opened %s from this port in the capture (toward %s). Likely %s.",
				c.SYN.Frame, u.at, dst, u.at.Port(), u.at.Addr(), p.Ephemeral, presetWords(p),
				u.at.Addr(), plural(len(u.convs), "connection"), u.peerList(), why),
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
	for _, u := range groupBy(in.Conversations, pick) {
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
	pairs := byHostPair(in.Conversations)
	for _, u := range groupBy(in.Conversations, synackSender) {
		p := presetFor(u.at.Addr())
		if !p.Ephemeral.Contains(u.at.Port()) || negotiated(u, pairs) {
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
func byHostPair(convs []conv.Conversation) map[hostPair][]*conv.Conversation {
	m := map[hostPair][]*conv.Conversation{}
	for i := range convs {
		c := &convs[i]
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
