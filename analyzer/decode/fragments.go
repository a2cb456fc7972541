package decode

import (
	"net/netip"
)

// IP reassembly the way Wireshark 4.4 does it (epan/reassemble.c,
// fragment_add_check, called by packet-ip.c and packet-ipv6.c):
//
//   - A datagram is whole once the bytes that arrived cover it from 0 to
//     the end the first fragment without "more fragments" gave; a later
//     tail with another end changes nothing. Overlaps and duplicates count
//     only for the bytes they add.
//   - Each byte of the datagram comes from the fragment with the lowest
//     offset holding it, the earliest of those that share that offset
//     (Wireshark sorts its fragment list by offset and copies, in that
//     order, only what the previous ones did not hold).
//   - Once whole, the datagram leaves the table: a later fragment with the
//     same key starts a new one.
//
// Wireshark keeps every fragment until its datagram completes, however
// many, and never drops a datagram (4.4 has no cap on either). Only the
// start of a datagram matters to the analysis (the transport header), so
// portlens keeps its first 128 bytes and, instead of the fragments, how
// far the bytes from 0 reach and, past the first gap, the longest fragment
// at each 8-byte offset (fragments_cover.go): at most 17 KiB a datagram
// whatever the number of fragments, each costing O(1). So a datagram
// takes any number of fragments, as in Wireshark, and only the table as a
// whole is capped (fragmentTableBytes): past it the datagrams least
// recently added to are dropped, and counted (Reassembly).

const (
	fragmentHeadBytes = 128
	// fragmentTableBytes caps what the incomplete datagrams hold together.
	// Real captures come nowhere near it (it holds 30,000 small datagrams,
	// or 1,000 of 64 KiB arriving last fragment first); a capture built to
	// fill memory with fragments that never complete stops here.
	fragmentTableBytes = 16 << 20
	// fragmentEntryBytes is what a datagram costs before its coverage
	// chunks: the entry (head bytes and their owners) and its map slot.
	fragmentEntryBytes = 512
)

// fragmentKey names a datagram: its addresses (as 16 bytes: no pointer
// for the collector to follow, fewer bytes to hash than netip.Addr's),
// its identification and the IP version.
type fragmentKey struct {
	src, dst [16]byte
	id       uint32
	v6       bool
}

func newFragmentKey(src, dst netip.Addr, id uint32, v6 bool) fragmentKey {
	return fragmentKey{src: src.As16(), dst: dst.As16(), id: id, v6: v6}
}

// ipv4FragmentID is the identification packet-ip.c reassembles an IPv4
// datagram under, with the addresses: the protocol XORed into the IP
// identification (two datagrams whose XORs match are one to Wireshark),
// and the VLAN id too when either address is private or link-local (so
// that the same private addresses on two VLANs stay apart). The addresses
// it also XORs in cancel out between fragments with the same addresses.
func ipv4FragmentID(proto uint8, id uint16, src, dst netip.Addr, vlan int) uint32 {
	k := uint32(proto) ^ uint32(id)
	if vlan > 0 && (src.IsPrivate() || dst.IsPrivate() || src.IsLinkLocalUnicast() || dst.IsLinkLocalUnicast()) {
		k ^= uint32(vlan)
	}
	return k
}

// fragmentEntry is one incomplete datagram, on the table's list from the
// most to the least recently added to.
type fragmentEntry struct {
	key          fragmentKey
	newer, older *fragmentEntry
	fragments    int
	cover        coverage
	head         [fragmentHeadBytes]byte
	// owner[i] is 1 + the 8-byte offset of the fragment head[i] came from,
	// 0 while none held it.
	owner [fragmentHeadBytes]uint8
}

// keepHead copies what a fragment at off brings to the first 128 bytes:
// the bytes no fragment at a lower offset (or an earlier one at the same
// offset) holds.
func (e *fragmentEntry) keepHead(off int, payload []byte) {
	if off >= fragmentHeadBytes {
		return
	}
	o := uint8(off/8 + 1)
	n := min(len(payload), fragmentHeadBytes-off)
	head, owner := e.head[off:off+n], e.owner[off:off+n]
	for i, w := range owner {
		if w == 0 || o < w {
			head[i], owner[i] = payload[i], o
		}
	}
}

func (e *fragmentEntry) bytes() int { return fragmentEntryBytes + e.cover.bytes() }

// Reassembly says what the fragment table dropped to stay within its cap.
type Reassembly struct {
	// Datagrams is how many incomplete datagrams were dropped, Fragments
	// how many fragments they had received. A fragment that comes after
	// its datagram was dropped starts it again.
	Datagrams, Fragments int
	// Limit is the cap, in bytes held by incomplete datagrams.
	Limit int
}

// Hit reports whether the cap dropped anything.
func (r Reassembly) Hit() bool { return r.Datagrams > 0 }

type fragments struct {
	table          map[fragmentKey]*fragmentEntry
	newest, oldest *fragmentEntry
	held           int // bytes, as fragmentEntry.bytes counts them
	limit          int // the cap; 0 is fragmentTableBytes
	spare          *fragmentEntry
	chunks         chunkPool
	dropped        Reassembly
	// done is reused to return the completed datagram's head.
	done [fragmentHeadBytes]byte
}

func (f *fragments) capBytes() int {
	if f.limit > 0 {
		return f.limit
	}
	return fragmentTableBytes
}

// stats returns what was dropped, with the cap.
func (f *fragments) stats() Reassembly {
	r := f.dropped
	r.Limit = f.capBytes()
	return r
}

// add records one fragment of at least one byte (Wireshark skips empty
// ones) at offset off, a multiple of 8. When it completes its datagram,
// add returns the datagram's leading bytes (valid until the next add) and
// its length.
func (f *fragments) add(key fragmentKey, off int, more bool, payload []byte) (head []byte, total int, done bool) {
	if len(payload) == 0 {
		return nil, 0, false
	}
	e := f.table[key]
	if e == nil {
		e = f.open(key)
	} else {
		f.touch(e)
	}
	before := e.bytes()
	e.fragments++
	e.keepHead(off, payload)
	e.cover.add(off, len(payload), more, &f.chunks)
	f.held += e.bytes() - before
	if total, ok := e.cover.whole(); ok {
		n := copy(f.done[:], e.head[:min(total, fragmentHeadBytes)])
		f.close(e)
		return f.done[:n], total, true
	}
	f.evict(e)
	return nil, 0, false
}

// open puts a new datagram at the head of the list.
func (f *fragments) open(key fragmentKey) *fragmentEntry {
	if f.table == nil { // made on the first fragment: most captures have none
		f.table = make(map[fragmentKey]*fragmentEntry)
	}
	e := f.spare
	if e != nil { // its chunk directory, emptied, is kept
		f.spare = nil
		dir := e.cover.pending
		*e = fragmentEntry{}
		e.cover.pending = dir
	} else {
		e = new(fragmentEntry)
	}
	e.key = key
	e.cover.reset()
	f.table[key] = e
	f.link(e)
	f.held += e.bytes()
	return e
}

// close takes a datagram off the table (whole, or dropped).
func (f *fragments) close(e *fragmentEntry) {
	f.held -= e.bytes()
	delete(f.table, e.key)
	f.unlink(e)
	e.cover.release(&f.chunks)
	f.spare = e
}

// evict drops the datagrams least recently added to while the table holds
// more than its cap; keep, the one just added to, stays.
func (f *fragments) evict(keep *fragmentEntry) {
	for f.held > f.capBytes() && f.oldest != nil && f.oldest != keep {
		e := f.oldest
		f.dropped.Datagrams++
		f.dropped.Fragments += e.fragments
		f.close(e)
	}
}

func (f *fragments) link(e *fragmentEntry) {
	e.newer, e.older = nil, f.newest
	if f.newest != nil {
		f.newest.newer = e
	}
	f.newest = e
	if f.oldest == nil {
		f.oldest = e
	}
}

func (f *fragments) unlink(e *fragmentEntry) {
	if e.newer != nil {
		e.newer.older = e.older
	} else {
		f.newest = e.older
	}
	if e.older != nil {
		e.older.newer = e.newer
	} else {
		f.oldest = e.newer
	}
	e.newer, e.older = nil, nil
}

func (f *fragments) touch(e *fragmentEntry) {
	if f.newest != e {
		f.unlink(e)
		f.link(e)
	}
}

// Reassembly reports what the IP fragment table dropped to stay within its
// cap, over everything this Decoder decoded.
func (d *Decoder) Reassembly() Reassembly { return d.frags.stats() }
