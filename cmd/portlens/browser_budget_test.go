package main

// Browser tests of the work budget (issue 14): the zero-length bomb (a
// megabyte of gzip, 67 million empty records) and the interface-name bomb
// (1.5 MB of gzip, 20,000 interfaces with 64 KiB names) end in results
// in the page, stopped at the frame where the command stops under the
// same budget; Cancel stops a bomb's reading whenever it is clicked. The
// page's budget is lowered with its URL (?max-memory=64MiB) so that each
// bomb stops within seconds; -budget-default measures what the default
// budget does with the whole zero-length bomb (a minute or two).

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/portlens/portlens/analyzer"
)

var budgetDefault = flag.Bool("budget-default", false, "TestBrowserBudget: also read the whole zero-length bomb under the page's default budget")

func TestBrowserBudget(t *testing.T) {
	skipWithoutBrowser(t)
	dir := t.TempDir()
	zero := filepath.Join(dir, "zero.pcap.gz")
	names := filepath.Join(dir, "names.pcapng.gz")
	if err := writeZeroBomb(zero, zeroBombRecords); err != nil {
		t.Fatal(err)
	}
	if err := writeNameBomb(names, nameBombIfaces); err != nil {
		t.Fatal(err)
	}
	bt := bigPage(t)
	t.Run("zero-bomb", func(t *testing.T) { bt.budgetStop(t, zero, "64MiB") })
	t.Run("name-bomb", func(t *testing.T) { bt.budgetStop(t, names, "16MiB") })
	t.Run("cancel-zero-bomb", func(t *testing.T) {
		bt.cancelBomb(t, zero, `+document.querySelector("#portlens").dataset.packets >= 2000000`)
	})
	t.Run("cancel-name-bomb", func(t *testing.T) { bt.cancelBomb(t, names, `+document.querySelector("#progress-bar")?.value >= 10`) })
	if *budgetDefault {
		t.Run("zero-bomb-default", func(t *testing.T) { bt.defaultBudget(t, zero) })
		t.Run("flood-default", func(t *testing.T) {
			flood := filepath.Join(dir, "flood.pcap")
			if err := writeSYNFlood(flood, 3_000_000); err != nil {
				t.Fatal(err)
			}
			bigPage(t).defaultBudget(t, flood)
		})
	}
}

// writeSYNFlood writes a pcap of n TCP SYNs, each from a new IPv6
// address: a conversation and a host a frame, about 830 bytes of the
// budget's account each, so that 3 million meet the page's default.
func writeSYNFlood(file string, n int) error {
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	le, be := binary.LittleEndian, binary.BigEndian
	hdr := le.AppendUint32(nil, 0xa1b2c3d4)
	hdr = le.AppendUint16(hdr, 2)
	hdr = le.AppendUint16(hdr, 4)
	hdr = append(hdr, make([]byte, 8)...)
	hdr = le.AppendUint32(hdr, 65535)
	hdr = le.AppendUint32(hdr, 1)
	w.Write(hdr)
	rec := make([]byte, 16, 16+74)
	le.PutUint32(rec[8:], 74)
	le.PutUint32(rec[12:], 74)
	rec = append(rec, 0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 6, 0x86, 0xdd, 0x60, 0, 0, 0, 0, 20, 6, 64)
	rec = append(rec, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
	rec = append(rec, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1)
	rec = append(rec, 0x9c, 0x40, 1, 0xbb, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0)
	for i := range n {
		le.PutUint32(rec[0:], uint32(1_700_000_000+i/1000))
		le.PutUint32(rec[4:], uint32(i%1000)*1000)
		be.PutUint32(rec[16+22+12:], uint32(i)) // the source address's last 4 bytes
		w.Write(rec)
	}
	err = w.Flush()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// loadWith loads the page, its budget lowered to size ("" for the default).
func (bt *browserTest) loadWith(size string) {
	bt.t.Helper()
	u := bt.base
	if size != "" {
		u += "?max-memory=" + size
	}
	bt.must(chromedp.Do(bt.ctx, chromedp.Navigate(u),
		chromedp.WaitVisible(chromedp.CSS(`#portlens[data-state="idle"]`))))
}

// openBomb chooses file and waits up to limit for the analysis to end;
// it returns the state and how long it took.
func (bt *browserTest) openBomb(file string, limit time.Duration) (string, time.Duration) {
	bt.t.Helper()
	bt.expectDone()
	start := time.Now()
	bt.must(chromedp.Do(bt.ctx, chromedp.SetUploadFiles(chromedp.CSS("#file-input"), []string{file})))
	ctx, cancel := context.WithTimeout(bt.ctx, limit)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](`window.__done !== null`, chromedp.WithPollingTimeout(limit))); err != nil {
		bt.t.Fatalf("waiting for the analysis of %s: %v", filepath.Base(file), err)
	}
	return bt.eval(`window.__done.state`), time.Since(start)
}

// budgetStop opens a bomb in the page under a budget of size: the reading
// stops where the command's does under the same budget, with the same
// packets and flags, and the banner says why, where and what is shown.
func (bt *browserTest) budgetStop(t *testing.T, file, size string) {
	bt.t = t
	var rep analyzer.Report
	t.Chdir(filepath.Dir(file)) // the command names the file as the page does
	out, _, _ := runCLI(t, "analyze", "--json", "--max-memory", size, filepath.Base(file))
	if err := json.Unmarshal([]byte(out), &rep); err != nil || rep.StopReason != analyzer.StopMemory {
		t.Fatalf("portlens analyze --max-memory %s: %v, stop reason %q", size, err, rep.StopReason)
	}
	bt.loadWith(size)
	state, took := bt.openBomb(file, 60*time.Second)
	if state != "error" {
		t.Fatalf("state %s, want error (the budget's stop); banner %q", state, bt.text("#error"))
	}
	packets, flags := bt.attr("packets"), bt.attr("flags")
	m := bt.memory()
	t.Logf("%s under %s: stopped after %s packets (%s flags) in %v; wasm memory %.0f MB; %s",
		filepath.Base(file), size, packets, flags, took.Round(time.Millisecond), m.wasm/1e6, rep.Error)
	if packets != strconv.Itoa(rep.Packets) || flags != strconv.Itoa(len(rep.Flags)) {
		t.Errorf("page: %s packets, %s flags; portlens analyze --max-memory %s: %d packets, %d flags",
			packets, flags, size, rep.Packets, len(rep.Flags))
	}
	if stop := bt.eval(`document.querySelector("#error")?.dataset.stop || ""`); stop != "memory" {
		t.Errorf("banner data-stop %q", stop)
	}
	banner := bt.text("#error")
	for _, want := range []string{"Memory budget reached: ", rep.Error + ".",
		"The results below cover frames 1 to " + thousandsTest(rep.Packets), "--max-memory"} {
		if !strings.Contains(banner, want) {
			t.Errorf("the banner lacks %q:\n%s", want, banner)
		}
	}
	if flags == "0" { // a clean result over what was read, not over damage
		if msg := bt.text("#no-flags"); !strings.Contains(msg, "read before the budget stopped the reading") {
			t.Errorf("no-flags line %q", msg)
		}
	}
	if n := bt.eval(`String(document.querySelectorAll("#stopped").length)`); n != "0" {
		t.Errorf("the Cancel banner is shown too")
	}
	bt.shot("budget-" + strings.TrimSuffix(filepath.Base(file), ".gz"))
}

// cancelBomb opens a bomb under the default budget and clicks Cancel once
// the reading is under way (ready, a JS predicate): the page stops and
// shows what was read.
func (bt *browserTest) cancelBomb(t *testing.T, file, ready string) {
	bt.t = t
	bt.loadWith("")
	bt.expectDone()
	bt.must(chromedp.Do(bt.ctx, chromedp.SetUploadFiles(chromedp.CSS("#file-input"), []string{file})))
	bt.wait("the reading under way", ready)
	read := bt.text(".progress-figures")
	clicked := time.Now()
	bt.click("#cancel")
	if st := bt.waitDone(); st != "done" {
		t.Fatalf("state %s after Cancel: %s", st, bt.text("#error"))
	}
	n, _ := strconv.Atoi(bt.attr("packets"))
	t.Logf("%s: Cancel at %q; results after %v: %d packets", filepath.Base(file), read, time.Since(clicked).Round(time.Millisecond), n)
	msg := bt.text("#stopped")
	if !strings.Contains(msg, fmt.Sprintf("Stopped after %s packet", thousandsTest(n))) {
		t.Errorf("stopped banner %q (%d packets)", msg, n)
	}
	if strings.HasSuffix(file, "zero.pcap.gz") && (n < 2_000_000 || n >= zeroBombRecords) {
		t.Errorf("%d packets: want those read before Cancel", n)
	}
}

// defaultBudget reads file under the page's default budget and reports
// what it took (run with -budget-default).
func (bt *browserTest) defaultBudget(t *testing.T, file string) {
	bt.t = t
	bt.loadWith("")
	state, took := bt.openBomb(file, 5*time.Minute)
	m := bt.memory()
	t.Logf("%s under the default budget (navigator.deviceMemory %s): state %s, %s packets in %v; wasm memory %.0f MB (JS heap %.0f MB); %s",
		filepath.Base(file), bt.eval(`String(navigator.deviceMemory)`), state, bt.attr("packets"), took.Round(time.Millisecond), m.wasm/1e6, m.heapGC/1e6, bt.text("#error"))
	if state == "error" && bt.eval(`document.querySelector("#error")?.dataset.stop || ""`) != "memory" {
		t.Errorf("state %s: %s", state, bt.text("#error"))
	}
}
