package conv

import (
	"net/netip"
	"testing"

	"github.com/portlens/portlens/analyzer/decode"
)

const (
	SYN = decode.SYN
	ACK = decode.ACK
	FIN = decode.FIN
	RST = decode.RST
	PSH = decode.PSH
)

// trackerCase is segments, the frames as the reference writes them
// ("frame:stream", R where Wireshark 4.4 flags tcp.analysis.reused_ports),
// optionally the direction of each frame in its conversation, and facts
// per stream. The expected values follow
// ../shared/reference/wireshark-port-reuse.md (sections in the names).
type trackerCase struct {
	name   string
	segs   []seg
	frames string
	dirs   string
	facts  map[int]map[string]string
}

var trackerCases = []trackerCase{
	{
		name: "handshake, data, close by FIN: one stream and its evidence",
		segs: []seg{
			c2s(SYN, 100, 0).ts(7),
			s2c(SYN|ACK, 500, 101).ts(9),
			c2s(ACK, 101, 501),
			c2s(PSH|ACK, 101, 501).data(10).ts(8),
			s2c(ACK, 501, 111),
			c2s(FIN|ACK, 111, 501),
			s2c(FIN|ACK, 501, 112),
			c2s(ACK, 112, 502),
		},
		frames: "1:0 2:0 3:0 4:0 5:0 6:0 7:0 8:0",
		dirs:   "ABAABABA",
		facts: map[int]map[string]string{0: {
			"ends":    cli + " " + srv,
			"frames":  "1-8",
			"times":   "1s-8s",
			"packets": "5/3",
			"bytes":   "280/162",
			"base":    "100/500",
			"saw":     "FIN+ACK",
			"syn":     "f1@1s seq=100 ack=0 tsval=7 from A",
			"syns":    "1",
			"synack":  "f2@2s seq=500 ack=101 tsval=9 from B",
			"synacks": "1",
			"fin":     "f6 / f7",
			"rst":     "-",
			"tsval":   "8/9",
			// seq + payload + SYN + FIN, the highest per direction.
			"nextseq":   "112/502",
			"prev":      "-1",
			"next":      "-1",
			"reusedby":  "-",
			"icmp":      "0",
			"end":       "FIN",
			"endframe":  "f6",
			"closed":    "A",
			"client":    cli + " -> " + srv,
			"clientdir": "A",
		}},
	},
	{
		name:   "3: a SYN retransmitted with the same ISN is not a reuse",
		segs:   []seg{c2s(SYN, 100, 0), c2s(SYN, 100, 0)},
		frames: "1:0 2:0",
		facts: map[int]map[string]string{0: {"syns": "2", "syn": "f1@1s seq=100 ack=0 from A", "base": "100/-",
			"packets": "2/0", "nextseq": "101/0", "tsval": "-/-", "end": "open", "endframe": "-", "closed": "-", "saw": ""}},
	},
	{
		name: "3, 4: a SYN with a new ISN starts a stream; the SYN/ACK answering it is not flagged",
		segs: []seg{c2s(SYN, 100, 0), c2s(SYN, 200, 0), s2c(SYN|ACK, 500, 201)},
		// Frame 3 belongs to the newest conversation on its ports, whose
		// server flow has no base yet.
		frames: "1:0 2:1R 3:1",
		dirs:   "AAB",
		facts: map[int]map[string]string{
			0: {"next": "1", "prev": "-1", "frames": "1-1", "base": "100/-"},
			1: {"prev": "0", "next": "-1", "reusedby": "f2@2s seq=200 ack=0", "syn": "f2@2s seq=200 ack=0 from A",
				"synack": "f3@3s seq=500 ack=201 from B", "base": "200/500", "frames": "2-3", "ends": cli + " " + srv},
		},
	},
	{
		name: "8: repeated SYN refused by RST, a new ISN each time",
		segs: []seg{
			c2s(SYN, 100, 0), s2c(RST|ACK, 0, 101),
			c2s(SYN, 200, 0), s2c(RST|ACK, 0, 201),
			c2s(SYN, 300, 0), s2c(RST|ACK, 0, 301),
		},
		frames: "1:0 2:0 3:1R 4:1 5:2R 6:2",
		dirs:   "ABABAB",
		facts: map[int]map[string]string{
			// The RST/ACK's seq 0 gives its flow the base 0 - 1 = 0xFFFFFFFF.
			0: {"base": "100/4294967295", "saw": "RST", "rst": "f2 from B", "end": "RST",
				"endframe": "f2", "next": "1"},
			1: {"prev": "0", "next": "2", "saw": "RST", "reusedby": "f3@3s seq=200 ack=0"},
			2: {"prev": "1", "next": "-1", "reusedby": "f5@5s seq=300 ack=0", "frames": "5-6"},
		},
	},
	{
		name:   "8: the same ISN after an RST is still flagged",
		segs:   []seg{c2s(SYN, 100, 0), s2c(RST|ACK, 0, 101), c2s(SYN, 100, 0), s2c(RST|ACK, 0, 101)},
		frames: "1:0 2:0 3:1R 4:1",
		facts:  map[int]map[string]string{1: {"base": "100/4294967295", "syns": "1"}},
	},
	{
		name: "8: closed by FIN, a new SYN with the same ISN 2 hours later",
		segs: []seg{
			c2s(SYN, 100, 0), s2c(SYN|ACK, 500, 101), c2s(ACK, 101, 501),
			c2s(FIN|ACK, 101, 501), s2c(FIN|ACK, 501, 102), c2s(ACK, 102, 502),
			c2s(SYN, 100, 0).at(7207), s2c(SYN|ACK, 900, 101).at(7208),
		},
		frames: "1:0 2:0 3:0 4:0 5:0 6:0 7:1R 8:1",
		facts: map[int]map[string]string{
			0: {"fin": "f4 / f5", "closed": "A", "end": "FIN", "saw": "FIN+ACK"},
			// A new conversation starts with neither RST nor FIN+ACK seen.
			1: {"base": "100/900", "saw": "", "times": "7207s-7208s", "reusedby": "f7@7207s seq=100 ack=0",
				"synack": "f8@7208s seq=900 ack=101 from B", "end": "open"},
		},
	},
	{
		name: "8: SYN, SYN/ACK, SYN with a new ISN, SYN/ACK, SYN/ACK with a new seq",
		segs: []seg{
			c2s(SYN, 100, 0), s2c(SYN|ACK, 500, 101),
			c2s(SYN, 200, 0), s2c(SYN|ACK, 600, 201),
			s2c(SYN|ACK, 700, 201),
		},
		frames: "1:0 2:0 3:1R 4:1 5:2R",
		// The SYN/ACK that starts stream 2 makes the server its A.
		dirs: "ABABA",
		facts: map[int]map[string]string{
			1: {"base": "200/600", "next": "2"},
			2: {"ends": srv + " " + cli, "reusedby": "f5@5s seq=700 ack=201 (SYN/ACK)", "prev": "1",
				// The SYN/ACK's sender takes its seq; its ack-1 is the client's.
				"base": "700/200", "syn": "-", "synack": "f5@5s seq=700 ack=201 from A",
				"client": cli + " -> " + srv, "clientdir": "B"},
		},
	},
	{
		name:   "8: SYN, SYN/ACK, ACK, then a SYN/ACK with a new seq: only it is flagged",
		segs:   []seg{c2s(SYN, 100, 0), s2c(SYN|ACK, 500, 101), c2s(ACK, 101, 501), s2c(SYN|ACK, 800, 101)},
		frames: "1:0 2:0 3:0 4:1R",
		facts:  map[int]map[string]string{0: {"next": "1", "synacks": "1"}, 1: {"prev": "0", "synacks": "1"}},
	},
	{
		name:   "4: a SYN/ACK retransmitted with the same seq is not a reuse",
		segs:   []seg{c2s(SYN, 100, 0), s2c(SYN|ACK, 500, 101), s2c(SYN|ACK, 500, 101)},
		frames: "1:0 2:0 3:0",
		facts:  map[int]map[string]string{0: {"synacks": "2", "synack": "f2@2s seq=500 ack=101 from B"}},
	},
	{
		name:   "4: a SYN/ACK with the same seq after an RST is flagged",
		segs:   []seg{c2s(SYN, 100, 0), s2c(SYN|ACK, 500, 101), c2s(RST, 101, 0), s2c(SYN|ACK, 500, 101)},
		frames: "1:0 2:0 3:0 4:1R",
		facts: map[int]map[string]string{
			0: {"rst": "f3 from A", "saw": "RST", "base": "100/500"},
			1: {"ends": srv + " " + cli, "base": "500/100", "reusedby": "f4@4s seq=500 ack=101 (SYN/ACK)"},
		},
	},
	{
		name: "3, 4: simultaneous open, a SYN from each side, is one stream",
		segs: []seg{
			c2s(SYN, 100, 0), s2c(SYN, 500, 0),
			c2s(SYN|ACK, 100, 501), s2c(SYN|ACK, 500, 101),
		},
		frames: "1:0 2:0 3:0 4:0",
		dirs:   "ABAB",
		facts: map[int]map[string]string{0: {"syns": "2", "syn": "f1@1s seq=100 ack=0 from A", "synacks": "2",
			"synack": "f3@3s seq=100 ack=501 from A", "base": "100/500", "client": cli + " -> " + srv}},
	},
	{
		name: "2: a capture starting mid-connection has bases seq-1 and ack-1",
		segs: []seg{c2s(ACK, 1000, 2000).data(5), c2s(SYN, 999, 0), c2s(SYN, 5000, 0)},
		// The SYN whose seq equals the base is taken for a retransmission.
		frames: "1:0 2:0 3:1R",
		facts:  map[int]map[string]string{0: {"base": "999/1999", "nextseq": "1005/0", "syn": "f2@2s seq=999 ack=0 from A"}},
	},
	{
		name: "2: uint32 wrap: seq 0 and ack 0 give bases 0xFFFFFFFF",
		segs: []seg{s2c(ACK, 0, 0), s2c(SYN, 0xFFFFFFFF, 0), s2c(SYN, 0, 0)},
		// Only a seq differing from the wrapped base starts a stream.
		frames: "1:0 2:0 3:1R",
		facts:  map[int]map[string]string{0: {"base": "4294967295/4294967295", "ends": srv + " " + cli}},
	},
	{
		name:   "2: an RST/ACK with seq 0 as the first packet",
		segs:   []seg{s2c(RST|ACK, 0, 0)},
		frames: "1:0",
		facts:  map[int]map[string]string{0: {"base": "4294967295/4294967295", "saw": "RST", "end": "RST"}},
	},
	{
		name:   "2: an RST without ACK gives its receiver no base",
		segs:   []seg{c2s(RST, 100, 7)},
		frames: "1:0",
		facts:  map[int]map[string]string{0: {"base": "99/-", "saw": "RST", "rst": "f1 from A"}},
	},
	{
		name: "5: a FIN without ACK is not FIN+ACK; a FIN+ACK is",
		segs: []seg{
			c2s(SYN, 100, 0), c2s(FIN, 101, 0), c2s(SYN, 100, 0),
			s2c(FIN|ACK, 500, 102), c2s(SYN, 100, 0),
		},
		frames: "1:0 2:0 3:0 4:0 5:1R",
		facts: map[int]map[string]string{0: {"saw": "FIN+ACK", "fin": "f2 / f4",
			"base": "100/499", "closed": "A", "endframe": "f2", "syns": "2"}},
	},
	{
		name:   "closed first by B; an RST ends it in the end",
		segs:   []seg{c2s(ACK, 10, 20), s2c(FIN|ACK, 20, 10), c2s(FIN|ACK, 10, 21), s2c(RST, 21, 0)},
		frames: "1:0 2:0 3:0 4:0",
		facts: map[int]map[string]string{0: {"closed": "B", "fin": "f3 / f2",
			"end": "RST", "endframe": "f4", "saw": "RST FIN+ACK", "rst": "f4 from B"}},
	},
	{
		name:   "closed by B only: the end is B's FIN",
		segs:   []seg{c2s(ACK, 10, 20), s2c(FIN|ACK, 20, 10)},
		frames: "1:0 2:0",
		facts:  map[int]map[string]string{0: {"closed": "B", "end": "FIN", "endframe": "f2"}},
	},
	{
		name: "10: a SYN quoted in an ICMP error splits the stream but is not flagged",
		segs: []seg{c2s(SYN, 100, 0), c2s(SYN, 200, 0).inICMP(), c2s(SYN, 200, 0)},
		// Frame 3 is the SYN the quoted header copied: a retransmission
		// in the conversation the quote created.
		frames: "1:0 2:1 3:1",
		facts: map[int]map[string]string{
			0: {"next": "1"},
			// The quote sets no base (frame 3 does) and records no evidence.
			1: {"prev": "0", "reusedby": "-", "icmp": "1", "syn": "f3@3s seq=200 ack=0 from A", "syns": "1",
				"packets": "2/0", "base": "200/-", "frames": "2-3"},
		},
	},
	{
		// Measured with the oracle (testdata icmp-quote-first.pcap): a quote
		// sets no base in Wireshark 4.4, so the SYN after it is no reuse.
		name:   "10: a SYN quoted before its connection is seen sets no ISN",
		segs:   []seg{c2s(SYN, 100, 0).inICMP(), c2s(SYN, 200, 0), s2c(SYN|ACK, 500, 201)},
		frames: "1:0 2:0 3:0",
		facts:  map[int]map[string]string{0: {"base": "200/500", "icmp": "1", "syns": "1"}},
	},
	{
		name:   "10: a quoted FIN+ACK marks completeness but records no FIN and no base",
		segs:   []seg{c2s(SYN, 100, 0), c2s(FIN|ACK, 101, 1).inICMP(), c2s(SYN, 100, 0)},
		frames: "1:0 2:0 3:1R",
		facts: map[int]map[string]string{0: {"icmp": "1", "saw": "FIN+ACK", "fin": "- / -", "end": "open",
			"base": "100/-", "packets": "2/0", "nextseq": "101/0"}},
	},
	{
		// sFlow samples are dissected with in_error_pkt set, as quotes are
		// (testdata sflow-samples.pcap): they split streams unflagged, set no
		// base, and their RST counts; unlike quotes they are evidence.
		name: "sampled headers: no base, no flag, RST noted",
		segs: []seg{
			c2s(SYN, 100, 0), s2c(SYN|ACK, 500, 101),
			c2s(SYN, 300, 0).inSFlow(), // splits: seq differs from 100
			c2s(SYN, 400, 0).inSFlow(), // no base in stream 1: no split
			s2c(SYN|ACK, 600, 301),     // sets both bases of stream 1
			s2c(RST|ACK, 0, 301).inSFlow(),
			c2s(SYN, 300, 0), // the sampled RST counts: a reuse
		},
		frames: "1:0 2:0 3:1 4:1 5:1 6:1 7:2R",
		facts: map[int]map[string]string{
			1: {"base": "300/600", "saw": "RST", "reusedby": "-", "syns": "2", "icmp": "0"},
			2: {"base": "300/-", "prev": "1"},
		},
	},
	{
		// A header cut short of its data offset (snap length, IP length,
		// 16 to 19 bytes): tracked in full, but Wireshark shows no
		// analysis for it (testdata tcp-short-headers.pcap, tcp-snaplen-cut.pcap).
		name:   "a reuse SYN whose header is cut splits unflagged and sets the ISN",
		segs:   []seg{c2s(SYN, 100, 0), c2s(RST|ACK, 101, 0).cut(), c2s(SYN, 200, 0).cut(), c2s(SYN, 300, 0), s2c(SYN|ACK, 9, 301).cut()},
		frames: "1:0 2:0 3:1 4:2R 5:2",
		facts: map[int]map[string]string{
			0: {"saw": "RST"},
			1: {"base": "200/-", "reusedby": "-", "prev": "0"},
			2: {"base": "300/9", "reusedby": "f4@4s seq=300 ack=0", "prev": "1"},
		},
	},
	{
		// A data offset below 5 words: the split and the base happen, the
		// RST is not noted and nothing is flagged.
		name:   "a bad data offset: RST not noted, SYN splits unflagged",
		segs:   []seg{c2s(SYN, 100, 0), c2s(RST|ACK, 101, 0).badOffset(), c2s(SYN, 100, 0), c2s(SYN, 200, 0).badOffset(), c2s(SYN, 300, 0)},
		frames: "1:0 2:0 3:0 4:1 5:2R",
		facts: map[int]map[string]string{
			0: {"saw": "", "syns": "2"},
			1: {"base": "200/-", "reusedby": "-"},
		},
	},
	{
		name: "NextSeq keeps the highest sequence number, across the wrap",
		segs: []seg{
			c2s(ACK, 0xFFFFFFF0, 0).data(0x20), // next 0x10, wrapped
			c2s(ACK, 5, 0),                     // lower: kept 0x10
			c2s(ACK, 16, 0).data(4),            // 20
			c2s(ACK, 0xFFFFFFF0, 0).data(1),    // an old retransmission
		},
		frames: "1:0 2:0 3:0 4:0",
		facts:  map[int]map[string]string{0: {"nextseq": "20/0", "base": "4294967279/4294967295"}},
	},
	{
		name:   "without a handshake the client is the endpoint with the higher port",
		segs:   []seg{s2c(ACK, 1, 1)},
		frames: "1:0",
		facts:  map[int]map[string]string{0: {"ends": srv + " " + cli, "client": cli + " -> " + srv, "clientdir": "B"}},
	},
	{
		name:   "without a handshake, equal ports: the first sender is the client",
		segs:   []seg{tcp("10.0.0.2:5000", "10.0.0.1:5000", ACK, 1, 1)},
		frames: "1:0",
		facts:  map[int]map[string]string{0: {"client": "10.0.0.2:5000 -> 10.0.0.1:5000", "clientdir": "A"}},
	},
	{
		name: "1: the key is addresses and ports, unordered; IPv4, IPv6 and IPv4-mapped differ",
		segs: []seg{
			c2s(SYN, 100, 0),
			tcp(cli6, srv6, SYN, 100, 0),
			s2c(SYN|ACK, 500, 101),
			tcp(srv6, cli6, SYN|ACK, 500, 101),
			tcp("[::ffff:10.0.0.1]:40000", "[::ffff:10.0.0.2]:80", SYN, 100, 0),
			tcp("10.0.0.1:40001", srv, SYN, 100, 0),
			tcp("[2001:db9::1]:40000", srv6, SYN, 100, 0), // differs in the high 8 bytes
			tcp("127.0.0.1:40000", "127.0.0.1:80", SYN, 100, 0),
			tcp("127.0.0.1:80", "127.0.0.1:40000", SYN|ACK, 500, 101),
			tcp(srv6, "[2001:db9::1]:40000", SYN|ACK, 500, 101),
		},
		frames: "1:0 2:1 3:0 4:1 5:2 6:3 7:4 8:5 9:5 10:4",
		dirs:   "AABBAAAABB",
		facts: map[int]map[string]string{
			1: {"ends": cli6 + " " + srv6, "base": "100/500"},
			2: {"ends": "[::ffff:10.0.0.1]:40000 [::ffff:10.0.0.2]:80"},
			5: {"ends": "127.0.0.1:40000 127.0.0.1:80", "packets": "1/1"},
		},
	},
}

func TestTracker(t *testing.T) {
	for _, c := range trackerCases {
		t.Run(c.name, func(t *testing.T) {
			frames, dirs, convs, hosts := track(t, c.segs)
			if frames != c.frames {
				t.Errorf("frames %s\n          want %s", frames, c.frames)
			}
			if c.dirs != "" && dirs != c.dirs {
				t.Errorf("directions %s, want %s", dirs, c.dirs)
			}
			checkFacts(t, "stream", c.facts, func(i int) (map[string]string, bool) {
				if i >= len(convs) {
					return nil, false
				}
				return facts(hosts, &convs[i]), true
			})
			for i := range convs {
				if convs[i].Packets[0]+convs[i].Packets[1] == 0 {
					t.Errorf("conversation %d has no packet", i)
				}
			}
		})
	}
}

// The key orders its two endpoints, so both directions find it, and
// nothing else collides: family, either half of the address, port.
func TestKeyOf(t *testing.T) {
	eps := []string{"10.0.0.1:80", "10.0.0.1:81", "10.0.0.2:80", "[::ffff:10.0.0.1]:80",
		"[2001:db8::1]:80", "[2001:db8::2]:80", "[2001:db9::1]:80", "[::]:0", "0.0.0.0:0"}
	seen := map[key]string{}
	h := NewHosts()
	ep := func(s string) Endpoint {
		ap := netip.MustParseAddrPort(s)
		return Endpoint{h.ID(ap.Addr()), ap.Port()}
	}
	for _, a := range eps {
		for _, b := range eps {
			pa, pb := ep(a), ep(b)
			k := keyOf(pa, pb)
			if k != keyOf(pb, pa) {
				t.Errorf("key(%s, %s) differs from key(%s, %s)", a, b, b, a)
			}
			pair := a + " " + b
			if b < a {
				pair = b + " " + a
			}
			if other, ok := seen[k]; ok && other != pair {
				t.Errorf("%s and %s have the same key", pair, other)
			}
			seen[k] = pair
		}
	}
}

func TestEndAndDir(t *testing.T) {
	for e, want := range map[End]string{Open: "open", Fin: "FIN", Rst: "RST"} {
		if e.String() != want {
			t.Errorf("End %d: %q, want %q", e, e.String(), want)
		}
	}
	if FromA.Reverse() != FromB || FromB.Reverse() != FromA {
		t.Error("Reverse does not swap FromA and FromB")
	}
}

// Current is the conversation a segment on the same ports finds now: in a
// frame with several TCP headers (sFlow samples) Wireshark shows each
// header in the conversation current after the whole frame.
func TestCurrent(t *testing.T) {
	tr := NewTracker(NewHosts())
	other := c2s(SYN, 1, 0)
	other.from = "10.0.0.1:40001"
	po := other.packet(t, decode.TCP)
	if got, _ := tr.Current(&po); got != -1 {
		t.Errorf("no conversation yet: %d, want -1", got)
	}
	for i, s := range []seg{c2s(SYN, 100, 0), other, c2s(ACK, 101, 0), c2s(SYN, 200, 0).inSFlow()} {
		p := s.packet(t, decode.TCP)
		tr.Add(i+1, int64(i+1)*1e9, s.wireLength(), &p)
	}
	// Both directions of the first ports find stream 2, the one the
	// sampled SYN started after the ACK (stream 0) was tracked.
	for i, s := range []seg{c2s(ACK, 1, 1), s2c(ACK, 1, 1)} {
		p := s.packet(t, decode.TCP)
		if got, dir := tr.Current(&p); got != 2 || dir != Dir(i) {
			t.Errorf("%s -> %s: stream %d dir %d, want 2 %d", s.from, s.to, got, dir, i)
		}
	}
	if got, _ := tr.Current(&po); got != 1 {
		t.Errorf("other ports: stream %d, want 1", got)
	}
}
