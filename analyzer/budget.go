package analyzer

import (
	"fmt"
	"math"
	"runtime/metrics"
	"strconv"
	"strings"
	"unsafe"

	"github.com/portlens/portlens/analyzer/conv"
)

// Budget bounds the work of one analysis, so that a capture made to
// exhaust memory (a 1 MB gzip file of 67 million empty records, 20,000
// interfaces with 64 KiB names) ends in a result rather than a crash:
// before the analysis would take more, the reading stops as Run.Stop
// stops it, and what was read is judged and shown, with Result.Stopped
// set and Result.Error saying why and where.
type Budget struct {
	// MaxMemory is the memory the analysis may take, in bytes: what it
	// holds, what judging it takes, and the garbage collector's room
	// (gcRoom); 0 for no bound. The process's own memory (the Go
	// runtime, the command or the page) comes on top.
	MaxMemory int64
	// MaxPackets stops the reading after that many frames; 0 for no
	// bound but maxFrames.
	MaxPackets int
}

// Why the reading stopped before the end of the file (Result.StopReason).
const (
	StopCancel  = "cancel"  // Run.Stop: the user's Cancel
	StopMemory  = "memory"  // Budget.MaxMemory
	StopPackets = "packets" // Budget.MaxPackets, or maxFrames
)

// maxFrames bounds every analysis: frame numbers are 32-bit in the flags
// and their evidence, as in Wireshark (frame.number is a uint32).
const maxFrames = math.MaxInt32

// checkEvery is how many frames are read between two looks at the
// budget (also when a pcapng reader pauses between blocks that hold no
// frame): counted in frames, not in time or steps, so that the same file
// stops at the same frame in the page and the command. A look costs a
// few multiplications and a runtime/metrics read (no stop-the-world).
const checkEvery = 4096

// What the analysis holds, in bytes. The account is deterministic (it
// follows what was read, not the heap) and a bound from above of what is
// live while it reads, judges and the page summarizes, checked on
// captures of every shape it counts by TestBudgetCoversHeap (the live
// heap's peak is 50 to 90% of it).
const (
	// 16 frames: 4-byte references and 2-byte small fields (Frames), an
	// 8-byte offset, and 4 bytes each for a view that lists frames (a
	// display filter's selection): 10.5 bytes a frame, empty or not.
	frameCost16 = 16*(4+2) + 8 + 16*4
	// A TCP conversation: its 176-byte record, its tracker entry (an
	// open-addressing slot of 16 bytes at most 3/4 full, doubled as it
	// grows, or a map entry), a bare-ACK answer, and judging it.
	convCost = 176 + 64 + 48 + judgeConv
	// A UDP flow: its record, its map entry, and judging it.
	udpFlowCost = int64(unsafe.Sizeof(conv.UDPFlow{})) + 64 + judgeFlow
	// An SCTP association: its record in a slice grown by append (so
	// twice its size), its map entry, and judging it.
	sctpCost = 2*int64(unsafe.Sizeof(conv.Association{})) + 48 + judgeFlow
	// A host: its 24-byte address in a slice grown by append (three
	// times, while it is copied), its map entry, and judging it.
	hostCost = 3*24 + 48 + judgeHost
	// What judging takes for each, measured: the rules' groups, host
	// tables and evidence (a DNS query source a flow at worst), the flags
	// at 16 bytes with their findings, the page's summaries of services
	// and clients.
	judgeConv, judgeFlow, judgeHost = 160, 256, 256
	// The decoder's tables (the IP fragments it holds, which it bounds)
	// and the rules' fixed part.
	decoderFixed, judgeFixed = 4 << 20, 4 << 20
)

// gcRoom is the heap the garbage collector needs over what is live: the
// command collects when the heap has grown by half (GOGC 50), the page by
// a quarter once it is big (GOGC 25). The budget is compared with what
// the analysis holds times gcRoom (3/2), the same in both, so that they
// stop at the same frame.
const gcRoomNum, gcRoomDen = 3, 2

// holding counts what the analysis holds so far.
type holding struct {
	frames, conversations, udpFlows, associations, hosts int
	reader                                               int64
}

// bytes is what holding them and judging them takes, in bytes.
func (h holding) bytes() int64 {
	n := (int64(h.frames)+15)/16*frameCost16 + decoderFixed + judgeFixed + h.reader
	n += int64(h.conversations)*convCost + int64(h.udpFlows)*udpFlowCost
	n += int64(h.associations)*sctpCost + int64(h.hosts)*hostCost
	return n
}

// budgetWatch looks at the budget while a Run reads.
type budgetWatch struct {
	Budget
	// live is the heap the last garbage collection found live (liveHeap);
	// liveAtStart its value when the analysis started: the heap check
	// counts the growth, as the account does.
	live        func() uint64
	liveAtStart uint64
}

func newBudgetWatch(b Budget) *budgetWatch {
	w := &budgetWatch{Budget: b, live: liveHeap()}
	if b.MaxMemory > 0 {
		w.liveAtStart = w.live()
	}
	return w
}

// liveHeap returns a reader of the heap the last garbage collection found
// live (runtime/metrics: no stop of the world, unlike ReadMemStats), 0
// when the runtime does not say.
func liveHeap() func() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	return func() uint64 {
		metrics.Read(s)
		if s[0].Value.Kind() != metrics.KindUint64 {
			return 0
		}
		return s[0].Value.Uint64()
	}
}

// packetLimit is the frames the reading may go to.
func (w *budgetWatch) packetLimit() int {
	if w.MaxPackets > 0 && w.MaxPackets < maxFrames {
		return w.MaxPackets
	}
	return maxFrames
}

// over says why h is past the budget, "" while it is not: first the
// account, then the live heap the last collection found, grown since the
// start. The account is above the live heap (TestBudgetCoversHeap), so
// the heap check stops only what the account misses, when the live heap
// alone has grown past the whole budget: it cannot count on the
// collector's room, since what a collection calls live includes what was
// allocated while it ran (the kept decompressed stream, reallocated as it
// grows, counts twice for a moment). Where it stops depends on when the
// collector ran: not always at the same frame.
func (w *budgetWatch) over(h holding) string {
	if w.MaxMemory <= 0 {
		return ""
	}
	if need := h.bytes() * gcRoomNum / gcRoomDen; need > w.MaxMemory {
		return fmt.Sprintf("memory budget of %s reached (%s, %s, %s, %s held, and room to judge them)", FormatSize(w.MaxMemory),
			count(h.frames, "frame"), count(h.conversations, "TCP stream"), count(h.udpFlows, "UDP flow"), count(h.hosts, "host"))
	}
	if live := w.live(); live > w.liveAtStart {
		if grown := int64(live - w.liveAtStart); grown > w.MaxMemory {
			return fmt.Sprintf("memory budget of %s reached (the heap holds %s more than at the start)",
				FormatSize(w.MaxMemory), FormatSize(int64(live-w.liveAtStart)))
		}
	}
	return ""
}

// FormatSize writes a number of bytes in binary units: "512 MiB", "2 GiB",
// "1.5 GiB", "100 bytes".
func FormatSize(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d bytes", n)
	}
	v, i := float64(n), -1
	for v >= unit && i < 5 {
		v /= unit
		i++
	}
	name := []string{"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}[i]
	if v == math.Trunc(v) {
		return fmt.Sprintf("%.0f %s", v, name)
	}
	return fmt.Sprintf("%.1f %s", v, name)
}

// ParseSize reads a size as --max-memory takes it: a number of bytes,
// or a number (1.5 allowed) and a unit, as GNU dd reads them: kB, MB,
// GB, TB are powers of 1000; K, M, G, T and KiB, MiB, GiB, TiB powers of
// 1024 (upper or lower case; "B" alone, bytes).
func ParseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	i := strings.IndexFunc(t, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
	num, unit := t, ""
	if i >= 0 {
		num, unit = t[:i], strings.TrimSpace(t[i:])
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || v < 0 || num == "" {
		return 0, fmt.Errorf("size %q: want a number of bytes, or a number and a unit (512MB, 2GiB)", s)
	}
	mult, ok := sizeUnits[strings.ToLower(unit)]
	if !ok {
		return 0, fmt.Errorf("size %q: unknown unit %q (want B, kB, MB, GB, TB or K, M, G, T, KiB, MiB, GiB, TiB)", s, unit)
	}
	if v*mult >= math.MaxInt64 {
		return 0, fmt.Errorf("size %q is too large", s)
	}
	return int64(v * mult), nil
}

var sizeUnits = map[string]float64{
	"": 1, "b": 1,
	"kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12,
	"k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40,
	"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40,
}

// count is "1 frame", "2 frames".
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}
