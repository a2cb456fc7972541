package app

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// Axes of the Ports view: ticks at round values, few enough that their
// labels never overlap, and times relative to the capture's start in a
// unit that suits the range shown.

// niceStep is the round step (1, 2 or 5 times a power of ten) that cuts
// span into about n parts.
func niceStep(span float64, n int) float64 {
	if span <= 0 || n < 1 {
		return 1
	}
	raw := span / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if raw <= m*mag {
			return m * mag
		}
	}
	return 10 * mag
}

// valueTicks are round values from lo to hi, at most about n of them, as
// integers (counts, ports).
func valueTicks(lo, hi float64, n int) []float64 {
	step := max(1, niceStep(hi-lo, n))
	var out []float64
	for v := math.Ceil(lo/step) * step; v <= hi+1e-9; v += step {
		out = append(out, v)
	}
	return out
}

// timeUnit is how an axis prints times.
type timeUnit struct {
	ns   float64
	name string
}

var timeUnits = []timeUnit{{1e3, "µs"}, {1e6, "ms"}, {1e9, "s"}, {60e9, "min"}, {3600e9, "h"}}

// unitFor picks the unit of an axis ending at end (ns after the capture's
// start): ms below a second, s below two minutes, min below two hours.
func unitFor(end int64) timeUnit {
	switch {
	case end < int64(time.Millisecond):
		return timeUnits[0]
	case end < int64(time.Second):
		return timeUnits[1]
	case end < int64(2*time.Minute):
		return timeUnits[2]
	case end < int64(2*time.Hour):
		return timeUnits[3]
	}
	return timeUnits[4]
}

// minuteSteps are the steps past a minute: whole minutes and hours that
// divide an hour or a day.
var minuteSteps = []time.Duration{time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute,
	30 * time.Minute, time.Hour, 2 * time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour, 24 * time.Hour}

// timeTicks are the ticks of a time axis over [from, to] (ns after the
// capture's start), at most about n, with their labels.
func timeTicks(from, to int64, n int) (ticks []int64, labels []string) {
	span := float64(max(to-from, 1))
	step := niceStep(span, n)
	if step >= 60e9 {
		step = float64(minuteSteps[len(minuteSteps)-1])
		for _, s := range minuteSteps {
			if float64(s) >= span/float64(n) {
				step = float64(s)
				break
			}
		}
	}
	step = max(step, 1)
	u := unitFor(max(to, -from))
	for t := math.Ceil(float64(from)/step) * step; t <= float64(to); t += step {
		ticks = append(ticks, int64(t))
		labels = append(labels, formatIn(t, step, u))
	}
	return ticks, labels
}

// formatIn prints t (ns) in unit u with as many decimals as step needs.
func formatIn(t, step float64, u timeUnit) string {
	dec := 0
	if r := step / u.ns; r < 1 {
		dec = int(math.Ceil(-math.Log10(r) - 1e-9))
	}
	s := strconv.FormatFloat(t/u.ns, 'f', dec, 64)
	if strings.HasPrefix(s, "-0") && strings.Trim(s, "-0.") == "" {
		s = s[1:]
	}
	return s + " " + u.name
}
