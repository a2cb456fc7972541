package conv

import (
	"fmt"
	"strconv"
	"testing"

	"github.com/portlens/portlens/analyzer/decode"
)

// udp is a datagram; sctp a packet whose first chunk is chunk, with its
// verification tag and, for INIT and INIT ACK, its initiate tag.
func udp(from, to string) seg { return seg{from: from, to: to} }

func sctp(from, to string, chunk uint8, verTag, iniTag uint32) seg {
	return seg{from: from, to: to, chunk: chunk, verTag: verTag, iniTag: iniTag}
}

// udpFacts names what a UDP flow recorded.
func udpFacts(h *Hosts, f *UDPFlow) map[string]string {
	return map[string]string{
		"ends":    endpoint(h, f.A) + " " + endpoint(h, f.B),
		"first":   perDir(f.FirstFrame, both),
		"last":    perDir(f.LastFrame, both),
		"times":   seconds(f.FirstTime[0]) + "-" + seconds(f.LastTime[0]) + "/" + seconds(f.FirstTime[1]) + "-" + seconds(f.LastTime[1]),
		"packets": perDir(f.Packets, both),
	}
}

func TestUDPTracker(t *testing.T) {
	const dns, other = "10.0.0.9:53", "10.0.0.1:40001"
	cases := []struct {
		name  string
		segs  []seg
		flows int
		facts map[int]map[string]string
	}{
		{
			name:  "a query and its answers: one flow, per direction",
			segs:  []seg{udp(cli, dns), udp(dns, cli), udp(dns, cli).at(10), udp(cli, dns).at(20)},
			flows: 1,
			facts: map[int]map[string]string{0: {"ends": cli + " " + dns, "first": "1/2", "last": "4/3",
				"times": "1s-20s/2s-10s", "packets": "2/2"}},
		},
		{
			name:  "the first datagram's sender is A",
			segs:  []seg{udp(dns, cli)},
			flows: 1,
			facts: map[int]map[string]string{0: {"ends": dns + " " + cli, "first": "1/0", "packets": "1/0"}},
		},
		{
			name:  "another port is another flow",
			segs:  []seg{udp(cli, dns), udp(other, dns), udp(dns, other)},
			flows: 2,
			facts: map[int]map[string]string{0: {"packets": "1/0"}, 1: {"ends": other + " " + dns, "packets": "1/1", "last": "2/3"}},
		},
		{
			name:  "datagrams quoted in ICMP errors and unfinished fragments are not counted",
			segs:  []seg{udp(cli, dns).inICMP(), udp(cli, dns).fragment(), udp(dns, cli), udp(cli, dns).inICMP()},
			flows: 1,
			facts: map[int]map[string]string{0: {"ends": dns + " " + cli, "first": "3/0", "packets": "1/0"}},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			hosts := NewHosts()
			tr := NewUDPTracker(hosts)
			for i, s := range c.segs {
				p := s.packet(t, decode.UDP)
				tr.Add(i+1, s.timeOf(i+1), &p)
			}
			flows := tr.Flows()
			if flows.Len() != c.flows {
				t.Errorf("%d flows, want %d", flows.Len(), c.flows)
			}
			checkFacts(t, "flow", c.facts, func(i int) (map[string]string, bool) {
				if i >= flows.Len() {
					return nil, false
				}
				return udpFacts(hosts, flows.At(i)), true
			})
		})
	}
}

// sctpFacts names what an SCTP association recorded.
func sctpFacts(h *Hosts, a *Association) map[string]string {
	init, end := segment(a.Init, false), segment(a.End, false)
	if a.Init.Frame > 0 {
		init += " from " + dirName(a.InitDir)
	}
	if a.End.Frame > 0 {
		end += fmt.Sprintf(" chunk %d", a.EndChunk)
	}
	return map[string]string{
		"index":    strconv.Itoa(a.Index),
		"ends":     endpoint(h, a.A) + " " + endpoint(h, a.B),
		"frames":   fmt.Sprintf("%d-%d", a.FirstFrame, a.LastFrame),
		"times":    seconds(a.FirstTime) + "-" + seconds(a.LastTime),
		"packets":  perDir(a.Packets, both),
		"tag":      perDir(a.Tag, a.TagSet),
		"init":     init,
		"inits":    strconv.Itoa(a.Inits),
		"end":      end,
		"prev":     strconv.Itoa(a.Prev),
		"reusedby": segment(a.ReusedBy, false),
	}
}

func TestSCTPTracker(t *testing.T) {
	const (
		data, sack = 0, 3
		a, b       = "10.0.0.1:5000", "10.0.0.2:38412"
	)
	cases := []struct {
		name   string
		segs   []seg
		assocs int
		facts  map[int]map[string]string
	}{
		{
			name: "INIT, INIT ACK, DATA, SACK, ABORT: one association, both tags",
			segs: []seg{
				sctp(a, b, SCTPInit, 0, 0x1111), sctp(b, a, SCTPInitAck, 0x1111, 0x2222),
				sctp(a, b, data, 0x2222, 0), sctp(b, a, sack, 0x1111, 0), sctp(a, b, SCTPAbort, 0x2222, 0),
			},
			assocs: 1,
			facts: map[int]map[string]string{0: {"index": "0", "ends": a + " " + b, "frames": "1-5", "times": "1s-5s",
				"packets": "3/2", "tag": "4369/8738", "init": "f1@1s seq=0 ack=0 from A", "inits": "1",
				"end": "f5@5s seq=0 ack=0 chunk 6", "prev": "-1", "reusedby": "-"}},
		},
		{
			name:   "an INIT retransmitted with the same initiate tag stays",
			segs:   []seg{sctp(a, b, SCTPInit, 0, 7), sctp(a, b, SCTPInit, 0, 7)},
			assocs: 1,
			facts:  map[int]map[string]string{0: {"inits": "2", "init": "f1@1s seq=0 ack=0 from A", "tag": "7/-"}},
		},
		{
			name: "an INIT with a new initiate tag starts an association on the same ports",
			segs: []seg{
				sctp(a, b, SCTPInit, 0, 7), sctp(b, a, SCTPInitAck, 7, 9),
				sctp(b, a, SCTPInit, 0, 10), sctp(a, b, SCTPInitAck, 10, 8), sctp(b, a, data, 8, 0),
			},
			assocs: 2,
			facts: map[int]map[string]string{
				0: {"frames": "1-2", "tag": "7/9"},
				// Its sender is A of the new association.
				1: {"index": "1", "ends": b + " " + a, "prev": "0", "reusedby": "f3@3s seq=0 ack=0", "frames": "3-5",
					"init": "f3@3s seq=0 ack=0 from A", "tag": "10/8", "packets": "2/1"},
			},
		},
		{
			name: "mid-association: tags learnt from verification tags, then a new INIT",
			segs: []seg{
				sctp(a, b, data, 0xAAAA, 0), sctp(b, a, sack, 0xBBBB, 0), sctp(b, a, sack, 0xCCCC, 0),
				sctp(a, b, SCTPInit, 0, 0xBBBB), sctp(a, b, SCTPInit, 0, 0xDDDD),
			},
			assocs: 2,
			facts: map[int]map[string]string{
				// A later verification tag does not replace a learnt one.
				0: {"tag": "48059/43690", "inits": "1", "frames": "1-4"},
				1: {"prev": "0", "tag": "56797/-", "reusedby": "f5@5s seq=0 ack=0"},
			},
		},
		{
			name:   "ABORT and SHUTDOWN COMPLETE teach no tag; the first one is the end",
			segs:   []seg{sctp(a, b, SCTPAbort, 5, 0), sctp(b, a, SCTPShutdownComplete, 6, 0)},
			assocs: 1,
			facts:  map[int]map[string]string{0: {"tag": "-/-", "end": "f1@1s seq=0 ack=0 chunk 6", "packets": "1/1"}},
		},
		{
			name:   "SHUTDOWN COMPLETE ends an association",
			segs:   []seg{sctp(a, b, data, 5, 0), sctp(b, a, SCTPShutdownComplete, 6, 0)},
			assocs: 1,
			facts:  map[int]map[string]string{0: {"end": "f2@2s seq=0 ack=0 chunk 14", "tag": "-/5"}},
		},
		{
			name:   "packets quoted in ICMP errors and unfinished fragments are not counted",
			segs:   []seg{sctp(a, b, SCTPInit, 0, 7).inICMP(), sctp(a, b, SCTPInit, 0, 7).fragment()},
			assocs: 0,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			hosts := NewHosts()
			tr := NewSCTPTracker(hosts)
			for i, s := range c.segs {
				p := s.packet(t, decode.SCTP)
				tr.Add(i+1, s.timeOf(i+1), &p)
			}
			if len(tr.Associations) != c.assocs {
				t.Errorf("%d associations, want %d", len(tr.Associations), c.assocs)
			}
			checkFacts(t, "association", c.facts, func(i int) (map[string]string, bool) {
				if i >= len(tr.Associations) {
					return nil, false
				}
				return sctpFacts(hosts, &tr.Associations[i]), true
			})
		})
	}
}
