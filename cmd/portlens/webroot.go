package main

import (
	"embed"
	"io/fs"
)

// webroot holds the web directory (app.wasm, styles, icons, samples,
// docs) that `make build` copies into webroot/web, so that serve and build
// work from the binary alone. Without it only webroot/README.md is there.
//
//go:embed webroot
var webroot embed.FS

// embeddedWeb is the web directory built into the binary, or nil when the
// binary was built without it. A variable, so that tests can take it away.
var embeddedWeb = func() fs.FS {
	web, err := fs.Sub(webroot, "webroot/web")
	if err != nil {
		return nil
	}
	if _, err := fs.Stat(web, "app.wasm"); err != nil {
		return nil
	}
	return web
}()
