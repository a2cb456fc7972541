package app

import (
	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// A new version of the site is installed by the service worker in the
// background and then waits (see worker.js): the page says so, and the
// user chooses when to switch, never in the middle of an analysis.

// updateState is the page's knowledge of a waiting new version.
type updateState struct {
	ready     bool // a new version is installed and waiting
	requested bool // the user asked for it: reload when it takes over
}

// watchUpdates shows the banner when a new version is waiting, now or later.
func (p *Page) watchUpdates(ctx app.Context) {
	sw := app.Window().Get("navigator").Get("serviceWorker")
	if !sw.Truthy() {
		return
	}
	ready := func() {
		ctx.Dispatch(func(ctx app.Context) { p.update.ready = true })
	}
	sw.Call("addEventListener", "controllerchange", app.FuncOf(func(this app.Value, args []app.Value) any {
		if p.update.requested { // not on the first install, which also takes over
			app.Window().Get("location").Call("reload")
		}
		return nil
	}))
	sw.Get("ready").Then(func(reg app.Value) {
		waiting := func() bool { return reg.Get("waiting").Truthy() && sw.Get("controller").Truthy() }
		if waiting() {
			ready()
		}
		reg.Call("addEventListener", "updatefound", app.FuncOf(func(this app.Value, args []app.Value) any {
			nw := reg.Get("installing")
			if !nw.Truthy() {
				return nil
			}
			nw.Call("addEventListener", "statechange", app.FuncOf(func(this app.Value, args []app.Value) any {
				if nw.Get("state").String() == "installed" && waiting() {
					ready()
				}
				return nil
			}))
			return nil
		}))
	})
}

// UpdateBanner announces a new version; its button switches to it.
type UpdateBanner struct {
	app.Compo
}

func (c *UpdateBanner) Render() app.UI {
	return app.Div().ID("update").Class("update-banner").Attr("role", "status").Body(
		app.Span().Text("Update available: a new version of portlens is ready. "),
		app.Button().ID("update-reload").Class("button small primary").Text("Reload").
			OnClick(func(ctx app.Context, e app.Event) { ctx.NewAction(actionUpdate) }),
		app.Span().Class("hint").Text(" (the capture on screen will have to be opened again)"),
	)
}

// applyUpdate tells the waiting worker to take over; controllerchange then
// reloads the page.
func (p *Page) applyUpdate() {
	p.update.requested = true
	sw := app.Window().Get("navigator").Get("serviceWorker")
	sw.Get("ready").Then(func(reg app.Value) {
		if w := reg.Get("waiting"); w.Truthy() {
			w.Call("postMessage", map[string]any{"type": "portlens:activate"})
		} else {
			app.Window().Get("location").Call("reload")
		}
	})
}
