package rules

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/portlens/portlens/analyzer/conv"
)

func TestNATSettings(t *testing.T) {
	for _, tc := range []struct {
		s      Settings
		err    string // "" when valid
		budget int
		tw     time.Duration
		label  string
	}{
		{s: Settings{}},
		{s: Settings{NAT: "gcp-cloud-nat"}, budget: 64, tw: 120 * time.Second, label: "Google Cloud NAT"},
		{s: Settings{NAT: "aws-nat-gateway"}, budget: 55000, tw: 60 * time.Second, label: "AWS NAT gateway"},
		{s: Settings{NAT: "azure-lb"}, budget: 1024, tw: 240 * time.Second, label: "Azure Load Balancer"},
		{s: Settings{NAT: "azure-nat-gateway"}, budget: 50000, tw: 65 * time.Second, label: "Azure NAT Gateway"},
		{s: Settings{NAT: "gcp-cloud-nat", NATBudget: 128}, budget: 128, tw: 120 * time.Second, label: "Google Cloud NAT (adjusted)"},
		{s: Settings{NAT: "gcp-cloud-nat", NATTimeWait: 30 * time.Second}, budget: 64, tw: 30 * time.Second, label: "Google Cloud NAT (adjusted)"},
		{s: Settings{NAT: "custom", NATBudget: 10, NATTimeWait: time.Minute}, budget: 10, tw: time.Minute, label: "custom NAT"},
		{s: Settings{NAT: "custom", NATBudget: 10}, err: "custom NAT needs"},
		{s: Settings{NATBudget: 10}, err: "needs a NAT"},
		{s: Settings{NAT: "gcp"}, err: "unknown NAT"},
		{s: Settings{NAT: "azure-lb", NATBudget: -1}, err: "positive"},
	} {
		err := tc.s.CheckNAT()
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%+v: error %v, want %q", tc.s, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%+v: %v", tc.s, err)
		}
		n, ok := tc.s.NATPreset()
		if ok != (tc.budget > 0) || n.Budget != tc.budget || n.TimeWait != tc.tw || n.Label != tc.label {
			t.Errorf("%+v: %v %+v, want budget %d, TIME_WAIT %v, %q", tc.s, ok, n, tc.budget, tc.tw, tc.label)
		}
	}
}

// natConns builds connections from the client to 443 on the server: one
// per start time (seconds), each closed by FIN 1 s later, and SYNs
// nothing answered at the drop times.
func natConns(starts, drops []float64, closing func(i int, c *conv.Conversation)) *Input {
	var convs []conv.Conversation
	for i, s := range starts {
		t0 := int64(s * float64(sec))
		c := handshake(uint16(40000+i), 443, 10*i+1, t0)
		closeFIN(&c, conv.FromA, 10*i+4, t0+sec)
		if closing != nil {
			closing(i, &c)
		}
		convs = append(convs, c)
	}
	for i, s := range drops {
		t0 := int64(s * float64(sec))
		f := int32(10*(len(starts)+i) + 1)
		convs = append(convs, conv.Conversation{A: conv.Endpoint{Host: clientID, Port: uint16(50000 + i)},
			B: conv.Endpoint{Host: serverID, Port: 443}, FirstFrame: f, LastFrame: f + 2, FirstTime: t0, LastTime: t0 + 3*sec,
			Packets: [2]uint32{3, 0}, SYNCount: 3, SYN: conv.Segment{Frame: f, Time: t0}, PrevStream: -1, NextStream: -1})
	}
	in := input(convs...)
	in.End = int64(100 * sec)
	return in
}

func TestNATBudget(t *testing.T) {
	custom := Settings{NAT: "custom", NATBudget: 3, NATTimeWait: 10 * time.Second}
	for _, tc := range []struct {
		name      string
		in        *Input
		s         Settings
		frame     int // 0: no flag
		texts     []string
		unflagged bool
	}{
		{
			// Closed at 1, 2, 3 s, held until 11, 12, 13 s: full from 2 s
			// (the third) to 11 s.
			name: "full, one SYN dropped inside, one after a port came free",
			in:   natConns([]float64{0, 1, 2}, []float64{5, 13}, nil), s: custom, frame: 31,
			texts: []string{"it held 3: 1 open or closing and 2 closed", "stayed full for 9.000 s, until a port came free at 00:00:11.000",
				"1 new connection to 198.51.100.20:443 while it was full never got an answer (the first in frame 31, the last in frame 31; 3 SYNs",
				"1 other connection went unanswered while the budget was not full", "The peak was 3 held at once"},
		},
		{
			name: "full, nothing dropped: flagged on the connection that filled it",
			in:   natConns([]float64{0, 1, 2}, nil, nil), s: custom, frame: 21,
			texts: []string{"No SYN went unanswered while it was full"},
		},
		{
			// The NAT's TIME_WAIT is 10 s: the first port is free at 11 s.
			name: "inside the budget: ports come free before the next connection",
			in:   natConns([]float64{0, 1, 12, 13, 24}, []float64{30}, nil), s: custom,
		},
		{
			// After an RST the NAT keeps the port only AfterRST (Azure LB: 15 s, not 240 s).
			name: "RSTs free ports sooner",
			in: natConns([]float64{0, 20, 40}, nil, func(i int, c *conv.Conversation) {
				c.FirstFIN, c.FirstRST = [2]int32{}, c.FirstFrame+3
			}),
			s: Settings{NAT: "azure-lb", NATBudget: 2},
		},
		{
			name: "the same under FIN: 240 s",
			in:   natConns([]float64{0, 20, 40}, nil, nil), s: Settings{NAT: "azure-lb", NATBudget: 2}, frame: 11,
		},
		{
			// Open connections hold their port until the idle timeout
			// (GCP 1,200 s) or the end of the capture (100 s).
			name: "open connections hold to the capture's end",
			in: natConns([]float64{0, 1, 2}, []float64{50}, func(i int, c *conv.Conversation) {
				c.FirstFIN, c.SawFINACK = [2]int32{}, false
			}),
			s: Settings{NAT: "gcp-cloud-nat", NATBudget: 3}, frame: 31,
			texts: []string{"3 open or closing and 0 closed", "stayed full to the end of the capture"},
		},
		{name: "no NAT: nothing", in: natConns([]float64{0, 1, 2}, []float64{5}, nil), s: Settings{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := Judge(tc.in, tc.s)
			var got []Explained
			for i, f := range v.Flags {
				if f.Kind == Exhaustion && f.Class == ClassNATBudget {
					got = append(got, v.Explain(i))
					if h, ok := v.JudgedBy(i); !ok || h.Host != client {
						t.Errorf("judged by %v", h.Host)
					}
				}
			}
			if tc.frame == 0 {
				if len(got) != 0 {
					t.Fatalf("flagged %v", frames(got))
				}
				return
			}
			if !slices.Equal(frames(got), []int{tc.frame}) {
				t.Fatalf("flagged %v, want %d", frames(got), tc.frame)
			}
			mustContain(t, got[0].Explanation, tc.texts...)
			mustContain(t, got[0].Message, "192.0.2.10 held ", " connections to 198.51.100.20:443 at ")
		})
	}
}

// fullIntervals: the times at least budget spans are held, a span ending
// when another starts freeing its port first.
func TestFullIntervals(t *testing.T) {
	spans := []heldSpan{{from: 0, to: 10, c: 0}, {from: 2, to: 5, c: 1}, {from: 5, to: 8, c: 2}, {from: 9, to: 12, c: 3}}
	got := fullIntervals(spans, 2)
	// 0-10 with 2-5, then 5-8 (5 frees a port and takes it again), then
	// 9-12 after 8: held 2 from 2 to 8 and from 9 to 10.
	want := []heldSpan{{from: 2, to: 8, c: 1}, {from: 9, to: 10, c: 3}}
	if !slices.Equal(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
	if p := peakHeld(spans); p != 2 {
		t.Errorf("peak %d", p)
	}
}
