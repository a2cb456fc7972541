package rules

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// NAT is a cloud NAT's port budget: how many connections one VM may hold
// toward one destination (address, port, protocol) at once, and how long
// the NAT keeps a port after its connection ends. From
// ../shared/reference/ephemeral-ports.md "Cloud NAT port budgets".
type NAT struct {
	Name  string
	Label string
	// Budget is the connections one VM may hold toward one destination:
	// open, closing, and kept after the close (TimeWait, AfterRST).
	Budget int
	// Limit names the budget in the NAT's own terms ("default 64 ports
	// per VM").
	Limit string
	// TimeWait is how long the NAT keeps a port after a FIN close;
	// AfterRST after a reset (0: TimeWait); Idle drops an open connection
	// that carried nothing that long.
	TimeWait, AfterRST, Idle time.Duration
	Source                   string
	// Advice says how to give the VM more room under this NAT.
	Advice string
}

// NATs lists the built-in NAT presets.
var NATs = []NAT{
	{Name: "gcp-cloud-nat", Label: "Google Cloud NAT", Budget: 64, Limit: "default 64 ports per VM",
		TimeWait: 120 * time.Second, Idle: 1200 * time.Second,
		Source: "Google Cloud NAT documentation (ports and addresses; timeouts) and RouterNat API: static port allocation, " +
			"min_ports_per_vm default 64, a port usable once per destination (IP, port, protocol); TCP TIME_WAIT timeout 120 s " +
			"(30 s for gateways created from mid-2026), established idle timeout 1,200 s",
		Advice: "Raise min_ports_per_vm or turn on dynamic port allocation (up to 65,536 ports per VM), lower " +
			"tcp_time_wait_timeout_sec, reuse connections (keep-alive, pooling), and spread requests over more destination " +
			"addresses; watch the nat/port_usage metric."},
	{Name: "aws-nat-gateway", Label: "AWS NAT gateway", Budget: 55000, Limit: "55,000 connections to each destination per NAT address",
		TimeWait: 60 * time.Second, Idle: 350 * time.Second,
		Source: "AWS VPC NAT gateway documentation: up to 55,000 simultaneous connections to each unique destination per NAT " +
			"address, also reached at about 900 new connections a second to one destination (about 55,000 a minute: a port " +
			"held about 60 s after its connection, which portlens assumes; AWS publishes no hold time), errors counted in " +
			"ErrorPortAllocation; idle timeout 350 s",
		Advice: "Add secondary addresses to the NAT gateway (up to 8) or more NAT gateways, reuse connections (keep-alive, " +
			"pooling), and spread requests over more destination addresses; watch ErrorPortAllocation."},
	{Name: "azure-lb", Label: "Azure Load Balancer", Budget: 1024,
		Limit:    "default outbound allocation of 1,024 ports per VM (pools of up to 50 VMs)",
		TimeWait: 240 * time.Second, AfterRST: 15 * time.Second, Idle: 4 * time.Minute,
		Source: "Microsoft Learn, \"Source Network Address Translation (SNAT) for outbound connections\": default port " +
			"allocation 1,024 SNAT ports per VM for pools of 1-50 VMs (512 for 51-100, 256 for 101-200, 128 for 201-400, 64 " +
			"for 401-800, 32 for 801-1,000: set them with --nat-budget), a port usable once per destination; released 240 s " +
			"after FIN and 15 s after RST; idle timeout 4 minutes",
		Advice: "Allocate ports explicitly in an outbound rule, add frontend IP addresses, or move to Azure NAT Gateway; reuse " +
			"connections (keep-alive, pooling) and spread requests over more destination addresses; watch SNAT connection " +
			"count and allocated/used SNAT ports."},
	{Name: "azure-nat-gateway", Label: "Azure NAT Gateway", Budget: 50000,
		Limit:    "50,000 concurrent connections to one destination per public IP",
		TimeWait: 65 * time.Second, AfterRST: 16 * time.Second, Idle: 4 * time.Minute,
		Source: "Microsoft Learn, Azure NAT Gateway resource: 64,512 SNAT ports per public IP, up to 50,000 concurrent " +
			"connections per public IP to the same destination endpoint; port reuse timers 65 s after TCP FIN, 16 s after " +
			"TCP RST; TCP idle timeout 4 minutes by default",
		Advice: "Add public IP addresses or prefixes to the NAT gateway, reuse connections (keep-alive, pooling), and spread " +
			"requests over more destination addresses; watch the SNAT connection count and dropped packets metrics."},
}

// LookupNAT finds a built-in NAT preset by name.
func LookupNAT(name string) (NAT, bool) {
	for _, n := range NATs {
		if n.Name == name {
			return n, true
		}
	}
	return NAT{}, false
}

// NATPreset is the NAT the settings name, with the user's budget and
// TIME_WAIT; ok is false without one.
func (s Settings) NATPreset() (n NAT, ok bool) {
	switch s.NAT {
	case "":
		return n, false
	case "custom":
		n = NAT{Name: "custom", Label: "custom NAT", Source: "set by the user (--nat custom)",
			Advice: "Raise the NAT's per-destination budget, reuse connections (keep-alive, pooling), and spread requests " +
				"over more destination addresses."}
	default:
		if n, ok = LookupNAT(s.NAT); !ok {
			return n, false
		}
	}
	var over []string
	if s.NATBudget > 0 && s.NATBudget != n.Budget {
		n.Budget = s.NATBudget
		n.Limit = plural(s.NATBudget, "port") + " per VM per destination"
		over = append(over, "budget "+strconv.Itoa(s.NATBudget))
	}
	if s.NATTimeWait > 0 && s.NATTimeWait != n.TimeWait {
		n.TimeWait = s.NATTimeWait
		over = append(over, "TIME_WAIT "+formatDuration(s.NATTimeWait))
	}
	if len(over) > 0 && n.Name != "custom" {
		n.Label += " (adjusted)"
		n.Source = strings.Join(over, " and ") + " set by the user; otherwise " + n.Source
	}
	if n.Name == "custom" {
		n.Limit += ", set by the user"
	}
	return n, n.Budget > 0 && n.TimeWait > 0
}

// CheckNAT reports what is wrong with the settings' NAT, if anything.
func (s Settings) CheckNAT() error {
	switch {
	case s.NAT == "" && (s.NATBudget != 0 || s.NATTimeWait != 0):
		return fmt.Errorf("a NAT budget or TIME_WAIT needs a NAT: name one (%s) or custom", natNames())
	case s.NAT == "":
		return nil
	case s.NATBudget < 0 || s.NATTimeWait < 0:
		return fmt.Errorf("the NAT budget and TIME_WAIT must be positive")
	case s.NAT == "custom" && (s.NATBudget == 0 || s.NATTimeWait == 0):
		return fmt.Errorf("a custom NAT needs a budget and a TIME_WAIT")
	}
	if _, ok := LookupNAT(s.NAT); !ok && s.NAT != "custom" {
		return fmt.Errorf("unknown NAT %q (want %s or custom)", s.NAT, natNames())
	}
	return nil
}

func natNames() string {
	names := make([]string, len(NATs))
	for i, n := range NATs {
		names[i] = n.Name
	}
	return strings.Join(names, ", ")
}

// hold is how long the NAT keeps a port after a connection that ended as
// end (a FIN close or an RST).
func (n *NAT) hold(rst bool) time.Duration {
	if rst && n.AfterRST > 0 {
		return n.AfterRST
	}
	return n.TimeWait
}

// words names the NAT's budget with its source, for explanations.
func (n *NAT) words() string {
	return fmt.Sprintf("%s (%s; TIME_WAIT %s; %s)", n.Label, n.Limit, formatDuration(n.TimeWait), n.Source)
}
