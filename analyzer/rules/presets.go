package rules

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Range is an inclusive range of ports.
type Range struct{ Lo, Hi uint16 }

// Contains reports whether port lies in r.
func (r Range) Contains(port uint16) bool { return port >= r.Lo && port <= r.Hi }

// Size is the number of ports in r.
func (r Range) Size() int { return int(r.Hi) - int(r.Lo) + 1 }

func (r Range) String() string { return string(appendRange(nil, r)) }

// ParseRange reads "LO-HI".
func ParseRange(s string) (Range, error) {
	lo, hi, ok := strings.Cut(s, "-")
	a, err1 := strconv.ParseUint(strings.TrimSpace(lo), 10, 16)
	b, err2 := strconv.ParseUint(strings.TrimSpace(hi), 10, 16)
	if !ok || err1 != nil || err2 != nil || a > b || a == 0 {
		return Range{}, fmt.Errorf("port range %q: want LO-HI with 1 <= LO <= HI <= 65535", s)
	}
	return Range{uint16(a), uint16(b)}, nil
}

// Preset is an operating system's default ephemeral range and TIME_WAIT,
// from ../shared/reference/ephemeral-ports.md.
type Preset struct {
	Name      string
	Label     string
	Ephemeral Range
	TimeWait  time.Duration
	Source    string
	// Assumed is set for a host that auto could not judge (too few
	// connections): the preset is the fallback, not evidence about the host.
	Assumed bool `json:",omitempty"`
}

// Presets lists the built-in presets, the default first.
var Presets = []Preset{
	{Name: "linux", Label: "Linux", Ephemeral: Range{32768, 60999}, TimeWait: 60 * time.Second,
		Source: "Linux net.ipv4.ip_local_port_range default; TIME_WAIT fixed at 60 s (TCP_TIMEWAIT_LEN)"},
	{Name: "linux-old", Label: "Linux (before 4.x)", Ephemeral: Range{32768, 61000}, TimeWait: 60 * time.Second,
		Source: "Linux ip_local_port_range before kernel commit 07f4c90062f8; TIME_WAIT 60 s"},
	{Name: "windows", Label: "Windows Vista and later", Ephemeral: Range{49152, 65535}, TimeWait: 120 * time.Second,
		Source: "Microsoft KB 929851; TcpTimedWaitDelay default 120 s"},
	{Name: "windows-xp", Label: "Windows XP / 2003", Ephemeral: Range{1025, 5000}, TimeWait: 240 * time.Second,
		Source: "Microsoft KB 929851 and MaxUserPort; TIME_WAIT 240 s"},
	{Name: "macos", Label: "macOS", Ephemeral: Range{49152, 65535}, TimeWait: 30 * time.Second,
		Source: "sysctl net.inet.ip.portrange.first/last; XNU MSL 15 s"},
	{Name: "freebsd", Label: "FreeBSD", Ephemeral: Range{10000, 65535}, TimeWait: 60 * time.Second,
		Source: "FreeBSD netinet/in.h IPPORT_EPHEMERALFIRST; MSL 30 s"},
	{Name: "solaris", Label: "Solaris / illumos", Ephemeral: Range{32768, 65535}, TimeWait: 60 * time.Second,
		Source: "tcp_smallest_anon_port / tcp_largest_anon_port; tcp_time_wait_interval 60 s"},
	{Name: "iana", Label: "IANA (RFC 6335)", Ephemeral: Range{49152, 65535}, TimeWait: 240 * time.Second,
		Source: "RFC 6335 section 6; RFC 793 MSL of 2 minutes"},
}

// LookupPreset finds a built-in preset by name.
func LookupPreset(name string) (Preset, bool) {
	for _, p := range Presets {
		if p.Name == name {
			return p, true
		}
	}
	return Preset{}, false
}

// Settings are the rules' inputs besides the capture. The zero value of
// every threshold means its default (see DefaultSettings), so a view can
// fill in only what the user changed.
type Settings struct {
	// Preset names a built-in preset, "custom", or "auto" (infer per
	// client host, falling back to Default).
	Preset string
	// Default is the preset used where auto has too few samples.
	Default string
	// Ephemeral and TimeWait override the preset's values when non-zero
	// (under auto: the fallback's values; an inferred preset keeps its own).
	Ephemeral Range
	TimeWait  time.Duration

	// AutoMinConnections is how many connections a host must have opened
	// before auto infers its preset; AutoShare the share of their source
	// ports the inferred range must hold.
	AutoMinConnections int
	AutoShare          float64
	// ExhaustionShare is the share of the ephemeral range that one client
	// must keep busy toward one destination for port.exhaustion.
	ExhaustionShare float64
	// SYNMin is how many SYNs (the first and its retransmissions) without
	// answer make tcp.syn_unanswered.
	SYNMin int
	// DNSMinQueries is how many DNS queries from one source port make
	// udp.fixed_source_port.
	DNSMinQueries int

	// NAT names a cloud NAT the clients are behind (a NATs name or
	// "custom"; "" for none): port.exhaustion then also judges each
	// client's connections to one destination against its budget.
	// NATBudget and NATTimeWait override the NAT's when non-zero.
	NAT         string
	NATBudget   int
	NATTimeWait time.Duration
}

// Defaults of the thresholds.
const (
	DefaultAutoMinConnections = 10
	DefaultAutoShare          = 0.95
	DefaultExhaustionShare    = 0.80
	DefaultSYNMin             = 2
	DefaultDNSMinQueries      = 10
)

// DefaultSettings judges against Linux with the default thresholds.
func DefaultSettings() Settings {
	return Settings{Preset: "linux", Default: "linux"}.withDefaults()
}

// withDefaults fills zero thresholds with their defaults.
func (s Settings) withDefaults() Settings {
	if s.Preset == "" {
		s.Preset = "linux"
	}
	if s.Default == "" || s.Default == "auto" || s.Default == "custom" {
		s.Default = "linux"
	}
	if s.AutoMinConnections <= 0 {
		s.AutoMinConnections = DefaultAutoMinConnections
	}
	if s.AutoShare <= 0 || s.AutoShare > 1 {
		s.AutoShare = DefaultAutoShare
	}
	if s.ExhaustionShare <= 0 || s.ExhaustionShare > 1 {
		s.ExhaustionShare = DefaultExhaustionShare
	}
	if s.SYNMin < 2 {
		s.SYNMin = DefaultSYNMin
	}
	if s.DNSMinQueries < 2 {
		s.DNSMinQueries = DefaultDNSMinQueries
	}
	return s
}

// Chosen is the preset the settings name, with the user's overrides:
// under auto, the fallback for hosts auto cannot judge (per-host presets
// are the Verdict's: HostPresets, PresetOf).
func (s Settings) Chosen() Preset { return s.withDefaults().preset() }

// preset resolves the settings to one preset: the chosen one, or for
// auto the fallback. Auto's per-host inference is ResolveHosts.
func (s Settings) preset() Preset {
	name := s.Preset
	if name == "auto" || name == "" || name == "custom" {
		name = s.Default
	}
	p, ok := LookupPreset(name)
	if !ok {
		p = Presets[0]
	}
	if s.Preset == "custom" {
		p.Name, p.Label = "custom", "custom"
		p.Source = "set by the user (--os custom)"
	}
	var over []string
	if s.Ephemeral.Hi != 0 && s.Ephemeral != p.Ephemeral {
		p.Ephemeral = s.Ephemeral
		over = append(over, "ephemeral range "+s.Ephemeral.String())
	}
	if s.TimeWait != 0 && s.TimeWait != p.TimeWait {
		p.TimeWait = s.TimeWait
		over = append(over, "TIME_WAIT "+formatDuration(s.TimeWait))
	}
	if len(over) > 0 && s.Preset != "custom" {
		p.Label += " (adjusted)"
		p.Source = strings.Join(over, " and ") + " set by the user; otherwise " + p.Source
	}
	return p
}

// Normalized returns s with every zero threshold set to its default: two
// settings that judge alike are then equal.
func (s Settings) Normalized() Settings { return s.withDefaults() }
