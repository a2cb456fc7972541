package app

import (
	"net/netip"
	"strconv"
	"strings"
)

// Filter chooses the frames the packet list shows.
//
// Text is a list of terms, all of which must match: "flagged", a flag kind
// ("tcp.reused_ports" or "kind:..."), "stream:N" (or tcp.stream==N), an
// address ("10.0.0.1", ip.addr==...), a port ("port:443", tcp.port==443).
// Addresses and ports match TCP frames through their stream's endpoints.
// "portlens.finding==N" keeps the frames flagged by the N-th finding (the
// Findings view's rank, from 1).
type Filter struct {
	Text        string
	FlaggedOnly bool
	Kind        string // a flag kind's name
}

// Active reports whether the filter hides anything.
func (f Filter) Active() bool {
	return f.FlaggedOnly || f.Kind != "" || strings.TrimSpace(f.Text) != ""
}

type terms struct {
	flagged bool
	kinds   []string
	streams []int
	addrs   []netip.Addr
	ports   []uint16
	// findings are finding ranks (1 is the first); see findingTerms.
	findings []int
	bad      []string
}

func (f Filter) parse() terms {
	t := terms{flagged: f.FlaggedOnly}
	if f.Kind != "" {
		t.kinds = append(t.kinds, f.Kind)
	}
	for _, word := range strings.Fields(f.Text) {
		if isAddr(word) { // before cutting at ':' (IPv6)
			t.addrs = append(t.addrs, netip.MustParseAddr(word))
			continue
		}
		key, val, hasKey := cutAny(word, "==", ":", "=")
		if !hasKey {
			key, val = "", word
		}
		switch strings.ToLower(key) {
		case "":
			switch {
			case strings.EqualFold(val, "flagged") || val == "!":
				t.flagged = true
			case strings.Contains(val, ".") && !isAddr(val) && strings.ContainsAny(val, "_abcdefghijklmnopqrstuvwxyz"):
				t.kinds = append(t.kinds, val)
			case isAddr(val):
				t.addrs = append(t.addrs, netip.MustParseAddr(val))
			case isPort(val):
				p, _ := strconv.Atoi(val)
				t.ports = append(t.ports, uint16(p))
			default:
				t.bad = append(t.bad, word)
			}
		case "kind", "flag":
			t.kinds = append(t.kinds, val)
		case "stream", "tcp.stream":
			if n, err := strconv.Atoi(val); err == nil {
				t.streams = append(t.streams, n)
			} else {
				t.bad = append(t.bad, word)
			}
		case "addr", "ip", "ip.addr", "host":
			if a, err := netip.ParseAddr(val); err == nil {
				t.addrs = append(t.addrs, a)
			} else {
				t.bad = append(t.bad, word)
			}
		case "portlens.finding", "finding":
			if n, err := strconv.Atoi(val); err == nil && n >= 1 {
				t.findings = append(t.findings, n)
			} else {
				t.bad = append(t.bad, word)
			}
		case "port", "tcp.port":
			if isPort(val) {
				p, _ := strconv.Atoi(val)
				t.ports = append(t.ports, uint16(p))
			} else {
				t.bad = append(t.bad, word)
			}
		default:
			t.bad = append(t.bad, word)
		}
	}
	return t
}

// Problem explains the terms the filter did not understand, "" if none.
func (f Filter) Problem() string {
	if bad := f.parse().bad; len(bad) > 0 {
		return "not understood: " + strings.Join(bad, " ") + " (try flagged, stream:3, port:443, 10.0.0.1, tcp.reused_ports, portlens.finding==1)"
	}
	return ""
}

func cutAny(s string, seps ...string) (string, string, bool) {
	for _, sep := range seps {
		if k, v, ok := strings.Cut(s, sep); ok {
			return k, v, true
		}
	}
	return "", s, false
}

func isAddr(s string) bool {
	_, err := netip.ParseAddr(s)
	return err == nil
}

func isPort(s string) bool {
	n, err := strconv.Atoi(s)
	return err == nil && n >= 0 && n <= 65535
}

// frames lists the frames the filter lets through, nil when it is off.
func (f Filter) frames(s *State) []int32 {
	if !f.Active() || s.Res == nil {
		return nil
	}
	t := f.parse()
	out := []int32{}
	match := func(n int) bool { return t.match(s, n) }
	if t.flagged || len(t.kinds) > 0 || len(t.findings) > 0 {
		for _, n := range s.flagged {
			if match(int(n)) {
				out = append(out, n)
			}
		}
		return out
	}
	for n := 1; n <= s.Res.Frames.Len(); n++ {
		if match(n) {
			out = append(out, int32(n))
		}
	}
	return out
}

func (t terms) match(s *State, n int) bool {
	fr := s.Res.Frames.At(n)
	flags := s.FlagsOf(n)
	if t.flagged && len(flags) == 0 {
		return false
	}
	if len(t.kinds) > 0 {
		ok := false
		for _, f := range flags {
			for _, k := range t.kinds {
				ok = ok || f.Kind.String() == k
			}
		}
		if !ok {
			return false
		}
	}
	if len(t.findings) > 0 && !t.inFinding(s, n) {
		return false
	}
	if len(t.streams) > 0 && !containsInt(t.streams, fr.Stream()) {
		return false
	}
	if len(t.addrs) > 0 || len(t.ports) > 0 {
		if fr.Stream() < 0 {
			return false
		}
		c := s.Res.Conversation(fr.Stream())
		for _, a := range t.addrs {
			if s.Res.Hosts.Addr(c.A.Host) != a && s.Res.Hosts.Addr(c.B.Host) != a {
				return false
			}
		}
		for _, p := range t.ports {
			if c.A.Port != p && c.B.Port != p {
				return false
			}
		}
	}
	return true
}

func containsInt(xs []int, x int) bool {
	for _, y := range xs {
		if x == y {
			return true
		}
	}
	return false
}

// inFinding reports whether one of frame n's flags belongs to one of the
// findings the terms name.
func (t terms) inFinding(s *State, n int) bool {
	v := s.Res.Verdict
	if v == nil {
		return false
	}
	lo, hi := v.Of(n)
	for i := lo; i < hi; i++ {
		if containsInt(t.findings, v.FindingOf(i)+1) {
			return true
		}
	}
	return false
}
