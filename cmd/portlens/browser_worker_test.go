package main

// Browser tests of what the site may touch beyond its own files: the
// service worker leaves the other pages of its origin alone (and never
// caches a no-store answer), an embed's src that redirects to another
// origin sends nothing there (with and without the worker), and the embed
// posts its messages only to the parents -embed-parents names. Run by
// `make test-browser`.

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/portlens/portlens/app"
)

// loggedServer serves h, with every request's path recorded in log.
func loggedServer(t *testing.T, h http.Handler, log *requestLog) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		log.addServer(r.URL.Path)
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// buildTestSite builds the site from the repository's web directory.
func buildTestSite(t *testing.T, dir, base string, parents []string) {
	t.Helper()
	if err := buildSite(siteOptions{Out: dir, Web: filepath.Join("..", "..", "web"), Base: base, EmbedParents: parents}); err != nil {
		t.Fatal(err)
	}
}

// staticHost serves a site as a host that sends no headers of its own
// (GitHub Pages and most static hosts send no CSP, so no frame-ancestors,
// and the worker runs without a policy of its own): the files, nothing more.
func staticHost(dir string) http.Handler {
	return http.FileServer(http.Dir(dir))
}

// serveSite mounts a site built for base ("" for the root) on mux.
func serveSite(mux *http.ServeMux, base string, h http.Handler) {
	if base == "" {
		mux.Handle("/", h)
		return
	}
	mux.Handle(base+"/", underBase(base, h))
}

// underWorker opens the site's page and waits until the service worker
// controls it (the first visit installs it).
func (bt *browserTest) underWorker() {
	bt.t.Helper()
	bt.must(chromedp.Do(bt.ctx, chromedp.Navigate(bt.base)))
	bt.wait("the page", `document.querySelector('#portlens[data-state="idle"]') !== null`)
	bt.wait("the service worker in control", `navigator.serviceWorker.controller !== null`)
}

// workerAnswers records which responses DevTools saw come from the
// service worker (respondWith), by URL.
type workerAnswers struct {
	mu   sync.Mutex
	urls []string
}

func (w *workerAnswers) listen(bt *browserTest) {
	bt.must(chromedp.Listen(bt.ctx, func(ev any) {
		if e, ok := ev.(*network.EventResponseReceived); ok && e.Response.FromServiceWorker {
			w.mu.Lock()
			w.urls = append(w.urls, e.Response.URL)
			w.mu.Unlock()
		}
	}))
}

func (w *workerAnswers) containing(part string) []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	for _, u := range w.urls {
		if strings.Contains(u, part) {
			out = append(out, u)
		}
	}
	return out
}

// otherApp is another application on the site's origin, outside its base
// path: a page, and an API whose every answer is new and must not be stored.
func otherApp(mux *http.ServeMux) {
	var calls atomic.Int64
	mux.HandleFunc("/other-app/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!DOCTYPE html><html><head><title>Another app</title><link rel="icon" href="data:,"></head>`+
			`<body><p id="other">another application on the same origin</p></body></html>`)
	})
	mux.HandleFunc("/other-app/api", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprintf(w, "answer %d", calls.Add(1))
	})
}

// evalAwait evaluates an expression whose value is a promise of a string.
func (bt *browserTest) evalAwait(expr string) string {
	bt.t.Helper()
	v, err := chromedp.Run(bt.ctx, chromedp.Evaluate[string](expr, chromedp.EvalAwaitPromise))
	bt.must(err)
	return v
}

// cachedURLs lists every URL in the origin's Cache Storage.
const cachedURLs = `(async () => {
	const out = [];
	for (const k of await caches.keys()) {
		for (const r of await (await caches.open(k)).keys()) out.push(k + " " + r.url);
	}
	return out.join("\n");
})()`

// TestBrowserWorkerScope: another application on the same origin, at
// /other-app/, is left alone by portlens's service worker. Under a
// sub-path the page is outside the worker's scope: not controlled. At the
// root of the origin every path is in the scope (a scope is a path
// prefix), so there the worker must answer none of its requests: the
// page, its API and, offline, its absence reach it as without the worker.
// Either way its no-store API answers anew each time and nothing of it is
// cached.
func TestBrowserWorkerScope(t *testing.T) {
	skipWithoutBrowser(t)
	for _, base := range []string{"", "/portlens"} {
		name := "root"
		if base != "" {
			name = "subpath"
		}
		t.Run(name, func(t *testing.T) { workerScope(t, base) })
	}
}

func workerScope(t *testing.T, base string) {
	site := t.TempDir()
	buildTestSite(t, site, base, nil)
	mux := http.NewServeMux()
	otherApp(mux)
	serveSite(mux, base, siteHandler(site, nil))
	log := &requestLog{}
	gate := &offlineGate{}
	srv := loggedServer(t, gate.wrap(mux), log)
	bt := newBrowserTest(t, log)
	t.Cleanup(bt.close)
	answers := &workerAnswers{}
	answers.listen(bt)
	bt.base = srv.URL + base + "/"
	bt.underWorker()

	resp, err := chromedp.Run(bt.ctx, chromedp.NavigateResponse(srv.URL+"/other-app/"))
	bt.must(err)
	bt.wait("the other app", `document.querySelector("#other") !== null`)
	controlled := bt.eval(`String(navigator.serviceWorker.controller !== null)`)
	t.Logf("/other-app/: controlled %s, from the service worker %v", controlled, resp.FromServiceWorker)
	if base != "" && controlled != "false" {
		t.Errorf("/other-app/ is controlled by the worker of %s/", base)
	}
	if resp.FromServiceWorker {
		t.Errorf("the worker answered the navigation to /other-app/")
	}
	two := bt.evalAwait(`(async () => { const a = await (await fetch("api")).text(); const b = await (await fetch("api")).text(); return a + " | " + b })()`)
	if a, b, _ := strings.Cut(two, " | "); a == b || !strings.HasPrefix(a, "answer ") {
		t.Errorf("the no-store API answered %q then %q: want two answers from the server", a, b)
	}
	if got := answers.containing("/other-app/"); len(got) > 0 {
		t.Errorf("the worker answered the other app's requests: %q", got)
	}
	for _, c := range strings.Split(bt.evalAwait(cachedURLs), "\n") {
		if strings.Contains(c, "/other-app/") {
			t.Errorf("the other app's response is cached: %s", c)
		}
	}
	if base != "" {
		return
	}
	// Offline, the other app is gone: the worker must not answer with
	// portlens in its place.
	gate.on.Store(true)
	defer gate.on.Store(false)
	_, _ = chromedp.Run(bt.ctx, chromedp.Navigate(srv.URL+"/other-app/?offline"))
	if got := bt.eval(`document.querySelector("#portlens") ? "portlens at " + location.pathname : ""`); got != "" {
		t.Errorf("offline, /other-app/ shows %s: the worker answered a navigation outside its own pages", got)
	}
}

// TestBrowserEmbedRedirect: an embed whose src the site answers with a
// redirect to another origin (the test's second server) sends nothing
// there, without the service worker (a first visit, or a browser without
// one) and with it in control; the embed says why. A redirect on the same
// site is refused too (the page cannot see where it points).
func TestBrowserEmbedRedirect(t *testing.T) {
	skipWithoutBrowser(t)
	sample, err := os.ReadFile(filepath.Join("..", "..", "testdata", "captures", "seed-rst-storm.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	otherLog := &requestLog{}
	other := loggedServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write(sample)
	}), otherLog)

	site := t.TempDir()
	buildTestSite(t, site, "/portlens", nil)
	var noWorker atomic.Bool
	mux := http.NewServeMux()
	mux.Handle("/portlens/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if noWorker.Load() && r.URL.Path == "/portlens/app-worker.js" {
			http.NotFound(w, r) // the worker never installs
			return
		}
		underBase("/portlens", staticHost(site)).ServeHTTP(w, r)
	}))
	mux.Handle("/docs/moved.pcap", http.RedirectHandler(other.URL+"/moved.pcap", http.StatusFound))
	mux.Handle("/docs/here.pcap", http.RedirectHandler("/portlens/web/samples/seed-rst-storm.pcap", http.StatusFound))
	log := &requestLog{}
	srv := loggedServer(t, mux, log)
	bt := newBrowserTest(t, log)
	t.Cleanup(bt.close)
	bt.base = srv.URL + "/portlens/"

	noWorker.Store(true)
	t.Run("without-worker", func(t *testing.T) { bt.refusesRedirects(t, otherLog, false) })
	noWorker.Store(false)
	bt.underWorker()
	t.Run("with-worker", func(t *testing.T) { bt.refusesRedirects(t, otherLog, true) })
}

// refusesRedirects opens embeds of the two redirected captures.
func (bt *browserTest) refusesRedirects(t *testing.T, otherLog *requestLog, worker bool) {
	bt.t = t
	for _, src := range []string{"/docs/moved.pcap", "/docs/here.pcap"} {
		_, before := bt.log.snapshot()
		bt.must(chromedp.Do(bt.ctx, chromedp.Navigate(bt.base+"embed.html?src="+src)))
		bt.wait("the embed's answer", `["done", "error"].includes(document.querySelector("#portlens")?.dataset.state)`)
		if c := bt.eval(`String(navigator.serviceWorker.controller !== null)`); c != strconv.FormatBool(worker) {
			t.Fatalf("src %s: controlled by the worker: %s, want %v", src, c, worker)
		}
		_, after := bt.log.snapshot()
		if !slices.Contains(after[len(before):], src) {
			t.Errorf("src %s: the site was never asked for it (server log %q)", src, after[len(before):])
		}
		st, msg := bt.attr("state"), bt.text("#embed-error")
		if st != "error" || !strings.Contains(strings.ToLower(msg), "refused to read") || !strings.Contains(msg, "redirect") {
			t.Errorf("src %s: state %s, message %q: want a refusal that names the redirect", src, st, msg)
		}
		if _, got := otherLog.snapshot(); len(got) > 0 {
			t.Errorf("src %s: the other origin was asked for %q", src, got)
		}
	}
	bt.shot(fmt.Sprintf("50-embed-redirect-worker-%v", worker))
	if !worker {
		return
	}
	// The worker holds to it by itself: a request that would follow the
	// redirect, marked as a capture read or not, does not reach the other
	// origin either (the page's CSP does not bind the worker's fetches).
	for _, init := range []string{`{}`, `{headers: {"` + app.CaptureHeader + `": "read"}}`} {
		got := bt.evalAwait(`fetch("/docs/moved.pcap", ` + init + `).then((r) => "HTTP " + r.status + " " + r.url, (e) => String(e))`)
		t.Logf("fetch(/docs/moved.pcap, %s) from a controlled page: %s", init, got)
		if _, got := otherLog.snapshot(); len(got) > 0 {
			t.Errorf("fetch(/docs/moved.pcap, %s): the other origin was asked for %q", init, got)
		}
	}
}

// parentPage frames the embed at src and records the messages it gets.
func parentPage(src string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!DOCTYPE html><html><head><title>A documentation page</title><link rel="icon" href="data:,">
<script>
window.__msgs = [];
addEventListener("message", (e) => {
  if (e.data && e.data.type === "portlens:embed") window.__msgs.push({ origin: e.origin, state: e.data.state, summary: e.data.summary });
});
</script></head><body><h1>Port reuse, explained</h1>
<iframe id="e" src="%s" width="1000" height="300"></iframe>
</body></html>`, src)
	})
}

// TestBrowserEmbedParents: a site built with -embed-parents P posts the
// embed's messages to a page on P that frames it and to its own pages, and
// nothing to a page on another origin (the host sends no frame-ancestors,
// as static hosts cannot: any page can frame the embed).
func TestBrowserEmbedParents(t *testing.T) {
	skipWithoutBrowser(t)
	site := t.TempDir()
	var embedURL string // known once the site's server runs
	frame := func() http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { parentPage(embedURL).ServeHTTP(w, r) })
	}
	log := &requestLog{}
	allowed := loggedServer(t, frame(), log)
	outside := loggedServer(t, frame(), log)
	mux := http.NewServeMux()
	mux.Handle("/", staticHost(site))
	mux.Handle("/host.html", frame())
	srv := loggedServer(t, mux, log)
	embedURL = srv.URL + "/embed.html?src=seed-rst-storm.pcap&frame=5"
	buildTestSite(t, site, "", []string{allowed.URL})

	bt := newBrowserTest(t, log)
	t.Cleanup(bt.close)
	bt.base = srv.URL + "/"
	for _, parent := range []struct {
		name, url string
		posts     bool
	}{
		{"listed", allowed.URL + "/parent.html", true},
		{"own-site", srv.URL + "/host.html", true},
		{"not-listed", outside.URL + "/parent.html", false},
	} {
		t.Run(parent.name, func(t *testing.T) {
			bt.t = t
			bt.must(chromedp.Do(bt.ctx, chromedp.Navigate(parent.url)))
			frames, err := chromedp.Run(bt.ctx, chromedp.Nodes(chromedp.CSS("iframe#e")))
			bt.must(err)
			ctx, cancel := context.WithTimeout(bt.ctx, 60*time.Second)
			defer cancel()
			if err := chromedp.Do(ctx, chromedp.WaitReady(chromedp.CSS(`#portlens[data-state="done"]`), chromedp.FromNode(frames[0]))); err != nil {
				t.Fatalf("the embed in %s: %v", parent.url, err)
			}
			if parent.posts {
				bt.wait("the embed's done message", `window.__msgs.some((m) => m.state === "done")`)
				if o := bt.eval(`window.__msgs[0].origin`); o != srv.URL {
					t.Errorf("message from %s, want %s", o, srv.URL)
				}
				if s := bt.eval(`window.__msgs.filter((m) => m.state === "done").pop().summary`); !strings.Contains(s, "seed-rst-storm.pcap: 10 packets, 4 flags") {
					t.Errorf("summary %q", s)
				}
				return
			}
			// The done message follows the embed's done state at once (the
			// listed parent got it so): give it two seconds to be sure.
			bt.must(chromedp.Do(bt.ctx, chromedp.Sleep(2*time.Second)))
			if n := bt.eval(`String(window.__msgs.length)`); n != "0" {
				t.Errorf("a parent outside -embed-parents received %s messages: %s", n, bt.eval(`JSON.stringify(window.__msgs)`))
			}
		})
	}
}

// TestBrowserWorkerCaptures: a capture an embed reads is kept for offline
// use, unless the host marks it Cache-Control: no-store: then it is read
// from the network every time and, offline, not at all.
func TestBrowserWorkerCaptures(t *testing.T) {
	skipWithoutBrowser(t)
	sample, err := os.ReadFile(filepath.Join("..", "..", "testdata", "captures", "seed-rst-storm.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	site := t.TempDir()
	buildTestSite(t, site, "", nil)
	mux := http.NewServeMux()
	serveSite(mux, "", siteHandler(site, nil))
	mux.HandleFunc("/docs/kept.pcap", func(w http.ResponseWriter, r *http.Request) { w.Write(sample) })
	mux.HandleFunc("/docs/fresh.pcap", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		w.Write(sample)
	})
	log := &requestLog{}
	gate := &offlineGate{}
	srv := loggedServer(t, gate.wrap(mux), log)
	bt := newBrowserTest(t, log)
	t.Cleanup(bt.close)
	bt.base = srv.URL + "/"
	bt.underWorker()

	embed := func(src, want string) {
		bt.t.Helper()
		bt.must(chromedp.Do(bt.ctx, chromedp.Navigate(bt.base+"embed.html?src="+src)))
		bt.wait("the embed of "+src, `["done", "error"].includes(document.querySelector("#portlens")?.dataset.state)`)
		if st := bt.attr("state"); st != want {
			t.Errorf("embed of %s: state %s, want %s (%s)", src, st, want, bt.text("#embed-error"))
		}
	}
	for range 2 {
		embed("/docs/kept.pcap", "done")
		embed("/docs/fresh.pcap", "done")
	}
	_, server := log.snapshot()
	if n := strings.Count(strings.Join(server, " ")+" ", "/docs/fresh.pcap "); n != 2 {
		t.Errorf("the no-store capture was read %d times from the server, want 2", n)
	}
	cached := bt.evalAwait(cachedURLs)
	if !strings.Contains(cached, "/docs/kept.pcap") {
		t.Errorf("the capture is not kept for offline use:\n%s", cached)
	}
	if strings.Contains(cached, "/docs/fresh.pcap") {
		t.Errorf("the no-store capture is cached")
	}
	gate.on.Store(true)
	defer gate.on.Store(false)
	embed("/docs/kept.pcap", "done")
	embed("/docs/fresh.pcap", "error")
}
