package app

import "testing"

// Every row of a capture of any size can be scrolled to, and the scroll
// position that shows a row maps back to it.
func TestScrollMap(t *testing.T) {
	const h = 600 // viewport height: 25 rows
	for _, n := range []int{0, 10, 1000, 333_000, 1_000_000, 23_000_000} {
		m := scrollMap{n: n, h: h}
		if m.height() > maxListHeight || (n > 0 && m.height() < min(n*rowHeight, maxListHeight)) {
			t.Fatalf("%d rows: sizer %d px", n, m.height())
		}
		last := max(0, n-h/rowHeight)
		if got := m.rowAt(m.height() - h); n > h/rowHeight && got != last {
			t.Errorf("%d rows: scrolled to the bottom shows row %d first, want %d", n, got, last)
		}
		for _, first := range []int{0, 1, n / 3, n / 2, last} {
			if first > last {
				continue // the list fits in the viewport: nothing to scroll
			}
			top := m.topOf(first)
			if top < 0 || top > max(0, m.height()-h) {
				t.Errorf("%d rows: row %d at scroll %d, outside 0-%d", n, first, top, m.height()-h)
			}
			// Past the cap one pixel is several rows: the row shown may be
			// a few after the one asked for, never before.
			slack := max(0, (n*rowHeight)/maxListHeight)
			if got := m.rowAt(top); got < first || got > first+slack {
				t.Errorf("%d rows: row %d -> scroll %d -> row %d (slack %d)", n, first, top, got, slack)
			}
		}
	}
}
