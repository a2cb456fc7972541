package main

// Browser tests: the built site, served on 127.0.0.1, in headless Chromium
// driven by chromedp. Run by `make test-browser` (part of `make test`):
//
//	go test -run TestBrowser ./cmd/portlens -browser -artifacts=$PWD/artifacts
//
// Without -browser they are skipped, so `go test ./...` stays fast.

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/portlens/portlens/analyzer"
	"github.com/portlens/portlens/analyzer/capture"
	"github.com/portlens/portlens/testdata/benchgen/benchcap"
)

var (
	browserFlag  = flag.Bool("browser", false, "run the browser tests (needs chromium and web/app.wasm)")
	artifactsDir = flag.String("artifacts", "", "directory for screenshots (default: a temporary directory)")
	chromiumPath = flag.String("chromium", "/usr/bin/chromium", "the Chromium binary")
)

// requestLog records every request: the page's (DevTools) and the server's.
type requestLog struct {
	mu     sync.Mutex
	page   []string
	server []string
}

func (l *requestLog) addPage(u string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.page = append(l.page, u)
}

func (l *requestLog) addServer(p string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.server = append(l.server, p)
}

func (l *requestLog) snapshot() (page, server []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.page...), append([]string(nil), l.server...)
}

type browserTest struct {
	t         *testing.T
	ctx       context.Context
	base      string
	shots     string
	downloads string
	log       *requestLog
	close     func()
}

func TestBrowser(t *testing.T) {
	skipWithoutBrowser(t)
	site := t.TempDir()
	if err := buildSite(siteOptions{Out: site, Web: filepath.Join("..", "..", "web")}); err != nil {
		t.Fatal(err)
	}
	log := &requestLog{}
	gate := &offlineGate{}
	srv := httptest.NewServer(gate.wrap(siteHandler(site, func(r *http.Request) { log.addServer(r.URL.Path) })))
	defer srv.Close()

	bt := newBrowserTest(t, log)
	defer bt.close()
	bt.base = srv.URL + "/"
	ctx := bt.ctx

	// Load, wait for the wasm to run and the service worker to settle.
	bt.must(chromedp.Do(ctx,
		chromedp.Navigate(bt.base),
		chromedp.WaitVisible(chromedp.CSS(`#portlens[data-state="idle"]`)),
		chromedp.Sleep(1500*time.Millisecond),
	))
	_, loadServer := log.snapshot()
	loadPage, _ := log.snapshot()
	privacy := bt.text("#privacy")
	if !strings.Contains(privacy, "never leaves this browser") {
		t.Errorf("privacy line = %q", privacy)
	}
	bt.shot("01-start")

	t.Run("sample", bt.sample)
	t.Run("related", bt.related)
	t.Run("filter", bt.filter)
	t.Run("keyboard", bt.keyboard)
	t.Run("export", bt.exportCSV)
	t.Run("export-json-pcapng", bt.exportOthers)
	t.Run("views", bt.views)
	t.Run("settings", bt.settings)
	t.Run("upload", bt.upload)
	t.Run("big-list", bt.bigList)
	t.Run("truncated", bt.truncated)
	t.Run("not-capture", bt.notCapture)
	t.Run("dark-phone", bt.darkPhone)
	t.Run("share", bt.share)
	t.Run("cancel", bt.cancelKeeps)

	// Every request went to 127.0.0.1; after the load only samples were fetched.
	bt.checkLocal()
	page, server := log.snapshot()
	for _, u := range page[len(loadPage):] {
		if strings.HasPrefix(u, "blob:") || strings.HasPrefix(u, "data:") {
			continue
		}
		if pu, _ := url.Parse(u); pu == nil || !strings.HasPrefix(pu.Path, "/web/samples/") {
			t.Errorf("page request after load: %s", u)
		}
	}
	for _, p := range server[len(loadServer):] {
		if !strings.HasPrefix(p, "/web/samples/") {
			t.Errorf("server saw a request after load: %s", p)
		}
	}
	t.Logf("%d page requests, %d server requests (%d at load); screenshots in %s", len(page), len(server), len(loadServer), bt.shots)

	// Offline: the server refuses every connection from now on.
	t.Run("offline", func(t *testing.T) { bt.offline(t, gate, "") })
	bt.checkLocal()
}

func skipWithoutBrowser(t *testing.T) {
	t.Helper()
	if !*browserFlag {
		t.Skip("browser tests run with -browser (make test-browser)")
	}
	if _, err := os.Stat(*chromiumPath); err != nil {
		t.Fatalf("no Chromium at %s: install Debian's chromium package (make chromium)", *chromiumPath)
	}
}

// newBrowserTest starts headless Chromium, kept off every network but
// 127.0.0.1, with every page request recorded in log.
func newBrowserTest(t *testing.T, log *requestLog) *browserTest {
	t.Helper()
	shots := *artifactsDir
	if shots == "" {
		shots = t.TempDir()
	}
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(*chromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"),
		chromedp.Flag("disable-gpu", true),
		chromedp.WindowSize(1280, 800),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx, chromedp.WithListener(func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok {
			log.addPage(e.Request.URL)
		}
	}))
	ctx, cancelTimeout := context.WithTimeout(ctx, 150*time.Second)
	bt := &browserTest{t: t, ctx: ctx, shots: shots, downloads: t.TempDir(), log: log,
		close: func() { cancelTimeout(); cancelCtx(); cancelAlloc() }}
	bt.must(chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := chromedp.Call(ctx, network.Enable, network.EnableParams{})
		return err
	})))
	_, err := chromedp.CallBrowser(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: bt.downloads,
	})
	bt.must(err)
	return bt
}

// checkLocal fails the test if any request the page made went anywhere
// but 127.0.0.1.
func (bt *browserTest) checkLocal() {
	bt.t.Helper()
	page, _ := bt.log.snapshot()
	for _, u := range page {
		pu, err := url.Parse(u)
		if err != nil {
			bt.t.Errorf("request to %q", u)
			continue
		}
		switch pu.Scheme {
		case "data", "blob":
			continue
		}
		if pu.Hostname() != "127.0.0.1" {
			bt.t.Errorf("request left the machine: %s", u)
		}
	}
}

func (bt *browserTest) must(err error) {
	bt.t.Helper()
	if err != nil {
		bt.t.Fatal(err)
	}
}

func (bt *browserTest) eval(expr string) string {
	bt.t.Helper()
	v, err := chromedp.Run(bt.ctx, chromedp.Evaluate[string](expr))
	bt.must(err)
	return v
}

func (bt *browserTest) text(sel string) string {
	bt.t.Helper()
	return bt.eval(fmt.Sprintf(`(document.querySelector(%q) || {}).textContent || ""`, sel))
}

// wait polls a JS predicate.
func (bt *browserTest) wait(what, expr string) {
	bt.t.Helper()
	// Generous: these wait for events, and a loaded machine compiles wasm slowly.
	ctx, cancel := context.WithTimeout(bt.ctx, 60*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](expr)); err != nil {
		bt.t.Fatalf("waiting for %s: %v", what, err)
	}
}

func (bt *browserTest) shot(name string) {
	bt.t.Helper()
	png, err := chromedp.Run(bt.ctx, chromedp.CaptureScreenshot())
	bt.must(err)
	bt.must(os.WriteFile(filepath.Join(bt.shots, name+".png"), png, 0o644))
}

func (bt *browserTest) click(sel string) {
	bt.t.Helper()
	bt.must(chromedp.Do(bt.ctx, chromedp.Click(chromedp.CSS(sel))))
}

// expectDone listens for the next portlens:done event; call it before the
// action that starts an analysis.
func (bt *browserTest) expectDone() {
	bt.t.Helper()
	bt.eval(`window.__done = null; document.addEventListener("portlens:done", e => { window.__done = e.detail }, {once: true}); ""`)
}

// waitDone waits for the portlens:done event and returns data-state, which
// must agree with the event.
func (bt *browserTest) waitDone() string {
	bt.t.Helper()
	bt.wait("the analysis", `window.__done !== null`)
	st := bt.eval(`document.querySelector("#portlens").dataset.state`)
	if ev := bt.eval(`window.__done.state`); ev != st {
		bt.t.Errorf("portlens:done says %s, data-state %s", ev, st)
	}
	return st
}

func (bt *browserTest) attr(name string) string {
	return bt.eval(fmt.Sprintf(`document.querySelector("#portlens").dataset[%q]`, name))
}

// settings changes the preset: the rules run again in the background
// without reading the file, and the change is remembered.
func (bt *browserTest) settings(t *testing.T) {
	bt.t = t
	if p, f := bt.attr("packets"), bt.attr("flags"); p != "10" || f != "4" {
		t.Fatalf("want the RST storm sample on screen (10 packets, 4 flags), have %s and %s", p, f)
	}
	// The settings are built when their box is opened, as a user does.
	bt.click(".settings-box summary")
	bt.wait("the settings", `document.querySelector("#preset") !== null`)
	setPreset := func(name string) {
		bt.expectDone()
		bt.eval(fmt.Sprintf(`(() => { const s = document.querySelector("#preset"); s.value = %q;
			s.dispatchEvent(new Event("change", {bubbles: true})); return "" })()`, name))
		bt.waitDone()
	}
	// Port 40312 is inside Linux's range but outside Windows' 49152-65535.
	setPreset("windows")
	if f := bt.attr("flags"); f != "5" {
		t.Fatalf("under windows: data-flags %s, want 5 (the four reuses and port.outside_ephemeral)", f)
	}
	if !strings.Contains(bt.text("#summary"), "port.outside_ephemeral") {
		t.Errorf("the summary does not list port.outside_ephemeral: %s", bt.text("#summary"))
	}
	if p := bt.attr("packets"); p != "10" {
		t.Errorf("data-packets %s after re-judging", p)
	}
	if stored := bt.eval(`JSON.stringify(localStorage)`); !strings.Contains(stored, "windows") {
		t.Errorf("the preset is not remembered: %s", stored)
	}
	bt.shot("14-settings-windows")
	setPreset("linux")
	if f := bt.attr("flags"); f != "4" {
		t.Errorf("back under linux: data-flags %s, want 4", f)
	}
}

func (bt *browserTest) sample(t *testing.T) {
	bt.t = t
	bt.expectDone()
	bt.click(`[id="sample-seed-rst-storm.pcap"]`)
	if st := bt.waitDone(); st != "done" {
		t.Fatalf("state %s", st)
	}
	bt.toPackets()
	if p, f := bt.attr("packets"), bt.attr("flags"); p != "10" || f != "4" {
		t.Errorf("data-packets %s data-flags %s, want 10 and 4", p, f)
	}
	bt.wait("portlens:done", `window.__done && window.__done.packets === 10 && window.__done.flags === 4`)
	for _, n := range []string{"3", "5", "7", "9"} {
		bt.wait("flagged row "+n, `document.querySelector("#row-`+n+`.flagged .c-info")?.textContent.includes("[TCP Port numbers reused]")`)
	}
	if got := bt.eval(`String(document.querySelectorAll("#window .row.flagged").length)`); got != "4" {
		t.Errorf("%s flagged rows, want 4", got)
	}
	// The first flag is selected and explained with its numbers.
	bt.wait("the detail of frame 3", `document.querySelector("#detail")?.dataset.frame === "3"`)
	expl := bt.text("#detail .explanation")
	for _, want := range []string{"Frame 3 is a SYN", "Stream 0 used the same ports from frame 1", "RST", "frame 2"} {
		if !strings.Contains(expl, want) {
			t.Errorf("explanation lacks %q: %s", want, expl)
		}
	}
	bt.shot("02-sample-flag")
}

func (bt *browserTest) related(t *testing.T) {
	bt.t = t
	bt.click(`#detail a.frame-link[data-frame="2"]`)
	bt.wait("frame 2 selected", `document.querySelector("#detail")?.dataset.frame === "2" && document.querySelector("#row-2")?.getAttribute("aria-selected") === "true"`)
	if info := bt.text("#row-2 .c-info"); !strings.Contains(info, "RST") {
		t.Errorf("frame 2 info %q, want an RST", info)
	}
}

func (bt *browserTest) filter(t *testing.T) {
	bt.t = t
	bt.must(chromedp.Do(bt.ctx, chromedp.SendKeys(chromedp.CSS("#filter-text"), "flagged\r")))
	bt.wait("4 rows", `document.querySelectorAll("#window .row").length === 4`)
	if c := bt.text("#filter-count"); c != "4 of 10 packets" {
		t.Errorf("count %q", c)
	}
	bt.shot("03-filter-flagged")
	bt.click("#filter-clear")
	bt.wait("10 rows", `document.querySelectorAll("#window .row").length === 10`)
	bt.must(chromedp.Do(bt.ctx, chromedp.SendKeys(chromedp.CSS("#filter-text"), "stream:2\r")))
	bt.wait("stream 2", `document.querySelectorAll("#window .row").length === 2`)
	bt.click("#filter-clear")
	bt.wait("10 rows", `document.querySelectorAll("#window .row").length === 10`)
	// The kind button of the summary filters too.
	bt.click(`button.kind[data-kind="tcp.reused_ports"]`)
	bt.wait("kind filter", `document.querySelectorAll("#window .row").length === 4`)
	bt.click(`button.kind[data-kind="tcp.reused_ports"]`)
	bt.wait("10 rows", `document.querySelectorAll("#window .row").length === 10`)
}

func (bt *browserTest) keyboard(t *testing.T) {
	bt.t = t
	bt.click("#row-1")
	bt.wait("frame 1", `document.querySelector("#detail")?.dataset.frame === "1"`)
	bt.must(chromedp.Do(bt.ctx, chromedp.Focus(chromedp.CSS("#viewport")), chromedp.KeyEvent("n")))
	bt.wait("n to frame 3", `document.querySelector("#detail")?.dataset.frame === "3"`)
	bt.must(chromedp.Do(bt.ctx, chromedp.KeyEvent("n")))
	bt.wait("n to frame 5", `document.querySelector("#detail")?.dataset.frame === "5"`)
	bt.must(chromedp.Do(bt.ctx, chromedp.KeyEvent("p")))
	bt.wait("p to frame 3", `document.querySelector("#detail")?.dataset.frame === "3"`)
	bt.must(chromedp.Do(bt.ctx, chromedp.KeyEvent(kb.ArrowDown)))
	bt.wait("down to frame 4", `document.querySelector("#detail")?.dataset.frame === "4"`)
}

func (bt *browserTest) exportCSV(t *testing.T) {
	bt.t = t
	f, err := os.Open(bt.download("#export-csv"))
	bt.must(err)
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	bt.must(err)
	if len(recs) != 5 || recs[0][0] != "frame" || recs[1][0] != "3" || recs[1][1] != "tcp.reused_ports" || recs[4][0] != "9" {
		t.Errorf("CSV = %v", recs)
	}
}

// exportOthers reads back the JSON report and the flagged packets as
// pcapng, with portlens's own reader.
func (bt *browserTest) exportOthers(t *testing.T) {
	bt.t = t
	data, err := os.ReadFile(bt.download("#export-json"))
	bt.must(err)
	var rep analyzer.Report
	bt.must(json.Unmarshal(data, &rep))
	if rep.Packets != 10 || len(rep.Flags) != 4 || rep.Flags[0].Frame != 3 || rep.Flags[0].Class != "after-rst" {
		t.Errorf("report: %d packets, flags %+v", rep.Packets, rep.Flags)
	}
	f, err := os.Open(bt.download("#export-pcapng"))
	bt.must(err)
	defer f.Close()
	rd, err := capture.NewReader(f)
	bt.must(err)
	var times []int64
	for {
		p, err := rd.Next()
		if err == io.EOF {
			break
		}
		bt.must(err)
		times = append(times, p.Time)
	}
	if rd.Info().Format != "pcapng" || len(times) != 4 {
		t.Fatalf("flagged pcapng: format %q, %d packets, want the 4 flagged frames", rd.Info().Format, len(times))
	}
	// Frames 3, 5, 7 and 9 of the storm are 500 ms apart.
	for i := 1; i < len(times); i++ {
		if d := times[i] - times[i-1]; d != 500*int64(time.Millisecond) {
			t.Errorf("flagged packets %d and %d are %d ns apart, want 500 ms", i, i+1, d)
		}
	}
}

// download clicks an export button and returns the file it downloaded.
func (bt *browserTest) download(button string) string {
	bt.t.Helper()
	before, _ := os.ReadDir(bt.downloads)
	bt.click(button)
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		entries, _ := os.ReadDir(bt.downloads)
		for _, e := range entries {
			if !strings.HasSuffix(e.Name(), ".crdownload") && !contains(before, e.Name()) {
				return filepath.Join(bt.downloads, e.Name())
			}
		}
	}
	bt.t.Fatalf("nothing downloaded by %s", button)
	return ""
}

func contains(entries []os.DirEntry, name string) bool {
	for _, e := range entries {
		if e.Name() == name {
			return true
		}
	}
	return false
}

func (bt *browserTest) views(t *testing.T) {
	bt.t = t
	bt.click("#tab-conversations")
	bt.wait("conversations", `document.querySelectorAll("#conversations-table-window .row").length === 5`)
	if chain := bt.text(`#conversations-table-window .row[data-stream="2"] .chain`); chain != "0 → 1 → 2 → 3 → 4" {
		t.Errorf("reuse chain %q", chain)
	}
	bt.shot("04-conversations")
	bt.click("#tab-endpoints")
	bt.wait("endpoints", `document.querySelectorAll("#services-window .row").length === 1`)
	if st := bt.text("#services-window .row"); !strings.Contains(st, "CLOSED 5") {
		t.Errorf("service row %q, want CLOSED 5", st)
	}
	bt.shot("05-endpoints")
	bt.click("#tab-ports")
	bt.wait("ports timeline", `document.querySelectorAll("#port-timeline .flag-mark[data-kind='tcp.reused_ports']").length === 4`)
	bt.shot("06-ports")
	bt.click("#tab-packets")
}

func (bt *browserTest) upload(t *testing.T) {
	bt.t = t
	file, _ := filepath.Abs(filepath.Join("..", "..", "testdata", "captures", "link-null-le.pcap"))
	bt.expectDone()
	bt.must(chromedp.Do(bt.ctx, chromedp.SetUploadFiles(chromedp.CSS("#file-input"), []string{file})))
	if st := bt.waitDone(); st != "done" {
		t.Fatalf("state %s", st)
	}
	if p, f := bt.attr("packets"), bt.attr("flags"); p != "32" || f != "2" {
		t.Errorf("data-packets %s data-flags %s, want 32 and 2", p, f)
	}
	bt.toPackets()
	bt.wait("row 8 flagged", `document.querySelector("#row-8.flagged .c-info")?.textContent.includes("[TCP Port numbers reused]")`)
	// Frame 24 is below the fold: n scrolls the virtual list to it.
	bt.must(chromedp.Do(bt.ctx, chromedp.Focus(chromedp.CSS("#viewport")), chromedp.KeyEvent("n")))
	bt.wait("row 24 flagged", `document.querySelector("#row-24.flagged .c-info")?.textContent.includes("[TCP Port numbers reused]")`)
	bt.shot("07-upload")
}

// bigList opens a capture of more rows than a browser can lay out at 24
// pixels each without the list's scaling (maxListHeight in app/), and
// checks that the last rows and the middle can be reached.
func (bt *browserTest) bigList(t *testing.T) {
	bt.t = t
	const n = 400_000
	file := filepath.Join(t.TempDir(), "big.pcap")
	bt.must(os.WriteFile(file, benchcap.Bytes(n), 0o644))
	bt.expectDone()
	bt.must(chromedp.Do(bt.ctx, chromedp.SetUploadFiles(chromedp.CSS("#file-input"), []string{file})))
	if st := bt.waitDone(); st != "done" || bt.attr("packets") != fmt.Sprint(n) {
		t.Fatalf("state %s, %s packets", st, bt.attr("packets"))
	}
	bt.toPackets()
	// 400k rows at 24 px would be 9.6M px: the list must be capped at 8M.
	if h, _ := strconv.Atoi(bt.eval(`String(document.querySelector("#viewport").scrollHeight)`)); h < 1_000_000 || h > 8_000_000 {
		t.Errorf("the list is %d px tall: want the 8,000,000 px cap (browsers stop laying out near 17M)", h)
	}
	bt.must(chromedp.Do(bt.ctx, chromedp.Focus(chromedp.CSS("#viewport")), chromedp.KeyEvent(kb.End)))
	bt.wait("the last row", fmt.Sprintf(`document.querySelector("#row-%d .c-info")?.textContent.length > 0`, n))
	// Dragging the scroll bar to the middle shows rows near the middle.
	bt.eval(`(() => { const v = document.querySelector("#viewport"); v.scrollTop = (v.scrollHeight - v.clientHeight) / 2; return "" })()`)
	bt.wait("rows near the middle", fmt.Sprintf(`[...document.querySelectorAll("[id^=row-]")].some((r) => Math.abs(+r.id.slice(4) - %d) < 1000)`, n/2))
	bt.shot("15-big-list")
}

func (bt *browserTest) truncated(t *testing.T) {
	bt.t = t
	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "captures", "seed-fin-then-syn-2h.pcap"))
	bt.must(err)
	file := filepath.Join(t.TempDir(), "truncated.pcap")
	bt.must(os.WriteFile(file, data[:len(data)-40], 0o644))
	bt.expectDone()
	bt.must(chromedp.Do(bt.ctx, chromedp.SetUploadFiles(chromedp.CSS("#file-input"), []string{file})))
	if st := bt.waitDone(); st != "error" {
		t.Fatalf("state %s, want error", st)
	}
	bt.toPackets()
	msg := bt.text("#error")
	if !strings.Contains(msg, "frame 18") || !strings.Contains(msg, "17 packets before it") {
		t.Errorf("error message %q", msg)
	}
	if p := bt.attr("packets"); p != "17" {
		t.Errorf("data-packets %s, want 17 read before the damage", p)
	}
	bt.wait("the partial results", `document.querySelector("#row-10.flagged .c-info")?.textContent.includes("[TCP Port numbers reused]")`)
	bt.shot("08-truncated")
}

func (bt *browserTest) notCapture(t *testing.T) {
	bt.t = t
	file := filepath.Join(t.TempDir(), "notes.txt")
	bt.must(os.WriteFile(file, []byte("<!DOCTYPE html><p>not a capture</p>\n"), 0o644))
	bt.expectDone()
	bt.must(chromedp.Do(bt.ctx, chromedp.SetUploadFiles(chromedp.CSS("#file-input"), []string{file})))
	if st := bt.waitDone(); st != "error" {
		t.Fatalf("state %s, want error", st)
	}
	if msg := bt.text("#error"); !strings.Contains(msg, "This is not a capture file") || !strings.Contains(msg, "3c 21 44 4f") {
		t.Errorf("error message %q", msg)
	}
	if p := bt.attr("packets"); p != "0" {
		t.Errorf("data-packets %s", p)
	}
	bt.shot("09-not-capture")
}

func (bt *browserTest) darkPhone(t *testing.T) {
	bt.t = t
	bt.expectDone()
	bt.eval(`const s = document.querySelector("#sample-select"); s.value = "seed-fin-then-syn-2h.pcap"; s.dispatchEvent(new Event("change")); ""`)
	if st := bt.waitDone(); st != "done" {
		t.Fatalf("state %s", st)
	}
	bt.toPackets()
	_, err := chromedp.Run(bt.ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}},
		})
		return err
	}))
	bt.must(err)
	bt.wait("row 10", `document.querySelector("#row-10.flagged .c-info")?.textContent.includes("[TCP Port numbers reused]")`)
	bt.shot("10-dark")
	bt.must(chromedp.Do(bt.ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile)))
	bt.must(chromedp.Do(bt.ctx, chromedp.Sleep(300*time.Millisecond)))
	bt.shot("11-phone-dark")
	bt.must(chromedp.Do(bt.ctx, chromedp.EmulateReset()))
}
