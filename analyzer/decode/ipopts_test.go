package decode

import (
	"net/netip"
	"testing"

	"github.com/gopacket/gopacket/layers"
	"github.com/portlens/portlens/analyzer/capture"
)

// Option bytes and what Wireshark 4.4 makes of them: the final destination
// of a source route ("" for none), and whether the frame's dissection goes
// on past the IP header. Checked against the oracle with
// testdata/captures/ipv4-lsrr.pcap, ipv4-ssrr.pcap and ipv4-bad-options.pcap.
var ipv4OptionCases = []struct {
	name  string
	opts  []byte
	route string
	ok    bool
}{
	{"NOPs and end", []byte{1, 1, 1, 0}, "", true},
	{"record route of length 0: the walk stops", []byte{0x07, 0, 0x94, 2}, "", true},
	{"length 1", []byte{0x99, 1, 0x94, 2}, "", true},
	{"runs past the header", []byte{0x07, 40, 4, 0}, "", true},
	{"no length byte", []byte{1, 1, 1, 0x44}, "", true},
	{"after the end, anything", []byte{0, 0x94, 2, 0}, "", true},
	{"router alert of 2 bytes", []byte{0x94, 2, 0, 0}, "", false},
	{"router alert of 4 bytes", []byte{0x94, 4, 0, 0}, "", true},
	{"stream id of 3 bytes", []byte{0x88, 3, 0, 0}, "", false},
	{"MTU probe of 2 bytes", []byte{0x0b, 2, 0, 0}, "", false},
	{"MTU reply of 4 bytes", []byte{0x0c, 4, 5, 220}, "", true},
	{"timestamp without flags", []byte{0x44, 3, 5, 0}, "", false},
	{"timestamp of 4 bytes", []byte{0x44, 4, 5, 0}, "", true},
	{"traceroute of 8 bytes", []byte{0x52, 8, 0, 1, 0, 2, 0, 0}, "", false},
	{"traceroute of 12 bytes", []byte{0x52, 12, 0, 1, 0, 2, 0, 0, 192, 0, 2, 1}, "", true},
	{"quick-start request without nonce", []byte{0x19, 4, 0x05, 30}, "", false},
	{"quick-start of another function", []byte{0x19, 3, 0x35, 0}, "", true},
	{"quick-start of 2 bytes", []byte{0x19, 2, 0, 0}, "", false},
	{"security of 2 bytes", []byte{0x82, 2, 0, 0}, "", false},
	{"security of 3 bytes", []byte{0x82, 3, 0xab, 0}, "", true},
	{"extended security of 2 bytes", []byte{0x85, 2, 0, 0}, "", false},
	{"selective directed broadcast of 2 bytes", []byte{0x95, 2, 0, 0}, "", true},
	{"unknown type, any length", []byte{0x9e, 3, 0, 0}, "", true},
	{"CIPSO without its domain", []byte{0x86, 5, 0, 0, 0, 0, 0, 0}, "", false},
	{"CIPSO, free-form tag", []byte{0x86, 10, 0, 0, 0, 1, 7, 4, 0, 0}, "", true},
	{"CIPSO, bitmap tag one byte past", []byte{0x86, 10, 0, 0, 0, 1, 1, 5, 0, 0, 0, 0}, "", false},
	{"CIPSO, tag longer than allowed", []byte{0x86, 10, 0, 0, 0, 1, 1, 9, 0, 0, 0, 0}, "", true},
	{"CIPSO, enumerated tag", []byte{0x86, 12, 0, 0, 0, 1, 2, 6, 0, 3, 0, 9}, "", true},
	{"CIPSO, padding then unknown tag", []byte{0x86, 9, 0, 0, 0, 1, 0, 0x40, 2, 0, 0, 0}, "", true},
	{"loose source route, pointer on the first hop", []byte{1, 0x83, 11, 4, 198, 51, 100, 2, 203, 0, 113, 10}, "203.0.113.10", true},
	{"strict source route, pointer on the last hop", []byte{1, 0x89, 11, 8, 198, 51, 100, 1, 203, 0, 113, 10}, "203.0.113.10", true},
	{"route passed its end", []byte{1, 0x83, 11, 12, 198, 51, 100, 1, 203, 0, 113, 10}, "", true},
	{"pointer inside an address", []byte{1, 0x83, 11, 5, 198, 51, 100, 1, 203, 0, 113, 10}, "", true},
	{"pointer before the addresses", []byte{1, 0x83, 7, 3, 203, 0, 113, 10}, "", true},
	{"route of 2 bytes", []byte{0x83, 2, 4, 0}, "", false},
	{"route after a record route", []byte{0x07, 3, 4, 0x83, 7, 4, 203, 0, 113, 10, 0, 0}, "203.0.113.10", true},
	{"route after a bad length", []byte{0x99, 0, 0x83, 7, 4, 203, 0, 113, 10, 0}, "", true},
	{"the first route decides", []byte{0x83, 7, 8, 192, 0, 2, 1, 0x89, 7, 4, 203, 0, 113, 10, 0, 0}, "", true},
}

func TestIPv4Options(t *testing.T) {
	for _, c := range ipv4OptionCases {
		t.Run(c.name, func(t *testing.T) {
			dst, routed, ok := ipv4Options(c.opts)
			got := ""
			if routed {
				got = netip.AddrFrom4(dst).String()
			}
			if got != c.route || ok != c.ok {
				t.Errorf("route %q ok %v, want %q %v", got, ok, c.route, c.ok)
			}
		})
	}
}

// withOptions puts IPv4 options (a multiple of 4 bytes) into a packet.
func withOptions(ip, opts []byte) []byte {
	out := append(append(append([]byte(nil), ip[:20]...), opts...), ip[20:]...)
	out[0] = 0x40 | byte(5+len(opts)/4)
	out[3] += byte(len(opts))
	return out
}

// Through the decoder (both paths): the route's destination is the
// packet's, and an option that stops Wireshark leaves an IP packet
// without its TCP.
func TestDecodeIPv4Options(t *testing.T) {
	inner := ipv4(clientIP, serverIP, layers.IPProtocolTCP)
	plain := serialize(t, inner, syn(inner))
	for _, c := range []struct {
		name      string
		opts      []byte
		dst       string
		transport Transport
	}{
		{"loose source route", []byte{1, 0x83, 7, 4, 203, 0, 113, 10}, "203.0.113.10", TCP},
		{"length 0", []byte{0x07, 0, 0, 0}, "10.0.0.2", TCP},
		{"router alert of 2 bytes", []byte{0x94, 2, 0, 0}, "10.0.0.2", OtherIP},
		{"a route, then a stream id of 2 bytes", []byte{1, 0x83, 7, 4, 203, 0, 113, 10, 0x88, 2, 0, 0}, "203.0.113.10", OtherIP},
	} {
		t.Run(c.name, func(t *testing.T) {
			frame := withOptions(plain, c.opts)
			var p Packet
			if err := NewDecoder().Decode(capture.LinkRaw, frame, &p); err != nil {
				t.Fatal(err)
			}
			if p.Dst.String() != c.dst || p.Transport != c.transport || p.Src.String() != "10.0.0.1" {
				t.Errorf("%v -> %v %v, want 10.0.0.1 -> %s %v", p.Src, p.Dst, p.Transport, c.dst, c.transport)
			}
			newPathPair().compare(t, c.name, capture.LinkRaw, frame)
		})
	}
}
