package main

// Browser test of the Findings view (app/findings.go): the first thing
// after a capture loads, each finding expandable to its words and example
// rows, and a click that filters the packet list to the finding's frames.

import (
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// toPackets switches to the packet list (a capture with findings opens on
// the Findings view).
func (bt *browserTest) toPackets() {
	bt.t.Helper()
	bt.wait("the tabs", `document.querySelector("#tab-packets") !== null`)
	if bt.eval(`document.querySelector("#tab-packets").getAttribute("aria-selected")`) != "true" {
		bt.click("#tab-packets")
	}
	// Laid out: the sizer has its height (the list's scroll range).
	bt.wait("the packet list", `document.querySelector("#sizer")?.style.height.endsWith("px") && document.querySelector("#window .row") !== null`)
}

func TestBrowserFindings(t *testing.T) {
	skipWithoutBrowser(t)
	site := t.TempDir()
	if err := buildSite(siteOptions{Out: site, Web: filepath.Join("..", "..", "web")}); err != nil {
		t.Fatal(err)
	}
	log := &requestLog{}
	srv := httptest.NewServer(siteHandler(site, nil))
	defer srv.Close()
	bt := newBrowserTest(t, log)
	defer bt.close()
	bt.base = srv.URL + "/"

	// Judged under auto, as the mixed capture was built to be.
	bt.must(chromedp.Do(bt.ctx,
		chromedp.Navigate(bt.base),
		chromedp.WaitVisible(chromedp.CSS(`#portlens[data-state="idle"]`)),
	))
	bt.eval(`localStorage.setItem("portlens.settings", JSON.stringify({preset: "auto"})); ""`)
	bt.must(chromedp.Do(bt.ctx, chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`#portlens[data-state="idle"]`))))

	t.Run("view", bt.findingsView)
	t.Run("click", bt.findingsClick)
	t.Run("embed", bt.findingsEmbed)
	bt.checkLocal()
}

// findingsView opens the mixed capture: the Findings tab is shown first,
// with the three findings of testdata/gen/findings.go, ranked, and the
// rules line says what auto inferred.
func (bt *browserTest) findingsView(t *testing.T) {
	bt.t = t
	file, _ := filepath.Abs(filepath.Join("..", "..", "testdata", "rules", "findings-mixed.pcap.gz"))
	bt.expectDone()
	bt.must(chromedp.Do(bt.ctx, chromedp.SetUploadFiles(chromedp.CSS("#file-input"), []string{file})))
	if st := bt.waitDone(); st != "done" {
		t.Fatalf("state %s", st)
	}
	bt.wait("the findings view", `document.querySelector("#findings") !== null`)
	if sel := bt.eval(`document.querySelector("#tab-findings").getAttribute("aria-selected")`); sel != "true" {
		t.Errorf("the Findings tab is not selected first")
	}
	tabs := bt.eval(`[...document.querySelectorAll(".tabs .tab")].map(e => e.id).join(" ")`)
	if !strings.HasPrefix(tabs, "tab-findings tab-packets") {
		t.Errorf("tabs %q: Findings comes before Packets", tabs)
	}
	// The list starts with the top finding and adds the others in the
	// next frames (README, "Automation hooks").
	bt.wait("three findings listed", `document.querySelectorAll("#findings li.finding").length === 3`)
	kinds := bt.eval(`[...document.querySelectorAll("#findings li.finding")].map(e => e.dataset.kind + "/" + e.dataset.count).join(" ")`)
	if want := "port.exhaustion/1 port.outside_ephemeral/1 tcp.reused_ports/4"; kinds != want {
		t.Errorf("findings %q, want %q", kinds, want)
	}
	if title := bt.text("#finding-3 .finding-title"); title != "192.168.1.23 reuses port 5000 toward 203.0.113.20:5432: 4 reuses after RST" {
		t.Errorf("finding 3: %q", title)
	}
	// The first finding is open with its example, read again from the file.
	bt.wait("the first finding's example row", `document.querySelector("#finding-1 .example[data-frame='14016'] .c-info")?.textContent.includes("[SYN]")`)
	if expl := bt.text("#finding-1 .explanation"); !strings.Contains(expl, "3300 connections") {
		t.Errorf("finding 1 explanation %q", expl)
	}
	if rl := bt.text("#rules-line"); !strings.Contains(rl, "auto: 1 host Linux, 1 Windows Vista and later, 1 Windows XP / 2003 (inferred)") {
		t.Errorf("rules line %q", rl)
	}
	if n := bt.eval(`String(document.querySelectorAll("#summary button.kind").length)`); n != "3" {
		t.Errorf("%s flag-kind buttons in the summary, want 3", n)
	}
	bt.shot("20-findings")
}

// findingsClick expands the reuse finding, then shows its frames: the
// packet list filtered to its four flagged frames, the first selected.
func (bt *browserTest) findingsClick(t *testing.T) {
	bt.t = t
	bt.click("#finding-3 summary")
	bt.wait("finding 3 open", `document.querySelector("#finding-3 .show-frames") !== null`)
	bt.wait("its example rows", `[...document.querySelectorAll("#finding-3 .example .c-info")].filter(e => e.textContent.includes("[TCP Port numbers reused]")).length === 4`)
	labels := bt.eval(`[...document.querySelectorAll("#finding-3 .example .ex-label")].map(e => e.textContent).join("|")`)
	if labels != "first, worst|||last" {
		t.Errorf("example labels %q", labels)
	}
	if expl := bt.text("#finding-3 .explanation"); !strings.Contains(expl, "fixed source port") {
		t.Errorf("finding 3 explanation %q", expl)
	}
	bt.shot("21-finding-open")
	bt.click("#finding-3 .show-frames")
	bt.wait("the packet list of finding 3", `document.querySelectorAll("#window .row").length === 4`)
	rows := bt.eval(`[...document.querySelectorAll("#window .row")].map(r => r.id + (r.classList.contains("flagged") ? "!" : "")).join(" ")`)
	if want := "row-1088! row-1095! row-1102! row-1109!"; rows != want {
		t.Errorf("rows %q, want %q", rows, want)
	}
	if f := bt.eval(`document.querySelector("#filter-text").value`); f != "portlens.finding==3" {
		t.Errorf("filter %q", f)
	}
	bt.wait("frame 1088 selected", `document.querySelector("#detail")?.dataset.frame === "1088"`)
	if sel := bt.eval(`document.querySelector("#tab-packets").getAttribute("aria-selected")`); sel != "true" {
		t.Errorf("the packet list is not shown")
	}
	bt.shot("22-finding-frames")
	// An example row of another finding shows that frame among its finding's.
	bt.click("#tab-findings")
	bt.wait("the findings view", `document.querySelector("#finding-1 .example[data-frame='14016']") !== null`)
	bt.click("#finding-1 .example[data-frame='14016']")
	bt.wait("frame 14016 selected", `document.querySelector("#detail")?.dataset.frame === "14016" && document.querySelectorAll("#window .row").length === 1`)
}

// findingsEmbed: view=findings shows the top finding above the list,
// filtered to it.
func (bt *browserTest) findingsEmbed(t *testing.T) {
	bt.t = t
	bt.must(chromedp.Do(bt.ctx, chromedp.Navigate(bt.base+"embed.html?src=seed-rst-storm.pcap&view=findings")))
	bt.wait("the embed's finding", `document.querySelector("#embed-finding .message")?.textContent.includes("4 reuses after RST") === true`)
	bt.wait("4 rows", `document.querySelectorAll("#window .row").length === 4`)
	bt.wait("the first frame explained", `document.querySelector("#detail")?.dataset.frame === "3"`)
	if facts := bt.text("#embed-facts"); !strings.Contains(facts, "portlens.finding==1") {
		t.Errorf("embed facts %q", facts)
	}
	bt.must(chromedp.Do(bt.ctx, chromedp.Sleep(200*time.Millisecond)))
	bt.shot("23-embed-findings")
}
