package decode

import (
	"bytes"
	"flag"
	"io"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/portlens/portlens/analyzer/capture"
	"github.com/portlens/portlens/testdata/benchgen/benchcap"
)

// The fast path must give exactly the parser's Packet. These tests run
// both on the same frames: Decode (fast path first) on one Decoder, the
// parser alone on another, so that IP fragment state evolves the same way.

type pathPair struct {
	fast, slow *Decoder
	// pf is reused from frame to frame, as the analysis reuses its
	// Packet, so a field the fast path forgets to write shows up stale.
	pf     Packet
	frames int // frames compared
	taken  int // frames the fast path decoded itself
}

func newPathPair() *pathPair {
	return &pathPair{fast: NewDecoder(), slow: NewDecoder(), pf: dirtyPacket()}
}

// dirtyPacket has every field set to something no frame decodes to.
func dirtyPacket() Packet {
	a := netip.MustParseAddr("198.51.100.99")
	return Packet{IPVersion: 9, Src: a, Dst: a, OuterSrc: a, OuterDst: a, TTL: 1, IPID: 1 << 20,
		Transport: OtherIP, SrcPort: 1, DstPort: 1, Flags: 0xfff, Seq: 1, Ack: 1, Window: 1,
		Options: TCPOptions{MSS: 1, HasMSS: true, WScale: 1, HasWScale: true, SACKPerm: true,
			HasTS: true, TSVal: 1, TSEcr: 1, MPTCP: true, OptionsLen: 1},
		PayloadLen: -1, TCPHeader: 9, SCTPChunk: 1, SCTPVerTag: 1, SCTPInitiateTag: 1, ICMPType: 1, ICMPCode: 1,
		InICMPError: true, Sampled: true, Tunnelled: true, Fragment: true, Reassembled: true, VLAN: -2}
}

func (pp *pathPair) compare(t testing.TB, what string, link capture.LinkType, data []byte) {
	t.Helper()
	scratch := dirtyPacket()
	if decodeFast(link, data, &scratch) {
		pp.taken++
	}
	var ps Packet
	errF := pp.fast.Decode(link, data, &pp.pf)
	errS := pp.slow.decodeParser(link, data, &ps)
	pf := pp.pf
	pp.frames++
	if (errF == nil) != (errS == nil) {
		t.Fatalf("%s: errors differ: fast path %v, parser %v", what, errF, errS)
	}
	if pf != ps {
		t.Fatalf("%s (link %v, % x):\nfast path %+v\nparser    %+v", what, link, data, pf, ps)
	}
}

// captureFiles lists the files under dir that open as captures.
func captureFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(path string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		if _, err := capture.NewReader(f); err == nil {
			out = append(out, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// compareFile runs both paths over every frame of a capture; with prefixes
// also over every truncation of every frame, the cheap way to reach the
// length checks of each header.
func compareFile(t *testing.T, pp *pathPair, path string, prefixes bool) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := capture.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	cut := newPathPair()
	for n := 1; ; n++ {
		p, err := r.Next()
		if err != nil {
			break // end of file or damage: the frames so far were compared
		}
		what := path + " frame " + itoa(n)
		pp.compare(t, what, p.Link, p.Data)
		if prefixes {
			for i := range p.Data {
				cut.compare(t, what+" cut to "+itoa(i), p.Link, p.Data[:i])
			}
		}
	}
	pp.frames += cut.frames
	pp.taken += cut.taken
}

func itoa(n int) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		if n /= 10; n == 0 {
			return string(b[i:])
		}
	}
}

// corpusDir is the public corpus, truth.jsonl and the captures it lists:
// ../shared/corpus/public beside the repository, where CI has it.
var corpusDir = flag.String("corpus", corpusDefault("../../../shared/corpus/public"),
	"the public corpus (truth.jsonl and the captures it lists); or set PORTLENS_CORPUS")

// corpusDefault is $PORTLENS_CORPUS when set (an absolute path: tests run
// in their package's directory), else rel.
func corpusDefault(rel string) string {
	if dir := os.Getenv("PORTLENS_CORPUS"); dir != "" {
		return dir
	}
	return rel
}

// needCorpus returns the corpus directory, failing the test when it is
// missing: a corpus test that skipped without it would pass having
// checked nothing. -short leaves the corpus out on purpose.
func needCorpus(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("-short leaves the public corpus out")
	}
	if _, err := os.Stat(filepath.Join(*corpusDir, "truth.jsonl")); err != nil {
		t.Fatalf("no public corpus: %v\nCI has it at ../shared/corpus/public beside the repository; "+
			"point at it with -corpus=DIR or PORTLENS_CORPUS=/absolute/DIR (or run with -short to leave it out)", err)
	}
	return *corpusDir
}

func TestFastPathEqualsParser(t *testing.T) {
	dirs := []struct {
		name     string
		dir      func(*testing.T) string
		prefixes bool
	}{
		{"captures", func(*testing.T) string { return "../../testdata/captures" }, true},
		{"rules", func(*testing.T) string { return "../../testdata/rules" }, true},
		{"public", needCorpus, false},
	}
	for _, d := range dirs {
		t.Run(d.name, func(t *testing.T) {
			dir := d.dir(t)
			files := captureFiles(t, dir)
			if len(files) == 0 {
				t.Fatalf("no captures in %s", dir)
			}
			pp := &pathPair{}
			for _, path := range files {
				// A Decoder per file, as the analysis has.
				one := newPathPair()
				compareFile(t, one, path, d.prefixes)
				pp.frames += one.frames
				pp.taken += one.taken
			}
			t.Logf("%s: %d files, %d frames compared (truncations included: %v), %d by the fast path",
				dir, len(files), pp.frames, d.prefixes, pp.taken)
		})
	}
}

// The benchmark capture is what the fast path is for: nearly all of it
// must take it, and agree.
func TestFastPathBenchCapture(t *testing.T) {
	r, err := capture.NewReader(bytes.NewReader(benchcap.Bytes(20_000)))
	if err != nil {
		t.Fatal(err)
	}
	pp := newPathPair()
	for {
		p, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		pp.compare(t, "bench frame", p.Link, p.Data)
	}
	if pp.taken < pp.frames*99/100 {
		t.Errorf("fast path took %d of %d frames", pp.taken, pp.frames)
	}
}

// fuzzLinks are the link types the fuzz target feeds frames to: all the
// fast path knows, and one it does not.
var fuzzLinks = []capture.LinkType{
	capture.LinkEthernet, capture.LinkLinuxSLL, capture.LinkLinuxSLL2,
	capture.LinkNull, capture.LinkLoop, capture.LinkIPv4, capture.LinkIPv6,
	capture.LinkRaw, capture.LinkRaw12, capture.LinkRaw14, capture.LinkPPP,
}

func FuzzFastPathEqualsParser(f *testing.F) {
	add := func(link capture.LinkType, frame []byte) {
		for i, l := range fuzzLinks {
			if l == link {
				f.Add(uint8(i), frame)
			}
		}
	}
	// Seeds: the shapes the fast path takes, and their near misses.
	inner := ipv4(clientIP, serverIP, layers.IPProtocolTCP)
	tcp := syn(inner)
	tcp.Options = append(tcp.Options, layers.TCPOption{OptionType: layers.TCPOptionKindTimestamps, OptionLength: 10, OptionData: make([]byte, 8)})
	ip4TCP := serializeF(f, inner, tcp, gopacket.Payload("hello"))
	opts := &layers.IPv4{Version: 4, IHL: 6, TTL: 64, Protocol: layers.IPProtocolTCP, SrcIP: clientIP, DstIP: serverIP,
		Options: []layers.IPv4Option{{OptionType: 1}, {OptionType: 1}, {OptionType: 1}, {OptionType: 0}}}
	ip4Opts := serializeF(f, opts, syn(opts))
	u := ipv4(clientIP, serverIP, layers.IPProtocolUDP)
	ip4UDP := serializeF(f, u, udp(u, 53), gopacket.Payload("query"))
	ip4VXLAN := serializeF(f, u, udp(u, 4789), &layers.VXLAN{ValidIDFlag: true, VNI: 5}, eth(layers.EthernetTypeIPv4), inner, syn(inner))
	v6 := &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: layers.IPProtocolTCP,
		SrcIP: []byte{0x20, 1, 0xd, 0xb8, 15: 1}, DstIP: []byte{0x20, 1, 0xd, 0xb8, 15: 2}}
	t6 := &layers.TCP{SrcPort: 40000, DstPort: 80, Seq: 7, ACK: true, Window: 512, DataOffset: 5}
	t6.SetNetworkLayerForChecksum(v6)
	ip6TCP := serializeF(f, v6, t6, gopacket.Payload("x"))
	// Shapes of the long tail: a source route, an option shorter than its
	// fields, TCP headers of 16 bytes and with a bad data offset.
	ip4Route := withOptions(ip4TCP, []byte{1, 0x83, 7, 4, 203, 0, 113, 10})
	ip4Alert := withOptions(ip4TCP, []byte{0x94, 2, 0, 0})
	ip4Short := bytes.Clone(ip4TCP[:36])
	ip4Short[3] = 36
	ip4Bogus := bytes.Clone(ip4TCP)
	ip4Bogus[32] = 0x30
	for _, ip := range [][]byte{ip4TCP, ip4Opts, ip4UDP, ip4VXLAN, ip6TCP, ip4Route, ip4Alert, ip4Short, ip4Bogus} {
		add(capture.LinkRaw, ip)
		add(capture.LinkEthernet, append(ethHeader(ip), ip...))
		add(capture.LinkEthernet, append(vlanHeader(ip, 2), ip...))
		add(capture.LinkEthernet, append(vlanHeader(ip, 3), ip...))
		add(capture.LinkLinuxSLL, append(sllHeader(), ip...))
		add(capture.LinkLinuxSLL2, append(sll2Header(ip), ip...))
		add(capture.LinkNull, append([]byte{2, 0, 0, 0}, ip...))
		add(capture.LinkLoop, append([]byte{0, 0, 0, 30}, ip...))
	}
	add(capture.LinkIPv4, ip4TCP)
	add(capture.LinkIPv6, ip6TCP)
	f.Fuzz(func(t *testing.T, li uint8, frame []byte) {
		link := fuzzLinks[int(li)%len(fuzzLinks)]
		newPathPair().compare(t, "fuzz frame", link, frame)
	})
}

func serializeF(f *testing.F, ls ...gopacket.SerializableLayer) []byte {
	buf := gopacket.NewSerializeBuffer()
	opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
	if err := gopacket.SerializeLayers(buf, opts, ls...); err != nil {
		f.Fatal(err)
	}
	return bytes.Clone(buf.Bytes())
}

func ethHeader(ip []byte) []byte {
	h := []byte{0, 1, 2, 3, 4, 6, 0, 1, 2, 3, 4, 5, 0x08, 0x00}
	if ip[0]>>4 == 6 {
		h[12], h[13] = 0x86, 0xdd
	}
	return h
}

// vlanHeader is an Ethernet header with n tags (802.1ad outermost).
func vlanHeader(ip []byte, n int) []byte {
	h := []byte{0, 1, 2, 3, 4, 6, 0, 1, 2, 3, 4, 5, 0x88, 0xa8}
	for i := range n {
		typ := []byte{0x81, 0x00}
		if i == n-1 {
			typ = ethHeader(ip)[12:]
		}
		h = append(h, 0x20, byte(10+i))
		h = append(h, typ...)
	}
	return h
}

func sll2Header(ip []byte) []byte {
	h := make([]byte, 20)
	h[0] = 0x08
	if ip[0]>>4 == 6 {
		h[0], h[1] = 0x86, 0xdd
	}
	return h
}

// Edge cases, each with whether the fast path should take it; the Packet
// must match the parser's either way.
func TestFastPathEdgeCases(t *testing.T) {
	inner := ipv4(clientIP, serverIP, layers.IPProtocolTCP)
	tcp := serializeT(t, inner, syn(inner), gopacket.Payload("data"))
	mod := func(b []byte, f func([]byte)) []byte { b = bytes.Clone(b); f(b); return b }
	u := ipv4(clientIP, serverIP, layers.IPProtocolUDP)
	cases := []struct {
		name  string
		link  capture.LinkType
		frame []byte
		fast  bool
	}{
		{"TCP", capture.LinkRaw, tcp, true},
		{"TSO length 0", capture.LinkRaw, mod(tcp, func(b []byte) { b[2], b[3] = 0, 0 }), true},
		{"IP length short of the header", capture.LinkRaw, mod(tcp, func(b []byte) { b[2], b[3] = 0, 19 }), false},
		{"IP length past the capture", capture.LinkRaw, mod(tcp, func(b []byte) { b[2], b[3] = 0x10, 0 }), true},
		{"IHL 4", capture.LinkRaw, mod(tcp, func(b []byte) { b[0] = 0x44 }), false},
		// Options Wireshark walks past (ipopts.go): the TCP counts.
		{"IHL 6, option length 1", capture.LinkRaw, mod(tcp, func(b []byte) { b[0] = 0x46; b[20], b[21] = 7, 1 }), true},
		{"IHL 6, option runs past", capture.LinkRaw, mod(tcp, func(b []byte) { b[0] = 0x46; b[20], b[21] = 7, 5 }), true},
		// An option shorter than its fields ends the frame in the IP header.
		{"IHL 6, router alert of 2 bytes", capture.LinkRaw, mod(tcp, func(b []byte) { b[0] = 0x46; copy(b[20:], []byte{0x94, 2, 0, 0}) }), false},
		{"IHL 7, loose source route", capture.LinkRaw, mod(append(tcp[:20:20], append([]byte{1, 0x83, 7, 4, 192, 0, 2, 9}, tcp[20:]...)...), func(b []byte) { b[0] = 0x47; b[3] += 8 }), true},
		{"IHL 6, NOPs", capture.LinkRaw, mod(tcp, func(b []byte) { b[0] = 0x46; copy(b[20:], []byte{1, 1, 1, 0}) }), true},
		{"more fragments", capture.LinkRaw, mod(tcp, func(b []byte) { b[6] = 0x20 }), false},
		{"fragment offset", capture.LinkRaw, mod(tcp, func(b []byte) { b[7] = 1 }), false},
		{"DF", capture.LinkRaw, mod(tcp, func(b []byte) { b[6] = 0x40 }), true},
		{"version 5", capture.LinkRaw, mod(tcp, func(b []byte) { b[0] = 0x55 }), false},
		{"TCP header length 0", capture.LinkRaw, mod(tcp, func(b []byte) { b[32] = 0x00 }), true},
		{"TCP header length 60", capture.LinkRaw, mod(tcp, func(b []byte) { b[32] = 0xf0 }), true},
		{"TCP header of 16 bytes", capture.LinkRaw, mod(tcp[:36], func(b []byte) { b[3] = 36 }), false},
		{"TCP AE bit", capture.LinkRaw, mod(tcp, func(b []byte) { b[32] |= 1 }), true},
		{"ICMP", capture.LinkRaw, mod(tcp, func(b []byte) { b[9] = 1 }), false},
		{"UDP", capture.LinkRaw, serializeT(t, u, udp(u, 53), gopacket.Payload("q")), true},
		{"UDP length 0", capture.LinkRaw, mod(serializeT(t, u, udp(u, 53), gopacket.Payload("q")), func(b []byte) { b[24], b[25] = 0, 0 }), false},
		{"UDP length 7", capture.LinkRaw, mod(serializeT(t, u, udp(u, 53), gopacket.Payload("q")), func(b []byte) { b[24], b[25] = 0, 7 }), false},
		{"UDP to VXLAN", capture.LinkRaw, serializeT(t, u, udp(u, 4789), gopacket.Payload("01234567")), false},
		{"Ethernet", capture.LinkEthernet, append(ethHeader(tcp), tcp...), true},
		{"two VLAN tags", capture.LinkEthernet, append(vlanHeader(tcp, 2), tcp...), true},
		{"three VLAN tags", capture.LinkEthernet, append(vlanHeader(tcp, 3), tcp...), false},
		{"802.3 length", capture.LinkEthernet, append(mod(ethHeader(tcp), func(b []byte) { b[12], b[13] = 0, 100 }), tcp...), false},
		{"null, family 99", capture.LinkNull, append([]byte{99, 0, 0, 0}, tcp...), false},
		{"IPv6 link, IPv4 inside", capture.LinkIPv6, tcp, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			scratch := dirtyPacket()
			if got := decodeFast(c.link, c.frame, &scratch); got != c.fast {
				t.Errorf("fast path took it: %v, want %v", got, c.fast)
			}
			newPathPair().compare(t, c.name, c.link, c.frame)
		})
	}
}

func serializeT(t *testing.T, ls ...gopacket.SerializableLayer) []byte {
	return bytes.Clone(serialize(t, ls...))
}
