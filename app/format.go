package app

import (
	"fmt"
	"time"
)

// humanBytes prints a size the way people read it: 1.5 MiB.
func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// relTime is a frame's time since the capture's first frame, in seconds
// with microseconds, as Wireshark's Time column shows by default.
func relTime(ns, first int64) string {
	return fmt.Sprintf("%.6f", float64(ns-first)/1e9)
}

// absTime is a UTC timestamp with microseconds.
func absTime(ns int64) string {
	return time.Unix(0, ns).UTC().Format("2006-01-02 15:04:05.000000 UTC")
}

// span prints a duration compactly: 2h0m3.5s, 512.3 ms, 42 µs.
func span(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return fmt.Sprintf("%d µs", d.Microseconds())
	case d < time.Second:
		return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
	case d < time.Minute:
		return fmt.Sprintf("%.3f s", d.Seconds())
	}
	return d.Round(time.Millisecond).String()
}

// plural counts things with the digits grouped: "1 flag", "7,012 flags".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return thousands(n) + " " + many
}

// thousands groups digits: 1 048 576 reads better than 1048576.
func thousands(n int) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return "-" + thousands(-n)
	}
	out := make([]byte, 0, len(s)+len(s)/3)
	for i := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return string(out)
}
