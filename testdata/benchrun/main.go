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

	"github.com/portlens/portlens/testdata/benchgen/benchcap"
)

func main() {
	packets := flag.Int("packets", 1_000_000, "packets in the benchmark capture")
	count := flag.Int("count", 3, "runs of each measurement (the table shows medians)")
	dir := flag.String("dir", filepath.Join(os.TempDir(), "portlens-bench"), "where the capture and binaries go")
	out := flag.String("out", "BENCHMARKS.md", "file to write the table into")
	external := flag.Bool("external", true, "also time tshark and wiregasm (slow: about a minute each)")
	only := flag.String("only", "", "run only this part (chromium) and print its rows without writing -out")
	capture := flag.String("capture", "", "measure this capture instead of generating one")
	flag.Parse()
	b := &bench{dir: *dir, count: *count, packets: *packets, file: *capture}
	if *only != "" {
		if err := b.runOnly(*only); err != nil {
			fmt.Fprintln(os.Stderr, "benchrun:", err)
			os.Exit(1)
		}
		fmt.Print(b.table())
		return
	}
	if err := b.run(*external); err != nil {
		fmt.Fprintln(os.Stderr, "benchrun:", err)
		os.Exit(1)
	}
	table := b.table()
	fmt.Print(table)
	if err := writeInto(*out, table); err != nil {
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
}

func (b *bench) say(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "benchrun: "+format+"\n", args...)
}

// runOnly measures one part, for working on it.
func (b *bench) runOnly(part string) error {
	if err := b.capture(); err != nil {
		return err
	}
	switch part {
	case "chromium":
		bin := filepath.Join(b.dir, "portlens")
		if out, err := goCmd(nil, "build", "-o", bin, "./cmd/portlens"); err != nil {
			return fmt.Errorf("build: %v\n%s", err, out)
		}
		b.chromium(bin)
		return nil
	}
	return fmt.Errorf("-only %q: unknown part (chromium)", part)
}

func (b *bench) run(external bool) error {
	if err := b.capture(); err != nil {
		return err
	}
	return b.measure(external)
}

// capture writes the benchmark capture into b.dir.
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
	b.file = filepath.Join(b.dir, fmt.Sprintf("bench-%d.pcap", b.packets))
	b.say("writing %s", b.file)
	f, err := os.Create(b.file)
	if err != nil {
		return err
	}
	if err := benchcap.Write(f, benchcap.Config{Packets: b.packets, Seed: 1}); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	st, _ := os.Stat(b.file)
	b.size = st.Size()
	return nil
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
	"wasm.BenchmarkAnalyze":     "js/wasm (node): whole analysis",
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
	out, err := goCmd([]string{"GOOS=js", "GOARCH=wasm"}, "test", "-exec="+exe, "-run", "^$",
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
	bin := filepath.Join(b.dir, "portlens")
	if out, err := goCmd(nil, "build", "-o", bin, "./cmd/portlens"); err != nil {
		return fmt.Errorf("build: %v\n%s", err, out)
	}
	b.say("portlens analyze x%d", b.count)
	var walls, rss []float64
	var stdout bytes.Buffer
	for range b.count {
		stdout.Reset()
		wall, maxRSS, err := timed(&stdout, bin, "analyze", "--json", b.file)
		if err != nil && stdout.Len() == 0 {
			return fmt.Errorf("portlens analyze: %v", err)
		}
		walls = append(walls, wall)
		rss = append(rss, maxRSS)
	}
	var rep struct {
		FlagCounts map[string]int `json:"flag_counts"`
	}
	_ = json.Unmarshal(stdout.Bytes(), &rep)
	b.portlensReused = rep.FlagCounts["tcp.reused_ports"]
	b.portlensWall = median(walls)
	b.rows = append(b.rows, b.toolRow(fmt.Sprintf("`portlens analyze --json` (%s packets, %.0f MB file)",
		fmtRate(float64(b.packets)), float64(b.size)/1e6), b.portlensWall, median(rss), ""))
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
	var out bytes.Buffer
	wall, rss, err := timed(&out, "tshark", "-r", b.file, "-T", "fields", "-e", "frame.number",
		"-e", "tcp.analysis.reused_ports", "-Y", "tcp.analysis.reused_ports")
	if err != nil {
		b.rows = append(b.rows, row{what: "tshark", note: "failed: " + err.Error()})
		return
	}
	n := bytes.Count(out.Bytes(), []byte("\n"))
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
	b.rows = append(b.rows, row{what: "web/app.wasm size (load target: < 4 MB gzip)",
		memory: fmt.Sprintf("%.2f MB, %.2f MB gzip -9", float64(len(raw))/1e6, float64(gz.Len())/1e6)})
}

// timed runs a command with stdout into w and returns its wall time in
// seconds and its peak RSS in KB (from the child's rusage).
func timed(w io.Writer, name string, args ...string) (float64, float64, error) {
	cmd := exec.Command(name, args...)
	cmd.Stdout = w
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start).Seconds()
	var rss float64
	if cmd.ProcessState != nil {
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			rss = float64(ru.Maxrss)
		}
	}
	if err != nil {
		err = fmt.Errorf("%v: %s", err, firstLine(stderr.String()))
	}
	return wall, rss, err
}

func goCmd(env []string, args ...string) (string, error) {
	cmd := exec.Command("go", args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func (b *bench) table() string {
	var s strings.Builder
	load, _ := os.ReadFile("/proc/loadavg")
	fmt.Fprintf(&s, "Date: %s. Machine: %s, %d cores (nproc), %s, load average before the run %s.\n",
		time.Now().UTC().Format("2006-01-02 15:04 MST"), cpuModel(), runtime.NumCPU(), goVersion(),
		strings.Join(strings.Fields(string(load))[:min(3, len(strings.Fields(string(load))))], " "))
	fmt.Fprintf(&s, "Capture: `go run ./testdata/benchgen -packets %d` (%.0f MB); Go benchmarks on an in-memory 200k-packet capture, -cpu 1, medians of %d runs.\n\n",
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
		fmt.Fprintf(&s, "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", r.what, dash(r.time), dash(r.nsPacket),
			dash(r.packetsS), dash(r.mbS), dash(r.allocs), dash(r.memory), dash(r.ratio), dash(r.note))
	}
	if len(b.notes) > 0 {
		s.WriteString("\n")
		for _, n := range b.notes {
			s.WriteString("- " + n + "\n")
		}
	}
	return s.String()
}

const beginMark, endMark = "<!-- bench:begin -->", "<!-- bench:end -->"

// writeInto replaces the marked region of name (or creates the file).
func writeInto(name, table string) error {
	old, err := os.ReadFile(name)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	region := beginMark + "\n" + table + endMark
	s := string(old)
	i, j := strings.Index(s, beginMark), strings.Index(s, endMark)
	if i >= 0 && j > i {
		s = s[:i] + region + s[j+len(endMark):]
	} else {
		s = "# Benchmarks\n\nWritten by `make bench` (testdata/benchrun).\n\n" + region + "\n" + s
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
