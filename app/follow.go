package app

import (
	"strconv"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// Follow conversation: the packet list shows only the selected frame's TCP
// stream, as Wireshark's "Follow TCP Stream" filters its list. The filter
// that does it is followFilter's, the one place that spells it; following
// again, or Esc, goes back to the filter from before.

const (
	actionFollow   = "follow"   // value: frame number
	actionUnfollow = "unfollow" //
)

// followState remembers what following replaced.
type followState struct {
	before   Filter // the filter before following
	followed Filter // the filter following set
}

// handleFollow registers the follow actions (called from OnMount).
func (p *Page) handleFollow(ctx app.Context) {
	ctx.Handle(actionFollow, func(ctx app.Context, a app.Action) {
		if n, ok := a.Value.(int); ok {
			p.follow(ctx, n)
		}
	})
	ctx.Handle(actionUnfollow, func(ctx app.Context, a app.Action) { p.unfollow(ctx) })
}

// follow shows only the packets of frame n's TCP stream, with frame n
// selected; when the list already shows only them, it goes back.
func (p *Page) follow(ctx app.Context, n int) {
	s := &p.s
	if s.Res == nil || n < 1 || n > s.Res.Frames.Len() {
		return
	}
	st := s.Res.Frames.Stream(n)
	if st < 0 {
		return // not TCP: no stream to follow
	}
	f := followFilter(st)
	if s.Filter == f {
		p.unfollow(ctx)
		return
	}
	p.follows = followState{before: s.Filter, followed: f}
	s.Filter = f
	s.Selected = n
	s.Tab = TabPackets
	p.refilter(ctx)
}

// unfollow goes back to the filter from before following; with any other
// filter on, it clears it. The selection stays.
func (p *Page) unfollow(ctx app.Context) {
	s := &p.s
	if s.Res == nil || !s.Filter.Active() {
		return
	}
	f := Filter{}
	if s.Filter == p.follows.followed {
		f = p.follows.before
	}
	p.follows = followState{}
	s.Filter = f
	p.refilter(ctx)
}

// followButton is the detail pane's "Follow" for frame n: it follows the
// frame's stream, or goes back when the list already shows only it.
func followButton(s *State, n int) app.UI {
	st := s.Res.Frames.Stream(n)
	if st < 0 {
		return app.Text("")
	}
	label, title := "Follow TCP stream "+strconv.Itoa(st), "Show only this conversation's packets (key f)"
	if s.Filter == followFilter(st) {
		label, title = "Stop following stream "+strconv.Itoa(st), "Back to the packets of the filter before following (key f or Esc)"
	}
	return app.Button().ID("follow").Class("button small").Title(title).DataSet("stream", st).
		OnClick(func(ctx app.Context, e app.Event) { ctx.NewActionWithValue(actionFollow, n) }, app.EventScope(n, st)).
		Text(label)
}
