package main

import (
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/portlens/portlens/app"
)

// TestBuildEmbedParents: -embed-parents lands in app.js (where the embed
// reads it), names a version of its own, and is refused when it is not a
// list of origins.
func TestBuildEmbedParents(t *testing.T) {
	web := standinWeb(t)
	build := func(args ...string) (dir, stderr string, status int) {
		dir = t.TempDir()
		_, stderr, status = runCLI(t, append([]string{"build", "--web", web, "--out", dir}, args...)...)
		return dir, stderr, status
	}
	read := func(dir, name string) string {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	env := regexp.MustCompile(`"` + app.EmbedParentsEnv + `":"([^"]*)"`)
	version := regexp.MustCompile(`"GOAPP_VERSION":"([^"]*)"`)
	plain, _, status := build()
	if status != exitOK {
		t.Fatalf("plain build: status %d", status)
	}
	wide, stderr, status := build("--embed-parents", "https://Docs.Example.org:443, http://127.0.0.1:8080")
	if status != exitOK {
		t.Fatalf("build --embed-parents: status %d, %s", status, stderr)
	}
	if m := env.FindStringSubmatch(read(plain, "app.js")); m == nil || m[1] != "" {
		t.Errorf("plain build: %s in app.js = %q, want present and empty", app.EmbedParentsEnv, m)
	}
	if m := env.FindStringSubmatch(read(wide, "app.js")); m == nil || m[1] != "https://docs.example.org http://127.0.0.1:8080" {
		t.Errorf("%s in app.js = %q, want the two origins as browsers write them", app.EmbedParentsEnv, m)
	}
	v1, v2 := version.FindStringSubmatch(read(plain, "app.js")), version.FindStringSubmatch(read(wide, "app.js"))
	if v1 == nil || v2 == nil || v1[1] == v2[1] {
		t.Errorf("versions %q and %q: another list of parents must be another version (app.js differs)", v1, v2)
	}
	if !strings.Contains(read(wide, "app-worker.js"), v2[1]) {
		t.Errorf("the worker's cache is not named by the version %s", v2[1])
	}

	for _, bad := range []string{"https://docs.example.org/", "docs.example.org", "*", "https://a.example,ftp://b.example"} {
		_, stderr, status := build("--embed-parents", bad)
		if status != exitUsage || !strings.Contains(stderr, "--embed-parents") || !strings.Contains(stderr, "not an origin") {
			t.Errorf("--embed-parents %q: status %d, stderr %q", bad, status, stderr)
		}
	}
	_, stderr, status = runCLI(t, "serve", "--web", web, "--embed-parents", "https://docs.example.org/path")
	if status != exitUsage || !strings.Contains(stderr, "not even a slash") {
		t.Errorf("serve --embed-parents with a path: status %d, stderr %q", status, stderr)
	}
}

// TestServeFrameAncestors: the pages -embed-parents names may frame the
// site portlens serve serves; without it, only the site's own.
func TestServeFrameAncestors(t *testing.T) {
	if got := frameAncestors(nil); got != app.HeaderCSP {
		t.Errorf("without parents the header is\n%s\nwant app.HeaderCSP\n%s", got, app.HeaderCSP)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "index.html"), []byte("<p>hi"), 0o644); err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	siteHandlerFor(dir, []string{"https://docs.example.org", "http://127.0.0.1:8080"}, nil).ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	csp := rec.Header().Get("Content-Security-Policy")
	if !strings.HasSuffix(csp, "; frame-ancestors 'self' https://docs.example.org http://127.0.0.1:8080") || !strings.HasPrefix(csp, app.CSP) {
		t.Errorf("CSP %q", csp)
	}
}
