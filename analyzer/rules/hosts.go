package rules

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

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
	return t.all()
}

// HostPresets are the presets the verdict judged each host by, resolved
// for every host that appears in a conversation.
func (v *Verdict) HostPresets() map[netip.Addr]HostPreset { return v.hosts.all() }

func (t *hostTable) all() map[netip.Addr]HostPreset {
	out := make(map[netip.Addr]HostPreset, len(t.stats))
	for id := range t.stats {
		if t.seen[id] {
			out[t.addrs.Addr(conv.HostID(id))] = *t.host(conv.HostID(id))
		}
	}
	return out
}

// hostTable gives the TCP hosts of a capture (numbered by the tracker)
// their presets: it counts, per host, what ResolveHosts needs, and
// resolves each host's preset on first use.
type hostTable struct {
	s        Settings
	fallback Preset
	auto     bool
	// custom, when set, gives each host's preset instead (ReusedPortsFlags).
	custom func(netip.Addr) Preset
	addrs  *conv.Hosts
	stats  []hostStats
	seen   []bool // the host is an endpoint of some conversation
	// inPreset counts, under auto, each host's source ports inside each
	// of Presets' ranges: len(Presets) counters a host.
	inPreset []int32
	hosts    []HostPreset
	resolved []bool
	words    []string // presetWords of each host's preset, once built
	// syns and synacks list the conversations with a captured SYN, and
	// SYN/ACK, with their sender; reused those that reused ports;
	// resent those whose SYN was sent twice or more (the least SYNMin).
	// Only needed while judging (doneJudging drops them).
	syns, synacks  []sent
	reused, resent []int32
}

// sent is one conversation's SYN or SYN/ACK: the conversation, and its
// sender's host id and port.
type sent struct {
	conv int32
	host conv.HostID
	port uint16
}

// sentBy returns the sender of c's SYN/ACK (synack) or SYN, and its peer.
func sentBy(c *conv.Conversation, synack bool) (src, dst conv.Endpoint) {
	if synack {
		return c.Endpoints(c.SYNACKDir)
	}
	return c.Endpoints(c.SYNDir)
}

func sentOf(i int, c *conv.Conversation, d conv.Dir) sent {
	src, _ := c.Endpoints(d)
	return sent{int32(i), src.Host, src.Port}
}

type hostStats struct {
	conns      int
	inFallback int
	lo, hi     uint16
}

func newHostTable(in *Input, s Settings) *hostTable {
	convs := in.Conversations
	n := in.Hosts.Len()
	t := &hostTable{s: s, fallback: s.preset(), auto: s.Preset == "auto", addrs: in.Hosts,
		stats: make([]hostStats, n), seen: make([]bool, n),
		syns: make([]sent, 0, convs.Len()), synacks: make([]sent, 0, convs.Len())}
	for i := range t.stats {
		t.stats[i].lo = 65535
	}
	fr := t.fallback.Ephemeral
	np := len(Presets)
	if t.auto {
		t.inPreset = make([]int32, n*np)
	}
	for i := range convs.Len() {
		in.Pacer.Tick()
		c := convs.At(i)
		t.seen[c.A.Host], t.seen[c.B.Host] = true, true
		if c.Reused && c.PrevStream >= 0 {
			t.reused = append(t.reused, int32(i))
		}
		if c.SYN.Frame != 0 {
			t.syns = append(t.syns, sentOf(i, c, c.SYNDir))
			if c.SYNCount >= 2 {
				t.resent = append(t.resent, int32(i))
			}
		}
		if c.SYNACK.Frame != 0 {
			t.synacks = append(t.synacks, sentOf(i, c, c.SYNACKDir))
		}
		if c.SYN.Frame == 0 && c.SYNACK.Frame == 0 {
			continue
		}
		cl := c.A
		if !clientIsA(c) {
			cl = c.B
		}
		h := &t.stats[cl.Host]
		h.conns++
		h.lo, h.hi = min(h.lo, cl.Port), max(h.hi, cl.Port)
		if fr.Contains(cl.Port) {
			h.inFallback++
		}
		if t.auto {
			counts := t.inPreset[int(cl.Host)*np : int(cl.Host)*np+np]
			for j := range Presets {
				if Presets[j].Ephemeral.Contains(cl.Port) {
					counts[j]++
				}
			}
		}
	}
	t.hosts = make([]HostPreset, n)
	t.resolved = make([]bool, n)
	t.words = make([]string, n)
	return t
}

// doneJudging drops what only judging needs.
func (t *hostTable) doneJudging() {
	t.syns, t.synacks, t.reused, t.resent = nil, nil, nil, nil
}

// preset is the preset host id is judged by.
func (t *hostTable) preset(id conv.HostID) *Preset {
	if t.custom != nil {
		if !t.resolved[id] {
			t.resolved[id] = true
			t.hosts[id].Preset = t.custom(t.addrs.Addr(id))
		}
		return &t.hosts[id].Preset
	}
	if !t.auto {
		return &t.fallback // every host's, unchanged
	}
	return &t.host(id).Preset
}

// presetWords is presetWords(*t.preset(id)), built once a host.
func (t *hostTable) presetWords(id conv.HostID) string {
	if !t.auto && t.custom == nil {
		id = 0 // every host has the fallback
	}
	if t.words[id] == "" {
		t.words[id] = presetWords(*t.preset(id))
	}
	return t.words[id]
}

// host resolves host id's preset, once.
func (t *hostTable) host(id conv.HostID) *HostPreset {
	h := &t.hosts[id]
	if t.resolved[id] {
		return h
	}
	t.resolved[id] = true
	s, fallback, a, st := t.s, t.fallback, t.addrs.Addr(id), t.stats[id]
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

// PresetOf is the preset host id was judged by.
func (v *Verdict) PresetOf(id conv.HostID) Preset { return *v.hosts.preset(id) }

// HostPreset is host id's preset with how it was chosen.
func (v *Verdict) HostPreset(id conv.HostID) HostPreset { return *v.hosts.host(id) }

// JudgedBy returns the host whose preset flag i was measured against (the
// holder of a reused 4-tuple, the sender of a port, the client of an
// exhaustion, the peer that held a stale connection) and that preset; ok
// is false for flags no preset judges.
func (v *Verdict) JudgedBy(i int) (h HostPreset, ok bool) {
	f := &v.Flags[i]
	var id conv.HostID
	switch f.Kind {
	case ReusedPorts, FastReuse:
		r, _ := v.reuseOf(f.Subject)
		id = r.holderEndpoint().Host
	case OutsideEphemeral, PrivilegedSource:
		id = v.use(f.Subject, false).at.Host
	case ServerInEphemeral:
		id = v.use(f.Subject, true).at.Host
	case Exhaustion:
		id = v.dests[f.Subject].client
	case StalePeer:
		id = v.staleJudge(f)
	default:
		return h, false
	}
	return v.HostPreset(id), true
}

// HostPresetList lists, by address, the presets of the hosts that opened
// connections (a SYN or SYN/ACK captured): the hosts auto judges by their
// own ports, and the ones the JSON report's host_presets names.
func (v *Verdict) HostPresetList() []HostPreset {
	var out []HostPreset
	for id, st := range v.hosts.stats {
		if st.conns > 0 {
			out = append(out, *v.hosts.host(conv.HostID(id)))
		}
	}
	slices.SortFunc(out, func(a, b HostPreset) int { return a.Host.Compare(b.Host) })
	return out
}

// PresetCount is how many of the hosts that opened connections were
// judged by one preset, inferred by auto or assumed (the fallback).
type PresetCount struct {
	Label    string // the preset's label, without "(inferred)"
	Inferred bool
	Hosts    int
}

// PresetCounts counts the hosts that opened connections by the preset
// they were judged by: inferred ones first, most hosts first.
func (v *Verdict) PresetCounts() []PresetCount {
	idx := map[PresetCount]int{}
	var out []PresetCount
	for _, h := range v.HostPresetList() {
		k := PresetCount{Label: strings.TrimSuffix(h.Preset.Label, " (inferred)"), Inferred: h.Inferred}
		i, ok := idx[k]
		if !ok {
			i = len(out)
			idx[k] = i
			out = append(out, k)
		}
		out[i].Hosts++
	}
	slices.SortStableFunc(out, func(a, b PresetCount) int {
		if a.Inferred != b.Inferred {
			if a.Inferred {
				return -1
			}
			return 1
		}
		return cmp.Or(cmp.Compare(b.Hosts, a.Hosts), strings.Compare(a.Label, b.Label))
	})
	return out
}

// PresetSummary says in one line what auto did with the hosts that opened
// connections, "3 hosts Linux, 1 Windows XP / 2003 (inferred); 12 assumed
// Linux"; "" when the verdict was not judged under auto.
func (v *Verdict) PresetSummary() string {
	if v.s.Preset != "auto" {
		return ""
	}
	var inferred, assumed []string
	for _, c := range v.PresetCounts() {
		n := strconv.Itoa(c.Hosts)
		if len(inferred)+len(assumed) == 0 {
			n = plural(c.Hosts, "host")
		}
		if c.Inferred {
			inferred = append(inferred, n+" "+c.Label)
		} else {
			assumed = append(assumed, n+" assumed "+c.Label)
		}
	}
	out := strings.Join(inferred, ", ")
	if len(inferred) > 0 {
		out += " (inferred)"
	}
	if len(assumed) > 0 {
		if out != "" {
			out += "; "
		}
		out += strings.Join(assumed, ", ") + " (too few connections to tell)"
	}
	if out == "" {
		return "no host opened a connection"
	}
	return out
}
