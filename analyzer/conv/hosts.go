package conv

import (
	"encoding/binary"
	"net/netip"
)

// HostID numbers an address densely, in the order the capture shows it:
// conversations hold two of them instead of two 16-byte addresses, the
// rules key their groups by them, and a filter on an address compares
// integers.
type HostID int32

// Hosts is a capture's address table. IPv4 addresses hash as a uint32,
// IPv6 ones as 16 bytes; small direct-mapped caches in front of the maps
// spare most lookups, which happen when a conversation starts and, for
// IPv6, twice a packet.
type Hosts struct {
	cache4 *[1 << 12]struct{ addr, id1 uint32 } // id plus one, 0: empty
	cache6 *[1 << 10]cached6
	v4     map[uint32]HostID
	v6     map[[16]byte]HostID
	other  map[netip.Addr]HostID // zoned or invalid addresses
	addrs  []netip.Addr
}

// cached6 is an IPv6 address and its id plus one (0: an empty slot).
type cached6 struct {
	addr [16]byte
	id1  uint32
}

// NewHosts returns an empty table.
func NewHosts() *Hosts { return &Hosts{} }

// ID returns a's id, numbering it if new.
func (h *Hosts) ID(a netip.Addr) HostID {
	id, _ := h.lookup(a, true)
	return id
}

// Find returns a's id without numbering it, ok false when a is unknown.
func (h *Hosts) Find(a netip.Addr) (HostID, bool) { return h.lookup(a, false) }

// Addr is the address of id.
func (h *Hosts) Addr(id HostID) netip.Addr { return h.addrs[id] }

// AddrPort is e's address and port.
func (h *Hosts) AddrPort(e Endpoint) netip.AddrPort {
	return netip.AddrPortFrom(h.addrs[e.Host], e.Port)
}

// Len is the number of addresses.
func (h *Hosts) Len() int { return len(h.addrs) }

func (h *Hosts) lookup(a netip.Addr, add bool) (HostID, bool) {
	n := HostID(len(h.addrs))
	switch {
	case a.Is4():
		b := a.As4()
		k := binary.BigEndian.Uint32(b[:])
		if h.cache4 == nil {
			h.cache4 = new([1 << 12]struct{ addr, id1 uint32 })
		}
		slot := &h.cache4[(k*0x9E3779B1)>>20]
		if slot.addr == k && slot.id1 != 0 {
			return HostID(slot.id1 - 1), true
		}
		if id, ok := h.v4[k]; ok {
			slot.addr, slot.id1 = k, uint32(id)+1
			return id, true
		}
		if !add {
			return -1, false
		}
		if h.v4 == nil {
			h.v4 = make(map[uint32]HostID)
		}
		h.v4[k] = n
		slot.addr, slot.id1 = k, uint32(n)+1
	case a.IsValid() && a.Zone() == "":
		k := a.As16()
		if h.cache6 == nil {
			h.cache6 = new([1 << 10]cached6)
		}
		lo, hi := binary.BigEndian.Uint64(k[:8]), binary.BigEndian.Uint64(k[8:])
		slot := &h.cache6[(lo*0x9E3779B97F4A7C15^hi*0xC2B2AE3D27D4EB4F)>>54]
		if slot.addr == k && slot.id1 != 0 {
			return HostID(slot.id1 - 1), true
		}
		if id, ok := h.v6[k]; ok {
			slot.addr, slot.id1 = k, uint32(id)+1
			return id, true
		}
		if !add {
			return -1, false
		}
		if h.v6 == nil {
			h.v6 = make(map[[16]byte]HostID)
		}
		h.v6[k] = n
		slot.addr, slot.id1 = k, uint32(n)+1
	default:
		if id, ok := h.other[a]; ok {
			return id, true
		}
		if !add {
			return -1, false
		}
		if h.other == nil {
			h.other = make(map[netip.Addr]HostID)
		}
		h.other[a] = n
	}
	h.addrs = append(h.addrs, a)
	return n, true
}
