// Command wasm is portlens's page, compiled to WebAssembly into web/app.wasm.
package main

import (
	"runtime/debug"

	goapp "github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/portlens/portlens/app"
)

func main() {
	// A tab's wasm memory only grows: its peak is what the tab keeps.
	// The analysis' heap is mostly live, pointer-free columns that cost
	// the collector little to mark, so collecting at a quarter of the
	// live size over it (not all of it, Go's default) keeps the peak near
	// what is live for a few more, cheap, collections.
	debug.SetGCPercent(25)
	app.Routes()
	goapp.RunWhenOnBrowser()
}
