package app

import (
	"errors"
	"fmt"
	"net/url"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/portlens/portlens/analyzer/rules"
)

// EmbedParams are the embed view's URL parameters:
//
//	src     a built-in sample's name, or the URL of a capture on this site
//	        (relative to the embed page, or absolute on the same origin)
//	frame   the frame to select and explain (default: the first flag)
//	filter  the packet list's filter, as typed in the app's filter box
//	os      the preset the rules judge against (linux, windows, ..., auto)
//	view    "findings": the top finding above the list, filtered to it
type EmbedParams struct {
	Src    string
	Frame  int
	Filter string
	OS     string
	View   string
}

// ParseEmbedParams reads the parameters from a query.
func ParseEmbedParams(q url.Values) EmbedParams {
	prm := EmbedParams{Src: q.Get("src"), Filter: q.Get("filter"), OS: q.Get("os"), View: q.Get("view")}
	prm.Frame, _ = strconv.Atoi(q.Get("frame"))
	return prm
}

// Query writes the parameters back, in a fixed order, empty ones left out.
func (prm EmbedParams) Query() string {
	var parts []string
	add := func(k, v string) {
		if v != "" {
			parts = append(parts, k+"="+url.QueryEscape(v))
		}
	}
	add("src", prm.Src)
	if prm.Frame > 0 {
		add("frame", strconv.Itoa(prm.Frame))
	}
	add("filter", prm.Filter)
	add("os", prm.OS)
	add("view", prm.View)
	return strings.Join(parts, "&")
}

// SampleNamed finds the built-in sample src names: its file name, or
// samples/NAME, or web/samples/NAME.
func SampleNamed(src string) (Sample, bool) {
	name := strings.TrimPrefix(strings.TrimPrefix(strings.TrimPrefix(src, "./"), "web/"), "samples/")
	for _, s := range Samples {
		if s.File == name {
			return s, true
		}
	}
	return Sample{}, false
}

// validPreset reports whether os names a preset (or auto).
func validPreset(os string) bool {
	if os == "auto" {
		return true
	}
	_, ok := rules.LookupPreset(os)
	return ok
}

// errNoSrc is the embed without a capture.
var errNoSrc = errors.New("no capture to show: the embed's URL needs src=, the name of a built-in sample or the URL of a capture on this site")

// SameOrigin checks a resolved capture URL against the page's origin: only
// http(s) on exactly the page's scheme, host and port is read. The caller
// resolves with the browser's own URL parser, so that what is checked is
// exactly what would be fetched (the browser reads "/\evil" as "//evil").
func SameOrigin(resolvedOrigin, protocol, pageOrigin, src string) error {
	if protocol != "http:" && protocol != "https:" {
		return fmt.Errorf("refused to read %q: portlens reads only captures published on this site (%s), over http or https", src, pageOrigin)
	}
	if resolvedOrigin != pageOrigin {
		return fmt.Errorf("refused to read %q: it is on %s, not on this site (%s). portlens never fetches from another origin: publish the capture next to this page", src, resolvedOrigin, pageOrigin)
	}
	return nil
}

// resolveSrc turns src into the URL to fetch, with the browser's URL parser.
func resolveSrc(src string) (href string, err error) {
	win := app.Window()
	defer func() {
		if r := recover(); r != nil { // new URL() throws on what it cannot parse
			href, err = "", fmt.Errorf("refused to read %q: not a URL", src)
		}
	}()
	u := win.Get("URL").New(src, win.Get("document").Get("baseURI"))
	origin := win.Get("location").Get("origin").String()
	if err := SameOrigin(u.Get("origin").String(), u.Get("protocol").String(), origin, src); err != nil {
		return "", err
	}
	return u.Get("href").String(), nil
}

// CaptureHeader marks the page's requests for a capture (a sample, an
// embed's src): the service worker keeps those responses for offline use,
// and no other request it has not listed (see worker.js).
const CaptureHeader = "Portlens-Capture"

// errRedirect refuses a capture the site answers with a redirect. The page
// cannot see where a redirect points (fetch hands it over opaque), and
// following it could send the request to another origin, so none is
// followed, on this site either.
func errRedirect(url string) error {
	return fmt.Errorf("refused to read %q: the site answers it with a redirect, and portlens follows none "+
		"(one could lead to another origin): give the capture's own URL on this site", url)
}

// fetchBlob fetches a same-origin capture (a built-in sample, an embed's
// src) as a Blob. Redirects are not followed but refused: without this a
// service worker, which the page's CSP does not bind, would follow one to
// another origin on the page's behalf.
func fetchBlob(url string) (app.Value, error) {
	resp, err := await(app.Window().Call("fetch", url, map[string]any{
		"redirect":    "manual",
		"credentials": "same-origin",
		"headers":     map[string]any{CaptureHeader: "read"},
	}))
	if err != nil {
		return nil, err
	}
	if resp.Get("type").String() == "opaqueredirect" {
		return nil, errRedirect(url)
	}
	if !resp.Get("ok").Bool() {
		return nil, errors.New(url + ": HTTP " + strconv.Itoa(resp.Get("status").Int()))
	}
	return await(resp.Call("blob"))
}

// startEmbed reads the URL's parameters and opens the capture they name.
func (p *Page) startEmbed(ctx app.Context) {
	p.embed = ParseEmbedParams(ctx.Page().URL().Query())
	prm := p.embed
	if validPreset(prm.OS) {
		p.s.Settings.Preset = prm.OS
	}
	p.watchSize(ctx)
	if prm.Src == "" {
		p.refuse(ctx, errNoSrc)
		return
	}
	if s, ok := SampleNamed(prm.Src); ok {
		p.openURL(ctx, s.File, s.File, ctx.ResolveStaticResource("/web/samples/"+s.File))
		return
	}
	href, err := resolveSrc(prm.Src)
	if err != nil {
		p.refuse(ctx, err)
		return
	}
	name := path.Base(strings.SplitN(strings.SplitN(href, "?", 2)[0], "#", 2)[0])
	p.openURL(ctx, name, prm.Src, href)
}

// refuse shows why the embed reads nothing.
func (p *Page) refuse(ctx app.Context, err error) {
	p.s.Phase = PhaseError
	p.s.Notice = err.Error()
	p.s.Rev++
	p.announce(ctx)
}

// presetView applies the embed's filter and frame to a finished analysis.
func (p *Page) presetView() {
	s := &p.s
	if p.embed.View == TabFindings && p.embed.Filter == "" && hasFindings(s) {
		s.Filter = Filter{Text: findingTerm(0)}
		s.applyFilter()
		if p.embed.Frame == 0 {
			s.Selected = int(s.Res.Verdict.Findings()[0].FirstFrame)
		}
	}
	if p.embed.Filter != "" {
		s.Filter = Filter{Text: p.embed.Filter}
		s.applyFilter()
	}
	if n := p.embed.Frame; n > 0 && s.Res != nil && n <= s.Res.Frames.Len() {
		if s.IndexOf(n) < 0 {
			s.Filter = Filter{}
			s.applyFilter()
		}
		s.Selected = n
	}
}

// EmbedMessage is what the embed posts to the page that frames it, when
// its state or its height changes (documented in the README).
type EmbedMessage struct {
	Type    string         `json:"type"` // always "portlens:embed"
	Version int            `json:"version"`
	State   string         `json:"state"`  // reading, done, error
	Height  int            `json:"height"` // CSS pixels the frame needs
	File    string         `json:"file"`
	Packets int            `json:"packets"`
	Flags   int            `json:"flags"`
	Kinds   map[string]int `json:"kinds"`
	Frame   int            `json:"frame"`
	Summary string         `json:"summary"` // one line, for a caption or a screen reader
	Error   string         `json:"error"`
}

// message describes the embed's state now.
func (p *Page) message(height int) EmbedMessage {
	s := &p.s
	m := EmbedMessage{Type: "portlens:embed", Version: 1, State: s.Phase, Height: height,
		File: s.File, Packets: s.Packets, Frame: s.Selected, Kinds: map[string]int{}, Error: s.Notice}
	if s.Res != nil {
		m.Flags = len(s.Res.Flags())
		for k, n := range s.Res.FlagCounts() {
			m.Kinds[k.String()] = n
		}
		if s.Res.Error != "" {
			m.Error = s.Res.Error
		}
	}
	var first string
	if s.Res != nil && s.Selected > 0 {
		if lo, hi := s.Res.Verdict.Of(s.Selected); hi > lo {
			first = s.Res.Verdict.Explain(lo).Message
		}
	}
	m.Summary = embedSummary(m, first)
	return m
}

// embedSummary is the message's one-line summary.
// firstFlag is the message of the selected frame's first flag, "" if none.
func embedSummary(m EmbedMessage, firstFlag string) string {
	if m.State == PhaseError && m.Packets == 0 {
		return "portlens: " + m.Error
	}
	if m.State == PhaseReading || m.State == PhaseIdle {
		return "portlens: reading " + m.File
	}
	kinds := make([]string, 0, len(m.Kinds))
	for k := range m.Kinds {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for i, k := range kinds {
		kinds[i] = k + " " + strconv.Itoa(m.Kinds[k])
	}
	out := fmt.Sprintf("%s: %s, %s", m.File, plural(m.Packets, "packet", "packets"), plural(m.Flags, "flag", "flags"))
	if len(kinds) > 0 {
		out += " (" + strings.Join(kinds, ", ") + ")"
	}
	if m.Frame > 0 {
		out += fmt.Sprintf("; frame %d", m.Frame)
		if firstFlag != "" {
			out += ": " + firstFlag
		}
	}
	return out
}
