package filter_test

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/portlens/portlens/analyzer/capture"
	"github.com/portlens/portlens/analyzer/filter"
)

// corpusFilters are asked of tshark live on a corpus of real captures.
var corpusFilters = []string{
	"tcp", "udp", "icmp || icmpv6", "ipv6", "eth",
	"ip.addr == 10.0.0.0/8", "ip.addr != 10.0.0.0/8", "ip.src == ip.dst",
	"tcp.port in {80, 443, 8000..8080}", "tcp.port != 80", "udp.port == 53",
	"tcp.flags.syn == 1 && tcp.flags.ack == 0", "tcp.flags.reset", "!(tcp.flags.reset == 1) && tcp",
	"tcp.len > 0", "tcp.seq_raw", "tcp.ack_raw > 1000000",
	"eth.dst == ff:ff:ff:ff:ff:ff", "frame.time_relative > 1", `frame contains "HTTP/1."`,
}

// TestCorpus compares portlens with tshark, run live, on captures found
// under $PORTLENS_FILTER_CORPUS (at most $PORTLENS_FILTER_CORPUS_MAX of
// them, spread over the sorted list; 40 by default). It is skipped
// without the variable; it needs tshark. Captures of link types the test
// decoder does not know are left out.
func TestCorpus(t *testing.T) {
	dir := os.Getenv("PORTLENS_FILTER_CORPUS")
	if dir == "" {
		t.Skip("set PORTLENS_FILTER_CORPUS to a directory of captures to compare with tshark")
	}
	limit := 40
	if n, err := strconv.Atoi(os.Getenv("PORTLENS_FILTER_CORPUS_MAX")); err == nil {
		limit = n
	}
	var paths []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && (strings.Contains(d.Name(), ".pcap") || strings.HasSuffix(d.Name(), ".cap")) {
			paths = append(paths, p)
		}
		return nil
	})
	slices.Sort(paths)
	step := max(1, len(paths)/limit)
	compared := 0
	for i := 0; i < len(paths) && compared < limit; i += step {
		if !decodable(paths[i]) {
			continue
		}
		compared++
		compareWithTshark(t, paths[i])
	}
	t.Logf("compared %d captures x %d filters", compared, len(corpusFilters))
}

// decodable reports whether the test decoder follows every frame of a
// capture as far as Wireshark does.
func decodable(path string) bool {
	fh, err := os.Open(path)
	if err != nil {
		return false
	}
	defer fh.Close()
	r, err := capture.NewReader(fh)
	if err != nil {
		return false
	}
	for {
		p, err := r.Next()
		if err != nil {
			return errors.Is(err, io.EOF)
		}
		if gopacketStops(p.Link, p.Data) {
			return false
		}
	}
}

func compareWithTshark(t *testing.T, path string) {
	frames := decodeCapture(t, path)
	for _, text := range corpusFilters {
		out, err := exec.Command("tshark", "-r", path, "-Y", text, "-T", "fields", "-e", "frame.number").Output()
		if err != nil {
			t.Logf("%s: tshark: %v", path, err)
			return
		}
		want, _ := parseNumbers(bytes.TrimSpace(out))
		f, err := filter.Compile(text)
		if err != nil {
			t.Fatal(err)
		}
		var got []int64
		for _, fr := range frames {
			if f.Match(fr) {
				got = append(got, fr.Number)
			}
		}
		if !slices.Equal(got, want) && len(got)+len(want) > 0 {
			t.Errorf("%s, %q: portlens %d frames, tshark %d; first difference at %v", path, text, len(got), len(want), firstDiff(got, want))
		}
	}
}

func firstDiff(a, b []int64) string {
	for i := range max(len(a), len(b)) {
		switch {
		case i >= len(a):
			return "tshark's " + strconv.FormatInt(b[i], 10)
		case i >= len(b):
			return "portlens's " + strconv.FormatInt(a[i], 10)
		case a[i] != b[i]:
			return "frames " + strconv.FormatInt(a[i], 10) + " (portlens) and " + strconv.FormatInt(b[i], 10) + " (tshark)"
		}
	}
	return "none"
}
