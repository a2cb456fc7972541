package conv

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/portlens/portlens/analyzer/decode"
)

// The tracker tests feed segments built here to a Tracker and compare
// what it recorded as named facts (strings). Only facts() and its
// siblings read the records' fields: when the layout of Conversation,
// UDPFlow or Association changes, they are what to adapt.

// Endpoints the tests use.
const (
	cli  = "10.0.0.1:40000"
	srv  = "10.0.0.2:80"
	cli6 = "[2001:db8::1]:40000"
	srv6 = "[2001:db8::2]:80"
)

// seg is one packet to feed a tracker.
type seg struct {
	from, to string
	flags    decode.TCPFlags
	seq, ack uint32
	payload  int
	tsval    uint32 // TCP timestamp option, sent when hasTS
	hasTS    bool
	quoted   bool // the header is quoted inside an ICMP error
	sampled  bool // the header is an sFlow sample
	header   decode.TCPHeaderState
	frag     bool  // an IP fragment that completes no datagram
	time     int64 // ns; 0: the frame number in seconds
	// SCTP
	chunk          uint8
	verTag, iniTag uint32
}

// tcp is a TCP segment from one endpoint to another.
func tcp(from, to string, flags decode.TCPFlags, seq, ack uint32) seg {
	return seg{from: from, to: to, flags: flags, seq: seq, ack: ack}
}

func c2s(flags decode.TCPFlags, seq, ack uint32) seg { return tcp(cli, srv, flags, seq, ack) }
func s2c(flags decode.TCPFlags, seq, ack uint32) seg { return tcp(srv, cli, flags, seq, ack) }

func (s seg) data(n int) seg       { s.payload = n; return s }
func (s seg) ts(v uint32) seg      { s.tsval, s.hasTS = v, true; return s }
func (s seg) inICMP() seg          { s.quoted = true; return s }
func (s seg) inSFlow() seg         { s.sampled = true; return s }
func (s seg) cut() seg             { s.header = decode.HeaderCut; return s }
func (s seg) badOffset() seg       { s.header = decode.HeaderBadOffset; return s }
func (s seg) fragment() seg        { s.frag = true; return s }
func (s seg) at(seconds int64) seg { s.time = seconds * 1e9; return s }

func (s seg) packet(t *testing.T, transport decode.Transport) decode.Packet {
	t.Helper()
	from, err := netip.ParseAddrPort(s.from)
	if err != nil {
		t.Fatal(err)
	}
	to, err := netip.ParseAddrPort(s.to)
	if err != nil {
		t.Fatal(err)
	}
	return decode.Packet{Src: from.Addr(), Dst: to.Addr(), SrcPort: from.Port(), DstPort: to.Port(),
		Transport: transport, Flags: s.flags, Seq: s.seq, Ack: s.ack, PayloadLen: s.payload,
		Options:   decode.TCPOptions{HasTS: s.hasTS, TSVal: s.tsval},
		SCTPChunk: s.chunk, SCTPVerTag: s.verTag, SCTPInitiateTag: s.iniTag,
		InICMPError: s.quoted, Sampled: s.sampled, TCPHeader: s.header, Fragment: s.frag, VLAN: -1}
}

// wireLength is a segment's length on the wire.
func (s seg) wireLength() int { return 54 + s.payload }

func (s seg) timeOf(frame int) int64 {
	if s.time != 0 {
		return s.time
	}
	return int64(frame) * 1e9
}

// track feeds segs (frames 1, 2, ...) to a new Tracker and returns the
// frames as Wireshark's reference writes them, "frame:stream" with R for
// a reused-ports flag ("1:0 2:0 3:1R"), the directions ("ABA"), and the
// conversations.
func track(t *testing.T, segs []seg) (frames, dirs string, convs []Conversation, hosts *Hosts) {
	t.Helper()
	hosts = NewHosts()
	tr := NewTracker(hosts)
	var fs []string
	var ds strings.Builder
	for i, s := range segs {
		frame := i + 1
		p := s.packet(t, decode.TCP)
		r := tr.Add(frame, s.timeOf(frame), s.wireLength(), &p)
		f := fmt.Sprintf("%d:%d", frame, r.Stream)
		if r.Reused {
			f += "R"
		}
		fs = append(fs, f)
		ds.WriteString(dirName(r.Dir))
	}
	n := tr.Len()
	table := tr.Conversations()
	if table.Len() != n {
		t.Fatalf("Conversations() holds %d, Len() was %d", table.Len(), n)
	}
	for i := range n {
		convs = append(convs, *table.At(i))
	}
	return strings.Join(fs, " "), ds.String(), convs, hosts
}

func dirName(d Dir) string {
	if d == FromA {
		return "A"
	}
	return "B"
}

// segment formats a Segment: "f3@3s seq=100 ack=0 tsval=7" (tsval when
// hasTS), "-" if none.
func segment(s Segment, hasTS bool) string {
	if s.Frame == 0 {
		return "-"
	}
	out := fmt.Sprintf("f%d@%s seq=%d ack=%d", s.Frame, seconds(s.Time), s.Seq, s.Ack)
	if hasTS {
		out += " tsval=" + strconv.FormatUint(uint64(s.TSVal), 10)
	}
	return out
}

// frameName formats a frame number: "f3", "-" if none.
func frameName(f int32) string {
	if f == 0 {
		return "-"
	}
	return fmt.Sprintf("f%d", f)
}

// endpoint formats e as an address and port.
func endpoint(h *Hosts, e Endpoint) string { return h.AddrPort(e).String() }

func seconds(ns int64) string {
	if ns%1e9 == 0 {
		return strconv.FormatInt(ns/1e9, 10) + "s"
	}
	return strconv.FormatInt(ns, 10) + "ns"
}

// perDir formats a value per direction as "A/B", "-" where unset.
func perDir[T any](v [2]T, set [2]bool) string {
	s := [2]string{"-", "-"}
	for d := range 2 {
		if set[d] {
			s[d] = fmt.Sprint(v[d])
		}
	}
	return s[0] + "/" + s[1]
}

var both = [2]bool{true, true}

// facts names what a conversation recorded, its addresses from h.
func facts(h *Hosts, c *Conversation) map[string]string {
	saw := []string{}
	if c.SawRST {
		saw = append(saw, "RST")
	}
	if c.SawFINACK {
		saw = append(saw, "FIN+ACK")
	}
	closed := "-"
	if d, ok := c.ClosedFirstBy(); ok {
		closed = dirName(d)
	}
	client, server := c.Client()
	reusedBy := segment(c.ReusedBy(), false)
	if c.ReusedBySYNACK {
		reusedBy += " (SYN/ACK)"
	}
	syn, synack, rst := segment(c.SYN, c.SYNHasTS), segment(c.SYNACK, c.SYNACKHasTS), frameName(c.FirstRST)
	if c.SYN.Frame > 0 {
		syn += " from " + dirName(c.SYNDir)
	}
	if c.SYNACK.Frame > 0 {
		synack += " from " + dirName(c.SYNACKDir)
	}
	if c.FirstRST > 0 {
		rst += " from " + dirName(c.RSTDir)
	}
	return map[string]string{
		"ends":      endpoint(h, c.A) + " " + endpoint(h, c.B),
		"frames":    fmt.Sprintf("%d-%d", c.FirstFrame, c.LastFrame),
		"times":     seconds(c.FirstTime) + "-" + seconds(c.LastTime),
		"packets":   perDir(c.Packets, both),
		"bytes":     perDir(c.Bytes, both),
		"base":      perDir(c.Base, c.BaseSet),
		"saw":       strings.Join(saw, " "),
		"syn":       syn,
		"syns":      strconv.Itoa(int(c.SYNCount)),
		"synack":    synack,
		"synacks":   strconv.Itoa(int(c.SYNACKCount)),
		"fin":       frameName(c.FirstFIN[FromA]) + " / " + frameName(c.FirstFIN[FromB]),
		"rst":       rst,
		"tsval":     perDir(c.LastTSVal, c.HasTS),
		"nextseq":   perDir(c.NextSeq, both),
		"prev":      strconv.Itoa(int(c.PrevStream)),
		"next":      strconv.Itoa(int(c.NextStream)),
		"reusedby":  reusedBy,
		"icmp":      strconv.Itoa(int(c.ICMPErrors)),
		"end":       c.End().String(),
		"endframe":  frameName(c.EndFrame()),
		"closed":    closed,
		"client":    endpoint(h, client) + " -> " + endpoint(h, server),
		"clientdir": dirName(c.ClientDir()),
	}
}

// checkFacts compares the facts named in want, per stream, with got.
func checkFacts(t *testing.T, what string, want map[int]map[string]string, got func(i int) (map[string]string, bool)) {
	t.Helper()
	streams := make([]int, 0, len(want))
	for i := range want {
		streams = append(streams, i)
	}
	slices.Sort(streams)
	for _, i := range streams {
		have, ok := got(i)
		if !ok {
			t.Errorf("%s %d does not exist", what, i)
			continue
		}
		names := make([]string, 0, len(want[i]))
		for name := range want[i] {
			names = append(names, name)
		}
		slices.Sort(names)
		for _, name := range names {
			v, known := have[name]
			switch {
			case !known:
				t.Errorf("%s %d: no fact %q", what, i, name)
			case v != want[i][name]:
				t.Errorf("%s %d %s: got %q, want %q", what, i, name, v, want[i][name])
			}
		}
	}
}
