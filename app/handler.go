// Package app is portlens's page: go-app components, one per file, in the
// order the page shows them. The same package is compiled twice: to
// WebAssembly (wasm/, the page itself) and natively (cmd/portlens serve and
// build, which write the static site, and the component tests).
package app

import (
	_ "embed"
	"strconv"
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// CSP is the page's Content-Security-Policy: everything from the page's own
// origin, nothing inline, no request anywhere else. connect-src 'self' is
// what makes "the capture never leaves the browser" checkable. A meta tag
// cannot carry frame-ancestors: hosts send it as a header (see FrameAncestors).
const CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; " +
	"img-src 'self' data: blob:; connect-src 'self'; worker-src 'self'; manifest-src 'self'; " +
	"object-src 'none'; base-uri 'self'; form-action 'none'"

// HeaderCSP is the policy a host should send as a header: the meta tag's,
// plus who may put the page in a frame ('self': documentation pages on the
// same site; add the origins of other documentation sites).
const HeaderCSP = CSP + "; frame-ancestors 'self'"

// Routes registers the page's components. Both builds must call it.
// The embed view answers at /embed.html, a real file on every static host,
// and at /embed for hosts that map extensionless paths to .html files.
func Routes() {
	app.Route("/", func() app.Composer { return &Page{} })
	app.Route("/index.html", func() app.Composer { return &Page{} })
	app.Route("/embed", func() app.Composer { return &Page{Embed: true} })
	app.Route("/embed.html", func() app.Composer { return &Page{Embed: true} })
}

// workerJS is the service worker (see the comments in worker.js).
//
//go:embed worker.js
var workerJS string

// Site describes one build of the site.
type Site struct {
	Version  string // names the build: caches are kept while it is unchanged
	WasmSize int64  // app.wasm's size, for the loader's progress when compressed
	Base     string // the sub-path the site is served under ("" or "/" for the root)
}

// Offline lists the files the service worker caches besides go-app's own,
// paths relative to the web directory (samples, the documentation page).
var Offline = []string{"docs.html", "docs.css", "embed-host.js"}

// NewHandler describes the site for go-app: every resource local, a fixed
// version (the hash of app.wasm) so caches survive rebuilds of the same
// code, the CSP in a meta tag, the service worker that works offline under
// a sub-path.
func NewHandler(site Site) *app.Handler {
	cacheable := []string{"/web/portlens.css", "/web/preload.js", "/web/icon.svg", "/embed.html", "/index.html"}
	for _, s := range Samples {
		cacheable = append(cacheable, "/web/samples/"+s.File)
	}
	for _, f := range Offline {
		cacheable = append(cacheable, "/web/"+f)
	}
	h := &app.Handler{
		Name:            "portlens",
		ShortName:       "portlens",
		Title:           "portlens: TCP port reuse in your capture, explained",
		Description:     "Drop a pcap or pcapng file: portlens flags the packets that reuse TCP ports or break ephemeral-port rules, and explains each one. The capture never leaves your browser.",
		Lang:            "en",
		BackgroundColor: "#0f141a",
		ThemeColor:      "#0f141a",
		LoadingLabel:    "Loading portlens {progress}%",
		Icon: app.Icon{
			Default:  "/web/icon-192.png",
			Large:    "/web/icon-512.png",
			Maskable: "/web/icon-512.png",
			SVG:      "/web/icon.svg",
		},
		Styles: []string{"/web/portlens.css"},
		// Runs before the WebAssembly: keeps a file chosen or dropped on
		// the prerendered page until the page takes it (Page.openQueued).
		Scripts: []string{"/web/preload.js"},
		RawHeaders: []string{
			`<meta http-equiv="Content-Security-Policy" content="` + CSP + `">`,
			// app.js fetches app.wasm only once the page is parsed and the
			// scripts have run; asked for here, its download and streaming
			// compile start 150-200 ms sooner (first visit, localhost:
			// interactive 0.87 s instead of 1.06 s, then 0.95 instead of
			// 1.03 s, medians of six runs each).
			// crossorigin: fetch() asks in cors mode, and a preload is used
			// only by a request of the same mode.
			`<link rel="preload" href="` + wasmPath(site.Base) + `" as="fetch" crossorigin="anonymous">`,
		},
		Version:               site.Version,
		CacheableResources:    cacheable,
		ServiceWorkerTemplate: workerJS,
	}
	if base := strings.Trim(site.Base, "/"); base != "" {
		h.Resources = app.PrefixedLocation("/" + base)
	}
	if site.WasmSize > 0 {
		h.WasmContentLength = strconv.FormatInt(site.WasmSize, 10)
	}
	return h
}

// wasmPath is where go-app's app.js fetches app.wasm from, under base.
func wasmPath(base string) string {
	if base = strings.Trim(base, "/"); base != "" {
		return "/" + base + "/web/app.wasm"
	}
	return "/web/app.wasm"
}
