package rules

import (
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

// opened reports whether c's handshake was captured, so its client is
// known to have opened it, and returns the client.
func opened(c *conv.Conversation) (client, server netip.AddrPort, ok bool) {
	if c.SYN.Frame == 0 && c.SYNACK.Frame == 0 {
		return client, server, false
	}
	client, server = c.Client()
	return client, server, true
}

// ResolveHosts gives every TCP host of the capture its preset. Under
// auto, a host that opened at least s.AutoMinConnections connections gets
// the preset of the narrowest preset range holding s.AutoShare of their
// source ports; the others, and every host under a named preset, get the
// chosen (or fallback) preset.
func ResolveHosts(in *Input, s Settings) map[netip.Addr]HostPreset {
	s = s.withDefaults()
	fallback := s.preset()
	hosts := map[netip.Addr]*HostPreset{}
	get := func(a netip.Addr) *HostPreset {
		h := hosts[a]
		if h == nil {
			h = &HostPreset{Host: a, Lowest: 65535}
			hosts[a] = h
		}
		return h
	}
	ports := map[netip.Addr][]uint16{}
	for i := range in.Conversations {
		in.Pacer.Tick()
		c := &in.Conversations[i]
		get(c.A.Addr())
		get(c.B.Addr())
		client, _, ok := opened(c)
		if !ok {
			continue
		}
		h := get(client.Addr())
		h.Connections++
		h.Lowest, h.Highest = min(h.Lowest, client.Port()), max(h.Highest, client.Port())
		ports[client.Addr()] = append(ports[client.Addr()], client.Port())
	}
	out := make(map[netip.Addr]HostPreset, len(hosts))
	for a, h := range hosts {
		h.Preset = fallback
		switch {
		case s.Preset != "auto":
			h.Why = fmt.Sprintf("%s, chosen with --os %s", fallback.Label, s.Preset)
		case h.Connections == 0:
			h.Why = fmt.Sprintf("%s, the fallback: %s opened no connection in the capture", fallback.Label, a)
		case h.Connections < s.AutoMinConnections:
			h.Why = fmt.Sprintf("%s, the fallback: %s opened only %d connection(s), fewer than the %d auto needs",
				fallback.Label, a, h.Connections, s.AutoMinConnections)
		default:
			infer(h, ports[a], s, fallback)
		}
		if h.Connections == 0 {
			h.Lowest = 0
		}
		if s.Preset == "auto" && !h.Inferred {
			h.Preset.Source = h.Why + "; " + h.Preset.Source
			h.Preset.Assumed = true
		}
		if !h.Inferred {
			h.InRange = countIn(ports[a], h.Preset.Ephemeral)
		}
		out[a] = *h
	}
	return out
}

// infer picks the narrowest preset range holding s.AutoShare of ports,
// preferring the fallback among presets with the same range.
func infer(h *HostPreset, ports []uint16, s Settings, fallback Preset) {
	need := s.AutoShare * float64(len(ports))
	best, bestIn := -1, 0
	for i, p := range Presets {
		n := countIn(ports, p.Ephemeral)
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
			fallback.Label, 100*s.AutoShare, len(ports), h.Host, h.Lowest, h.Highest)
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
		p.Label, bestIn, len(ports), h.Host, p.Ephemeral, 100*s.AutoShare)
	if len(same) > 0 {
		h.Why += fmt.Sprintf(" (%s share the range; their TIME_WAIT differs)", joinWords(same))
	}
	p.Label += " (inferred)"
	p.Source = h.Why + "; " + p.Source
	h.Preset = p
}

func countIn(ports []uint16, r Range) int {
	n := 0
	for _, p := range ports {
		if r.Contains(p) {
			n++
		}
	}
	return n
}

// presetFunc returns the preset of each host, the fallback for hosts the
// map does not know.
func presetFunc(hosts map[netip.Addr]HostPreset, fallback Preset) func(netip.Addr) Preset {
	return func(a netip.Addr) Preset {
		if h, ok := hosts[a]; ok {
			return h.Preset
		}
		return fallback
	}
}
