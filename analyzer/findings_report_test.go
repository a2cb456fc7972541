package analyzer

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestReportFindings: in the JSON report every flag names its finding, the
// findings' counts add up to the flags that name them, and host_presets
// lists the hosts that opened connections with their evidence.
func TestReportFindings(t *testing.T) {
	var files []string
	for _, dir := range []string{"captures", "rules"} {
		m, _ := filepath.Glob(filepath.Join("..", "testdata", dir, "*.pcap*"))
		files = append(files, m...)
	}
	if len(files) < 40 {
		t.Fatalf("%d test captures", len(files))
	}
	for _, f := range files {
		for _, osName := range []string{"linux", "auto"} {
			opts := DefaultOptions()
			opts.Rules.Preset = osName
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			res := Analyze(filepath.Base(f), bytes.NewReader(data), opts)
			var out bytes.Buffer
			if err := res.WriteJSON(&out, opts, false); err != nil {
				t.Fatal(err)
			}
			var rep Report
			if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			name := filepath.Base(f) + " " + osName
			counts := make([]int, len(rep.Findings))
			for _, fl := range rep.Flags {
				if fl.Finding < 0 || fl.Finding >= len(rep.Findings) {
					t.Fatalf("%s: flag on frame %d names finding %d of %d", name, fl.Frame, fl.Finding, len(rep.Findings))
				}
				counts[fl.Finding]++
				if k := rep.Findings[fl.Finding].Kind; k != fl.Kind {
					t.Errorf("%s: a %s flag in a %s finding", name, fl.Kind, k)
				}
			}
			for n, fd := range rep.Findings {
				if counts[n] != fd.Count || fd.Count == 0 {
					t.Errorf("%s: finding %d counts %d flags, %d name it", name, n, fd.Count, counts[n])
				}
			}
			var want []HostPresetReport
			for _, h := range res.Verdict.HostPresetList() {
				if h.Connections == 0 {
					t.Errorf("%s: %s opened no connection", name, h.Host)
				}
				want = append(want, HostPresetReport{Host: h.Host.String(), Preset: h.Preset.Name, Inferred: h.Inferred,
					Ephemeral: h.Preset.Ephemeral.String(), Connections: h.Connections,
					Share: math.Round(1000*float64(h.InRange)/float64(h.Connections)) / 1000})
			}
			if !slices.Equal(rep.HostPresets, want) && len(want)+len(rep.HostPresets) > 0 {
				t.Errorf("%s: host_presets %+v, want %+v", name, rep.HostPresets, want)
			}
		}
	}
}

// The mixed capture's three client hosts, as built (testdata/gen/findings.go):
// 120 of the app server's 125 ports in Linux's range, the desktop's 20 in
// Windows', the checker's 3300 in Windows XP's.
func TestReportHostPresets(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "testdata", "rules", "findings-mixed.pcap.gz"))
	if err != nil {
		t.Fatal(err)
	}
	opts := DefaultOptions()
	opts.Rules.Preset = "auto"
	res := Analyze("mixed", bytes.NewReader(data), opts)
	var out bytes.Buffer
	if err := res.WriteJSON(&out, opts, false); err != nil {
		t.Fatal(err)
	}
	var rep Report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	want := []HostPresetReport{
		{Host: "192.168.1.23", Preset: "linux", Inferred: true, Ephemeral: "32768-60999", Connections: 125, Share: 0.96},
		{Host: "192.168.1.57", Preset: "windows", Inferred: true, Ephemeral: "49152-65535", Connections: 20, Share: 1},
		{Host: "192.168.1.99", Preset: "windows-xp", Inferred: true, Ephemeral: "1025-5000", Connections: 3300, Share: 1},
	}
	if !slices.Equal(rep.HostPresets, want) {
		t.Errorf("host_presets %+v\nwant %+v", rep.HostPresets, want)
	}
	if len(rep.Findings) != 3 || rep.Findings[0].Kind.String() != "port.exhaustion" {
		t.Errorf("findings %+v", rep.Findings)
	}
}
