package app

import (
	"slices"
	"testing"
	"time"
)

func TestTimeTicks(t *testing.T) {
	for _, tc := range []struct {
		from, to time.Duration
		n        int
		want     []string
	}{
		{0, 2 * time.Second, 5, []string{"0.0 s", "0.5 s", "1.0 s", "1.5 s", "2.0 s"}},
		{0, 10 * time.Second, 5, []string{"0 s", "2 s", "4 s", "6 s", "8 s", "10 s"}},
		{0, 600 * time.Second, 6, []string{"0 min", "2 min", "4 min", "6 min", "8 min", "10 min"}},
		{0, 90 * time.Minute, 4, []string{"0 min", "30 min", "60 min", "90 min"}},
		{0, 5 * time.Hour, 5, []string{"0 h", "1 h", "2 h", "3 h", "4 h", "5 h"}},
		{0, 300 * time.Millisecond, 3, []string{"0 ms", "100 ms", "200 ms", "300 ms"}},
		// Zoomed in late in a capture: the unit follows the range's end.
		{5 * time.Second, 5*time.Second + 10*time.Millisecond, 5, []string{"5.000 s", "5.002 s", "5.004 s", "5.006 s", "5.008 s", "5.010 s"}},
	} {
		ticks, labels := timeTicks(int64(tc.from), int64(tc.to), tc.n)
		if !slices.Equal(labels, tc.want) {
			t.Errorf("%v-%v: %v, want %v", tc.from, tc.to, labels, tc.want)
		}
		for i := 1; i < len(ticks); i++ {
			if ticks[i] <= ticks[i-1] || ticks[i] > int64(tc.to) || ticks[0] < int64(tc.from) {
				t.Errorf("%v-%v: ticks %v", tc.from, tc.to, ticks)
			}
		}
	}
}

func TestValueTicks(t *testing.T) {
	for _, tc := range []struct {
		lo, hi float64
		n      int
		want   []float64
	}{
		{0, 64, 4, []float64{0, 20, 40, 60}},
		{0, 70, 5, []float64{0, 20, 40, 60}},
		{32768, 60999, 4, []float64{40000, 50000, 60000}},
		{0, 3, 5, []float64{0, 1, 2, 3}}, // never below 1: counts and ports are integers
		{0, 65535, 6, []float64{0, 20000, 40000, 60000}},
	} {
		if got := valueTicks(tc.lo, tc.hi, tc.n); !slices.Equal(got, tc.want) {
			t.Errorf("%v-%v: %v, want %v", tc.lo, tc.hi, got, tc.want)
		}
	}
}
