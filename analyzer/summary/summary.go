// Package summary derives the page's aggregate views from an analysis
// result: reuse chains, the services seen and the state of their
// connections at the end of the capture (netstat -an for a capture), and
// each client host's source-port usage over time. It judges nothing: the
// rules do; it formats nothing: the views do.
package summary

import (
	"cmp"
	"net/netip"
	"slices"
	"time"

	"github.com/portlens/portlens/analyzer/conv"
	"github.com/portlens/portlens/analyzer/rules"
)

// State of a connection at the end of the capture, as netstat names them.
type State string

const (
	SynSent     State = "SYN_SENT"    // SYN seen, never answered
	Established State = "ESTABLISHED" // open, no FIN or RST
	HalfClosed  State = "FIN_WAIT"    // one side sent FIN
	TimeWait    State = "TIME_WAIT"   // closed by FIN less than TIME_WAIT before the capture's end
	Closed      State = "CLOSED"      // RST, or FIN long enough ago
)

// StateAt is conversation c's state at time end (ns), with the preset's
// TIME_WAIT clock.
func StateAt(c *conv.Conversation, end int64, timeWait time.Duration) State {
	switch c.End() {
	case conv.Rst:
		return Closed
	case conv.Fin:
		if c.FirstFIN[0].Frame == 0 || c.FirstFIN[1].Frame == 0 {
			return HalfClosed
		}
		if time.Duration(end-c.LastTime) < timeWait {
			return TimeWait
		}
		return Closed
	}
	if c.SYN.Frame > 0 && c.SYNACK.Frame == 0 && c.Packets[0]+c.Packets[1] == c.SYNCount {
		return SynSent
	}
	return Established
}

// Chain is the reuse chain through stream s: every conversation on the
// same ports, oldest first (6 -> 7 -> 8). A single stream when no reuse.
func Chain(convs []conv.Conversation, s int) []int {
	if s < 0 || s >= len(convs) {
		return nil
	}
	head := s
	for seen := 0; convs[head].PrevStream >= 0 && seen < len(convs); seen++ {
		head = convs[head].PrevStream
	}
	var out []int
	for i := head; i >= 0 && len(out) < len(convs); i = convs[i].NextStream {
		out = append(out, i)
	}
	return out
}

// Service is a server endpoint: the address:port clients opened
// connections to (the receiver of SYNs, the sender of SYN/ACKs).
type Service struct {
	Addr        netip.AddrPort
	Answered    bool // it sent at least one SYN/ACK
	Connections []int
	States      map[State]int
	Refused     int // connections whose SYN the service answered with an RST
	Unanswered  int // connections whose SYN got no SYN/ACK and no RST: a full listen queue or a filter
	Clients     int // distinct client addresses
}

// Services lists the services, most connections first.
func Services(convs []conv.Conversation, end int64, timeWait time.Duration) []Service {
	byAddr := map[netip.AddrPort]*Service{}
	clients := map[netip.AddrPort]map[netip.Addr]bool{}
	var order []netip.AddrPort
	for i := range convs {
		c := &convs[i]
		client, server := c.Client()
		sv := byAddr[server]
		if sv == nil {
			sv = &Service{Addr: server, States: map[State]int{}}
			byAddr[server] = sv
			clients[server] = map[netip.Addr]bool{}
			order = append(order, server)
		}
		sv.Connections = append(sv.Connections, c.Stream)
		st := StateAt(c, end, timeWait)
		sv.States[st]++
		if c.SYNACK.Frame > 0 {
			sv.Answered = true
		}
		if c.SYN.Frame > 0 && c.SYNACK.Frame == 0 {
			if c.FirstRST.Frame > 0 && c.RSTDir != c.SYNDir {
				sv.Refused++
			} else {
				sv.Unanswered++
			}
		}
		clients[server][client.Addr()] = true
	}
	out := make([]Service, 0, len(order))
	for _, a := range order {
		sv := byAddr[a]
		sv.Clients = len(clients[a])
		out = append(out, *sv)
	}
	slices.SortStableFunc(out, func(a, b Service) int { return cmp.Compare(len(b.Connections), len(a.Connections)) })
	return out
}

// Point is one connection on a client's port-vs-time plot.
type Point struct {
	Time   int64
	Port   uint16
	Stream int
	Reused bool // it reused the ports of an earlier conversation
}

// Client is a host that opened connections, and its source ports.
type Client struct {
	Addr        netip.Addr
	Connections int
	Ports       int // distinct source ports
	Lo, Hi      uint16
	Outside     int // connections from a port outside the ephemeral range
	Reused      int
	Points      []Point // in time order
}

// Clients lists the client hosts, most connections first, judging source
// ports against the preset's ephemeral range.
func Clients(convs []conv.Conversation, eph rules.Range) []Client {
	byAddr := map[netip.Addr]*Client{}
	ports := map[netip.Addr]map[uint16]bool{}
	var order []netip.Addr
	for i := range convs {
		c := &convs[i]
		client, _ := c.Client()
		a := client.Addr()
		cl := byAddr[a]
		if cl == nil {
			cl = &Client{Addr: a, Lo: client.Port(), Hi: client.Port()}
			byAddr[a] = cl
			ports[a] = map[uint16]bool{}
			order = append(order, a)
		}
		port := client.Port()
		cl.Connections++
		ports[a][port] = true
		cl.Lo, cl.Hi = min(cl.Lo, port), max(cl.Hi, port)
		if !eph.Contains(port) {
			cl.Outside++
		}
		reused := c.PrevStream >= 0
		if reused {
			cl.Reused++
		}
		cl.Points = append(cl.Points, Point{Time: c.FirstTime, Port: port, Stream: c.Stream, Reused: reused})
	}
	out := make([]Client, 0, len(order))
	for _, a := range order {
		cl := byAddr[a]
		cl.Ports = len(ports[a])
		slices.SortStableFunc(cl.Points, func(x, y Point) int { return cmp.Compare(x.Time, y.Time) })
		out = append(out, *cl)
	}
	slices.SortStableFunc(out, func(a, b Client) int { return cmp.Compare(b.Connections, a.Connections) })
	return out
}
