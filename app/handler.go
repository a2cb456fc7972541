// Package app is portlens's page: go-app components, one per file, in the
// order the page shows them. The same package is compiled twice: to
// WebAssembly (wasm/, the page itself) and natively (cmd/portlens serve and
// build, which write the static site, and the component tests).
package app

import (
	"strconv"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// CSP is the page's Content-Security-Policy: everything from the page's own
// origin, nothing inline, no request anywhere else. connect-src 'self' is
// what makes "the capture never leaves the browser" checkable.
const CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; " +
	"img-src 'self' data: blob:; connect-src 'self'; worker-src 'self'; manifest-src 'self'; " +
	"object-src 'none'; base-uri 'self'; form-action 'none'"

// Routes registers the page's components. Both builds must call it.
func Routes() {
	app.Route("/", func() app.Composer { return &Page{} })
}

// NewHandler describes the site for go-app: every resource local, a fixed
// version (the hash of app.wasm) so caches survive rebuilds of the same
// code, the CSP in a meta tag.
func NewHandler(version string, wasmSize int64) *app.Handler {
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
		Styles:     []string{"/web/portlens.css"},
		RawHeaders: []string{`<meta http-equiv="Content-Security-Policy" content="` + CSP + `">`},
		Version:    version,
		CacheableResources: []string{
			"/web/portlens.css",
		},
	}
	if wasmSize > 0 {
		h.WasmContentLength = strconv.FormatInt(wasmSize, 10)
	}
	return h
}
