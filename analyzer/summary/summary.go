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

	"github.com/portlens/portlens/analyzer"
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
		if c.FirstFIN[0] == 0 || c.FirstFIN[1] == 0 {
			return HalfClosed
		}
		if time.Duration(end-c.LastTime) < timeWait {
			return TimeWait
		}
		return Closed
	}
	if c.SYN.Frame > 0 && c.SYNACK.Frame == 0 && c.Packets[0]+c.Packets[1] == uint32(c.SYNCount) {
		return SynSent
	}
	return Established
}

// TimeWaitOf is the TIME_WAIT that applies to c: the preset of the side
// that closed first (it holds TIME_WAIT), else the client's.
func TimeWaitOf(res *analyzer.Result, c *conv.Conversation) time.Duration {
	holder, _ := c.Client()
	if d, ok := c.ClosedFirstBy(); ok {
		holder, _ = c.Endpoints(d)
	}
	return res.Verdict.PresetOf(holder.Host).TimeWait
}

// State is conversation c's state at the end of the capture.
func StateOf(res *analyzer.Result, c *conv.Conversation) State {
	return StateAt(c, res.LastTime, TimeWaitOf(res, c))
}

// Chain is the reuse chain through stream s: every conversation on the
// same ports, oldest first (6 -> 7 -> 8). A single stream when no reuse.
func Chain(convs *conv.Table, s int) []int {
	n := convs.Len()
	if s < 0 || s >= n {
		return nil
	}
	head := s
	for seen := 0; convs.At(head).PrevStream >= 0 && seen < n; seen++ {
		head = int(convs.At(head).PrevStream)
	}
	var out []int
	for i := head; i >= 0 && len(out) < n; i = int(convs.At(i).NextStream) {
		out = append(out, i)
	}
	return out
}

// Service is a server endpoint: the address:port clients opened
// connections to (the receiver of SYNs, the sender of SYN/ACKs).
type Service struct {
	Addr        netip.AddrPort
	Answered    bool // it sent at least one SYN/ACK
	Connections int
	States      map[State]int
	Refused     int // connections whose SYN the service answered with an RST
	Unanswered  int // connections whose SYN got no SYN/ACK and no RST: a full listen queue or a filter
	Clients     int // distinct client addresses
}

// Services lists the services, most connections first.
func Services(res *analyzer.Result) []Service {
	convs := res.Conversations
	byServer := map[conv.Endpoint]int{}
	clients := map[[2]int32]bool{} // service index, client host
	var out []Service
	for i := range convs.Len() {
		c := convs.At(i)
		client, server := c.Client()
		k, ok := byServer[server]
		if !ok {
			k = len(out)
			byServer[server] = k
			out = append(out, Service{Addr: res.AddrPort(server), States: map[State]int{}})
		}
		sv := &out[k]
		sv.Connections++
		sv.States[StateOf(res, c)]++
		if c.SYNACK.Frame > 0 {
			sv.Answered = true
		}
		if c.SYN.Frame > 0 && c.SYNACK.Frame == 0 {
			if c.FirstRST > 0 && c.RSTDir != c.SYNDir {
				sv.Refused++
			} else {
				sv.Unanswered++
			}
		}
		if ck := [2]int32{int32(k), int32(client.Host)}; !clients[ck] {
			clients[ck] = true
			sv.Clients++
		}
	}
	slices.SortStableFunc(out, func(a, b Service) int { return cmp.Compare(b.Connections, a.Connections) })
	return out
}

// Client is a host that opened connections, and its source ports.
type Client struct {
	Addr        netip.Addr
	Host        conv.HostID
	Preset      rules.Preset // the preset the rules judged it by
	Connections int
	Ports       int // distinct source ports
	Lo, Hi      uint16
	Outside     int // connections from a port outside its preset's ephemeral range
	Reused      int
}

// Clients lists the client hosts, most connections first, judging their
// source ports against each one's preset (under auto, what auto inferred
// for that host, as the rules did).
func Clients(res *analyzer.Result) []Client {
	convs := res.Conversations
	byHost := map[conv.HostID]int{}
	ports := map[[2]int32]bool{} // client index, port
	var out []Client
	for i := range convs.Len() {
		c := convs.At(i)
		client, _ := c.Client()
		k, ok := byHost[client.Host]
		if !ok {
			k = len(out)
			byHost[client.Host] = k
			out = append(out, Client{Addr: res.Hosts.Addr(client.Host), Host: client.Host,
				Preset: res.Verdict.PresetOf(client.Host), Lo: client.Port, Hi: client.Port})
		}
		cl := &out[k]
		port := client.Port
		cl.Connections++
		if pk := [2]int32{int32(k), int32(port)}; !ports[pk] {
			ports[pk] = true
			cl.Ports++
		}
		cl.Lo, cl.Hi = min(cl.Lo, port), max(cl.Hi, port)
		if !cl.Preset.Ephemeral.Contains(port) {
			cl.Outside++
		}
		if c.PrevStream >= 0 {
			cl.Reused++
		}
	}
	slices.SortStableFunc(out, func(a, b Client) int { return cmp.Compare(b.Connections, a.Connections) })
	return out
}

// Point is one connection on a client's port-vs-time plot.
type Point struct {
	Time   int64
	Port   uint16
	Stream int
	Reused bool // it reused the ports of an earlier conversation
}

// Points lists the connections host opened, in time order: built for the
// one client a plot shows, not for all of them.
func Points(res *analyzer.Result, host conv.HostID) []Point {
	convs := res.Conversations
	var out []Point
	for i := range convs.Len() {
		c := convs.At(i)
		client, _ := c.Client()
		if client.Host == host {
			out = append(out, Point{Time: c.FirstTime, Port: client.Port, Stream: i, Reused: c.PrevStream >= 0})
		}
	}
	slices.SortStableFunc(out, func(x, y Point) int { return cmp.Compare(x.Time, y.Time) })
	return out
}
