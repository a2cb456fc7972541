package export

import (
	"bytes"
	"encoding/csv"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/portlens/portlens/analyzer"
	"github.com/portlens/portlens/analyzer/capture"
)

func analyzeFile(t *testing.T, name string) (*analyzer.Result, *os.File) {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "..", "testdata", "captures", name))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	res := analyzer.Analyze(name, f, analyzer.DefaultOptions())
	return res, f
}

func TestFlagsCSV(t *testing.T) {
	res, _ := analyzeFile(t, "seed-rst-storm.pcap")
	var b bytes.Buffer
	if err := FlagsCSV(&b, res); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1+4 {
		t.Fatalf("%d records, want header + 4", len(recs))
	}
	if strings.Join(recs[0], ",") != strings.Join(CSVHeader, ",") {
		t.Errorf("header %v", recs[0])
	}
	for i, want := range []string{"3", "5", "7", "9"} {
		if recs[i+1][0] != want || recs[i+1][1] != "tcp.reused_ports" {
			t.Errorf("row %d = %v, want frame %s tcp.reused_ports", i+1, recs[i+1][:2], want)
		}
	}
}

// The pcapng written back reads as the same packets, with one interface
// per link type.
func TestNgWriterRoundTrip(t *testing.T) {
	for _, name := range []string{"seed-rst-storm.pcap", "pcapng-two-interfaces.pcapng", "link-null-le.pcap"} {
		res, f := analyzeFile(t, name)
		var b bytes.Buffer
		nw := NewNgWriter(&b)
		var want []capture.Packet
		for n := 1; n <= res.Packets; n++ {
			p, err := res.Packet(f, n)
			if err != nil {
				t.Fatal(err)
			}
			p.Data = append([]byte(nil), p.Data...)
			want = append(want, p)
			if err := nw.WritePacket(p); err != nil {
				t.Fatal(err)
			}
		}
		rd, err := capture.NewReader(bytes.NewReader(b.Bytes()))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		links := map[capture.LinkType]bool{}
		for i := 0; ; i++ {
			p, err := rd.Next()
			if err == io.EOF {
				if i != len(want) {
					t.Errorf("%s: read %d packets, want %d", name, i, len(want))
				}
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			w := want[i]
			if p.Time != w.Time || p.Length != w.Length || p.Link != w.Link || !bytes.Equal(p.Data, w.Data) {
				t.Errorf("%s: packet %d differs: time %d/%d len %d/%d link %v/%v", name, i+1, p.Time, w.Time, p.Length, w.Length, p.Link, w.Link)
			}
			links[p.Link] = true
		}
		if got := len(rd.Info().Interfaces); got != len(links) {
			t.Errorf("%s: %d interfaces, want one per link type (%d)", name, got, len(links))
		}
		// A flagged-only export of the analysis still analyzes.
		again := analyzer.Analyze(name, bytes.NewReader(b.Bytes()), analyzer.DefaultOptions())
		if again.Error != "" || again.Packets != res.Packets || len(again.Flags()) != len(res.Flags()) {
			t.Errorf("%s: re-analysis %d packets %d flags %q, want %d %d", name, again.Packets, len(again.Flags()), again.Error, res.Packets, len(res.Flags()))
		}
	}
}
