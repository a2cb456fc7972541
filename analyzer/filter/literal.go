package filter

import (
	"encoding/hex"
	"fmt"
	"math/big"
	"net/netip"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// lit is a value converted for the field it is compared with.
type lit struct {
	text   string     // canonical form
	lo, hi int64      // numeric types: the value, or a CIDR prefix's range
	a, b   netip.Addr // IPv6: the address, or a CIDR prefix's range
	s      string     // strings and byte strings
	never  bool       // a negative number for an unsigned field, which equals nothing
	cidr   bool
}

// domain is how a type's values are held while filtering.
type domain uint8

const (
	dNum   domain = iota // int64: integers, booleans, times, IPv4 and Ethernet addresses
	dIP6                 // netip.Addr
	dStr                 // string
	dBytes               // []byte: the frame
)

func domainOf(t Type) domain {
	switch t {
	case TypeIPv6:
		return dIP6
	case TypeString:
		return dStr
	case TypeProtocol:
		return dBytes
	}
	return dNum
}

// convert reads a value written in a filter as a value of the field's type.
func convert(def *fieldDef, o operand) (lit, *Error) {
	t := o.tok
	if o.sign == tMinus && def.Type != TypeUint && def.Type != TypeTime {
		return lit{}, errAt(o.pos, t.end, "%s cannot be negated.", def.TypeName())
	}
	if t.kind == tString && def.Type != TypeString && def.Type != TypeProtocol {
		return lit{}, errAt(t.pos, t.end, "%s cannot be converted from a string (%s).", def.TypeName(), quote(t.val))
	}
	var l lit
	var msg string
	switch def.Type {
	case TypeUint:
		l, msg = convertUint(def, o)
	case TypeBool:
		l, msg = convertBool(def, t)
	case TypeTime:
		l, msg = convertTime(o)
	case TypeIPv4:
		l, msg = convertIPv4(t)
	case TypeIPv6:
		l, msg = convertIPv6(t)
	case TypeEther:
		l, msg = convertEther(t)
	case TypeString:
		l, msg = convertString(t)
	default:
		l, msg = convertBytes(t)
	}
	if msg != "" {
		return lit{}, errAt(o.pos, t.end, "%s", msg)
	}
	return l, nil
}

func cannot(t token, typ string) string {
	if t.kind == tChar {
		return fmt.Sprintf("Character constant %s (0x%02x) cannot be converted to %s.", t.text, t.num, typ)
	}
	return fmt.Sprintf("%q cannot be converted to %s.", t.text, typ)
}

// parseUint reads an integer as Wireshark does: decimal, 0x hex, 0b
// binary, or octal after a leading 0.
func parseUint(s string) (uint64, bool) {
	base := 10
	switch {
	case len(s) > 2 && (s[:2] == "0x" || s[:2] == "0X"):
		s, base = s[2:], 16
	case len(s) > 2 && (s[:2] == "0b" || s[:2] == "0B"):
		s, base = s[2:], 2
	case len(s) > 1 && s[0] == '0':
		s, base = s[1:], 8
	}
	if strings.ContainsAny(s, "_+-") {
		return 0, false
	}
	v, err := strconv.ParseUint(s, base, 64)
	return v, err == nil
}

func tokenUint(t token) (uint64, bool) {
	if t.kind == tChar {
		return t.num, true
	}
	return parseUint(t.text)
}

func convertUint(def *fieldDef, o operand) (lit, string) {
	v, ok := tokenUint(o.tok)
	if !ok {
		return lit{}, cannot(o.tok, def.TypeName())
	}
	limit := uint64(1)<<def.Bits - 1
	if v > limit {
		return lit{}, fmt.Sprintf("%q too big for this field, maximum %d.", o.tok.text, limit)
	}
	if o.sign == tMinus && v != 0 {
		return lit{never: true, text: "-" + strconv.FormatUint(v, 10)}, ""
	}
	return lit{lo: int64(v), hi: int64(v), text: strconv.FormatUint(v, 10)}, ""
}

func convertBool(def *fieldDef, t token) (lit, string) {
	v, ok := tokenUint(t)
	switch {
	case ok:
	case strings.EqualFold(t.text, "true"):
		v, ok = 1, true
	case strings.EqualFold(t.text, "false"):
		v, ok = 0, true
	}
	if !ok {
		return lit{}, fmt.Sprintf("%q cannot be found among the possible values for %s.", t.text, def.Name)
	}
	if v != 0 {
		return lit{lo: 1, hi: 1, text: "True"}, ""
	}
	return lit{text: "False"}, ""
}

// convertTime reads seconds ("1", "0.25", "1.5e-3") to the nanosecond,
// dropping finer digits as Wireshark 4.4 does.
func convertTime(o operand) (lit, string) {
	ns, ok := parseSeconds(o.tok)
	if !ok {
		return lit{}, cannot(o.tok, "Time offset")
	}
	if o.sign == tMinus {
		ns = -ns
	}
	return lit{lo: ns, hi: ns, text: formatSeconds(ns)}, ""
}

func parseSeconds(t token) (int64, bool) {
	if t.kind != tWord {
		return 0, false
	}
	s, exp := t.text, 0
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		e, err := strconv.Atoi(s[i+1:])
		if err != nil || e > 1000 || e < -1000 {
			return 0, false
		}
		s, exp = s[:i], e
	}
	whole, frac, dot := strings.Cut(s, ".")
	if whole == "" || dot && frac == "" || !allDigits(whole) || !allDigits(frac) {
		return 0, false
	}
	// value = digits * 10^(exp - len(frac)) seconds, times 10^9 for ns.
	n, _ := new(big.Int).SetString(whole+frac, 10)
	shift := exp - len(frac) + 9
	ten := big.NewInt(10)
	if shift >= 0 {
		n.Mul(n, new(big.Int).Exp(ten, big.NewInt(int64(shift)), nil))
	} else {
		n.Quo(n, new(big.Int).Exp(ten, big.NewInt(int64(-shift)), nil))
	}
	if !n.IsInt64() {
		return 0, false
	}
	return n.Int64(), true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func formatSeconds(ns int64) string {
	sign := ""
	u := uint64(ns)
	if ns < 0 {
		sign, u = "-", uint64(-(ns+1))+1
	}
	s := sign + strconv.FormatUint(u/1e9, 10)
	if f := u % 1e9; f != 0 {
		s += strings.TrimRight(fmt.Sprintf(".%09d", f), "0")
	}
	return s
}

// splitPrefix splits "addr/bits"; bits is -1 without a slash.
func splitPrefix(w string) (string, int, bool) {
	addr, bits, ok := strings.Cut(w, "/")
	if !ok {
		return w, -1, true
	}
	if bits == "" || len(bits) > 3 || !allDigits(bits) {
		return "", 0, false
	}
	n, _ := strconv.Atoi(bits)
	return addr, n, true
}

func convertIPv4(t token) (lit, string) {
	bad := fmt.Sprintf("%q is not a valid hostname or IPv4 address.", t.text)
	if t.kind != tWord {
		return lit{}, cannot(t, "IPv4 address")
	}
	s, bits, ok := splitPrefix(t.text)
	a, err := netip.ParseAddr(s)
	if !ok || err != nil || !a.Is4() {
		return lit{}, bad
	}
	if bits > 32 {
		return lit{}, fmt.Sprintf("Netmask bits in a CIDR IPv4 address should be <= 32, not %d", bits)
	}
	v := ip4Value(a)
	if bits < 0 {
		return lit{lo: v, hi: v, text: a.String()}, ""
	}
	p := netip.PrefixFrom(a, bits).Masked()
	lo := ip4Value(p.Addr())
	return lit{lo: lo, hi: lo | (1<<(32-bits) - 1), cidr: true, text: p.String()}, ""
}

func convertIPv6(t token) (lit, string) {
	bad := fmt.Sprintf("%q is not a valid hostname or IPv6 address.", t.text)
	if t.kind != tWord {
		return lit{}, cannot(t, "IPv6 address")
	}
	s, bits, ok := splitPrefix(t.text)
	a, err := netip.ParseAddr(s)
	if !ok || err != nil || !a.Is6() || a.Zone() != "" {
		return lit{}, bad
	}
	if bits > 128 {
		return lit{}, fmt.Sprintf("Prefix in a IPv6 address should be <= 128, not %d", bits)
	}
	if bits < 0 {
		return lit{a: a, b: a, text: a.String()}, ""
	}
	p := netip.PrefixFrom(a, bits).Masked()
	return lit{a: p.Addr(), b: lastAddr(p), cidr: true, text: p.String()}, ""
}

// lastAddr is the highest address of a prefix.
func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Addr().As16()
	for i := p.Bits(); i < 128; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	return netip.AddrFrom16(b)
}

func convertEther(t token) (lit, string) {
	b, msg := wordBytes(t, "an Ethernet address")
	switch {
	case msg != "":
		return lit{}, msg
	case len(b) < 6:
		return lit{}, fmt.Sprintf("%q contains too few bytes to be a valid Ethernet address.", t.text)
	case len(b) > 6:
		return lit{}, fmt.Sprintf("%q contains too many bytes to be a valid Ethernet address.", t.text)
	}
	v := macValue(MAC(b))
	return lit{lo: v, hi: v, text: hexBytes(b)}, ""
}

// wordBytes reads an unquoted byte string. A word that is an integer is a
// number in Wireshark 4.4, not bytes ("frame contains 47" is refused).
func wordBytes(t token, typ string) ([]byte, string) {
	if t.kind == tChar {
		return nil, cannot(t, typ)
	}
	if _, ok := parseUint(t.text); ok {
		return nil, fmt.Sprintf("%q is a number, not %s: write bytes with colons (%s:) or as a quoted string.", t.text, typ, t.text)
	}
	b, ok := parseBytes(t.text)
	if !ok {
		return nil, fmt.Sprintf("%q is not a valid byte string.", t.text)
	}
	return b, ""
}

// parseBytes reads hex bytes separated by ":", "-" or "." (one separator
// throughout; groups of one or two digits, or four with "."), or hex
// digits without separators. A leading ":" (Wireshark's mark for bytes) and
// a trailing separator are allowed.
func parseBytes(s string) ([]byte, bool) {
	s = strings.TrimPrefix(s, ":")
	i := strings.IndexAny(s, ":-.")
	if i < 0 {
		b, err := hex.DecodeString(s)
		return b, err == nil && len(b) > 0
	}
	groups := strings.Split(s, s[i:i+1])
	if len(groups) > 1 && groups[len(groups)-1] == "" {
		groups = groups[:len(groups)-1]
	}
	var out []byte
	for _, g := range groups {
		switch {
		case len(g) == 4 && s[i] == '.':
		case len(g) == 1:
			g = "0" + g
		case len(g) != 2:
			return nil, false
		}
		b, err := hex.DecodeString(g)
		if err != nil {
			return nil, false
		}
		out = append(out, b...)
	}
	return out, true
}

// hexBytes writes bytes as 47:45:54; a single byte as a quoted string,
// since "47" alone would read back as a number.
func hexBytes(b []byte) string {
	if len(b) == 1 {
		return quote(string(b))
	}
	var sb strings.Builder
	for i, c := range b {
		if i > 0 {
			sb.WriteByte(':')
		}
		sb.WriteString(hex.EncodeToString([]byte{c}))
	}
	return sb.String()
}

// convertString takes a quoted string, or an unquoted word as Wireshark
// 4.4 does (portlens.class == after-rst).
func convertString(t token) (lit, string) {
	switch t.kind {
	case tString:
		return lit{s: t.val, text: quote(t.val)}, ""
	case tWord:
		return lit{s: t.text, text: quote(t.text)}, ""
	}
	return lit{}, cannot(t, "Character string")
}

// convertBytes reads a value compared with the frame's bytes: a quoted
// string (its bytes) or hex bytes.
func convertBytes(t token) (lit, string) {
	if t.kind == tString {
		return lit{s: t.val, text: quote(t.val)}, ""
	}
	b, msg := wordBytes(t, "a byte string")
	if msg != "" {
		return lit{}, msg
	}
	return lit{s: string(b), text: hexBytes(b)}, ""
}

// quote writes a string so that the lexer reads it back to the same
// bytes: printable text as is, the rest as \x escapes.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == utf8.RuneError && n <= 1, r < 0x20, r == 0x7f, r >= 0x80 && !unicode.IsPrint(r):
			for _, c := range []byte(s[i : i+n]) {
				fmt.Fprintf(&b, "\\x%02x", c)
			}
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	b.WriteByte('"')
	return b.String()
}
