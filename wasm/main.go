// Command wasm is portlens's page, compiled to WebAssembly into web/app.wasm.
package main

import (
	goapp "github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/portlens/portlens/app"
)

func main() {
	app.Routes()
	goapp.RunWhenOnBrowser()
}
