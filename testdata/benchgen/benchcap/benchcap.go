// Package benchcap writes the benchmark capture: a deterministic pcap
// (Ethernet, microsecond time stamps) of short TCP connections and DNS
// lookups from many clients, with ephemeral ports drawn the way different
// operating systems draw them, so that some 4-tuples come back and
// Wireshark flags tcp.analysis.reused_ports. The same seed and packet count
// always give the same bytes.
//
// It lives under testdata so the module's packages never ship it; the
// benchmarks import it to build their input in memory, and
// ../main.go writes it to a file for the command-line tools.
package benchcap

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"io"
	"math/rand/v2"
)

// Config says what to generate.
type Config struct {
	Packets int    // exactly this many packets
	Seed    uint64 // same seed, same file
	// PcapNG writes a pcapng file instead of a pcap: the same packets,
	// each in an Enhanced Packet Block carrying an epb_flags option (as
	// dumpcap writes them), so packet data is followed by more bytes of
	// its block, which is what readers get wrong at buffer boundaries.
	PcapNG bool
	// Copies, when above 1, writes that many time-shifted copies of one
	// generated run of Packets/Copies packets, one after the other (as
	// mergecap -a of a capture shifted with editcap -t): every connection
	// of a later copy reuses the ports of the same connection in the
	// copy before, so most conversations are flagged, the way a long
	// capture of a periodic job looks.
	Copies int
}

// records yields the records of cfg: the packets of one generated run,
// or of Copies time-shifted runs.
type records struct {
	cfg        Config
	g          *gen
	per, done  int
	start, end int64 // the first run's first and last time (µs)
	copy       int
}

func newRecords(cfg Config) *records {
	r := &records{cfg: cfg, g: newGen(cfg.Seed), per: cfg.Packets}
	if cfg.Copies > 1 {
		r.per = (cfg.Packets + cfg.Copies - 1) / cfg.Copies
	}
	r.start = r.g.usec
	return r
}

func (r *records) next() []byte {
	if r.done > 0 && r.done%r.per == 0 {
		// The next copy: the same run again, a second after the last.
		if r.copy == 0 {
			r.end = r.g.usec
		}
		r.copy++
		r.g = newGen(r.cfg.Seed)
		r.g.usec += int64(r.copy) * (r.end - r.start + 1e6)
	}
	r.done++
	return r.g.next()
}

// Bytes returns the capture of n packets with the default seed.
func Bytes(n int) []byte {
	var buf bytes.Buffer
	buf.Grow(n * 100)
	_ = Write(&buf, Config{Packets: n, Seed: 1})
	return buf.Bytes()
}

// Write writes the capture to w.
func Write(w io.Writer, cfg Config) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	g := newRecords(cfg)
	if cfg.PcapNG {
		return writeNG(bw, g, cfg.Packets)
	}
	hdr := make([]byte, 24)
	binary.LittleEndian.PutUint32(hdr[0:], 0xa1b2c3d4)
	binary.LittleEndian.PutUint16(hdr[4:], 2)
	binary.LittleEndian.PutUint16(hdr[6:], 4)
	binary.LittleEndian.PutUint32(hdr[16:], 262144)
	binary.LittleEndian.PutUint32(hdr[20:], 1) // LINKTYPE_ETHERNET
	if _, err := bw.Write(hdr); err != nil {
		return err
	}
	for range cfg.Packets {
		if _, err := bw.Write(g.next()); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// writeNG writes the packets of g as pcapng: one section, one Ethernet
// interface with microsecond time stamps, one EPB per packet.
func writeNG(bw *bufio.Writer, g *records, packets int) error {
	le := binary.LittleEndian
	block := func(typ uint32, body []byte) error {
		total := uint32(12 + len(body))
		b := le.AppendUint32(nil, typ)
		b = le.AppendUint32(b, total)
		b = append(b, body...)
		b = le.AppendUint32(b, total)
		_, err := bw.Write(b)
		return err
	}
	shb := le.AppendUint32(nil, 0x1A2B3C4D)
	shb = le.AppendUint16(shb, 1)
	shb = le.AppendUint16(shb, 0)
	shb = le.AppendUint64(shb, ^uint64(0))
	if err := block(0x0A0D0D0A, shb); err != nil {
		return err
	}
	idb := le.AppendUint16(nil, 1) // LINKTYPE_ETHERNET
	idb = le.AppendUint16(idb, 0)
	idb = le.AppendUint32(idb, 262144)
	idb = append(idb, 2, 0, 4, 0, 'e', 't', 'h', '0') // if_name
	idb = append(idb, 9, 0, 1, 0, 6, 0, 0, 0)         // if_tsresol 10^-6
	idb = append(idb, 0, 0, 0, 0)                     // opt_endofopt
	if err := block(1, idb); err != nil {
		return err
	}
	var body []byte
	for range packets {
		rec := g.next()
		sec, usec := le.Uint32(rec[0:]), le.Uint32(rec[4:])
		incl, orig := le.Uint32(rec[8:]), le.Uint32(rec[12:])
		ts := uint64(sec)*1e6 + uint64(usec)
		body = le.AppendUint32(body[:0], 0)
		body = le.AppendUint32(body, uint32(ts>>32))
		body = le.AppendUint32(body, uint32(ts))
		body = le.AppendUint32(body, incl)
		body = le.AppendUint32(body, orig)
		body = append(body, rec[16:]...)
		for len(body)%4 != 0 {
			body = append(body, 0)
		}
		// epb_flags: inbound (1) or outbound (2), by the packet's parity.
		body = append(body, 2, 0, 4, 0, 1+byte(sec&1), 0, 0, 0)
		body = append(body, 0, 0, 0, 0) // opt_endofopt
		if err := block(6, body); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// How clients choose their source ports.
type portPolicy uint8

const (
	linux   portPolicy = iota // random in 32768-60999
	windows                   // sequential in 49152-65535
	fixed                     // always the same port (a badly written client)
	narrow                    // sequential in a 64-port slice (NAT, containers)
)

type client struct {
	v6     bool
	addr   [16]byte // IPv4 in the first 4 bytes
	mac    [6]byte
	policy portPolicy
	ttl    uint8
	ts     bool   // sends TCP timestamps (Linux does, Windows does not)
	port   uint16 // next port (windows, narrow) or the port (fixed)
	base   uint16 // narrow: first port of its slice
}

type server struct {
	addr4 [4]byte
	addr6 [16]byte
	port  uint16
}

// seg is one packet of a connection's script.
type seg struct {
	fromServer bool
	flags      uint8 // TCP flags; 0 for UDP
	payload    uint16
}

type conn struct {
	cli        *client
	srv        *server
	cport      uint16
	udp        bool
	script     [12]seg
	n, step    int
	seq        [2]uint32 // next sequence number: client, server
	tsval      uint32
	tuple      tuple
	queryID    uint16
	dnsAnswers bool
}

type tuple struct {
	cli   *client
	srv   *server
	cport uint16
}

const (
	tcpFIN = 0x01
	tcpSYN = 0x02
	tcpRST = 0x04
	tcpPSH = 0x08
	tcpACK = 0x10
)

type gen struct {
	rng     *rand.Rand
	clients []client
	servers []server
	dns     []server
	active  map[tuple]bool
	pool    []*conn
	usec    int64 // time since the epoch, microseconds
	buf     []byte
	srvMAC  [6]byte
}

func newGen(seed uint64) *gen {
	g := &gen{
		rng:    rand.New(rand.NewPCG(seed, 0x706f72746c656e73)),
		active: make(map[tuple]bool),
		usec:   1795305600 * 1e6, // 2026-11-22 00:00:00 UTC
		buf:    make([]byte, 0, 2048),
		srvMAC: [6]byte{0x00, 0x1b, 0x21, 0x0a, 0x0b, 0x0c},
	}
	for i := range 3000 {
		c := client{ttl: 64}
		c.mac = [6]byte{0x02, 0x00, 0x00, byte(i >> 16), byte(i >> 8), byte(i)}
		if i%10 == 9 {
			c.v6 = true
			copy(c.addr[:], []byte{0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01})
			binary.BigEndian.PutUint32(c.addr[12:], uint32(i))
		} else {
			c.addr[0], c.addr[1], c.addr[2], c.addr[3] = 10, byte(i>>16), byte(i>>8), byte(i)
		}
		switch r := g.rng.IntN(100); {
		case r < 50:
			c.policy, c.ts = linux, true
		case r < 80:
			c.policy, c.ttl = windows, 128
			c.port = uint16(49152 + g.rng.IntN(16384))
		case r < 85:
			c.policy, c.ts = fixed, true
			c.port = [...]uint16{40000, 5000, 1023, 33000}[g.rng.IntN(4)]
		default:
			c.policy, c.ts = narrow, true
			c.base = uint16(61000 + 64*g.rng.IntN(60))
			c.port = c.base
		}
		g.clients = append(g.clients, c)
	}
	ports := [...]uint16{443, 443, 443, 80, 80, 8080, 22, 5432, 3306, 6379}
	for i := range 40 {
		s := server{port: ports[i%len(ports)]}
		s.addr4 = [4]byte{192, 0, 2, byte(1 + i)}
		copy(s.addr6[:], []byte{0x20, 0x01, 0x0d, 0xb8, 0xff, 0xff})
		s.addr6[15] = byte(1 + i)
		g.servers = append(g.servers, s)
	}
	for i := range 2 {
		s := server{port: 53}
		s.addr4 = [4]byte{198, 51, 100, byte(53 + i)}
		copy(s.addr6[:], []byte{0x20, 0x01, 0x0d, 0xb8, 0x00, 0x53})
		s.addr6[15] = byte(53 + i)
		g.dns = append(g.dns, s)
	}
	for range 200 {
		g.pool = append(g.pool, g.newConn())
	}
	return g
}

// newConn starts a connection (or a DNS lookup) on a free 4-tuple.
func (g *gen) newConn() *conn {
	cli := &g.clients[g.rng.IntN(len(g.clients))]
	c := &conn{cli: cli}
	if g.rng.IntN(100) < 6 {
		c.udp = true
		c.srv = &g.dns[g.rng.IntN(len(g.dns))]
		c.cport = uint16(32768 + g.rng.IntN(28232))
		c.queryID = uint16(g.rng.Uint32())
		c.dnsAnswers = g.rng.IntN(10) > 0
		c.script[0] = seg{payload: 29}
		c.script[1] = seg{fromServer: true, payload: 29}
		if c.dnsAnswers {
			c.script[1].payload += 16
		}
		c.n = 2
		return c
	}
	// Clients with a fixed port talk to few servers, so their 4-tuples
	// come back; the others spread over all servers.
	if cli.policy == fixed {
		c.srv = &g.servers[int(cli.mac[5])%3]
	} else {
		c.srv = &g.servers[g.rng.IntN(len(g.servers))]
	}
	for try := 0; ; try++ {
		c.cport = g.port(cli, try)
		c.tuple = tuple{cli, c.srv, c.cport}
		if !g.active[c.tuple] {
			break
		}
	}
	g.active[c.tuple] = true
	c.seq = [2]uint32{g.rng.Uint32(), g.rng.Uint32()}
	c.tsval = g.rng.Uint32()
	c.tcpScript(g.rng)
	return c
}

func (g *gen) port(cli *client, try int) uint16 {
	if try > 3 { // the fixed or narrow port is busy: fall back to random
		return uint16(32768 + g.rng.IntN(28232))
	}
	switch cli.policy {
	case windows:
		p := cli.port
		cli.port++
		if cli.port == 0 {
			cli.port = 49152
		}
		return p
	case fixed:
		return cli.port
	case narrow:
		p := cli.port
		cli.port++
		if cli.port == cli.base+64 {
			cli.port = cli.base
		}
		return p
	}
	return uint16(32768 + g.rng.IntN(28232))
}

// tcpScript lays out a short connection: handshake, one or a few request
// and response segments, then FIN, RST, or a refused SYN.
func (c *conn) tcpScript(rng *rand.Rand) {
	s := c.script[:0]
	add := func(fromServer bool, flags uint8, payload int) {
		s = append(s, seg{fromServer, flags, uint16(payload)})
	}
	add(false, tcpSYN, 0)
	if rng.IntN(100) < 4 { // refused
		add(true, tcpRST|tcpACK, 0)
		c.n = copy(c.script[:], s)
		return
	}
	add(true, tcpSYN|tcpACK, 0)
	add(false, tcpACK, 0)
	add(false, tcpPSH|tcpACK, 16+rng.IntN(160))
	for range 1 + rng.IntN(2) {
		add(true, tcpACK, 40+rng.IntN(300))
	}
	add(false, tcpACK, 0)
	switch r := rng.IntN(100); {
	case r < 70: // orderly close, client first
		add(false, tcpFIN|tcpACK, 0)
		add(true, tcpFIN|tcpACK, 0)
		add(false, tcpACK, 0)
	case r < 80: // server closes first
		add(true, tcpFIN|tcpACK, 0)
		add(false, tcpFIN|tcpACK, 0)
		add(true, tcpACK, 0)
	case r < 95: // client aborts
		add(false, tcpRST|tcpACK, 0)
	default: // server aborts
		add(true, tcpRST, 0)
	}
	c.n = copy(c.script[:], s)
}

// next returns the next pcap record.
func (g *gen) next() []byte {
	slot := g.rng.IntN(len(g.pool))
	c := g.pool[slot]
	sg := c.script[c.step]
	c.step++
	g.usec += 1 + int64(g.rng.IntN(190))
	rec := g.packet(c, sg)
	if c.step == c.n {
		if !c.udp {
			delete(g.active, c.tuple)
		}
		g.pool[slot] = g.newConn()
	}
	return rec
}

// packet builds the record of one segment or datagram.
func (g *gen) packet(c *conn, sg seg) []byte {
	b := g.buf[:16] // record header, filled last
	cli, srv := c.cli, c.srv
	dstMAC, srcMAC := g.srvMAC, cli.mac
	if sg.fromServer {
		dstMAC, srcMAC = cli.mac, g.srvMAC
	}
	b = append(b, dstMAC[:]...)
	b = append(b, srcMAC[:]...)
	if cli.v6 {
		b = append(b, 0x86, 0xdd)
	} else {
		b = append(b, 0x08, 0x00)
	}
	ipAt := len(b)
	var cAddr, sAddr []byte
	if cli.v6 {
		cAddr, sAddr = cli.addr[:], srv.addr6[:]
		b = append(b, make([]byte, 40)...)
	} else {
		cAddr, sAddr = cli.addr[:4], srv.addr4[:]
		b = append(b, make([]byte, 20)...)
	}
	src, dst := cAddr, sAddr
	sport, dport := c.cport, srv.port
	ttl := cli.ttl
	if sg.fromServer {
		src, dst, sport, dport, ttl = sAddr, cAddr, srv.port, c.cport, 64
	}
	l4At := len(b)
	var proto uint8
	if c.udp {
		proto = 17
		b = g.dnsDatagram(b, c, sg, sport, dport)
	} else {
		proto = 6
		b = g.tcpSegment(b, c, sg, sport, dport)
	}
	l4Len := len(b) - l4At
	ip := b[ipAt:l4At]
	if cli.v6 {
		ip[0] = 0x60
		binary.BigEndian.PutUint16(ip[4:], uint16(l4Len))
		ip[6], ip[7] = proto, ttl
		copy(ip[8:], src)
		copy(ip[24:], dst)
	} else {
		ip[0] = 0x45
		binary.BigEndian.PutUint16(ip[2:], uint16(20+l4Len))
		binary.BigEndian.PutUint16(ip[4:], uint16(g.rng.Uint32()))
		ip[6] = 0x40 // DF
		ip[8], ip[9] = ttl, proto
		copy(ip[12:], src)
		copy(ip[16:], dst)
		binary.BigEndian.PutUint16(ip[10:], checksum(ip))
	}
	n := len(b) - 16
	binary.LittleEndian.PutUint32(b[0:], uint32(g.usec/1e6))
	binary.LittleEndian.PutUint32(b[4:], uint32(g.usec%1e6))
	binary.LittleEndian.PutUint32(b[8:], uint32(n))
	binary.LittleEndian.PutUint32(b[12:], uint32(n))
	g.buf = b
	return b
}

func (g *gen) tcpSegment(b []byte, c *conn, sg seg, sport, dport uint16) []byte {
	dir, peer := 0, 1
	if sg.fromServer {
		dir, peer = 1, 0
	}
	at := len(b)
	b = append(b, make([]byte, 20)...)
	h := b[at:]
	binary.BigEndian.PutUint16(h[0:], sport)
	binary.BigEndian.PutUint16(h[2:], dport)
	binary.BigEndian.PutUint32(h[4:], c.seq[dir])
	if sg.flags&tcpACK != 0 {
		binary.BigEndian.PutUint32(h[8:], c.seq[peer])
	}
	h[13] = sg.flags
	binary.BigEndian.PutUint16(h[14:], 64240)
	// Options: MSS, SACK permitted, timestamps and window scale on SYNs;
	// timestamps on every segment of clients that use them.
	if sg.flags&tcpSYN != 0 {
		b = append(b, 2, 4, 0x05, 0xb4) // MSS 1460
		if c.cli.ts {                   // as Linux: SACK_PERM, TS, NOP, WS
			b = append(b, 4, 2)
			b = c.timestamps(b, dir)
			b = append(b, 1, 3, 3, 7)
		} else { // as Windows: NOP, WS, NOP, NOP, SACK_PERM
			b = append(b, 1, 3, 3, 8, 1, 1, 4, 2)
		}
	} else if c.cli.ts && sg.flags&tcpRST == 0 {
		b = append(b, 1, 1)
		b = c.timestamps(b, dir)
	}
	b[at+12] = byte((len(b)-at)/4) << 4
	for range sg.payload {
		b = append(b, 'x')
	}
	c.seq[dir] += uint32(sg.payload)
	if sg.flags&(tcpSYN|tcpFIN) != 0 {
		c.seq[dir]++
	}
	return b
}

func (c *conn) timestamps(b []byte, dir int) []byte {
	c.tsval += 3
	b = append(b, 8, 10)
	b = binary.BigEndian.AppendUint32(b, c.tsval+uint32(dir)*0x10000000)
	if dir == 0 && c.step == 1 { // the SYN: nothing to echo yet
		return binary.BigEndian.AppendUint32(b, 0)
	}
	return binary.BigEndian.AppendUint32(b, c.tsval-1+uint32(1-dir)*0x10000000)
}

// dnsDatagram writes a query for an A record, or its answer.
func (g *gen) dnsDatagram(b []byte, c *conn, sg seg, sport, dport uint16) []byte {
	at := len(b)
	b = append(b, make([]byte, 8)...)
	flags, answers := uint16(0x0100), uint16(0)
	if sg.fromServer {
		flags = 0x8180
		if c.dnsAnswers {
			answers = 1
		} else {
			flags = 0x8183 // NXDOMAIN
		}
	}
	b = binary.BigEndian.AppendUint16(b, c.queryID)
	b = binary.BigEndian.AppendUint16(b, flags)
	b = append(b, 0, 1, byte(answers>>8), byte(answers), 0, 0, 0, 0)
	b = append(b, "\x07example\x03com\x00\x00\x01\x00\x01"...)
	if answers > 0 {
		b = append(b, 0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4, 192, 0, 2, byte(c.queryID))
	}
	h := b[at:]
	binary.BigEndian.PutUint16(h[0:], sport)
	binary.BigEndian.PutUint16(h[2:], dport)
	binary.BigEndian.PutUint16(h[4:], uint16(len(b)-at))
	return b
}

func checksum(h []byte) uint16 {
	var sum uint32
	for i := 0; i+1 < len(h); i += 2 {
		sum += uint32(h[i])<<8 | uint32(h[i+1])
	}
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	return ^uint16(sum)
}
