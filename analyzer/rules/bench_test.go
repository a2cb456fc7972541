package rules_test

import (
	"os"
	"sync"
	"testing"
	"time"

	"github.com/portlens/portlens/analyzer/rules"
)

var input1M = sync.OnceValues(func() (*rules.Input, error) {
	if _, err := os.Stat(*bench1M); err != nil {
		return nil, err
	}
	var in *rules.Input
	tb := &testing.T{}
	in = loadInput(tb, *bench1M)
	return in, nil
})

// BenchmarkJudge1M judges the 1M-packet benchmark capture (linux), and
// reports each rule's share, best of the runs.
func BenchmarkJudge1M(b *testing.B) {
	in, err := input1M()
	if err != nil {
		b.Skipf("no 1M capture: %v", err)
	}
	s := rules.DefaultSettings()
	for b.Loop() {
		rules.Judge(in, s)
	}
}

// TestRuleTimes prints each rule's time on the 1M capture (-v), best of 5.
func TestRuleTimes(t *testing.T) {
	if testing.Short() || !testing.Verbose() {
		t.Skip("timings only with -v")
	}
	in, err := input1M()
	if err != nil {
		t.Skipf("no 1M capture: %v", err)
	}
	for _, osName := range []string{"linux", "auto"} {
		var best []time.Duration
		var names []string
		var total time.Duration
		for range 5 {
			n, took := rules.TimeRules(in, goldenSettings[osName])
			names = n
			if best == nil {
				best = took
			}
			for i := range took {
				best[i] = min(best[i], took[i])
			}
		}
		for i := range names {
			t.Logf("%s %-20s %8.1f ms", osName, names[i], float64(best[i])/1e6)
			total += best[i]
		}
		judge := time.Duration(1 << 62)
		for range 10 {
			t0 := time.Now()
			rules.Judge(in, goldenSettings[osName])
			judge = min(judge, time.Since(t0))
		}
		t.Logf("%s %-20s %8.1f ms best of 10 (sum of the rules' best %0.1f ms)", osName, "Judge", float64(judge)/1e6, float64(total)/1e6)
	}
}
