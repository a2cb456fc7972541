package app

import (
	"math"
	"strconv"
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// EmbedView is the embed's content: a line about the capture, the packet
// list, and the selected frame's flags with their explanations. No top bar,
// no tabs, no settings: a documentation page frames it around its prose.
type EmbedView struct {
	app.Compo
	S    *State
	Rev  int
	View string // EmbedParams.View
}

func (c *EmbedView) Render() app.UI {
	s := c.S
	return app.Div().Class("embed-body").Body(
		c.renderHead(),
		app.If(s.Phase == PhaseError && s.Res == nil, func() app.UI {
			return app.P().ID("embed-error").Class("embed-error").Attr("role", "alert").Text(sentence(s.Notice))
		}),
		app.If(s.Phase == PhaseReading || (s.Phase == PhaseIdle && s.File != ""), func() app.UI {
			return app.P().Class("embed-reading").Attr("role", "status").Text("Reading " + s.File + " in this tab…")
		}),
		app.If(s.Res != nil, func() app.UI {
			return app.Div().Class("embed-results").Body(
				app.If(s.Res.Error != "", func() app.UI { return &ErrorBanner{S: s, Rev: s.Rev} }),
				app.If(c.View == TabFindings, func() app.UI { return &EmbedFinding{S: s, Rev: s.Rev} }),
				&PacketList{S: s, Rev: s.Rev},
				&Detail{S: s, Rev: s.Rev, RowsRev: s.RowsRev, Compact: true},
			)
		}),
	)
}

func (c *EmbedView) renderHead() app.UI {
	s := c.S
	facts := ""
	if s.Res != nil {
		facts = plural(s.Res.Packets, "packet", "packets") + " · " + plural(len(s.Res.Flags()), "flag", "flags") +
			" · " + s.Settings.Effective().Label + " preset"
		if s.Filter.Active() {
			facts += " · filter: " + s.Filter.Text
		}
	}
	return app.Header().Class("embed-head").Body(
		app.Img().Src("web/icon.svg").Alt("").Class("logo").Width(18).Height(18),
		app.Strong().Class("file-name").Text(s.File),
		app.Span().ID("embed-facts").Class("facts").Text(facts),
		app.Span().Class("by").Body(lockIcon(), app.Text(" portlens · analyzed in your browser")),
	)
}

// sentence starts a message with a capital letter, for display.
func sentence(msg string) string {
	if msg == "" || msg[0] < 'a' || msg[0] > 'z' {
		return msg
	}
	return string(msg[0]-'a'+'A') + msg[1:]
}

// renderEmbed is the page in embed mode: the same root element and data-*
// attributes as the app, with the embed's content.
func (p *Page) renderEmbed() app.UI {
	s := &p.s
	flags := 0
	if s.Res != nil {
		flags = len(s.Res.Flags())
	}
	return app.Div().ID("portlens").Class("page embed").
		DataSet("state", s.Phase).
		DataSet("packets", strconv.Itoa(s.Packets)).
		DataSet("flags", strconv.Itoa(flags)).
		Body(&EmbedView{S: s, Rev: s.Rev, View: p.embed.View})
}

// watchSize posts the embed's height to the framing page whenever it
// changes (rows load, a flag is selected).
func (p *Page) watchSize(ctx app.Context) {
	ro := app.Window().Get("ResizeObserver")
	if !ro.Truthy() || !framed() {
		return
	}
	ctx.Defer(func(ctx app.Context) {
		root := app.Window().GetElementByID("portlens")
		if !root.Truthy() {
			return
		}
		cb := app.FuncOf(func(this app.Value, args []app.Value) any {
			ctx.Dispatch(func(ctx app.Context) {
				ctx.PreventUpdate()
				p.post()
			})
			return nil
		})
		ro.New(cb).Call("observe", root)
	})
}

// framed reports whether the page is in a frame.
func framed() bool {
	win := app.Window()
	return !win.Get("parent").Equal(win.JSValue())
}

// parentOrigin is the origin of the framing page, "" when unknown (from
// location.ancestorOrigins, or the referrer where browsers lack it). It
// only chooses where to post: postMessage's target origin makes the
// browser deliver to a parent on exactly that origin, so a wrong guess
// loses the message, never leaks it.
func parentOrigin() string {
	win := app.Window()
	if ao := win.Get("location").Get("ancestorOrigins"); ao.Truthy() && ao.Length() > 0 {
		return ao.Index(0).String()
	}
	ref := win.Get("document").Get("referrer").String()
	if ref == "" {
		return ""
	}
	defer func() { _ = recover() }()
	return win.Get("URL").New(ref).Get("origin").String()
}

// embedParents are the origins besides the site's own that the embed
// posts to (`portlens build -embed-parents`, carried in app.js).
func embedParents() []string {
	return strings.Fields(app.Getenv(EmbedParentsEnv))
}

// refusedPost marks lastPost when the parent is not allowed: the console
// says so once, so that a documentation author sees why no message comes.
const refusedPost = "refused"

// post sends the embed's state and height to the framing page, when
// something changed since the last message, and only to a page of this
// site or of an origin -embed-parents named: any site can frame the embed
// where the host sends no frame-ancestors, and the summary describes a
// capture.
func (p *Page) post() {
	if !framed() {
		return
	}
	origin := parentOrigin()
	root := app.Window().GetElementByID("portlens")
	if origin == "" || origin == "null" || !root.Truthy() {
		return
	}
	if !AllowedParent(origin, app.Window().Get("location").Get("origin").String(), embedParents()) {
		if p.lastPost != refusedPost {
			p.lastPost = refusedPost
			app.Window().Get("console").Call("warn", "portlens: the embed posts no message to "+origin+
				": only to this site's pages and those the site was built for (portlens build -embed-parents)")
		}
		return
	}
	h := int(math.Ceil(root.Call("getBoundingClientRect").Get("height").Float()))
	m := p.message(h)
	key := m.State + "/" + strconv.Itoa(m.Height) + "/" + strconv.Itoa(m.Frame)
	if key == p.lastPost {
		return
	}
	p.lastPost = key
	app.Window().Get("parent").Call("postMessage", m.js(), origin)
}

// js is the message as a JavaScript object.
func (m EmbedMessage) js() map[string]any {
	kinds := map[string]any{}
	for k, n := range m.Kinds {
		kinds[k] = n
	}
	return map[string]any{
		"type": m.Type, "version": m.Version, "state": m.State, "height": m.Height,
		"file": m.File, "packets": m.Packets, "flags": m.Flags, "kinds": kinds,
		"frame": m.Frame, "summary": m.Summary, "error": m.Error,
	}
}
