package rules

import (
	"fmt"
	"time"

	"github.com/portlens/portlens/analyzer/conv"
)

const dnsRule = "A resolver must send each query from a random source port so that a forged answer must guess it as well " +
	"as the 16-bit query ID (CVE-2008-1447, the Kaminsky attack; RFC 5452)"

// dnsSource is one host and UDP source port sending DNS queries.
// dnsSource is one host and source port that sent DNS queries, and the
// evidence of its udp.fixed_source_port flag.
type dnsSource struct {
	src                   conv.Endpoint
	queries, servers      int
	firstFrame, lastFrame int32
	firstTime, lastTime   int64
	frames                []int32 // first query to each server, at most maxRelated
	otherPorts            int     // the host's other DNS source ports
}

func fixedDNSPort(v *Verdict) []Flag {
	in, s := &v.in, v.s
	flows := in.UDPFlows
	var srcs []dnsSource // in order of first query
	ports := make([]int32, in.Hosts.Len())
	idx := map[conv.Endpoint]int32{}
	group := make([]int32, flows.Len())
	for i := range flows.Len() {
		in.Pacer.Tick()
		f := flows.At(i)
		group[i] = -1
		if f.B.Port != 53 || f.Packets[0] == 0 {
			continue
		}
		g, seen := idx[f.A]
		if !seen {
			g = int32(len(srcs))
			idx[f.A] = g
			srcs = append(srcs, dnsSource{src: f.A, firstFrame: f.FirstFrame[0], firstTime: f.FirstTime[0]})
			ports[f.A.Host]++
		}
		group[i] = g
		d := &srcs[g]
		d.queries += int(f.Packets[0])
		d.servers++
		d.lastFrame, d.lastTime = max(d.lastFrame, f.LastFrame[0]), max(d.lastTime, f.LastTime[0])
	}
	some := false
	for g := range srcs {
		if d := &srcs[g]; d.queries >= s.DNSMinQueries {
			d.frames, some = make([]int32, 0, min(d.servers, maxRelated)), true
		}
	}
	for i, g := range group {
		if !some {
			break
		}
		if g >= 0 && srcs[g].frames != nil && len(srcs[g].frames) < maxRelated {
			srcs[g].frames = append(srcs[g].frames, flows.At(i).FirstFrame[0])
		}
	}
	var flags []Flag
	for g := range srcs {
		d := &srcs[g]
		if d.queries < s.DNSMinQueries {
			continue
		}
		d.otherPorts = int(ports[d.src.Host]) - 1
		v.dns = append(v.dns, *d)
		flags = append(flags, Flag{Frame: d.firstFrame, Kind: FixedSourcePort, Stream: -1, Subject: int32(len(v.dns) - 1)})
	}
	return flags
}

func (v *Verdict) dnsWords(f *Flag) words {
	d := &v.dns[f.Subject]
	src := v.in.Hosts.AddrPort(d.src)
	related := make([]int, 0, len(d.frames))
	for _, fr := range d.frames[1:] {
		related = append(related, int(fr))
	}
	return words{
		message: fmt.Sprintf("%d DNS queries from one source port %s", d.queries, src),
		explanation: fmt.Sprintf("%s sent %d DNS queries (UDP datagrams to port 53) to %s from the same source port %d, "+
			"from frame %d to frame %d over %s; %s. "+
			"A resolver that does not randomize its source port leaves only the 16-bit query ID to guess, so forged answers can poison its cache "+
			"(CVE-2008-1447). The threshold is %d queries from one port.",
			src.Addr(), d.queries, plural(d.servers, "server"), src.Port(), d.firstFrame, d.lastFrame,
			formatDuration(time.Duration(d.lastTime-d.firstTime)), otherWords(d.otherPorts), v.s.DNSMinQueries),
		advice:  "Update or reconfigure the resolver to pick a random source port per query (remove a fixed query-source port; check NATs that de-randomize ports).",
		related: related,
		rule:    dnsRule,
	}
}

func otherWords(n int) string {
	if n == 0 {
		return "it sent no DNS query from any other port in the capture"
	}
	return "it used " + plural(n, "other source port") + " for its other DNS queries in the capture"
}
