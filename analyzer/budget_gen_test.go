package analyzer_test

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"io"
)

// Captures of each shape the budget accounts for, generated in memory:
// every frame a new conversation, flow, association or host, the worst
// case of each.

// frameFunc writes frame i's bytes (from the Ethernet header) into b.
type frameFunc func(b []byte, i int) []byte

func ether(b []byte, v6 bool) []byte {
	b = append(b, 0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 6)
	if v6 {
		return append(b, 0x86, 0xdd)
	}
	return append(b, 0x08, 0x00)
}

// ip4 appends an IPv4 header from src to dst carrying n bytes of proto.
func ip4(b []byte, src, dst uint32, proto byte, n int) []byte {
	b = append(b, 0x45, 0, byte((20+n)>>8), byte(20+n), 0, 0, 0x40, 0, 64, proto, 0, 0)
	b = binary.BigEndian.AppendUint32(b, src)
	return binary.BigEndian.AppendUint32(b, dst)
}

// ip6 appends an IPv6 header whose addresses end in src and dst.
func ip6(b []byte, src, dst uint32, proto byte, n int) []byte {
	b = append(b, 0x60, 0, 0, 0, byte(n>>8), byte(n), proto, 64)
	b = append(b, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0)
	b = binary.BigEndian.AppendUint32(b, src)
	b = append(b, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0)
	return binary.BigEndian.AppendUint32(b, dst)
}

func syn(b []byte, sport, dport uint16, seq uint32) []byte {
	b = binary.BigEndian.AppendUint16(b, sport)
	b = binary.BigEndian.AppendUint16(b, dport)
	b = binary.BigEndian.AppendUint32(b, seq)
	return append(b, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0)
}

func udp(b []byte, sport, dport uint16) []byte {
	b = binary.BigEndian.AppendUint16(b, sport)
	b = binary.BigEndian.AppendUint16(b, dport)
	return append(b, 0, 20, 0, 0, 0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0)
}

func sctpInit(b []byte, sport, dport uint16, tag uint32) []byte {
	b = binary.BigEndian.AppendUint16(b, sport)
	b = binary.BigEndian.AppendUint16(b, dport)
	b = append(b, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 20)
	b = binary.BigEndian.AppendUint32(b, tag)
	return append(b, 0, 1, 0, 0, 0, 10, 0, 10, 0, 0, 0, 1)
}

const server4 = 0x0a000001

// shapes are the generated captures, by name.
var shapes = []struct {
	name  string
	frame frameFunc
}{
	// A SYN to every port of one server: a conversation a frame.
	{"tcp-scan", func(b []byte, i int) []byte {
		return syn(ip4(ether(b, false), 0x0a000002, server4, 6, 20), uint16(1024+i/60000), uint16(1+i%60000), uint32(i))
	}},
	// SYNs from a new IPv4 address each: a conversation and a host a frame.
	{"tcp-hosts", func(b []byte, i int) []byte {
		return syn(ip4(ether(b, false), 0x0b000000+uint32(i), server4, 6, 20), 40000, 443, uint32(i))
	}},
	// The same from IPv6 addresses (the tracker's map, not its IPv4 table).
	{"tcp6-hosts", func(b []byte, i int) []byte {
		return syn(ip6(ether(b, true), uint32(i), 1, 6, 20), 40000, 443, uint32(i))
	}},
	// One client reopening the same ports with a new ISN each time: a
	// conversation and a tcp.reused_ports flag a frame.
	{"tcp-reuse", func(b []byte, i int) []byte {
		return syn(ip4(ether(b, false), 0x0a000002, server4, 6, 20), 40000, 8080, uint32(i)*7919)
	}},
	// One client opening connections to one service from every port of
	// the ephemeral range in turn, again and again (port.* flags, reuses).
	{"tcp-exhaust", func(b []byte, i int) []byte {
		return syn(ip4(ether(b, false), 0x0a000002, server4, 6, 20), uint16(32768+i%28232), 443, uint32(i)*7919)
	}},
	// Every SYN sent twice, unanswered, from a privileged port
	// (tcp.syn_unanswered, port.privileged_source).
	{"tcp-retry", func(b []byte, i int) []byte {
		return syn(ip4(ether(b, false), 0x0a000002+uint32(i/2/1000), server4, 6, 20), uint16(1+i/2%1000), 80, uint32(i/2))
	}},
	// DNS queries from a new source port each (a flow a frame), from a
	// few clients that also reuse their ports (udp.fixed_source_port).
	{"udp-flows", func(b []byte, i int) []byte {
		return udp(ip4(ether(b, false), 0x0c000000+uint32(i/60000), server4, 17, 20), uint16(1+i%60000), 53)
	}},
	{"udp6-hosts", func(b []byte, i int) []byte {
		return udp(ip6(ether(b, true), uint32(i), 1, 17, 20), 5353, 53)
	}},
	// SCTP INITs, a new association a frame.
	{"sctp", func(b []byte, i int) []byte {
		return sctpInit(ip4(ether(b, false), 0x0a000002, server4, 132, 32), uint16(1+i%60000), 3868, uint32(i+1))
	}},
	// Empty records: the frame's columns alone.
	{"empty", func(b []byte, i int) []byte { return b }},
}

// writeShape writes a pcap of n frames of f to w.
func writeShape(w io.Writer, f frameFunc, n int) error {
	hdr := make([]byte, 24)
	binary.LittleEndian.PutUint32(hdr[0:], 0xa1b2c3d4)
	binary.LittleEndian.PutUint16(hdr[4:], 2)
	binary.LittleEndian.PutUint16(hdr[6:], 4)
	binary.LittleEndian.PutUint32(hdr[16:], 65535)
	binary.LittleEndian.PutUint32(hdr[20:], 1)
	if _, err := w.Write(hdr); err != nil {
		return err
	}
	var rec []byte
	for i := range n {
		rec = append(rec[:0], make([]byte, 16)...)
		rec = f(rec, i)
		binary.LittleEndian.PutUint32(rec[0:], uint32(1_700_000_000+i/1000))
		binary.LittleEndian.PutUint32(rec[4:], uint32(i%1000)*1000)
		binary.LittleEndian.PutUint32(rec[8:], uint32(len(rec)-16))
		binary.LittleEndian.PutUint32(rec[12:], uint32(len(rec)-16))
		if _, err := w.Write(rec); err != nil {
			return err
		}
	}
	return nil
}

func shapeCapture(f frameFunc, n int) []byte {
	var buf bytes.Buffer
	writeShape(&buf, f, n)
	return buf.Bytes()
}

// zeroBomb is a gzip pcap of n zero-length records: 67 million of them
// (a gigabyte of pcap) compress to about a megabyte. The gzip file is
// made of members (RFC 1952 allows any number, and readers read them as
// one stream): the pcap header, then one member of a million records
// compressed once and written again and again, so that making it takes
// no time.
func zeroBomb(n int) []byte {
	var z bytes.Buffer
	member := func(b []byte) {
		zw, _ := gzip.NewWriterLevel(&z, gzip.BestCompression)
		zw.Write(b)
		zw.Close()
	}
	var head bytes.Buffer
	writeShape(&head, nil, 0)
	member(head.Bytes())
	const per = 1 << 20
	var full []byte // a member of per records
	for ; n > 0; n -= per {
		switch at := z.Len(); {
		case n >= per && full != nil:
			z.Write(full)
		case n >= per:
			member(make([]byte, 16*per))
			full = bytes.Clone(z.Bytes()[at:])
		default:
			member(make([]byte, 16*n))
		}
	}
	return z.Bytes()
}
