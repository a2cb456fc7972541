package analyzer_test

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/portlens/portlens/analyzer"
	"github.com/portlens/portlens/analyzer/rules"
)

var corpusDir = flag.String("corpus", "", "directory of captures with Wireshark's answers in truth.jsonl (make conformance)")

// truth is one line of a Wireshark oracle file (../shared/tools/README.md).
type truth struct {
	File    string `json:"file"`
	Packets int    `json:"packets"`
	Reused  []int  `json:"reused"`
	Stream  []int  `json:"stream"`
	Error   string `json:"error"`
}

func readTruth(t *testing.T, path string) []truth {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("no Wireshark answers to compare with: %v (the oracle writes them: ../shared/tools/README.md)", err)
	}
	defer f.Close()
	var out []truth
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		var tr truth
		if err := json.Unmarshal(sc.Bytes(), &tr); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, tr)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 {
		t.Fatalf("%s lists no captures: with no answers from Wireshark nothing would be compared", path)
	}
	return out
}

// checkListed fails when captures on disk have no answer in the truth
// file (a truncated or stale truth.jsonl would otherwise pass, comparing
// fewer files), or a capture is listed twice.
func checkListed(t *testing.T, dir, truthFile string, truths []truth) {
	t.Helper()
	listed := make(map[string]bool, len(truths))
	for _, tr := range truths {
		if listed[tr.File] {
			t.Errorf("%s lists %s twice", truthFile, tr.File)
		}
		listed[tr.File] = true
	}
	var missing []string
	onDisk := capturesOnDisk(t, dir)
	for _, name := range onDisk {
		if !listed[name] {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		t.Errorf("%d of the %d captures in %s have no answer in %s (%s lists %d): %s",
			len(missing), len(onDisk), dir, truthFile, truthFile, len(truths), sample(missing, 5))
	}
}

// capturesOnDisk lists the files under dir a truth file answers for, as
// paths relative to dir: every file but the truth files and notes.
func capturesOnDisk(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(path string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		switch filepath.Ext(path) {
		case ".jsonl", ".json", ".md":
			return nil
		}
		rel, err := filepath.Rel(dir, path)
		out = append(out, filepath.ToSlash(rel))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// sample joins the first n names, saying how many more there are.
func sample(names []string, n int) string {
	if len(names) <= n {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:n], ", "), len(names)-n)
}

// disagreement compares portlens with Wireshark on one capture and
// describes the first differences; "" when they agree.
func disagreement(res *analyzer.Result, tr truth) (diff string, framesAgree int) {
	if tr.Error != "" {
		if res.Error == "" {
			return fmt.Sprintf("Wireshark cannot open it (%s) but portlens read %d packets without error", tr.Error, res.Packets), 0
		}
		if tr.Packets == 0 {
			return refusedDisagreement(res, tr), 0
		}
		// Wireshark read packets before it gave up: those must agree.
	}
	var b strings.Builder
	if res.Packets != tr.Packets {
		fmt.Fprintf(&b, "packets: portlens %d, Wireshark %d (error %q); ", res.Packets, tr.Packets, res.Error)
	}
	var reused []int
	for _, f := range res.Flags() {
		if f.Kind == rules.ReusedPorts {
			reused = append(reused, int(f.Frame))
		}
	}
	if !slices.Equal(reused, tr.Reused) && (len(reused) > 0 || len(tr.Reused) > 0) {
		fmt.Fprintf(&b, "reused: portlens %v, Wireshark %v; ", reused, tr.Reused)
	}
	bad := 0
	for i, want := range tr.Stream {
		got := -2
		if i < res.Frames.Len() {
			got = res.Frames.Stream(i + 1)
		}
		if got == want {
			framesAgree++
			continue
		}
		if bad < 3 {
			fmt.Fprintf(&b, "frame %d stream: portlens %d, Wireshark %d; ", i+1, got, want)
		}
		bad++
	}
	if bad > 3 {
		fmt.Fprintf(&b, "(%d frames differ in stream)", bad)
	}
	return b.String(), framesAgree
}

// tsharkReads is how many packets tshark 4.0.17 reads of each corpus file
// Wireshark 4.4 refuses with no packets at all (wiregasm loads a file
// whole, so any error leaves it nothing; Wireshark's reader keeps the
// packets before the damage, which tshark shows):
//
//	tshark -r FILE -T fields -e frame.number | wc -l
//
// The two test901 files hold one packet, then a second section header of
// pcapng version 2.0; the others have a link type Wireshark does not know,
// in the file header.
var tsharkReads = map[string]int{
	"gopacket+gopacket/pcapgo__tests__be__test901.pcapng":                         1,
	"gopacket+gopacket/pcapgo__tests__le__test901.pcapng":                         1,
	"the-tcpdump-group+tcpdump/tests__brcm-tag-prepend.pcap":                      0,
	"the-tcpdump-group+tcpdump/tests__brcm-tag.pcap":                              0,
	"the-tcpdump-group+tcpdump/tests__dsa-high-vid.pcap":                          0,
	"the-tcpdump-group+tcpdump/tests__dsa.pcap":                                   0,
	"the-tcpdump-group+tcpdump/tests__edsa-high-vid.pcap":                         0,
	"the-tcpdump-group+tcpdump/tests__edsa.pcap":                                  0,
	"the-tcpdump-group+tcpdump/tests__frf16_magic_ie-oobr.pcap":                   0,
	"the-tcpdump-group+tcpdump/tests__hoobr_juniper3.pcap":                        0,
	"the-tcpdump-group+tcpdump/tests__juniper_es_oobr.pcap":                       0,
	"the-tcpdump-group+tcpdump/tests__juniper_monitor_invalid_cookie_length.pcap": 0,
	"the-tcpdump-group+tcpdump/tests__kday6.pcap":                                 0,
	"the-tcpdump-group+tcpdump/tests__vtp_asan-2.pcap":                            0,
	"the-tcpdump-group+tcpdump/tests__vtp_asan-3.pcap":                            0,
	"the-tcpdump-group+tcpdump/tests__vtp_asan.pcap":                              0,
}

// refusedDisagreement checks a file Wireshark refuses with no packets:
// portlens must keep the packets tshark reads before the damage, and say
// at which frame and byte it stopped.
func refusedDisagreement(res *analyzer.Result, tr truth) string {
	var b strings.Builder
	want, ok := tsharkReads[tr.File]
	switch {
	case !ok:
		fmt.Fprintf(&b, "Wireshark refuses it with no packets (%s) and tsharkReads has no count of the packets before the error: add tshark's; ", tr.Error)
	case res.Packets != want:
		fmt.Fprintf(&b, "packets before the error: portlens %d, tshark 4.0.17 %d (portlens's error %q); ", res.Packets, want, res.Error)
	}
	if res.ErrorOffset <= 0 || !strings.Contains(res.Error, fmt.Sprintf("byte %d:", res.ErrorOffset)) {
		fmt.Fprintf(&b, "error %q does not name the byte where reading stopped (%d); ", res.Error, res.ErrorOffset)
	}
	if res.ErrorFrame != 0 && res.ErrorFrame != res.Packets+1 {
		fmt.Fprintf(&b, "error at frame %d after %d packets; ", res.ErrorFrame, res.Packets)
	}
	return b.String()
}

// conformance runs every capture listed in dir/truth.jsonl and compares.
func conformance(t *testing.T, dir, truthFile string) {
	truths := readTruth(t, filepath.Join(dir, truthFile))
	checkListed(t, dir, truthFile, truths)
	var files, agree, opened, refused, frames, framesAgree, flags, flagsAgree int
	kinds, kindsAuto := map[rules.Kind]int{}, map[rules.Kind]int{}
	for _, tr := range truths {
		files++
		f, err := os.Open(filepath.Join(dir, tr.File))
		if err != nil {
			t.Errorf("%s: %v", tr.File, err)
			continue
		}
		res := analyzer.Analyze(tr.File, f, analyzer.DefaultOptions())
		f.Close()
		for k, n := range res.FlagCounts() {
			kinds[k] += n
		}
		auto := analyzer.DefaultOptions()
		auto.Rules.Preset = "auto"
		for _, f := range rules.Judge(res.RulesInput(), auto.Rules).Flags {
			kindsAuto[f.Kind]++
		}
		diff, fa := disagreement(res, tr)
		frames += len(tr.Stream)
		framesAgree += fa
		flags += len(tr.Reused)
		if tr.Error != "" {
			refused++
		} else {
			opened++
		}
		if diff != "" {
			t.Errorf("%s: %s", tr.File, diff)
			continue
		}
		agree++
		flagsAgree += len(tr.Reused)
	}
	summary := fmt.Sprintf("conformance %s: %d/%d files agree (%d Wireshark opens, %d it refuses); frames with the same tcp.stream %d/%d; reused-port flags %d/%d",
		dir, agree, files, opened, refused, framesAgree, frames, flagsAgree, flags)
	var byKind []string
	for _, k := range rules.Kinds {
		byKind = append(byKind, fmt.Sprintf("%s %d/%d", k, kinds[k], kindsAuto[k]))
	}
	summary += "; flags by kind (--os linux/auto): " + strings.Join(byKind, ", ")
	t.Log(summary)
	fmt.Println(summary)
}

func TestConformanceCorpus(t *testing.T) {
	if *corpusDir == "" {
		t.Skip("no -corpus given (make conformance passes ../shared/corpus/public)")
	}
	conformance(t, *corpusDir, "truth.jsonl")
}

// The project's own captures (testdata/), with Wireshark's answers stored
// beside them by the oracle.
func TestConformanceTestdata(t *testing.T) {
	for _, dir := range []string{"../testdata/captures", "../testdata/rules"} {
		t.Run(filepath.Base(dir), func(t *testing.T) { conformance(t, dir, "expected.jsonl") })
	}
}
