package main

import (
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	goapp "github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/portlens/portlens/app"
)

func init() {
	commands["build"] = command{runBuild, "write the static site (the browser app) to a directory"}
}

func runBuild(args []string, e env) int {
	fl := newFlags("build", "", `Write the static site (the browser app) to a directory, for any static host.`)
	var o siteOptions
	fl.StringVar(&o.Out, "out", "dist", "`directory` to write the static site to")
	fl.StringVar(&o.Web, "web", "", "a web `directory` (app.wasm, icons, styles, samples) to build from instead of the one built into portlens")
	fl.StringVar(&o.Base, "base", "", "the `sub-path` the site will be served under, e.g. /portlens (default: the root of the host)")
	parents := fl.String("embed-parents", "", embedParentsUsage)
	operands, status, ok := fl.parse(args, e)
	if !ok {
		return status
	}
	if len(operands) > 0 {
		return fl.fail(e, "unexpected argument %q (the directory is given with --out)", operands[0])
	}
	var err error
	if o.EmbedParents, err = app.ParseOrigins(*parents); err != nil {
		return fl.fail(e, "--embed-parents: %v", err)
	}
	if err := buildSite(o); err != nil {
		fmt.Fprintln(e.stderr, "portlens build:", err)
		return exitUsage
	}
	where := "the root of a host"
	if b := cleanBase(o.Base); b != "" {
		where = b + "/"
	}
	fmt.Fprintf(e.stdout, "portlens: static site written to %s, to be served at %s\n", o.Out, where)
	return exitOK
}

// embedParentsUsage is the help of build's and serve's -embed-parents.
const embedParentsUsage = "`origins` (scheme://host[:port], separated by commas) of the pages on other sites that may " +
	"receive the embed's messages (default: the site's own pages only)"

// siteOptions say what to build and where it will be served.
type siteOptions struct {
	Out     string
	Web     string // a web directory; "" for the one built into the binary
	Base    string // sub-path, "" for the root
	Version string // "" for the hash of app.wasm (tests force a new one)
	// EmbedParents are the origins, besides the site's own, of the pages
	// the embed posts its messages to (app.ParseOrigins writes them).
	EmbedParents []string
}

// errNoSite says how to get a binary that can build the site.
var errNoSite = errors.New("this portlens was built without the browser app: build it with 'make build' " +
	"(it copies web/ and app.wasm into the binary), or give a web directory with --web")

// webFS is the web directory the site is built from.
func (o siteOptions) webFS() (fs.FS, error) {
	if o.Web != "" {
		return os.DirFS(o.Web), nil
	}
	if embeddedWeb == nil {
		return nil, errNoSite
	}
	return embeddedWeb, nil
}

// cleanBase is the sub-path as "/a/b", or "" for the root.
func cleanBase(base string) string {
	if b := strings.Trim(base, "/"); b != "" {
		return "/" + b
	}
	return ""
}

// buildSite writes the static site: go-app's pages and scripts, a copy of
// the web directory, and a .gz twin of every compressible file.
func buildSite(o siteOptions) error {
	web, err := o.webFS()
	if err != nil {
		return err
	}
	version, size, err := wasmVersion(web)
	if err != nil {
		if o.Web != "" {
			err = fmt.Errorf("%s: %w (run 'make wasm' first)", o.Web, err)
		}
		return err
	}
	if len(o.EmbedParents) > 0 {
		// app.js carries the list: another list is another version, or
		// the service worker would go on answering with the old app.js.
		version = shortHash(version + " " + strings.Join(o.EmbedParents, " "))
	}
	if o.Version != "" {
		version = o.Version
	}
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return err
	}
	app.Routes()
	h := app.NewHandler(app.Site{Version: version, WasmSize: size, Base: o.Base})
	h.Env = map[string]string{app.EmbedParentsEnv: strings.Join(o.EmbedParents, " ")}
	if err := goapp.GenerateStaticWebsite(o.Out, h); err != nil {
		return err
	}
	if err := fixManifest(filepath.Join(o.Out, "manifest.webmanifest")); err != nil {
		return err
	}
	if err := fixPages(o.Out); err != nil {
		return err
	}
	if err := copyTree(filepath.Join(o.Out, "web"), web); err != nil {
		return err
	}
	return precompress(o.Out)
}

// fixManifest makes the manifest's scope and start URL relative to the
// manifest itself: go-app writes scope "/" and a start URL without the
// trailing slash, which under a sub-path is outside the service worker's
// scope (and so not available offline).
func fixManifest(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	m["id"], m["scope"], m["start_url"] = "./", "./", "./"
	out, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(out, '\n'), 0o644)
}

// fixPages removes the meta tags go-app writes that would be wrong: with
// no domain to resolve them against, og:url is "https:///index.html" and
// og:image "https://", and the author is empty. A site can be hosted
// anywhere, so they are left out rather than guessed; og:title,
// og:description and og:type stay.
func fixPages(dir string) error {
	pages, err := filepath.Glob(filepath.Join(dir, "*.html"))
	if err != nil {
		return err
	}
	for _, page := range pages {
		data, err := os.ReadFile(page)
		if err != nil {
			return err
		}
		fixed := metaTag.ReplaceAllFunc(data, func(tag []byte) []byte {
			if brokenMeta(string(tag)) {
				return nil
			}
			return tag
		})
		if err := os.WriteFile(page, fixed, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// metaTag is one <meta> tag on a line of its own, as go-app writes them
// (attributes in any order).
var metaTag = regexp.MustCompile(`(?m)^[ \t]*<meta [^>]*>\n`)

// brokenMeta reports whether a meta tag is empty or points nowhere.
func brokenMeta(tag string) bool {
	switch {
	case strings.Contains(tag, `name="author"`):
		return !strings.Contains(tag, `content="`) || strings.Contains(tag, `content=""`)
	case strings.Contains(tag, `property="og:url"`), strings.Contains(tag, `property="og:image"`):
		return strings.Contains(tag, `content="https:///`) || strings.Contains(tag, `content="https://"`)
	}
	return false
}

// wasmVersion names a build by its content: the same app.wasm keeps the
// same version, so a rebuild of unchanged code does not empty caches.
func wasmVersion(web fs.FS) (string, int64, error) {
	f, err := web.Open("app.wasm")
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil))[:16], n, nil
}

// shortHash names a build by a string, as wasmVersion names it by app.wasm.
func shortHash(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])[:16]
}

// copyTree copies the web directory src into dst.
func copyTree(dst string, src fs.FS) error {
	return fs.WalkDir(src, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		target := filepath.Join(dst, filepath.FromSlash(path))
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if filepath.Ext(path) == ".gz" && compressible(strings.TrimSuffix(path, ".gz")) {
			return nil // stale twins: rebuilt by precompress
		}
		return copyFile(target, src, path)
	})
}

func copyFile(dst string, src fs.FS, name string) error {
	in, err := src.Open(name)
	if err != nil {
		return err
	}
	defer in.Close()
	return writeAtomic(dst, func(w io.Writer) error {
		_, err := io.Copy(w, in)
		return err
	})
}

// writeAtomic writes a file through a temporary one renamed into place: a
// host serving the directory while the site is rebuilt over it (or a
// service worker caching a new version at that moment) gets the old file
// or the new one, never half of app.wasm.
func writeAtomic(path string, write func(w io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	err = errors.Join(write(tmp), tmp.Close())
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
	}
	return err
}

// compressible files get a .gz twin. Captures are left alone: a .pcap.gz
// is a capture of its own, which the page reads as such.
func compressible(path string) bool {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".wasm", ".js", ".css", ".html", ".svg", ".json", ".webmanifest", ".txt":
		return true
	}
	return false
}

// precompress writes NAME.gz next to every compressible file of the site
// over 1 KiB, for hosts that serve precompressed files (nginx gzip_static,
// portlens serve). Brotli would save a quarter more on app.wasm but needs a
// dependency; gzip is in the standard library.
func precompress(dir string) error {
	return filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !compressible(path) {
			return err
		}
		if st, err := d.Info(); err != nil || st.Size() < 1024 {
			return err
		}
		return gzipFile(path)
	})
}

// gzipFile writes path.gz, served to browsers that accept gzip.
func gzipFile(path string) error {
	in, err := os.Open(path)
	if err != nil {
		return err
	}
	defer in.Close()
	return writeAtomic(path+".gz", func(w io.Writer) error {
		zw, _ := gzip.NewWriterLevel(w, gzip.BestCompression)
		_, err := io.Copy(zw, in)
		return errors.Join(err, zw.Close())
	})
}
