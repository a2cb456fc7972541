package filter

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Error is a filter that does not compile. Pos and End are 0-based byte
// offsets into the filter text (End exclusive) of the part at fault; an
// error at the end of the text has Pos == End == len(text). The column
// in Error() is 1-based, as editors count. Msg follows Wireshark 4.4's
// wording where Wireshark has the same error.
type Error struct {
	Pos, End int
	Msg      string
}

func (e *Error) Error() string { return fmt.Sprintf("column %d: %s", e.Pos+1, e.Msg) }

// Caret returns the filter with a line under the part at fault, as tshark
// prints it:
//
//	tcp.strem == 1
//	^~~~~~~~~
func (e *Error) Caret(filter string) string {
	pos, end := clamp(e.Pos, len(filter)), clamp(e.End, len(filter))
	lead := utf8.RuneCountInString(filter[:pos])
	width := max(utf8.RuneCountInString(filter[pos:max(pos, end)]), 1)
	return filter + "\n" + strings.Repeat(" ", lead) + "^" + strings.Repeat("~", width-1)
}

func clamp(n, hi int) int { return min(max(n, 0), hi) }

func errAt(pos, end int, format string, args ...any) *Error {
	return &Error{Pos: pos, End: end, Msg: fmt.Sprintf(format, args...)}
}
