package main

// A SYN that collides with a connection its peer still holds (tcp.stale_peer):
// the peer answers with a bare ACK of the old connection instead of a
// SYN/ACK, the client resets it and retries after its retransmission
// timeout. And the look-alikes that must not be taken for it.

import (
	"time"
)

// staleAck is the held connection's answer to a SYN on its ports: a bare
// ACK carrying the old connection's numbers (TIME_WAIT's last ACK, or an
// open connection's challenge ACK).
func (c *conn) staleAck() seg {
	return seg{src: c.s, dst: c.c, flags: ack, seq: c.snxt, ack: c.cnxt, win: 509, opts: ackOpts(c.s.h, c.c.h)}
}

// resetFor is the client's answer to an ACK it did not expect while
// connecting: RST, its sequence number the ACK's acknowledgment number
// (RFC 9293 section 3.10.7.3), no ACK bit.
func (c *conn) resetFor(a seg) seg {
	return seg{src: c.c, dst: c.s, flags: rst, seq: a.ack}
}

// collide appends a SYN of nc that the old connection's holder answers
// with a stale ACK, the client's RST, then the SYN again after each of
// retries (from one SYN to the next), the holder answering all but the
// last the same way; the last gets its SYN/ACK and the connection runs.
// rtt is the round trip; atServer says where the capture was taken (the
// ACK follows the SYN at once there, the RST a round trip later). It
// returns the first SYN's frame.
func (t *timeline) collide(old, nc *conn, rtt time.Duration, atServer bool, retries []time.Duration) int {
	ackGap, rstGap := rtt, 60*time.Microsecond
	if atServer {
		ackGap, rstGap = rstGap, rtt
	}
	f := t.frameNo()
	for i := 0; ; i++ {
		t.tcp(0, nc.syn())
		if i == len(retries) {
			break
		}
		a := old.staleAck()
		t.tcp(ackGap, a)
		t.tcp(rstGap, nc.resetFor(a))
		t.wait(retries[i] - ackGap - rstGap)
	}
	t.tcp(ackGap, nc.synAck())
	t.tcp(rstGap, nc.ack(true))
	t.request(nc, rtt, 517, 1400)
	t.closeBy(nc, true, rtt)
	return f
}

// natPeer is another host behind the same NAT address as h: the server
// sees the same address, but its TCP timestamp clock is its own (behind
// h's by lag ticks), as is its ISN.
func natPeer(h *host, lag uint32) *host {
	p := *h
	p.tsval = h.tsval - lag
	return &p
}

// staleTimeWait: the server closed first and holds TIME_WAIT; gap later
// another client behind the same NAT address is given the same public
// port, with a timestamp clock behind the old one and a lower ISN, so the
// server (RFC 6191) repeats its last ACK. The client retries after each of
// retries (one: the server honours the RST, RFC 1337 protection off as
// on Linux by default; more: it ignores the RSTs, tcp_rfc1337=1, and
// accepts a SYN once its TIME_WAIT has run out).
func staleTimeWait(gap time.Duration, retries []time.Duration, windows bool) func() ([]pkt, []int) {
	return func() ([]pkt, []int) {
		nat, sv := newHost("198.51.100.50", 55), newHost("203.0.113.10", 64)
		nat.windows = windows
		var t timeline
		old := newConn(endpoint{nat, 41000}, endpoint{sv, 443}, 0x6e5d4c3b, 0x2a190817)
		t.handshake(old, lan)
		t.request(old, lan, 517, 1400)
		t.closeBy(old, false, lan)
		t.wait(gap)
		other := natPeer(nat, 900000)
		nc := newConn(endpoint{other, 41000}, endpoint{sv, 443}, 0x1f2e3d4c, 0x7b6a5948)
		f := t.collide(old, nc, wan, true, retries)
		return t.pkts, []int{f}
	}
}

// staleHalfOpen: a client bound to a fixed port (40001) is restarted
// without closing its connection; 45 s later it connects again from the
// same port. The server still holds the connection open and answers with a
// challenge ACK; the client's RST clears it, the retry after 1 s opens.
func staleHalfOpen() ([]pkt, []int) {
	cl, sv := clientServer()
	var t timeline
	old := newConn(endpoint{cl, 40001}, endpoint{sv, 5432}, 0x3c4d5e6f, 0x0a1b2c3d)
	t.handshake(old, wan)
	t.request(old, wan, 120, 300)
	t.wait(45 * time.Second)
	restarted := natPeer(cl, 4000000) // a new boot: the timestamp clock starts again
	nc := newConn(endpoint{restarted, 40001}, endpoint{sv, 5432}, 0x0badcafe, 0x5e6f7081)
	f := t.collide(old, nc, wan, false, []time.Duration{time.Second})
	return t.pkts, []int{f}
}

// staleUnseen: the capture starts after the earlier connection: the SYN is
// the first packet on its ports, and the answer's numbers belong to a
// connection the capture never saw.
func staleUnseen() ([]pkt, []int) {
	cl, sv := clientServer()
	var t timeline
	old := newConn(endpoint{cl, 40002}, endpoint{sv, 8443}, 0x10203040, 0x50607080)
	old.cnxt, old.snxt = 0x10203040+91234, 0x50607080+4455667 // what it had sent before the capture
	nc := newConn(endpoint{cl, 40002}, endpoint{sv, 8443}, 0x0f0e0d0c, 0x6b5a4938)
	f := t.collide(old, nc, wan, false, []time.Duration{time.Second})
	return t.pkts, []int{f}
}

// staleAccepted: the TIME_WAIT collision of staleTimeWait, but the new
// client's timestamp clock is ahead of the old one: RFC 6191 lets the SYN
// reopen the tuple and the server answers with a SYN/ACK at once.
func staleAccepted() ([]pkt, []int) {
	nat, sv := newHost("198.51.100.50", 55), newHost("203.0.113.10", 64)
	var t timeline
	old := newConn(endpoint{nat, 41000}, endpoint{sv, 443}, 0x6e5d4c3b, 0x2a190817)
	t.handshake(old, lan)
	t.request(old, lan, 517, 1400)
	t.closeBy(old, false, lan)
	t.wait(20 * time.Second)
	other := natPeer(nat, 0)
	other.tsval += 20000 // ahead
	nc := newConn(endpoint{other, 41000}, endpoint{sv, 443}, 0x1f2e3d4c, 0x7b6a5948)
	t.handshake(nc, lan)
	t.request(nc, lan, 517, 1400)
	t.closeBy(nc, true, lan)
	return t.pkts, nil
}

// synAckLost: the SYN/ACK is missing from the capture (taken on a path
// that saw only some of it): the client's ACK and data come first, then
// the server's bare ACK, whose ack is not the ISN + 1 either. Not a stale
// peer: the client had answered a SYN/ACK.
func synAckLost() ([]pkt, []int) {
	cl, sv := clientServer()
	var t timeline
	c := newConn(endpoint{cl, 44321}, endpoint{sv, 443}, 0x2468ace0, 0x13579bdf)
	t.tcp(0, c.syn())
	c.synAck() // sent, not captured
	t.tcp(wan+40*time.Microsecond, c.ack(true))
	t.tcp(200*time.Microsecond, c.data(true, 517))
	t.tcp(wan, c.ack(false))
	t.tcp(time.Millisecond, c.data(false, 1400))
	t.tcp(40*time.Microsecond, c.ack(true))
	t.closeBy(c, true, wan)
	return t.pkts, nil
}
