package rules

import "time"

// TimeRules runs the host table (ResolveHosts' pass) and then each rule
// as Judge does, and returns the time each took, named.
func TimeRules(in *Input, s Settings) (names []string, took []time.Duration) {
	s = s.withDefaults()
	t0 := time.Now()
	v := newVerdict(in, s)
	names = append(names, "hosts")
	took = append(took, time.Since(t0))
	for i, r := range allRules {
		t0 := time.Now()
		r(v)
		names = append(names, ruleNames[i])
		took = append(took, time.Since(t0))
	}
	return names, took
}

var ruleNames = []string{"reused_ports", "outside_ephemeral", "privileged", "server_in_ephemeral",
	"fast_reuse", "exhaustion", "syn", "dns", "sctp", "stale_peer", "nat_budget"}
