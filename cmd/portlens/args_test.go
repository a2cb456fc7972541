package main

import (
	"flag"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestFlagsAnywhere(t *testing.T) {
	for _, tc := range []struct {
		args     []string
		operands []string
		set      string // the flags' values after parsing
		err      string // a part of the error, "" for none
	}{
		{args: []string{"a.pcap", "--json"}, operands: []string{"a.pcap"}, set: "json=true os=linux tw=0s"},
		{args: []string{"--json", "a.pcap", "b.pcap"}, operands: []string{"a.pcap", "b.pcap"}, set: "json=true os=linux tw=0s"},
		{args: []string{"a.pcap", "-json", "--os", "windows", "b.pcap"}, operands: []string{"a.pcap", "b.pcap"}, set: "json=true os=windows tw=0s"},
		{args: []string{"--os=macos", "a", "-time-wait=30s"}, operands: []string{"a"}, set: "json=false os=macos tw=30s"},
		{args: []string{"--time-wait", "-1s", "a"}, operands: []string{"a"}, set: "json=false os=linux tw=-1s"},
		{args: []string{"--json=false", "a"}, operands: []string{"a"}, set: "json=false os=linux tw=0s"},
		{args: []string{"-", "--json"}, operands: []string{"-"}, set: "json=true os=linux tw=0s"},
		{args: []string{"--json", "--", "--os", "-x.pcap"}, operands: []string{"--os", "-x.pcap"}, set: "json=true os=linux tw=0s"},
		{args: []string{"--", "--"}, operands: []string{"--"}, set: "json=false os=linux tw=0s"},
		{args: []string{"a", "--os"}, err: "flag --os needs a value"},
		{args: []string{"-x.pcap"}, err: "unknown flag -x.pcap"},
		{args: []string{"--verbose", "a"}, err: "unknown flag --verbose"},
		{args: []string{"---json"}, err: "bad flag syntax: ---json"},
		{args: []string{"--=x"}, err: "bad flag syntax"},
		{args: []string{"--time-wait", "soon"}, err: `invalid value "soon" for --time-wait`},
		{args: []string{"--json=maybe"}, err: `invalid value "maybe" for --json`},
		{args: []string{"a", "--help", "--verbose"}, err: flag.ErrHelp.Error()},
		{args: []string{"-h"}, err: flag.ErrHelp.Error()},
	} {
		fl := newFlags("analyze", "FILE...", "")
		asJSON := fl.Bool("json", false, "")
		osName := fl.String("os", "linux", "")
		tw := fl.Duration("time-wait", 0, "")
		operands, err := fl.split(tc.args)
		got := fmt.Sprintf("json=%v os=%s tw=%v", *asJSON, *osName, *tw)
		switch {
		case tc.err != "":
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: error %v, want %q", tc.args, err, tc.err)
			}
		case err != nil:
			t.Errorf("%q: %v", tc.args, err)
		case strings.Join(operands, "|") != strings.Join(tc.operands, "|") || got != tc.set:
			t.Errorf("%q: operands %q, %s; want %q, %s", tc.args, operands, got, tc.operands, tc.set)
		}
	}
}

// TestFlagsUsage: the help lists every flag as --name with its value's
// kind and its default, and a usage error says what is wrong and where
// the help is.
func TestFlagsUsage(t *testing.T) {
	fl := newFlags("serve", "", "Serve it.")
	fl.String("addr", "127.0.0.1:8000", "`address` to listen on")
	fl.Bool("verbose", false, "say more")
	fl.Duration("wait", 0, "how long")
	fl.Duration("grace", time.Second, "how long after")
	var b strings.Builder
	fl.usage(&b)
	want := `usage: portlens serve [flags]

Serve it.

flags:
  --addr address
      address to listen on (default 127.0.0.1:8000)
  --grace duration
      how long after (default 1s)
  --verbose
      say more
  --wait duration
      how long
  -h, --help
      print this help
`
	if b.String() != want {
		t.Errorf("usage:\n%s\nwant:\n%s", b.String(), want)
	}
}
