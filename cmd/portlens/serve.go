package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"mime"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/portlens/portlens/app"
)

func init() {
	commands["serve"] = command{runServe, "serve the browser app on this computer"}
}

func runServe(args []string, e env) int {
	fl := newFlags("serve", "", `Build the static site (the browser app) and serve it on this computer, until
interrupted (Ctrl-C).`)
	addr := fl.String("addr", "127.0.0.1:8000", "`address` to listen on; when it is the default and taken, the next free port")
	out := fl.String("out", "", "`directory` to write the site to (default: a temporary directory, removed when serve stops)")
	web := fl.String("web", "", "a web `directory` (app.wasm, icons, styles, samples) to build from instead of the one built into portlens")
	base := fl.String("base", "", "serve the site under this `sub-path`, e.g. /portlens, as a project page would be")
	parents := fl.String("embed-parents", "", embedParentsUsage+"; they may frame it too (frame-ancestors)")
	operands, status, ok := fl.parse(args, e)
	if !ok {
		return status
	}
	if len(operands) > 0 {
		return fl.fail(e, "unexpected argument %q", operands[0])
	}
	o := siteOptions{Out: *out, Web: *web, Base: *base}
	var err error
	if o.EmbedParents, err = app.ParseOrigins(*parents); err != nil {
		return fl.fail(e, "--embed-parents: %v", err)
	}
	explicit := false
	fl.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "addr" })
	if err := serve(e, o, *addr, !explicit); err != nil {
		fmt.Fprintln(e.stderr, "portlens serve:", err)
		return exitUsage
	}
	return exitOK
}

// serve builds the site and serves it until SIGINT or SIGTERM; a
// temporary site directory is removed then.
func serve(e env, o siteOptions, addr string, next bool) error {
	if o.Out == "" {
		dir, err := os.MkdirTemp("", "portlens-site-*")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		o.Out = dir
	}
	if err := buildSite(o); err != nil {
		return err
	}
	ln, err := listen(addr, next)
	if err != nil {
		return err
	}
	if got := ln.Addr().String(); next && got != addr {
		fmt.Fprintf(e.stdout, "portlens: %s is taken, using %s\n", addr, got)
	}
	fmt.Fprintf(e.stdout, "portlens: serving %s at http://%s%s/ (Ctrl-C to stop)\n", o.Out, ln.Addr(), cleanBase(o.Base))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	srv := &http.Server{Handler: underBase(cleanBase(o.Base), siteHandlerFor(o.Out, o.EmbedParents, nil))}
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	fmt.Fprintln(e.stdout, "portlens: stopped")
	return nil
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

// siteHandler serves a site built without -embed-parents: only its own
// pages may frame the embed.
func siteHandler(dir string, logf func(r *http.Request)) http.Handler {
	return siteHandlerFor(dir, nil, logf)
}

// frameAncestors is the CSP a host sends for a site whose embed posts to
// the pages of parents (-embed-parents): those pages may frame it, besides
// the site's own.
func frameAncestors(parents []string) string {
	return app.CSP + "; frame-ancestors " + strings.Join(append([]string{"'self'"}, parents...), " ")
}

// siteHandlerFor serves the static site in dir as the README asks of a host:
// files as they are, except that a file with a .gz twin is sent compressed
// to browsers that accept gzip, and /embed finds embed.html. Every response
// is revalidated (no-cache), so a rebuild shows at once, and carries the
// CSP header (with frame-ancestors, which the page's meta tag cannot say:
// the site's own pages and those of parents).
// logf, when set, sees every request (the browser tests record them).
func siteHandlerFor(dir string, parents []string, logf func(r *http.Request)) http.Handler {
	files := http.FileServer(http.Dir(dir))
	csp := frameAncestors(parents)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if logf != nil {
			logf(r)
		}
		w.Header().Set("Cache-Control", "no-cache")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Content-Security-Policy", csp)
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
