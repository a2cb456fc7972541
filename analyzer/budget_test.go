package analyzer_test

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portlens/portlens/analyzer"
	"github.com/portlens/portlens/analyzer/summary"
	"github.com/portlens/portlens/testdata/benchgen/benchcap"
)

// heapUse is what one analysis took of the heap: the most that was live
// at once over what was live before, while it read, judged and summarized
// (the page's summaries), and what stayed live at the end. The collector
// runs at GOGC 5 and its live figure is read every 50 µs, so that the
// peak is found within a few percent.
type heapUse struct {
	held        int64 // the budget's account, at the end of the reading
	peak, final int64
}

func measureHeap(data []byte) (heapUse, *analyzer.Result) {
	var m runtime.MemStats
	live := func() int64 {
		runtime.GC()
		runtime.ReadMemStats(&m)
		return int64(m.HeapAlloc)
	}
	old := debug.SetGCPercent(5)
	defer debug.SetGCPercent(old)
	base := live()
	var peak atomic.Int64
	stop := make(chan bool)
	done := make(chan bool)
	go func() {
		s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
		for {
			metrics.Read(s)
			if v := int64(s[0].Value.Uint64()); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-stop:
				close(done)
				return
			case <-time.After(50 * time.Microsecond):
			}
		}
	}()
	run := analyzer.Start("x.pcap", bytes.NewReader(data), analyzer.DefaultOptions())
	for run.Step(1 << 16) {
	}
	var u heapUse
	u.held = run.Held()
	res := run.Result()
	summary.Services(res)
	summary.Clients(res)
	close(stop)
	<-done
	u.final = live() - base
	u.peak = max(peak.Load()-base, u.final)
	runtime.KeepAlive(res)
	return u, res
}

// TestBudgetCoversHeap checks the budget's account against the heap, on
// captures of every shape it counts (each frame a new conversation, flow,
// association or host; realistic traffic; empty records): the account
// must be at least what is live once the reading is done plus everything
// judging and the summaries allocate, so that the deterministic account
// stops the reading before the heap check has to.
func TestBudgetCoversHeap(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	const n = 300_000
	type input struct {
		name string
		data []byte
	}
	var inputs []input
	for _, s := range shapes {
		inputs = append(inputs, input{s.name, shapeCapture(s.frame, n)})
	}
	var bench bytes.Buffer
	if err := benchcap.Write(&bench, benchcap.Config{Packets: n, Seed: 1, Copies: 8}); err != nil {
		t.Fatal(err)
	}
	inputs = append(inputs, input{"benchcap", bench.Bytes()})
	for _, in := range inputs {
		u, res := measureHeap(in.data)
		t.Logf("%-11s %7d frames %7d conv %7d flows %7d assoc %7d hosts %7d flags: held %6.1f MB; live peak %6.1f MB (%3.0f%%), final %6.1f MB",
			in.name, res.Packets, res.Conversations.Len(), res.UDPFlows.Len(), len(res.Associations), res.Hosts.Len(), len(res.Flags()),
			float64(u.held)/1e6, float64(u.peak)/1e6, 100*float64(u.peak)/float64(u.held), float64(u.final)/1e6)
		if u.peak > u.held {
			t.Errorf("%s: the account says %d bytes, the analysis held up to %d", in.name, u.held, u.peak)
		}
	}
}

// budgetOptions are the default options with a memory budget.
func budgetOptions(maxMemory int64) analyzer.Options {
	opts := analyzer.DefaultOptions()
	opts.Budget.MaxMemory = maxMemory
	return opts
}

// The zero-length bomb: 67 million empty records, a megabyte of gzip.
// Under a budget the reading stops like Cancel, at the same frame however
// the bytes arrive and in whatever steps the caller reads, with the
// frames read before it judged and the error saying why and where; the
// heap the result keeps stays inside the budget.
func TestBudgetZeroBomb(t *testing.T) {
	const records = 67_000_000
	budget := int64(96 << 20)
	if testing.Short() {
		budget = 32 << 20 // a quarter of the frames (js/wasm tests run -short)
	}
	bomb := zeroBomb(records)
	t.Logf("%d zero-length records: %d bytes of gzip", records, len(bomb))
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	res := analyzer.Analyze("bomb.pcap.gz", bytes.NewReader(bomb), budgetOptions(budget))
	runtime.GC()
	runtime.ReadMemStats(&after)
	if !res.Stopped || res.StopReason != analyzer.StopMemory || res.Packets == 0 || res.Packets >= records {
		t.Fatalf("stopped %v (%s) after %d packets: %s", res.Stopped, res.StopReason, res.Packets, res.Error)
	}
	kept := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	t.Logf("stopped after %d frames, %.1f MB kept: %s", res.Packets, float64(kept)/1e6, res.Error)
	if kept > budget {
		t.Errorf("the result keeps %d bytes, over the budget of %d", kept, budget)
	}
	if res.Packets%4096 != 0 {
		t.Errorf("stopped after %d frames: the budget is looked at every 4096", res.Packets)
	}
	// Frame N+1 starts after the file header and N 16-byte records.
	if res.ErrorFrame != res.Packets+1 || res.ErrorOffset != 24+16*int64(res.Packets) {
		t.Errorf("error frame %d at byte %d, want %d at %d", res.ErrorFrame, res.ErrorOffset, res.Packets+1, 24+16*res.Packets)
	}
	want := fmt.Sprintf("frame %d at byte %d: memory budget of %s reached (%d frames, 0 TCP streams, 0 UDP flows, 0 hosts held, and room to judge them); the results cover frames 1 to %d",
		res.ErrorFrame, res.ErrorOffset, analyzer.FormatSize(budget), res.Packets, res.Packets)
	if res.Error != want {
		t.Errorf("error %q\nwant  %q", res.Error, want)
	}
	if res.Verdict == nil {
		t.Error("the frames read were not judged")
	}
	var doc analyzer.Report
	var js bytes.Buffer
	if err := res.WriteJSON(&js, analyzer.DefaultOptions(), false); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(js.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if !doc.Stopped || doc.StopReason != "memory" || doc.Error != want || doc.ErrorFrame != res.ErrorFrame || doc.ErrorOffset != res.ErrorOffset || doc.Packets != res.Packets {
		t.Errorf("report: stopped %v, stop_reason %q, error_frame %d, error_offset %d, packets %d",
			doc.Stopped, doc.StopReason, doc.ErrorFrame, doc.ErrorOffset, doc.Packets)
	}
	// The same frame in the page's small steps and its 2 MiB Blob reads,
	// and through a pipe's 64 KiB.
	for _, a := range arrivals {
		if a.name != "blob-2MiB" && a.name != "64KiB" {
			continue
		}
		run := analyzer.Start("bomb.pcap.gz", a.wrap(bytes.NewReader(bomb)), budgetOptions(budget))
		for run.Step(512) {
		}
		if got := run.Result(); got.Packets != res.Packets || got.Error != res.Error {
			t.Errorf("%s, 512 at a time: %d packets (%s), want %d", a.name, got.Packets, got.Error, res.Packets)
		}
	}
}

// MaxPackets stops the reading after that many frames, unless the file
// ends there.
func TestBudgetPackets(t *testing.T) {
	data := shapeCapture(shapes[0].frame, 5000)
	tests := []struct {
		max, packets int
		stopped      bool
	}{
		{1000, 1000, true},
		{4999, 4999, true},
		{5000, 5000, false},
		{0, 5000, false},
	}
	for _, tc := range tests {
		opts := analyzer.DefaultOptions()
		opts.Budget.MaxPackets = tc.max
		res := analyzer.Analyze("scan.pcap", bytes.NewReader(data), opts)
		if res.Packets != tc.packets || res.Stopped != tc.stopped {
			t.Errorf("MaxPackets %d: %d packets, stopped %v (%s); want %d, %v", tc.max, res.Packets, res.Stopped, res.Error, tc.packets, tc.stopped)
			continue
		}
		if tc.stopped {
			want := fmt.Sprintf("frame %d at byte %d: packet limit of %d reached; the results cover frames 1 to %d",
				tc.max+1, 24+int64(tc.max)*70, tc.max, tc.max)
			if res.Error != want || res.StopReason != analyzer.StopPackets {
				t.Errorf("MaxPackets %d: %s %q\nwant %q", tc.max, res.StopReason, res.Error, want)
			}
		} else if res.Error != "" || res.StopReason != "" {
			t.Errorf("MaxPackets %d: %s %q", tc.max, res.StopReason, res.Error)
		}
	}
}

// A budget smaller than the reader's own buffers stops before the first
// frame: no frame is read, and the result says so.
func TestBudgetTooSmall(t *testing.T) {
	data := shapeCapture(shapes[0].frame, 10)
	res := analyzer.Analyze("scan.pcap", bytes.NewReader(data), budgetOptions(1<<20))
	want := "frame 1 at byte 24: memory budget of 1 MiB reached (0 frames, 0 TCP streams, 0 UDP flows, 0 hosts held, and room to judge them); the results cover no frame"
	if res.Packets != 0 || !res.Stopped || res.Error != want {
		t.Errorf("%d packets, stopped %v: %q\nwant %q", res.Packets, res.Stopped, res.Error, want)
	}
}

// nameBomb is a pcapng of ifaces interface descriptions with 64 KiB names
// (the most an option holds), a packet on the newest after every 100.
func nameBomb(ifaces int) []byte {
	var b []byte
	le := binary.LittleEndian
	block := func(typ uint32, body []byte) {
		for len(body)%4 != 0 {
			body = append(body, 0)
		}
		b = le.AppendUint32(b, typ)
		b = le.AppendUint32(b, uint32(len(body)+12))
		b = append(b, body...)
		b = le.AppendUint32(b, uint32(len(body)+12))
	}
	block(0x0A0D0D0A, []byte{0x4D, 0x3C, 0x2B, 0x1A, 1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	idb := []byte{1, 0, 0, 0, 0xff, 0xff, 0, 0, 2, 0, 0xff, 0xff}
	idb = append(idb, bytes.Repeat([]byte("n"), 65535)...)
	idb = append(idb, 0, 0, 0, 0, 0, 0)[:len(idb)+1+4] // pad to 4, opt_endofopt
	frame := shapeCapture(shapes[0].frame, 1)[24+16:]
	for i := range ifaces {
		block(1, idb)
		if i%100 == 99 {
			epb := le.AppendUint32(nil, uint32(i))
			epb = append(epb, 0, 0, 0, 0, 0, 0, 0, 0)
			epb = le.AppendUint32(epb, uint32(len(frame)))
			epb = le.AppendUint32(epb, uint32(len(frame)))
			block(6, append(epb, frame...))
		}
	}
	return b
}

// The interface-name bomb: its names are kept to 256 bytes, so 3,000
// interfaces of 64 KiB names (200 MB of file) are read whole in a few
// megabytes; under a budget of 14 MiB the reading stops between two
// blocks, with the packets before judged.
func TestBudgetNameBomb(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: 200 MB of file")
	}
	data := nameBomb(3000)
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	whole := analyzer.Analyze("names.pcapng", bytes.NewReader(data), analyzer.DefaultOptions())
	runtime.GC()
	runtime.ReadMemStats(&after)
	kept := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	t.Logf("%d bytes of file, %d interfaces: %d packets, %.1f MB kept", len(data), len(whole.Info().Interfaces), whole.Packets, float64(kept)/1e6)
	if whole.Error != "" || whole.Packets != 30 || kept > 8<<20 {
		t.Errorf("read whole: %d packets, %d bytes kept, error %q", whole.Packets, kept, whole.Error)
	}
	res := analyzer.Analyze("names.pcapng", bytes.NewReader(data), budgetOptions(14<<20))
	t.Logf("under 14 MiB: %d packets, %d interfaces: %s", res.Packets, len(res.Info().Interfaces), res.Error)
	if !res.Stopped || res.StopReason != analyzer.StopMemory || res.Packets == 0 || res.Packets >= 30 {
		t.Fatalf("stopped %v (%s) after %d packets: %s", res.Stopped, res.StopReason, res.Packets, res.Error)
	}
	if !strings.HasPrefix(res.Error, fmt.Sprintf("frame %d at byte %d: memory budget of 14 MiB reached", res.Packets+1, res.ErrorOffset)) {
		t.Errorf("error %q", res.Error)
	}
	// It stopped between two blocks: after the section header's 28
	// bytes, interface descriptions of 65,564 and packets of 88.
	off := res.ErrorOffset - 28 - int64(res.Packets)*88
	if off <= 0 || off%65564 != 0 {
		t.Errorf("stopped at byte %d, not between two blocks", res.ErrorOffset)
	}
}

// The heap check stops what the account would miss.
func TestBudgetHeapCheck(t *testing.T) {
	res := analyzer.Analyze("scan.pcap", bytes.NewReader(shapeCapture(shapes[0].frame, 10)), budgetOptions(64<<20))
	if res.Stopped {
		t.Fatalf("stopped: %s", res.Error)
	}
	if got := analyzer.HeapOver(64<<20, 100<<20); !strings.Contains(got, "memory budget of 64 MiB reached (the heap holds 100 MiB more than at the start)") {
		t.Errorf("a heap grown by 100 MiB under a budget of 64 MiB: %q", got)
	}
	if got := analyzer.HeapOver(64<<20, 60<<20); got != "" {
		t.Errorf("a heap grown by 60 MiB under a budget of 64 MiB: %q", got)
	}
}

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		err  bool
	}{
		{"0", 0, false},
		{"1048576", 1 << 20, false},
		{"512MB", 512e6, false},
		{"512 MiB", 512 << 20, false},
		{"2GiB", 2 << 30, false},
		{"2g", 2 << 30, false},
		{"1.5G", 3 << 29, false},
		{"100kB", 100e3, false},
		{"64K", 64 << 10, false},
		{"3B", 3, false},
		{"", 0, true},
		{"MB", 0, true},
		{"-1", 0, true},
		{"2 parsecs", 0, true},
		{"1.2.3G", 0, true},
		{"99999999999TB", 0, true},
	}
	for _, tc := range tests {
		got, err := analyzer.ParseSize(tc.in)
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d (error %v)", tc.in, got, err, tc.want, tc.err)
		}
	}
	for n, want := range map[int64]string{100: "100 bytes", 1536: "1.5 KiB", 512 << 20: "512 MiB", 2 << 30: "2 GiB", 3 << 29: "1.5 GiB"} {
		if got := analyzer.FormatSize(n); got != want {
			t.Errorf("FormatSize(%d) = %q, want %q", n, got, want)
		}
	}
}
