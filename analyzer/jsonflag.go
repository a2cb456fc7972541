package analyzer

import (
	"encoding/binary"
	"strconv"
	"unicode/utf8"

	"github.com/portlens/portlens/analyzer/rules"
)

// appendFlagJSON appends e as encoding/json (SetEscapeHTML(false)) writes
// an rules.Explained, byte for byte, without reflection: a report of a
// million-packet capture writes hundreds of thousands of flags, and the
// generic encoder was a third of the command's time (TestWriteJSON pins
// the equality).
func appendFlagJSON(b []byte, e *rules.Explained) []byte {
	b = append(b, `{"frame":`...)
	b = strconv.AppendInt(b, int64(e.Frame), 10)
	b = append(b, `,"kind":`...)
	b = appendJSONString(b, e.Kind.String())
	if e.Class != "" {
		b = append(b, `,"class":`...)
		b = appendJSONString(b, e.Class)
	}
	b = append(b, `,"severity":`...)
	b = appendJSONString(b, string(e.Severity))
	b = append(b, `,"stream":`...)
	b = strconv.AppendInt(b, int64(e.Stream), 10)
	b = append(b, `,"finding":`...)
	b = strconv.AppendInt(b, int64(e.Finding), 10)
	b = append(b, `,"message":`...)
	b = appendJSONString(b, e.Message)
	b = append(b, `,"explanation":`...)
	b = appendJSONString(b, e.Explanation)
	if e.Advice != "" {
		b = append(b, `,"advice":`...)
		b = appendJSONString(b, e.Advice)
	}
	b = append(b, `,"related":`...)
	if e.Related == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, r := range e.Related {
			if i > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendInt(b, int64(r), 10)
		}
		b = append(b, ']')
	}
	b = append(b, `,"rule":`...)
	b = appendJSONString(b, e.Rule)
	return append(b, '}')
}

const hexDigits = "0123456789abcdef"

// plain8 reports whether none of the eight bytes of x is a control byte,
// a quote, a backslash or part of a multi-byte character: the bytes a
// JSON string holds as they are. (Bit tricks on the word: a byte below
// 0x20, or equal to 0x22 or 0x5c, or with its high bit set.)
func plain8(x uint64) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	below := (x - 0x20*ones) & ^x & highs
	quote := x ^ (0x22 * ones)
	slash := x ^ (0x5c * ones)
	isQuote := (quote - ones) & ^quote & highs
	isSlash := (slash - ones) & ^slash & highs
	return (x&highs)|below|isQuote|isSlash == 0
}

// appendJSONString appends s quoted as encoding/json does without HTML
// escaping: \" \\ \b \f \n \r \t, \u00XX for other control bytes, \ufffd
// for invalid UTF-8, and \u2028 \u2029.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		// Eight bytes at a time while none needs a look: a flag's words are
		// mostly plain ASCII.
		for i+8 <= len(s) && plain8(binary.LittleEndian.Uint64([]byte(s[i:i+8]))) {
			i += 8
		}
		if i >= len(s) {
			break
		}
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
