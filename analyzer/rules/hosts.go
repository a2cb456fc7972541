package rules

import (
	"encoding/binary"
	"fmt"
	"net/netip"

	"github.com/portlens/portlens/analyzer/conv"
)

// HostPreset is the preset one host is judged by, and why.
type HostPreset struct {
	Host   netip.Addr
	Preset Preset
	// Inferred is set when auto chose Preset from the host's own ports.
	Inferred bool
	// Connections counts the connections the host opened (SYN or SYN/ACK
	// captured); InRange how many of them used a source port inside
	// Preset.Ephemeral; Lowest and Highest bound those source ports.
	Connections, InRange int
	Lowest, Highest      uint16
	// Why says in words how the preset was chosen, with the numbers.
	Why string
}

// clientIsA reports, for a conversation whose handshake was captured (a
// SYN or a SYN/ACK, so its client is known to have opened it), whether
// its client is A (as Conversation.Client decides).
func clientIsA(c *conv.Conversation) bool {
	if c.SYN.Frame > 0 {
		return c.SYNDir == conv.FromA
	}
	return c.SYNACKDir == conv.FromB
}

// ResolveHosts gives every TCP host of the capture its preset. Under
// auto, a host that opened at least s.AutoMinConnections connections gets
// the preset of the narrowest preset range holding s.AutoShare of their
// source ports; the others, and every host under a named preset, get the
// chosen (or fallback) preset.
func ResolveHosts(in *Input, s Settings) map[netip.Addr]HostPreset {
	t := newHostTable(in, s.withDefaults())
	out := make(map[netip.Addr]HostPreset, len(t.addrs))
	for id, a := range t.addrs {
		out[a] = *t.host(int32(id))
	}
	return out
}

// hostTable numbers the TCP hosts of a capture densely (addresses hash
// as integers, not as netip.Addr) and counts, per host, what ResolveHosts
// needs; each host's preset is resolved on first use.
type hostTable struct {
	s        Settings
	fallback Preset
	auto     bool
	// custom, when set, gives each host's preset instead (ReusedPortsFlags).
	custom func(netip.Addr) Preset
	addrIndex
	stats []hostStats
	// inPreset counts, under auto, each host's source ports inside each
	// of Presets' ranges: len(Presets) counters a host.
	inPreset []int32
	hosts    []HostPreset
	resolved []bool
	words    []string // presetWords of each host's preset, once built
	// ends are the host ids of each conversation's A and B.
	ends []hostEnds
	// syns and synacks list the conversations with a captured SYN, and
	// SYN/ACK, with their sender; reused those that reused ports;
	// resent those whose SYN was sent twice or more (the least SYNMin).
	syns, synacks  []sent
	reused, resent []int32
}

// sent is one conversation's SYN or SYN/ACK: the conversation, and its
// sender's host id and port.
type sent struct {
	conv, host int32
	port       uint16
}

// sentBy returns the sender of c's SYN/ACK (synack) or SYN, and its peer.
func sentBy(c *conv.Conversation, synack bool) (src, dst netip.AddrPort) {
	if synack {
		return endpointsOf(c, c.SYNACKDir)
	}
	return endpointsOf(c, c.SYNDir)
}

type hostEnds struct{ a, b int32 }

// sent describes conversation i's segment sent in direction d.
func (e hostEnds) sent(i int, c *conv.Conversation, d conv.Dir) sent {
	if d == conv.FromA {
		return sent{int32(i), e.a, c.A.Port()}
	}
	return sent{int32(i), e.b, c.B.Port()}
}

type hostStats struct {
	conns      int
	inFallback int
	lo, hi     uint16
}

func newHostTable(in *Input, s Settings) *hostTable {
	t := &hostTable{s: s, fallback: s.preset(), auto: s.Preset == "auto",
		ends: make([]hostEnds, len(in.Conversations)),
		syns: make([]sent, 0, len(in.Conversations)), synacks: make([]sent, 0, len(in.Conversations))}
	fr := t.fallback.Ephemeral
	np := len(Presets)
	for i := range in.Conversations {
		in.Pacer.Tick()
		c := &in.Conversations[i]
		e := hostEnds{t.id(c.A.Addr()), t.id(c.B.Addr())}
		t.ends[i] = e
		if c.ReusedBy.Frame != 0 && c.PrevStream >= 0 {
			t.reused = append(t.reused, int32(i))
		}
		if c.SYN.Frame != 0 {
			t.syns = append(t.syns, e.sent(i, c, c.SYNDir))
			if c.SYNCount >= 2 {
				t.resent = append(t.resent, int32(i))
			}
		}
		if c.SYNACK.Frame != 0 {
			t.synacks = append(t.synacks, e.sent(i, c, c.SYNACKDir))
		}
		if c.SYN.Frame == 0 && c.SYNACK.Frame == 0 {
			continue
		}
		id, port := e.a, c.A.Port()
		if !clientIsA(c) {
			id, port = e.b, c.B.Port()
		}
		h := &t.stats[id]
		h.conns++
		h.lo, h.hi = min(h.lo, port), max(h.hi, port)
		if fr.Contains(port) {
			h.inFallback++
		}
		if t.auto {
			counts := t.inPreset[int(id)*np : int(id)*np+np]
			for j := range Presets {
				if Presets[j].Ephemeral.Contains(port) {
					counts[j]++
				}
			}
		}
	}
	t.hosts = make([]HostPreset, len(t.addrs))
	t.resolved = make([]bool, len(t.addrs))
	t.words = make([]string, len(t.addrs))
	return t
}

// addrIndex numbers addresses densely in order of first appearance;
// IPv4 addresses hash as a uint32, IPv6 ones as 16 bytes.
type addrIndex struct {
	// cache4 holds recently seen IPv4 addresses, direct-mapped by a
	// multiplicative hash, with their id plus one (0: empty): it spares
	// most map lookups.
	cache4 *[1 << 12]struct{ addr, id1 uint32 }
	v4     map[uint32]int32
	v6     map[[16]byte]int32
	other  map[netip.Addr]int32 // zoned or invalid addresses
	addrs  []netip.Addr
}

// lookup returns the id of a, numbering it if new (added set).
func (x *addrIndex) lookup(a netip.Addr) (id int32, added bool) {
	n := int32(len(x.addrs))
	if a.Is4() {
		b := a.As4()
		k := binary.BigEndian.Uint32(b[:])
		if x.cache4 == nil {
			x.cache4 = new([1 << 12]struct{ addr, id1 uint32 })
		}
		slot := &x.cache4[(k*0x9E3779B1)>>20]
		if slot.addr == k && slot.id1 != 0 {
			return int32(slot.id1 - 1), false
		}
		if id, ok := x.v4[k]; ok {
			slot.addr, slot.id1 = k, uint32(id)+1
			return id, false
		}
		if x.v4 == nil {
			x.v4 = make(map[uint32]int32)
		}
		x.v4[k] = n
		slot.addr, slot.id1 = k, uint32(n)+1
	} else if a.IsValid() && a.Zone() == "" {
		k := a.As16()
		if id, ok := x.v6[k]; ok {
			return id, false
		}
		if x.v6 == nil {
			x.v6 = make(map[[16]byte]int32)
		}
		x.v6[k] = n
	} else {
		if id, ok := x.other[a]; ok {
			return id, false
		}
		if x.other == nil {
			x.other = make(map[netip.Addr]int32)
		}
		x.other[a] = n
	}
	x.addrs = append(x.addrs, a)
	return n, true
}

// id returns the host id of a, numbering it if new.
func (t *hostTable) id(a netip.Addr) int32 {
	id, added := t.lookup(a)
	if added {
		t.stats = append(t.stats, hostStats{lo: 65535})
		if t.auto {
			t.inPreset = append(t.inPreset, make([]int32, len(Presets))...)
		}
	}
	return id
}

// preset is the preset host id is judged by.
func (t *hostTable) preset(id int32) *Preset {
	if t.custom != nil {
		if !t.resolved[id] {
			t.resolved[id] = true
			t.hosts[id].Preset = t.custom(t.addrs[id])
		}
		return &t.hosts[id].Preset
	}
	if !t.auto {
		return &t.fallback // every host's, unchanged
	}
	return &t.host(id).Preset
}

// presetWords is presetWords(*t.preset(id)), built once a host.
func (t *hostTable) presetWords(id int32) string {
	if !t.auto && t.custom == nil {
		id = 0 // every host has the fallback
	}
	if t.words[id] == "" {
		t.words[id] = presetWords(*t.preset(id))
	}
	return t.words[id]
}

// host resolves host id's preset, once.
func (t *hostTable) host(id int32) *HostPreset {
	h := &t.hosts[id]
	if t.resolved[id] {
		return h
	}
	t.resolved[id] = true
	s, fallback, a, st := t.s, t.fallback, t.addrs[id], t.stats[id]
	*h = HostPreset{Host: a, Preset: fallback, Connections: st.conns, Lowest: st.lo, Highest: st.hi}
	switch {
	case s.Preset != "auto":
		h.Why = fmt.Sprintf("%s, chosen with --os %s", fallback.Label, s.Preset)
	case h.Connections == 0:
		h.Why = fmt.Sprintf("%s, the fallback: %s opened no connection in the capture", fallback.Label, a)
	case h.Connections < s.AutoMinConnections:
		h.Why = fmt.Sprintf("%s, the fallback: %s opened only %d connection(s), fewer than the %d auto needs",
			fallback.Label, a, h.Connections, s.AutoMinConnections)
	default:
		np := len(Presets)
		infer(h, t.inPreset[int(id)*np:int(id)*np+np], s, fallback)
	}
	if h.Connections == 0 {
		h.Lowest = 0
	}
	if s.Preset == "auto" && !h.Inferred {
		h.Preset.Source = h.Why + "; " + h.Preset.Source
		h.Preset.Assumed = true
	}
	if !h.Inferred {
		h.InRange = st.inFallback
	}
	return h
}

// infer picks the narrowest preset range holding s.AutoShare of the
// host's h.Connections source ports (inPreset[i] of them in Presets[i]'s
// range), preferring the fallback among presets with the same range.
func infer(h *HostPreset, inPreset []int32, s Settings, fallback Preset) {
	need := s.AutoShare * float64(h.Connections)
	best, bestIn := -1, 0
	for i, p := range Presets {
		n := int(inPreset[i])
		if float64(n) < need {
			continue
		}
		if best < 0 || p.Ephemeral.Size() < Presets[best].Ephemeral.Size() ||
			(p.Ephemeral == Presets[best].Ephemeral && p.Name == s.Default) {
			best, bestIn = i, n
		}
	}
	if best < 0 {
		h.Why = fmt.Sprintf("%s, the fallback: no preset range holds %.0f%% of the %d connections %s opened (source ports %d-%d)",
			fallback.Label, 100*s.AutoShare, h.Connections, h.Host, h.Lowest, h.Highest)
		return
	}
	p := Presets[best]
	var same []string
	for _, q := range Presets {
		if q.Ephemeral == p.Ephemeral && q.Name != p.Name {
			same = append(same, q.Name)
		}
	}
	h.Inferred, h.InRange = true, bestIn
	h.Why = fmt.Sprintf("%s, inferred by auto: %d of the %d connections %s opened used source ports in %s, the narrowest preset range holding at least %.0f%% of them",
		p.Label, bestIn, h.Connections, h.Host, p.Ephemeral, 100*s.AutoShare)
	if len(same) > 0 {
		h.Why += fmt.Sprintf(" (%s share the range; their TIME_WAIT differs)", joinWords(same))
	}
	p.Label += " (inferred)"
	p.Source = h.Why + "; " + p.Source
	h.Preset = p
}
