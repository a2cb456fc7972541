package app

import (
	"bytes"
	"encoding/binary"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/portlens/portlens/analyzer"
)

// V8 compiles WebAssembly with a fast baseline compiler first and
// optimizes a function only once it has run hot for a while, in the
// background. The first capture a user opens was therefore read, for its
// first few hundred milliseconds, by unoptimized code: on a million
// packets, 186k flags, the first analysis of a page took 1.86 s without
// the warm-up and 1.57 s with it (medians of seven runs each). So once the page is idle it
// analyzes a few thousand packets of its own, a few times, in slices, and
// stops as soon as the user opens a capture; nothing of it is kept or
// shown. Its first slices are long (50-170 ms measured): V8 compiles each
// function the first time it is called, and the first packets call most
// of the analyzer. Without the warm-up that cost falls in the first
// slices of the user's first capture, as tasks over 50 ms.

// Shape of the warm-up capture: conversations from a few clients to one
// server, their source ports cycling so that later ones reuse the ports of
// earlier ones (the rules then flag and group them, as on real captures).
const (
	warmConversations = 600
	warmPorts         = 250
	warmRounds        = 4
)

// warmUp analyzes warmCapture warmRounds times in the background, unless
// a capture is opened meanwhile.
func (p *Page) warmUp(ctx app.Context) {
	idle := func() bool { return p.run == 0 }
	ctx.Async(func() {
		y := newYielder()
		defer y.Release()
		y.Yield() // after the page's first render
		capture := warmCapture()
		opts := analyzer.DefaultOptions()
		opts.Pause = y.Paced(slice)
		for range warmRounds {
			run := analyzer.Start("warm-up", bytes.NewReader(capture), opts)
			for more := true; more; {
				more = run.Step(512)
				y.Yield()
				if !idle() {
					return
				}
			}
			run.Result()
		}
	})
}

// warmCaptureSize bounds the warm-up capture's size (878 KB), so that it
// is written into one buffer, allocated once: at startup, before V8 has
// optimized anything, growing it and allocating each packet took tens of
// milliseconds.
const warmCaptureSize = 900 << 10

// warmCapture writes the warm-up capture: a pcap of Ethernet, IPv4 and
// TCP, each conversation a handshake with options, a request, a reply and
// a close; every seventh one is reset instead.
func warmCapture() []byte {
	le, be := binary.LittleEndian, binary.BigEndian
	out := make([]byte, 24, warmCaptureSize)
	le.PutUint32(out, 0xa1b2c3d4)
	le.PutUint16(out[4:], 2)
	le.PutUint16(out[6:], 4)
	le.PutUint32(out[16:], 65535)
	le.PutUint32(out[20:], 1) // Ethernet
	usec := uint32(0)
	add := func(src, dst [4]byte, sport, dport uint16, seq, ack uint32, flags byte, opts []byte, payload int) {
		usec += 700
		tcpLen := 20 + len(opts)
		n := 14 + 20 + tcpLen + payload
		start := len(out)
		out = append(out, make([]byte, 16+n)...) // zeroed, in place while it fits
		rec := out[start:]
		le.PutUint32(rec, usec/1e6)
		le.PutUint32(rec[4:], usec%1e6)
		le.PutUint32(rec[8:], uint32(n))
		le.PutUint32(rec[12:], uint32(n))
		pkt := rec[16:]
		pkt[12], pkt[13] = 0x08, 0x00
		ip := pkt[14:]
		ip[0], ip[8], ip[9] = 0x45, 64, 6
		be.PutUint16(ip[2:], uint16(20+tcpLen+payload))
		copy(ip[12:], src[:])
		copy(ip[16:], dst[:])
		tcp := ip[20:]
		be.PutUint16(tcp, sport)
		be.PutUint16(tcp[2:], dport)
		be.PutUint32(tcp[4:], seq)
		be.PutUint32(tcp[8:], ack)
		tcp[12], tcp[13] = byte(tcpLen/4)<<4, flags
		be.PutUint16(tcp[14:], 64240)
		copy(tcp[20:], opts)
	}
	const fin, syn, rst, psh, ack = 0x01, 0x02, 0x04, 0x08, 0x10
	// MSS 1460, SACK permitted, timestamps, window scale 7.
	synOpts := []byte{2, 4, 5, 180, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7}
	server := [4]byte{192, 0, 2, 1}
	for i := range warmConversations {
		client := [4]byte{10, 0, 0, byte(1 + i%4)}
		cp, sp := uint16(40000+i%warmPorts), uint16(443)
		cs, ss := uint32(i)*7919+1, uint32(i)*104729+1
		add(client, server, cp, sp, cs, 0, syn, synOpts, 0)
		add(server, client, sp, cp, ss, cs+1, syn|ack, synOpts, 0)
		add(client, server, cp, sp, cs+1, ss+1, ack, nil, 0)
		add(client, server, cp, sp, cs+1, ss+1, psh|ack, nil, 120)
		if i%7 == 6 {
			add(server, client, sp, cp, ss+1, 0, rst, nil, 0)
			continue
		}
		add(server, client, sp, cp, ss+1, cs+121, psh|ack, nil, 900)
		add(client, server, cp, sp, cs+121, ss+901, fin|ack, nil, 0)
		add(server, client, sp, cp, ss+901, cs+122, fin|ack, nil, 0)
		add(client, server, cp, sp, cs+122, ss+902, ack, nil, 0)
	}
	return out
}
