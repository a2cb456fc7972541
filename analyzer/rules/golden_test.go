package rules_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/portlens/portlens/analyzer"
	"github.com/portlens/portlens/analyzer/rules"
	"github.com/portlens/portlens/testdata/benchgen/benchcap"
)

// The golden files hold what the rules say: every flag's words and every
// host's preset, byte for byte, so that a change of code that should not
// change a word proves it did not. Small judgements are kept whole
// (NAME.jsonl, one JSON document a line); large ones as records goldens
// (NAME.golden.gz, goldenfile_test.go). Regenerate only on purpose, from
// code whose output is known good:
//
//	go test ./analyzer/rules -run TestGolden -update-golden
var updateGolden = flag.Bool("update-golden", false, "rewrite analyzer/rules/testdata/golden")

// bench1M is the 1M-packet benchmark capture as a file, for the
// benchmarks (go run ./testdata/benchgen -packets 1000000 -out
// /tmp/bench-1m.pcap); TestGolden1M makes its own.
var bench1M = flag.String("bench1m", "/tmp/bench-1m.pcap", "the 1M-packet benchmark capture, for the benchmarks")

const goldenDir = "testdata/golden"

// goldenSettings are the settings every capture is judged under.
var goldenSettings = map[string]rules.Settings{
	"linux": {Preset: "linux"},
	"auto":  {Preset: "auto"},
}

// loadInput reads a capture and returns what the trackers recorded.
func loadInput(t testing.TB, path string) *rules.Input {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res := analyzer.Analyze(filepath.Base(path), f, analyzer.DefaultOptions())
	if res.Error != "" && res.Packets == 0 {
		t.Fatalf("%s: %s", path, res.Error)
	}
	return res.RulesInput()
}

// goldenFlag is every word and number of a flag, in the order the goldens
// hold them. When flags come to render their words on demand, only
// goldenFlagOf changes, and the goldens prove the words did not.
type goldenFlag struct {
	Frame       int            `json:"frame"`
	Kind        rules.Kind     `json:"kind"`
	Class       string         `json:"class,omitempty"`
	Severity    rules.Severity `json:"severity"`
	Stream      int            `json:"stream"`
	Message     string         `json:"message"`
	Explanation string         `json:"explanation"`
	Advice      string         `json:"advice,omitempty"`
	Related     []int          `json:"related"`
	Rule        string         `json:"rule"`
}

func goldenFlagOf(f rules.Explained) goldenFlag {
	return goldenFlag{Frame: f.Frame, Kind: f.Kind, Class: f.Class, Severity: f.Severity, Stream: f.Stream,
		Message: f.Message, Explanation: f.Explanation, Advice: f.Advice, Related: f.Related, Rule: f.Rule}
}

// record is one flag or one host's preset: a key that names it and its
// text, one JSON document.
type record struct {
	key  string // "FRAME KIND CLASS" or "host ADDRESS", after a prefix
	text []byte
}

// judgement runs Judge and ResolveHosts under s and returns their records:
// the flags in Judge's order, then the hosts by address. Keys start with
// prefix and are made unique with "#2", "#3"... It also checks that the
// Pacer keeps being ticked.
func judgement(t testing.TB, in *rules.Input, s rules.Settings, prefix string) []record {
	t.Helper()
	pauses := 0
	in.Pacer = &rules.Pacer{Pause: func() { pauses++ }}
	verdict := rules.Judge(in, s)
	hosts := rules.ResolveHosts(in, s)
	in.Pacer = nil
	if n := in.Conversations.Len(); n > 100_000 && pauses < n/1024 {
		t.Errorf("Pacer paused %d times over %d conversations", pauses, n)
	}
	var recs []record
	seen := map[string]int{}
	add := func(key string, v any) {
		text, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		key = prefix + key
		if seen[key]++; seen[key] > 1 {
			key += " #" + strconv.Itoa(seen[key])
		}
		recs = append(recs, record{key: key, text: text})
	}
	for i := range verdict.Flags {
		f := verdict.Explain(i)
		class := f.Class
		if class == "" {
			class = "-"
		}
		add(fmt.Sprintf("%d %s %s", f.Frame, f.Kind, class), goldenFlagOf(f))
	}
	addrs := make([]netip.Addr, 0, len(hosts))
	for a := range hosts {
		addrs = append(addrs, a)
	}
	slices.SortFunc(addrs, netip.Addr.Compare)
	for _, a := range addrs {
		add("host "+a.String(), hosts[a])
	}
	return recs
}

// joined is the records' texts, one a line.
func joined(recs []record) []byte {
	var b bytes.Buffer
	for _, r := range recs {
		b.Write(r.text)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// maxGolden is the largest judgement kept whole; larger ones are kept as
// records goldens.
const maxGolden = 64 << 10

// checkGolden compares recs with the golden named name (no extension).
func checkGolden(t *testing.T, name string, recs []record) {
	t.Helper()
	got := joined(recs)
	if len(got) > maxGolden {
		checkRecords(t, filepath.Join(goldenDir, name+".golden.gz"), recs)
		return
	}
	file := filepath.Join(goldenDir, name+".jsonl")
	if *updateGolden {
		if err := os.WriteFile(file, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (write it from known-good code with -update-golden)", err)
	}
	if !bytes.Equal(got, want) {
		gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
		for i := range min(len(gl), len(wl)) {
			if gl[i] != wl[i] {
				t.Fatalf("%s: record %d changed:\n%s", file, i+1,
					describeChange(goldenRecord{key: recs[i].key, text: wl[i]}, recs[i]))
			}
		}
		t.Fatalf("%s: %d records, golden %d", file, len(gl)-1, len(wl)-1)
	}
}

func goldenCaptures(t *testing.T) []string {
	var files []string
	for _, dir := range []string{"../../testdata/captures", "../../testdata/rules"} {
		m, err := filepath.Glob(filepath.Join(dir, "*.pcap*"))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) == 0 {
		t.Fatal("no captures in ../../testdata")
	}
	return files
}

func TestGolden(t *testing.T) {
	for _, path := range goldenCaptures(t) {
		var in *rules.Input
		load := sync.OnceFunc(func() { in = loadInput(t, path) })
		for _, osName := range []string{"linux", "auto"} {
			name := filepath.Base(filepath.Dir(path)) + "-" + strings.TrimSuffix(filepath.Base(path), ".gz") + "." + osName
			t.Run(name, func(t *testing.T) {
				load()
				checkGolden(t, name, judgement(t, in, goldenSettings[osName], ""))
			})
		}
	}
}

// packets1M is the size of the benchmark capture TestGolden1M judges.
const packets1M = 1_000_000

// TestGolden1M judges the 1M-packet benchmark capture, made in memory
// (testdata/benchgen/benchcap: the same bytes as the file benchgen writes).
func TestGolden1M(t *testing.T) {
	if testing.Short() {
		t.Skip("-short leaves out the 1M-packet capture")
	}
	res := analyzer.Analyze("bench-1m.pcap", bytes.NewReader(benchcap.Bytes(packets1M)), analyzer.DefaultOptions())
	if res.Error != "" || res.Packets != packets1M {
		t.Fatalf("benchmark capture: %d packets, error %q", res.Packets, res.Error)
	}
	in := res.RulesInput()
	for _, osName := range []string{"linux", "auto"} {
		checkGolden(t, "bench-1m."+osName, judgement(t, in, goldenSettings[osName], ""))
	}
}

// corpusDir is the public corpus, truth.jsonl and the captures it lists:
// ../shared/corpus/public beside the repository, where CI has it.
var corpusDir = flag.String("corpus", corpusDefault("../../../shared/corpus/public"),
	"the public corpus (truth.jsonl and the captures it lists); or set PORTLENS_CORPUS")

// corpusDefault is $PORTLENS_CORPUS when set (an absolute path: tests run
// in their package's directory), else rel.
func corpusDefault(rel string) string {
	if dir := os.Getenv("PORTLENS_CORPUS"); dir != "" {
		return dir
	}
	return rel
}

// needCorpus returns the corpus directory, failing the test when it is
// missing: a corpus test that skipped without it would pass having
// checked nothing. -short leaves the corpus out on purpose.
func needCorpus(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("-short leaves the public corpus out")
	}
	if _, err := os.Stat(filepath.Join(*corpusDir, "truth.jsonl")); err != nil {
		t.Fatalf("no public corpus: %v\nCI has it at ../shared/corpus/public beside the repository; "+
			"point at it with -corpus=DIR or PORTLENS_CORPUS=/absolute/DIR (or run with -short to leave it out)", err)
	}
	return *corpusDir
}

// TestGoldenCorpus judges every capture of the public corpus; each
// record's key starts with its capture's name.
func TestGoldenCorpus(t *testing.T) {
	dir := needCorpus(t)
	truth, err := os.ReadFile(filepath.Join(dir, "truth.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	var inputs []*rules.Input
	var names []string
	dec := json.NewDecoder(bytes.NewReader(truth))
	for dec.More() {
		var tr struct{ File string }
		if err := dec.Decode(&tr); err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(filepath.Join(dir, tr.File))
		if err != nil {
			t.Fatal(err)
		}
		res := analyzer.Analyze(tr.File, f, analyzer.DefaultOptions())
		f.Close()
		inputs = append(inputs, res.RulesInput())
		names = append(names, tr.File)
	}
	for _, osName := range []string{"linux", "auto"} {
		var all []record
		for i, in := range inputs {
			all = append(all, judgement(t, in, goldenSettings[osName], names[i]+" ")...)
		}
		checkRecords(t, filepath.Join(goldenDir, "corpus."+osName+".golden.gz"), all)
	}
}
