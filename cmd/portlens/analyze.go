package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/portlens/portlens/analyzer"
	"github.com/portlens/portlens/analyzer/filter"
	"github.com/portlens/portlens/analyzer/rules"
)

func runAnalyze(args []string, e env) int {
	fs := newFlags("analyze", "FILE...", `Analyze pcap and pcapng captures, gzip-compressed or not, and explain every flag.
FILE - reads the capture from standard input.`)
	asJSON := fs.Bool("json", false, "print one JSON document per file")
	frames := fs.Bool("frames", false, "with --json: include every frame's tcp.stream")
	all := fs.Bool("all", false, "print every flagged frame with its flags, not only the findings")
	osName := fs.String("os", "linux", "ephemeral-port `preset`: "+presetNames()+", custom, auto")
	ephemeral := fs.String("ephemeral", "", "ephemeral port range `LO-HI` (overrides the preset's)")
	timeWait := fs.Duration("time-wait", 0, "TIME_WAIT `duration`, e.g. 60s (overrides the preset's)")
	def := rules.DefaultSettings()
	th := thresholds{}
	fs.StringVar(&th.fallback, "auto-default", def.Default, "with --os auto: the `preset` of hosts with too few connections")
	fs.IntVar(&th.autoMin, "auto-min", def.AutoMinConnections, "with --os auto: connections a host must open before its preset is inferred")
	fs.Float64Var(&th.autoShare, "auto-share", def.AutoShare, "with --os auto: share of a host's source ports the inferred range must hold")
	fs.Float64Var(&th.exhaustion, "exhaustion", def.ExhaustionShare, "port.exhaustion: share of the ephemeral range busy toward one destination")
	fs.IntVar(&th.synMin, "syn-min", def.SYNMin, "tcp.syn_unanswered: SYNs sent (first plus retransmissions) without answer")
	fs.IntVar(&th.dnsMin, "dns-min", def.DNSMinQueries, "udp.fixed_source_port: DNS queries from one source port")
	var nat natFlags
	fs.StringVar(&nat.name, "nat", "", "the cloud `NAT` the clients are behind: "+natNames()+", custom")
	fs.IntVar(&nat.budget, "nat-budget", 0, "connections a VM may hold toward one destination under the NAT (overrides the NAT's)")
	fs.DurationVar(&nat.timeWait, "nat-time-wait", 0, "how long the NAT keeps a port after a close, e.g. 120s (overrides the NAT's)")
	maxMemory := sizeFlag{defaultMaxMemory()}
	fs.Var(&maxMemory, "max-memory", "the memory `SIZE` the analysis of a file may take (512MB, 2GiB; 0: no bound): past it the reading stops, and what was read is analyzed")
	var display string
	fs.StringVar(&display, "Y", "", "a Wireshark display `filter`, as tshark -Y: print the frames it matches, and only their flags and findings (fields: portlens help filters)")
	fs.StringVar(&display, "display-filter", "", "the same as -Y")
	files, status, ok := fs.parse(args, e)
	if !ok {
		return status
	}
	opts, err := analyzeOptions(*osName, *ephemeral, *timeWait)
	if err == nil {
		err = th.apply(&opts.Rules)
	}
	if err == nil {
		err = nat.apply(&opts.Rules)
	}
	if err == nil {
		err = checkOperands(files, *asJSON, *frames, *all)
	}
	var df *filter.Filter
	if err == nil && strings.TrimSpace(display) != "" {
		if df, err = filter.Compile(display); err != nil {
			err = fmt.Errorf("-Y %q: %v", display, err)
		}
	}
	if err != nil {
		return fs.fail(e, "%v", err)
	}
	if os.Getenv("GOGC") == "" {
		// The heap is mostly live (conversations, frame index, flags):
		// collecting at half the live size over it, not all of it, takes
		// ~50 MB off the peak RSS on a 1M-packet file at no measurable
		// cost; a quarter past bigHeap.
		defer paceCollector()()
	}
	opts.Budget.MaxMemory = maxMemory.n
	if maxMemory.n > 0 && os.Getenv("GOMEMLIMIT") == "" {
		// The budget bounds what the analysis holds with the collector's
		// room; a soft limit just above it makes the collector hold the
		// heap there when garbage comes in bursts (the rules' temporary
		// tables), rather than letting it reach twice what is live.
		defer debug.SetMemoryLimit(debug.SetMemoryLimit(maxMemory.n + memoryLimitSlack))
	}
	status = exitOK
	for _, name := range files {
		res, in := analyzeFile(name, e.stdin, opts)
		if res.Error != "" {
			status = exitDamaged
			hint := ""
			if res.StopReason == analyzer.StopMemory {
				hint = " (--max-memory sets the budget)"
			}
			fmt.Fprintf(e.stderr, "portlens: %s: %s%s\n", displayName(name), res.Error, hint)
		}
		var sel *analyzer.Selection
		if df != nil && in != nil {
			sel = selectFrames(res, df, in.at, e)
		}
		switch {
		case *asJSON:
			_ = res.WriteSelectedJSON(e.stdout, opts, *frames, sel)
		case in != nil: // a file that could not be opened has nothing to show
			printHuman(e.stdout, res, in.at, opts, *all, sel)
		}
		if in != nil {
			in.close()
		}
	}
	return status
}

// selectFrames applies a display filter to a result; a frame that cannot
// be read again is reported on stderr (the others are still selected).
func selectFrames(res *analyzer.Result, f *filter.Filter, src io.ReaderAt, e env) *analyzer.Selection {
	frames, err := res.Select(f, src, nil)
	if err != nil {
		fmt.Fprintf(e.stderr, "portlens: %s: -Y: %v\n", res.File, err)
	}
	return &analyzer.Selection{Filter: f.String(), Frames: frames}
}

// checkOperands refuses what cannot work before any file is read.
func checkOperands(files []string, asJSON, frames, all bool) error {
	if len(files) == 0 {
		return errors.New("no capture file given (- reads standard input)")
	}
	if all && asJSON {
		return errors.New("--all is for the text output: --json already holds every finding and flag")
	}
	if frames && !asJSON {
		return errors.New("--frames adds every frame's stream to the JSON report: use it with --json")
	}
	if i := slices.Index(files, stdinName); i >= 0 && slices.Contains(files[i+1:], stdinName) {
		return errors.New("standard input (-) can be read only once")
	}
	return nil
}

// analyzeFile returns the result and the opened input, which the rows read
// again; the input is nil when the file could not be opened.
func analyzeFile(name string, stdin io.Reader, opts analyzer.Options) (*analyzer.Result, *input) {
	in, err := openInput(name, stdin)
	if err != nil {
		return &analyzer.Result{File: name, Error: err.Error()}, nil
	}
	return analyzer.Analyze(name, in.r, opts), in
}

// displayName is how messages name an operand.
func displayName(name string) string {
	if name == stdinName {
		return "standard input"
	}
	return name
}

func analyzeOptions(osName, ephemeral string, timeWait time.Duration) (analyzer.Options, error) {
	opts := analyzer.DefaultOptions()
	if _, ok := rules.LookupPreset(osName); !ok && osName != "auto" && osName != "custom" {
		return opts, fmt.Errorf("unknown --os %q (want %s, custom or auto)", osName, presetNames())
	}
	opts.Rules.Preset = osName
	if ephemeral != "" {
		r, err := rules.ParseRange(ephemeral)
		if err != nil {
			return opts, err
		}
		opts.Rules.Ephemeral = r
	}
	if timeWait < 0 {
		return opts, fmt.Errorf("--time-wait %v is negative", timeWait)
	}
	opts.Rules.TimeWait = timeWait
	if osName == "custom" && (opts.Rules.Ephemeral.Hi == 0 || timeWait == 0) {
		return opts, fmt.Errorf("--os custom needs --ephemeral and --time-wait")
	}
	return opts, nil
}

// thresholds are the rules' tunable numbers, from the command line.
type thresholds struct {
	fallback       string
	autoMin        int
	autoShare      float64
	exhaustion     float64
	synMin, dnsMin int
}

func (th thresholds) apply(s *rules.Settings) error {
	if _, ok := rules.LookupPreset(th.fallback); !ok {
		return fmt.Errorf("unknown --auto-default %q (want %s)", th.fallback, presetNames())
	}
	switch {
	case th.autoMin < 1:
		return fmt.Errorf("--auto-min %d: want at least 1", th.autoMin)
	case th.autoShare <= 0 || th.autoShare > 1:
		return fmt.Errorf("--auto-share %v: want a share in (0, 1]", th.autoShare)
	case th.exhaustion <= 0 || th.exhaustion > 1:
		return fmt.Errorf("--exhaustion %v: want a share in (0, 1]", th.exhaustion)
	case th.synMin < 2:
		return fmt.Errorf("--syn-min %d: want at least 2 (a SYN and one retransmission)", th.synMin)
	case th.dnsMin < 2:
		return fmt.Errorf("--dns-min %d: want at least 2", th.dnsMin)
	}
	s.Default, s.AutoMinConnections, s.AutoShare = th.fallback, th.autoMin, th.autoShare
	s.ExhaustionShare, s.SYNMin, s.DNSMinQueries = th.exhaustion, th.synMin, th.dnsMin
	return nil
}

// natFlags are --nat, --nat-budget and --nat-time-wait.
type natFlags struct {
	name     string
	budget   int
	timeWait time.Duration
}

func (n natFlags) apply(s *rules.Settings) error {
	s.NAT, s.NATBudget, s.NATTimeWait = n.name, n.budget, n.timeWait
	err := s.CheckNAT()
	switch {
	case err == nil:
		return nil
	case n.name == "" && (n.budget != 0 || n.timeWait != 0):
		return errors.New("--nat-budget and --nat-time-wait adjust a NAT: give --nat NAME (" + natNames() + ") or --nat custom")
	case n.name == "custom":
		return errors.New("--nat custom needs --nat-budget and --nat-time-wait")
	case n.budget < 0 || n.timeWait < 0:
		return fmt.Errorf("--nat-budget %d and --nat-time-wait %v: want positive values", n.budget, n.timeWait)
	}
	return fmt.Errorf("unknown --nat %q (want %s or custom)", n.name, natNames())
}

func natNames() string {
	var names []string
	for _, n := range rules.NATs {
		names = append(names, n.Name)
	}
	return strings.Join(names, ", ")
}

func presetNames() string {
	var names []string
	for _, p := range rules.Presets {
		names = append(names, p.Name)
	}
	return strings.Join(names, ", ")
}

// printHuman prints a file's summary and its findings, ranked (or with
// all, every flagged frame), then the rules they were judged by; src is
// the capture, read again for the rows.
//
// With a display filter (sel) it prints, after the summary, every frame
// the filter matched (as tshark -Y does), and only their flags and the
// findings those flags belong to.
func printHuman(w io.Writer, res *analyzer.Result, src io.ReaderAt, opts analyzer.Options, all bool, sel *analyzer.Selection) {
	info := res.Info()
	format := info.Format
	if info.Compressed {
		format += " (gzip)"
	}
	fmt.Fprintf(w, "%s\n", res.File)
	if format != "" {
		links := res.LinkTypes()
		fmt.Fprintf(w, "  format        %s; %s: %s\n", format, plural(len(links), "link type"), strings.Join(links, ", "))
	}
	fmt.Fprintf(w, "  read          %s over %s\n", count(res.Packets, "packet"), res.Duration().Round(time.Microsecond))
	fmt.Fprintf(w, "  conversations %s\n", count(res.Conversations.Len(), "TCP stream"))
	preset := opts.Rules.Preset
	if res.Verdict != nil {
		if s := res.Verdict.PresetSummary(); s != "" {
			preset += ": " + s
		}
	}
	fmt.Fprintf(w, "  preset        %s\n", preset)
	if n, ok := opts.Rules.NATPreset(); ok {
		fmt.Fprintf(w, "  nat           %s: %s, %d connections per VM and destination, TIME_WAIT %v\n", n.Name, n.Label, n.Budget, n.TimeWait)
	}
	flags := selectedFlags(res, sel)
	counts := map[rules.Kind]int{}
	for _, i := range flags {
		counts[res.Verdict.Flags[i].Kind]++
	}
	kinds := make([]string, 0, len(counts))
	for k, n := range counts {
		kinds = append(kinds, fmt.Sprintf("%s %d", k, n))
	}
	slices.Sort(kinds)
	if len(kinds) == 0 {
		kinds = []string{"none"}
	}
	fmt.Fprintf(w, "  flags         %s\n", strings.Join(kinds, ", "))
	switch {
	case res.Stopped && res.Error != "": // it says what the results cover
		fmt.Fprintf(w, "  error         %s\n", res.Error)
	case res.Error != "" && res.Packets > 0:
		fmt.Fprintf(w, "  error         %s (everything before it is analyzed)\n", res.Error)
	case res.Error != "":
		fmt.Fprintf(w, "  error         %s\n", res.Error)
	}
	if s := res.ReassemblyNote(); s != "" {
		fmt.Fprintf(w, "  reassembly    %s\n", s)
	}
	if sel != nil {
		fmt.Fprintf(w, "  displayed     %s of %d match %s\n", count(len(sel.Frames), "frame"), res.Packets, sel.Filter)
		if len(sel.Frames) > 0 {
			fmt.Fprintln(w)
		}
		for _, n := range sel.Frames {
			printRow(w, res, src, int(n), "  ")
		}
	}
	if all {
		printFlags(w, res, src, flags)
		printRules(w, res, nil)
	} else {
		shown := printFindings(w, res, src, findingsOf(res, flags), len(flags))
		printRules(w, res, shown)
	}
	fmt.Fprintln(w)
}

// selectedFlags lists the indices of the flags on the frames sel matched
// (every flag when sel is nil).
func selectedFlags(res *analyzer.Result, sel *analyzer.Selection) []int {
	out := []int{}
	at := 0
	for i, f := range res.Flags() {
		if sel == nil {
			out = append(out, i)
			continue
		}
		for at < len(sel.Frames) && sel.Frames[at] < f.Frame {
			at++
		}
		if at < len(sel.Frames) && sel.Frames[at] == f.Frame {
			out = append(out, i)
		}
	}
	return out
}

// findingsOf lists, in rank order, the findings the given flags belong to.
func findingsOf(res *analyzer.Result, flags []int) []int {
	if res.Verdict == nil {
		return nil
	}
	used := make([]bool, len(res.Verdict.Findings()))
	for _, i := range flags {
		if g := res.Verdict.FindingOf(i); g >= 0 {
			used[g] = true
		}
	}
	var out []int
	for g, u := range used {
		if u {
			out = append(out, g)
		}
	}
	return out
}

// printFlags prints every flagged frame as tshark would, then its flags
// with their words; the rules are printed once, after (printRules).
func printFlags(w io.Writer, res *analyzer.Result, src io.ReaderAt, flags []int) {
	last := 0
	for _, i := range flags {
		fl := res.Verdict.Explain(i)
		if fl.Frame != last {
			last = fl.Frame
			fmt.Fprintln(w)
			printRow(w, res, src, fl.Frame, "  ")
		}
		fmt.Fprintf(w, "    %s %s", strings.ToUpper(string(fl.Severity)), fl.Kind)
		if fl.Class != "" {
			fmt.Fprintf(w, " (%s)", fl.Class)
		}
		fmt.Fprintf(w, ": %s [finding %d]\n", fl.Message, fl.Finding+1)
		fmt.Fprintf(w, "      %s\n", fl.Explanation)
		if fl.Advice != "" {
			fmt.Fprintf(w, "      What to do: %s\n", fl.Advice)
		}
	}
}

// printRow prints frame n as tshark's one-line summary does, after indent.
func printRow(w io.Writer, res *analyzer.Result, src io.ReaderAt, n int, indent string) {
	row, err := res.Row(src, n)
	if err != nil {
		fmt.Fprintf(w, "%s%6d  (cannot show the frame: %v)\n", indent, n, err)
		return
	}
	rel := time.Duration(row.Time - res.FirstTime).Seconds()
	fmt.Fprintf(w, "%s%6d %12.6f  %s → %s  %s  %d  %s\n", indent, row.Number, rel, row.Source, row.Destination,
		row.Protocol, row.Length, row.Info)
}

// count is "1 packet", "2 packets".
func count(n int, noun string) string {
	return fmt.Sprintf("%d %s", n, plural(n, noun))
}

// plural is the noun for n of them; every noun printed takes an s.
func plural(n int, noun string) string {
	if n == 1 {
		return noun
	}
	return noun + "s"
}
