package rules

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestMergeFlags: mergeFlags gives what a stable sort of the parts'
// concatenation gives, whatever the parts' sizes, runs, ties and order.
func TestMergeFlags(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	kinds := []Kind{ReusedPorts, FastReuse, OutsideEphemeral, Exhaustion, StalePeer}
	for trial := range 2000 {
		parts := make([][]Flag, rng.IntN(6)) // no part at all, too
		var all []Flag
		for k := range parts {
			n := rng.IntN(40)
			frame := int32(1)
			for range n {
				if rng.IntN(3) > 0 { // runs and ties: frames repeat or step
					frame += int32(rng.IntN(5))
				}
				f := Flag{Frame: frame, Kind: kinds[rng.IntN(len(kinds))], Subject: int32(len(all))}
				parts[k] = append(parts[k], f)
				all = append(all, f)
			}
			if trial%7 == 0 { // an unsorted part
				rng.Shuffle(len(parts[k]), func(i, j int) { parts[k][i], parts[k][j] = parts[k][j], parts[k][i] })
				all = append(all[:len(all)-len(parts[k])], parts[k]...)
			}
		}
		want := slices.Clone(all)
		slices.SortStableFunc(want, func(a, b Flag) int { return compareFlags(&a, &b) })
		got := mergeFlags(parts, len(all), nil)
		if !slices.Equal(got, want) {
			t.Fatalf("trial %d: merged\n%v\nwant\n%v", trial, got, want)
		}
	}
}
