package app

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/portlens/portlens/analyzer"
)

func TestOrderOf(t *testing.T) {
	keys := []int64{30, 10, 20, 10, 40}
	even := func(i int) bool { return i%2 == 0 }
	key := func(i int) int64 { return keys[i] }
	byKey := func(a, b int) int { return int(keys[a] - keys[b]) }
	for _, tc := range []struct {
		name  string
		match func(int) bool
		key   func(int) int64
		cmp   func(a, b int) int
		desc  bool
		want  []int32
	}{
		{"all, own order", nil, nil, nil, false, []int32{0, 1, 2, 3, 4}},
		{"filtered", even, nil, nil, false, []int32{0, 2, 4}},
		{"by key, ties in record order", nil, key, nil, false, []int32{1, 3, 2, 0, 4}},
		{"by key, descending, ties still in record order", nil, key, nil, true, []int32{4, 0, 2, 1, 3}},
		{"by cmp", nil, nil, byKey, false, []int32{1, 3, 2, 0, 4}},
		{"filtered and sorted", even, key, nil, true, []int32{4, 0, 2}},
		{"nothing passes", func(int) bool { return false }, key, nil, false, []int32{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pauses := 0
			got := orderOf(len(keys), tc.match, tc.key, tc.cmp, tc.desc, func() { pauses++ })
			if !slices.Equal(got, tc.want) {
				t.Errorf("order %v, want %v", got, tc.want)
			}
			if pauses < len(keys) {
				t.Errorf("paused %d times for %d records: the browser would not get a turn", pauses, len(keys))
			}
		})
	}
}

// An order built for other data (the services under another verdict) is
// not used while the new one is built: its indexes may be out of range.
func TestStaleOrder(t *testing.T) {
	a, b := new(int), new(int)
	tb := vtable{order: []int32{41, 7}, built: orderKey{of: a, sort: 2}}
	def := &tableDef{N: 3, Of: b}
	if n := tb.rows(def); n != 3 {
		t.Errorf("%d rows, want the 3 records of the new data", n)
	}
	if r := tb.record(def, 2); r != 2 {
		t.Errorf("row 2 shows record %d", r)
	}
	def.Of = a
	if n, r := tb.rows(def), tb.record(def, 0); n != 2 || r != 41 {
		t.Errorf("for its own data: %d rows, row 0 record %d", n, r)
	}
}

func TestPacedEvery(t *testing.T) {
	n := 0
	p := pacedEvery(func() { n++ }, 1000)
	for range 10_500 {
		p()
	}
	if n != 10 {
		t.Errorf("paused %d times in 10,500 calls, want 10", n)
	}
}

// openState analyzes a test capture into a State, as the page does.
func openState(t *testing.T, name string) *State {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "testdata", "captures", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := &State{}
	res := analyzer.Analyze(name, f, s.Options())
	if res.Error != "" {
		t.Fatal(res.Error)
	}
	s.Res = res
	return s
}

// The seed RST storm: one client port, 40312, refused five times by
// 203.0.113.10:8080; Wireshark flags the SYNs of streams 1 to 4 as reusing
// the ports of the stream before.
func TestTableFilters(t *testing.T) {
	s := openState(t, "seed-rst-storm.pcap")
	pass := func(m matcher, n int) []int {
		var out []int
		if m == nil {
			return nil
		}
		match := m(func() {})
		for i := range n {
			if match(i) {
				out = append(out, i)
			}
		}
		return out
	}
	for _, tc := range []struct {
		text     string
		convs    []int
		services []int
		clients  []int
		problem  bool
	}{
		{"stream:2", []int{2}, []int{0}, []int{0}, false},
		{"stream:2 stream:4", []int{2, 4}, []int{0}, []int{0}, false},
		{"tcp.stream==9", nil, nil, nil, false},
		{"flagged", []int{1, 2, 3, 4}, []int{0}, []int{0}, false},
		{"tcp.reused_ports", []int{1, 2, 3, 4}, []int{0}, []int{0}, false},
		{"port.exhaustion", nil, nil, nil, false},
		{"192.168.1.23", []int{0, 1, 2, 3, 4}, []int{0}, []int{0}, false},
		{"203.0.113.10 port:8080", []int{0, 1, 2, 3, 4}, []int{0}, []int{0}, false},
		{"port:40312", []int{0, 1, 2, 3, 4}, []int{0}, []int{0}, false},
		{"port:443", nil, nil, nil, false},
		{"10.9.9.9", nil, nil, nil, false},
		// Wireshark's own syntax, as in the packet list.
		{"tcp.stream in {1, 3}", []int{1, 3}, []int{0}, []int{0}, false},
		{"tcp.analysis.reused_ports && !(tcp.stream == 2)", []int{1, 3, 4}, []int{0}, []int{0}, false},
		{`portlens.class == "after-rst"`, []int{1, 2, 3, 4}, []int{0}, []int{0}, false},
		{"ip.addr == 203.0.113.0/24 && tcp.srcport == 40312", []int{0, 1, 2, 3, 4}, []int{0}, []int{0}, false},
		// Not a filter: nothing is applied, the problem says where.
		{"stream:1 bogus!", nil, nil, nil, true},
		{"tcp.strem == 1", nil, nil, nil, true},
		{"frame.len > 60", nil, nil, nil, true},
	} {
		t.Run(tc.text, func(t *testing.T) {
			m, problem := convFilter(s, tc.text)
			if got := pass(m, s.Res.Conversations.Len()); !slices.Equal(got, tc.convs) {
				t.Errorf("conversations %v, want %v", got, tc.convs)
			}
			if (problem != "") != tc.problem {
				t.Errorf("problem %q", problem)
			}
			m, _ = serviceFilter(s, tc.text)
			if got := pass(m, len(s.Services())); !slices.Equal(got, tc.services) {
				t.Errorf("services %v, want %v", got, tc.services)
			}
			m, _ = clientFilter(s, tc.text)
			if got := pass(m, len(s.Clients())); !slices.Equal(got, tc.clients) {
				t.Errorf("clients %v, want %v", got, tc.clients)
			}
		})
	}
}

// Every column sorts the conversations into an order its key agrees with,
// and the reuse chain column keeps a chain together, oldest first.
func TestConversationColumns(t *testing.T) {
	s := openState(t, "link-null-le.pcap")
	n := s.Res.Conversations.Len()
	if n < 3 {
		t.Fatalf("%d conversations: the test wants a few", n)
	}
	for c, col := range convCols(s.Res) {
		key := col.Key(func() {})
		for _, desc := range []bool{false, true} {
			order := orderOf(n, nil, key, nil, desc, func() {})
			if len(order) != n {
				t.Fatalf("%s: %d rows of %d", col.Label, len(order), n)
			}
			for i := 1; i < n; i++ {
				a, b := key(int(order[i-1])), key(int(order[i]))
				if !desc && a > b || desc && a < b {
					t.Errorf("column %d (%s), desc %v: row %d key %d before row %d key %d", c, col.Label, desc, i-1, a, i, b)
				}
			}
		}
	}
}

func TestNotCaptureText(t *testing.T) {
	for _, tc := range []struct{ msg, want string }{
		{"not a capture file: starts with 3c 21 44 4f", `notes.txt starts with 3c 21 44 4f ("<!DO" as text)`},
		{"not a capture file: starts with 00 01 ff 7f", "notes.txt starts with 00 01 ff 7f"},
		{"not a capture file: it is empty", "notes.txt is empty"},
		{"not a capture file", "notes.txt"},
	} {
		if got := notCaptureText("notes.txt", tc.msg); got != tc.want {
			t.Errorf("%q: %q, want %q", tc.msg, got, tc.want)
		}
	}
}

// Sorting a million records on an int64 key, as the Conversations table
// does for a capture of a million conversations (the page runs it in the
// background, yielding every 1,024 steps).
func BenchmarkOrderOfMillion(b *testing.B) {
	const n = 1_000_000
	keys := make([]int64, n)
	x := uint64(1)
	for i := range keys {
		x = x*6364136223846793005 + 1442695040888963407
		keys[i] = int64(x >> 20)
	}
	key := func(i int) int64 { return keys[i] }
	pause := pacedEvery(func() {}, 1024)
	b.ReportAllocs()
	for b.Loop() {
		orderOf(n, nil, key, nil, true, pause)
	}
}
