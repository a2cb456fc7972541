package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/portlens/portlens/analyzer"
	"github.com/portlens/portlens/analyzer/rules"
)

const seeds = "../../testdata/captures/"

func runCLI(t *testing.T, args ...string) (stdout, stderr string, status int) {
	t.Helper()
	return runCLIWith(t, strings.NewReader(""), args...)
}

// runCLIWith runs the command with stdin as its standard input.
func runCLIWith(t *testing.T, stdin io.Reader, args ...string) (stdout, stderr string, status int) {
	t.Helper()
	var out, errb bytes.Buffer
	status = run(args, env{stdin, &out, &errb})
	return out.String(), errb.String(), status
}

func TestAnalyzeJSON(t *testing.T) {
	out, errOut, status := runCLI(t, "analyze", "--json", "--frames", seeds+"seed-rst-storm.pcap")
	if status != exitOK {
		t.Fatalf("status %d, stderr %s", status, errOut)
	}
	var rep analyzer.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if rep.Format != "pcap" || rep.Packets == 0 || rep.Error != "" {
		t.Fatalf("format %q, packets %d, error %q", rep.Format, rep.Packets, rep.Error)
	}
	var reused []int
	for _, f := range rep.Flags {
		if f.Kind == rules.ReusedPorts {
			reused = append(reused, f.Frame)
			if f.Explanation == "" || len(f.Related) == 0 || f.Class != "after-rst" {
				t.Errorf("flag on frame %d: class %q, related %v, explanation %q", f.Frame, f.Class, f.Related, f.Explanation)
			}
		}
	}
	// Wireshark 4.4 flags frames 3, 5, 7 and 9 (testdata/captures/expected.jsonl).
	if want := []int{3, 5, 7, 9}; !equalInts(reused, want) {
		t.Errorf("reused frames %v, want %v", reused, want)
	}
	if len(rep.Frames) != rep.Packets || rep.Frames[2].Stream != 1 || rep.Frames[0].Stream != 0 {
		t.Errorf("frames %v", rep.Frames)
	}
}

func TestAnalyzeHumanExplains(t *testing.T) {
	out, _, status := runCLI(t, "analyze", "--all", seeds+"seed-fin-then-syn-2h.pcap")
	if status != exitOK {
		t.Fatalf("status %d", status)
	}
	for _, want := range []string{"[TCP Port numbers reused]", "[SYN]", "stream 0", "frame 1", "after-time-wait",
		"A new tcp session is started with the same ports as an earlier session in this trace"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestAnalyzeDamagedFileExitsTwo(t *testing.T) {
	data, err := os.ReadFile(seeds + "seed-rst-storm.pcap")
	if err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(t.TempDir(), "cut.pcap")
	if err := os.WriteFile(cut, data[:len(data)-10], 0o644); err != nil {
		t.Fatal(err)
	}
	out, _, status := runCLI(t, "analyze", "--json", cut)
	if status != exitDamaged {
		t.Fatalf("status %d, want %d", status, exitDamaged)
	}
	var rep analyzer.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Error == "" || rep.Packets == 0 || len(rep.Flags) == 0 {
		t.Errorf("error %q, packets %d, flags %d: the frames before the damage must be analyzed", rep.Error, rep.Packets, len(rep.Flags))
	}

	notCapture := filepath.Join(t.TempDir(), "notes.txt")
	os.WriteFile(notCapture, []byte("hello, this is text"), 0o644)
	if _, _, status := runCLI(t, "analyze", notCapture); status != exitDamaged {
		t.Errorf("a text file: status %d, want %d", status, exitDamaged)
	}
	if _, _, status := runCLI(t, "analyze", filepath.Join(t.TempDir(), "missing.pcap")); status != exitDamaged {
		t.Errorf("a missing file: status %d, want %d", status, exitDamaged)
	}
}

func TestAnalyzeUsage(t *testing.T) {
	if _, _, status := runCLI(t, "analyze"); status != exitUsage {
		t.Errorf("no file: status %d", status)
	}
	if _, errOut, status := runCLI(t, "analyze", "--os", "plan9", "x.pcap"); status != exitUsage || !strings.Contains(errOut, "plan9") {
		t.Errorf("bad preset: status %d, %q", status, errOut)
	}
	if _, _, status := runCLI(t, "frobnicate"); status != exitUsage {
		t.Errorf("unknown command: status %d", status)
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestAnalyzeErrorsOnStderr: each file that cannot be read whole gets one
// line on stderr naming it; the report (text or JSON) still carries the
// error, and the files after it are still analyzed.
func TestAnalyzeErrorsOnStderr(t *testing.T) {
	dir := t.TempDir()
	data := readFile(t, seeds+"seed-rst-storm.pcap")
	cut := filepath.Join(dir, "cut.pcap")
	writeFile(t, cut, data[:len(data)-10])
	missing := filepath.Join(dir, "missing.pcap")
	good := seeds + "seed-fin-then-syn-2h.pcap"
	for _, tc := range []struct {
		file    string
		stderr  string
		text    []string // in the text report; none when there is no report
		jsonErr string
	}{
		{cut, "portlens: " + cut + ": frame 10 at byte 778: truncated packet record (50 of 60 bytes)\n",
			[]string{cut + "\n", "read          9 packets over 2s", "error         frame 10 at byte 778: truncated packet record (50 of 60 bytes) (everything before it is analyzed)"},
			"frame 10 at byte 778: truncated packet record (50 of 60 bytes)"},
		{dir, "portlens: " + dir + ": is a directory\n", nil, "is a directory"},
		{missing, "portlens: " + missing + ": no such file or directory\n", nil, "no such file or directory"},
	} {
		out, errOut, status := runCLI(t, "analyze", tc.file, good)
		if status != exitDamaged || errOut != tc.stderr {
			t.Errorf("%s: status %d, stderr %q; want 2, %q", tc.file, status, errOut, tc.stderr)
		}
		if tc.text == nil && !strings.HasPrefix(out, good+"\n") {
			t.Errorf("%s: stdout starts %q, want the next file's report", tc.file, head(out))
		}
		for _, w := range tc.text {
			if !strings.Contains(out, w) {
				t.Errorf("%s: the report lacks %q:\n%s", tc.file, w, head(out))
			}
		}
		if !strings.Contains(out, "\n"+good+"\n") && !strings.HasPrefix(out, good+"\n") {
			t.Errorf("%s: the next file was not analyzed", tc.file)
		}

		out, errOut, _ = runCLI(t, "analyze", "--json", tc.file, good)
		dec := json.NewDecoder(strings.NewReader(out))
		var rep, next analyzer.Report
		if err := errors.Join(dec.Decode(&rep), dec.Decode(&next)); err != nil {
			t.Fatalf("%s: %v\n%s", tc.file, err, out)
		}
		if rep.File != tc.file || rep.Error != tc.jsonErr || next.File != good || next.Error != "" || errOut != tc.stderr {
			t.Errorf("%s: JSON file %q error %q, then %q; stderr %q", tc.file, rep.File, rep.Error, next.File, errOut)
		}
	}
}

// TestAnalyzePlurals: counts read as English in the text output.
func TestAnalyzePlurals(t *testing.T) {
	data := readFile(t, seeds+"seed-rst-storm.pcap")
	// The file header, then records of 16 bytes plus their captured length.
	firstFrames := func(n int) []byte {
		off := 24
		for range n {
			off += 16 + int(binary.LittleEndian.Uint32(data[off+8:]))
		}
		return data[:off]
	}
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		data []byte
		want []string
	}{
		{"one.pcap", firstFrames(1), []string{"link type: Ethernet", "read          1 packet over 0s", "conversations 1 TCP stream\n"}},
		{"two.pcap", firstFrames(2), []string{"read          2 packets over", "conversations 1 TCP stream\n"}},
		{"all.pcap", data, []string{"read          10 packets over 2.018s", "conversations 5 TCP streams\n"}},
		{"header.pcap", data[:24], []string{"read          0 packets over 0s", "conversations 0 TCP streams\n", "flags         none"}},
		{"two-links.pcapng", readFile(t, seeds+"pcapng-two-interfaces.pcapng"), []string{"link types: Ethernet, Raw IP", "conversations 2 TCP streams\n"}},
	} {
		p := filepath.Join(dir, tc.name)
		writeFile(t, p, tc.data)
		out, errOut, status := runCLI(t, "analyze", p)
		if status != exitOK {
			t.Fatalf("%s: status %d, %s", tc.name, status, errOut)
		}
		for _, w := range tc.want {
			if !strings.Contains(out, w) {
				t.Errorf("%s: the report lacks %q:\n%s", tc.name, w, out)
			}
		}
	}
}

// TestAnalyzeFlagsAfterFiles: flags may follow the files, and -- lets a
// file name start with a dash.
func TestAnalyzeFlagsAfterFiles(t *testing.T) {
	file := seeds + "seed-rst-storm.pcap"
	want, _, status := runCLI(t, "analyze", "--json", "--os", "windows", file)
	if status != exitOK || !strings.Contains(want, `"preset":"windows"`) {
		t.Fatalf("status %d, %s", status, want)
	}
	if out, _, _ := runCLI(t, "analyze", file, "--json", "--os=windows"); out != want {
		t.Errorf("flags after the file:\n%s\nwant:\n%s", out, want)
	}
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "-storm.pcap"), readFile(t, file))
	t.Chdir(dir)
	out, errOut, status := runCLI(t, "analyze", "--json", "--os", "windows", "--", "-storm.pcap")
	if status != exitOK || out != strings.Replace(want, file, "-storm.pcap", 1) {
		t.Errorf("after --: status %d, %s, %s", status, errOut, out)
	}
}
