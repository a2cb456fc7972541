package rules

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/portlens/portlens/analyzer/conv"
)

// ExplainedFinding is a finding in words: one object of the JSON report's
// "findings". ExplainFinding renders it on demand.
type ExplainedFinding struct {
	Kind     Kind     `json:"kind"`
	Class    string   `json:"class,omitempty"`
	Severity Severity `json:"severity"`
	// Title names the subject and the count, in one line.
	Title string `json:"title"`
	// Count is the number of flags the finding groups; Connections the
	// connections they concern (DNS queries, SCTP associations).
	Count       int      `json:"count"`
	Connections int      `json:"connections"`
	Hosts       []string `json:"hosts"`
	FirstFrame  int      `json:"first_frame"`
	LastFrame   int      `json:"last_frame"`
	WorstFrame  int      `json:"worst_frame"`
	// Frames are up to 10 example frames: the first, the worst, the last
	// and others spread between, in frame order.
	Frames []int `json:"frames"`
	// Explanation describes the pattern: how many, how often, what the
	// examples show, and the finding's share of all flags of its kind.
	Explanation string `json:"explanation"`
	Advice      string `json:"advice"`
}

// findingWords are what one finding renders.
type findingWords struct {
	title, explanation, advice string
	hosts                      []netip.Addr
}

// ExplainFinding renders finding n (an index into Findings) in words.
func (v *Verdict) ExplainFinding(n int) ExplainedFinding {
	fd := &v.findings[n]
	var w findingWords
	switch fd.Kind {
	case ReusedPorts:
		w = v.reuseFinding(fd)
	case FastReuse:
		w = v.fastReuseFinding(fd)
	case OutsideEphemeral, PrivilegedSource:
		w = v.portFinding(fd)
	case ServerInEphemeral:
		w = v.serverFinding(fd)
	case Exhaustion:
		w = v.exhaustionFinding(fd)
	case SYNUnanswered:
		w = v.synFinding(fd)
	case FixedSourcePort:
		w = v.dnsFinding(fd)
	case SCTPReusedPorts:
		w = v.sctpFinding(fd)
	case StalePeer:
		w = v.staleFinding(fd)
	}
	if fd.Count == 1 && (fd.Kind == ReusedPorts || fd.Kind == FastReuse || fd.Kind == SCTPReusedPorts || fd.Kind == StalePeer) {
		// One reuse: its flag's words say more than a pattern of one.
		e := v.Explain(int(fd.first))
		w.explanation, w.advice = e.Explanation+" "+v.share(fd), e.Advice
	}
	hosts := make([]string, 0, len(w.hosts))
	for _, a := range w.hosts {
		if s := a.String(); len(hosts) == 0 || hosts[len(hosts)-1] != s {
			hosts = append(hosts, s)
		}
	}
	frames := make([]int, 0, fd.nExample)
	for _, f := range fd.Frames() {
		frames = append(frames, int(f))
	}
	return ExplainedFinding{
		Kind: fd.Kind, Class: fd.Class.String(), Severity: fd.Severity(), Title: w.title,
		Count: int(fd.Count), Connections: int(fd.Connections), Hosts: hosts,
		FirstFrame: int(fd.FirstFrame), LastFrame: int(fd.LastFrame), WorstFrame: int(fd.WorstFrame),
		Frames: frames, Explanation: w.explanation, Advice: w.advice,
	}
}

// addr and addrPort name a host and an endpoint of the capture.
func (v *Verdict) addr(id conv.HostID) netip.Addr          { return v.in.Hosts.Addr(id) }
func (v *Verdict) addrPort(e conv.Endpoint) netip.AddrPort { return v.in.Hosts.AddrPort(e) }

// share says which part of the capture's flags of its kind a finding
// holds: "all 4 tcp.reused_ports flags", "43% of the 812 ...".
func (v *Verdict) share(fd *Finding) string {
	total := v.KindCount(fd.Kind)
	if int(fd.Count) >= total {
		if total == 1 {
			return "It is the capture's only " + fd.Kind.String() + " flag."
		}
		return fmt.Sprintf("It holds all %d %s flags of the capture.", total, fd.Kind)
	}
	pct := 100 * float64(fd.Count) / float64(total)
	p := strconv.FormatFloat(pct, 'f', 0, 64)
	switch {
	case pct < 0.1:
		p = "under 0.1"
	case pct < 10:
		p = strconv.FormatFloat(pct, 'f', 1, 64)
	}
	return fmt.Sprintf("It holds %s%% of the capture's %d %s flags.", p, total, fd.Kind)
}

// spanWords says when a finding's flags happened: "in frame 8", or "from
// frame 3 to frame 9 (1.500 s, about one every 500.0 ms)".
func spanWords(fd *Finding) string {
	if fd.Count == 1 || fd.FirstFrame == fd.LastFrame {
		return fmt.Sprintf("in frame %d", fd.FirstFrame)
	}
	st := &fd.stats
	d := time.Duration(st.to - st.from)
	return fmt.Sprintf("from frame %d to frame %d (%s, about one every %s)", fd.FirstFrame, fd.LastFrame,
		formatDuration(d), formatDuration(d/time.Duration(fd.Count-1)))
}

// intervalWords gives a finding's intervals: "58.000 s after" for one,
// else "shortest X, median Y, longest Z".
func intervalWords(fd *Finding) string {
	st := &fd.stats
	if fd.Count == 1 {
		return formatDuration(time.Duration(st.lo))
	}
	return fmt.Sprintf("shortest %s, median %s, longest %s", formatDuration(time.Duration(st.lo)),
		formatDuration(time.Duration(st.mid)), formatDuration(time.Duration(st.hi)))
}

// portsWords says which client ports a reuse finding came from.
func portsWords(fd *Finding) string {
	st := &fd.stats
	switch {
	case st.ports == 1 && fd.Count > 1:
		return fmt.Sprintf(" Every one came from source port %d: a fixed source port (the application binds it), so each reconnect lands on the same 4-tuple as the last.", st.portLo)
	case st.ports == 1:
		return fmt.Sprintf(" It came from source port %d.", st.portLo)
	}
	return fmt.Sprintf(" They came from %d source ports (%d-%d), about %.1f reuses a port.", st.ports, st.portLo, st.portHi,
		float64(fd.Count)/float64(st.ports))
}

var reuseClassPhrase = map[Class]string{
	ClassAfterRST:      "after RST",
	ClassInTimeWait:    "inside TIME_WAIT",
	ClassAfterTimeWait: "after TIME_WAIT",
	ClassWhileOpen:     "while the earlier connection was open",
	ClassMissingSYN:    "seen on SYN/ACK only",
	ClassSameISN:       "with the same ISN",
}

func (v *Verdict) reuseFinding(fd *Finding) findingWords {
	k := fd.key
	client, server := v.addr(k.host), v.addrPort(k.peer)
	title := fmt.Sprintf("%s reuses ports toward %s: %s %s from %s", client, server,
		plural(int(fd.Count), "reuse"), reuseClassPhrase[fd.Class], plural(int(fd.stats.ports), "client port"))
	if fd.stats.ports == 1 {
		title = fmt.Sprintf("%s reuses port %d toward %s: %s %s", client, fd.stats.portLo, server,
			plural(int(fd.Count), "reuse"), reuseClassPhrase[fd.Class])
	}
	seg := "SYN"
	if fd.Class == ClassMissingSYN {
		seg = "SYN/ACK"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s from %s to %s reused the ports of an earlier connection (%s), %s. ",
		plural(int(fd.Count), "new connection"), client, server, reuseClassPhrase[fd.Class], spanWords(fd))
	fmt.Fprintf(&b, "Time from the earlier connection's last packet to the reusing %s: %s.", seg, intervalWords(fd))
	b.WriteString(portsWords(fd))
	b.WriteString(" ")
	b.WriteString(v.reuseClassWords(fd))
	if fd.Count > 1 {
		fmt.Fprintf(&b, " Frame %d, the worst example, came back the soonest.", fd.WorstFrame)
	}
	b.WriteString(" ")
	b.WriteString(v.share(fd))
	advice := reuseAdvice[fd.Class]
	if fd.stats.ports == 1 && fd.Count > 1 {
		advice = "Let the operating system choose the source port (bind to port 0, or do not bind): a fixed port makes every reconnect reuse the 4-tuple. " + advice
	}
	return findingWords{title: title, explanation: b.String(), advice: advice, hosts: []netip.Addr{client, server.Addr()}}
}

// reuseClassWords says what the class of a reuse finding means, with the
// TIME_WAIT of the worst example's holder where it matters.
func (v *Verdict) reuseClassWords(fd *Finding) string {
	h, _ := v.JudgedBy(int(fd.worst))
	tw := fmt.Sprintf("%s by the %s preset of %s", formatDuration(h.Preset.TimeWait), h.Preset.Label, h.Host)
	each, earlier, it := "Each", "Each earlier connection", "each"
	if fd.Count == 1 {
		each, earlier, it = "It", "The earlier connection", "the"
	}
	switch fd.Class {
	case ClassAfterRST:
		return earlier + " ended with an RST: attempts refused or aborted, then retried on the same ports (an RST leaves no TIME_WAIT)."
	case ClassInTimeWait:
		return each + " came back while the side that closed first may still hold the 4-tuple in TIME_WAIT (" + tw + ", in the worst example)."
	case ClassAfterTimeWait:
		return each + " came back after TIME_WAIT (" + tw + ") ran out: ordinary recycling of ports; many in a short capture hint at a narrow ephemeral range."
	case ClassWhileOpen:
		return earlier + " had not closed in the capture: a restarted client, a half-open peer, or a NAT handing out the same port."
	case ClassMissingSYN:
		return "Only a SYN/ACK with a new sequence number shows " + it + " new connection: its SYN was not captured (asymmetric routing, loss, or a capture point on one path)."
	case ClassSameISN:
		return each + " new SYN repeats the earlier initial sequence number: Wireshark 4.4 flags it, 4.0 to 4.2 show a retransmission (the same connections captured again, a replay, or SYNs retransmitted after a reset)."
	}
	return ""
}

func (v *Verdict) fastReuseFinding(fd *Finding) findingWords {
	k := fd.key
	client, server := v.addr(k.host), v.addrPort(k.peer)
	title := fmt.Sprintf("%s reopens 4-tuples toward %s inside TIME_WAIT: %s from %s", client, server,
		plural(int(fd.Count), "fast reuse"), plural(int(fd.stats.ports), "client port"))
	if fd.stats.ports == 1 {
		title = fmt.Sprintf("%s reopens port %d toward %s inside TIME_WAIT: %s", client, fd.stats.portLo, server,
			plural(int(fd.Count), "fast reuse"))
	}
	h, _ := v.JudgedBy(int(fd.worst))
	var b strings.Builder
	fmt.Fprintf(&b, "%s from %s reopened a 4-tuple toward %s that had closed with FIN less than TIME_WAIT before, %s. ",
		plural(int(fd.Count), "SYN"), client, server, spanWords(fd))
	fmt.Fprintf(&b, "Time from the old connection's last packet to the new SYN: %s.", intervalWords(fd))
	b.WriteString(portsWords(fd))
	fmt.Fprintf(&b, " In the worst example, frame %d, %s closed first and holds TIME_WAIT for %s (the %s preset), %s before it ran out.",
		fd.WorstFrame, h.Host, formatDuration(h.Preset.TimeWait), h.Preset.Label,
		formatDuration(h.Preset.TimeWait-time.Duration(fd.stats.lo)))
	b.WriteString(" ")
	b.WriteString(v.share(fd))
	return findingWords{title: title, explanation: b.String(), advice: fastReuseAdvice, hosts: []netip.Addr{client, server.Addr()}}
}

// portFinding renders port.outside_ephemeral and port.privileged_source:
// one fixed port used by several connections, or a host's scattered
// ports each used once.
func (v *Verdict) portFinding(fd *Finding) findingWords {
	k := fd.key
	host := v.addr(k.host)
	p := v.hosts.preset(k.host)
	st := &fd.stats
	first := v.Explain(int(fd.first))
	privileged := fd.Kind == PrivilegedSource
	var title string
	var b strings.Builder
	switch {
	case k.fixed:
		u := v.use(v.Flags[fd.first].Subject, false)
		what := "fixed source port " + strconv.Itoa(int(k.port)) + ", outside its ephemeral range " + p.Ephemeral.String()
		if privileged {
			what = "privileged source port " + strconv.Itoa(int(k.port))
		}
		peers := v.peerList(&u)
		title = fmt.Sprintf("%s uses %s: %s toward %s", host, what, plural(int(fd.Connections), "connection"), peers)
		fmt.Fprintf(&b, "%s opened %s from source port %d (toward %s), the first in frame %d. ",
			host, plural(int(fd.Connections), "connection"), k.port, peers, fd.FirstFrame)
		if privileged {
			fmt.Fprintf(&b, "Port %d is a system port (0-1023): no operating system hands it out as an ephemeral port and on Unix only root may bind it; a process running as root chose it, a middlebox rewrote it, or the traffic is crafted. ", k.port)
		} else {
			fmt.Fprintf(&b, "The port lies outside %s's ephemeral range %s, by %s. ", host, p.Ephemeral, v.hosts.presetWords(k.host))
		}
		b.WriteString("One port for many connections is a fixed source port, bound by the application: every reconnect to the same server reuses the 4-tuple and has to wait out TIME_WAIT. ")
	default:
		what := "outside its ephemeral range " + p.Ephemeral.String()
		if privileged {
			what = "below 1024"
		}
		if fd.Count == 1 {
			title = fmt.Sprintf("%s opened %s from source port %d, %s", host, plural(int(fd.Connections), "connection"), st.portLo, what)
			if privileged {
				title = fmt.Sprintf("%s opened %s from privileged source port %d", host, plural(int(fd.Connections), "connection"), st.portLo)
			}
		} else {
			title = fmt.Sprintf("%s opened %s from %d source ports %s (%d-%d)", host, plural(int(fd.Connections), "connection"),
				fd.Count, what, st.portLo, st.portHi)
		}
		if fd.Count == 1 {
			b.WriteString(first.Explanation + " ")
		} else {
			fmt.Fprintf(&b, "%s opened %s from %d source ports %s, each port once, %s: ports %d to %d. ",
				host, plural(int(fd.Connections), "connection"), fd.Count, what, spanWords(fd), st.portLo, st.portHi)
			b.WriteString(v.scatteredWhy(fd, p, privileged))
		}
	}
	b.WriteString(v.share(fd))
	return findingWords{title: title, explanation: b.String(), advice: first.Advice, hosts: []netip.Addr{host}}
}

// scatteredWhy guesses why a host's ports lie outside its range: another
// operating system whose range holds them all, else a NAT or crafted
// traffic.
func (v *Verdict) scatteredWhy(fd *Finding, p *Preset, privileged bool) string {
	st := &fd.stats
	if privileged {
		return "Many privileged source ports, each used once, are the mark of crafted traffic (a scan) or of a middlebox rewriting ports. "
	}
	var fit *Preset
	for i := range Presets {
		q := &Presets[i]
		if q.Ephemeral.Contains(st.portLo) && q.Ephemeral.Contains(st.portHi) && q.Ephemeral != p.Ephemeral &&
			(fit == nil || q.Ephemeral.Size() < fit.Ephemeral.Size()) {
			fit = q
		}
	}
	if fit == nil {
		return fmt.Sprintf("No preset's range holds them all (judged by %s): a NAT rewriting ports, or ports bound by the application. ",
			v.hosts.presetWords(fd.key.host))
	}
	return fmt.Sprintf("All of them lie in the %s range %s: the host may run that system rather than what %s assumes (%s). Choose its preset, or --os auto to infer each host's from its ports. ",
		fit.Label, fit.Ephemeral, p.Label, p.Ephemeral)
}

func (v *Verdict) serverFinding(fd *Finding) findingWords {
	k := fd.key
	host := v.addr(k.host)
	p := v.hosts.preset(k.host)
	st := &fd.stats
	first := v.Explain(int(fd.first))
	ports := fmt.Sprintf("port %d", st.portLo)
	if fd.Count > 1 {
		ports = fmt.Sprintf("%d ports (%d-%d)", fd.Count, st.portLo, st.portHi)
	}
	title := fmt.Sprintf("%s listens inside its ephemeral range %s on %s: %s", host, p.Ephemeral, ports,
		plural(int(fd.Connections), "connection"))
	expl := first.Explanation
	if fd.Count > 1 {
		expl = fmt.Sprintf("%s accepted %s on %s inside its ephemeral range %s, by %s; the first SYN/ACK is frame %d, and frame %d is the first of the busiest port. "+
			"While a service is not listening (at boot, after a restart) an outgoing connection of the host may take its port, and the service then cannot bind it.",
			host, plural(int(fd.Connections), "connection"), ports, p.Ephemeral, v.hosts.presetWords(k.host), fd.FirstFrame, fd.WorstFrame)
	}
	return findingWords{title: title, explanation: expl + " " + v.share(fd), advice: first.Advice, hosts: []netip.Addr{host}}
}

func (v *Verdict) exhaustionFinding(fd *Finding) findingWords {
	e := &v.dests[v.Flags[fd.first].Subject]
	p := v.hosts.preset(e.client)
	client, server := v.addr(e.client), v.addrPort(e.server)
	first := v.Explain(int(fd.first))
	title := fmt.Sprintf("%s nearly exhausts its ephemeral ports toward %s: %s, peak %d of %d ports busy",
		client, server, plural(e.n, "connection"), e.peak, p.Ephemeral.Size())
	if fd.Class == ClassCycled {
		title = fmt.Sprintf("%s cycles through its %d ephemeral ports toward %s: %d connections within one TIME_WAIT",
			client, p.Ephemeral.Size(), server, e.most)
	}
	return findingWords{title: title, explanation: first.Explanation + " " + v.share(fd), advice: first.Advice,
		hosts: []netip.Addr{client, server.Addr()}}
}

func (v *Verdict) synFinding(fd *Finding) findingWords {
	g := v.syns[v.Flags[fd.first].Subject]
	client, server := v.addr(fd.key.host), v.addr(fd.key.peer.Host)
	first := v.Explain(int(fd.first))
	title := fmt.Sprintf("%s → %s: %s without answer (%s)", client, server,
		plural(int(fd.Connections), "connection attempt"), plural(g.ports, "port"))
	return findingWords{title: title, explanation: first.Explanation + " " + v.share(fd), advice: first.Advice,
		hosts: []netip.Addr{client, server}}
}

func (v *Verdict) dnsFinding(fd *Finding) findingWords {
	host := v.addr(fd.key.host)
	st := &fd.stats
	first := v.Explain(int(fd.first))
	if fd.Count == 1 {
		title := fmt.Sprintf("%s sends DNS queries from fixed source port %d: %d queries", host, st.portLo, fd.Connections)
		return findingWords{title: title, explanation: first.Explanation + " " + v.share(fd), advice: first.Advice, hosts: []netip.Addr{host}}
	}
	title := fmt.Sprintf("%s sends DNS queries from %d fixed source ports (%d-%d): %d queries", host, fd.Count, st.portLo, st.portHi, fd.Connections)
	expl := fmt.Sprintf("%s sent %d DNS queries from %d source ports that each carried at least %d, %s. Frame %d is the first query of the busiest port. "+
		"A resolver that does not randomize its source port leaves only the 16-bit query ID to guess, so forged answers can poison its cache (CVE-2008-1447). %s",
		host, fd.Connections, fd.Count, v.s.DNSMinQueries, spanWords(fd), fd.WorstFrame, v.share(fd))
	return findingWords{title: title, explanation: expl, advice: first.Advice, hosts: []netip.Addr{host}}
}

func (v *Verdict) sctpFinding(fd *Finding) findingWords {
	k := fd.key
	a, z := v.addrPort(conv.Endpoint{Host: k.host, Port: k.port}), v.addrPort(k.peer)
	first := v.Explain(int(fd.first))
	title := fmt.Sprintf("SCTP %s ↔ %s: %s on the same ports with a new initiate tag", a, z, plural(int(fd.Count), "new association"))
	expl := fmt.Sprintf("%s with a new initiate tag started a new association on the ports of an earlier one, %s. Time since the earlier association's last packet: %s. %s",
		plural(int(fd.Count), "INIT"), spanWords(fd), intervalWords(fd), v.share(fd))
	return findingWords{title: title, explanation: expl, advice: first.Advice, hosts: []netip.Addr{a.Addr(), z.Addr()}}
}

func (v *Verdict) staleFinding(fd *Finding) findingWords {
	client, dest := v.addr(fd.key.host), v.addrPort(fd.key.peer)
	first := v.Explain(int(fd.first))
	held := "a connection it still held in TIME_WAIT"
	switch fd.Class {
	case ClassHalfOpen:
		held = "a connection it still believed open"
	case ClassEarlierUnseen:
		held = "an earlier connection not in the capture"
	}
	title := fmt.Sprintf("%s → %s: %s answered by an ACK of %s", client, dest, plural(int(fd.Count), "SYN"), held)
	expl := fmt.Sprintf("%s from %s to %s were answered with a bare ACK instead of a SYN/ACK, %s; the first is explained here. %s %s",
		plural(int(fd.Count), "SYN"), client, dest, spanWords(fd), first.Explanation, v.share(fd))
	return findingWords{title: title, explanation: expl, advice: first.Advice, hosts: []netip.Addr{client, dest.Addr()}}
}
