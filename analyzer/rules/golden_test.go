package rules_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
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
)

// The golden files hold what the rules said before their optimization:
// every flag and every host's preset, byte for byte. Regenerate only on
// purpose, from code whose output is known good:
//
//	go test ./analyzer/rules -run TestGolden -update-golden
var updateGolden = flag.Bool("update-golden", false, "rewrite analyzer/rules/testdata/golden")

// bench1M is the 1M-packet benchmark capture (go run ./testdata/benchgen
// -packets 1000000 -out /tmp/bench-1m.pcap); its output is compared by
// SHA-256 only.
var bench1M = flag.String("bench1m", "/tmp/bench-1m.pcap", "the 1M-packet benchmark capture, skipped when absent")

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

// judgeJSON serializes Judge's flags and ResolveHosts' presets (sorted by
// address), one JSON document a line. It also checks the Pacer keeps
// being ticked.
func judgeJSON(t testing.TB, in *rules.Input, s rules.Settings) []byte {
	t.Helper()
	pauses := 0
	in.Pacer = &rules.Pacer{Pause: func() { pauses++ }}
	flags := rules.Judge(in, s)
	hosts := rules.ResolveHosts(in, s)
	in.Pacer = nil
	if len(in.Conversations) > 100_000 && pauses < len(in.Conversations)/1024 {
		t.Errorf("Pacer paused %d times over %d conversations", pauses, len(in.Conversations))
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	for _, f := range flags {
		if err := enc.Encode(f); err != nil {
			t.Fatal(err)
		}
	}
	addrs := make([]netip.Addr, 0, len(hosts))
	for a := range hosts {
		addrs = append(addrs, a)
	}
	slices.SortFunc(addrs, netip.Addr.Compare)
	for _, a := range addrs {
		if err := enc.Encode(hosts[a]); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
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
		t.Skip("no captures")
	}
	return files
}

func TestGolden(t *testing.T) {
	for _, path := range goldenCaptures(t) {
		var in *rules.Input
		load := sync.OnceFunc(func() { in = loadInput(t, path) })
		for _, osName := range []string{"linux", "auto"} {
			name := filepath.Base(filepath.Dir(path)) + "-" + strings.TrimSuffix(filepath.Base(path), ".gz") + "." + osName + ".jsonl"
			t.Run(name, func(t *testing.T) {
				load()
				got := judgeJSON(t, in, goldenSettings[osName])
				if len(got) > maxGolden {
					checkSum(t, filepath.Join(goldenDir, name+".sha256"), got)
					return
				}
				file := filepath.Join(goldenDir, name)
				if *updateGolden {
					if err := os.WriteFile(file, got, 0o644); err != nil {
						t.Fatal(err)
					}
					return
				}
				want, err := os.ReadFile(file)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, want) {
					gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
					for i := range min(len(gl), len(wl)) {
						if gl[i] != wl[i] {
							t.Fatalf("line %d differs:\n got %s\nwant %s", i+1, gl[i], wl[i])
						}
					}
					t.Fatalf("%d lines, want %d", len(gl), len(wl))
				}
			})
		}
	}
}

// TestGolden1M compares the SHA-256 of the 1M capture's flags and hosts
// with the one recorded from the original code.
func TestGolden1M(t *testing.T) {
	if testing.Short() {
		t.Skip("large capture")
	}
	if _, err := os.Stat(*bench1M); err != nil {
		t.Skipf("no 1M capture: %v", err)
	}
	in := loadInput(t, *bench1M)
	for _, osName := range []string{"linux", "auto"} {
		got := judgeJSON(t, in, goldenSettings[osName])
		checkSum(t, filepath.Join(goldenDir, "bench-1m."+osName+".sha256"), got)
	}
}

// maxGolden is the largest output kept whole; larger ones keep a SHA-256.
const maxGolden = 64 << 10

// checkSum compares the SHA-256 of got with the one in file.
func checkSum(t *testing.T, file string, got []byte) {
	t.Helper()
	sum := sha256.Sum256(got)
	line := hex.EncodeToString(sum[:]) + " " + strconv.Itoa(len(got)) + " bytes\n"
	if *updateGolden {
		if err := os.WriteFile(file, []byte(line), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if line != string(want) {
		t.Errorf("%s: got %s want %s", filepath.Base(file), line, want)
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

// TestGoldenCorpus compares the SHA-256 of the flags and hosts of every
// capture of the public corpus with the one recorded from the original
// code.
func TestGoldenCorpus(t *testing.T) {
	dir := needCorpus(t)
	truth, err := os.ReadFile(filepath.Join(dir, "truth.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	var inputs []*rules.Input
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
	}
	for _, osName := range []string{"linux", "auto"} {
		var all []byte
		for _, in := range inputs {
			all = append(all, judgeJSON(t, in, goldenSettings[osName])...)
		}
		checkSum(t, filepath.Join(goldenDir, "corpus."+osName+".sha256"), all)
	}
}
