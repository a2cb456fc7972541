package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/portlens/portlens/analyzer"
	"github.com/portlens/portlens/analyzer/rules"
)

const ruleCaptures = "../../testdata/rules/"

// --nat judges the clients' connections to one destination against the
// NAT's budget; the report names the NAT, the text says it.
func TestAnalyzeNAT(t *testing.T) {
	capture := ruleCaptures + "nat-gcp-budget-exceeded.pcap"
	for _, tc := range []struct {
		args   []string
		budget int    // 0: no NAT in the report
		flag   string // the nat-budget flag's message start, "" for none
	}{
		{args: nil},
		{args: []string{"--nat", "gcp-cloud-nat"}, budget: 64, flag: "10.0.5.12 held 64 connections to 198.51.100.7:443"},
		{args: []string{"--nat", "azure-lb"}, budget: 1024},
		{args: []string{"--nat", "azure-lb", "--nat-budget", "60"}, budget: 60, flag: "10.0.5.12 held 60 connections"},
		{args: []string{"--nat=custom", "--nat-budget=70", "--nat-time-wait=2m"}, budget: 70},
	} {
		args := append([]string{"analyze", "--json", capture}, tc.args...)
		out, errOut, status := runCLI(t, args...)
		if status != exitOK {
			t.Fatalf("%v: status %d: %s", tc.args, status, errOut)
		}
		var rep analyzer.Report
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatal(err)
		}
		switch {
		case tc.budget == 0 && rep.NAT != nil:
			t.Errorf("%v: nat %+v in the report", tc.args, rep.NAT)
		case tc.budget == 0:
			if strings.Contains(out, `"nat"`) {
				t.Errorf("no NAT, yet the report says %s", out[:200])
			}
		case rep.NAT == nil || rep.NAT.Budget != tc.budget || rep.NAT.Source == "":
			t.Errorf("%v: nat %+v, want budget %d", tc.args, rep.NAT, tc.budget)
		}
		var got string
		for _, f := range rep.Flags {
			if f.Kind == rules.Exhaustion && f.Class == "nat-budget" {
				got = f.Message
			}
		}
		if (tc.flag == "") != (got == "") || !strings.HasPrefix(got, tc.flag) {
			t.Errorf("%v: nat-budget flag %q, want %q", tc.args, got, tc.flag)
		}
	}
	out, _, _ := runCLI(t, "analyze", capture, "--nat", "gcp-cloud-nat")
	if !strings.Contains(out, "  nat           gcp-cloud-nat: Google Cloud NAT, 64 connections per VM and destination, TIME_WAIT 2m0s\n") {
		t.Errorf("the text does not name the NAT:\n%s", out[:400])
	}
}

func TestAnalyzeNATUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--nat", "gcp"}, `unknown --nat "gcp"`},
		{[]string{"--nat-budget", "10"}, "give --nat NAME"},
		{[]string{"--nat", "custom", "--nat-budget", "10"}, "--nat custom needs --nat-budget and --nat-time-wait"},
		{[]string{"--nat", "azure-lb", "--nat-budget", "-5"}, "want positive values"},
		{[]string{"--nat", "azure-lb", "--nat-time-wait", "soon"}, `invalid value "soon" for --nat-time-wait`},
	} {
		_, errOut, status := runCLI(t, append([]string{"analyze", "x.pcap"}, tc.args...)...)
		if status != exitUsage || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: status %d, stderr %q, want %q", tc.args, status, errOut, tc.want)
		}
	}
}
