package conv

import (
	"encoding/binary"
	"net/netip"
)

// index4 finds the current conversation of a 4-tuple of two 32-bit
// addresses and the ports: an open-addressing table with linear probing.
// The tracker keeps two: IPv4 tuples by their raw addresses, so a segment
// of a known conversation costs one probe of a cheap hash and no
// numbering of its addresses (Hosts is asked only when a conversation
// starts), and the others by their host ids (tupleOfIDs).
type index4 struct {
	slots []slot4
	used  int
}

// slot4 is one entry: the tuple in canonical order (lo's address and port
// before hi's) and its conversation.
type slot4 struct {
	lo, hi uint32 // addresses
	ports  uint32 // lo's port << 16 | hi's port
	// v is the conversation's index plus one (0: an empty slot), with
	// bit 31 set when the conversation's A endpoint is hi.
	v uint32
}

const aIsHi = 1 << 31

// tuple4 is a segment's tuple in canonical order, and whether its source
// is the lo side.
type tuple4 struct {
	lo, hi, ports uint32
	srcIsLo       bool
}

// tupleOf4 orders an IPv4 segment's endpoints; ok is false unless both
// addresses are IPv4.
func tupleOf4(src, dst netip.Addr, sport, dport uint16) (t tuple4, ok bool) {
	if !src.Is4() || !dst.Is4() {
		return t, false
	}
	// As16, not As4: it is inlined, As4 (which can panic) is a call.
	s, d := src.As16(), dst.As16()
	a, b := binary.BigEndian.Uint32(s[12:]), binary.BigEndian.Uint32(d[12:])
	if a < b || (a == b && sport <= dport) {
		return tuple4{a, b, uint32(sport)<<16 | uint32(dport), true}, true
	}
	return tuple4{b, a, uint32(dport)<<16 | uint32(sport), false}, true
}

// tupleOfIDs orders a segment's endpoints by host id, for the tuples of
// addresses other than two IPv4 ones (numbered by Hosts first).
func tupleOfIDs(src, dst Endpoint) tuple4 {
	a, b := uint32(src.Host), uint32(dst.Host)
	if a < b || (a == b && src.Port <= dst.Port) {
		return tuple4{a, b, uint32(src.Port)<<16 | uint32(dst.Port), true}
	}
	return tuple4{b, a, uint32(dst.Port)<<16 | uint32(src.Port), false}
}

func (t tuple4) hash() uint64 {
	h := uint64(t.lo)*0x9E3779B97F4A7C15 ^ uint64(t.hi)*0xC2B2AE3D27D4EB4F ^ uint64(t.ports)*0x165667B19E3779F9
	return h ^ h>>31
}

// get returns t's conversation and the direction of t's source in it.
func (x *index4) get(t tuple4) (conv int32, dir Dir, ok bool) {
	if len(x.slots) == 0 {
		return 0, FromA, false
	}
	mask := uint64(len(x.slots) - 1)
	for i := t.hash() & mask; ; i = (i + 1) & mask {
		s := &x.slots[i]
		if s.v == 0 {
			return 0, FromA, false
		}
		if s.lo == t.lo && s.hi == t.hi && s.ports == t.ports {
			dir = FromA
			if (s.v&aIsHi != 0) == t.srcIsLo {
				dir = FromB
			}
			return int32(s.v&^aIsHi) - 1, dir, true
		}
	}
}

// put makes conv, whose A endpoint is t's source, t's conversation.
func (x *index4) put(t tuple4, conv int32) {
	if 4*(x.used+1) > 3*len(x.slots) {
		x.grow()
	}
	v := uint32(conv) + 1
	if !t.srcIsLo {
		v |= aIsHi
	}
	mask := uint64(len(x.slots) - 1)
	for i := t.hash() & mask; ; i = (i + 1) & mask {
		s := &x.slots[i]
		if s.v == 0 {
			*s = slot4{t.lo, t.hi, t.ports, v}
			x.used++
			return
		}
		if s.lo == t.lo && s.hi == t.hi && s.ports == t.ports {
			s.v = v
			return
		}
	}
}

func (x *index4) grow() {
	old := x.slots
	x.slots = make([]slot4, max(1024, 2*len(old)))
	x.used = 0
	mask := uint64(len(x.slots) - 1)
	for _, s := range old {
		if s.v == 0 {
			continue
		}
		t := tuple4{s.lo, s.hi, s.ports, false}
		for i := t.hash() & mask; ; i = (i + 1) & mask {
			if x.slots[i].v == 0 {
				x.slots[i] = s
				x.used++
				break
			}
		}
	}
}
