package decode

import (
	"runtime"
	"testing"
)

// maxEntryBytes is the most one datagram can hold: the entry, a full
// directory of chunks and every chunk.
const maxEntryBytes = fragmentEntryBytes + 8*maxBlocks/chunkBlocks + chunkBytes*maxBlocks/chunkBlocks

// checkHeld recounts what the table holds and compares it with its running
// count, the cap and the per-datagram bound.
func checkHeld(t *testing.T, f *fragments) {
	t.Helper()
	sum, n := 0, 0
	for e := f.newest; e != nil; e = e.older {
		b := e.bytes()
		if b > maxEntryBytes {
			t.Errorf("a datagram holds %d bytes, more than the bound %d", b, maxEntryBytes)
		}
		sum += b
		n++
	}
	if n != len(f.table) {
		t.Errorf("%d datagrams on the list, %d in the map", n, len(f.table))
	}
	if sum != f.held {
		t.Errorf("the table counts %d bytes held, its datagrams %d", f.held, sum)
	}
	if f.held > f.capBytes() {
		t.Errorf("the table holds %d bytes, over its cap of %d", f.held, f.capBytes())
	}
}

// Every flood of a million fragments stays within the caps; one datagram
// takes all its fragments without a count cap (as in Wireshark, which has
// none), and the one that completes after a million fragments completes.
func TestFragmentFloodsStayWithinCaps(t *testing.T) {
	n := 1_000_000
	if testing.Short() {
		n = 100_000
	}
	for _, s := range floodShapes {
		t.Run(s.name, func(t *testing.T) {
			fl := newFlood(s, n)
			d := NewDecoder()
			var p Packet
			for from := 0; from < n; from += n / 10 {
				if got := fl.feed(d, &p, from, min(from+n/10, n)); got > 0 && (s.name != "completes" || from+n/10 < n) {
					t.Fatalf("%d datagrams completed in fragments %d-%d", got, from, from+n/10)
				}
				checkHeld(t, &d.frags)
			}
			r := d.Reassembly()
			switch s.name {
			case "completes":
				if !p.Reassembled || len(d.frags.table) != 0 {
					t.Fatalf("the last of %d fragments did not complete the datagram (reassembled %v, %d left)", n, p.Reassembled, len(d.frags.table))
				}
			case "datagrams", "ipv6-datagrams":
				if !r.Hit() || r.Fragments != r.Datagrams || r.Datagrams+len(d.frags.table) != n {
					t.Fatalf("%d fragments of a datagram each: %d dropped (%d fragments), %d held", n, r.Datagrams, r.Fragments, len(d.frags.table))
				}
			default:
				if r.Hit() || len(d.frags.table) != 1 {
					t.Fatalf("one datagram: %d dropped, %d held", r.Datagrams, len(d.frags.table))
				}
			}
			t.Logf("%d fragments: %d datagrams held in %d bytes, %d dropped", n, len(d.frags.table), d.frags.held, r.Datagrams)
		})
	}
}

// The memory the table holds after a flood, measured by the runtime, stays
// near its count of bytes held, which stays under the cap.
func TestFragmentTableMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	for _, s := range floodShapes {
		if s.name != "datagrams" && s.name != "ipv6-datagrams" {
			continue
		}
		t.Run(s.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			d := NewDecoder()
			var p Packet
			n := 400_000
			newFlood(s, n).feed(d, &p, 0, n)
			runtime.GC()
			runtime.ReadMemStats(&after)
			grown := int64(after.HeapAlloc) - int64(before.HeapAlloc)
			// The parsers and layers of a Decoder, the flood's buffer, the
			// map's empty slots and allocation size classes come on top.
			if limit := int64(fragmentTableBytes)*5/4 + 1<<20; grown > limit {
				t.Errorf("the heap grew by %d bytes after %d fragments, over %d (the table counts %d held)", grown, n, limit, d.frags.held)
			}
			t.Logf("heap grew by %.1f MiB; the table counts %.1f MiB held in %d datagrams", float64(grown)/(1<<20), float64(d.frags.held)/(1<<20), len(d.frags.table))
			runtime.KeepAlive(d)
		})
	}
}

// At the cap the datagrams least recently added to go first; one still
// being added to stays, and completes.
func TestFragmentTableDropsLeastRecent(t *testing.T) {
	f := fragments{limit: 4 * fragmentEntryBytes}
	key := func(id uint32) fragmentKey { return fragmentKey{src: refKeys[0].src, dst: refKeys[0].dst, id: id} }
	byte8 := make([]byte, 8)
	f.add(key(1), 0, true, byte8) // from 0: no chunk held
	for id := uint32(2); id <= 4; id++ {
		f.add(key(id), 0, true, byte8)
	}
	f.add(key(1), 8, true, byte8) // 1 is now the most recent
	if r := f.stats(); r.Hit() {
		t.Fatalf("dropped %d datagrams within the cap", r.Datagrams)
	}
	f.add(key(5), 0, true, byte8) // over: 2, the least recent, goes
	r := f.stats()
	if r.Datagrams != 1 || r.Fragments != 1 || f.table[key(2)] != nil || f.table[key(1)] == nil {
		t.Fatalf("dropped %d datagrams (%d fragments); 2 held %v, 1 held %v", r.Datagrams, r.Fragments, f.table[key(2)] != nil, f.table[key(1)] != nil)
	}
	if _, total, done := f.add(key(1), 16, false, byte8); !done || total != 24 {
		t.Fatalf("datagram 1 did not complete: %v, length %d", done, total)
	}
	// A fragment of the dropped datagram starts it again.
	if _, _, done := f.add(key(2), 8, false, byte8); done {
		t.Fatal("a dropped datagram completed with a fragment it lacked")
	}
	checkHeld(t, &f)
}
