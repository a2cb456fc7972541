package main

// Browser tests of the page as a Wireshark user uses it: the keyboard at
// once, the detail beside the list, following a conversation, tables that
// sort and filter and never page, a file chosen before the page is ready,
// a file that is not a capture, a phone. Run by `make test-browser`.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/portlens/portlens/analyzer"
	"github.com/portlens/portlens/testdata/benchgen/benchcap"
)

// wasmGate holds the page's requests for app.wasm while on: the page is
// the prerendered HTML for as long as the test wants.
type wasmGate struct {
	mu      sync.Mutex
	release chan struct{} // nil while the gate is open
	held    int
}

func (g *wasmGate) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/web/app.wasm") {
			g.mu.Lock()
			ch := g.release
			if ch != nil {
				g.held++
			}
			g.mu.Unlock()
			if ch != nil {
				select {
				case <-ch:
				case <-r.Context().Done():
					return
				}
			}
		}
		h.ServeHTTP(w, r)
	})
}

func (g *wasmGate) hold() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.release, g.held = make(chan struct{}), 0
}

// open lets the held requests through, and returns how many there were.
func (g *wasmGate) open() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.release != nil {
		close(g.release)
		g.release = nil
	}
	return g.held
}

// pageTest starts the site and a browser on it, at the page, ready.
func pageTest(t *testing.T) (*browserTest, *wasmGate) {
	t.Helper()
	skipWithoutBrowser(t)
	site := t.TempDir()
	if err := buildSite(siteOptions{Out: site, Web: filepath.Join("..", "..", "web")}); err != nil {
		t.Fatal(err)
	}
	log := &requestLog{}
	gate := &wasmGate{}
	srv := httptest.NewServer(gate.wrap(siteHandler(site, func(r *http.Request) { log.addServer(r.URL.Path) })))
	t.Cleanup(func() { gate.open(); srv.Close() })
	bt := newBrowserTest(t, log)
	t.Cleanup(bt.close)
	bt.base = srv.URL + "/"
	bt.must(chromedp.Do(bt.ctx, chromedp.EmulateViewport(1440, 900),
		chromedp.Navigate(bt.base), chromedp.WaitVisible(chromedp.CSS(`#portlens[data-state="idle"]`))))
	return bt, gate
}

// uploadBytes analyzes a capture (its bytes) through the file button.
func (bt *browserTest) uploadBytes(name string, data []byte) {
	bt.t.Helper()
	file := filepath.Join(bt.t.TempDir(), name)
	bt.must(os.WriteFile(file, data, 0o644))
	bt.expectDone()
	bt.must(chromedp.Do(bt.ctx, chromedp.SetUploadFiles(chromedp.CSS("#file-input"), []string{file})))
	bt.waitDone()
}

// analyze is what the page should show for a capture: portlens's own
// analysis, natively, for stream numbers and counts (the conformance tests
// hold those to Wireshark's).
func analyze(t *testing.T, name string, data []byte) *analyzer.Result {
	t.Helper()
	res := analyzer.Analyze(name, bytes.NewReader(data), analyzer.Options{})
	if res.Error != "" {
		t.Fatal(res.Error)
	}
	return res
}

func (bt *browserTest) frame() string {
	return bt.eval(`document.querySelector("#detail")?.dataset.frame || ""`)
}

// key presses a key where the focus is (nothing focuses anything first).
func (bt *browserTest) key(k string) {
	bt.t.Helper()
	bt.must(chromedp.Do(bt.ctx, chromedp.KeyEvent(k)))
}

func (bt *browserTest) dark(on bool) {
	bt.t.Helper()
	v := "light"
	if on {
		v = "dark"
	}
	_, err := chromedp.Run(bt.ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: v}},
		})
		return err
	}))
	bt.must(err)
}

type rect struct{ Left, Top, Right, Bottom, Width, Height float64 }

func (bt *browserTest) rect(sel string) rect {
	bt.t.Helper()
	js := fmt.Sprintf(`JSON.stringify((() => { const r = document.querySelector(%q).getBoundingClientRect();
		return {Left: r.left, Top: r.top, Right: r.right, Bottom: r.bottom, Width: r.width, Height: r.height} })())`, sel)
	var r rect
	bt.must(json.Unmarshal([]byte(bt.eval(js)), &r))
	return r
}

// TestBrowserPage: keyboard, layout, follow, not a capture, a file queued
// before the page is ready, a phone.
func TestBrowserPage(t *testing.T) {
	bt, gate := pageTest(t)
	t.Run("keys-at-once", bt.keysAtOnce)
	t.Run("wide", bt.wide)
	t.Run("follow", bt.followStream)
	t.Run("not-capture", bt.notCaptureOnce)
	t.Run("phone", bt.phone)
	for _, how := range []string{"file", "drop", "sample"} {
		t.Run("queued-"+how, func(t *testing.T) { bt.queued(t, gate, how) })
	}
	bt.checkLocal()
}

// keysAtOnce: when the results appear the view shown first has the
// keyboard, no click first: the findings (↓ ↑ move between them), and the
// packet list once the user goes to it.
func (bt *browserTest) keysAtOnce(t *testing.T) {
	bt.t = t
	bt.expectDone()
	bt.click(`[id="sample-seed-rst-storm.pcap"]`)
	bt.waitDone()
	bt.wait("the first finding focused", `document.activeElement?.closest("li.finding")?.dataset.finding === "1"`)
	bt.click("#tab-packets")
	bt.wait("the list focused", `document.activeElement?.id === "viewport"`)
	bt.wait("frame 3, the first flag", `document.querySelector("#detail")?.dataset.frame === "3"`)
	for _, step := range []struct{ key, frame string }{
		{kb.ArrowDown, "4"}, {"n", "5"}, {"p", "3"}, {kb.ArrowUp, "2"}, {kb.End, "10"}, {kb.Home, "1"}, {"n", "3"},
	} {
		bt.key(step.key)
		bt.wait("frame "+step.frame+" after "+fmt.Sprintf("%q", step.key), `document.querySelector("#detail")?.dataset.frame === "`+step.frame+`"`)
	}
	// Ctrl+F is the browser's (find), not the list's follow.
	bt.must(chromedp.Do(bt.ctx, chromedp.KeyEvent("f", chromedp.KeyModifiers(2))))
	bt.must(chromedp.Do(bt.ctx, chromedp.Sleep(200*time.Millisecond)))
	if f := bt.eval(`document.querySelector("#filter-text").value`); f != "" {
		t.Errorf("Ctrl+F set the filter %q", f)
	}
	// The same from the file button: the focus leaves it for the findings.
	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "captures", "seed-fin-then-syn-2h.pcap"))
	bt.must(err)
	bt.eval(`document.querySelector("#sample-select").focus(); ""`)
	bt.uploadBytes("fin.pcap", data)
	bt.wait("the first finding focused", `document.activeElement?.closest("li.finding")?.dataset.finding === "1"`)
	bt.toPackets()
	bt.wait("the list focused", `document.activeElement?.id === "viewport"`)
	bt.key(kb.End)
	bt.wait("the last frame", `document.querySelector("#detail")?.dataset.frame === "18"`)
	// Several findings: ↓ and ↑ move between them, End to the last the
	// list is to show (25), also when the list has not grown to it yet:
	// right after the results appear it holds the top finding only.
	bench := benchcap.Bytes(3000)
	findings := len(analyzer.Analyze("bench-3000.pcap", bytes.NewReader(bench), analyzer.DefaultOptions()).Verdict.Findings())
	last := strconv.Itoa(min(25, findings))
	if findings < 2 {
		t.Fatalf("the 3000-packet capture has %d findings: ↓ has nowhere to go", findings)
	}
	bt.uploadBytes("bench-3000.pcap", bench)
	bt.wait("the first finding focused", `document.activeElement?.closest("li.finding")?.dataset.finding === "1"`)
	bt.key(kb.End)
	bt.wait("finding "+last+", the last listed, focused", `document.activeElement?.closest("li.finding")?.dataset.finding === "`+last+`"`)
	bt.key(kb.Home)
	bt.wait("the first finding again", `document.activeElement?.closest("li.finding")?.dataset.finding === "1"`)
	bt.key(kb.ArrowDown)
	bt.wait("the second finding focused", `document.activeElement?.closest("li.finding")?.dataset.finding === "2"`)
	bt.key(kb.ArrowUp)
	bt.wait("the first finding again", `document.activeElement?.closest("li.finding")?.dataset.finding === "1"`)
}

// wide: at 1440x900 the detail is beside the list, and the page does not
// scroll: the list and the detail do, each on its own.
func (bt *browserTest) wide(t *testing.T) {
	bt.t = t
	bt.uploadBytes("bench-3000.pcap", benchcap.Bytes(3000))
	bt.toPackets()
	bt.wait("rows", `document.querySelectorAll("#window .row").length > 20`)
	bt.key("n") // a flagged frame: the detail has a flag's explanation
	bt.wait("a flag explained", `document.querySelector("#detail .flag") !== null`)
	list, detail := bt.rect("#viewport"), bt.rect("#detail")
	t.Logf("1440x900: list %+v, detail %+v", list, detail)
	if detail.Left < list.Right-1 || detail.Top > list.Bottom || list.Top > detail.Bottom {
		t.Errorf("the detail is not beside the list: list %+v, detail %+v", list, detail)
	}
	if list.Width < 600 || detail.Width < 350 {
		t.Errorf("list %.0f px, detail %.0f px wide: too narrow to read", list.Width, detail.Width)
	}
	if list.Bottom > 900 || detail.Bottom > 900 || list.Height < 400 {
		t.Errorf("list %+v / detail %+v: want both inside the window, the list at least 400 px tall", list, detail)
	}
	if h := bt.eval(`String(document.scrollingElement.scrollHeight - innerHeight)`); h != "0" {
		t.Errorf("the page scrolls by %s px: the panes should", h)
	}
	if s := bt.eval(`(() => { const v = document.querySelector("#viewport"); return v.scrollHeight > v.clientHeight ? "yes" : "no" })()`); s != "yes" {
		t.Errorf("the list does not scroll on its own")
	}
	if o := bt.eval(`getComputedStyle(document.querySelector("#detail")).overflowY`); o != "auto" {
		t.Errorf("the detail's overflow-y is %s, want auto (scrolls on its own)", o)
	}
	// The rules panel opened and closed again resizes the list, not the
	// window: the rows still fill it.
	bt.click(".settings-box summary")
	bt.must(chromedp.Do(bt.ctx, chromedp.Focus(chromedp.CSS("#viewport")), chromedp.KeyEvent(kb.ArrowDown),
		chromedp.Sleep(200*time.Millisecond))) // measured while small
	bt.click(".settings-box summary")
	bt.wait("rows filling the list again", `(() => { const v = document.querySelector("#viewport");
		return document.querySelectorAll("#window .row").length * 24 >= v.clientHeight })()`)
	bt.shot("30-wide-1440x900")
	bt.dark(true)
	bt.shot("31-wide-dark-1440x900")
	bt.dark(false)
	// Below 1200 px: stacked, as before; the page scrolls.
	bt.must(chromedp.Do(bt.ctx, chromedp.EmulateViewport(1100, 800), chromedp.Sleep(300*time.Millisecond)))
	list, detail = bt.rect("#viewport"), bt.rect("#detail")
	if detail.Top < list.Bottom {
		t.Errorf("at 1100 px the detail should be below the list: list %+v, detail %+v", list, detail)
	}
	bt.must(chromedp.Do(bt.ctx, chromedp.EmulateViewport(1440, 900), chromedp.Sleep(300*time.Millisecond)))
}

// followStream: f (or the detail's button) shows only the selected frame's
// TCP stream; f again, or Esc, goes back.
func (bt *browserTest) followStream(t *testing.T) {
	bt.t = t
	data := benchcap.Bytes(3000)
	res := analyze(t, "bench-3000.pcap", data)
	bt.uploadBytes("bench-3000.pcap", data)
	// A TCP frame of a stream with a few packets, in view from the start.
	frame, stream := 0, -1
	for n := 2; n <= 15 && frame == 0; n++ {
		if st := res.Frames.Stream(n); st >= 0 && streamLen(res, st) >= 3 {
			frame, stream = n, st
		}
	}
	if frame == 0 {
		t.Fatal("no TCP frame with a stream of 3 packets among the first 15")
	}
	want := streamLen(res, stream)
	bt.toPackets()
	bt.click(fmt.Sprintf("#row-%d", frame))
	bt.wait("the frame selected", fmt.Sprintf(`document.querySelector("#detail")?.dataset.frame === "%d"`, frame))
	check := func(how string) {
		// The filter box first: another filter may show the same count.
		bt.wait(how+": the filter box", fmt.Sprintf(`document.querySelector("#filter-text")?.value === "tcp.stream == %d"`, stream))
		bt.wait(how+": the list filtered", fmt.Sprintf(`document.querySelector("#filter-count")?.textContent === "%d of 3,000 packets"`, want))
		bt.wait(how+": rows in", fmt.Sprintf(`document.querySelectorAll("#window .row").length === %d && ![...document.querySelectorAll("#window .row .c-time")].some((c) => c.classList.contains("loading"))`, want))
		var frames []int
		bt.must(json.Unmarshal([]byte(bt.eval(`JSON.stringify([...document.querySelectorAll("#window .row")].map((r) => +r.dataset.frame))`)), &frames))
		for _, n := range frames {
			if st := res.Frames.Stream(n); st != stream {
				t.Errorf("%s: frame %d of stream %d in the list of stream %d", how, n, st, stream)
			}
		}
		if !slices.Contains(frames, frame) || bt.frame() != strconv.Itoa(frame) {
			t.Errorf("%s: frame %d should stay selected and shown: rows %v, detail %s", how, frame, frames, bt.frame())
		}
	}
	all := func(how string) {
		bt.wait(how+": no filter", `document.querySelector("#filter-text")?.value === ""`)
		bt.wait(how+": all packets", `document.querySelector("#filter-count")?.textContent === "3,000 of 3,000 packets"`)
		if bt.frame() != strconv.Itoa(frame) {
			t.Errorf("%s: the selection moved to %s", how, bt.frame())
		}
	}
	bt.key("f")
	check("key f")
	bt.shot("32-follow")
	if l := bt.text("#follow"); !strings.HasPrefix(l, "Stop following stream") {
		t.Errorf("while following, the button says %q", l)
	}
	bt.key("f")
	all("f again")
	bt.click("#follow")
	check("the Follow button")
	bt.must(chromedp.Do(bt.ctx, chromedp.Focus(chromedp.CSS("#viewport"))))
	bt.key(kb.Escape)
	all("Esc")
	// Following from another filter comes back to it.
	port := fmt.Sprintf("port:%d", res.Conversation(stream).B.Port) // the server's: more than one stream
	bt.must(chromedp.Do(bt.ctx, chromedp.SendKeys(chromedp.CSS("#filter-text"), port+"\r")))
	bt.wait("the port filter", `document.querySelector("#filter-count")?.textContent !== "3,000 of 3,000 packets"`)
	before := bt.text("#filter-count")
	bt.click("#follow")
	check("follow from a filter")
	bt.click("#follow")
	bt.wait("back to the port filter", fmt.Sprintf(`document.querySelector("#filter-text")?.value === %q && document.querySelector("#filter-count")?.textContent === %q`, port, before))
	bt.click("#filter-clear")
}

func streamLen(res *analyzer.Result, stream int) int {
	n := 0
	for i := 1; i <= res.Frames.Len(); i++ {
		if res.Frames.Stream(i) == stream {
			n++
		}
	}
	return n
}

// notCaptureOnce: a text file says so once, with no "No flags" and no
// export, and offers to open another file.
func (bt *browserTest) notCaptureOnce(t *testing.T) {
	bt.t = t
	bt.uploadBytes("notes.txt", []byte("<!DOCTYPE html><p>not a capture</p>\n"))
	if st := bt.attr("state"); st != "error" {
		t.Fatalf("state %s, want error", st)
	}
	if n := bt.eval(`String(document.querySelectorAll('[role="alert"]').length)`); n != "1" {
		t.Errorf("%s alerts, want one", n)
	}
	body := strings.ToLower(bt.text("#main"))
	if n := strings.Count(body, "not a capture file"); n != 1 {
		t.Errorf(`"not a capture file" %d times on the page: %s`, n, body)
	}
	if !strings.Contains(bt.text("#error"), "notes.txt starts with 3c 21 44 4f") {
		t.Errorf("the error %q does not say what the file starts with", bt.text("#error"))
	}
	if n := bt.eval(`String(document.querySelectorAll("#no-flags, .ok").length)`); n != "0" {
		t.Errorf("a clean-result line is shown for a file that is not a capture")
	}
	if n := bt.eval(`String(document.querySelectorAll('[id^="export-"]:not([disabled])').length)`); n != "0" {
		t.Errorf("%s export buttons enabled", n)
	}
	if bt.eval(`document.querySelector(".opener .dropzone") ? "yes" : "no"`) != "yes" {
		t.Errorf("no way to open another file under the error")
	}
	bt.shot("33-not-capture")
}

// phone: at 375x812 every tab is on screen and opens; the packet list's
// Time, Source and Destination are a sideways scroll away.
func (bt *browserTest) phone(t *testing.T) {
	bt.t = t
	bt.must(chromedp.Do(bt.ctx, chromedp.EmulateViewport(375, 812, chromedp.EmulateMobile), chromedp.Sleep(300*time.Millisecond)))
	defer func() { bt.must(chromedp.Do(bt.ctx, chromedp.EmulateReset(), chromedp.EmulateViewport(1440, 900))) }()
	bt.expectDone()
	bt.eval(`{ const s = document.querySelector("#sample-select"); s.value = "seed-rst-storm.pcap"; s.dispatchEvent(new Event("change")); } ""`)
	bt.waitDone()
	bt.shot("34-phone")
	var tabs []string
	bt.must(json.Unmarshal([]byte(bt.eval(`JSON.stringify([...document.querySelectorAll(".tabs .tab")].map((b) => b.id))`)), &tabs))
	if len(tabs) < 4 {
		t.Fatalf("tabs %v", tabs)
	}
	for _, id := range tabs {
		bt.eval(fmt.Sprintf(`document.getElementById(%q).scrollIntoView({block: "center"}); ""`, id))
		r := bt.rect("#" + id)
		if r.Left < 0 || r.Right > 375 || r.Width < 24 {
			t.Errorf("tab %s at %+v: not all on a 375 px screen", id, r)
		}
		hit := bt.eval(fmt.Sprintf(`document.elementFromPoint(%f, %f)?.closest(".tab")?.id || ""`, (r.Left+r.Right)/2, (r.Top+r.Bottom)/2))
		if hit != id {
			t.Errorf("tab %s: a tap at its middle lands on %q", id, hit)
		}
		bt.click("#" + id)
		bt.wait(id+" open", fmt.Sprintf(`document.getElementById(%q).getAttribute("aria-selected") === "true" && document.querySelector("#tabpanel").children.length > 0`, id))
	}
	bt.click("#tab-packets")
	bt.wait("the list", `document.querySelector("#row-3 .c-info")?.textContent.length > 0`)
	bt.eval(`document.querySelector(".packet-list").scrollIntoView(); ""`)
	for _, c := range []string{"c-no", "c-info"} {
		if r := bt.rect(".packet-list .head ." + c); r.Left < 0 || r.Left > 375 {
			t.Errorf("the %s column is not on screen: %+v", c, r)
		}
	}
	bt.shot("35-phone-list")
	if w := bt.eval(`(() => { const l = document.querySelector(".packet-list"); return l.scrollWidth > l.clientWidth + 100 ? "wide" : "" })()`); w != "wide" {
		t.Fatalf("the packet list does not scroll sideways")
	}
	// One swipe: the Time column to the list's left edge.
	bt.eval(`{ const l = document.querySelector(".packet-list"), c = l.querySelector(".head .c-time");
		l.scrollLeft += c.getBoundingClientRect().left - l.getBoundingClientRect().left; } ""`)
	bt.must(chromedp.Do(bt.ctx, chromedp.Sleep(200*time.Millisecond)))
	for _, c := range []string{"c-time", "c-src", "c-dst"} {
		if r := bt.rect(".packet-list .head ." + c); r.Left < 0 || r.Right > 375 {
			t.Errorf("scrolled sideways, the %s column is not on screen: %+v", c, r)
		}
	}
	if src := bt.text("#row-3 .c-src"); src != "192.168.1.23" {
		t.Errorf("row 3's source %q", src)
	}
	bt.shot("36-phone-list-sideways")
	bt.dark(true)
	bt.eval(`{ const l = document.querySelector(".packet-list"); l.scrollLeft = 0; } scrollTo(0, 0); ""`)
	bt.shot("37-phone-dark")
	bt.dark(false)
}

// queued: a file chosen (or dropped, or a sample clicked) while app.wasm is
// still loading is read once the page is ready. A fresh browser context, so
// that no service worker has the wasm yet; the test server holds app.wasm
// meanwhile.
func (bt *browserTest) queued(t *testing.T, gate *wasmGate, how string) {
	ctx, cancel := chromedp.NewContext(bt.ctx, chromedp.WithNewBrowserContext())
	defer cancel()
	q := *bt
	q.ctx, q.t = ctx, t
	gate.hold()
	defer gate.open()
	q.must(chromedp.Do(ctx, chromedp.EmulateViewport(1440, 900), chromedp.Navigate(q.base)))
	q.wait("the prerendered page", `document.querySelector("#file-input") !== null && window.portlensPreload !== undefined`)
	if st := q.eval(`document.querySelector("#portlens").dataset.state || "none"`); st != "none" {
		t.Fatalf("the page is already running (state %s): the wasm was not held", st)
	}
	name := how + "-early.pcap"
	switch how {
	case "drop":
		// A drop as the browser makes it: a DataTransfer holding a File.
		q.eval(`(async () => {
			const blob = await (await fetch("web/samples/seed-rst-storm.pcap")).blob();
			const dt = new DataTransfer();
			dt.items.add(new File([blob], "` + name + `"));
			const ev = new DragEvent("drop", { dataTransfer: dt, bubbles: true, cancelable: true });
			window.__dropPrevented = !document.querySelector(".dropzone").dispatchEvent(ev);
		})(); ""`)
		q.wait("the drop", `window.__dropPrevented !== undefined`)
		if q.eval(`String(window.__dropPrevented)`) != "true" {
			t.Errorf("the drop was not taken: the browser would open the file in place of the page")
		}
	case "sample":
		name = "seed-rst-storm.pcap"
		q.click(`[id="sample-seed-rst-storm.pcap"]`)
	default:
		file := filepath.Join(t.TempDir(), name)
		data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "captures", "seed-rst-storm.pcap"))
		q.must(err)
		q.must(os.WriteFile(file, data, 0o644))
		q.must(chromedp.Do(ctx, chromedp.SetUploadFiles(chromedp.CSS("#file-input"), []string{file})))
	}
	q.wait("the queued note", `document.querySelector("#queued")?.textContent.includes("`+name+`")`)
	if st := q.eval(`document.querySelector("#portlens").dataset.state || "none"`); st != "none" {
		t.Fatalf("state %s before the wasm was let through", st)
	}
	q.shot("38-queued-" + how)
	if held := gate.open(); held == 0 {
		t.Errorf("no request for app.wasm was held")
	}
	q.wait("the queued capture analyzed", `document.querySelector("#portlens")?.dataset.state === "done" && document.querySelector(".file-name")?.textContent === "`+name+`"`)
	if p, f := q.attr("packets"), q.attr("flags"); p != "10" || f != "4" {
		t.Errorf("data-packets %s data-flags %s, want the RST storm's 10 and 4", p, f)
	}
	q.wait("the first finding focused", `document.activeElement?.closest("li.finding")?.dataset.finding === "1"`)
}

// TestBrowserPageTables: Conversations and Endpoints of a capture with
// some 22,000 conversations: no pages, every row reachable by scrolling,
// sorted on any column, filtered.
func TestBrowserPageTables(t *testing.T) {
	bt, _ := pageTest(t)
	const packets = 200_000
	data := benchcap.Bytes(packets)
	res := analyze(t, "bench.pcap", data)
	n := res.Conversations.Len()
	t.Logf("%d packets, %d conversations", packets, n)
	bt.uploadBytes("bench.pcap", data)
	if p := bt.attr("packets"); p != strconv.Itoa(packets) {
		t.Fatalf("data-packets %s", p)
	}
	bt.click("#tab-conversations")
	bt.wait("the conversations", `document.querySelectorAll("#conversations-table-window .row").length > 10`)
	t.Run("no-pages", func(t *testing.T) { bt.t = t; bt.convRows(res) })
	t.Run("sort", func(t *testing.T) { bt.t = t; bt.convSort(res) })
	t.Run("filter", func(t *testing.T) { bt.t = t; bt.convFilter(res) })
	t.Run("endpoints", func(t *testing.T) { bt.t = t; bt.endpoints(res) })
	bt.checkLocal()
}

// visible returns the streams of the conversation rows in the DOM, in order.
func (bt *browserTest) visible(table string) []int {
	bt.t.Helper()
	var out []int
	bt.must(json.Unmarshal([]byte(bt.eval(`JSON.stringify([...document.querySelectorAll("#`+table+`-window .row")].map((r) => +r.dataset.record))`)), &out))
	return out
}

// sorted waits until a table's rows are sorted on column col.
func (bt *browserTest) sorted(table string, col int, dir string) {
	bt.t.Helper()
	bt.wait(fmt.Sprintf("%s sorted on column %d, %s", table, col, dir), fmt.Sprintf(`(() => {
		const t = document.querySelector("#%s"), b = t.querySelector('.head button[data-col="%d"]');
		return t.dataset.busy === "false" && (t.dataset.sorted || "") === b.textContent.replace(/ [▲▼]$/, "") + " %s" })()`, table, col, dir))
}

// filtered waits until a table's rows are those of the filter text.
func (bt *browserTest) filtered(table, text string) {
	bt.t.Helper()
	bt.wait(table+" filtered by "+text, fmt.Sprintf(`(() => { const t = document.querySelector("#%s");
		return t.dataset.busy === "false" && (t.dataset.filtered || "") === %q })()`, table, text))
}

func (bt *browserTest) convRows(res *analyzer.Result) {
	t, n := bt.t, res.Conversations.Len()
	if rc := bt.eval(`document.querySelector("#conversations-table [role=table]").getAttribute("aria-rowcount")`); rc != strconv.Itoa(n+1) {
		t.Errorf("aria-rowcount %s, want %d", rc, n+1)
	}
	if h := bt.eval(`String(document.querySelector("#conversations-table-sizer").offsetHeight)`); h != strconv.Itoa(min(n*24, 8_000_000)) {
		t.Errorf("the sizer is %s px: want one 24 px row per conversation (%d)", h, n)
	}
	if rows, _ := strconv.Atoi(bt.eval(`String(document.querySelectorAll("#conversations-table .row").length)`)); rows > 100 {
		t.Errorf("%d rows in the DOM: want only those in view", rows)
	}
	if bt.eval(`document.querySelector(".pager") ? "pager" : ""`) != "" {
		t.Errorf("the table pages")
	}
	bt.shot("40-conversations")
	// The last conversation and one in the middle are a scroll away.
	for _, at := range []struct {
		frac float64
		want int
	}{{1, n - 1}, {0.5, n / 2}} {
		bt.eval(fmt.Sprintf(`{ const v = document.querySelector("#conversations-table-viewport"); v.scrollTop = (v.scrollHeight - v.clientHeight) * %f; } ""`, at.frac))
		bt.wait(fmt.Sprintf("stream %d near the scroll position", at.want),
			fmt.Sprintf(`[...document.querySelectorAll("#conversations-table-window .row")].some((r) => Math.abs(+r.dataset.stream - %d) < 40)`, at.want))
	}
	bt.eval(`document.querySelector("#conversations-table-viewport").scrollTop = 0; ""`)
}

func (bt *browserTest) convSort(res *analyzer.Result) {
	t := bt.t
	total := func(s int) int64 { c := res.Conversation(s); return int64(c.Packets[0]) + int64(c.Packets[1]) }
	var most int64
	for s := range res.Conversations.Len() {
		most = max(most, total(s))
	}
	sortBy := func(col int, dir string) []int {
		bt.click(fmt.Sprintf(`#conversations-table .head button[data-col="%d"]`, col))
		bt.wait("sorted "+dir, fmt.Sprintf(`document.querySelector("#conversations-table .head .col-%d").getAttribute("aria-sort") === %q`, col, dir))
		bt.sorted("conversations-table", col, dir)
		rows := bt.visible("conversations-table")
		if len(rows) < 10 {
			t.Fatalf("%d rows after sorting", len(rows))
		}
		return rows
	}
	// Packets (column 5): ascending, then descending, the most first.
	for _, dir := range []string{"ascending", "descending"} {
		rows := sortBy(5, dir)
		for i := 1; i < len(rows); i++ {
			a, b := total(rows[i-1]), total(rows[i])
			if dir == "ascending" && a > b || dir == "descending" && a < b {
				t.Errorf("%s by packets: stream %d (%d) before stream %d (%d)", dir, rows[i-1], a, rows[i], b)
			}
		}
		if dir == "descending" && total(rows[0]) != most {
			t.Errorf("sorted by packets, descending: the first row has %d packets, the most is %d", total(rows[0]), most)
		}
	}
	bt.shot("41-conversations-by-packets")
	// Client (column 1): by address, then port.
	rows := sortBy(1, "ascending")
	for i := 1; i < len(rows); i++ {
		a, _ := res.Conversation(rows[i-1]).Client()
		b, _ := res.Conversation(rows[i]).Client()
		if res.AddrPort(a).Compare(res.AddrPort(b)) > 0 {
			t.Errorf("by client: %s before %s", res.AddrPort(a), res.AddrPort(b))
		}
	}
	// The page shows what it sorted: the client cell agrees.
	first := bt.text(fmt.Sprintf(`#conversations-table-window .row[data-stream="%d"] .col-1`, rows[0]))
	if a, _ := res.Conversation(rows[0]).Client(); first != res.AddrPort(a).String() {
		t.Errorf("the first row's client cell %q", first)
	}
}

func (bt *browserTest) convFilter(res *analyzer.Result) {
	t, n := bt.t, res.Conversations.Len()
	// The server of stream 0: how many conversations it has.
	_, srv := res.Conversation(0).Client()
	addr := res.Hosts.Addr(srv.Host)
	want := 0
	for s := range n {
		c := res.Conversation(s)
		if res.Hosts.Addr(c.A.Host) == addr || res.Hosts.Addr(c.B.Host) == addr {
			want++
		}
	}
	filter := func(text string, want int) {
		bt.eval(`{ const i = document.querySelector("#conversations-table-filter"); i.value = ""; } ""`)
		bt.must(chromedp.Do(bt.ctx, chromedp.SendKeys(chromedp.CSS("#conversations-table-filter"), text+"\r")))
		bt.filtered("conversations-table", text)
		count := fmt.Sprintf("%s of %s conversations", thousandsTest(want), thousandsTest(n))
		if want == n {
			count = thousandsTest(n) + " conversations"
		}
		bt.wait(text, fmt.Sprintf(`document.querySelector("#conversations-table-count")?.textContent.startsWith(%q)`, count))
	}
	filter(addr.String(), want)
	for _, s := range bt.visible("conversations-table") {
		c := res.Conversation(s)
		if res.Hosts.Addr(c.A.Host) != addr && res.Hosts.Addr(c.B.Host) != addr {
			t.Errorf("stream %d (%s, %s) passed the filter %s", s, res.AddrPort(c.A), res.AddrPort(c.B), addr)
		}
	}
	// The filter keeps the sort (by client, from the sort test).
	rows := bt.visible("conversations-table")
	for i := 1; i < len(rows); i++ {
		a, _ := res.Conversation(rows[i-1]).Client()
		b, _ := res.Conversation(rows[i]).Client()
		if res.AddrPort(a).Compare(res.AddrPort(b)) > 0 {
			t.Errorf("filtered, no longer sorted by client: %s before %s", res.AddrPort(a), res.AddrPort(b))
		}
	}
	bt.shot("42-conversations-filtered")
	filter("stream:"+strconv.Itoa(n/3), 1)
	if got := bt.visible("conversations-table"); !slices.Equal(got, []int{n / 3}) {
		t.Errorf("stream:%d shows %v", n/3, got)
	}
	// A stream link shows its packets; coming back keeps the table as it was.
	bt.click(fmt.Sprintf(`#conversations-table-window .row[data-stream="%d"] a.stream-link`, n/3))
	bt.wait("the stream's packets", fmt.Sprintf(`document.querySelector("#filter-text")?.value === "tcp.stream == %d"`, n/3))
	bt.wait("the list focused", `document.activeElement?.id === "viewport"`)
	bt.click("#tab-conversations")
	bt.wait("the table as it was", fmt.Sprintf(`document.querySelector("#conversations-table-filter")?.value === "stream:%d" && document.querySelectorAll("#conversations-table-window .row").length === 1`, n/3))
	// Cleared (Backspace, Enter): every conversation again.
	bt.eval(`{ const i = document.querySelector("#conversations-table-filter"); i.focus(); i.select(); } ""`)
	bt.must(chromedp.Do(bt.ctx, chromedp.KeyEvent(kb.Backspace), chromedp.KeyEvent("\r")))
	bt.filtered("conversations-table", "")
	bt.wait("all rows", fmt.Sprintf(`document.querySelector("#conversations-table-count")?.textContent.startsWith("%s conversations")`, thousandsTest(n)))
}

func (bt *browserTest) endpoints(res *analyzer.Result) {
	t := bt.t
	bt.click("#tab-endpoints")
	bt.wait("the services", `document.querySelectorAll("#services-window .row").length > 3`)
	bt.wait("the clients", `document.querySelectorAll("#clients-window .row").length > 3`)
	conns := func() []int {
		var out []int
		bt.must(json.Unmarshal([]byte(bt.eval(`JSON.stringify([...document.querySelectorAll("#services-window .row .col-2")].map((c) => +c.textContent.replaceAll(",", "")))`)), &out))
		return out
	}
	// Natural order: most connections first. Sorted on the column: fewest first.
	bt.click(`#services .head button[data-col="2"]`)
	bt.sorted("services", 2, "ascending")
	c := conns()
	if !slices.IsSorted(c) || len(c) < 3 {
		t.Errorf("services by connections, ascending: %v", c)
	}
	bt.click(`#services .head button[data-col="2"]`)
	bt.sorted("services", 2, "descending")
	c = conns()
	if !slices.IsSortedFunc(c, func(a, b int) int { return b - a }) {
		t.Errorf("services by connections, descending: %v", c)
	}
	// A client's own row, by its address.
	cl, _ := res.Conversation(0).Client()
	addr := res.Hosts.Addr(cl.Host)
	bt.must(chromedp.Do(bt.ctx, chromedp.SendKeys(chromedp.CSS("#clients-filter"), addr.String()+"\r")))
	bt.filtered("clients", addr.String())
	bt.wait("one client", `document.querySelectorAll("#clients-window .row").length === 1`)
	if got := bt.text("#clients-window .row .col-0"); got != addr.String() {
		t.Errorf("the client filter %s shows %q", addr, got)
	}
	if _, err := netip.ParseAddr(addr.String()); err != nil {
		t.Fatal(err)
	}
	bt.shot("43-endpoints")
	// A short window: each table keeps a few rows in view (the panel scrolls).
	bt.must(chromedp.Do(bt.ctx, chromedp.EmulateViewport(1280, 650), chromedp.Sleep(300*time.Millisecond)))
	for _, id := range []string{"services", "clients"} {
		if h, _ := strconv.Atoi(bt.eval(`String(document.querySelector("#` + id + `-viewport").clientHeight)`)); h < 3*24 {
			t.Errorf("at 1280x650 the %s table shows %d px of rows", id, h)
		}
	}
	bt.shot("44-endpoints-1280x650")
	bt.must(chromedp.Do(bt.ctx, chromedp.EmulateViewport(1440, 900)))
}
