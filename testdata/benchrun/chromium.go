package main

// The Chromium measurement: the static site (`portlens build`) served on
// 127.0.0.1, a capture chosen on the page's file input, timed from the
// input's change event to the portlens:done event.
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
//
// And from outside the page, over DevTools and /proc:
//   - the JS heap after a full collection (HeapProfiler.collectGarbage),
//     with V8's count of array buffer backing stores (Runtime.getHeapUsage);
//   - the renderer process (SystemInfo.getProcessInfo gives its pid): its
//     anonymous resident memory (RssAnon in /proc/PID/status, sampled every
//     20 ms during the analysis) and its CPU time over the analysis.
// See "How the tab's memory is measured" in BENCHMARKS.md for why the
// table's "tab memory" is wasm memory + peak JS heap.

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
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/heapprofiler"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/cdproto/systeminfo"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

const chromiumPath = "/usr/bin/chromium"

// probeJS runs in the page before any of its scripts.
const probeJS = `(() => {
  const P = window.__bench = {longtasks: [], heapPeak: 0, wasm: null, idleAt: 0, changeAt: 0, doneAt: 0, done: null, heapDone: 0};
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
  P.growth = [];
  const heap = () => {
    if (performance.memory) P.heapPeak = Math.max(P.heapPeak, performance.memory.usedJSHeapSize);
    // When the wasm memory grows, in ms from the change event: [ms, MB].
    const w = P.wasm ? P.wasm.buffer.byteLength : 0, last = P.growth[P.growth.length - 1];
    if (P.changeAt && w && (!last || last[1] !== Math.round(w / 1e6))) P.growth.push([Math.round(performance.now() - P.changeAt), Math.round(w / 1e6)]);
  };
  setInterval(heap, 20);
  if (navigator.serviceWorker) navigator.serviceWorker.ready.then(() => { P.swReady = true; }); else P.swReady = true;
  P.heap = heap;
  document.addEventListener("change", (e) => {
    if (e.target && e.target.id === "file-input") { P.changeAt = performance.now(); P.heapPeak = 0; heap(); }
  }, true);
  document.addEventListener("portlens:done", (e) => {
    P.doneAt = performance.now(); heap();
    if (performance.memory) P.heapDone = performance.memory.usedJSHeapSize;
    P.done = e.detail;
  }, true);
  const idle = () => {
    const root = document.getElementById("portlens");
    if (!P.idleAt && root && root.dataset.state === "idle") P.idleAt = performance.now();
  };
  new MutationObserver(idle).observe(document, {subtree: true, childList: true, attributes: true, attributeFilter: ["data-state"]});
})();`

// browserRun is one measured analysis in the page.
type browserRun struct {
	Load      float64      `json:"load"`       // ms, navigation start to data-state="idle"
	Wall      float64      `json:"wall"`       // ms, change event to portlens:done
	Longest   float64      `json:"longest"`    // ms, longest task during the analysis
	Tasks     int          `json:"tasks"`      // long tasks (> 50 ms) during the analysis
	Heap      float64      `json:"heap"`       // bytes, peak used JS heap during the analysis (sampled)
	HeapDone  float64      `json:"heapDone"`   // bytes, used JS heap at portlens:done
	Wasm      float64      `json:"wasm"`       // bytes, the wasm instance's memory at done
	Packets   int          `json:"packets"`    // from portlens:done
	Flags     int          `json:"flags"`      // from portlens:done
	State     string       `json:"state"`      // from portlens:done
	Longtasks string       `json:"noLongtask"` // set when the observer is unsupported
	Top       [][2]float64 `json:"top"`        // the longest tasks: [ms, ms from the change event]
	Growth    [][2]float64 `json:"growth"`     // wasm memory steps: [ms from the change event, MB]

	// Measured from outside the page.
	HeapGC      float64 // bytes, used JS heap after a full collection at done
	BackingDone float64 // bytes, V8's array buffer backing stores at done
	BackingGC   float64 // bytes, and after the collection
	RSSIdle     float64 // bytes, renderer RssAnon before the file was chosen
	RSSPeak     float64 // bytes, renderer RssAnon peak during the analysis (sampled)
	RSSGC       float64 // bytes, renderer RssAnon after the collection
	CPU         float64 // seconds of renderer CPU (all threads) over the analysis
	Renderers   int     // renderer processes seen (the peak is the largest one's)
	// LastRow is the time from pressing End in the packet list to the last
	// frame's detail shown (its row drawn, then clicked); 0 when it failed.
	LastRow float64 // ms
}

const resultJS = `(() => {
  const P = window.__bench;
  P.heap();
  let longest = 0, tasks = 0, top = [];
  for (const [start, d] of P.longtasks) {
    if (start + d < P.changeAt || start > P.doneAt) continue;
    tasks++; longest = Math.max(longest, d);
    top.push([Math.round(d), Math.round(start - P.changeAt)]);
  }
  top.sort((a, b) => b[0] - a[0]);
  return {load: P.idleAt, wall: P.doneAt - P.changeAt, longest, tasks, heap: P.heapPeak, heapDone: P.heapDone,
    wasm: P.wasm ? P.wasm.buffer.byteLength : 0, packets: P.done.packets, flags: P.done.flags,
    state: P.done.state, noLongtask: P.noLongtask || "", top: top.slice(0, 4), growth: P.growth};
})()`

// pageFigures are the medians of a capture's runs in Chromium.
type pageFigures struct {
	wall, cpu, longest, tasks, load float64
	heap, heapDone, heapGC, backing float64
	wasm, rssIdle, rssPeak, rssGC   float64
	packets, flags                  int
	state, warn                     string
	runs                            []browserRun
	err                             string
}

// tab is the table's "tab memory": wasm memory and the peak JS heap.
func (f pageFigures) tab() float64 { return f.wasm + f.heap }

// server serves the site on 127.0.0.1 until stop is called.
type server struct {
	base string
	stop func()
}

// serveSite builds the site from a fresh app.wasm and serves it.
func (b *bench) serveSite(bin string) (*server, error) {
	if b.srv != nil {
		return b.srv, nil
	}
	site, err := b.site(bin)
	if err != nil {
		return nil, fmt.Errorf("site build failed: %s", firstLine(err.Error()))
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	srv := &http.Server{Handler: siteHandler(site)}
	go srv.Serve(ln)
	b.srv = &server{base: "http://" + ln.Addr().String() + "/", stop: func() { srv.Close() }}
	return b.srv, nil
}

// pageRuns measures count analyses of file, each in a freshly started
// Chromium (a first visit).
func (b *bench) pageRuns(bin, file string, count int) pageFigures {
	var f pageFigures
	if _, err := os.Stat(chromiumPath); err != nil {
		f.err = "skipped: no " + chromiumPath + " (Debian's chromium package)"
		return f
	}
	srv, err := b.serveSite(bin)
	if err != nil {
		f.err = err.Error()
		return f
	}
	st, err := os.Stat(file)
	if err != nil {
		f.err = err.Error()
		return f
	}
	for i := range count {
		r, err := browserMeasure(srv.base, file, pageTimeout(st.Size()))
		if err != nil {
			f.err = fmt.Sprintf("run %d failed: %s", i+1, firstLine(err.Error()))
			return f
		}
		b.say("  run %d: %.0f ms (renderer CPU %.1f s), longest task %.0f ms (%d > 50 ms), JS heap peak %.0f MB "+
			"(at done %.0f, after GC %.0f), wasm %.0f MB, renderer RssAnon %.0f -> peak %.0f MB (after GC %.0f), "+
			"backing stores %.0f MB at done, %.0f after GC, load %.0f ms; longest tasks (ms at ms) %s; wasm memory (MB at ms) %s, done at %.0f",
			i+1, r.Wall, r.CPU, r.Longest, r.Tasks, r.Heap/1e6, r.HeapDone/1e6, r.HeapGC/1e6, r.Wasm/1e6,
			r.RSSIdle/1e6, r.RSSPeak/1e6, r.RSSGC/1e6, r.BackingDone/1e6, r.BackingGC/1e6, r.Load, topTasks(r.Top), growth(r.Growth), r.Wall)
		f.runs = append(f.runs, r)
	}
	pick := func(get func(browserRun) float64) float64 {
		var vs []float64
		for _, r := range f.runs {
			vs = append(vs, get(r))
		}
		return median(vs)
	}
	f.wall = pick(func(r browserRun) float64 { return r.Wall }) / 1e3
	f.cpu = pick(func(r browserRun) float64 { return r.CPU })
	f.longest = pick(func(r browserRun) float64 { return r.Longest })
	f.tasks = pick(func(r browserRun) float64 { return float64(r.Tasks) })
	f.load = pick(func(r browserRun) float64 { return r.Load }) / 1e3
	f.heap = pick(func(r browserRun) float64 { return r.Heap })
	f.heapDone = pick(func(r browserRun) float64 { return r.HeapDone })
	f.heapGC = pick(func(r browserRun) float64 { return r.HeapGC })
	f.backing = pick(func(r browserRun) float64 { return r.BackingGC })
	f.wasm = pick(func(r browserRun) float64 { return r.Wasm })
	f.rssIdle = pick(func(r browserRun) float64 { return r.RSSIdle })
	f.rssPeak = pick(func(r browserRun) float64 { return r.RSSPeak })
	f.rssGC = pick(func(r browserRun) float64 { return r.RSSGC })
	last := f.runs[len(f.runs)-1]
	f.packets, f.flags, f.state = last.Packets, last.Flags, last.State
	if last.Longtasks != "" {
		f.warn = "longtask observer unsupported: " + last.Longtasks
	}
	return f
}

// chromium adds the rows of the main capture: choose file to results
// shown, and page load to interactive.
func (b *bench) chromium(bin string) {
	what := fmt.Sprintf("Chromium: choose file to all results shown (%s packets)", fmtRate(float64(b.packets)))
	b.say("Chromium x%d (the main capture in the page)", b.count)
	f := b.pageRuns(bin, b.file, b.count)
	if f.err != "" {
		b.rows = append(b.rows, row{what: what, note: f.err})
		return
	}
	note := fmt.Sprintf("longest main-thread task %.0f ms (%.0f tasks > 50 ms); %d packets, %d flags shown",
		f.longest, f.tasks, f.packets, f.flags)
	if f.warn != "" {
		note = f.warn
	}
	if f.state != "done" || f.packets != b.packets {
		note += fmt.Sprintf("; WARNING: state %s, %d packets", f.state, f.packets)
	}
	r := row{what: what, time: fmtDur(f.wall),
		nsPacket: fmt.Sprintf("%.0f", f.wall*1e9/float64(b.packets)),
		packetsS: fmtRate(float64(b.packets) / f.wall),
		mbS:      fmt.Sprintf("%.0f", float64(b.size)/1e6/f.wall),
		memory:   fmt.Sprintf("%.0f MB (JS heap %.0f + wasm %.0f)", f.tab()/1e6, f.heap/1e6, f.wasm/1e6),
		note:     note,
	}
	if b.portlensWall > 0 {
		r.ratio = fmt.Sprintf("%.1fx slower", f.wall/b.portlensWall)
	}
	b.rows = append(b.rows, r)
	b.rows = append(b.rows, row{what: "Chromium: page load to interactive (localhost, first visit)", time: fmtDur(f.load),
		note: "navigation start to data-state=\"idle\" (wasm downloaded gzip, compiled, page rendered)"})
	b.loadTime = f.load
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
func browserMeasure(base, capture string, timeout time.Duration) (browserRun, error) {
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
	ctx, cancel = context.WithTimeout(ctx, timeout)
	defer cancel()
	err := chromedp.Do(ctx,
		chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument,
				page.AddScriptToEvaluateOnNewDocumentParams{Source: probeJS})
			return err
		}),
		chromedp.Navigate(base),
		chromedp.WaitVisible(chromedp.CSS(`#portlens[data-state="idle"]`)),
		// Let the service worker finish caching the site before timing: the
		// page registers it once it has rendered (web/preload.js), and its
		// install stores every file of the site.
		chromedp.Poll[chromedp.Void](`window.__bench.swReady === true`, chromedp.WithPollingTimeout(30*time.Second)),
		chromedp.Sleep(500*time.Millisecond),
	)
	if err != nil {
		return res, err
	}
	pids := rendererPIDs(ctx)
	res.Renderers = len(pids)
	res.RSSIdle = maxRSS(pids)
	cpu0 := cpuSeconds(pids)
	sampler := sampleRSS(pids)
	err = chromedp.Do(ctx,
		chromedp.SetUploadFiles(chromedp.CSS("#file-input"), []string{capture}),
		chromedp.Poll[chromedp.Void](`window.__bench.done !== null`, chromedp.WithPollingTimeout(timeout)),
	)
	res.RSSPeak = sampler.stop()
	res.CPU = cpuSeconds(pids) - cpu0
	if err != nil {
		return res, err
	}
	// A frame after done, so the results are painted.
	if err := chromedp.Do(ctx, chromedp.Sleep(200*time.Millisecond)); err != nil {
		return res, err
	}
	page, err := chromedp.Run(ctx, chromedp.Evaluate[browserRun](resultJS))
	if err != nil {
		return res, err
	}
	page.Renderers, page.RSSIdle, page.RSSPeak, page.CPU = res.Renderers, res.RSSIdle, res.RSSPeak, res.CPU
	res = page
	err = chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		u, err := chromedp.Call(ctx, runtime.GetHeapUsage, cdp.Empty{})
		if err != nil {
			return err
		}
		res.BackingDone = u.BackingStorageSize
		u, err = collectGarbage(ctx)
		res.HeapGC, res.BackingGC = u.UsedSize, u.BackingStorageSize
		return err
	}))
	res.RSSGC = maxRSS(pids)
	if err == nil && res.State == "done" {
		res.LastRow = lastRow(ctx, res.Packets)
	}
	return res, err
}

// lastRow scrolls the packet list to its end with the End key and opens
// the last frame's detail: the list scrolls end to end and any frame
// reads again from the File. It returns how long that took, in ms (0 when
// it failed within 30 s).
func lastRow(ctx context.Context, packets int) float64 {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	start := time.Now()
	row := fmt.Sprintf("#row-%d", packets)
	err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("#tab-packets")),
		chromedp.Focus(chromedp.CSS("#viewport")),
		chromedp.KeyEvent(kb.End),
		chromedp.Poll[chromedp.Void](fmt.Sprintf(`document.querySelector(%q)?.textContent.length > 0`, row+" .c-info")),
		chromedp.Click(chromedp.CSS(row)),
		chromedp.Poll[chromedp.Void](fmt.Sprintf(`document.querySelector("#detail")?.dataset.frame === "%d"`, packets)),
	)
	if err != nil {
		return 0
	}
	return float64(time.Since(start).Milliseconds())
}

// topTasks lists long tasks as "duration@start", in ms from the change event.
func topTasks(top [][2]float64) string {
	var parts []string
	for _, t := range top {
		parts = append(parts, fmt.Sprintf("%.0f@%.0f", t[0], t[1]))
	}
	return strings.Join(parts, " ")
}

// collectGarbage runs full collections until the array buffer backing
// stores stop shrinking (a background sweeper frees them after each
// collection) and returns the heap usage then.
func collectGarbage(ctx context.Context) (runtime.GetHeapUsageResult, error) {
	var u runtime.GetHeapUsageResult
	for round := range 10 {
		if _, err := chromedp.Call(ctx, heapprofiler.CollectGarbage, cdp.Empty{}); err != nil {
			return u, err
		}
		time.Sleep(300 * time.Millisecond)
		prev := u.BackingStorageSize
		next, err := chromedp.Call(ctx, runtime.GetHeapUsage, cdp.Empty{})
		if err != nil {
			return u, err
		}
		u = next
		if round > 0 && u.BackingStorageSize >= prev {
			break
		}
	}
	return u, nil
}

// growth lists the wasm memory's steps as "MB@ms", at most a dozen.
func growth(steps [][2]float64) string {
	var parts []string
	stride := max(1, len(steps)/12)
	for i, g := range steps {
		if i%stride == 0 || i == len(steps)-1 {
			parts = append(parts, fmt.Sprintf("%.0f@%.0f", g[1], g[0]))
		}
	}
	return strings.Join(parts, " ")
}

// rendererPIDs asks the browser for its renderer processes.
func rendererPIDs(ctx context.Context) []int {
	info, err := chromedp.CallBrowser(ctx, systeminfo.GetProcessInfo, cdp.Empty{})
	if err != nil {
		return nil
	}
	var pids []int
	for _, p := range info.ProcessInfo {
		if p.Type == "renderer" {
			pids = append(pids, int(p.ID))
		}
	}
	return pids
}

// procStatus reads one "kB" field of /proc/PID/status, in bytes.
func procStatus(pid int, field string) float64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			return kb * 1024
		}
	}
	return 0
}

// maxRSS is the largest RssAnon of pids: the tab's renderer (a spare
// renderer, when Chromium keeps one, stays small).
func maxRSS(pids []int) float64 {
	var m float64
	for _, pid := range pids {
		m = max(m, procStatus(pid, "RssAnon"))
	}
	return m
}

// cpuSeconds is the user+system CPU time of pids (/proc/PID/stat).
func cpuSeconds(pids []int) float64 {
	var sum float64
	for _, pid := range pids {
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		// The command may hold spaces: the fields start after its ")".
		s := string(data)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(f) > 12 {
			u, _ := strconv.ParseFloat(f[11], 64)
			k, _ := strconv.ParseFloat(f[12], 64)
			sum += (u + k) / 100 // USER_HZ is 100 on Linux
		}
	}
	return sum
}

// rssSampler keeps the peak RssAnon of the renderers, read every 20 ms.
type rssSampler struct {
	done chan struct{}
	wg   sync.WaitGroup
	peak float64
}

func sampleRSS(pids []int) *rssSampler {
	s := &rssSampler{done: make(chan struct{})}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			s.peak = max(s.peak, maxRSS(pids))
			select {
			case <-s.done:
				return
			case <-tick.C:
			}
		}
	}()
	return s
}

func (s *rssSampler) stop() float64 {
	close(s.done)
	s.wg.Wait()
	return s.peak
}

func execOut(name string, args ...string) (string, error) {
	out, err := exec.Command(name, args...).CombinedOutput()
	return string(out), err
}
