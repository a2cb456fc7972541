package main

import (
	"bufio"
	"encoding/json"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserDisplayFilter: the page's filter box takes Wireshark's display
// filters, selects the frames Wireshark selects (the stored answers for
// two captures, every filter), says where a filter is wrong (the box red,
// the column) and then changes nothing, and the list carries data-rows.
func TestBrowserDisplayFilter(t *testing.T) {
	bt, _ := pageTest(t)
	answers := map[string]map[string][]int{}                             // capture -> filter -> frames
	for _, file := range []string{"tshark.jsonl", "wireshark44.jsonl"} { // 4.4's answers last: they win
		f, err := os.Open("../../analyzer/filter/testdata/" + file)
		bt.must(err)
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 1<<24)
		for sc.Scan() {
			var a struct {
				Capture, Filter string
				Frames          []int
			}
			bt.must(json.Unmarshal(sc.Bytes(), &a))
			if answers[a.Capture] == nil {
				answers[a.Capture] = map[string][]int{}
			}
			answers[a.Capture][a.Filter] = a.Frames
		}
		f.Close()
	}
	for _, capture := range []string{"mixed-protocols.pcap", "icmp-quoted-tcp.pcap"} {
		filters := answers[capture]
		if len(filters) < 50 {
			t.Fatalf("%s: %d stored answers", capture, len(filters))
		}
		data, err := os.ReadFile(seeds + capture)
		bt.must(err)
		bt.uploadBytes(capture, data)
		bt.toPackets()
		total := bt.attr("packets")
		bad := 0
		for text, want := range filters {
			bt.setFilter(text)
			bt.wait("the filter applied", `document.querySelector("#packet-list").dataset.filter === "("+`+strconv.Quote(text)+`+")" &&
				document.querySelectorAll("#window .row").length === +document.querySelector("#packet-list").dataset.rows`)
			var got []int
			bt.must(json.Unmarshal([]byte(bt.eval(`JSON.stringify([...document.querySelectorAll("#window .row")].map((r) => +r.dataset.frame))`)), &got))
			rows := bt.eval(`document.querySelector("#packet-list").dataset.rows`)
			if !slices.Equal(got, want) && (len(got) > 0 || len(want) > 0) || rows != strconv.Itoa(len(want)) {
				if bad++; bad <= 10 {
					t.Errorf("%s: %q shows %v (data-rows %s), Wireshark %v", capture, text, got, rows, want)
				}
			}
		}
		t.Logf("%s: %d filters checked, %s packets", capture, len(filters), total)
	}

	// A filter that is not one: red, the column, the list unchanged.
	bt.setFilter("tcp.stream == 1")
	bt.wait("stream 1", `document.querySelector("#packet-list").dataset.filter === "(tcp.stream == 1)"`)
	before := bt.eval(`document.querySelector("#packet-list").dataset.rows`)
	bt.setFilter("tcp.stream == 1 && ip.scr == 10.0.0.1")
	bt.wait("the problem", `document.querySelector("#filter-problem") !== null`)
	if p := bt.text("#filter-problem"); !strings.Contains(p, "column 20") || !strings.Contains(p, "ip.scr") {
		t.Errorf("problem %q: want the column of ip.scr (20)", p)
	}
	if c := bt.eval(`document.querySelector("#filter-text").className`); !strings.Contains(c, "invalid") {
		t.Errorf("the box's class %q: want invalid", c)
	}
	if after := bt.eval(`document.querySelector("#packet-list").dataset.rows`); after != before {
		t.Errorf("a filter that does not compile changed the list: %s rows, was %s", after, before)
	}
	bt.shot("50-filter-error")
	bt.setFilter("")
	bt.wait("no problem", `document.querySelector("#filter-problem") === null`)
	bt.checkLocal()
}

// setFilter types a display filter into the box and applies it (Enter).
func (bt *browserTest) setFilter(text string) {
	bt.t.Helper()
	bt.eval(`{ const i = document.querySelector("#filter-text"); i.value = ` + strconv.Quote(text) + `;
		i.dispatchEvent(new Event("change", {bubbles: true})); } ""`)
	bt.must(chromedp.Do(bt.ctx, chromedp.Sleep(0)))
}
