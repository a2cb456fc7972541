package main

// VMs behind a cloud NAT (port.exhaustion, class nat-budget): the NAT
// lets a VM hold a budget of ports toward one destination; beyond it the
// NAT drops new SYNs, which the VM retransmits without answer. The
// captures are taken on the VM, before the NAT: its own ports, the
// server's answers, and silence for the dropped SYNs.

import (
	"cmp"
	"fmt"
	"slices"
	"time"
)

// event is one segment at an absolute time; seg is built when the
// events are put in time order, so TCP timestamps advance with time.
type event struct {
	at  time.Duration
	n   int // the order of creation, to keep equal times stable
	seg func() seg
}

// schedule collects segments of connections that overlap in time.
type schedule struct{ evs []event }

func (s *schedule) at(at time.Duration, f func() seg) {
	s.evs = append(s.evs, event{at: at, n: len(s.evs), seg: f})
}

// shortConn schedules a short connection from c at t0: handshake, a
// request and its answer, a close by the client (FIN both ways).
func (s *schedule) shortConn(c *conn, t0, rtt time.Duration) {
	steps := []struct {
		after time.Duration
		seg   func() seg
	}{
		{0, c.syn}, {rtt, c.synAck}, {40 * time.Microsecond, func() seg { return c.ack(true) }},
		{200 * time.Microsecond, func() seg { return c.data(true, 220) }},
		{rtt, func() seg { return c.data(false, 900) }},
		{40 * time.Microsecond, func() seg { return c.ack(true) }},
		{time.Millisecond, func() seg { return c.fin(true) }},
		{rtt, func() seg { return c.fin(false) }},
		{40 * time.Microsecond, func() seg { return c.ack(true) }},
	}
	at := t0
	for _, st := range steps {
		at += st.after
		s.at(at, st.seg)
	}
}

// dropped schedules a SYN the NAT drops: sent at t0 and again after each
// of Linux's retransmission timeouts (1 s, then 2 s more).
func (s *schedule) dropped(c *conn, t0 time.Duration) {
	for _, at := range []time.Duration{0, time.Second, 3 * time.Second} {
		s.at(t0+at, c.syn)
	}
}

// packets puts the segments in time order and serializes them.
func (s *schedule) packets() []pkt {
	slices.SortFunc(s.evs, func(a, b event) int {
		if c := cmp.Compare(a.at, b.at); c != 0 {
			return c
		}
		return cmp.Compare(a.n, b.n)
	})
	out := make([]pkt, len(s.evs))
	for i, ev := range s.evs {
		out[i] = pkt{at: ev.at, ip: ev.seg().bytes()}
	}
	return out
}

// frameOf is the 1-based frame of the first segment scheduled at at or
// later by the event numbered n (after packets sorted them).
func (s *schedule) frameOf(n int) int {
	for i, ev := range s.evs {
		if ev.n == n {
			return i + 1
		}
	}
	return 0
}

// vmPort gives VM i's k-th connection a source port, as Linux's random
// port selection would (distinct, inside 32768-60999).
func vmPort(i, k int) uint16 { return uint16(32768 + (i*7919+k*2741)%28232) }

// natBudgetCase: a VM opens conns short connections to one destination,
// one every gap, then drops more connections whose SYNs the NAT drops
// (retransmitted, never answered); beside it, other traffic that stays
// inside every budget: the same VM to another destination, another VM to
// the same destination. The flagged frame is the first dropped SYN.
func natBudgetCase(conns int, gap time.Duration, drops int) func() ([]pkt, []int) {
	return func() ([]pkt, []int) {
		vm, other := newHost("10.0.5.12", 64), newHost("10.0.5.13", 64)
		dest, dest2 := newHost("198.51.100.7", 57), newHost("198.51.100.8", 57)
		var s schedule
		isn := func(i, k int) uint32 { return uint32(i*1000003+k)*0x9e3779b9 + 0x1234567 }
		for k := range conns {
			c := newConn(endpoint{vm, vmPort(0, k)}, endpoint{dest, 443}, isn(0, k), isn(0, k)^0x5a5a5a5a)
			s.shortConn(c, time.Duration(k)*gap, wan)
		}
		for k := range 20 {
			c := newConn(endpoint{vm, vmPort(1, k)}, endpoint{dest2, 443}, isn(1, k), isn(1, k)^0x5a5a5a5a)
			s.shortConn(c, 500*time.Millisecond+time.Duration(k)*300*time.Millisecond, wan)
		}
		for k := range 40 {
			c := newConn(endpoint{other, vmPort(2, k)}, endpoint{dest, 443}, isn(2, k), isn(2, k)^0x5a5a5a5a)
			s.shortConn(c, 250*time.Millisecond+time.Duration(k)*150*time.Millisecond, wan)
		}
		firstDrop := len(s.evs)
		end := time.Duration(conns) * gap
		for k := range drops {
			c := newConn(endpoint{vm, vmPort(0, conns+k)}, endpoint{dest, 443}, isn(0, conns+k), 0)
			s.dropped(c, end+time.Duration(k)*100*time.Millisecond)
		}
		pkts := s.packets()
		return pkts, []int{s.frameOf(firstDrop)}
	}
}

// natWithin: a VM opens 200 connections to one destination, one every
// 3 s (10 minutes): many more than Cloud NAT's 64 ports, but never more
// than 41 held at once (120 s of TIME_WAIT / 3 s), all answered.
func natWithin() ([]pkt, []int) {
	vm, dest := newHost("10.0.5.12", 64), newHost("198.51.100.7", 57)
	var s schedule
	for k := range 200 {
		isn := uint32(k)*0x9e3779b9 + 0x7654321
		s.shortConn(newConn(endpoint{vm, vmPort(0, k)}, endpoint{dest, 443}, isn, ^isn), time.Duration(k)*3*time.Second, wan)
	}
	return s.packets(), nil
}

// natNote describes a budget case for cases.json.
func natNote(conns int, gap time.Duration, drops int, nat string) string {
	return fmt.Sprintf("VM 10.0.5.12 opens %d short connections (closed by FIN) to 198.51.100.7:443, one every %s, then %d "+
		"more whose SYNs the NAT drops (sent at 0, 1 and 3 s, never answered); 20 connections to 198.51.100.8:443 and 40 from "+
		"10.0.5.13 stay inside every budget. Under %s the first dropped SYN is flagged", conns, gap, drops, nat)
}
