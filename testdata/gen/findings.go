package main

// The findings capture (testdata/rules/findings-mixed.pcap.gz): three
// causes in one file, and the findings one writes by hand from how it was
// built. Under --os auto portlens must group its flags into exactly these.

import (
	"math/rand/v2"
	"time"
)

// caseFinding is one finding a capture must give: its kind (and class),
// the hosts it names, how many flags and connections, and the frames of
// all its flags.
type caseFinding struct {
	Kind        string   `json:"kind"`
	Class       string   `json:"class,omitempty"`
	Hosts       []string `json:"hosts"`
	Count       int      `json:"count"`
	Connections int      `json:"connections"`
	Frames      []int    `json:"frames"`
}

// mixedCase builds the capture and remembers its findings.
type mixedCase struct{ findings []caseFinding }

// The connections of each cause.
const (
	mixedLinuxConns = 120  // the app server's ordinary connections (Linux ports)
	mixedFixedConns = 5    // its connections from fixed port 5000 to the database
	mixedWinConns   = 20   // the Windows desktop's connections
	mixedXPConns    = 3300 // the health checker's connections (Windows XP ports)
)

// build: an app server (Linux) opens 120 connections from random ports
// and 5 to its database from port 5000, each aborted with RST and retried
// a second later; a Windows desktop opens 20 connections with Windows
// ports, several above Linux's range; a health checker with Windows XP's
// range (1025-5000) opens 3300 connections to one server in 33 s, closing
// first with FIN, so its ports stay in TIME_WAIT (240 s): more than 80% of
// its 3976 ports are busy at once.
//
// Under auto the hosts are inferred Linux (120 of 125 ports, 96%), Windows
// and Windows XP, and the findings are, ranked (warnings first, then the
// most connections): the checker's exhaustion (1 flag, 3300 connections),
// port 5000 outside Linux's range (1 flag for 5 connections), and the 4
// reuses after RST of 192.168.1.23:5000 toward the database.
func (m *mixedCase) build() ([]pkt, []int) {
	app, web, db := newHost("192.168.1.23", 64), newHost("203.0.113.10", 52), newHost("203.0.113.20", 52)
	win := newHost("192.168.1.57", 128)
	win.windows = true
	checker, health := newHost("192.168.1.99", 128), newHost("203.0.113.30", 52)
	var t timeline
	// Distinct random ports: a port drawn twice would be a reuse of its own.
	ports := rand.New(rand.NewPCG(23, 5000)).Perm(28232)[:mixedLinuxConns]
	shortConns(&t, app, web, 443, mixedLinuxConns, 150*time.Millisecond, func(i int) uint16 { return uint16(32768 + ports[i]) })

	var fixedSYNs []int
	for i := range mixedFixedConns {
		fixedSYNs = append(fixedSYNs, t.frameNo())
		isn := uint32(i+1) * 0x3b9aca07
		c := newConn(endpoint{app, 5000}, endpoint{db, 5432}, isn, ^isn)
		t.handshake(c, lan)
		t.request(c, lan, 90, 40)
		t.tcp(time.Millisecond, c.rst(true))
		t.wait(time.Second)
	}

	shortConns(&t, win, web, 443, mixedWinConns, 500*time.Millisecond, func(i int) uint16 { return uint16(60990 + i*113) })

	const need = 3181 // ceil(80% of 3976): the busy ports that make the flag
	var busyAt int
	start := t.now
	for i := range mixedXPConns {
		t.now = start + time.Duration(i)*10*time.Millisecond
		if i == need-1 {
			busyAt = t.frameNo()
		}
		isn := uint32(i)*0x9e3779b9 + 0x1357
		c := newConn(endpoint{checker, uint16(1025 + i)}, endpoint{health, 80}, isn, isn^0x5a5a5a5a)
		t.tcp(0, c.syn())
		t.tcp(lan, c.synAck())
		t.tcp(40*time.Microsecond, c.fin(true))
		t.tcp(lan, c.fin(false))
	}

	m.findings = []caseFinding{
		{Kind: "port.exhaustion", Class: "busy", Hosts: []string{"192.168.1.99", "203.0.113.30"},
			Count: 1, Connections: mixedXPConns, Frames: []int{busyAt}},
		{Kind: "port.outside_ephemeral", Hosts: []string{"192.168.1.23"},
			Count: 1, Connections: mixedFixedConns, Frames: fixedSYNs[:1]},
		{Kind: "tcp.reused_ports", Class: "after-rst", Hosts: []string{"192.168.1.23", "203.0.113.20"},
			Count: mixedFixedConns - 1, Connections: mixedFixedConns - 1, Frames: fixedSYNs[1:]},
	}
	flagged := []int{fixedSYNs[0]}
	flagged = append(flagged, fixedSYNs[1:]...)
	flagged = append(flagged, busyAt)
	return t.pkts, flagged
}
