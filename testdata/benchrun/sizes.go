package main

// Captures of any size (issues 9 and 10): the same measurements on
// generated captures shaped like the issues' own (most conversations
// reuse ports, about 190 flags per 1000 packets), from 1M packets to
// 2 GB. For each: `portlens analyze --json` (wall time, peak RSS, packet
// and flag counts) and the page in Chromium (time to done, long tasks,
// memory), and the tab's memory per byte of capture and per packet.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// sizeSpecs are measured by `make bench`; bigSpec by `make bench-big`.
var sizeSpecs = []capSpec{
	// 1M packets as the example (1,078,296 packets, 202,732 flags,
	// 94 MB pcapng): benchgen's packets are larger (107 bytes on average),
	// so 1M of them are 123 MB as pcap (153 MB as pcapng); 16 copies give
	// 186.5k flags (8 give 176.5k, 32 give 189.6k: it levels off).
	{name: "1M packets", packets: 1_000_000, copies: 16, tshark: true},
	// 2M packets as pcapng are 306 MB.
	{name: "300 MB pcapng", packets: 2_000_000, copies: 16, pcapng: true},
}

// bigSpec is about 2 GB as pcapng (153 bytes a packet: 14M packets are
// 2.14 GB); -big-packets changes the count.
func bigSpec(packets int) capSpec {
	name := "2 GB pcapng"
	if packets != 14_000_000 {
		name = fmt.Sprintf("%.1fM-packet pcapng", float64(packets)/1e6)
	}
	return capSpec{name: name, packets: packets, copies: 16, pcapng: true}
}

// sizeResult is one capture's measurements.
type sizeResult struct {
	spec   capSpec
	file   string
	size   int64
	cmd    cmdFigures
	page   pageFigures
	tshark toolFigures
}

// cmdFigures are the medians of `portlens analyze --json` runs.
type cmdFigures struct {
	wall, cpu, rss float64 // seconds, seconds, bytes
	packets, flags int
	reused         int // tcp.reused_ports flags
	jsonBytes      int64
	err            string
}

// toolFigures is one run of another tool.
type toolFigures struct {
	wall, cpu, rss float64 // seconds, seconds, bytes
	frames         int
	version        string
	err            string
}

// sizes measures each spec: the command count times, the page count times.
func (b *bench) sizes(bin string, specs []capSpec, count int, external bool) error {
	for _, spec := range specs {
		file, size, err := b.ensureCapture(spec)
		if err != nil {
			return err
		}
		r := sizeResult{spec: spec, file: file, size: size}
		b.say("%s: portlens analyze --json x%d", spec.name, count)
		r.cmd = analyzeRuns(bin, file, filepath.Join(b.dir, "report.json"), count)
		b.say("%s: %.2f s, %.0f MB RSS, %d packets, %d flags, %.0f MB of JSON", spec.name, r.cmd.wall,
			r.cmd.rss/1e6, r.cmd.packets, r.cmd.flags, float64(r.cmd.jsonBytes)/1e6)
		b.say("%s: Chromium x%d", spec.name, count)
		r.page = b.pageRuns(bin, file, count)
		if spec.tshark && external {
			b.say("%s: tshark -r F -Y tcp.analysis.reused_ports (once)", spec.name)
			r.tshark = tsharkFilter(file)
		}
		b.sized = append(b.sized, r)
	}
	return nil
}

// pageTimeout allows two minutes plus a second per MB of capture.
func pageTimeout(size int64) time.Duration {
	return 2*time.Minute + time.Duration(size/1e6)*time.Second
}

// analyzeRuns times `portlens analyze --json FILE > report`, run in the
// file's directory with its base name, as the browser test names it too.
// The report goes to a file, as a user's redirection sends it: through a
// pipe into this process it would share the machine's two cores with it.
func analyzeRuns(bin, file, report string, count int) cmdFigures {
	var f cmdFigures
	var walls, cpus, rss []float64
	defer os.Remove(report)
	for range count {
		cmd := exec.Command(bin, "analyze", "--json", filepath.Base(file))
		cmd.Dir = filepath.Dir(file)
		u, err := timedToFile(cmd, report)
		head, herr := readHead(report)
		if err != nil && (herr != nil || head.n == 0) {
			f.err = err.Error()
			return f
		}
		walls, cpus, rss = append(walls, u.wall), append(cpus, u.cpu), append(rss, u.rssKB*1024)
		f.jsonBytes = head.n
		var counts map[string]int
		f.packets, counts, err = head.counts()
		if err != nil {
			f.err = "reading the report: " + err.Error()
			return f
		}
		f.flags, f.reused = 0, counts["tcp.reused_ports"]
		for _, n := range counts {
			f.flags += n
		}
	}
	f.wall, f.cpu, f.rss = median(walls), median(cpus), median(rss)
	return f
}

// readHead reads the start of a report file (what headWriter keeps) and
// takes its size from the file system: the rest, gigabytes for the
// largest captures, is not read again.
func readHead(path string) (*headWriter, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return nil, err
	}
	head := &headWriter{}
	_, err = io.Copy(head, io.LimitReader(fh, headSize))
	head.n = st.Size()
	return head, err
}

// headSize is how much of a report headWriter keeps.
const headSize = 1 << 20

// headWriter keeps the start of a report (its header: counts come before
// the flags) and counts the rest: a 2 GB capture's report is gigabytes.
type headWriter struct {
	head []byte
	n    int64
}

func (h *headWriter) Write(p []byte) (int, error) {
	if room := headSize - len(h.head); room > 0 {
		h.head = append(h.head, p[:min(room, len(p))]...)
	}
	h.n += int64(len(p))
	return len(p), nil
}

// counts reads packets and the flag counts from the report's header.
func (h *headWriter) counts() (packets int, flags map[string]int, err error) {
	dec := json.NewDecoder(bytes.NewReader(h.head))
	if _, err := dec.Token(); err != nil {
		return 0, nil, err
	}
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return 0, nil, err
		}
		switch key {
		case "packets":
			err = dec.Decode(&packets)
		case "flag_counts":
			err = dec.Decode(&flags)
			return packets, flags, err
		default:
			var skip json.RawMessage
			err = dec.Decode(&skip)
		}
		if err != nil {
			return 0, nil, err
		}
	}
	return 0, nil, fmt.Errorf("no flag_counts in the report")
}

// tsharkFilter times `tshark -r FILE -Y tcp.analysis.reused_ports`, the
// one-pass display filter, counting the frames it prints.
func tsharkFilter(file string) toolFigures {
	var f toolFigures
	if _, err := exec.LookPath("tshark"); err != nil {
		f.err = "skipped: tshark not installed"
		return f
	}
	ver, _ := exec.Command("tshark", "--version").Output()
	f.version = version(string(ver))
	var out bytes.Buffer
	u, err := timedCmd(exec.Command("tshark", "-r", file, "-Y", "tcp.analysis.reused_ports"), &out)
	if err != nil {
		f.err = "failed: " + err.Error()
		return f
	}
	f.wall, f.cpu, f.rss, f.frames = u.wall, u.cpu, u.rssKB*1024, bytes.Count(out.Bytes(), []byte("\n"))
	return f
}

// sizeTable is the table of the captures of any size.
func sizeTable(results []sizeResult) string {
	var s strings.Builder
	s.WriteString("| capture (benchgen flags) | file | packets | flags: command / page | `analyze --json` | its peak RSS | page: file chosen to done (renderer CPU) | longest task (tasks > 50 ms) | JS heap: peak / at done / after GC | wasm memory | tab memory (wasm + peak heap) | tab per capture byte | tab per packet | renderer RssAnon: idle / peak / after GC |\n")
	s.WriteString("|---|---:|---:|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---|\n")
	for _, r := range results {
		c, p := r.cmd, r.page
		what := fmt.Sprintf("%s (`%s`)", r.spec.name, r.spec.args())
		if c.err != "" {
			fmt.Fprintf(&s, "| %s | %s | - | - | failed: %s | - | - | - | - | - | - | - | - | - |\n", what, mb(float64(r.size)), c.err)
			continue
		}
		counts := fmt.Sprintf("%d / %d", c.flags, p.flags)
		if p.err == "" && (p.packets != c.packets || p.flags != c.flags || p.state != "done") {
			counts += fmt.Sprintf(" **MISMATCH: page %s, %d packets**", p.state, p.packets)
		}
		cmd := fmt.Sprintf("%s (CPU %.1f s) | %s", fmtDur(c.wall), c.cpu, mb(c.rss))
		if p.err != "" {
			fmt.Fprintf(&s, "| %s | %s | %d | %d / - | %s | page %s | - | - | - | - | - | - | - |\n",
				what, mb(float64(r.size)), c.packets, c.flags, cmd, p.err)
			continue
		}
		tab := p.tab()
		fmt.Fprintf(&s, "| %s | %s | %d | %s | %s | %s (%.1f s) | %.0f ms (%.0f) | %s / %s / %s | %s | **%s** | %.2f | %.0f B | %s / %s / %s |\n",
			what, mb(float64(r.size)), c.packets, counts, cmd, fmtDur(p.wall), p.cpu, p.longest, p.tasks,
			mbn(p.heap), mbn(p.heapDone), mb(p.heapGC), mb(p.wasm), mb(tab), tab/float64(r.size),
			tab/float64(c.packets), mbn(p.rssIdle), mbn(p.rssPeak), mb(p.rssGC))
	}
	for _, r := range results {
		if r.tshark.wall == 0 && r.tshark.err == "" {
			continue
		}
		if r.tshark.err != "" {
			fmt.Fprintf(&s, "\ntshark on the %s capture: %s\n", r.spec.name, r.tshark.err)
			continue
		}
		t := r.tshark
		fmt.Fprintf(&s, "\n`tshark -r F -Y tcp.analysis.reused_ports` (tshark %s) on the %s capture: %s (CPU %.1f s), %s peak RSS, %d frames shown (portlens: %d tcp.reused_ports flags among %d); `portlens analyze --json` on it: %s (CPU %.1f s), **%.1fx faster** (%.1fx in CPU time).\n",
			t.version, r.spec.name, fmtDur(t.wall), t.cpu, mb(t.rss), t.frames, r.cmd.reused, r.cmd.flags, fmtDur(r.cmd.wall), r.cmd.cpu, t.wall/r.cmd.wall, t.cpu/r.cmd.cpu)
	}
	return s.String()
}

func mb(v float64) string  { return fmt.Sprintf("%.0f MB", v/1e6) }
func mbn(v float64) string { return fmt.Sprintf("%.0f", v/1e6) }
