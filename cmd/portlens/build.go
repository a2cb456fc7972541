package main

import (
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	goapp "github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/portlens/portlens/app"
)

func init() { commands["build"] = runBuild }

func runBuild(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("build", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o siteOptions
	fs.StringVar(&o.Out, "out", "dist", "directory to write the static site to")
	fs.StringVar(&o.Web, "web", "web", "the web directory (app.wasm, icons, styles, samples)")
	fs.StringVar(&o.Base, "base", "", "the sub-path the site will be served under, e.g. /portlens (default: the root of the host)")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if err := buildSite(o); err != nil {
		fmt.Fprintln(stderr, "portlens build:", err)
		return exitUsage
	}
	where := "the root of a host"
	if b := cleanBase(o.Base); b != "" {
		where = b + "/"
	}
	fmt.Fprintf(stdout, "portlens: static site written to %s, to be served at %s\n", o.Out, where)
	return exitOK
}

// siteOptions say what to build and where it will be served.
type siteOptions struct {
	Out, Web string
	Base     string // sub-path, "" for the root
	Version  string // "" for the hash of app.wasm (tests force a new one)
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
	wasm := filepath.Join(o.Web, "app.wasm")
	version, size, err := wasmVersion(wasm)
	if err != nil {
		return fmt.Errorf("%w (run 'make wasm' first)", err)
	}
	if o.Version != "" {
		version = o.Version
	}
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return err
	}
	app.Routes()
	h := app.NewHandler(app.Site{Version: version, WasmSize: size, Base: o.Base})
	if err := goapp.GenerateStaticWebsite(o.Out, h); err != nil {
		return err
	}
	if err := fixManifest(filepath.Join(o.Out, "manifest.webmanifest")); err != nil {
		return err
	}
	if err := copyTree(filepath.Join(o.Out, "web"), o.Web); err != nil {
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

// wasmVersion names a build by its content: the same app.wasm keeps the
// same version, so a rebuild of unchanged code does not empty caches.
func wasmVersion(path string) (string, int64, error) {
	f, err := os.Open(path)
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

func copyTree(dst, src string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if filepath.Ext(path) == ".gz" && compressible(strings.TrimSuffix(path, ".gz")) {
			return nil // stale twins: rebuilt by precompress
		}
		return copyFile(target, path)
	})
}

func copyFile(dst, src string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
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
	out, err := os.Create(path + ".gz")
	if err != nil {
		return err
	}
	zw, _ := gzip.NewWriterLevel(out, gzip.BestCompression)
	_, err = io.Copy(zw, in)
	err = errors.Join(err, zw.Close(), out.Close())
	return err
}
