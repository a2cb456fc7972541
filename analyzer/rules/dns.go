package rules

import (
	"fmt"
	"net/netip"
	"time"
)

const dnsRule = "A resolver must send each query from a random source port so that a forged answer must guess it as well " +
	"as the 16-bit query ID (CVE-2008-1447, the Kaminsky attack; RFC 5452)"

// dnsSource is one host and UDP source port sending DNS queries.
type dnsSource struct {
	queries, servers      int
	firstFrame, lastFrame int
	firstTime, lastTime   int64
	frames                []int
}

// fixedDNSPort flags, once per host and source port, a source port that
// sent at least s.DNSMinQueries DNS queries (datagrams to port 53 from the
// endpoint that spoke first).
func fixedDNSPort(j *judgement) []Flag {
	in, s := j.in, j.s
	srcs := map[netip.AddrPort]*dnsSource{}
	var order []netip.AddrPort
	ports := map[netip.Addr]map[uint16]bool{}
	for i := range in.UDPFlows {
		f := &in.UDPFlows[i]
		if f.B.Port() != 53 || f.Packets[0] == 0 {
			continue
		}
		d := srcs[f.A]
		if d == nil {
			d = &dnsSource{firstFrame: f.FirstFrame[0], firstTime: f.FirstTime[0]}
			srcs[f.A] = d
			order = append(order, f.A)
		}
		d.queries += f.Packets[0]
		d.servers++
		d.lastFrame, d.lastTime = max(d.lastFrame, f.LastFrame[0]), max(d.lastTime, f.LastTime[0])
		if len(d.frames) < maxRelated {
			d.frames = append(d.frames, f.FirstFrame[0])
		}
		if ports[f.A.Addr()] == nil {
			ports[f.A.Addr()] = map[uint16]bool{}
		}
		ports[f.A.Addr()][f.A.Port()] = true
	}
	var flags []Flag
	for _, src := range order {
		d := srcs[src]
		if d.queries < s.DNSMinQueries {
			continue
		}
		other := len(ports[src.Addr()]) - 1
		flags = append(flags, Flag{
			Frame: d.firstFrame, Kind: FixedSourcePort, Severity: Warning, Stream: -1,
			Message: fmt.Sprintf("%d DNS queries from one source port %s", d.queries, src),
			Explanation: fmt.Sprintf("%s sent %d DNS queries (UDP datagrams to port 53) to %s from the same source port %d, "+
				"from frame %d to frame %d over %s; %s. "+
				"A resolver that does not randomize its source port leaves only the 16-bit query ID to guess, so forged answers can poison its cache "+
				"(CVE-2008-1447). The threshold is %d queries from one port.",
				src.Addr(), d.queries, plural(d.servers, "server"), src.Port(), d.firstFrame, d.lastFrame,
				formatDuration(time.Duration(d.lastTime-d.firstTime)), otherWords(other), s.DNSMinQueries),
			Advice:  "Update or reconfigure the resolver to pick a random source port per query (remove a fixed query-source port; check NATs that de-randomize ports).",
			Related: d.frames[1:],
			Rule:    dnsRule,
		})
	}
	return flags
}

func otherWords(n int) string {
	if n == 0 {
		return "it sent no DNS query from any other port in the capture"
	}
	return "it used " + plural(n, "other source port") + " for its other DNS queries in the capture"
}
