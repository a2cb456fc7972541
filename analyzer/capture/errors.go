package capture

import (
	"fmt"
	"strings"
)

// Error says what went wrong and where, so a user can find the damage with
// a hex editor and a caller can keep the packets that came before it.
type Error struct {
	Frame  int   // 1-based number of the frame being read; 0 while in the file or section header
	Offset int64 // byte offset in the (decompressed) stream where the damaged item starts
	Msg    string
}

func (e *Error) Error() string {
	if e.Frame > 0 {
		return fmt.Sprintf("frame %d at byte %d: %s", e.Frame, e.Offset, e.Msg)
	}
	if strings.HasPrefix(e.Msg, "not a capture file") {
		return e.Msg
	}
	return fmt.Sprintf("byte %d: %s", e.Offset, e.Msg)
}

// notCapture describes the first bytes of a stream that is neither pcap nor
// pcapng, because "starts with 3c 21 44 4f" tells a user at once that they
// dropped an HTML page.
func notCapture(head []byte) *Error {
	if len(head) == 0 {
		return &Error{Msg: "not a capture file: it is empty"}
	}
	var b strings.Builder
	b.WriteString("not a capture file: starts with")
	for _, c := range head {
		fmt.Fprintf(&b, " %02x", c)
	}
	return &Error{Msg: b.String()}
}
