package summary

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/portlens/portlens/analyzer"
	"github.com/portlens/portlens/analyzer/conv"
	"github.com/portlens/portlens/analyzer/rules"
)

func analyzeNAT(t *testing.T, name, nat string) *analyzer.Result {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "..", "testdata", "rules", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	opts := analyzer.DefaultOptions()
	opts.Rules.NAT = nat
	return analyzer.Analyze(name, f, opts)
}

func hostID(t *testing.T, res *analyzer.Result, addr string) conv.HostID {
	t.Helper()
	for id := range res.Hosts.Len() {
		if res.Hosts.Addr(conv.HostID(id)).String() == addr {
			return conv.HostID(id)
		}
	}
	t.Fatalf("no host %s", addr)
	return 0
}

// The NAT capture under Cloud NAT: the VM's busiest destination holds its
// 64 ports from the 64th connection on; the 9 dropped SYNs come after, and
// the nat-budget flag is marked where the first of them is.
func TestPortUseUnderNAT(t *testing.T) {
	res := analyzeNAT(t, "nat-gcp-budget-exceeded.pcap", "gcp-cloud-nat")
	vm := hostID(t, res, "10.0.5.12")
	dests := Destinations(res, vm)
	if len(dests) != 2 || dests[0].Addr.String() != "198.51.100.7:443" || dests[0].Connections != 73 || dests[1].Connections != 20 {
		t.Fatalf("destinations %+v", dests)
	}
	u := Ports(res, vm, dests[0].Endpoint, false)
	if u.Budget != 64 || !u.NAT || u.Connections != 73 || u.BudgetWhat != "Google Cloud NAT: default 64 ports per VM" {
		t.Fatalf("budget %d %q nat %v, %d connections", u.Budget, u.BudgetWhat, u.NAT, u.Connections)
	}
	tl := u.Bin(res.FirstTime, res.LastTime+1, 100)
	if tl.Peak != 64 {
		t.Errorf("peak %d, want 64", tl.Peak)
	}
	last := len(tl.Open) - 1
	if tl.Open[last]+tl.Waiting[last] != 64 || tl.Waiting[last] != 64 {
		t.Errorf("at the end: %d open, %d held closed; want 64 closed, held for the NAT's 120 s", tl.Open[last], tl.Waiting[last])
	}
	if n := sum(tl.Unanswered); n != 9 {
		t.Errorf("%d unanswered SYNs, want 9", n)
	}
	var exh []FlagBin
	for _, f := range tl.Flags {
		if slices.Contains(f.Kinds, rules.Exhaustion) {
			exh = append(exh, f)
		}
	}
	if len(exh) != 1 || exh[0].Frame != 1018 || exh[0].Class != rules.ClassNATBudget || !exh[0].Warning {
		t.Errorf("exhaustion marks %+v, want one on frame 1018", exh)
	}
	// Zoomed on the second after the budget filled: the same peak.
	z := u.Bin(res.FirstTime+5e9, res.FirstTime+6e9, 10)
	if z.Peak != 64 || z.Open[9]+z.Waiting[9] != 64 {
		t.Errorf("zoomed: peak %d, last bin %d+%d", z.Peak, z.Open[9], z.Waiting[9])
	}
	// All destinations: the range, not the NAT, has no per-destination meaning; the
	// budget stays the NAT's, and the other destination's 20 come in.
	all := Ports(res, vm, conv.Endpoint{}, true)
	if all.Connections != 93 {
		t.Errorf("all destinations: %d connections", all.Connections)
	}
	// Without a NAT the budget is the Linux range.
	plain := Ports(analyzeNAT(t, "nat-gcp-budget-exceeded.pcap", ""), vm, dests[0].Endpoint, false)
	if plain.Budget != 28232 || plain.NAT {
		t.Errorf("no NAT: budget %d (%q)", plain.Budget, plain.BudgetWhat)
	}
}

func sum(s []int32) int {
	n := 0
	for _, v := range s {
		n += int(v)
	}
	return n
}

// Bin's per-column peak equals a direct count of the spans held at every
// moment a span starts, closes or ends inside the column.
func TestBinMatchesDirectCount(t *testing.T) {
	for _, c := range []struct{ file, nat, host string }{
		{"port-exhaustion-500.pcap", "", "192.168.1.23"},         // RSTs: nothing held after the close
		{"nat-within-budget.pcap", "", "10.0.5.12"},              // the client closes first: its TIME_WAIT, 60 s
		{"nat-within-budget.pcap", "gcp-cloud-nat", "10.0.5.12"}, // the NAT's, 120 s
	} {
		t.Run(c.file+"/"+c.nat, func(t *testing.T) {
			res := analyzeNAT(t, c.file, c.nat)
			binMatches(t, res, Ports(res, hostID(t, res, c.host), conv.Endpoint{}, true))
		})
	}
}

func binMatches(t *testing.T, res *analyzer.Result, u *PortUse) {
	t.Helper()
	var spans []rules.PortSpan
	for i := range res.Conversations.Len() {
		spans = append(spans, res.Verdict.PortSpan(i))
	}
	held := func(t int64) (open, waiting int) {
		for _, s := range spans {
			switch {
			case !s.Held || t < s.From || t >= s.Until:
			case t < s.Closed:
				open++
			default:
				waiting++
			}
		}
		return open, waiting
	}
	waited := false
	for _, n := range []int{1, 7, 64} {
		from, to := res.FirstTime-1e9, res.LastTime+70e9
		tl := u.Bin(from, to, n)
		for b := range n {
			lo := from + int64(float64(to-from)*float64(b)/float64(n))
			hi := from + int64(float64(to-from)*float64(b+1)/float64(n))
			bo, bw := held(lo)
			for _, s := range spans {
				for _, t := range []int64{s.From, s.Closed, s.Until} {
					if t >= lo && t < hi {
						if o, w := held(t); o+w > bo+bw {
							bo, bw = o, w
						}
					}
				}
			}
			if int(tl.Open[b]) != bo || int(tl.Waiting[b]) != bw {
				t.Fatalf("%d bins, bin %d: %d open + %d held, direct count %d + %d", n, b, tl.Open[b], tl.Waiting[b], bo, bw)
			}
			waited = waited || bw > 0
		}
	}
	if closes := res.Verdict.Settings().NAT != "" || res.Conversations.At(0).End() == conv.Fin; closes != waited {
		t.Errorf("closed ports held: %v, want %v", waited, closes)
	}
}

func TestDensity(t *testing.T) {
	res := analyze(t, "seed-rst-storm.pcap")
	host := hostID(t, res, "192.168.1.23")
	u := Ports(res, host, conv.Endpoint{}, true)
	d := u.Density(res.FirstTime, res.LastTime+1, 4, 8, 0, 65535)
	var total uint32
	for _, c := range d.Counts {
		total += c
	}
	// Five connections from port 40312: all in one row.
	if total != 5 || d.Max < 1 || sum(d.Reused) != 4 {
		t.Errorf("density: %d connections, max %d, reused %d", total, d.Max, sum(d.Reused))
	}
	row := 40312 * 8 / 65536
	for i, c := range d.Counts {
		if c > 0 && i/d.Cols != row {
			t.Errorf("count in row %d, want row %d", i/d.Cols, row)
		}
	}
	if u.PortLo != 40312 || u.PortHi != 40312 {
		t.Errorf("ports %d-%d", u.PortLo, u.PortHi)
	}
}
