package main

import (
	"runtime"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/portlens/portlens/analyzer/filter"
)

// TestHelp: every way of asking for help prints it on stdout and exits 0,
// nothing on stderr.
func TestHelp(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want []string // in the help
	}{
		{[]string{"--help"}, []string{"usage: portlens <command>", "analyze", "serve", "build", "version", "Exit status"}},
		{[]string{"-h"}, []string{"usage: portlens <command>"}},
		{[]string{"help"}, []string{"usage: portlens <command>"}},
		{[]string{"help", "analyze"}, []string{"usage: portlens analyze [flags] FILE...", "--json", "--frames", "--os preset", "standard input"}},
		{[]string{"analyze", "--help"}, []string{"usage: portlens analyze", "--time-wait duration"}},
		{[]string{"analyze", "x.pcap", "-h"}, []string{"usage: portlens analyze"}},
		{[]string{"serve", "--help"}, []string{"usage: portlens serve [flags]", "--addr address", "--out directory", "--web directory", "--base sub-path"}},
		{[]string{"serve", "-h"}, []string{"usage: portlens serve"}},
		{[]string{"build", "--help"}, []string{"usage: portlens build [flags]", "--out directory", "(default dist)"}},
		{[]string{"build", "-h"}, []string{"usage: portlens build"}},
		{[]string{"version", "--help"}, []string{"usage: portlens version"}},
	} {
		out, errOut, status := runCLI(t, tc.args...)
		if status != exitOK || errOut != "" {
			t.Errorf("%q: status %d, stderr %q", tc.args, status, errOut)
		}
		for _, w := range tc.want {
			if !strings.Contains(out, w) {
				t.Errorf("%q: the help lacks %q:\n%s", tc.args, w, out)
			}
		}
	}
}

// TestUsageErrors: mistakes exit 1 with a message on stderr, nothing on
// stdout.
func TestUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string // on stderr
	}{
		{nil, "usage: portlens <command>"},
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"help", "frobnicate"}, `unknown command "frobnicate"`},
		{[]string{seeds + "seed-rst-storm.pcap"}, "To analyze a capture: portlens analyze " + seeds + "seed-rst-storm.pcap"},
		{[]string{"analyze"}, "portlens analyze: no capture file given"},
		{[]string{"analyze", "--verbose", "x.pcap"}, "portlens analyze: unknown flag --verbose\nRun 'portlens analyze --help' for usage.\n"},
		{[]string{"analyze", "--frames", "x.pcap"}, "--frames adds every frame's stream to the JSON report: use it with --json"},
		{[]string{"analyze", "x.pcap", "--os", "plan9"}, `unknown --os "plan9"`},
		{[]string{"serve", "dist"}, `portlens serve: unexpected argument "dist"`},
		{[]string{"build", "dist"}, `portlens build: unexpected argument "dist" (the directory is given with --out)`},
		{[]string{"version", "now"}, "version takes no arguments"},
		{[]string{"--version", "now"}, "version takes no arguments"},
	} {
		out, errOut, status := runCLI(t, tc.args...)
		if status != exitUsage || out != "" || !strings.Contains(errOut, tc.want) {
			t.Errorf("%q: status %d, stdout %q, stderr %q; want 1 and %q", tc.args, status, out, errOut, tc.want)
		}
	}
}

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"--version"}, {"version"}, {"-version"}} {
		out, errOut, status := runCLI(t, args...)
		if status != exitOK || errOut != "" || out != versionLine()+"\n" {
			t.Errorf("%q: status %d, %q, stderr %q", args, status, out, errOut)
		}
		if !strings.HasPrefix(out, "portlens ") || !strings.Contains(out, runtime.Version()) {
			t.Errorf("%q: %q lacks the name or the Go version", args, out)
		}
	}
}

func TestVersionLine(t *testing.T) {
	goVersion := " " + runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH
	for _, tc := range []struct {
		bi   *debug.BuildInfo
		want string
	}{
		{nil, "portlens (devel)"},
		{&debug.BuildInfo{}, "portlens (devel)"},
		{&debug.BuildInfo{Main: debug.Module{Version: "v1.2.3"}}, "portlens v1.2.3"},
		{&debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{
			{Key: "vcs", Value: "git"},
			{Key: "vcs.revision", Value: "bf0864e1a2b3c4d5e6f708192a3b4c5d6e7f8091"},
			{Key: "vcs.time", Value: "2025-11-30T05:11:00Z"},
			{Key: "vcs.modified", Value: "true"},
		}}, "portlens (devel) (revision bf0864e1a2b3, 2025-11-30T05:11:00Z, modified)"},
		{&debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20251130051100-bf0864e1a2b3+dirty"}, Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "bf0864e1a2b3c4d5e6f708192a3b4c5d6e7f8091"},
			{Key: "vcs.time", Value: "2025-11-30T05:11:00Z"},
			{Key: "vcs.modified", Value: "true"},
		}}, "portlens v0.0.0-20251130051100-bf0864e1a2b3+dirty"},
		{&debug.BuildInfo{Main: debug.Module{Version: "v0.1.0"}, Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "abc"}, {Key: "vcs.modified", Value: "false"},
		}}, "portlens v0.1.0 (revision abc)"},
	} {
		if got := formatVersion(tc.bi); got != tc.want+goVersion {
			t.Errorf("%q, want %q", got, tc.want+goVersion)
		}
	}
}

// `portlens help filters` lists every field the filters know, and its
// examples are filters -Y accepts.
func TestHelpFilters(t *testing.T) {
	out, errOut, status := runCLI(t, "help", "filters")
	if status != exitOK || errOut != "" {
		t.Fatalf("status %d, stderr %q", status, errOut)
	}
	for _, f := range filter.Fields() {
		if !strings.Contains(out, "\n  "+f.Name+" ") {
			t.Errorf("field %s is not listed", f.Name)
		}
	}
	examples := 0
	intro, _, _ := strings.Cut(out, "Operators:")
	for _, line := range strings.Split(intro, "\n") {
		if strings.HasPrefix(line, "  ") {
			examples++
			if _, err := filter.Compile(strings.TrimSpace(line)); err != nil {
				t.Errorf("example %q: %v", line, err)
			}
		}
	}
	if examples != 3 {
		t.Errorf("%d examples found, want 3", examples)
	}
}
