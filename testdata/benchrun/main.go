// Command benchrun is `make bench`: it writes the benchmark capture, runs
// the native and js/wasm benchmarks, times `portlens analyze`, tshark and
// Wireshark-as-WebAssembly on the same file, prints one table and writes
// it into BENCHMARKS.md between the bench:begin and bench:end markers
// (the notes around them are kept).
//
//	go run ./testdata/benchrun [-packets 1000000] [-count 3] [-external=false]
package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	packets := flag.Int("packets", 1_000_000, "packets in the main benchmark capture")
	count := flag.Int("count", 3, "runs of each measurement (the table shows medians)")
	dir := flag.String("dir", filepath.Join(os.TempDir(), "portlens-bench"), "where the captures and binaries go (kept between runs)")
	out := flag.String("out", "BENCHMARKS.md", "file to write the table into")
	external := flag.Bool("external", true, "also time tshark and wiregasm (slow: about a minute each)")
	only := flag.String("only", "", "run only this part (chromium, sizes) and print its rows without writing -out")
	capture := flag.String("capture", "", "measure this capture instead of generating the main one")
	sizes := flag.Bool("sizes", true, "also measure the captures of any size (1M packets ~200k flags, 300 MB pcapng)")
	big := flag.Bool("big", false, "measure only the 2 GB pcapng (make bench-big; minutes) and write its own part of -out")
	bigPackets := flag.Int("big-packets", 14_000_000, "packets in the -big capture (14M: 2.14 GB as pcapng)")
	bigCount := flag.Int("big-count", 1, "runs of each -big measurement")
	flag.Parse()
	b := &bench{dir: *dir, count: *count, packets: *packets, file: *capture}
	var err error
	region, table := "bench", ""
	switch {
	case *big:
		region = "bench-big"
		if err = b.runBig(*bigPackets, *bigCount); err == nil {
			table = b.bigTable()
		}
	case *only != "":
		if err = b.runOnly(*only, *external); err == nil {
			fmt.Print(b.table())
		}
		b.close()
		exit(err)
		return
	default:
		if err = b.run(*external, *sizes); err == nil {
			table = b.table()
		}
	}
	b.close()
	exit(err)
	fmt.Print(table)
	exit(writeInto(*out, region, table))
}

func exit(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchrun:", err)
		os.Exit(1)
	}
}

// row is one line of the table; empty strings print as "-".
type row struct {
	what, time, nsPacket, packetsS, mbS, allocs, memory, ratio, note string
}

type bench struct {
	dir            string
	count, packets int
	file           string
	size           int64
	rows           []row
	notes          []string
	portlensWall   float64 // seconds, median of `portlens analyze`
	portlensReused int

	loadBefore string       // load averages when the run started
	srv        *server      // the site, served once for every page run
	loadTime   float64      // seconds, page load to interactive
	wasmGzip   float64      // bytes, app.wasm gzip -9
	sized      []sizeResult // the captures of any size
}

// close stops the site's server.
func (b *bench) close() {
	if b.srv != nil {
		b.srv.stop()
	}
}

func (b *bench) say(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "benchrun: "+format+"\n", args...)
}

// runOnly measures one part, for working on it.
func (b *bench) runOnly(part string, external bool) error {
	b.loadBefore = loadavg()
	bin, err := b.binary()
	if err != nil {
		return err
	}
	switch part {
	case "chromium":
		if err := b.capture(); err != nil {
			return err
		}
		b.chromium(bin)
		return nil
	case "sizes":
		return b.sizes(bin, sizeSpecs, b.count, external)
	}
	return fmt.Errorf("-only %q: unknown part (chromium, sizes)", part)
}

func (b *bench) run(external, sizes bool) error {
	b.loadBefore = loadavg()
	if err := b.capture(); err != nil {
		return err
	}
	if err := b.measure(external); err != nil {
		return err
	}
	if !sizes {
		return nil
	}
	bin, err := b.binary()
	if err != nil {
		return err
	}
	return b.sizes(bin, sizeSpecs, b.count, external)
}

// runBig measures the 2 GB capture alone.
func (b *bench) runBig(packets, count int) error {
	b.loadBefore = loadavg()
	if err := os.MkdirAll(b.dir, 0o755); err != nil {
		return err
	}
	bin, err := b.binary()
	if err != nil {
		return err
	}
	b.wasmSize()
	return b.sizes(bin, []capSpec{bigSpec(packets)}, count, false)
}

// binary builds the command into the bench directory.
func (b *bench) binary() (string, error) {
	if err := os.MkdirAll(b.dir, 0o755); err != nil {
		return "", err
	}
	bin := filepath.Join(b.dir, "portlens")
	if out, err := goCmd(nil, "build", "-o", bin, "./cmd/portlens"); err != nil {
		return "", fmt.Errorf("build: %v\n%s", err, out)
	}
	return bin, nil
}

// capture writes the main benchmark capture into b.dir (or keeps the
// one there when it is still what benchgen writes).
func (b *bench) capture() error {
	if err := os.MkdirAll(b.dir, 0o755); err != nil {
		return err
	}
	if b.file != "" {
		st, err := os.Stat(b.file)
		if err != nil {
			return err
		}
		b.size = st.Size()
		return nil
	}
	file, size, err := b.ensureCapture(capSpec{packets: b.packets, copies: 1})
	b.file, b.size = file, size
	return err
}

func (b *bench) measure(external bool) error {
	if err := b.native(); err != nil {
		return err
	}
	if err := b.command(); err != nil {
		return err
	}
	b.wasmBench()
	b.wasmSize()
	b.chromium(filepath.Join(b.dir, "portlens"))
	if external {
		b.tshark()
		b.wiregasm()
	} else {
		b.notes = append(b.notes, "tshark and wiregasm skipped (-external=false).")
	}
	return nil
}

// benchLine is one parsed `go test -bench` result line.
type benchLine struct {
	name    string
	metrics map[string]float64
}

func parseBench(out string) []benchLine {
	var lines []benchLine
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 4 || !strings.HasPrefix(fields[0], "Benchmark") {
			continue
		}
		l := benchLine{name: fields[0], metrics: map[string]float64{}}
		if i := strings.LastIndex(l.name, "-"); i > 0 {
			l.name = l.name[:i]
		}
		for i := 2; i+1 < len(fields); i += 2 {
			v, err := strconv.ParseFloat(fields[i], 64)
			if err == nil {
				l.metrics[fields[i+1]] = v
			}
		}
		lines = append(lines, l)
	}
	return lines
}

// medians folds the -count runs of each benchmark into their medians.
func medians(lines []benchLine) (names []string, med map[string]map[string]float64) {
	all := map[string]map[string][]float64{}
	for _, l := range lines {
		if all[l.name] == nil {
			all[l.name] = map[string][]float64{}
			names = append(names, l.name)
		}
		for k, v := range l.metrics {
			all[l.name][k] = append(all[l.name][k], v)
		}
	}
	med = map[string]map[string]float64{}
	for name, ms := range all {
		med[name] = map[string]float64{}
		for k, vs := range ms {
			med[name][k] = median(vs)
		}
	}
	return names, med
}

func median(vs []float64) float64 {
	s := slices.Clone(vs)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

var benchDesc = map[string]string{
	"analyzer.BenchmarkReader":  "native: reader (capture.Reader.Next)",
	"decode.BenchmarkDecode":    "native: decoder (Decoder.Decode)",
	"conv.BenchmarkTracker":     "native: tracker (Tracker.Add, TCP segments)",
	"analyzer.BenchmarkStep":    "native: per-packet path (read+decode+track)",
	"analyzer.BenchmarkAnalyze": "native: whole analysis (analyzer.Analyze)",
	"wasm.BenchmarkAnalyze":     "js/wasm (node): whole analysis, built as app.wasm is (wasm/default.pgo)",
}

func (b *bench) native() error {
	b.say("native benchmarks (go test -bench, -count %d)", b.count)
	args := []string{"test", "-run", "^$", "-bench", "^Benchmark(Reader|Decode|Tracker|Step|Analyze)$",
		"-benchtime", "5x", "-count", strconv.Itoa(b.count), "-cpu", "1"}
	pkgs := map[string]string{"./analyzer": "analyzer", "./analyzer/decode": "decode", "./analyzer/conv": "conv"}
	order := []string{"analyzer.BenchmarkReader", "decode.BenchmarkDecode", "conv.BenchmarkTracker",
		"analyzer.BenchmarkStep", "analyzer.BenchmarkAnalyze"}
	med := map[string]map[string]float64{}
	for pkg, short := range pkgs {
		out, err := goCmd(nil, append(args, pkg)...)
		if err != nil {
			return fmt.Errorf("go test %s: %v\n%s", pkg, err, out)
		}
		_, m := medians(parseBench(out))
		for name, ms := range m {
			med[short+"."+name] = ms
		}
	}
	for _, name := range order {
		if ms, ok := med[name]; ok {
			b.rows = append(b.rows, benchRow(benchDesc[name], ms))
		}
	}
	return nil
}

func benchRow(what string, ms map[string]float64) row {
	r := row{what: what,
		time:     fmtDur(ms["ns/op"] / 1e9),
		nsPacket: fmt.Sprintf("%.0f", ms["ns/packet"]),
		packetsS: fmtRate(ms["packets/s"]),
		allocs:   fmt.Sprintf("%.4f", ms["allocs/packet"]),
	}
	if v, ok := ms["MB/s"]; ok {
		r.mbS = fmt.Sprintf("%.0f", v)
	}
	r.note = fmt.Sprintf("%.0f MB allocated per run", ms["B/op"]/1e6)
	return r
}

func (b *bench) wasmBench() {
	b.say("js/wasm benchmark under node")
	if _, err := exec.LookPath("node"); err != nil {
		b.rows = append(b.rows, row{what: benchDesc["wasm.BenchmarkAnalyze"], note: "skipped: node not installed"})
		return
	}
	root, _ := goCmd(nil, "env", "GOROOT")
	exe := filepath.Join(strings.TrimSpace(root), "lib", "wasm", "go_js_wasm_exec")
	// Built with the page's profile, as app.wasm is (go test does not
	// take it by itself: ./analyzer is not the main package).
	out, err := goCmd([]string{"GOOS=js", "GOARCH=wasm"}, "test", "-exec="+exe, "-run", "^$", "-pgo=wasm/default.pgo",
		"-bench", "^BenchmarkAnalyze$", "-benchtime", "3x", "-count", strconv.Itoa(b.count), "./analyzer")
	if err != nil {
		b.rows = append(b.rows, row{what: benchDesc["wasm.BenchmarkAnalyze"], note: "failed: " + firstLine(out)})
		return
	}
	_, med := medians(parseBench(out))
	if ms, ok := med["BenchmarkAnalyze"]; ok {
		b.rows = append(b.rows, benchRow(benchDesc["wasm.BenchmarkAnalyze"], ms))
	}
}

// command times `portlens analyze --json` on the capture.
func (b *bench) command() error {
	bin, err := b.binary()
	if err != nil {
		return err
	}
	b.say("portlens analyze x%d", b.count)
	f := analyzeRuns(bin, b.file, filepath.Join(b.dir, "report.json"), b.count)
	if f.err != "" {
		return fmt.Errorf("portlens analyze: %s", f.err)
	}
	b.portlensReused = f.reused
	b.portlensWall = f.wall
	b.rows = append(b.rows, b.toolRow(fmt.Sprintf("`portlens analyze --json` (%s packets, %.0f MB file)",
		fmtRate(float64(b.packets)), float64(b.size)/1e6), b.portlensWall, f.rss/1024, ""))
	b.rows[len(b.rows)-1].ratio = "1"
	b.notes = append(b.notes, fmt.Sprintf("portlens flags %d frames tcp.reused_ports in the benchmark capture.", b.portlensReused))
	return nil
}

func (b *bench) toolRow(what string, wall, rssKB float64, note string) row {
	r := row{what: what, time: fmtDur(wall),
		nsPacket: fmt.Sprintf("%.0f", wall*1e9/float64(b.packets)),
		packetsS: fmtRate(float64(b.packets) / wall),
		mbS:      fmt.Sprintf("%.0f", float64(b.size)/1e6/wall),
		memory:   fmt.Sprintf("%.0f MB RSS", rssKB/1024),
		note:     note,
	}
	if b.portlensWall > 0 {
		r.ratio = fmt.Sprintf("%.1fx slower", wall/b.portlensWall)
	}
	return r
}

func (b *bench) tshark() {
	b.say("tshark (once)")
	if _, err := exec.LookPath("tshark"); err != nil {
		b.rows = append(b.rows, row{what: "tshark: list reused ports", note: "skipped: tshark not installed"})
		return
	}
	// Its list goes to a file, as portlens's report does (see analyzeRuns).
	list := filepath.Join(b.dir, "tshark.txt")
	defer os.Remove(list)
	u, err := timedToFile(exec.Command("tshark", "-r", b.file, "-T", "fields", "-e", "frame.number",
		"-e", "tcp.analysis.reused_ports", "-Y", "tcp.analysis.reused_ports"), list)
	wall, rss := u.wall, u.rssKB
	if err != nil {
		b.rows = append(b.rows, row{what: "tshark", note: "failed: " + err.Error()})
		return
	}
	out, _ := os.ReadFile(list)
	n := bytes.Count(out, []byte("\n"))
	ver, _ := exec.Command("tshark", "--version").Output()
	b.rows = append(b.rows, b.toolRow("tshark "+version(string(ver))+": list reused ports", wall, rss,
		fmt.Sprintf("%d frames flagged (portlens %d)", n, b.portlensReused)))
}

func (b *bench) wiregasm() {
	b.say("Wireshark as WebAssembly (wiregasm under node, once)")
	oracle := "/work/shared/tools/wireshark-oracle.js"
	if _, err := os.Stat(oracle); err != nil {
		oracle = filepath.Join("..", "shared", "tools", "wireshark-oracle.js")
	}
	wg := os.Getenv("WIREGASM_DIR")
	if wg == "" {
		wg = "/tmp/wiregasm/node_modules/@goodtools/wiregasm/dist"
	}
	if _, err := os.Stat(filepath.Join(wg, "wiregasm.js")); err != nil {
		b.rows = append(b.rows, row{what: "Wireshark 4.4 as WebAssembly (wiregasm)",
			note: "skipped: not installed (npm install --prefix /tmp/wiregasm @goodtools/wiregasm@1.9.1)"})
		return
	}
	if _, err := os.Stat(oracle); err != nil {
		b.rows = append(b.rows, row{what: "Wireshark 4.4 as WebAssembly (wiregasm)", note: "skipped: no wireshark-oracle.js"})
		return
	}
	list := filepath.Join(b.dir, "list")
	_ = os.WriteFile(list, []byte(b.file+"\n"), 0o644)
	var out bytes.Buffer
	wall, rss, err := timed(&out, "node", oracle, list)
	var rec struct {
		Packets int    `json:"packets"`
		Reused  []int  `json:"reused"`
		Error   string `json:"error"`
	}
	if err == nil {
		err = json.Unmarshal(out.Bytes(), &rec)
	}
	if err != nil || rec.Error != "" {
		b.rows = append(b.rows, row{what: "wiregasm", note: fmt.Sprintf("failed: %v %s", err, rec.Error)})
		return
	}
	b.rows = append(b.rows, b.toolRow("Wireshark 4.4 as WebAssembly (wiregasm, node): dissect all", wall, rss,
		fmt.Sprintf("%d frames flagged (portlens %d)", len(rec.Reused), b.portlensReused)))
}

// wasmSize builds web/app.wasm as `make wasm` does, into the bench
// directory, and measures it gzip-compressed.
func (b *bench) wasmSize() {
	out := filepath.Join(b.dir, "app.wasm")
	if msg, err := goCmd([]string{"GOOS=js", "GOARCH=wasm"}, "build", "-trimpath", "-ldflags=-s -w", "-o", out, "./wasm"); err != nil {
		b.rows = append(b.rows, row{what: "web/app.wasm size", note: "build failed: " + firstLine(msg)})
		return
	}
	raw, _ := os.ReadFile(out)
	var gz bytes.Buffer
	w, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	_, _ = w.Write(raw)
	_ = w.Close()
	b.wasmGzip = float64(gz.Len())
	b.rows = append(b.rows, row{what: "web/app.wasm size (load target: < 4 MB gzip)",
		memory: fmt.Sprintf("%.2f MB, %.2f MB gzip -9", float64(len(raw))/1e6, float64(gz.Len())/1e6)})
}

// timed runs a command with stdout into w and returns its wall time in
// seconds and its peak RSS in KB (from the child's rusage).
func timed(w io.Writer, name string, args ...string) (float64, float64, error) {
	u, err := timedCmd(exec.Command(name, args...), w)
	return u.wall, u.rssKB, err
}

// timedToFile runs cmd with stdout into a new file at path (the child
// writes it directly, as a shell redirection would) and returns what it
// cost.
func timedToFile(cmd *exec.Cmd, path string) (usage, error) {
	out, err := os.Create(path)
	if err != nil {
		return usage{}, err
	}
	defer out.Close()
	return timedCmd(cmd, out)
}

// usage is what a finished command cost.
type usage struct {
	wall  float64 // seconds
	cpu   float64 // seconds of user and system CPU time
	rssKB float64 // peak resident set
}

// timedCmd runs cmd with stdout into w and returns what it cost; on a
// shared machine its CPU time moves less than its wall time.
func timedCmd(cmd *exec.Cmd, w io.Writer) (usage, error) {
	cmd.Stdout = w
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	err := cmd.Run()
	u := usage{wall: time.Since(start).Seconds()}
	if ps := cmd.ProcessState; ps != nil {
		u.cpu = (ps.UserTime() + ps.SystemTime()).Seconds()
		if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
			u.rssKB = float64(ru.Maxrss)
		}
	}
	if err != nil {
		err = fmt.Errorf("%v: %s", err, firstLine(stderr.String()))
	}
	return u, err
}

func goCmd(env []string, args ...string) (string, error) {
	cmd := exec.Command("go", args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// header says when, where and under what load the figures were taken.
func (b *bench) header() string {
	return fmt.Sprintf("Date: %s. Machine: %s, %d cores (nproc), %s; load average (1, 5, 15 min) %s before the run, %s after it (the machine is shared).\n",
		time.Now().UTC().Format("2006-01-02 15:04 MST"), cpuModel(), runtime.NumCPU(), goVersion(), b.loadBefore, loadavg())
}

func loadavg() string {
	load, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(load))
	return strings.Join(f[:min(3, len(f))], " ")
}

func (b *bench) table() string {
	var s strings.Builder
	s.WriteString(b.header())
	if len(b.rows) > 0 {
		b.mainTable(&s)
	}
	if len(b.sized) > 0 {
		fmt.Fprintf(&s, "\n### Captures of any size (issues 9 and 10), medians of %d runs\n\n", b.count)
		s.WriteString(sizeTable(b.sized))
		s.WriteString("\n### Targets (issues 9 and 10) against this run\n\n")
		s.WriteString(targetTable(b.mainTargets()))
	}
	return s.String()
}

// mainTable is the main capture's table and its notes.
func (b *bench) mainTable(s *strings.Builder) {
	fmt.Fprintf(s, "Main capture: `go run ./testdata/benchgen -packets %d` (%.0f MB); Go benchmarks on an in-memory 200k-packet capture, -cpu 1, medians of %d runs.\n\n",
		b.packets, float64(b.size)/1e6, b.count)
	s.WriteString("| measurement | time | ns/packet | packets/s | MB/s | allocs/packet | memory | vs portlens analyze | note |\n")
	s.WriteString("|---|---:|---:|---:|---:|---:|---|---|---|\n")
	dash := func(v string) string {
		if v == "" {
			return "-"
		}
		return v
	}
	for _, r := range b.rows {
		fmt.Fprintf(s, "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", r.what, dash(r.time), dash(r.nsPacket),
			dash(r.packetsS), dash(r.mbS), dash(r.allocs), dash(r.memory), dash(r.ratio), dash(r.note))
	}
	if len(b.notes) > 0 {
		s.WriteString("\n")
		for _, n := range b.notes {
			s.WriteString("- " + n + "\n")
		}
	}
}

// bigTable is what `make bench-big` writes.
func (b *bench) bigTable() string {
	var s strings.Builder
	s.WriteString(b.header())
	s.WriteString("\n")
	s.WriteString(sizeTable(b.sized))
	s.WriteString("\n")
	s.WriteString(targetTable(b.bigTargets()))
	return s.String()
}

// writeInto replaces the region of name between <!-- REGION:begin -->
// and <!-- REGION:end --> (or creates the file, or appends the region).
func writeInto(name, region, table string) error {
	old, err := os.ReadFile(name)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	beginMark, endMark := "<!-- "+region+":begin -->", "<!-- "+region+":end -->"
	part := beginMark + "\n" + table + endMark
	s := string(old)
	i, j := strings.Index(s, beginMark), strings.Index(s, endMark)
	switch {
	case i >= 0 && j > i:
		s = s[:i] + part + s[j+len(endMark):]
	case s == "":
		s = "# Benchmarks\n\nWritten by `make bench` (testdata/benchrun).\n\n" + part + "\n"
	default:
		s += "\n" + part + "\n"
	}
	return os.WriteFile(name, []byte(s), 0o644)
}

func cpuModel() string {
	data, _ := os.ReadFile("/proc/cpuinfo")
	for line := range strings.SplitSeq(string(data), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}

func goVersion() string {
	out, _ := goCmd(nil, "env", "GOVERSION")
	return strings.TrimSpace(out)
}

func version(s string) string {
	f := strings.Fields(firstLine(s))
	for i, w := range f {
		if w == "TShark" && i+2 < len(f) {
			return f[i+2]
		}
	}
	return ""
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

func fmtDur(sec float64) string {
	switch {
	case sec >= 1:
		return fmt.Sprintf("%.2f s", sec)
	case sec >= 1e-3:
		return fmt.Sprintf("%.1f ms", sec*1e3)
	}
	return fmt.Sprintf("%.0f µs", sec*1e6)
}

func fmtRate(v float64) string {
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%.2fM", v/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%.0fk", v/1e3)
	}
	return fmt.Sprintf("%.0f", v)
}
