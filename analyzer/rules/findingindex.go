package rules

// findingIndex maps finding keys to finding numbers while the flags are
// grouped: an open-addressing table on the key packed into two words. A
// Go map hashes the 20-byte key struct byte by byte (memhash, which under
// wasm has no hardware help): it was 15% of grouping natively and more in
// the page, where grouping is half of judging.
type findingIndex struct {
	slots []findingSlot
	used  int
}

// findingSlot holds a packed key and its finding's number plus one (0: an
// empty slot).
type findingSlot struct {
	a, b uint64
	g1   int32
}

// pack puts every field of k in its own bits of two words, so that two
// keys are equal exactly when their packings are.
func (k findingKey) pack() (a, b uint64) {
	a = uint64(k.kind)<<56 | uint64(k.class)<<48 | uint64(k.port)<<32 | uint64(uint32(k.host))
	b = uint64(k.peer.Port)<<32 | uint64(uint32(k.peer.Host))
	if k.fixed {
		b |= 1 << 48
	}
	return a, b
}

// find returns k's finding number, adding k as number next if it is new.
func (x *findingIndex) find(k findingKey, next int32) int32 {
	if 4*(x.used+1) > 3*len(x.slots) {
		x.grow()
	}
	a, b := k.pack()
	mask := uint64(len(x.slots) - 1)
	for i := slotHash(a, b) & mask; ; i = (i + 1) & mask {
		s := &x.slots[i]
		if s.g1 == 0 {
			*s = findingSlot{a: a, b: b, g1: next + 1}
			x.used++
			return next
		}
		if s.a == a && s.b == b {
			return s.g1 - 1
		}
	}
}

// slotHash mixes every bit of both words into the low bits the table
// indexes by (MurmurHash3's 64-bit finalizer): kinds and classes are in
// the top bits of a, which a multiplication alone never carries down.
func slotHash(a, b uint64) uint64 {
	h := a ^ b*0x9E3779B97F4A7C15
	h ^= h >> 33
	h *= 0xFF51AFD7ED558CCD
	h ^= h >> 33
	h *= 0xC4CEB9FE1A85EC53
	return h ^ h>>33
}

// grow doubles the table (at least 64 slots) and puts the keys back.
func (x *findingIndex) grow() {
	old := x.slots
	x.slots = make([]findingSlot, max(64, 2*len(old)))
	mask := uint64(len(x.slots) - 1)
	for _, s := range old {
		if s.g1 == 0 {
			continue
		}
		i := slotHash(s.a, s.b) & mask
		for x.slots[i].g1 != 0 {
			i = (i + 1) & mask
		}
		x.slots[i] = s
	}
}
