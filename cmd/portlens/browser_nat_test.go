package main

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	cdpinput "github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// TestBrowserNAT opens the Cloud NAT capture under gcp-cloud-nat and
// reads the Ports view: the budget line at 64, the nat-budget flag and
// the dropped SYNs marked, axes whose labels do not overlap, a painted
// density, zoom by drag, by key and back, and a flag mark that leads to
// its frame.
func TestBrowserNAT(t *testing.T) {
	skipWithoutBrowser(t)
	site := t.TempDir()
	if err := buildSite(siteOptions{Out: site, Web: filepath.Join("..", "..", "web")}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(siteHandler(site, nil))
	defer srv.Close()
	bt := newBrowserTest(t, &requestLog{})
	defer bt.close()
	bt.must(chromedp.Do(bt.ctx,
		chromedp.Navigate(srv.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS(`#portlens[data-state="idle"]`)),
	))
	// The NAT setting is remembered before the file is opened.
	bt.eval(`localStorage.setItem("portlens.settings", JSON.stringify({preset: "linux", time_wait: 0, ephemeral: "", nat: "gcp-cloud-nat"})); ""`)
	bt.must(chromedp.Do(bt.ctx, chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`#portlens[data-state="idle"]`))))
	file, _ := filepath.Abs(filepath.Join("..", "..", "testdata", "rules", "nat-gcp-budget-exceeded.pcap"))
	bt.expectDone()
	bt.must(chromedp.Do(bt.ctx, chromedp.SetUploadFiles(chromedp.CSS("#file-input"), []string{file})))
	if st := bt.waitDone(); st != "done" {
		t.Fatalf("state %s", st)
	}
	// port.exhaustion (nat-budget) and tcp.syn_unanswered, both on frame 1018.
	if p, f := bt.attr("packets"), bt.attr("flags"); p != "1143" || f != "2" {
		t.Fatalf("data-packets %s data-flags %s, want 1143 and 2", p, f)
	}
	if s := bt.text(".settings-box summary"); !strings.Contains(s, "behind Google Cloud NAT") {
		t.Errorf("the rules' summary does not name the NAT: %q", s)
	}

	bt.click("#tab-ports")
	bt.wait("the budget line", `document.querySelector("#budget-line")?.dataset.budget === "64"`)
	if peak := bt.eval(`document.querySelector("#port-timeline").dataset.peak`); peak != "64" {
		t.Errorf("peak %s, want 64", peak)
	}
	if d := bt.eval(`document.querySelector("#port-dest").value`); d != "198.51.100.7:443" {
		t.Errorf("destination %q, want the flagged 198.51.100.7:443", d)
	}
	mark := `#port-timeline .flag-mark[data-kind="port.exhaustion"][data-class="nat-budget"][data-frame="1018"]`
	bt.wait("the nat-budget flag", `document.querySelector('`+mark+`') !== null`)
	if n := bt.eval(`String([...document.querySelectorAll("#port-timeline .drop-mark")].reduce((n, e) => n + +e.dataset.count, 0))`); n != "9" {
		t.Errorf("%s unanswered SYNs marked, want 9", n)
	}
	// The budget line is drawn at 64 on the count axis, above the area.
	held := bt.eval(`(() => { const l = document.querySelector("#budget-line"), a = document.querySelector("#area-held").getBBox();
		return String(Math.abs(+l.getAttribute("y1") - a.y) < 1.5) })()`)
	if held != "true" {
		t.Errorf("the held area's top is not at the budget line")
	}
	bt.noOverlap("#port-timeline .time-tick")
	bt.noOverlap("#port-timeline .tick:not(.time-tick)")
	bt.noOverlap("#port-density .tick")
	if px := bt.eval(`(() => { const c = document.querySelector("#port-density-canvas");
		const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data; let n = 0;
		for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++; return String(n) })()`); px == "0" {
		t.Errorf("the density canvas is empty")
	}
	// Hovering shows the time, absolute too.
	box := bt.box("#port-timeline")
	bt.mouse(cdpinput.DispatchMouseEventTypeMouseMoved, box.x+box.w*0.6, box.y+box.h/2)
	bt.wait("the tooltip", `document.querySelector("#port-tooltip")?.textContent.includes("2025-03-14")`)
	if tip := bt.text("#port-tooltip"); !strings.Contains(tip, "held") || !strings.Contains(tip, "budget 64") {
		t.Errorf("tooltip %q", tip)
	}
	bt.shot("nat-01-ports-timeline")
	bt.eval(`document.querySelector("#port-density").scrollIntoView({block: "center"}); ""`)
	bt.shot("nat-01b-source-ports")
	// Back to the timeline: on a wide screen the results pane scrolls,
	// not the window.
	bt.eval(`document.querySelector("#port-timeline").scrollIntoView({block: "center"}); ""`)
	box = bt.box("#port-timeline")

	// Drag across the middle: a zoomed range, then Escape: all of it.
	before := bt.text("#port-timeline .time-tick")
	bt.mouse(cdpinput.DispatchMouseEventTypeMousePressed, box.x+box.w*0.45, box.y+box.h/2)
	bt.mouse(cdpinput.DispatchMouseEventTypeMouseMoved, box.x+box.w*0.55, box.y+box.h/2)
	bt.mouse(cdpinput.DispatchMouseEventTypeMouseReleased, box.x+box.w*0.55, box.y+box.h/2)
	bt.wait("zoomed", `!document.querySelector("#zoom-reset").disabled`)
	if r := bt.text("#zoom-range"); r == "whole capture" || !strings.Contains(r, "–") {
		t.Errorf("zoom range %q", r)
	}
	if after := bt.text("#port-timeline .time-tick"); after == before {
		t.Errorf("the time axis did not change on zoom: %q", after)
	}
	bt.noOverlap("#port-timeline .time-tick")
	bt.shot("nat-02-zoomed")
	bt.must(chromedp.Do(bt.ctx, chromedp.Focus(chromedp.CSS("#port-charts")), chromedp.KeyEvent(kb.Escape)))
	bt.wait("the whole capture", `document.querySelector("#zoom-range")?.textContent === "whole capture"`)
	bt.click("#zoom-in")
	bt.wait("zoomed by the button", `!document.querySelector("#zoom-reset").disabled`)
	bt.click("#zoom-reset")
	bt.wait("the whole capture again", `document.querySelector("#zoom-reset").disabled`)

	// The flag mark leads to its frame.
	bt.click(mark)
	bt.wait("frame 1018 selected", `document.querySelector("#detail")?.dataset.frame === "1018"`)
	if expl := bt.text("#detail .explanation"); !strings.Contains(expl, "held 64") && !strings.Contains(expl, "it held 64") {
		t.Errorf("the detail does not explain the budget: %s", expl)
	}

	// Without the NAT the same capture judges the Linux range: no budget of 64.
	bt.expectDone()
	if bt.eval(`String(document.querySelector("#nat") === null)`) == "true" {
		bt.click(".settings-box summary")
		bt.wait("the settings", `document.querySelector("#nat") !== null`)
	}
	bt.eval(`(() => { const s = document.querySelector("#nat"); s.value = ""; s.dispatchEvent(new Event("change", {bubbles: true})); return "" })()`)
	bt.waitDone()
	if f := bt.attr("flags"); f != "1" {
		t.Errorf("without the NAT: %s flags, want 1 (tcp.syn_unanswered)", f)
	}
	bt.click("#tab-ports")
	bt.wait("the range as the budget", `document.querySelector("#budget-line")?.dataset.budget === "28232"`)
	bt.shot("nat-03-no-nat")

	// 30,000 connections of one client, 1,769 flagged: binned by pixel
	// column, one mark a column at most. Each lasts 0.3 ms and ends with
	// the client's RST (no TIME_WAIT): one port held at a time, though
	// the range is cycled through (port.exhaustion, cycled).
	file, _ = filepath.Abs(filepath.Join("..", "..", "testdata", "rules", "port-exhaustion.pcap.gz"))
	bt.expectDone()
	bt.must(chromedp.Do(bt.ctx, chromedp.SetUploadFiles(chromedp.CSS("#file-input"), []string{file})))
	if st := bt.waitDone(); st != "done" {
		t.Fatalf("state %s", st)
	}
	bt.click("#tab-ports")
	bt.wait("the budget line", `document.querySelector("#budget-line")?.dataset.budget === "28232"`)
	cols := bt.eval(`String(document.querySelector("#port-timeline").viewBox.baseVal.width - 136)`)
	marks := bt.eval(`String(document.querySelectorAll("#port-timeline .flag-mark").length)`)
	flagged := bt.eval(`String([...document.querySelectorAll("#port-timeline .flag-mark")].reduce((n, e) => n + +e.dataset.count, 0))`)
	if m, _ := strconv.Atoi(marks); m == 0 || float64(m) > mustFloat(t, cols) || flagged != "1769" {
		t.Errorf("%s flag marks for %s flags over %s columns", marks, flagged, cols)
	}
	if peak := bt.eval(`document.querySelector("#port-timeline").dataset.peak`); peak != "1" {
		t.Errorf("peak %s, want 1", peak)
	}
	bt.noOverlap("#port-timeline .time-tick")
	bt.eval(`document.querySelector("#port-charts").scrollIntoView(); ""`)
	bt.shot("nat-04-30000-connections")
}

func mustFloat(t *testing.T, s string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

type natRect struct{ x, y, w, h float64 }

// box is an element's box in CSS pixels.
func (bt *browserTest) box(sel string) natRect {
	bt.t.Helper()
	var r natRect
	s := bt.eval(fmt.Sprintf(`JSON.stringify((() => { const b = document.querySelector(%q).getBoundingClientRect(); return [b.x, b.y, b.width, b.height] })())`, sel))
	var v []float64
	if err := json.Unmarshal([]byte(s), &v); err != nil || len(v) != 4 {
		bt.t.Fatalf("box of %s: %s", sel, s)
	}
	r.x, r.y, r.w, r.h = v[0], v[1], v[2], v[3]
	return r
}

// mouse sends one mouse event at (x, y).
func (bt *browserTest) mouse(typ cdpinput.DispatchMouseEventType, x, y float64) {
	bt.t.Helper()
	var opts []chromedp.MouseOption
	if typ != cdpinput.DispatchMouseEventTypeMouseMoved {
		opts = append(opts, chromedp.ButtonLeft, chromedp.ClickCount(1))
	}
	bt.must(chromedp.Do(bt.ctx, chromedp.MouseEvent(typ, x, y, opts...), chromedp.Sleep(50*time.Millisecond)))
}

// noOverlap fails when two of the elements' boxes overlap.
func (bt *browserTest) noOverlap(sel string) {
	bt.t.Helper()
	s := bt.eval(fmt.Sprintf(`JSON.stringify([...document.querySelectorAll(%q)].map(e => { const b = e.getBoundingClientRect(); return [b.left, b.top, b.right, b.bottom, e.textContent] }))`, sel))
	var boxes [][]any
	if err := json.Unmarshal([]byte(s), &boxes); err != nil {
		bt.t.Fatal(err)
	}
	if len(boxes) < 2 {
		bt.t.Errorf("%s: %d labels", sel, len(boxes))
	}
	for i := range boxes {
		for j := i + 1; j < len(boxes); j++ {
			a, b := boxes[i], boxes[j]
			if a[0].(float64) < b[2].(float64) && b[0].(float64) < a[2].(float64) &&
				a[1].(float64) < b[3].(float64) && b[1].(float64) < a[3].(float64) {
				bt.t.Errorf("%s: labels %q and %q overlap", sel, a[4], b[4])
			}
		}
	}
}
