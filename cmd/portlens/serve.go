package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/portlens/portlens/app"
)

func init() { commands["serve"] = runServe }

func runServe(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8000", "address to listen on (the next free port is tried when the default is taken)")
	out := fs.String("out", "dist", "directory to write the static site to before serving it")
	web := fs.String("web", "web", "the web directory (app.wasm, icons, styles, samples)")
	base := fs.String("base", "", "serve the site under this sub-path, e.g. /portlens, as a project page would be")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	explicit := false
	fs.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "addr" })

	if err := buildSite(siteOptions{Out: *out, Web: *web, Base: *base}); err != nil {
		fmt.Fprintln(stderr, "portlens serve:", err)
		return exitUsage
	}
	ln, err := listen(*addr, !explicit)
	if err != nil {
		fmt.Fprintln(stderr, "portlens serve:", err)
		return exitUsage
	}
	if got := ln.Addr().String(); got != *addr {
		fmt.Fprintf(stdout, "portlens: %s is taken, using %s\n", *addr, got)
	}
	fmt.Fprintf(stdout, "portlens: serving %s at http://%s%s/ (Ctrl-C to stop)\n", *out, ln.Addr(), cleanBase(*base))
	if err := http.Serve(ln, underBase(cleanBase(*base), siteHandler(*out, nil))); err != nil {
		fmt.Fprintln(stderr, "portlens serve:", err)
		return exitUsage
	}
	return exitOK
}

// listen opens addr, or with next the first free port after it.
func listen(addr string, next bool) (net.Listener, error) {
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return nil, err
	}
	for i := 0; ; i++ {
		ln, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(port+i)))
		if err == nil || !next || i == 20 || !errors.Is(err, syscall.EADDRINUSE) {
			return ln, err
		}
	}
}

// underBase serves h under the sub-path base ("" for the root), as a static
// host serves a project page: base itself redirects to base + "/".
func underBase(base string, h http.Handler) http.Handler {
	if base == "" {
		return h
	}
	mux := http.NewServeMux()
	mux.Handle(base+"/", http.StripPrefix(base, h))
	mux.Handle(base, http.RedirectHandler(base+"/", http.StatusMovedPermanently))
	return mux
}

// siteHandler serves the static site in dir as the README asks of a host:
// files as they are, except that a file with a .gz twin is sent compressed
// to browsers that accept gzip, and /embed finds embed.html. Every response
// is revalidated (no-cache), so a rebuild shows at once, and carries the
// CSP header (with frame-ancestors, which the page's meta tag cannot say).
// logf, when set, sees every request (the browser tests record them).
func siteHandler(dir string, logf func(r *http.Request)) http.Handler {
	files := http.FileServer(http.Dir(dir))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if logf != nil {
			logf(r)
		}
		w.Header().Set("Cache-Control", "no-cache")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Content-Security-Policy", app.HeaderCSP)
		w.Header().Set("Referrer-Policy", "strict-origin-when-cross-origin")
		name := path.Clean("/" + r.URL.Path)
		if path.Ext(name) == "" && name != "/" {
			if st, err := os.Stat(filepath.Join(dir, filepath.FromSlash(name)+".html")); err == nil && !st.IsDir() {
				name += ".html"
				r.URL.Path = name
			}
		}
		if strings.HasSuffix(r.URL.Path, "/") {
			name = path.Join(name, "index.html")
		}
		if strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") && !strings.HasSuffix(name, ".gz") {
			gz := filepath.Join(dir, filepath.FromSlash(name)) + ".gz"
			if st, err := os.Stat(gz); err == nil && !st.IsDir() {
				w.Header().Set("Content-Encoding", "gzip")
				w.Header().Set("Vary", "Accept-Encoding")
				if ct := mime.TypeByExtension(path.Ext(name)); ct != "" {
					w.Header().Set("Content-Type", ct)
				}
				http.ServeFile(w, r, gz)
				return
			}
		}
		files.ServeHTTP(w, r)
	})
}
