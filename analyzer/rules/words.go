package rules

import (
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/portlens/portlens/analyzer/conv"
)

func endpointsOf(c *conv.Conversation, d conv.Dir) (src, dst netip.AddrPort) {
	if d == conv.FromA {
		return c.A, c.B
	}
	return c.B, c.A
}

func formatDuration(d time.Duration) string {
	switch {
	case d < 0:
		return "-" + formatDuration(-d)
	case d < time.Millisecond:
		return fmt.Sprintf("%d µs", d.Microseconds())
	case d < time.Second:
		return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
	case d < 2*time.Minute:
		return fmt.Sprintf("%.3f s", d.Seconds())
	}
	return d.Round(time.Second).String()
}

func formatTime(ns int64) string {
	return time.Unix(0, ns).UTC().Format("2006-01-02 15:04:05.000000 UTC")
}

// joinWords joins a list as "a, b and c".
func joinWords(w []string) string {
	if len(w) <= 1 {
		return strings.Join(w, "")
	}
	return strings.Join(w[:len(w)-1], ", ") + " and " + w[len(w)-1]
}

// presetWords names a preset's range and TIME_WAIT with its source.
func presetWords(p Preset) string {
	return fmt.Sprintf("the %s preset (ephemeral range %s, TIME_WAIT %s; %s)",
		p.Label, p.Ephemeral, formatDuration(p.TimeWait), p.Source)
}

// plural returns "1 connection" or "3 connections".
func plural(n int, word string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, word)
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// maxRelated caps the related frames of one flag.
const maxRelated = 50

func capRelated(frames []int) []int {
	if len(frames) > maxRelated {
		return frames[:maxRelated]
	}
	return frames
}
