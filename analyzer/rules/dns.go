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
	src                   netip.AddrPort
	host                  int32
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
	var hosts addrIndex
	var srcs []dnsSource // in order of first query
	var ports []int      // per host: its source ports
	idx := map[uint64]int32{}
	group := make([]int32, len(in.UDPFlows))
	for i := range in.UDPFlows {
		in.Pacer.Tick()
		f := &in.UDPFlows[i]
		group[i] = -1
		if f.B.Port() != 53 || f.Packets[0] == 0 {
			continue
		}
		h, added := hosts.lookup(f.A.Addr())
		if added {
			ports = append(ports, 0)
		}
		k := uint64(uint32(h))<<16 | uint64(f.A.Port())
		g, seen := idx[k]
		if !seen {
			g = int32(len(srcs))
			idx[k] = g
			srcs = append(srcs, dnsSource{src: f.A, host: h, firstFrame: f.FirstFrame[0], firstTime: f.FirstTime[0]})
			ports[h]++
		}
		group[i] = g
		d := &srcs[g]
		d.queries += f.Packets[0]
		d.servers++
		d.lastFrame, d.lastTime = max(d.lastFrame, f.LastFrame[0]), max(d.lastTime, f.LastTime[0])
	}
	// The first frames of the flagged sources' flows, at most maxRelated.
	some := false
	for g := range srcs {
		if d := &srcs[g]; d.queries >= s.DNSMinQueries {
			d.frames, some = j.ints.take(min(d.servers, maxRelated))[:0], true
		}
	}
	for i, g := range group {
		if !some {
			break
		}
		if g >= 0 && srcs[g].frames != nil && len(srcs[g].frames) < maxRelated {
			srcs[g].frames = append(srcs[g].frames, in.UDPFlows[i].FirstFrame[0])
		}
	}
	var flags []Flag
	for g := range srcs {
		d := &srcs[g]
		if d.queries < s.DNSMinQueries {
			continue
		}
		src := d.src
		other := ports[d.host] - 1
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
