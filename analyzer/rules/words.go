package rules

import (
	"net/netip"
	"strconv"
	"strings"
	"time"
	"unsafe"
)

// ownString returns b's bytes as a string without copying them, as
// strings.Builder does: b must be the caller's own and never change
// afterwards. A flag's message and explanation are written into one
// buffer and shared this way: one allocation a flag, not one a growth.
func ownString(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

func formatDuration(d time.Duration) string { return string(appendDuration(nil, d)) }

// appendDuration appends d in the words of formatDuration: µs below a
// millisecond, ms with one decimal below a second, s with three below two
// minutes, else rounded to the second.
func appendDuration(b []byte, d time.Duration) []byte {
	switch {
	case d < 0:
		return appendDuration(append(b, '-'), -d)
	case d < time.Millisecond:
		return append(strconv.AppendInt(b, d.Microseconds(), 10), " µs"...)
	case d < time.Second:
		return append(strconv.AppendFloat(b, float64(d)/float64(time.Millisecond), 'f', 1, 64), " ms"...)
	case d < 2*time.Minute:
		return append(strconv.AppendFloat(b, d.Seconds(), 'f', 3, 64), " s"...)
	}
	return append(b, d.Round(time.Second).String()...)
}

// appendTime appends the time ns (since the epoch) in UTC to the
// microsecond: "2006-01-02 15:04:05.000000 UTC".
func appendTime(b []byte, ns int64) []byte {
	return time.Unix(0, ns).UTC().AppendFormat(b, "2006-01-02 15:04:05.000000 UTC")
}

// appendAddrPort appends ap as ap.String() writes it.
func appendAddrPort(b []byte, ap netip.AddrPort) []byte {
	if !ap.Addr().IsValid() {
		return append(b, ap.String()...)
	}
	return ap.AppendTo(b)
}

// appendAddr appends a as a.String() writes it.
func appendAddr(b []byte, a netip.Addr) []byte {
	if !a.IsValid() {
		return append(b, a.String()...)
	}
	return a.AppendTo(b)
}

// joinWords joins a list as "a, b and c".
func joinWords(w []string) string {
	if len(w) <= 1 {
		return strings.Join(w, "")
	}
	return strings.Join(w[:len(w)-1], ", ") + " and " + w[len(w)-1]
}

// presetWords names a preset's range and TIME_WAIT with its source.
func presetWords(p Preset) string { return string(appendPresetWords(nil, p)) }

// appendPresetWords appends presetWords(p).
func appendPresetWords(b []byte, p Preset) []byte {
	b = append(b, "the "...)
	b = append(b, p.Label...)
	b = append(b, " preset (ephemeral range "...)
	b = appendRange(b, p.Ephemeral)
	b = append(b, ", TIME_WAIT "...)
	b = appendDuration(b, p.TimeWait)
	b = append(b, "; "...)
	b = append(b, p.Source...)
	return append(b, ')')
}

// appendRange appends r as "LO-HI" (Range.String).
func appendRange(b []byte, r Range) []byte {
	b = strconv.AppendUint(b, uint64(r.Lo), 10)
	b = append(b, '-')
	return strconv.AppendUint(b, uint64(r.Hi), 10)
}

// plural returns "1 connection" or "3 connections".
func plural(n int, word string) string { return string(appendPlural(nil, n, word)) }

// appendPlural appends plural(n, word).
func appendPlural(b []byte, n int, word string) []byte {
	b = strconv.AppendInt(b, int64(n), 10)
	b = append(b, ' ')
	b = append(b, word...)
	if n != 1 {
		b = append(b, 's')
	}
	return b
}

// maxRelated caps the related frames of one flag.
const maxRelated = 50

func capRelated(frames []int) []int {
	if len(frames) > maxRelated {
		return frames[:maxRelated]
	}
	return frames
}
