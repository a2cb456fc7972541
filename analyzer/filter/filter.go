// Package filter implements Wireshark display filters over the fields
// portlens knows (Fields lists them): one compiler for the page and the
// command, so that both select the same frames.
//
// The language is the subset of Wireshark 4.4's that these fields need:
// comparisons (== != === !== > >= < <= and eq ne all_eq any_ne gt ge lt
// le), contains, matches, in and not in with sets and ranges
// ({80, 443, 8000..8080}), CIDR prefixes for addresses, and, or, xor,
// not (&& || ^^ !) with parentheses. Precedence, highest first: not,
// and, xor, or. The semantics are Wireshark's, checked against tshark
// 4.0 and Wireshark 4.4 on real captures:
//
//   - A field may have several values in a frame (ip.addr holds the
//     source and destination of every IP header, tcp.port both ports).
//     "a == v" is true if any value equals v; "a != v" if every value
//     differs (it is !(a == v) for a present field); "a === v" if every
//     value equals v; "a !== v" (also ~=) if any value differs.
//   - A comparison with an absent field is false: "tcp.port != 80" does
//     not match a UDP frame, "!(tcp.port == 80)" does.
//   - A bare field or protocol name tests presence: "tcp.flags.syn"
//     matches every TCP frame, "tcp.flags.syn == 1" those with SYN set.
//   - "not in" is true if the field is present and no value is in the
//     set (Wireshark 4.4).
//   - "matches" is a case-insensitive regular expression (Go's RE2
//     syntax, close to the PCRE2 that Wireshark uses).
//   - A negative number never compares with an unsigned field: "tcp.port
//     == -1" and "tcp.port < -1" match nothing and "tcp.port != -1"
//     matches every TCP frame, as in Wireshark.
//
// Values take Wireshark's forms: integers in decimal, hex (0x50), octal
// (0120), binary (0b1010000) or as a character ('P'); booleans as True,
// False, 1 or 0; times as seconds (1.5, 15e-1), cut to the nanosecond;
// IPv4 and IPv6 addresses with an optional /bits; Ethernet addresses with
// ":", "-" or "." between the bytes; strings in double quotes with C
// escapes (r"..." keeps backslashes), or unquoted when they are one word;
// bytes as 47:45:54, 47-45-54, 474554 or a quoted string.
//
// Not supported: slices, layer operators (#), field references, functions,
// arithmetic, the any/all quantifiers and chained comparisons. Ordering
// comparisons with a CIDR prefix ("ip.addr > 10.0.0.0/8") are refused:
// Wireshark accepts them with results that depend on the IP version.
//
// Errors are *Error values that say where (a byte offset) and what, in
// Wireshark 4.4's words where it has them ("\"70000\" too big for this
// field, maximum 65535."), and more precisely where Wireshark only says
// "Unexpected end of filter expression." ("Expected a value after
// \"==\".").
//
// A compiled Filter reads a Frame that the caller fills; Needs says which
// of its fields. Match allocates nothing.
package filter

import "strings"

// Filter is a compiled display filter. It is immutable and safe for
// concurrent use.
type Filter struct {
	text  string
	need  Need
	match func(*Frame) bool
}

// Compile parses and checks a display filter. An empty filter (or one of
// blanks) matches every frame. The error is an *Error that says where.
func Compile(text string) (*Filter, error) {
	e, perr := parse(text)
	if perr != nil {
		return nil, perr
	}
	if e == nil {
		return &Filter{}, nil
	}
	c, cerr := compile(e)
	if cerr != nil {
		return nil, cerr
	}
	var b strings.Builder
	canonical(&b, e, 0, false)
	return &Filter{text: b.String(), need: c.need, match: c.fn}, nil
}

// Match reports whether the frame passes the filter.
func (f *Filter) Match(fr *Frame) bool {
	if f.match == nil {
		return true
	}
	return f.match(fr)
}

// Needs reports which groups of Frame fields the filter reads.
func (f *Filter) Needs() Need { return f.need }

// String returns the filter in canonical form: one spelling per operator
// (==, &&, !...), values normalized (numbers in decimal, addresses in
// their usual form), parentheses only where needed. It compiles to the
// same filter, and the empty string for the empty filter.
func (f *Filter) String() string { return f.text }
