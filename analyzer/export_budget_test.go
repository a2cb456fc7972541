package analyzer

// Held is the budget's account of what the run holds, for the tests.
func (run *Run) Held() int64 { return run.holding().bytes() }

// HeapOver is the budget's heap check for a heap grown by grown bytes.
func HeapOver(maxMemory int64, grown uint64) string {
	w := newBudgetWatch(Budget{MaxMemory: maxMemory})
	w.liveAtStart = 1 << 20
	w.live = func() uint64 { return 1<<20 + grown }
	return w.over(holding{})
}
