package rules

import (
	"github.com/portlens/portlens/analyzer/blocks"

	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/portlens/portlens/analyzer/conv"
)

const sec = int64(time.Second)

var (
	client = netip.MustParseAddr("192.0.2.10")
	server = netip.MustParseAddr("198.51.100.20")
	other  = netip.MustParseAddr("203.0.113.1")
)

// Host ids of the test's address table (testHosts).
const (
	clientID conv.HostID = iota
	serverID
	otherID
)

func testHosts() *conv.Hosts {
	h := conv.NewHosts()
	for _, a := range []netip.Addr{client, server, other} {
		h.ID(a)
	}
	return h
}

// input is an Input holding convs, with the test's address table.
func input(convs ...conv.Conversation) *Input {
	in := &Input{Hosts: testHosts(), Conversations: &conv.Table{}, UDPFlows: &blocks.List[conv.UDPFlow]{}}
	for _, c := range convs {
		p, _ := in.Conversations.Add()
		*p = c
	}
	return in
}

// handshake builds a conversation opened by a SYN from cport to sport at
// frame, answered by a SYN/ACK at frame+1, lasting to last.
func handshake(cport, sport uint16, frame int, t0 int64) conv.Conversation {
	f := int32(frame)
	c := conv.Conversation{
		A: conv.Endpoint{Host: clientID, Port: cport}, B: conv.Endpoint{Host: serverID, Port: sport},
		FirstFrame: f, LastFrame: f + 2, FirstTime: t0, LastTime: t0 + 2e6,
		Packets: [2]uint32{2, 1}, PrevStream: -1, NextStream: -1, SYNCount: 1, SYNACKCount: 1,
		SYN: conv.Segment{Frame: f, Time: t0}, SYNDir: conv.FromA,
		SYNACK: conv.Segment{Frame: f + 1, Time: t0 + 1e6}, SYNACKDir: conv.FromB,
	}
	return c
}

// closeFIN closes c with FIN, first from dir, its last packet at t.
func closeFIN(c *conv.Conversation, first conv.Dir, frame int, t int64) {
	c.FirstFIN[first] = int32(frame)
	c.FirstFIN[first.Reverse()] = int32(frame + 1)
	c.LastFrame, c.LastTime = int32(frame+2), t
	c.SawFINACK = true
}

// judge returns the flags of kind, in words.
func judge(t *testing.T, in *Input, s Settings, kind Kind) []Explained {
	t.Helper()
	v := Judge(in, s)
	var out []Explained
	for i, f := range v.Flags {
		if f.Kind == kind {
			out = append(out, v.Explain(i))
		}
	}
	return out
}

func frames(flags []Explained) []int {
	var out []int
	for _, f := range flags {
		out = append(out, f.Frame)
	}
	return out
}

func mustContain(t *testing.T, text string, words ...string) {
	t.Helper()
	for _, w := range words {
		if !strings.Contains(text, w) {
			t.Errorf("lacks %q:\n%s", w, text)
		}
	}
}

// reusePair is a connection closed with FIN by closer, reused gap later.
func reusePair(closer conv.Dir, gap time.Duration) *Input {
	a := handshake(40000, 443, 1, 0)
	closeFIN(&a, closer, 4, 10*sec)
	b := handshake(40000, 443, 7, 10*sec+int64(gap))
	b.PrevStream, b.Reused = 0, true
	b.SYN.Seq = 99
	a.NextStream = 1
	return input(a, b)
}

func TestTimeWaitBoundary(t *testing.T) {
	for _, tc := range []struct {
		os    string
		gap   time.Duration
		class Class
		fast  bool
	}{
		{"linux", 59 * time.Second, ClassInTimeWait, true},
		{"linux", 61 * time.Second, ClassAfterTimeWait, false},
		{"windows", 61 * time.Second, ClassInTimeWait, true},
		{"windows", 121 * time.Second, ClassAfterTimeWait, false},
		{"macos", 31 * time.Second, ClassAfterTimeWait, false},
	} {
		s := Settings{Preset: tc.os}
		in := reusePair(conv.FromA, tc.gap)
		r := judge(t, in, s, ReusedPorts)
		if len(r) != 1 || r[0].Class != tc.class.String() {
			t.Errorf("%s %v: reused %+v, want class %s", tc.os, tc.gap, r, tc.class)
		}
		if f := judge(t, in, s, FastReuse); (len(f) == 1) != tc.fast {
			t.Errorf("%s %v: fast_reuse %v, want %v", tc.os, tc.gap, frames(f), tc.fast)
		}
	}
}

func TestFastReuseNamesHolderAndSafety(t *testing.T) {
	in := reusePair(conv.FromB, 20*time.Second)
	in.Conversations.At(0).NextSeq[conv.FromA] = 1000
	f := judge(t, in, Settings{}, FastReuse)
	if len(f) != 1 {
		t.Fatalf("got %v", f)
	}
	mustContain(t, f[0].Explanation, "198.51.100.20:443 closed first", "20.000 s earlier", "40.000 s before",
		"The peer holds TIME_WAIT", "new ISN 99 is not above", "1000")
	if !slices.Equal(f[0].Related, []int{1, 4, 6}) {
		t.Errorf("related %v", f[0].Related)
	}
	// Under custom, the user's TIME_WAIT decides.
	s := Settings{Preset: "custom", Ephemeral: Range{1024, 65535}, TimeWait: 10 * time.Second}
	if f := judge(t, in, s, FastReuse); len(f) != 0 {
		t.Errorf("custom 10 s: %v", frames(f))
	}
}

func TestReuseAfterRSTIsNotFast(t *testing.T) {
	in := reusePair(conv.FromA, time.Second)
	a := in.Conversations.At(0)
	a.FirstFIN = [2]int32{}
	a.FirstRST = 4
	if f := judge(t, in, Settings{}, FastReuse); len(f) != 0 {
		t.Errorf("fast_reuse after RST: %v", frames(f))
	}
	if r := judge(t, in, Settings{}, ReusedPorts); len(r) != 1 || r[0].Class != ClassAfterRST.String() {
		t.Errorf("got %+v", r)
	}
}

func TestSourcePortRules(t *testing.T) {
	var convs []conv.Conversation
	add := func(cport, sport uint16) {
		n := len(convs)
		convs = append(convs, handshake(cport, sport, 3*n+1, int64(n)*sec))
	}
	add(5000, 443)  // outside linux, registered range
	add(5000, 8443) // same host and port: no second flag
	add(40000, 443) // inside
	add(700, 80)    // privileged
	add(1022, 2049) // NFS: expected
	add(20, 3000)   // active FTP data from 20: expected
	add(20, 179)    // from 20 but not FTP data (Scapy's default)
	add(61000, 443) // outside linux (60999 is the top)
	in := input(convs...)
	out := judge(t, in, Settings{}, OutsideEphemeral)
	if !slices.Equal(frames(out), []int{1, 22}) {
		t.Fatalf("outside: %v", frames(out))
	}
	mustContain(t, out[0].Explanation, "Port 5000", "32768-60999", "2 connections", "198.51.100.20:8443", "registered range")
	if !slices.Equal(out[0].Related, []int{4}) {
		t.Errorf("related %v", out[0].Related)
	}
	priv := judge(t, in, Settings{}, PrivilegedSource)
	if !slices.Equal(frames(priv), []int{10, 19}) {
		t.Fatalf("privileged: %v", frames(priv))
	}
	mustContain(t, priv[0].Explanation, "Port 700", "198.51.100.20:80", "root")
	// Windows XP's range 1025-5000 holds port 5000.
	if out := judge(t, in, Settings{Preset: "windows-xp"}, OutsideEphemeral); slices.Contains(frames(out), 1) {
		t.Errorf("windows-xp flags port 5000")
	}
}

func TestServerInEphemeral(t *testing.T) {
	in := input(
		handshake(50000, 40000, 1, 0),
		handshake(50001, 40000, 4, sec),
		handshake(50002, 8080, 7, 2*sec),
	)
	out := judge(t, in, Settings{}, ServerInEphemeral)
	if !slices.Equal(frames(out), []int{2}) {
		t.Fatalf("got %v", frames(out))
	}
	mustContain(t, out[0].Explanation, "port 40000", "32768-60999", "2 connections", "192.0.2.10:50001")
	if out := judge(t, in, Settings{Preset: "windows"}, ServerInEphemeral); len(out) != 0 {
		t.Errorf("windows: %v", frames(out))
	}
}

func TestSYNUnanswered(t *testing.T) {
	lone := func(stream, count int) conv.Conversation {
		c := handshake(45000+uint16(stream), 443, 10*stream+1, int64(stream)*sec)
		c.SYNACK, c.SYNACKCount, c.Packets = conv.Segment{}, 0, [2]uint32{uint32(count), 0}
		c.SYNCount, c.LastFrame, c.LastTime = uint16(count), int32(10*stream+count), c.FirstTime+7*sec
		return c
	}
	once := lone(0, 1)
	retried := lone(1, 3)
	refused := lone(2, 2)
	refused.FirstRST, refused.Packets[1] = 23, 1
	icmp := lone(3, 2)
	icmp.ICMPErrors = 1
	in := input(once, retried, refused, icmp)
	out := judge(t, in, Settings{}, SYNUnanswered)
	if !slices.Equal(frames(out), []int{11}) {
		t.Fatalf("got %v", frames(out))
	}
	mustContain(t, out[0].Explanation, "3 times", "7.000 s", "frame 13")
	if out := judge(t, in, Settings{SYNMin: 4}, SYNUnanswered); len(out) != 0 {
		t.Errorf("SYNMin 4: %v", frames(out))
	}
}

// Ten connections held open to one destination with a custom 10-port
// range: 8 busy ports reach the 80% threshold on the eighth SYN.
func TestExhaustionBusy(t *testing.T) {
	var convs []conv.Conversation
	for i := range 10 {
		c := handshake(uint16(2000+i), 443, 3*i+1, int64(i)*sec)
		convs = append(convs, c)
	}
	in := input(convs...)
	in.End = 100 * sec
	s := Settings{Preset: "custom", Ephemeral: Range{2000, 2009}, TimeWait: 30 * time.Second}
	out := judge(t, in, s, Exhaustion)
	if len(out) != 1 || out[0].Frame != 22 || out[0].Class != ClassBusy.String() {
		t.Fatalf("got %+v", out)
	}
	mustContain(t, out[0].Explanation, "10 connections", "8 ports were busy", "80% of the 10-port range",
		"peak was 10 ports", "1.0 a second", "custom")
	// A higher threshold moves the flag; 100% is reached at the tenth.
	s.ExhaustionShare = 1
	if out := judge(t, in, s, Exhaustion); len(out) != 1 || out[0].Frame != 28 {
		t.Errorf("share 1: %v", frames(out))
	}
	// Closed by the server right away: nothing stays busy.
	for i := range convs {
		c := in.Conversations.At(i)
		closeFIN(c, conv.FromB, int(c.FirstFrame)+2, c.FirstTime+1e6)
	}
	if out := judge(t, in, s, Exhaustion); len(out) != 0 {
		t.Errorf("server closed: %v", frames(out))
	}
	// Closed by the client: TIME_WAIT keeps them busy.
	for i := range convs {
		c := in.Conversations.At(i)
		c.FirstFIN[0], c.FirstFIN[1] = c.FirstFIN[1], c.FirstFIN[0]
	}
	s.ExhaustionShare = 0
	if out := judge(t, in, s, Exhaustion); len(out) != 1 || out[0].Frame != 22 {
		t.Errorf("client closed: %v", frames(out))
	}
}

func TestFixedDNSPort(t *testing.T) {
	q := func(cport uint16, n, frame int32) conv.UDPFlow {
		return conv.UDPFlow{A: conv.Endpoint{Host: clientID, Port: cport}, B: conv.Endpoint{Host: serverID, Port: 53},
			FirstFrame: [2]int32{frame, frame + 1}, LastFrame: [2]int32{frame + 2*n - 2, frame + 2*n - 1},
			FirstTime: [2]int64{0, 0}, LastTime: [2]int64{int64(n) * sec, int64(n) * sec}, Packets: [2]uint32{uint32(n), uint32(n)}}
	}
	in := input()
	for _, f := range []conv.UDPFlow{q(33333, 12, 1), q(40000, 1, 30), q(40001, 9, 40)} {
		p, _ := in.UDPFlows.Add()
		*p = f
	}
	out := judge(t, in, Settings{}, FixedSourcePort)
	if !slices.Equal(frames(out), []int{1}) {
		t.Fatalf("got %v", frames(out))
	}
	mustContain(t, out[0].Explanation, "12 DNS queries", "source port 33333", "frame 1 to frame 23", "2 other source ports", "CVE-2008-1447")
	if out := judge(t, in, Settings{DNSMinQueries: 9}, FixedSourcePort); !slices.Equal(frames(out), []int{1, 40}) {
		t.Errorf("min 9: %v", frames(out))
	}
}

func TestSCTPReused(t *testing.T) {
	a := conv.Endpoint{Host: clientID, Port: 36412}
	b := conv.Endpoint{Host: serverID, Port: 36412}
	in := input()
	in.Associations = []conv.Association{
		{Index: 0, A: a, B: b, FirstFrame: 1, LastFrame: 4, LastTime: 1 * sec, Tag: [2]uint32{0x11, 0x22}, TagSet: [2]bool{true, true}, Prev: -1,
			End: conv.Segment{Frame: 4}, EndChunk: conv.SCTPAbort},
		{Index: 1, A: a, B: b, FirstFrame: 5, LastFrame: 8, Tag: [2]uint32{0x33}, TagSet: [2]bool{true}, Prev: 0,
			ReusedBy: conv.Segment{Frame: 5, Time: 31 * sec}},
	}
	out := judge(t, in, Settings{}, SCTPReusedPorts)
	if !slices.Equal(frames(out), []int{5}) {
		t.Fatalf("got %v", frames(out))
	}
	mustContain(t, out[0].Explanation, "0x00000033", "0x00000011", "30.000 s", "ABORT in frame 4")
}

func TestResolveHosts(t *testing.T) {
	var convs []conv.Conversation
	ports := func(ps ...uint16) {
		for _, p := range ps {
			n := len(convs)
			convs = append(convs, handshake(p, 443, 3*n+1, int64(n)*sec))
		}
	}
	for i := range 19 {
		ports(uint16(1100 + 150*i)) // 1100 .. 3800: Windows XP
	}
	ports(40000) // one outlier: 19/20 = 95%
	in := input(convs...)
	h := ResolveHosts(in, Settings{Preset: "auto"})[client]
	if !h.Inferred || h.Preset.Name != "windows-xp" || h.Connections != 20 || h.InRange != 19 {
		t.Fatalf("got %+v", h)
	}
	mustContain(t, h.Why, "19 of the 20 connections", "1025-5000", "95%")
	if srv := ResolveHosts(in, Settings{Preset: "auto"})[server]; srv.Inferred || !strings.Contains(srv.Why, "opened no connection") {
		t.Errorf("server: %+v", srv)
	}
	// Too few samples: the fallback, with the count.
	in = input(convs[:5]...)
	h = ResolveHosts(in, Settings{Preset: "auto", Default: "freebsd"})[client]
	if h.Inferred || h.Preset.Name != "freebsd" || !strings.Contains(h.Why, "only 5 connection(s)") {
		t.Errorf("few: %+v", h)
	}
	// Ports all over: no range holds 95%.
	convs = nil
	for i := range 20 {
		ports(uint16(1100 + 3200*i))
	}
	in = input(convs...)
	if h := ResolveHosts(in, Settings{Preset: "auto"})[client]; h.Inferred || !strings.Contains(h.Why, "no preset range holds 95%") {
		t.Errorf("spread: %+v", h)
	}
	// 49152-65535 is Windows, macOS and IANA: the default wins when it is one.
	convs = nil
	for i := range 12 {
		ports(uint16(50000 + 1000*i))
	}
	in = input(convs...)
	if h := ResolveHosts(in, Settings{Preset: "auto", Default: "macos"})[client]; h.Preset.Name != "macos" {
		t.Errorf("default macos: %+v", h)
	}
	if h := ResolveHosts(in, Settings{Preset: "auto"})[client]; h.Preset.Name != "windows" || h.Preset.TimeWait != 120*time.Second {
		t.Errorf("default linux: %+v", h)
	}
}

func TestSettingsDefaults(t *testing.T) {
	s := Settings{}.withDefaults()
	if s.Preset != "linux" || s.AutoMinConnections != 10 || s.AutoShare != 0.95 || s.ExhaustionShare != 0.8 || s.SYNMin != 2 || s.DNSMinQueries != 10 {
		t.Errorf("%+v", s)
	}
	p := Settings{Preset: "linux", TimeWait: 30 * time.Second}.preset()
	if p.TimeWait != 30*time.Second || !strings.Contains(p.Source, "TIME_WAIT 30.000 s set by the user") {
		t.Errorf("%+v", p)
	}
}

// Copies of one SYN microseconds apart are a duplicate capture, not a
// retransmission; unanswered SYNs to many ports of one server are one
// flag that speaks of a scan.
func TestSYNUnansweredDuplicatesAndScans(t *testing.T) {
	var convs []conv.Conversation
	for i := range 12 {
		c := handshake(57865, uint16(80+i), 2*i+1, int64(i)*sec)
		c.SYNACK, c.SYNACKCount, c.Packets = conv.Segment{}, 0, [2]uint32{2, 0}
		c.SYNCount, c.LastFrame, c.LastTime = 2, int32(2*i+2), c.FirstTime+int64(time.Second)
		convs = append(convs, c)
	}
	dup := convs[0]
	dup.B = conv.Endpoint{Host: otherID, Port: 80}
	dup.LastTime = dup.FirstTime + 100e3 // 100 µs
	convs = append(convs, dup)
	out := judge(t, input(convs...), Settings{}, SYNUnanswered)
	if !slices.Equal(frames(out), []int{1}) {
		t.Fatalf("got %v", frames(out))
	}
	mustContain(t, out[0].Explanation, "11 other attempts", "12 ports", "port scan")
	if len(out[0].Related) != 12 {
		t.Errorf("related %v", out[0].Related)
	}
}
