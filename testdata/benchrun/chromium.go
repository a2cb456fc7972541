package main

// The Chromium measurement: the static site (`portlens build`) served on
// 127.0.0.1, the benchmark capture chosen on the page's file input, timed
// from the input's change event to the portlens:done event.
//
// Everything is observed from a script installed before the page's own
// (Page.addScriptToEvaluateOnNewDocument), so the page needs no hooks
// beyond its documented data-state and portlens:done:
//   - load to interactive: navigation start to the first data-state="idle";
//   - the longest main-thread task: a buffered PerformanceObserver for
//     'longtask' entries, counted from the change event on;
//   - the JS heap: performance.memory.usedJSHeapSize (precise with
//     --enable-precise-memory-info), sampled every 20 ms and at done;
//   - wasm memory: WebAssembly.instantiate(Streaming) is wrapped to keep
//     the instance's exported memory; it only grows, so its final
//     byteLength is its peak.

import (
	"context"
	"fmt"
	"mime"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

const chromiumPath = "/usr/bin/chromium"

// probeJS runs in the page before any of its scripts.
const probeJS = `(() => {
  const P = window.__bench = {longtasks: [], heapPeak: 0, wasm: null, idleAt: 0, changeAt: 0, doneAt: 0, done: null};
  for (const name of ["instantiate", "instantiateStreaming"]) {
    const orig = WebAssembly[name];
    if (!orig) continue;
    WebAssembly[name] = async function (...args) {
      const r = await orig.apply(this, args);
      const inst = r.instance || r;
      if (inst && inst.exports && inst.exports.mem) P.wasm = inst.exports.mem;
      return r;
    };
  }
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) P.longtasks.push([e.startTime, e.duration]);
    }).observe({type: "longtask", buffered: true});
  } catch (e) { P.noLongtask = String(e); }
  const heap = () => {
    if (performance.memory) P.heapPeak = Math.max(P.heapPeak, performance.memory.usedJSHeapSize);
  };
  setInterval(heap, 20);
  P.heap = heap;
  document.addEventListener("change", (e) => {
    if (e.target && e.target.id === "file-input") { P.changeAt = performance.now(); P.heapPeak = 0; heap(); }
  }, true);
  document.addEventListener("portlens:done", (e) => { P.doneAt = performance.now(); heap(); P.done = e.detail; }, true);
  const idle = () => {
    const root = document.getElementById("portlens");
    if (!P.idleAt && root && root.dataset.state === "idle") P.idleAt = performance.now();
  };
  new MutationObserver(idle).observe(document, {subtree: true, childList: true, attributes: true, attributeFilter: ["data-state"]});
})();`

// browserRun is one measured analysis in the page.
type browserRun struct {
	Load      float64 `json:"load"`       // ms, navigation start to data-state="idle"
	Wall      float64 `json:"wall"`       // ms, change event to portlens:done
	Longest   float64 `json:"longest"`    // ms, longest task during the analysis
	Tasks     int     `json:"tasks"`      // long tasks (> 50 ms) during the analysis
	Heap      float64 `json:"heap"`       // bytes, peak used JS heap during the analysis
	Wasm      float64 `json:"wasm"`       // bytes, the wasm instance's memory at done
	Packets   int     `json:"packets"`    // from portlens:done
	Flags     int     `json:"flags"`      // from portlens:done
	State     string  `json:"state"`      // from portlens:done
	Longtasks string  `json:"noLongtask"` // set when the observer is unsupported
}

const resultJS = `(() => {
  const P = window.__bench;
  P.heap();
  let longest = 0, tasks = 0;
  for (const [start, d] of P.longtasks) {
    if (start + d < P.changeAt || start > P.doneAt) continue;
    tasks++; longest = Math.max(longest, d);
  }
  return {load: P.idleAt, wall: P.doneAt - P.changeAt, longest, tasks, heap: P.heapPeak,
    wasm: P.wasm ? P.wasm.buffer.byteLength : 0, packets: P.done.packets, flags: P.done.flags,
    state: P.done.state, noLongtask: P.noLongtask || ""};
})()`

// chromium builds the site from a fresh app.wasm, serves it and measures
// b.count analyses of the benchmark capture, each in a freshly loaded page.
func (b *bench) chromium(bin string) {
	what := fmt.Sprintf("Chromium: choose file to all results shown (%s packets)", fmtRate(float64(b.packets)))
	if _, err := os.Stat(chromiumPath); err != nil {
		b.rows = append(b.rows, row{what: what, note: "skipped: no " + chromiumPath + " (Debian's chromium package)"})
		return
	}
	site, err := b.site(bin)
	if err != nil {
		b.rows = append(b.rows, row{what: what, note: "site build failed: " + firstLine(err.Error())})
		return
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.rows = append(b.rows, row{what: what, note: "listen: " + err.Error()})
		return
	}
	srv := &http.Server{Handler: siteHandler(site)}
	go srv.Serve(ln)
	defer srv.Close()
	base := "http://" + ln.Addr().String() + "/"

	b.say("Chromium x%d (1M-packet file in the page)", b.count)
	var runs []browserRun
	for i := range b.count {
		r, err := browserMeasure(base, b.file)
		if err != nil {
			b.rows = append(b.rows, row{what: what, note: fmt.Sprintf("run %d failed: %s", i+1, firstLine(err.Error()))})
			return
		}
		b.say("  run %d: %.0f ms, longest task %.0f ms, heap %.0f MB, wasm %.0f MB, load %.0f ms",
			i+1, r.Wall, r.Longest, r.Heap/1e6, r.Wasm/1e6, r.Load)
		runs = append(runs, r)
	}
	pick := func(f func(browserRun) float64) float64 {
		var vs []float64
		for _, r := range runs {
			vs = append(vs, f(r))
		}
		return median(vs)
	}
	wall := pick(func(r browserRun) float64 { return r.Wall }) / 1e3
	longest := pick(func(r browserRun) float64 { return r.Longest })
	heap := pick(func(r browserRun) float64 { return r.Heap })
	wasm := pick(func(r browserRun) float64 { return r.Wasm })
	load := pick(func(r browserRun) float64 { return r.Load })
	tasks := pick(func(r browserRun) float64 { return float64(r.Tasks) })
	last := runs[len(runs)-1]
	note := fmt.Sprintf("longest main-thread task %.0f ms (%.0f tasks > 50 ms); %d packets, %d flags shown", longest, tasks, last.Packets, last.Flags)
	if last.Longtasks != "" {
		note = "longtask observer unsupported: " + last.Longtasks
	}
	if last.State != "done" || last.Packets != b.packets {
		note += fmt.Sprintf("; WARNING: state %s, %d packets", last.State, last.Packets)
	}
	r := row{what: what, time: fmtDur(wall),
		nsPacket: fmt.Sprintf("%.0f", wall*1e9/float64(b.packets)),
		packetsS: fmtRate(float64(b.packets) / wall),
		mbS:      fmt.Sprintf("%.0f", float64(b.size)/1e6/wall),
		memory:   fmt.Sprintf("%.0f MB (JS heap %.0f + wasm %.0f)", (heap+wasm)/1e6, heap/1e6, wasm/1e6),
		note:     note,
	}
	if b.portlensWall > 0 {
		r.ratio = fmt.Sprintf("%.1fx slower", wall/b.portlensWall)
	}
	b.rows = append(b.rows, r)
	b.rows = append(b.rows, row{what: "Chromium: page load to interactive (localhost, first visit)", time: fmtDur(load / 1e3),
		note: "navigation start to data-state=\"idle\" (wasm downloaded gzip, compiled, page rendered)"})
}

// site writes the static site the way `make site` does, with a freshly
// built app.wasm, and returns its directory.
func (b *bench) site(bin string) (string, error) {
	web := filepath.Join(b.dir, "web")
	_ = os.RemoveAll(web)
	if err := os.CopyFS(web, os.DirFS("web")); err != nil {
		return "", err
	}
	if out, err := goCmd([]string{"GOOS=js", "GOARCH=wasm"}, "build", "-trimpath", "-ldflags=-s -w",
		"-o", filepath.Join(web, "app.wasm"), "./wasm"); err != nil {
		return "", fmt.Errorf("%v: %s", err, out)
	}
	site := filepath.Join(b.dir, "site")
	_ = os.RemoveAll(site)
	if out, err := execOut(bin, "build", "-out", site, "-web", web); err != nil {
		return "", fmt.Errorf("portlens build: %v: %s", err, out)
	}
	return site, nil
}

// siteHandler serves dir as `portlens serve` does: a file's .gz twin to
// browsers that accept gzip.
func siteHandler(dir string) http.Handler {
	files := http.FileServer(http.Dir(dir))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache")
		name := path.Clean("/" + r.URL.Path)
		if strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") && !strings.HasSuffix(name, ".gz") {
			gz := filepath.Join(dir, filepath.FromSlash(name)) + ".gz"
			if st, err := os.Stat(gz); err == nil && !st.IsDir() {
				w.Header().Set("Content-Encoding", "gzip")
				w.Header().Set("Vary", "Accept-Encoding")
				if ct := mime.TypeByExtension(path.Ext(name)); ct != "" {
					w.Header().Set("Content-Type", ct)
				}
				http.ServeFile(w, r, gz)
				return
			}
		}
		files.ServeHTTP(w, r)
	})
}

// browserMeasure starts a fresh Chromium (empty profile: a first visit),
// loads the page, chooses the capture and reads the probe's figures.
func browserMeasure(base, capture string) (browserRun, error) {
	var res browserRun
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"),
		chromedp.Flag("enable-precise-memory-info", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.WindowSize(1280, 800),
	}
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 120*time.Second)
	defer cancel()
	err := chromedp.Do(ctx,
		chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument,
				page.AddScriptToEvaluateOnNewDocumentParams{Source: probeJS})
			return err
		}),
		chromedp.Navigate(base),
		chromedp.WaitVisible(chromedp.CSS(`#portlens[data-state="idle"]`)),
		// Let the service worker finish caching the site before timing.
		chromedp.Sleep(2*time.Second),
		chromedp.SetUploadFiles(chromedp.CSS("#file-input"), []string{capture}),
		chromedp.Poll[chromedp.Void](`window.__bench.done !== null`, chromedp.WithPollingTimeout(100*time.Second)),
		// A frame after done, so the results are painted.
		chromedp.Sleep(200*time.Millisecond),
	)
	if err != nil {
		return res, err
	}
	res, err = chromedp.Run(ctx, chromedp.Evaluate[browserRun](resultJS))
	return res, err
}

func execOut(name string, args ...string) (string, error) {
	out, err := exec.Command(name, args...).CombinedOutput()
	return string(out), err
}
