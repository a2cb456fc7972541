package app

import (
	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/portlens/portlens/analyzer"
)

// syncFilterFrames is the most frames a filter that the per-frame columns
// answer is applied on at once; bigger captures are filtered in the
// background with yields (a million frames take a second in the page).
const syncFilterFrames = 50_000

// refilter applies s.Filter. A filter that does not compile leaves the
// list as it was and says where it went wrong; one that reads frames
// again, or a big capture, is applied in the background: the list keeps
// its rows ("Filtering…") until the new ones are known, and a newer
// filter supersedes it.
func (p *Page) refilter(ctx app.Context) {
	s := &p.s
	if s.Res == nil {
		return
	}
	p.filterRun++
	f, err := s.Filter.Compile()
	if err != nil || f == nil || (s.Res.Frames.Len() <= syncFilterFrames && !analyzer.NeedsPackets(f.Needs())) {
		s.applyFilter()
		s.Rev++
		return
	}
	id := p.filterRun
	s.FilterProblem, s.Filtering = "", true
	expr := s.Filter.Expr()
	s.Rev++
	res, src, mu := s.Res, s.src, s.decodeMu
	ctx.Async(func() {
		y := newYielder()
		defer y.Release()
		mu.Lock() // frames read again share the result's reading position
		view, err := res.Select(f, src, y.Paced(slice))
		mu.Unlock()
		ctx.Dispatch(func(ctx app.Context) {
			if p.filterRun != id || s.Res != res {
				return // another filter, or another capture, came meanwhile
			}
			s.view, s.Filtering, s.applied = view, false, expr
			if err != nil {
				s.FilterProblem = "some frames could not be read again: " + err.Error()
			}
			s.Rev++
		})
	})
}
