package summary

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/portlens/portlens/analyzer"
	"github.com/portlens/portlens/analyzer/rules"
)

func analyze(t *testing.T, name string) *analyzer.Result {
	t.Helper()
	return analyzeFile(t, filepath.Join("..", "..", "testdata", "captures", name))
}

func analyzeFile(t *testing.T, path string) *analyzer.Result {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return analyzer.Analyze(path, f, analyzer.DefaultOptions())
}

func analyzeAs(t *testing.T, path, preset string) *analyzer.Result {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	opts := analyzer.DefaultOptions()
	opts.Rules.Preset = preset
	return analyzer.Analyze(path, f, opts)
}

func TestChainRSTStorm(t *testing.T) {
	res := analyze(t, "seed-rst-storm.pcap")
	if res.Conversations.Len() != 5 {
		t.Fatalf("conversations = %d, want 5", res.Conversations.Len())
	}
	for s := range 5 {
		got := Chain(res.Conversations, s)
		if len(got) != 5 || got[0] != 0 || got[4] != 4 {
			t.Errorf("Chain(%d) = %v, want [0 1 2 3 4]", s, got)
		}
	}
}

func TestServicesRSTStorm(t *testing.T) {
	res := analyze(t, "seed-rst-storm.pcap")
	svcs := Services(res)
	if len(svcs) != 1 {
		t.Fatalf("services = %d, want 1", len(svcs))
	}
	sv := svcs[0]
	if sv.Connections != 5 || sv.States[Closed] != 5 || sv.Clients != 1 {
		t.Errorf("service %+v: want 5 connections, all CLOSED, 1 client", sv)
	}
	// Every SYN was answered with an RST: refused, not unanswered.
	if sv.Refused != 5 || sv.Unanswered != 0 {
		t.Errorf("refused %d, unanswered %d: want 5 and 0", sv.Refused, sv.Unanswered)
	}
}

func TestServicesUnansweredSYN(t *testing.T) {
	res := analyzeFile(t, "../../testdata/rules/syn-retransmitted-unanswered.pcap")
	svcs := Services(res)
	if len(svcs) != 1 || svcs[0].Unanswered != 1 || svcs[0].Refused != 0 || svcs[0].Answered {
		t.Fatalf("services %+v: want one unanswered connection", svcs)
	}
}

func TestStateTimeWait(t *testing.T) {
	res := analyze(t, "seed-fin-then-syn-2h.pcap")
	c := res.Conversations.At(0)
	// At the capture's end the first connection closed two hours ago.
	if got := StateAt(c, res.LastTime, 60*time.Second); got != Closed {
		t.Errorf("state at end = %s, want CLOSED", got)
	}
	// Right after its last packet it is in TIME_WAIT.
	if got := StateAt(c, c.LastTime+int64(time.Second), 60*time.Second); got != TimeWait {
		t.Errorf("state 1 s after = %s, want TIME_WAIT", got)
	}
}

func TestClients(t *testing.T) {
	res := analyze(t, "seed-rst-storm.pcap")
	cls := Clients(res)
	if len(cls) != 1 {
		t.Fatalf("clients = %d, want 1", len(cls))
	}
	cl := cls[0]
	if cl.Connections != 5 || cl.Ports != 1 || cl.Reused != 4 {
		t.Errorf("client %+v: want 5 connections from 1 port, 4 reused", cl)
	}
	if pts := Points(res, cl.Host); len(pts) != 5 || !pts[1].Reused || pts[0].Reused {
		t.Errorf("points %+v: want 5, all but the first reused", pts)
	}
}

// The Clients table judges each host by the preset the rules gave it: a
// Windows client under auto has no port outside its (inferred) range, as
// the rules raise no port.outside_ephemeral; under linux 39 of its 40
// connections are outside, as the rules flag them.
func TestClientsUsePerHostPresets(t *testing.T) {
	path := "../../testdata/rules/windows-ephemeral-ports.pcap"
	for _, c := range []struct {
		preset  string
		outside int
	}{{"linux", 39}, {"auto", 0}} {
		res := analyzeAs(t, path, c.preset)
		var win *Client
		for _, cl := range Clients(res) {
			if cl.Addr.String() == "192.168.1.57" {
				win = &cl
			}
		}
		if win == nil {
			t.Fatalf("%s: no client 192.168.1.57", c.preset)
		}
		if win.Outside != c.outside || res.FlagCounts()[rules.OutsideEphemeral] != c.outside {
			t.Errorf("%s: %d outside in the table, %d flagged; want %d (preset %s)", c.preset, win.Outside,
				res.FlagCounts()[rules.OutsideEphemeral], c.outside, win.Preset.Label)
		}
	}
}
