package filter_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/portlens/portlens/analyzer/filter"
)

// Filters that compile, with their canonical form.
var goodFilters = []struct{ in, want string }{
	{"", ""},
	{"  \t", ""},
	{"tcp", "tcp"},
	{"frame", "frame"},
	{"tcp.flags.syn", "tcp.flags.syn"},
	{".tcp.port == 80", "tcp.port == 80"},
	{"tcp.port eq 0x50", "tcp.port == 80"},
	{"tcp.port == 0120", "tcp.port == 80"},
	{"tcp.port == 0b1010000", "tcp.port == 80"},
	{"tcp.port == '\\x50'", "tcp.port == 80"},
	{"tcp.port == 'P'", "tcp.port == 80"},
	{"tcp.port == +80", "tcp.port == 80"},
	{"tcp.port == -1", "tcp.port == -1"},
	{"tcp.port == - 0", "tcp.port == 0"},
	{"tcp.port ne 80", "tcp.port != 80"},
	{"tcp.port all_ne 80", "tcp.port != 80"},
	{"tcp.port any_eq 80", "tcp.port == 80"},
	{"tcp.port all_eq 80", "tcp.port === 80"},
	{"tcp.port any_ne 80", "tcp.port !== 80"},
	{"tcp.port ~= 80", "tcp.port !== 80"},
	{"tcp.port gt 1 and tcp.port ge 2 and tcp.port lt 3 and tcp.port le 4", "tcp.port > 1 && tcp.port >= 2 && tcp.port < 3 && tcp.port <= 4"},
	{"80 < tcp.port", "tcp.port > 80"},
	{"80 >= tcp.port", "tcp.port <= 80"},
	{"80 == tcp.port", "tcp.port == 80"},
	{"tcp.srcport > tcp.dstport", "tcp.srcport > tcp.dstport"},
	{"ip.src == ip.dst", "ip.src == ip.dst"},
	{"tcp.port in {80, 443, 8000..8080}", "tcp.port in {80, 443, 8000..8080}"},
	{"tcp.port in { 80 ,443 , 8000 .. 8080 }", "tcp.port in {80, 443, 8000..8080}"},
	{"tcp.port in {-1..500, 22}", "tcp.port in {-1..500, 22}"},
	{"udp.port not in {53}", "udp.port not in {53}"},
	{"udp.port ! in {53}", "udp.port not in {53}"},
	{"ip.addr == 10.1.2.3/8", "ip.addr == 10.0.0.0/8"},
	{"ip.addr in {10.0.0.0/8, 192.168.1.1..192.168.1.9}", "ip.addr in {10.0.0.0/8, 192.168.1.1..192.168.1.9}"},
	{"ip.addr > 10.0.0.1", "ip.addr > 10.0.0.1"},
	{"ipv6.addr == 2001:DB8:0:0::1", "ipv6.addr == 2001:db8::1"},
	{"ipv6.addr == 2001:db8::1/32", "ipv6.addr == 2001:db8::/32"},
	{"ipv6.addr == ::ffff:1.2.3.4", "ipv6.addr == ::ffff:1.2.3.4"},
	{"eth.addr == 02-42-C0-A8-01-01", "eth.addr == 02:42:c0:a8:01:01"},
	{"eth.addr == 0242.c0a8.0101", "eth.addr == 02:42:c0:a8:01:01"},
	{"eth.addr == 02.42.c0.a8.01.01", "eth.addr == 02:42:c0:a8:01:01"},
	{"eth.addr == 0242c0a80101", "eth.addr == 02:42:c0:a8:01:01"},
	{"eth.addr == 2:42:c0:a8:1:1", "eth.addr == 02:42:c0:a8:01:01"},
	{"eth.addr == :02:42:c0:a8:01:01", "eth.addr == 02:42:c0:a8:01:01"},
	{"eth.addr contains 02:42", "eth.addr contains 02:42"},
	{"tcp.flags.syn == 1", "tcp.flags.syn == True"},
	{"tcp.flags.syn == true", "tcp.flags.syn == True"},
	{"tcp.flags.syn == FALSE", "tcp.flags.syn == False"},
	{"tcp.flags.syn == 2", "tcp.flags.syn == True"},
	{"tcp.flags == 0x012", "tcp.flags == 18"},
	{"frame.time_relative > 1.5", "frame.time_relative > 1.5"},
	{"frame.time_relative >= 0.000000001", "frame.time_relative >= 0.000000001"},
	{"frame.time_relative == 2.12888000051", "frame.time_relative == 2.12888"},
	{"frame.time_relative < 1e-3", "frame.time_relative < 0.001"},
	{"frame.time_relative < 15E-1", "frame.time_relative < 1.5"},
	{"frame.time_relative > -0.5", "frame.time_relative > -0.5"},
	{"frame.time_relative in {0.0..0.01}", "frame.time_relative in {0..0.01}"},
	{`frame contains "GET"`, `frame contains "GET"`},
	{`frame contains 47:45:54`, `frame contains 47:45:54`},
	{`frame contains 47-45-54`, `frame contains 47:45:54`},
	{`frame contains 4f5054`, `frame contains 4f:50:54`},
	{`frame contains 47:`, `frame contains "G"`},
	{`frame contains "\x47\105T\n\"\\"`, `frame contains "GET\x0a\"\\"`},
	{`frame contains r"\d\""`, `frame contains "\\d\\\""`},
	{`frame contains "\u00e9\U0001F600"`, `frame contains "é😀"`},
	{`frame matches "^GET /"`, `frame matches "^GET /"`},
	{`frame ~ "get"`, `frame matches "get"`},
	{`frame == 00:01`, `frame == 00:01`},
	{`portlens.kind == "tcp.reused_ports"`, `portlens.kind == "tcp.reused_ports"`},
	{`portlens.class == after-rst`, `portlens.class == "after-rst"`},
	{`portlens.kind contains port`, `portlens.kind contains "port"`},
	{`portlens.severity in {"note", "warning"}`, `portlens.severity in {"note", "warning"}`},
	{`portlens.kind matches r"^tcp\."`, `portlens.kind matches "^tcp\\."`},
	{"portlens.finding == 3", "portlens.finding == 3"},
	{"portlens.flagged", "portlens.flagged"},
	{"tcp.analysis.reused_ports", "tcp.analysis.reused_ports"},
	// Precedence: not > and > xor > or, all left-associative.
	{"tcp or udp and sctp", "tcp || udp && sctp"},
	{"(tcp or udp) and sctp", "(tcp || udp) && sctp"},
	{"tcp and udp or sctp", "tcp && udp || sctp"},
	{"tcp and (udp or sctp)", "tcp && (udp || sctp)"},
	{"tcp or (udp or sctp)", "tcp || udp || sctp"},
	{"(tcp or udp) or sctp", "tcp || udp || sctp"},
	{"tcp xor udp or sctp", "tcp ^^ udp || sctp"},
	{"tcp xor (udp or sctp)", "tcp ^^ (udp || sctp)"},
	{"tcp and udp xor sctp", "tcp && udp ^^ sctp"},
	{"tcp and (udp xor sctp)", "tcp && (udp ^^ sctp)"},
	{"not tcp and udp", "!tcp && udp"},
	{"not (tcp and udp)", "!(tcp && udp)"},
	{"!tcp.port == 80", "!(tcp.port == 80)"},
	{"not not udp", "!!udp"},
	{"((((tcp))))", "tcp"},
	{"tcp && (udp && (sctp && ip)) && eth", "tcp && udp && sctp && ip && eth"},
	{"(tcp ^^ udp) ^^ !(sctp ^^ ip)", "tcp ^^ udp ^^ !(sctp ^^ ip)"},
	{"!(!(tcp.port == 1))", "!!(tcp.port == 1)"},
	{"tcp.port==80&&!udp||sctp", "tcp.port == 80 && !udp || sctp"},
	{"tcp.port == 80 ||frame.number==2", "tcp.port == 80 || frame.number == 2"},
}

func TestCompileGood(t *testing.T) {
	for _, tc := range goodFilters {
		f, err := filter.Compile(tc.in)
		if err != nil {
			t.Errorf("Compile(%q): %v", tc.in, err)
			continue
		}
		if got := f.String(); got != tc.want {
			t.Errorf("Compile(%q).String() = %q, want %q", tc.in, got, tc.want)
		}
		// The canonical form is a fixed point.
		again, err := filter.Compile(f.String())
		if err != nil || again.String() != f.String() {
			t.Errorf("canonical %q does not compile to itself: %v %q", f.String(), err, again)
		}
	}
}

// Filters that do not compile: the byte offset and the message.
var badFilters = []struct {
	in       string
	pos, end int
	msg      string
}{
	{"tcp.strem", 0, 9, `"tcp.strem" is neither a field nor a protocol name that portlens knows. Did you mean "tcp.stream"?`},
	{"tcp.port == 80 and bar", 19, 22, `"bar" is neither a field nor a protocol name that portlens knows.`},
	{"foo == 5", 0, 3, `"foo" is neither a field nor a protocol name that portlens knows.`},
	{".tcp.prot == 5", 0, 9, `"tcp.prot" is neither a field nor a protocol name that portlens knows. Did you mean "tcp.port"?`},
	{"80", 0, 2, `80 is neither a field nor a protocol name.`},
	{`"sip" == 5`, 0, 5, `Constant expression is invalid: one side of a comparison must be a field.`},
	{"tcp.port ==", 11, 11, `Expected a value after "==".`},
	{"tcp.port == ", 12, 12, `Expected a value after "==".`},
	{"tcp.port == )", 12, 13, `Expected a value after "==", not ")".`},
	{"tcp.port == 80 and )", 19, 20, `Expected a filter after "and", not ")".`},
	{"udp.port in {53..}", 17, 18, `Expected a value after "..", not "}".`},
	{"udp.port in {53", 12, 13, `This "{" is not closed.`},
	{"(tcp or (udp)", 0, 1, `This "(" is not closed.`},
	{"(tcp", 0, 1, `This "(" is not closed.`},
	{"tcp and", 7, 7, `Expected a filter after "and".`},
	{"not", 3, 3, `Expected a filter after "not".`},
	{"tcp)", 3, 4, `")" was unexpected in this context.`},
	{"()", 1, 2, `Expected a filter after "(", not ")".`},
	{"and tcp", 0, 3, `"and" was unexpected in this context.`},
	{"tcp udp", 4, 7, `"udp" was unexpected in this context.`},
	{"udp.port == 53 53", 15, 17, `"53" was unexpected in this context.`},
	{"udp.port in {53 5060}", 16, 20, `Expected "," or "}" between the values of a set, not "5060".`},
	{"udp.port in {}", 13, 14, `Expected a value after "{", not "}".`},
	{"udp.port in {53,}", 16, 17, `Expected a value after ",", not "}".`},
	{"udp.port in 53", 12, 14, `Expected a set such as {80, 443} after "in", not "53".`},
	{"udp.port not 53", 9, 12, `"not" was unexpected in this context.`},
	{"tcp.port=80", 8, 9, `"=" was unexpected in this context.`},
	{"tcp.port == 80 | udp", 15, 16, `"|" was unexpected in this context.`},
	{"tcp.port == 80 ?", 15, 16, `"?" was unexpected in this context.`},
	{"tcp.port == é", 12, 14, "Non-printable ASCII characters may only appear inside double-quotes."},
	{"frame.number == 1..3", 17, 19, `".." was unexpected in this context.`},
	{"1 < frame.number <= 3", 17, 19, "Chained comparisons (1 < a <= 3; write 1 < a && a <= 3) are not supported by portlens."},
	{"== 3", 0, 2, `"==" was unexpected in this context.`},
	{"(== 3)", 1, 3, `Expected a filter after "(", not "==".`},
	{"tcp.port[0] == 1", 8, 9, "Slices ([...]) are not supported by portlens."},
	{"tcp.port#1 == 1", 8, 9, "Layer operators (#) are not supported by portlens."},
	{"len(frame) > 3", 0, 4, "Functions (len(...)) are not supported by portlens."},
	{"tcp.port & 1", 9, 10, "Bitwise operators are not supported by portlens."},
	{"tcp.port + 1 == 2", 9, 10, `"+" was unexpected in this context.`},
	{"-tcp.port == 2", 0, 9, "Arithmetic operators are not supported by portlens."},
	{"all tcp.port == 2", 0, 3, "The any and all quantifiers are not supported by portlens."},
	{"tcp.port == ${tcp.port}", 12, 13, "Field references (${...}) are not supported by portlens."},
	{strings.Repeat("(", 300) + "tcp" + strings.Repeat(")", 300), 256, 257, "The filter nests more than 256 levels deep."},
	{strings.Repeat("!", 300) + "tcp", 256, 257, "The filter nests more than 256 levels deep."},
	{strings.Repeat("tcp || ", 100000) + "tcp ||", 700006, 700006, `Expected a filter after "||".`},
	{"tcp.port == 70000", 12, 17, `"70000" too big for this field, maximum 65535.`},
	{"frame.number == 4294967296", 16, 26, `"4294967296" too big for this field, maximum 4294967295.`},
	{"tcp.port == 18446744073709551616", 12, 32, `"18446744073709551616" cannot be converted to Unsigned integer (16 bits).`},
	{"tcp.port == 5060.0", 12, 18, `"5060.0" cannot be converted to Unsigned integer (16 bits).`},
	{"tcp.port == foo", 12, 15, `"foo" cannot be converted to Unsigned integer (16 bits).`},
	{"tcp.port == 09", 12, 14, `"09" cannot be converted to Unsigned integer (16 bits).`},
	{`tcp.port == "80"`, 12, 16, `Unsigned integer (16 bits) cannot be converted from a string ("80").`},
	{"tcp.port == eth", 12, 15, "tcp.port and eth are not of compatible types."},
	{"ip.src == tcp.port", 10, 18, "ip.src and tcp.port are not of compatible types."},
	{"tcp.flags.syn == yes", 17, 20, `"yes" cannot be found among the possible values for tcp.flags.syn.`},
	{"tcp.flags.syn == -1", 17, 19, "Boolean cannot be negated."},
	{"ip.addr == 172.16.1.011", 11, 23, `"172.16.1.011" is not a valid hostname or IPv4 address.`},
	{"ip.addr == localhost", 11, 20, `"localhost" is not a valid hostname or IPv4 address.`},
	{"ip.addr == ::1", 11, 14, `"::1" is not a valid hostname or IPv4 address.`},
	{"ip.addr == 10.0.0.0/33", 11, 22, "Netmask bits in a CIDR IPv4 address should be <= 32, not 33"},
	{"ip.addr == 10.0.0.0/", 11, 20, `"10.0.0.0/" is not a valid hostname or IPv4 address.`},
	{`ip.addr == "10.0.0.1"`, 11, 21, `IPv4 address cannot be converted from a string ("10.0.0.1").`},
	{"ip.addr > 10.0.0.0/8", 10, 20, "A CIDR prefix can only be compared with ==, !=, === or !==, or be in a set."},
	{"ip.addr in {10.0.0.0/8..11.0.0.0}", 12, 22, "A CIDR prefix cannot be the bound of a range."},
	{"ip.addr contains 10.0.0.1", 0, 7, "ip.addr (type=IPv4 address) cannot participate in contains comparison."},
	{"ipv6.addr == 2001:db8::/129", 13, 27, "Prefix in a IPv6 address should be <= 128, not 129"},
	{"ipv6.addr == 1.2.3.4", 13, 20, `"1.2.3.4" is not a valid hostname or IPv6 address.`},
	{"ipv6.addr == fe80::1%eth0", 20, 21, "Arithmetic operators are not supported by portlens."},
	{"eth.addr == 02:42:c0:a8:01", 12, 26, `"02:42:c0:a8:01" contains too few bytes to be a valid Ethernet address.`},
	{"eth.addr == 02:42:c0:a8:01:01:01", 12, 32, `"02:42:c0:a8:01:01:01" contains too many bytes to be a valid Ethernet address.`},
	{"eth.addr == 02:42:c0:a8:01:01/24", 12, 32, `"02:42:c0:a8:01:01/24" is not a valid byte string.`},
	{"eth.addr contains 42", 18, 20, `"42" is a number, not a byte string: write bytes with colons (42:) or as a quoted string.`},
	{"frame contains 474554", 15, 21, `"474554" is a number, not a byte string: write bytes with colons (474554:) or as a quoted string.`},
	{"frame contains 47", 15, 17, `"47" is a number, not a byte string: write bytes with colons (47:) or as a quoted string.`},
	{"frame contains OPTIONS", 15, 22, `"OPTIONS" is not a valid byte string.`},
	{"frame contains 13c413c", 15, 22, `"13c413c" is not a valid byte string.`},
	{`frame contains "a`, 15, 17, "The final quote was missing from a quoted string."},
	{`frame contains "\q"`, 16, 18, `\q is not a valid character escape sequence`},
	{`frame contains "\x"`, 16, 18, `\x is not a valid character escape sequence`},
	{`frame contains "\400"`, 16, 20, `\400 is larger than 255.`},
	{`frame contains "\u0041"`, 16, 22, `\u0041 is not a valid universal character name`},
	{`frame matches "(abc"`, 14, 20, "\"(abc\" is not a valid regular expression: missing closing ): `(abc`"},
	{"frame.number == ''", 16, 18, "Empty character constant."},
	{"frame.number == 'ab'", 16, 20, "'ab' is too long to be a valid character constant."},
	{"frame.number == 'a", 16, 18, "The final quote was missing from a character constant."},
	{"frame.time_relative == abc", 23, 26, `"abc" cannot be converted to Time offset.`},
	{"frame.time_relative == 1.5s", 23, 27, `"1.5s" cannot be converted to Time offset.`},
	{"frame.time_relative == 'a'", 23, 26, "Character constant 'a' (0x61) cannot be converted to Time offset."},
	{"frame.time_relative == 1e400", 23, 28, `"1e400" cannot be converted to Time offset.`},
	{"tcp.analysis.reused_ports == 1", 0, 25, "tcp.analysis.reused_ports (type=Label) cannot participate in == comparison."},
	{"portlens.flagged contains 00", 0, 16, "portlens.flagged (type=Label) cannot participate in contains comparison."},
	{"tcp contains 13:c4", 0, 3, `"tcp" can only be tested for presence: portlens compares the bytes of "frame" only.`},
	{"tcp.port contains 80", 0, 8, "tcp.port (type=Unsigned integer (16 bits)) cannot participate in contains comparison."},
	{"tcp.flags.syn matches \"1\"", 0, 13, "tcp.flags.syn (type=Boolean) cannot participate in matches comparison."},
	{"frame in {00:01}", 10, 15, `"in" is not supported for "frame".`},
	{"portlens.kind contains portlens.class", 23, 37, "The right side of contains must be a value, not a field."},
}

func TestCompileBad(t *testing.T) {
	for _, tc := range badFilters {
		f, err := filter.Compile(tc.in)
		var fe *filter.Error
		if !errors.As(err, &fe) {
			t.Errorf("Compile(%q) = %v, %v; want an *Error", short(tc.in), f, err)
			continue
		}
		if fe.Pos != tc.pos || fe.End != tc.end || fe.Msg != tc.msg {
			t.Errorf("Compile(%q):\n got %d-%d %s\nwant %d-%d %s", short(tc.in), fe.Pos, fe.End, fe.Msg, tc.pos, tc.end, tc.msg)
		}
	}
}

func TestErrorText(t *testing.T) {
	_, err := filter.Compile("tcp.port == 80 and tcp.strem == 1")
	var fe *filter.Error
	if !errors.As(err, &fe) {
		t.Fatal(err)
	}
	if got, want := err.Error(), "column 20: "+fe.Msg; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	want := "tcp.port == 80 and tcp.strem == 1\n                   ^~~~~~~~~"
	if got := fe.Caret("tcp.port == 80 and tcp.strem == 1"); got != want {
		t.Errorf("Caret:\n%s\nwant\n%s", got, want)
	}
	// The caret counts characters, not bytes.
	_, err = filter.Compile(`portlens.kind == "é" && bad`)
	errors.As(err, &fe)
	if got := fe.Caret(`portlens.kind == "é" && bad`); !strings.HasSuffix(got, "\n                        ^~~") {
		t.Errorf("Caret after a multi-byte character:\n%s", got)
	}
}

func TestFieldsListed(t *testing.T) {
	seen := map[string]bool{}
	for _, f := range filter.Fields() {
		if seen[f.Name] {
			t.Errorf("field %s listed twice", f.Name)
		}
		seen[f.Name] = true
		if f.Desc == "" {
			t.Errorf("field %s has no description", f.Name)
		}
		if f.TypeName() == "" || f.Type == filter.TypeUint && f.Bits == 0 {
			t.Errorf("field %s has no width", f.Name)
		}
		if _, err := filter.Compile(f.Name); err != nil {
			t.Errorf("field %s does not compile alone: %v", f.Name, err)
		}
	}
	for _, name := range []string{"frame.number", "frame.time_relative", "frame.len", "eth.addr", "eth.src", "eth.dst",
		"ip.addr", "ip.src", "ip.dst", "ipv6.addr", "ipv6.src", "ipv6.dst", "tcp.port", "tcp.srcport", "tcp.dstport",
		"tcp.stream", "tcp.flags.syn", "tcp.flags.ack", "tcp.flags.fin", "tcp.flags.reset", "tcp.flags.push",
		"tcp.seq_raw", "tcp.ack_raw", "tcp.len", "udp.port", "udp.srcport", "udp.dstport", "sctp.port", "sctp.srcport",
		"sctp.dstport", "tcp.analysis.reused_ports", "tcp", "udp", "sctp", "ip", "ipv6", "eth", "icmp", "icmpv6", "frame",
		"portlens.kind", "portlens.class", "portlens.severity", "portlens.finding", "portlens.flagged"} {
		if !seen[name] {
			t.Errorf("field %s is missing", name)
		}
	}
}

// short keeps test failures readable for the very long filters.
func short(s string) string {
	if len(s) > 80 {
		return s[:40] + "..." + s[len(s)-30:]
	}
	return s
}
