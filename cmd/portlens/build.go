package main

import (
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	goapp "github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/portlens/portlens/app"
)

func init() { commands["build"] = runBuild }

func runBuild(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("build", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "dist", "directory to write the static site to")
	web := fs.String("web", "web", "the web directory (app.wasm, icons, styles, samples)")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if err := buildSite(*out, *web); err != nil {
		fmt.Fprintln(stderr, "portlens build:", err)
		return exitUsage
	}
	fmt.Fprintf(stdout, "portlens: static site written to %s\n", *out)
	return exitOK
}

// buildSite writes the static site: go-app's pages and scripts, then a copy
// of the web directory, with app.wasm precompressed next to it.
func buildSite(out, web string) error {
	wasm := filepath.Join(web, "app.wasm")
	version, size, err := wasmVersion(wasm)
	if err != nil {
		return fmt.Errorf("%w (run 'make wasm' first)", err)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	app.Routes()
	if err := goapp.GenerateStaticWebsite(out, app.NewHandler(version, size)); err != nil {
		return err
	}
	if err := copyTree(filepath.Join(out, "web"), web); err != nil {
		return err
	}
	return gzipFile(filepath.Join(out, "web", "app.wasm"))
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
		if filepath.Ext(path) == ".gz" && filepath.Base(path) == "app.wasm.gz" {
			return nil // rebuilt from app.wasm below
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
