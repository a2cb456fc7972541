package main

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"io/fs"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBuildSubPath builds a site for /portlens from a stand-in web
// directory and serves it as a static host would.
func TestBuildSubPath(t *testing.T) {
	web := standinWeb(t)
	out := t.TempDir()
	if err := buildSite(siteOptions{Out: out, Web: web, Base: "/portlens/"}); err != nil {
		t.Fatal(err)
	}
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(out, filepath.FromSlash(name)))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	index := read("index.html")
	for _, want := range []string{`src="/portlens/app.js"`, `href="/portlens/manifest.webmanifest"`, `href="/portlens/web/portlens.css"`, "Content-Security-Policy",
		`<link rel="preload" href="/portlens/web/app.wasm" as="fetch" crossorigin="anonymous">`} {
		if !strings.Contains(index, want) {
			t.Errorf("index.html lacks %s", want)
		}
	}
	// The preload is used only if app.js fetches the same URL.
	if js := read("app.js"); !strings.Contains(js, `fetchWithProgress("/portlens/web/app.wasm"`) {
		t.Error(`app.js does not fetch /portlens/web/app.wasm, the URL index.html preloads`)
	}
	if embed := read("embed.html"); !strings.Contains(embed, `class="page embed"`) {
		t.Error("embed.html is not the embed view")
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(read("manifest.webmanifest")), &m); err != nil {
		t.Fatal(err)
	}
	if m["scope"] != "./" || m["start_url"] != "./" {
		t.Errorf("manifest scope %v, start_url %v: want ./ (the sub-path, in the worker's scope)", m["scope"], m["start_url"])
	}
	worker := read("app-worker.js")
	for _, want := range []string{`"/portlens/web/app.wasm"`, `"/portlens/web/samples/seed-rst-storm.pcap"`, `"/portlens/embed.html"`, `"/portlens/web/docs.html"`, "skipWaiting"} {
		if !strings.Contains(worker, want) {
			t.Errorf("app-worker.js lacks %s", want)
		}
	}
	// Every compressible file over 1 KiB has a .gz twin with the same bytes.
	for _, name := range []string{"web/app.wasm", "web/portlens.css", "app.js", "wasm_exec.js", "index.html"} {
		zr, err := gzip.NewReader(strings.NewReader(read(name + ".gz")))
		if err != nil {
			t.Fatalf("%s.gz: %v", name, err)
		}
		got, _ := io.ReadAll(zr)
		if !bytes.Equal(got, []byte(read(name))) {
			t.Errorf("%s.gz differs from %s", name, name)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "web", "samples", "seed-rst-storm.pcap.gz")); err == nil {
		t.Error("a capture got a .gz twin")
	}

	srv := httptest.NewServer(underBase("/portlens", siteHandler(out, nil)))
	defer srv.Close()
	get := func(path string, gz bool) *http.Response {
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		if gz {
			req.Header.Set("Accept-Encoding", "gzip")
		}
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	if r := get("/portlens", false); r.StatusCode != http.StatusMovedPermanently || r.Header.Get("Location") != "/portlens/" {
		t.Errorf("/portlens: %s to %q", r.Status, r.Header.Get("Location"))
	}
	r := get("/portlens/web/app.wasm", true)
	if r.Header.Get("Content-Encoding") != "gzip" || r.Header.Get("Content-Type") != "application/wasm" {
		t.Errorf("app.wasm: encoding %q type %q", r.Header.Get("Content-Encoding"), r.Header.Get("Content-Type"))
	}
	if csp := r.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'self'") {
		t.Errorf("CSP header %q", csp)
	}
	if r := get("/portlens/", true); r.StatusCode != 200 || r.Header.Get("Content-Encoding") != "gzip" {
		t.Errorf("/portlens/: %s, encoding %q", r.Status, r.Header.Get("Content-Encoding"))
	}
	if r := get("/portlens/embed", false); r.StatusCode != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") {
		t.Errorf("/portlens/embed: %s %s", r.Status, r.Header.Get("Content-Type"))
	}
}

// standinWeb is a small web directory: a fake app.wasm, a style, a sample.
func standinWeb(t *testing.T) string {
	web := t.TempDir()
	for name, data := range map[string]string{
		"app.wasm":                    strings.Repeat("\x00asm wasm ", 500),
		"portlens.css":                strings.Repeat("body { margin: 0 }\n", 100),
		"samples/seed-rst-storm.pcap": "capture",
	} {
		p := filepath.Join(web, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return web
}

// withEmbeddedWeb makes web the directory built into the binary (nil: a
// binary built without it) for the rest of the test.
func withEmbeddedWeb(t *testing.T, web fs.FS) {
	saved := embeddedWeb
	embeddedWeb = web
	t.Cleanup(func() { embeddedWeb = saved })
}

// TestBuildEmbedded: without --web, the site comes from the web directory
// built into the binary, and is the same as from that directory on disk.
func TestBuildEmbedded(t *testing.T) {
	web := standinWeb(t)
	withEmbeddedWeb(t, os.DirFS(web))
	fromDisk, embedded := t.TempDir(), t.TempDir()
	if err := buildSite(siteOptions{Out: fromDisk, Web: web}); err != nil {
		t.Fatal(err)
	}
	out, errOut, status := runCLI(t, "build", "--out", embedded)
	if status != exitOK || errOut != "" || !strings.Contains(out, "static site written to "+embedded) {
		t.Fatalf("status %d, %q, stderr %q", status, out, errOut)
	}
	want, got := siteFiles(t, fromDisk), siteFiles(t, embedded)
	if len(got) < 10 || !maps.Equal(got, want) {
		t.Errorf("the site from the binary's web directory differs from the one from disk:\n%v\nwant:\n%v", got, want)
	}
}

// TestNoEmbeddedSite: a binary built without the web directory says how
// to build one that has it.
func TestNoEmbeddedSite(t *testing.T) {
	withEmbeddedWeb(t, nil)
	for _, args := range [][]string{{"build", "--out", t.TempDir()}, {"serve", "--addr", "127.0.0.1:0"}} {
		out, errOut, status := runCLI(t, args...)
		if status != exitUsage || out != "" || !strings.Contains(errOut, "built without the browser app: build it with 'make build'") {
			t.Errorf("%q: status %d, stdout %q, stderr %q", args, status, out, errOut)
		}
	}
	// A web directory given with --web still works, and one without
	// app.wasm says what to run.
	out := t.TempDir()
	if _, errOut, status := runCLI(t, "build", "--out", out, "--web", standinWeb(t)); status != exitOK {
		t.Errorf("--web: status %d, %s", status, errOut)
	}
	empty := t.TempDir()
	if _, errOut, status := runCLI(t, "build", "--out", out, "--web", empty); status != exitUsage || !strings.Contains(errOut, "run 'make wasm' first") {
		t.Errorf("--web without app.wasm: status %d, %s", status, errOut)
	}
}

// siteFiles maps every file of a built site to its SHA-256, but pages to
// "page": go-app writes a tag's attributes in map order, which changes
// from one run to the next.
func siteFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		rel, _ := filepath.Rel(dir, path)
		sum := sha256.Sum256(data)
		files[filepath.ToSlash(rel)] = hex.EncodeToString(sum[:8])
		if strings.HasSuffix(path, ".html") || strings.HasSuffix(path, ".html.gz") {
			files[filepath.ToSlash(rel)] = "page"
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// TestSiteMeta: the pages carry no meta tag that points nowhere (go-app
// writes og:url "https:///index.html" without a domain), and the
// prerendered page is usable before its wasm runs: the file button is not
// disabled, and preload.js, which keeps what is chosen meanwhile, is loaded
// and cached for offline use.
func TestSiteMeta(t *testing.T) {
	out := t.TempDir()
	if err := buildSite(siteOptions{Out: out, Web: standinWeb(t)}); err != nil {
		t.Fatal(err)
	}
	for _, page := range []string{"index.html", "embed.html"} {
		b, err := os.ReadFile(filepath.Join(out, page))
		if err != nil {
			t.Fatal(err)
		}
		html := string(b)
		for _, bad := range []string{`"https:///`, `"https://"`, `name="author">`, `content=""`} {
			if strings.Contains(html, bad) {
				t.Errorf("%s has %s", page, bad)
			}
		}
		for _, want := range []string{`property="og:title"`, `property="og:description"`, `src="/web/preload.js"`} {
			if !strings.Contains(html, want) {
				t.Errorf("%s lacks %s", page, want)
			}
		}
		if page == "index.html" {
			if i := strings.Index(html, `id="file-input"`); i < 0 || strings.Contains(html[strings.LastIndex(html[:i], "<"):i+strings.Index(html[i:], ">")], "disabled") {
				t.Errorf("the prerendered file button is missing or disabled")
			}
			if !strings.Contains(html, `class="dropzone"`) {
				t.Errorf("the prerendered page has no drop zone")
			}
		}
	}
	worker, err := os.ReadFile(filepath.Join(out, "app-worker.js"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(worker), `"/web/preload.js"`) {
		t.Errorf("app-worker.js does not cache preload.js")
	}
}
