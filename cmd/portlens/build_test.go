package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
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
	for _, want := range []string{`src="/portlens/app.js"`, `href="/portlens/manifest.webmanifest"`, `href="/portlens/web/portlens.css"`, "Content-Security-Policy"} {
		if !strings.Contains(index, want) {
			t.Errorf("index.html lacks %s", want)
		}
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
