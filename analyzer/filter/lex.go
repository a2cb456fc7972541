package filter

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// tokKind is the kind of a lexical token of the display-filter language.
type tokKind uint8

const (
	tEOF tokKind = iota
	tLParen
	tRParen
	tLBrace
	tRBrace
	tComma
	tDotDot
	tAnd
	tOr
	tXor
	tNot
	tAnyEq // == eq any_eq
	tAllNe // != ne all_ne
	tAllEq // === all_eq
	tAnyNe // !== any_ne ~=
	tGt
	tGe
	tLt
	tLe
	tContains
	tMatches
	tIn
	tMinus
	tPlus
	tWord   // unquoted: a field or protocol name, or a literal value
	tString // "..." or r"..."; val holds the decoded bytes
	tChar   // '.'; num holds the value
)

// token is one lexical token; pos and end are byte offsets in the filter.
type token struct {
	kind     tokKind
	pos, end int
	text     string // the source text
	val      string // tString: the decoded value
	num      uint64 // tChar: the value
}

// puncts lists the operators made of punctuation, longer ones first so
// that the first match is the longest.
var puncts = []struct {
	s string
	k tokKind
}{
	{"===", tAllEq}, {"!==", tAnyNe},
	{"==", tAnyEq}, {"!=", tAllNe}, {"~=", tAnyNe}, {">=", tGe}, {"<=", tLe},
	{"&&", tAnd}, {"||", tOr}, {"^^", tXor}, {"..", tDotDot},
	{">", tGt}, {"<", tLt}, {"!", tNot}, {"~", tMatches},
	{"(", tLParen}, {")", tRParen}, {"{", tLBrace}, {"}", tRBrace}, {",", tComma},
	{"-", tMinus}, {"+", tPlus},
}

// keywords are the operators spelled as words. Wireshark's keywords are
// lower case only; "TCP.PORT EQ 80" is not a filter there either.
var keywords = map[string]tokKind{
	"and": tAnd, "or": tOr, "xor": tXor, "not": tNot,
	"eq": tAnyEq, "any_eq": tAnyEq, "ne": tAllNe, "all_ne": tAllNe,
	"all_eq": tAllEq, "any_ne": tAnyNe,
	"gt": tGt, "ge": tGe, "lt": tLt, "le": tLe,
	"contains": tContains, "matches": tMatches, "in": tIn,
}

// unsupported names the Wireshark syntax this package does not implement,
// so that using it gets a clear message instead of a puzzling one.
var unsupported = map[string]string{
	"[": "Slices ([...])", "]": "Slices ([...])", "#": "Layer operators (#)",
	"$": "Field references (${...})", "@": "Raw field values (@)",
	"*": "Arithmetic operators", "/": "Arithmetic operators", "%": "Arithmetic operators",
	"&": "Bitwise operators", "bitand": "Bitwise operators", "bitwise_and": "Bitwise operators",
	"any": "The any and all quantifiers", "all": "The any and all quantifiers",
}

func errUnsupported(what string, pos, end int) *Error {
	return errAt(pos, end, "%s are not supported by portlens.", what)
}

// lex splits a filter into tokens, ending with tEOF.
func lex(s string) ([]token, *Error) {
	var toks []token
	i := 0
	for {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
			i++
		}
		if i == len(s) {
			return append(toks, token{kind: tEOF, pos: i, end: i}), nil
		}
		t, err := lexOne(s, i)
		if err != nil {
			return nil, err
		}
		toks = append(toks, t)
		i = t.end
	}
}

func lexOne(s string, i int) (token, *Error) {
	c := s[i]
	switch {
	case c == '"':
		return lexString(s, i, i+1, false)
	case (c == 'r' || c == 'R') && i+1 < len(s) && s[i+1] == '"':
		return lexString(s, i, i+2, true)
	case c == '\'':
		return lexChar(s, i)
	case isWordStart(c) || (c == '.' && i+1 < len(s) && isAlnum(s[i+1])):
		return lexWord(s, i)
	}
	for _, p := range puncts {
		if strings.HasPrefix(s[i:], p.s) {
			return token{kind: p.k, pos: i, end: i + len(p.s), text: p.s}, nil
		}
	}
	if what, ok := unsupported[s[i:i+1]]; ok {
		return token{}, errUnsupported(what, i, i+1)
	}
	if c < 0x20 || c >= 0x7f {
		_, n := utf8.DecodeRuneInString(s[i:])
		return token{}, errAt(i, i+n, "Non-printable ASCII characters may only appear inside double-quotes.")
	}
	return token{}, errAt(i, i+1, "%q was unexpected in this context.", s[i:i+1])
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func isWordStart(c byte) bool { return isAlnum(c) || c == '_' || c == ':' }

func isWordChar(c byte) bool {
	return isWordStart(c) || c == '-' || c == '/' || c == '.'
}

// lexWord takes a field name, a keyword or an unquoted value: letters,
// digits and _ : / - . (addresses, CIDR prefixes, byte strings), never
// "..", which separates the bounds of a range.
func lexWord(s string, i int) (token, *Error) {
	j := i + 1
	for j < len(s) && isWordChar(s[j]) && !strings.HasPrefix(s[j:], "..") {
		j++
	}
	w := s[i:j]
	if k, ok := keywords[w]; ok {
		return token{kind: k, pos: i, end: j, text: w}, nil
	}
	if what, ok := unsupported[w]; ok {
		return token{}, errUnsupported(what, i, j)
	}
	return token{kind: tWord, pos: i, end: j, text: w}, nil
}

// lexString decodes a double-quoted string with Wireshark's escapes: \a \b
// \f \n \r \t \v \\ \' \", \ooo (octal), \xh and \xhh, \uhhhh and
// \Uhhhhhhhh. In a raw string r"..." a backslash is kept along with the
// character after it, so \" does not end the string.
func lexString(s string, start, i int, raw bool) (token, *Error) {
	var b strings.Builder
	for i < len(s) {
		c := s[i]
		if c == '"' {
			return token{kind: tString, pos: start, end: i + 1, text: s[start : i+1], val: b.String()}, nil
		}
		if c != '\\' {
			b.WriteByte(c)
			i++
			continue
		}
		if i+1 == len(s) {
			break
		}
		if raw {
			b.WriteString(s[i : i+2])
			i += 2
			continue
		}
		n, err := unescape(&b, s, i)
		if err != nil {
			return token{}, err
		}
		i += n
	}
	return token{}, errAt(start, len(s), "The final quote was missing from a quoted string.")
}

// unescape decodes the escape sequence at s[i] (a backslash) into b and
// returns its length.
func unescape(b *strings.Builder, s string, i int) (int, *Error) {
	c := s[i+1]
	switch {
	case c >= '0' && c <= '7':
		n := 1
		for n < 3 && i+1+n < len(s) && s[i+1+n] >= '0' && s[i+1+n] <= '7' {
			n++
		}
		v, _ := strconv.ParseUint(s[i+1:i+1+n], 8, 16)
		if v > 0xff {
			return 0, errAt(i, i+1+n, "%s is larger than 255.", s[i:i+1+n])
		}
		b.WriteByte(byte(v))
		return 1 + n, nil
	case c == 'x' && i+2 < len(s) && isHex(s[i+2]):
		n := 1
		if i+3 < len(s) && isHex(s[i+3]) {
			n = 2
		}
		v, _ := strconv.ParseUint(s[i+2:i+2+n], 16, 8)
		b.WriteByte(byte(v))
		return 2 + n, nil
	case c == 'u' || c == 'U':
		want := 4
		if c == 'U' {
			want = 8
		}
		n := 0
		for n < want && i+2+n < len(s) && isHex(s[i+2+n]) {
			n++
		}
		r, ok := universal(s[i+2:i+2+n], want)
		if !ok {
			return 0, errAt(i, i+2+n, "%s is not a valid universal character name", s[i:i+2+n])
		}
		b.WriteRune(r)
		return 2 + n, nil
	}
	if e, ok := simpleEscape(c); ok {
		b.WriteByte(e)
		return 2, nil
	}
	_, n := utf8.DecodeRuneInString(s[i+1:])
	return 0, errAt(i, i+1+n, "%s is not a valid character escape sequence", s[i:i+1+n])
}

func simpleEscape(c byte) (byte, bool) {
	switch c {
	case 'a':
		return '\a', true
	case 'b':
		return '\b', true
	case 'f':
		return '\f', true
	case 'n':
		return '\n', true
	case 'r':
		return '\r', true
	case 't':
		return '\t', true
	case 'v':
		return '\v', true
	case '\\', '\'', '"':
		return c, true
	}
	return 0, false
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

// universal checks a \u or \U escape as C (and Wireshark) do: exactly 4
// or 8 hex digits, and no control character, basic source character or
// surrogate.
func universal(hex string, want int) (rune, bool) {
	if len(hex) != want {
		return 0, false
	}
	v, err := strconv.ParseUint(hex, 16, 32)
	switch {
	case err != nil,
		v < 0xa0 && v != 0x24 && v != 0x40 && v != 0x60,
		v >= 0xd800 && v <= 0xdfff,
		v > 0x10ffff:
		return 0, false
	}
	return rune(v), true
}

// lexChar reads a character constant such as 'a', '\n', '\x41' or '\101'.
func lexChar(s string, start int) (token, *Error) {
	i := start + 1
	for i < len(s) && s[i] != '\'' {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		i++
	}
	if i >= len(s) {
		return token{}, errAt(start, len(s), "The final quote was missing from a character constant.")
	}
	text := s[start : i+1]
	v, err := charValue(text)
	if err != nil {
		err.Pos, err.End = start, i+1
		return token{}, err
	}
	return token{kind: tChar, pos: start, end: i + 1, text: text, num: v}, nil
}

func charValue(text string) (uint64, *Error) {
	body := text[1 : len(text)-1]
	if body == "" {
		return 0, &Error{Msg: "Empty character constant."}
	}
	if body[0] != '\\' {
		if body[0] < 0x20 || body[0] >= 0x7f {
			return 0, &Error{Msg: "Non-printable value '0x" + strconv.FormatUint(uint64(body[0]), 16) + "' in character constant."}
		}
		if len(body) > 1 {
			return 0, &Error{Msg: text + " is too long to be a valid character constant."}
		}
		return uint64(body[0]), nil
	}
	var b strings.Builder
	n, err := unescape(&b, body, 0)
	if err != nil || b.Len() == 0 {
		return 0, &Error{Msg: text + " isn't a valid character constant."}
	}
	if n != len(body) {
		return 0, &Error{Msg: text + " is too long to be a valid character constant."}
	}
	r, _ := utf8.DecodeRuneInString(b.String())
	if b.Len() == 1 {
		r = rune(b.String()[0])
	}
	return uint64(r), nil
}
