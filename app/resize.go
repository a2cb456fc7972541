package app

import "github.com/maxence-charriere/go-app/v10/pkg/app"

// resizeWatch tells a virtual list that its viewport changed size. On
// wide screens the panes share the window: opening the rules panel, or a
// banner, resizes the list with no window resize (OnResize), and the rows
// that fit must be counted again.
type resizeWatch struct {
	obs app.Value
	fn  app.Func
}

// watch calls f (on the UI goroutine) whenever the element id changes size.
func (w *resizeWatch) watch(ctx app.Context, id string, f func(ctx app.Context)) {
	ro := app.Window().Get("ResizeObserver")
	if w.fn != nil || !ro.Truthy() {
		return
	}
	w.fn = app.FuncOf(func(this app.Value, args []app.Value) any {
		ctx.Dispatch(f)
		return nil
	})
	w.obs = ro.New(w.fn)
	ctx.Defer(func(ctx app.Context) {
		if el := app.Window().GetElementByID(id); el.Truthy() {
			w.obs.Call("observe", el)
		}
	})
}

// stop ends the watch (OnDismount).
func (w *resizeWatch) stop() {
	if w.fn != nil {
		w.obs.Call("disconnect")
		w.fn.Release()
		w.fn = nil
	}
}
