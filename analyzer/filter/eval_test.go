package filter_test

import (
	"net/netip"
	"slices"
	"testing"

	"github.com/portlens/portlens/analyzer/decode"
	"github.com/portlens/portlens/analyzer/filter"
)

func mac(last byte) filter.MAC { return filter.MAC{0x02, 0x42, 0xc0, 0xa8, 0x01, last} }

var bcast = filter.MAC{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}

func ip(s string) netip.Addr { return netip.MustParseAddr(s) }

// sampleFrames builds frames by hand, one per situation the semantics
// have to handle; the comments say what each one is.
func sampleFrames() []*filter.Frame {
	var fs []*filter.Frame
	add := func(build func(f *filter.Frame)) {
		f := &filter.Frame{Number: int64(len(fs) + 1), Len: 60, CapLen: 60}
		build(f)
		fs = append(fs, f)
	}
	// 1: a TCP SYN over IPv4 over Ethernet.
	add(func(f *filter.Frame) {
		f.Len, f.CapLen = 74, 74
		f.AddEth(mac(1), mac(2))
		f.AddIP(ip("10.0.0.1"), ip("192.168.1.2"))
		f.AddTCP(filter.TCP{Src: 40000, Dst: 80, Stream: 0, Flags: decode.SYN, Seq: 1000})
		f.Data = []byte("\x02\x42\xc0\xa8\x01\x02 SYN")
	})
	// 2: a DNS query over UDP, half a second later.
	add(func(f *filter.Frame) {
		f.TimeRel = 500_000_000
		f.AddEth(mac(2), mac(1))
		f.AddIP(ip("192.168.1.2"), ip("8.8.8.8"))
		f.AddUDP(5353, 53)
		f.Data = []byte("query example.NET")
	})
	// 3: TCP in a GRE tunnel (two IPv4 headers), flagged by Wireshark and portlens.
	add(func(f *filter.Frame) {
		f.TimeRel = 1_250_000_000
		f.AddEth(mac(1), mac(2))
		f.AddIP(ip("10.255.0.1"), ip("10.255.0.2"))
		f.AddIP(ip("172.16.1.11"), ip("172.16.2.20"))
		f.AddTCP(filter.TCP{Src: 33000, Dst: 22, Stream: 1, Flags: decode.ACK | decode.PSH, Seq: 5, Ack: 7, Len: 100})
		f.Reused = true
		f.Findings = append(f.Findings, filter.Finding{Index: 0, Kind: "tcp.reused_ports", Class: "after-rst", Severity: "warning"})
		f.Data = []byte("GET / HTTP/1.1")
	})
	// 4: an ICMP error quoting a TCP SYN: the quote has no seq_raw or len.
	add(func(f *filter.Frame) {
		f.TimeRel = 2_000_000_000
		f.AddEth(mac(1), mac(23))
		f.AddIP(ip("192.168.1.1"), ip("192.168.1.23"))
		f.Protos |= filter.ProtoICMP
		f.AddIP(ip("192.168.1.23"), ip("203.0.113.10"))
		f.AddTCP(filter.TCP{Src: 47201, Dst: 8443, Stream: 3, Flags: decode.SYN, Absent: filter.AbsentSeq | filter.AbsentLen})
	})
	// 5: a TCP RST over IPv6 with two portlens findings.
	add(func(f *filter.Frame) {
		f.TimeRel = 2_000_000_001
		f.AddEth(mac(1), mac(2))
		f.AddIP(ip("2001:db8:1::23"), ip("2001:db8:2::10"))
		f.AddTCP(filter.TCP{Src: 46000, Dst: 443, Stream: 2, Flags: decode.RST | decode.ACK, Seq: 9, Ack: 10})
		f.Findings = append(f.Findings,
			filter.Finding{Index: 1, Kind: "tcp.port_reuse_soon", Class: "fast-reuse", Severity: "note"},
			filter.Finding{Index: 2, Kind: "tcp.reused_ports", Class: "after-fin", Severity: "warning"})
	})
	// 6: a broadcast without IP, stamped before the first frame.
	add(func(f *filter.Frame) {
		f.TimeRel = -1_000_000_000
		f.AddEth(mac(9), bcast)
	})
	// 7: SCTP, same port both ways; a TCP header that has no stream number.
	add(func(f *filter.Frame) {
		f.TimeRel = 3_000_000_000
		f.AddEth(mac(1), mac(2))
		f.AddIP(ip("192.168.1.2"), ip("203.0.113.10"))
		f.AddSCTP(5060, 5060)
	})
	// 8: TCP whose stream is unknown, same port both ways, and an ICMPv6 marker.
	add(func(f *filter.Frame) {
		f.AddIP(ip("2001:db8:1::23"), ip("2001:db8:1::23"))
		f.Protos |= filter.ProtoICMPv6
		f.AddTCP(filter.TCP{Src: 5060, Dst: 5060, Stream: -1, Flags: decode.FIN | decode.ACK})
	})
	return fs
}

var evalCases = []struct {
	filter string
	want   []int64
}{
	{"", []int64{1, 2, 3, 4, 5, 6, 7, 8}},
	{"frame", []int64{1, 2, 3, 4, 5, 6, 7, 8}},
	// Protocols.
	{"tcp", []int64{1, 3, 4, 5, 8}},
	{"udp", []int64{2}},
	{"sctp", []int64{7}},
	{"ip", []int64{1, 2, 3, 4, 7}},
	{"ipv6", []int64{5, 8}},
	{"icmp", []int64{4}},
	{"icmpv6", []int64{8}},
	{"eth", []int64{1, 2, 3, 4, 5, 6, 7}},
	{"!eth", []int64{8}},
	// Frame fields.
	{"frame.number == 3", []int64{3}},
	{"frame.number in {2..4, 7}", []int64{2, 3, 4, 7}},
	{"frame.len > 60", []int64{1}},
	{"frame.cap_len == 74", []int64{1}},
	{"frame.time_relative > 1.25", []int64{4, 5, 7}},
	{"frame.time_relative >= 1.25", []int64{3, 4, 5, 7}},
	{"frame.time_relative == 2.000000001", []int64{5}},
	{"frame.time_relative == 2.0000000019", []int64{5}}, // finer digits are dropped
	{"frame.time_relative < 0", []int64{6}},
	{"frame.time_relative == -1", []int64{6}},
	{"frame.time_relative in {0.4..0.6, 3}", []int64{2, 7}},
	// Multi-valued fields: == is "any value", != is "every value".
	{"ip.addr == 10.255.0.2", []int64{3}},
	{"ip.addr == 172.16.2.20", []int64{3}},
	{"ip.addr == 192.168.1.23", []int64{4}},
	{"ip.addr == 203.0.113.10", []int64{4, 7}},
	{"ip.addr != 192.168.1.2", []int64{3, 4}},
	{"!(ip.addr == 192.168.1.2)", []int64{3, 4, 5, 6, 8}},
	{"ip.addr !== 192.168.1.2", []int64{1, 2, 3, 4, 7}},
	{"ip.addr ~= 192.168.1.2", []int64{1, 2, 3, 4, 7}},
	{"ip.addr === 192.168.1.2", nil},
	{"ip.src === 192.168.1.2", []int64{2, 7}},
	{"ip.src == 192.168.1.23", []int64{4}},
	{"ip.dst == 192.168.1.23", []int64{4}},
	{"ip.src == 172.16.1.11", []int64{3}},
	{"ip.dst == 10.255.0.1", nil},
	{"tcp.port == 80", []int64{1}},
	{"tcp.port == 40000", []int64{1}},
	{"tcp.srcport == 80", nil},
	{"tcp.dstport == 80", []int64{1}},
	{"tcp.port != 80", []int64{3, 4, 5, 8}},
	{"!(tcp.port == 80)", []int64{2, 3, 4, 5, 6, 7, 8}},
	{"tcp.port === 5060", []int64{8}},
	{"tcp.port !== 5060", []int64{1, 3, 4, 5}},
	{"tcp.port > 40000", []int64{4, 5}},
	{"tcp.port >= 40000", []int64{1, 4, 5}},
	{"tcp.port < 80", []int64{3}},
	{"tcp.port <= 80", []int64{1, 3}},
	{"udp.port == 53", []int64{2}},
	{"udp.srcport == 5353 && udp.dstport == 53", []int64{2}},
	{"sctp.port == 5060", []int64{7}},
	{"sctp.srcport == 5060 and sctp.dstport == 5060", []int64{7}},
	// Absent fields make comparisons false, whatever the operator.
	{"udp.port != 53", nil},
	{"udp.port !== 53", []int64{2}},
	{"sctp.port !== 5060", nil},
	{"udp.port < 1", nil},
	{"tcp.stream == 0", []int64{1}},
	{"tcp.stream", []int64{1, 3, 4, 5}},
	{"tcp.stream != 1", []int64{1, 4, 5}},
	{"tcp.seq_raw", []int64{1, 3, 5, 8}},
	{"tcp.seq_raw == 0", []int64{8}},
	{"tcp.ack_raw == 0", []int64{1, 4, 8}},
	{"tcp.len", []int64{1, 3, 5, 8}},
	{"tcp.len > 0", []int64{3}},
	// Negative numbers never compare with an unsigned field.
	{"tcp.port == -1", nil},
	{"tcp.port < -1", nil},
	{"tcp.port > -1", nil},
	{"tcp.port !== -1", nil},
	{"tcp.port != -1", []int64{1, 3, 4, 5, 8}},
	{"tcp.port in {-1..50000}", nil},
	{"tcp.port not in {-1}", []int64{1, 3, 4, 5, 8}},
	// Booleans: a bare flag tests presence.
	{"tcp.flags.syn", []int64{1, 3, 4, 5, 8}},
	{"tcp.flags.syn == 1", []int64{1, 4}},
	{"tcp.flags.syn == True", []int64{1, 4}},
	{"tcp.flags.syn == 0", []int64{3, 5, 8}},
	{"tcp.flags.syn != 1", []int64{3, 5, 8}},
	{"tcp.flags.syn > 0", []int64{1, 4}},
	{"tcp.flags.reset == 1", []int64{5}},
	{"tcp.flags.ack && tcp.flags.ack == 0", []int64{1, 4}},
	{"tcp.flags.fin == 1", []int64{8}},
	{"tcp.flags.push == 1", []int64{3}},
	{"tcp.flags == 0x014", []int64{5}},
	{"!tcp.flags.reset", []int64{2, 6, 7}},
	{"tcp && !(tcp.flags.reset == 1)", []int64{1, 3, 4, 8}},
	// Sets, ranges, not in.
	{"tcp.port in {22, 443}", []int64{3, 5}},
	{"tcp.port in {80, 443, 8000..8080}", []int64{1, 5}},
	{"tcp.port in {8000..9000}", []int64{4}},
	{"tcp.port in {9000..8000}", nil},
	{"tcp.port not in {5060}", []int64{1, 3, 4, 5}},
	{"tcp.port not in {80, 22}", []int64{4, 5, 8}},
	{"udp.port not in {1}", []int64{2}},
	// CIDR prefixes and address ranges.
	{"ip.addr == 10.0.0.0/8", []int64{1, 3}},
	{"ip.addr == 10.1.2.3/8", []int64{1, 3}},
	{"ip.src == 172.16.0.0/12", []int64{3}},
	{"ip.addr != 192.168.0.0/16", []int64{3}},
	{"ip.addr == 0.0.0.0/0", []int64{1, 2, 3, 4, 7}},
	{"ip.addr in {8.8.8.8, 172.16.0.0/16}", []int64{2, 3}},
	{"ip.addr in {192.168.1.0..192.168.1.2}", []int64{1, 2, 4, 7}},
	{"ip.addr > 200.0.0.0", []int64{4, 7}},
	{"ipv6.addr == 2001:db8:2::10", []int64{5}},
	{"ipv6.addr == 2001:db8::/32", []int64{5, 8}},
	{"ipv6.src == 2001:db8:2::/48", nil},
	{"ipv6.dst == 2001:db8:2::/48", []int64{5}},
	{"ipv6.addr != 2001:db8:1::23", nil},
	{"ipv6.addr !== 2001:db8:1::23", []int64{5}},
	{"ipv6.addr in {2001:db8:1::1..2001:db8:1::ff}", []int64{5, 8}},
	{"ipv6.addr > 2001:db8:1::ff", []int64{5}},
	// Ethernet.
	{"eth.addr == 02:42:c0:a8:01:17", []int64{4}},
	{"eth.src == 02:42:c0:a8:01:02", []int64{2}},
	{"eth.dst == ff:ff:ff:ff:ff:ff", []int64{6}},
	{"eth.addr != 02:42:c0:a8:01:01", []int64{6}},
	{"eth.addr contains ff:ff", []int64{6}},
	{"eth.addr contains 01:17", []int64{4}},
	{"eth.addr in {02:42:c0:a8:01:05..02:42:c0:a8:01:10}", []int64{6}},
	{"eth.addr > 02:42:c0:a8:01:09", []int64{4, 6}},
	// Bytes of the frame.
	{`frame contains "GET"`, []int64{3}},
	{"frame contains 47:45:54", []int64{3}},
	{"frame contains c0:a8:01", []int64{1}},
	{`frame contains "example.net"`, nil},
	{`frame matches "example\\.net"`, []int64{2}},
	{`frame matches "(?-i)example\\.net"`, nil},
	{`frame matches "^get /"`, []int64{3}},
	{`frame == "GET / HTTP/1.1"`, []int64{3}},
	{`frame != "GET / HTTP/1.1"`, []int64{1, 2, 4, 5, 6, 7, 8}},
	// portlens's own fields.
	{"tcp.analysis.reused_ports", []int64{3}},
	{"!tcp.analysis.reused_ports && tcp", []int64{1, 4, 5, 8}},
	{"portlens.flagged", []int64{3, 5}},
	{`portlens.kind == "tcp.reused_ports"`, []int64{3, 5}},
	{`portlens.kind != "tcp.reused_ports"`, nil},
	{`portlens.kind !== "tcp.reused_ports"`, []int64{5}},
	{`portlens.kind contains "soon"`, []int64{5}},
	{`portlens.kind matches "REUSE"`, []int64{3, 5}},
	{`portlens.class == after-rst`, []int64{3}},
	{`portlens.class in {"after-fin", "fast-reuse"}`, []int64{5}},
	{`portlens.severity == "note"`, []int64{5}},
	{`portlens.severity > "note"`, []int64{3, 5}},
	{"portlens.finding == 2", []int64{5}},
	{"portlens.finding >= 0", []int64{3, 5}},
	// Two fields compared: every pair of values.
	{"tcp.srcport == tcp.dstport", []int64{8}},
	{"tcp.srcport > tcp.dstport", []int64{1, 3, 4, 5}},
	{"ip.src == ip.dst", []int64{4}}, // the quoted source is the outer destination
	{"ip.addr == ip.src", []int64{1, 2, 3, 4, 7}},
	{"ip.addr != ip.src", nil},
	{"ipv6.src == ipv6.dst", []int64{8}},
	{"portlens.kind == portlens.kind", []int64{3, 5}},
	// Precedence and logic.
	{"frame.number == 1 or frame.number == 2 and frame.number == 3", []int64{1}},
	{"(frame.number == 1 or frame.number == 2) and frame.number == 3", nil},
	{"not frame.number == 1 and frame.number == 2", []int64{2}},
	{"not (frame.number == 1 and frame.number == 2)", []int64{1, 2, 3, 4, 5, 6, 7, 8}},
	{"frame.number == 2 or frame.number == 2 xor frame.number == 2", []int64{2}},
	{"frame.number == 5 and frame.number <= 3 xor frame.number >= 2", []int64{2, 3, 4, 5, 6, 7, 8}},
	{"frame.number <= 3 ^^ frame.number >= 2", []int64{1, 4, 5, 6, 7, 8}},
	{"!!udp", []int64{2}},
	{"tcp.port == 80 || udp.port == 53 || sctp", []int64{1, 2, 7}},
	// A bare flag tests presence, so !tcp.flags.reset excludes every TCP frame.
	{"ip.addr == 10.0.0.0/8 && tcp.port in {80, 443} && !tcp.flags.reset", nil},
	{"ip.addr == 10.0.0.0/8 && tcp.port in {80, 443} && tcp.flags.reset == 0", []int64{1}},
	{"80 == tcp.port", []int64{1}},
	{"40000 < tcp.port", []int64{4, 5}},
}

func TestMatch(t *testing.T) {
	frames := sampleFrames()
	for _, tc := range evalCases {
		f, err := filter.Compile(tc.filter)
		if err != nil {
			t.Errorf("Compile(%q): %v", tc.filter, err)
			continue
		}
		var got []int64
		for _, fr := range frames {
			if f.Match(fr) {
				got = append(got, fr.Number)
			}
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%q matched %v, want %v", tc.filter, got, tc.want)
		}
		// The canonical form selects the same frames.
		canon, err := filter.Compile(f.String())
		if err != nil {
			t.Errorf("canonical %q: %v", f.String(), err)
			continue
		}
		for _, fr := range frames {
			if canon.Match(fr) != f.Match(fr) {
				t.Errorf("canonical %q of %q differs on frame %d", f.String(), tc.filter, fr.Number)
			}
		}
	}
}

func TestNeeds(t *testing.T) {
	cases := []struct {
		filter string
		want   filter.Need
	}{
		{"", 0},
		{"frame", 0},
		{"tcp", filter.NeedProtos},
		{"frame.number == 1", filter.NeedNumber},
		{"eth.addr == ff:ff:ff:ff:ff:ff", filter.NeedEth},
		{"ip.addr == 10.0.0.1 || ipv6", filter.NeedIP | filter.NeedProtos},
		{"tcp.port == 80", filter.NeedPorts},
		{"tcp.flags.syn", filter.NeedTCPFlags},
		{"tcp.seq_raw == 1", filter.NeedTCPSeq},
		{"tcp.stream == 1", filter.NeedStream},
		{"tcp.analysis.reused_ports", filter.NeedReused},
		{"portlens.kind == x || portlens.flagged", filter.NeedFindings},
		{`frame contains "x"`, filter.NeedData},
		{`frame matches "x" && tcp.srcport == tcp.dstport`, filter.NeedData | filter.NeedPorts},
		{"!(udp.port in {53}) ^^ frame.time_relative > 1", filter.NeedPorts | filter.NeedFrame},
	}
	for _, tc := range cases {
		f, err := filter.Compile(tc.filter)
		if err != nil {
			t.Fatalf("Compile(%q): %v", tc.filter, err)
		}
		if got := f.Needs(); got != tc.want {
			t.Errorf("%q needs %b, want %b", tc.filter, got, tc.want)
		}
	}
}

func TestReset(t *testing.T) {
	var f filter.Frame
	f.AddEth(mac(1), mac(2))
	f.AddIP(ip("10.0.0.1"), ip("10.0.0.2"))
	f.AddTCP(filter.TCP{Src: 1, Dst: 2})
	f.Findings = append(f.Findings, filter.Finding{Kind: "k"})
	f.Reused, f.Number = true, 7
	eth := &f.Eth[0]
	f.Reset()
	if f.Protos != 0 || len(f.Eth)+len(f.IPv4)+len(f.TCP)+len(f.Findings) != 0 || f.Reused || f.Number != 0 {
		t.Fatalf("Reset left %+v", f)
	}
	f.AddEth(mac(3), mac(4))
	if &f.Eth[0] != eth {
		t.Error("Reset did not keep the slices' memory")
	}
}

// A caller's bad address (zero, or of the wrong family) neither panics
// nor matches a real address.
func TestBadAddresses(t *testing.T) {
	var f filter.Frame
	f.AddIP(netip.Addr{}, netip.Addr{})
	f.IPv4 = append(f.IPv4, filter.AddrPair{Src: ip("2001:db8::1"), Dst: ip("::ffff:10.0.0.1")})
	if len(f.IPv4) != 2 || len(f.IPv6) != 0 {
		t.Fatalf("AddIP of zero addresses: %d IPv4 and %d IPv6 headers", len(f.IPv4), len(f.IPv6))
	}
	for filterText, want := range map[string]bool{
		"ip.addr == 0.0.0.0": false, "ip.addr == 10.0.0.1": true, "ip.addr != 1.2.3.4": true, "ip": true,
	} {
		flt, err := filter.Compile(filterText)
		if err != nil {
			t.Fatal(err)
		}
		if got := flt.Match(&f); got != want {
			t.Errorf("%q = %v, want %v", filterText, got, want)
		}
	}
}
