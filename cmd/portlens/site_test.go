package main

// Browser tests of the site as a static host serves it: under a sub-path,
// offline after one visit, embedded in a documentation page, refusing
// captures from another origin, announcing a new version.

import (
	"encoding/binary"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// offlineGate stands between the browser and the test server: when on,
// every request is dropped with its connection, as if the server were gone.
type offlineGate struct {
	on      atomic.Bool
	refused atomic.Int64
}

func (g *offlineGate) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if g.on.Load() {
			g.refused.Add(1)
			panic(http.ErrAbortHandler) // closes the connection, no response
		}
		h.ServeHTTP(w, r)
	})
}

// offline reloads the page with the server gone, then opens a sample,
// analyzes it and exports the flags: all from the service worker's cache.
func (bt *browserTest) offline(t *testing.T, gate *offlineGate, tag string) {
	bt.t = t
	bt.wait("the service worker in control", `navigator.serviceWorker.controller !== null`)
	gate.on.Store(true)
	defer gate.on.Store(false)
	if resp, err := http.Get(bt.base); err == nil {
		resp.Body.Close()
		t.Fatalf("the server still answers: %s", resp.Status)
	}
	bt.must(chromedp.Do(bt.ctx, chromedp.Navigate(bt.base)))
	bt.wait("the page, offline", `document.querySelector('#portlens[data-state="idle"]') !== null`)
	bt.sample(t)
	bt.exportCSV(t)
	bt.shot("offline" + tag)
	t.Logf("offline: the server dropped %d requests (one of them the test's own probe), the page still worked", gate.refused.Load())
}

// share opens Share / Embed on the sample on screen.
func (bt *browserTest) share(t *testing.T) {
	bt.t = t
	bt.must(chromedp.Do(bt.ctx, chromedp.EmulateViewport(1280, 800)))
	bt.expectDone()
	bt.eval(`{ const s = document.querySelector("#sample-select"); s.value = "seed-rst-storm.pcap"; s.dispatchEvent(new Event("change")); } ""`)
	bt.waitDone()
	bt.toPackets()
	bt.click("#row-5")
	bt.wait("frame 5", `document.querySelector("#detail")?.dataset.frame === "5"`)
	bt.click("#share-button")
	bt.wait("the share panel", `document.querySelector("#share-snippet") !== null`)
	snippet := bt.eval(`document.querySelector("#share-snippet").value`)
	want := strings.TrimSuffix(bt.base, "/") + "/embed.html?src=seed-rst-storm.pcap&amp;frame=5"
	if !strings.Contains(snippet, `<iframe src="`+want) || !strings.Contains(snippet, "web/embed-host.js") {
		t.Errorf("snippet %q, want an iframe of %s", snippet, want)
	}
	if n := bt.eval(`document.querySelector("#share-note")?.textContent || ""`); n != "" {
		t.Errorf("a sample needs no publishing note: %q", n)
	}
	bt.shot("12-share")
	bt.click("#share-button")

	// A file from this computer: the snippet names it, the note says to publish it.
	file, _ := filepath.Abs(filepath.Join("..", "..", "testdata", "captures", "link-null-le.pcap"))
	bt.expectDone()
	bt.must(chromedp.Do(bt.ctx, chromedp.SetUploadFiles(chromedp.CSS("#file-input"), []string{file})))
	bt.waitDone()
	bt.click("#share-button")
	bt.wait("the share panel", `document.querySelector("#share-note") !== null`)
	if n := bt.text("#share-note"); !strings.Contains(n, "publish link-null-le.pcap on this site") {
		t.Errorf("note %q", n)
	}
	if s := bt.eval(`document.querySelector("#share-snippet").value`); !strings.Contains(s, "src=link-null-le.pcap") {
		t.Errorf("snippet %q", s)
	}
	bt.click("#share-button")
}

// cancelKeeps cancels the reading of a large capture: what was read is
// judged and shown, with "stopped after N packets".
func (bt *browserTest) cancelKeeps(t *testing.T) {
	bt.t = t
	file := filepath.Join(t.TempDir(), "long.pcap")
	const extra = 800_000
	bt.must(writeLongCapture(file, extra))
	bt.expectDone()
	bt.must(chromedp.Do(bt.ctx, chromedp.SetUploadFiles(chromedp.CSS("#file-input"), []string{file})))
	bt.wait("the reading", `document.querySelector("#cancel") !== null`)
	bt.click("#cancel")
	if st := bt.waitDone(); st != "done" {
		t.Fatalf("state %s", st)
	}
	bt.toPackets()
	n, _ := strconv.Atoi(bt.attr("packets"))
	if n < 10 || n >= 10+extra {
		t.Fatalf("data-packets %d: want the packets read before Cancel", n)
	}
	msg := bt.text("#stopped")
	if !strings.Contains(msg, fmt.Sprintf("Stopped after %s packets", thousandsTest(n))) {
		t.Errorf("stopped banner %q (packets %d)", msg, n)
	}
	bt.wait("the partial results", `document.querySelector("#row-3.flagged .c-info")?.textContent.includes("[TCP Port numbers reused]")`)
	bt.shot("13-cancel-partial")
}

func thousandsTest(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// writeLongCapture writes the RST storm followed by extra copies of its
// last RST: long enough to cancel, and nothing more to flag.
func writeLongCapture(path string, extra int) error {
	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "captures", "seed-rst-storm.pcap"))
	if err != nil {
		return err
	}
	last := 24
	for off := 24; off+16 <= len(data); {
		last = off
		off += 16 + int(binary.LittleEndian.Uint32(data[off+8:]))
	}
	rec := data[last:]
	out := make([]byte, 0, len(data)+extra*len(rec))
	out = append(out, data...)
	for range extra {
		out = append(out, rec...)
	}
	return os.WriteFile(path, out, 0o644)
}

const hostPage = `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>A documentation page</title><link rel="icon" href="data:,">
<script>
window.__msgs = [];
addEventListener("message", (e) => {
  if (!e.data || e.data.type !== "portlens:embed") return;
  const f = [...document.querySelectorAll("iframe")].find((f) => f.contentWindow === e.source);
  window.__msgs.push({ origin: e.origin, id: f ? f.id : "", data: e.data });
});
</script>
<script src="/portlens/web/embed-host.js" defer></script>
</head><body>
<h1>Port reuse, explained</h1>
<iframe id="a" src="/portlens/embed.html?src=samples/seed-rst-storm.pcap&amp;frame=5" width="1000" height="150"></iframe>
<p id="a-summary" data-portlens-summary="a"></p>
<iframe id="b" src="/portlens/embed.html?src=/docs/captures/link-null-le.pcap&amp;frame=8&amp;filter=flagged" width="1000" height="150"></iframe>
</body></html>`

func TestBrowserSubpath(t *testing.T) {
	skipWithoutBrowser(t)
	site := t.TempDir()
	web := filepath.Join("..", "..", "web")
	if err := buildSite(siteOptions{Out: site, Web: web, Base: "/portlens"}); err != nil {
		t.Fatal(err)
	}
	log := &requestLog{}
	gate := &offlineGate{}
	mux := http.NewServeMux()
	mux.Handle("/portlens/", underBase("/portlens", siteHandler(site, nil)))
	mux.HandleFunc("/host.html", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, hostPage)
	})
	mux.HandleFunc("/docs/captures/link-null-le.pcap", func(w http.ResponseWriter, r *http.Request) {
		http.ServeFile(w, r, filepath.Join("..", "..", "testdata", "captures", "link-null-le.pcap"))
	})
	srv := httptest.NewServer(gate.wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		log.addServer(r.URL.Path)
		mux.ServeHTTP(w, r)
	})))
	defer srv.Close()

	bt := newBrowserTest(t, log)
	defer bt.close()
	bt.base = srv.URL + "/portlens/"

	bt.must(chromedp.Do(bt.ctx, chromedp.Navigate(bt.base)))
	bt.wait("the page under /portlens/", `document.querySelector('#portlens[data-state="idle"]') !== null`)
	t.Run("sample", bt.sample)
	t.Run("embed", bt.embedInHost)
	t.Run("cross-origin", bt.crossOrigin)
	t.Run("docs", bt.docs)
	bt.must(chromedp.Do(bt.ctx, chromedp.Navigate(bt.base)))
	t.Run("offline", func(t *testing.T) { bt.offline(t, gate, "-subpath") })
	t.Run("offline-embed", func(t *testing.T) {
		gate.on.Store(true)
		defer gate.on.Store(false)
		bt.must(chromedp.Do(bt.ctx, chromedp.Navigate(bt.base+"embed.html?src=seed-rst-storm.pcap&frame=7")))
		bt.wait("the embed, offline", `document.querySelector('#detail[data-frame="7"] .explanation')?.textContent.includes("Frame 7 is a SYN") === true`)
	})
	t.Run("update", func(t *testing.T) { bt.update(t, site, web) })

	_, server := log.snapshot()
	for _, p := range server {
		if !strings.HasPrefix(p, "/portlens") && p != "/host.html" && !strings.HasPrefix(p, "/docs/captures/") {
			t.Errorf("request outside the site: %s", p)
		}
	}
	bt.checkLocal()
}

// embedInHost opens a page that frames two embeds and checks what they
// show and what they tell the page.
func (bt *browserTest) embedInHost(t *testing.T) {
	bt.t = t
	u, _ := url.Parse(bt.base)
	bt.must(chromedp.Do(bt.ctx, chromedp.Navigate(u.Scheme+"://"+u.Host+"/host.html")))
	bt.wait("both embeds done", `["a", "b"].every((id) => window.__msgs.some((m) => m.id === id && m.data.state === "done"))`)
	// Rows load after "done": wait until the heights settle.
	bt.wait("frame a's explanation", `document.querySelector("#a").contentDocument?.querySelector('#detail[data-frame="5"] .explanation')?.textContent.includes("Frame 5 is a SYN") === true`)
	expl := bt.eval(`document.querySelector("#a").contentDocument.querySelector("#detail .explanation").textContent`)
	if !strings.Contains(expl, "Stream 1 used the same ports from frame 3") {
		t.Errorf("frame 5's explanation: %s", expl)
	}
	bt.wait("frame b's explanation", `document.querySelector("#b").contentDocument?.querySelector('#detail[data-frame="8"] .flag') != null`)
	if rows := bt.eval(`String(document.querySelector("#b").contentDocument.querySelectorAll("#window .row").length)`); rows != "2" {
		t.Errorf("filter=flagged shows %s rows, want 2", rows)
	}
	bt.wait("a message with the final height", `(() => {
		const m = window.__msgs.filter((m) => m.id === "a").pop();
		return m && m.data.height > 250 && document.querySelector("#a").style.height === m.data.height + "px";
	})()`)
	last := func(id, field string) string {
		return bt.eval(fmt.Sprintf(`String(window.__msgs.filter((m) => m.id === %q).pop().data[%q])`, id, field))
	}
	origin := strings.TrimSuffix(strings.TrimSuffix(bt.base, "/portlens/"), "/")
	if o := bt.eval(`window.__msgs[0].origin`); o != origin {
		t.Errorf("message from %s, want %s", o, origin)
	}
	if p, f, fr := last("a", "packets"), last("a", "flags"), last("a", "frame"); p != "10" || f != "4" || fr != "5" {
		t.Errorf("embed a says %s packets, %s flags, frame %s", p, f, fr)
	}
	sum := last("a", "summary")
	if !strings.Contains(sum, "seed-rst-storm.pcap: 10 packets, 4 flags (tcp.reused_ports 4); frame 5: TCP port numbers reused") {
		t.Errorf("summary %q", sum)
	}
	if c := bt.text("#a-summary"); c != sum {
		t.Errorf("embed-host.js caption %q, want the summary", c)
	}
	if p, f := last("b", "packets"), last("b", "flags"); p != "32" || f != "2" {
		t.Errorf("embed b says %s packets, %s flags", p, f)
	}
	bt.shot("20-host-embeds")
}

// crossOrigin: src on another origin is refused, with a message, and
// nothing is fetched.
func (bt *browserTest) crossOrigin(t *testing.T) {
	bt.t = t
	for i, src := range []string{"http://evil.example/x.pcap", `/\evil.example/x.pcap`, "data:application/octet-stream,abc"} {
		before, _ := bt.log.snapshot()
		bt.must(chromedp.Do(bt.ctx, chromedp.Navigate(bt.base+"embed.html?src="+url.QueryEscape(src))))
		bt.wait("the refusal", `document.querySelector('#portlens[data-state="error"] #embed-error') !== null`)
		msg := bt.text("#embed-error")
		if !strings.Contains(msg, "Refused to read") || !strings.Contains(msg, "this site") {
			t.Errorf("src %s: message %q", src, msg)
		}
		if i == 0 {
			if !strings.Contains(msg, "http://evil.example") || !strings.Contains(msg, "never fetches from another origin") {
				t.Errorf("message %q", msg)
			}
			bt.shot("21-embed-refused")
		}
		after, _ := bt.log.snapshot()
		for _, u := range after[len(before):] {
			if pu, err := url.Parse(u); err != nil || strings.Contains(pu.Host, "evil") || strings.HasPrefix(u, "data:application/octet-stream") {
				t.Errorf("src %s was fetched: %s", src, u)
			}
		}
	}
}

// docs opens the documentation example and waits for its three embeds.
func (bt *browserTest) docs(t *testing.T) {
	bt.t = t
	bt.must(chromedp.Do(bt.ctx, chromedp.Navigate(bt.base+"web/docs.html")))
	for _, id := range []string{"rst-storm", "fin-2h", "missing-syn"} {
		// Scrolled from the page's own script: a node handle from the
		// protocol can go stale while the frames above it resize.
		bt.wait("the embed "+id, fmt.Sprintf(`(() => { const f = document.querySelector("#%s"); f?.scrollIntoView();
			return f?.dataset.portlensState === "done" })()`, id))
	}
	bt.wait("the captions", `[...document.querySelectorAll("figcaption")].every((c) => c.textContent.includes("packets"))`)
	bt.must(chromedp.Do(bt.ctx, chromedp.Sleep(300*time.Millisecond)))
	if c := bt.text(`[data-portlens-summary="fin-2h"]`); !strings.Contains(c, "frame 10") {
		t.Errorf("caption %q", c)
	}
	t.Logf("frame heights: %s", bt.eval(`[...document.querySelectorAll("iframe")].map((f) => f.id + " " + f.style.height + " " + f.contentDocument.querySelector("#portlens").getBoundingClientRect().height + " " + f.contentDocument.documentElement.scrollHeight).join("; ")`))
	// The whole page in one picture: a viewport as tall as the page
	// (FullScreenshot draws iframes wrongly).
	h := bt.eval(`String(document.documentElement.scrollHeight)`)
	height, _ := strconv.Atoi(h)
	bt.must(chromedp.Do(bt.ctx, chromedp.EmulateViewport(1280, int64(height)), chromedp.Sleep(300*time.Millisecond)))
	bt.shot("22-docs")
	bt.must(chromedp.Do(bt.ctx, chromedp.EmulateViewport(1280, 800)))
	bt.eval(`document.querySelector("#missing-syn").scrollIntoView(); ""`)
	bt.shot("23-docs-embed")
}

// update rebuilds the site as a new version: the page says so and waits
// for the user, who reloads into the new version.
func (bt *browserTest) update(t *testing.T, site, web string) {
	bt.t = t
	bt.must(chromedp.Do(bt.ctx, chromedp.Navigate(bt.base)))
	bt.wait("the page", `document.querySelector('#portlens[data-state="idle"]') !== null`)
	bt.expectDone()
	bt.click(`[id="sample-seed-rst-storm.pcap"]`)
	bt.waitDone()
	old := bt.eval(`goappGetenv("GOAPP_VERSION")`)
	if err := buildSite(siteOptions{Out: site, Web: web, Base: "/portlens", Version: "next-" + old}); err != nil {
		t.Fatal(err)
	}
	bt.eval(`navigator.serviceWorker.getRegistration().then((r) => r.update()); ""`)
	bt.wait("the update banner", `document.querySelector("#update") !== null`)
	if st := bt.attr("state"); st != "done" || bt.attr("flags") != "4" {
		t.Errorf("the results on screen changed under the update: state %s", st)
	}
	if v := bt.eval(`goappGetenv("GOAPP_VERSION")`); v != old {
		t.Errorf("version %s before the reload", v)
	}
	bt.shot("24-update-available")
	bt.click("#update-reload")
	// The page reloads: poll across the navigation.
	want := `typeof goappGetenv === "function" && goappGetenv("GOAPP_VERSION") === "next-` + old + `" && document.querySelector('#portlens[data-state="idle"]') !== null`
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		ok, err := chromedp.Run(bt.ctx, chromedp.Evaluate[bool](want))
		if err == nil && ok {
			break
		}
		if time.Now().After(deadline) {
			diag, _ := chromedp.Run(bt.ctx, chromedp.Evaluate[string](`(typeof goappGetenv === "function" ? goappGetenv("GOAPP_VERSION") : "no goapp") + " state=" + (document.querySelector('#portlens')||{}).dataset?.state + " ctrl=" + !!navigator.serviceWorker.controller + " url=" + location.href`))
			bt.shot("update-failed")
			html, _ := chromedp.Run(bt.ctx, chromedp.Evaluate[string](`document.body ? document.body.innerHTML.slice(0, 1500) : "no body"`))
			t.Fatalf("the new version did not load: %v (%s, want next-%s)\n%s", err, diag, old, html)
		}
	}
	n, err := chromedp.Run(bt.ctx, chromedp.Evaluate[int](`caches.keys().then((ks) => ks.filter((k) => k.startsWith("portlens-")).length)`,
		chromedp.EvalAwaitPromise))
	bt.must(err)
	if n != 1 {
		t.Errorf("%d portlens caches after the update, want the new one only", n)
	}
}
