package app

import (
	"html"
	"strconv"
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// Share offers the iframe snippet that embeds what is on screen (the
// capture, the selected frame, the filter, the preset) in a documentation
// page. A file from this computer was never uploaded: the snippet then
// names it, and the note says it must be published next to the page.
type Share struct {
	app.Compo
	S   *State
	Rev int

	open   bool
	copied bool
}

// SharedParams are the embed parameters for what the state shows.
func SharedParams(s *State) EmbedParams {
	prm := EmbedParams{Src: s.Src, Frame: s.Selected, OS: s.Settings.Preset}
	if s.Tab == TabFindings {
		prm.View = TabFindings
	}
	if prm.Src == "" {
		prm.Src = s.File
	}
	if s.Filter.Active() && s.Filter.Problem() == "" {
		prm.Filter = s.Filter.Expr() // one display filter: the text and the buttons
	}
	return prm
}

// EmbedSnippet is the HTML a documentation page pastes: the iframe, and
// the optional script that sizes it from the embed's messages. site is the
// site's URL ending in "/" (origin and sub-path).
func EmbedSnippet(site string, prm EmbedParams, title string) string {
	src := site + "embed.html?" + prm.Query()
	return `<iframe src="` + html.EscapeString(src) + `" title="` + html.EscapeString(title) +
		`" width="100%" height="460" loading="lazy"></iframe>` + "\n" +
		`<script src="` + html.EscapeString(site+"web/embed-host.js") + `" defer></script>`
}

// siteURL is the site's URL: origin and sub-path, ending in "/".
func siteURL() string {
	origin := app.Window().Get("location").Get("origin").String()
	return origin + strings.TrimRight(app.Getenv("GOAPP_ROOT_PREFIX"), "/") + "/"
}

func (c *Share) Render() app.UI {
	btn := app.Button().ID("share-button").Class("button small").Aria("expanded", c.open).Aria("controls", "share-panel").
		Text("Share / Embed").
		OnClick(func(ctx app.Context, e app.Event) { c.open, c.copied = !c.open, false })
	if !c.open {
		return app.Span().Class("share").Body(btn)
	}
	s := c.S
	prm := SharedParams(s)
	title := "portlens: " + s.File
	if prm.Frame > 0 {
		title += ", frame " + strconv.Itoa(prm.Frame)
	}
	snippet := EmbedSnippet(siteURL(), prm, title)
	return app.Span().Class("share").Body(
		btn,
		app.Section().ID("share-panel").Class("share-panel").Aria("label", "Share or embed this view").Body(
			app.H3().Text("Embed this view in a documentation page"),
			app.If(s.Src == "", func() app.UI {
				return app.P().ID("share-note").Class("share-note").Text("This capture came from your computer and was not uploaded anywhere. " +
					"For the embed to show it, publish " + s.File + " on this site, next to your page, and set src to its URL " +
					"(relative to embed.html, or starting with /). The embed reads captures from this site only.")
			}),
			app.Label().For("share-snippet").Class("visually-hidden").Text("HTML to paste"),
			app.Textarea().ID("share-snippet").Class("snippet").ReadOnly(true).Rows(4).Attr("spellcheck", "false").Text(snippet),
			app.Div().Class("share-actions").Body(
				app.Button().ID("share-copy").Class("button small primary").Text("Copy").
					OnClick(func(ctx app.Context, e app.Event) {
						if cb := app.Window().Get("navigator").Get("clipboard"); cb.Truthy() {
							cb.Call("writeText", snippet)
							c.copied = true
						}
					}, app.EventScope(snippet)),
				app.A().Href(siteURL()+"embed.html?"+prm.Query()).Target("_blank").Attr("rel", "noopener").Text("Open the embed"),
				app.If(c.copied, func() app.UI { return app.Span().Class("ok").Attr("role", "status").Text("Copied") }),
			),
			app.P().Class("hint").Text("The embed reports its height to your page; the script line sizes the frame. "+
				"Your host must allow your documentation's origin in the Content-Security-Policy frame-ancestors header."),
		),
	)
}
