package main

// The policy-rule set (testdata/rules): captures for rules beyond
// Wireshark's (TIME_WAIT, ephemeral ranges, privileged ports, exhaustion,
// DNS source ports, SCTP). Their expectations come from how each capture is
// built: every builder returns the frames a rule must flag, and cases.json
// is written from this table.

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"time"

	"github.com/gopacket/gopacket/layers"
)

// ruleCase is one capture of the rules set and what the rule must say.
type ruleCase struct {
	name  string
	rule  string // rule kind
	class string // the situation the rule must recognise (non-cases flag nothing)
	note  string
	build func() (pkts []pkt, flagged []int) // flagged: 1-based frame numbers
	// os and findings, for a case about findings: the preset it is judged
	// under and the findings it must give (valid after build).
	os       string
	findings func() []caseFinding
}

func ruleCases() []ruleCase {
	mixed := &mixedCase{}
	return slices.Concat([]ruleCase{
		{"reuse-after-rst.pcap", "port-reuse", "after-rst", "client aborts with RST/ACK, same client port reconnects 1 s later with a new ISN", reuseRST, "", nil},
		{"time-wait-client-closed-59s.pcap", "time-wait", "within-own-time-wait", "client closed first (it holds TIME_WAIT); new SYN from the same port 59 s after the final ACK, inside Linux's 60 s", timeWait(true, 59), "", nil},
		{"time-wait-client-closed-61s.pcap", "time-wait", "after-own-time-wait", "client closed first; new SYN 61 s after the final ACK: TIME_WAIT (60 s) is over", timeWait(true, 61), "", nil},
		{"time-wait-server-closed-59s.pcap", "time-wait", "within-peer-time-wait", "server closed first (the server holds TIME_WAIT, the client went through LAST_ACK and is free); new SYN 59 s after the final ACK lands in the server's TIME_WAIT (Linux accepts it only if ISN and timestamps advance)", timeWait(false, 59), "", nil},
		{"time-wait-server-closed-61s.pcap", "time-wait", "after-peer-time-wait", "server closed first; new SYN 61 s after the final ACK", timeWait(false, 61), "", nil},
		{"reuse-while-open.pcap", "port-reuse", "previous-not-closed", "connection never closed (no FIN, no RST), new SYN with a new ISN from the same port 10 s later", reuseWhileOpen, "", nil},
		{"synack-reuse-syn-missing.pcap", "port-reuse", "synack-only", "a complete connection, then a SYN/ACK with a new seq whose SYN was not captured (asymmetric routing)", synAckOnly, "", nil},
		{"same-isn-after-close.pcap", "port-reuse", "same-isn", "FIN close, then a SYN from the same port with the same ISN 5 s later (Wireshark 4.4 flags it, 4.0 shows a retransmission)", sameISNAfterClose, "", nil},
		{"client-port-5000-linux.pcap", "ephemeral-range", "outside-os-range", "Linux client (TTL 64, Linux SYN options) with 20 connections from 32768-60999 and one from port 5000 (set by the application)", port5000, "", nil},
		{"windows-ephemeral-ports.pcap", "ephemeral-range", "inside-windows-range", "Windows client (TTL 128, Windows SYN options), 40 connections with ports 49152-65535, several above 60999: auto-detection must pick Windows, not flag them", windowsPorts, "", nil},
		{"privileged-port-nfs.pcap", "privileged-source-port", "reserved-port-service", "NFS client 1022 -> 2049: reserved source ports are how NFS/rpc clients prove privilege (expected)", privileged(1022, 2049), "", nil},
		{"privileged-port-http.pcap", "privileged-source-port", "privileged-source", "client 700 -> 80: a privileged source port toward a service that does not use them", privileged(700, 80), "", nil},
		{"server-port-40000.pcap", "ephemeral-range", "listener-in-ephemeral-range", "server listening on 40000 (inside Linux's 32768-60999) accepts 5 clients; flag its first SYN/ACK, never treat 40000 as a client port", server40000, "", nil},
		{"port-exhaustion.pcap.gz", "port-exhaustion", "exhaustion", "one client, 30000 connections to 203.0.113.10:443 in 57 s (SYN, SYN/ACK, RST each); ports 32768-60999 run out and wrap: the first SYN on a port used < 60 s earlier is flagged", exhaustion(30000), "", nil},
		{"port-exhaustion-500.pcap", "port-exhaustion", "below-exhaustion", "500 connections in 57 s from one client to one server:port: busy but far from exhausting the range", exhaustion(500), "", nil},
		{"syn-retransmitted-unanswered.pcap", "port-reuse", "syn-retransmission", "SYN retransmitted 3 times (1, 2, 4 s) with the same ISN, never answered: retransmissions, not reuse", synUnanswered, "", nil},
		{"dns-fixed-source-port.pcap", "dns-fixed-port", "fixed-source-port", "50 DNS queries from one source port (33333): flagged once, on the first query, for all 50", dnsQueries(true), "", nil},
		{"dns-random-source-ports.pcap", "dns-fixed-port", "random-source-ports", "50 DNS queries from random source ports (32768-60999)", dnsQueries(false), "", nil},
		{"sctp-init-reuse.pcap", "sctp-reuse", "new-initiate-tag", "SCTP association up (INIT, INIT-ACK, COOKIE-ECHO, COOKIE-ACK); 30 s later a new INIT on the same ports with a new initiate tag", sctpReuse, "", nil},
		{"findings-mixed.pcap.gz", "findings", "mixed-causes", "under --os auto: a Linux app server with 120 ordinary connections and 5 from fixed port 5000 to its database (aborted by RST, retried 1 s later), a Windows desktop (20 connections, ports above Linux's range), a health checker with Windows XP ports (3300 connections in 33 s, closing first: 80% of its range in TIME_WAIT); flagged: every flag under auto, in three findings", mixed.build, "auto", func() []caseFinding { return mixed.findings }},
	}, staleCases(), natCases())
}

// staleCases are the tcp.stale_peer captures (stale.go).
func staleCases() []ruleCase {
	return []ruleCase{
		{"stale-peer-time-wait.pcap", "stale-peer", "peer-time-wait", "captured at the server: it closed first (TIME_WAIT); 20 s later another client behind the same NAT address gets the same public port, its timestamps behind the old ones and a lower ISN: the server repeats its last ACK, the client resets it and its SYN 1 s later opens", staleTimeWait(20*time.Second, []time.Duration{time.Second}, false), "", nil},
		{"stale-peer-time-wait-retries.pcap", "stale-peer", "peer-time-wait", "as stale-peer-time-wait, 55 s after the close, but the server ignores RSTs in TIME_WAIT (tcp_rfc1337=1): the SYNs at 1 s and 3 s get the same ACK, the one at 7 s (after TIME_WAIT ran out) opens; flagged once", staleTimeWait(55*time.Second, []time.Duration{time.Second, 2 * time.Second, 4 * time.Second}, false), "", nil},
		{"stale-peer-time-wait-windows.pcap", "stale-peer", "peer-time-wait", "Windows clients behind one NAT address (no timestamps): 30 s after the server closed first, a SYN with a lower ISN than the old connection's last sequence number; the retry 3 s later opens", staleTimeWait(30*time.Second, []time.Duration{3 * time.Second}, true), "", nil},
		{"stale-peer-half-open.pcap", "stale-peer", "half-open", "captured at the client: a client bound to port 40001 restarts without closing; 45 s later it connects from the same port, the server answers with a challenge ACK of the old connection, the client resets it, the retry 1 s later opens", staleHalfOpen, "", nil},
		{"stale-peer-earlier-unseen.pcap", "stale-peer", "earlier-unseen", "the capture starts after the earlier connection: the SYN is answered by an ACK whose numbers belong to a connection not in the capture; RST, the retry 1 s later opens", staleUnseen, "", nil},
		{"stale-peer-none-accepted.pcap", "stale-peer", "accepted-at-once", "the TIME_WAIT collision of stale-peer-time-wait, but the new client's timestamps are ahead: the server (RFC 6191) answers with a SYN/ACK at once", staleAccepted, "", nil},
		{"stale-peer-none-synack-lost.pcap", "stale-peer", "not-an-answer", "the SYN/ACK is not in the capture: the client's ACK and data come before the server's first packet, a bare ACK", synAckLost, "", nil},
	}
}

// natCases are the cloud NAT budget captures (nat.go).
func natCases() []ruleCase {
	return []ruleCase{
		{"nat-gcp-budget-exceeded.pcap", "nat-budget", "nat-budget", natNote(64, 80*time.Millisecond, 9, "gcp-cloud-nat (64 ports per VM, TIME_WAIT 120 s)"), natBudgetCase(64, 80*time.Millisecond, 9), "", nil},
		{"nat-azure-lb-budget-exceeded.pcap.gz", "nat-budget", "nat-budget", natNote(1024, 50*time.Millisecond, 5, "azure-lb (1,024 ports per VM, 240 s after FIN) and gcp-cloud-nat"), natBudgetCase(1024, 50*time.Millisecond, 5), "", nil},
		{"nat-within-budget.pcap", "nat-budget", "within-budget", "VM 10.0.5.12 opens 200 short connections to 198.51.100.7:443, one every 3 s: never more than 41 held at once under Cloud NAT's 120 s TIME_WAIT, all answered", natWithin, "", nil},
	}
}

func ruleCaptures() []capture {
	var caps []capture
	for _, rc := range ruleCases() {
		build, flagged, findings := rc.build, new([]int), new([]caseFinding)
		caps = append(caps, capture{name: rc.name, desc: rc.note, flagged: flagged, findings: findings,
			build: func() []pkt {
				p, f := build()
				*flagged = f
				if rc.findings != nil {
					*findings = rc.findings()
				}
				return p
			}})
	}
	return caps
}

// writeCases writes cases.json: one object per capture with the frames the
// rule must flag ("none" for non-cases). caps must have been built.
func writeCases(path string, caps []capture) error {
	type entry struct {
		File    string `json:"file"`
		Rule    string `json:"rule"`
		Class   string `json:"class"`
		Flagged any    `json:"flagged"`
		Note    string `json:"note"`
		// OS and Findings: for a case about findings (see findings.go).
		OS       string        `json:"os,omitempty"`
		Findings []caseFinding `json:"findings,omitempty"`
	}
	b := []byte("[\n")
	for i, rc := range ruleCases() {
		var flagged any = *caps[i].flagged
		if len(*caps[i].flagged) == 0 {
			flagged = "none"
		}
		line, err := json.Marshal(entry{rc.name, rc.rule, rc.class, flagged, rc.note, rc.os, *caps[i].findings})
		if err != nil {
			return err
		}
		if i > 0 {
			b = append(b, ",\n"...)
		}
		b = append(append(b, "  "...), line...)
	}
	return os.WriteFile(path, append(b, "\n]\n"...), 0o644)
}

// frameNo is the 1-based frame number of the next packet to be added.
func (t *timeline) frameNo() int { return len(t.pkts) + 1 }

func reuseRST() ([]pkt, []int) {
	cl, sv := clientServer()
	var t timeline
	c := newConn(endpoint{cl, 38412}, endpoint{sv, 443}, 0x1b2c3d4e, 0x5f607182)
	t.handshake(c, wan)
	t.request(c, wan, 517, 1400)
	t.tcp(time.Millisecond, c.rst(true))
	t.wait(time.Second)
	f := t.frameNo()
	c = newConn(endpoint{cl, 38412}, endpoint{sv, 443}, 0x2c3d4e5f, 0x60718293)
	t.handshake(c, wan)
	t.request(c, wan, 517, 1400)
	t.closeBy(c, true, wan)
	return t.pkts, []int{f}
}

func timeWait(clientFirst bool, secs int) func() ([]pkt, []int) {
	return func() ([]pkt, []int) {
		cl, sv := clientServer()
		var t timeline
		c := newConn(endpoint{cl, 41000}, endpoint{sv, 443}, 0x0e1d2c3b, 0x4a596877)
		t.handshake(c, wan)
		t.request(c, wan, 517, 1400)
		t.closeBy(c, clientFirst, wan)
		t.wait(time.Duration(secs) * time.Second)
		f := t.frameNo()
		// Linux's ISN clock ticks every 64 ns: the new ISN is ahead of the old.
		c = newConn(endpoint{cl, 41000}, endpoint{sv, 443}, 0x0e1d2c3b+uint32(secs)*15625000, 0x9a8b7c6d)
		t.handshake(c, wan)
		t.request(c, wan, 517, 1400)
		t.closeBy(c, true, wan)
		if secs >= 60 {
			return t.pkts, nil
		}
		return t.pkts, []int{f}
	}
}

func reuseWhileOpen() ([]pkt, []int) {
	cl, sv := clientServer()
	var t timeline
	c := newConn(endpoint{cl, 43999}, endpoint{sv, 5432}, 0x7a6b5c4d, 0x3e2f1a0b)
	t.handshake(c, wan)
	t.request(c, wan, 120, 300)
	t.wait(10 * time.Second)
	f := t.frameNo()
	c = newConn(endpoint{cl, 43999}, endpoint{sv, 5432}, 0x1f2e3d4c, 0x5b6a7988)
	t.handshake(c, wan)
	t.request(c, wan, 120, 300)
	t.closeBy(c, true, wan)
	return t.pkts, []int{f}
}

func synAckOnly() ([]pkt, []int) {
	cl, sv := clientServer()
	var t timeline
	c := newConn(endpoint{cl, 44100}, endpoint{sv, 80}, 0x01020304, 0x05060708)
	t.handshake(c, wan)
	t.request(c, wan, 300, 900)
	t.closeBy(c, true, wan)
	t.wait(3 * time.Second)
	f := t.frameNo()
	c = newConn(endpoint{cl, 44100}, endpoint{sv, 80}, 0x11121314, 0x15161718) // SYN not captured
	t.tcp(0, c.synAck())
	t.tcp(40*time.Microsecond, c.ack(true))
	t.request(c, wan, 300, 900)
	return t.pkts, []int{f}
}

func sameISNAfterClose() ([]pkt, []int) {
	cl, sv := clientServer()
	var t timeline
	c := newConn(endpoint{cl, 44200}, endpoint{sv, 443}, 0x44444444, 0x55555555)
	t.handshake(c, wan)
	t.request(c, wan, 517, 1400)
	t.closeBy(c, true, wan)
	t.wait(5 * time.Second)
	f := t.frameNo()
	c = newConn(endpoint{cl, 44200}, endpoint{sv, 443}, 0x44444444, 0x66666666)
	t.handshake(c, wan)
	t.closeBy(c, true, wan)
	return t.pkts, []int{f}
}

// shortConns appends count short connections from cl to sv:sport, one every
// gap, the client ports given by port(i).
func shortConns(t *timeline, cl, sv *host, sport uint16, count int, gap time.Duration, port func(i int) uint16) {
	for i := range count {
		isn := uint32(i)*0x9e3779b9 + 0x12345
		c := newConn(endpoint{cl, port(i)}, endpoint{sv, sport}, isn, isn^0xdeadbeef)
		t.handshake(c, wan)
		t.request(c, wan, 200, 600)
		t.closeBy(c, true, wan)
		t.wait(gap)
	}
}

func port5000() ([]pkt, []int) {
	cl, sv := clientServer()
	var t timeline
	r := rand.New(rand.NewPCG(5000, 1))
	shortConns(&t, cl, sv, 443, 10, 2*time.Second, func(int) uint16 { return uint16(32768 + r.IntN(28232)) })
	f := t.frameNo()
	shortConns(&t, cl, sv, 443, 1, 2*time.Second, func(int) uint16 { return 5000 })
	shortConns(&t, cl, sv, 443, 10, 2*time.Second, func(int) uint16 { return uint16(32768 + r.IntN(28232)) })
	return t.pkts, []int{f}
}

func windowsPorts() ([]pkt, []int) {
	cl, sv := newHost("192.168.1.57", 128), newHost("203.0.113.10", 52)
	cl.windows = true
	var t timeline
	// Windows hands out ports sequentially; other applications' connections
	// (not captured) take the ports in between.
	shortConns(&t, cl, sv, 443, 40, 1500*time.Millisecond, func(i int) uint16 { return uint16(60990 + i*113) })
	return t.pkts, nil
}

func privileged(cport, sport uint16) func() ([]pkt, []int) {
	return func() ([]pkt, []int) {
		cl, sv := clientServer()
		var t timeline
		shortConns(&t, cl, sv, sport, 1, 0, func(int) uint16 { return cport })
		if sport == 2049 {
			return t.pkts, nil
		}
		return t.pkts, []int{1}
	}
}

func server40000() ([]pkt, []int) {
	sv := newHost("192.168.1.80", 64)
	var t timeline
	for i := range 5 {
		cl := newHost(fmt.Sprintf("192.168.1.%d", 10*(i+1)), 64)
		isn := uint32(i+1) * 0x13579bdf
		c := newConn(endpoint{cl, uint16(50000 + i*1999)}, endpoint{sv, 40000}, isn, ^isn)
		t.handshake(c, lan)
		t.request(c, lan, 64, 64)
		t.closeBy(c, true, lan)
		t.wait(time.Second)
	}
	return t.pkts, []int{2}
}

// exhaustion: one client opens n connections to one server port within
// 57 s, each SYN, SYN/ACK, then an RST from the client (a health checker
// closing with SO_LINGER 0). Ports go up from 32768 and wrap after 60999.
func exhaustion(n int) func() ([]pkt, []int) {
	return func() ([]pkt, []int) {
		cl, sv := clientServer()
		var t timeline
		gap := 57 * time.Second / time.Duration(n)
		const lo, size = 32768, 60999 - 32768 + 1
		var flagged []int
		for i := range n {
			if i == size {
				flagged = append(flagged, t.frameNo())
			}
			isn := uint32(i)*0x9e3779b9 + 0x2468ace
			c := newConn(endpoint{cl, uint16(lo + i%size)}, endpoint{sv, 443}, isn, isn^0x0badf00d)
			t.now = time.Duration(i) * gap
			t.tcp(0, c.syn())
			t.tcp(lan, c.synAck())
			t.tcp(20*time.Microsecond, c.rst(true))
		}
		return t.pkts, flagged
	}
}

func synUnanswered() ([]pkt, []int) {
	cl, sv := clientServer()
	var t timeline
	c := newConn(endpoint{cl, 45321}, endpoint{sv, 8443}, 0x3a3a3a3a, 0)
	t.tcp(0, c.syn())
	for _, d := range []time.Duration{1, 2, 4} {
		t.tcp(d*time.Second, c.syn())
	}
	return t.pkts, nil
}

func dnsQueries(fixed bool) func() ([]pkt, []int) {
	return func() ([]pkt, []int) {
		cl, res := newHost("192.168.1.23", 64), newHost("192.168.1.1", 64)
		r := rand.New(rand.NewPCG(53, 53))
		var t timeline
		var flagged []int
		names := []string{"www.example.com", "mail.example.org", "cdn.example.net", "api.example.com", "ntp.example.org"}
		for i := range 50 {
			port := uint16(33333)
			if !fixed {
				port = uint16(32768 + r.IntN(28232))
			} else if i == 0 {
				// Flagged once per host and source port, on the first query.
				flagged = append(flagged, t.frameNo())
			}
			q := dnsQuery(uint16(r.Uint32()), names[i%len(names)])
			addr := []byte{198, 51, 100, byte(10 + i%len(names))}
			t.ip(700*time.Millisecond, udp(endpoint{cl, port}, endpoint{res, 53}, q))
			t.ip(3*time.Millisecond, udp(endpoint{res, 53}, endpoint{cl, port}, dnsAnswer(q, addr)))
		}
		return t.pkts, flagged
	}
}

func sctpReuse() ([]pkt, []int) {
	cl, sv := clientServer()
	a, z := endpoint{cl, 36412}, endpoint{sv, 36412} // S1AP-style fixed ports
	var t timeline
	var flagged []int
	for i, tag := range []uint32{0x1eaf0001, 0x2bad0002} {
		if i > 0 {
			t.wait(30 * time.Second)
			flagged = append(flagged, t.frameNo())
		}
		t.ip(0, sctpInit(a, z, tag, false))
		t.ip(wan, sctpInit(z, a, tag, true))
		t.ip(40*time.Microsecond, sctpChunk(a, z, tag^0x13572468, layers.SCTPChunkTypeCookieEcho, payload(32, tag)))
		t.ip(wan, sctpChunk(z, a, tag, layers.SCTPChunkTypeCookieAck, nil))
	}
	return t.pkts, flagged
}
