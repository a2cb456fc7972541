package main

// Capture-file writers: classic pcap (both byte orders, micro- and
// nanosecond) and pcapng (several interfaces, decimal or binary if_tsresol).
//
// They are written by hand rather than with gopacket/pcapgo: pcapgo cannot
// write a big-endian pcap or a binary if_tsresol, and on Linux it pulls in
// golang.org/x/net and golang.org/x/sys, which the module's go.sum does not
// carry. Both formats are a few fixed-size headers; see
// https://www.tcpdump.org/manpages/pcap-savefile.5.html and
// https://www.ietf.org/archive/id/draft-ietf-opsawg-pcapng-02.html.

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/gopacket/gopacket/layers"
)

// format is the container a capture is written in.
type format int

const (
	pcapMicro     format = iota // little-endian pcap, microsecond timestamps
	pcapNano                    // little-endian pcap, nanosecond timestamps (magic a1b23c4d)
	pcapBigEndian               // big-endian pcap, microsecond timestamps
	pcapng                      // pcapng, if_tsresol 10^-6 (the default)
	pcapngBinary                // pcapng, if_tsresol 2^-20
)

const snaplen = 262144

// epoch is time zero of every capture: fixed, so output is reproducible.
var epoch = time.Date(2025, 3, 14, 9, 26, 53, 0, time.UTC)

// record is one frame as it goes into the file.
type record struct {
	at    time.Duration // offset from epoch
	iface int           // pcapng interface (index into the capture's links)
	data  []byte        // link-layer bytes, as captured
	orig  int           // length on the wire; 0: len(data)
}

// wireLen is the frame's length on the wire.
func (r record) wireLen() int { return max(r.orig, len(r.data)) }

// encode writes records in the given format. links holds one link type per
// pcapng interface; classic pcap uses links[0] only. gzipped compresses the
// result (gzip header without name or time, so it is reproducible).
func encode(f format, links []layers.LinkType, recs []record, gzipped bool) ([]byte, error) {
	var buf bytes.Buffer
	switch f {
	case pcapMicro, pcapNano, pcapBigEndian:
		writePcap(&buf, f, links[0], recs)
	case pcapng, pcapngBinary:
		writePcapng(&buf, f, links, recs)
	default:
		return nil, fmt.Errorf("unknown format %d", f)
	}
	if !gzipped {
		return buf.Bytes(), nil
	}
	var z bytes.Buffer
	zw, err := gzip.NewWriterLevel(&z, 4) // 4: within 7% of best, 15x faster
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(buf.Bytes()); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return z.Bytes(), nil
}

func writePcap(buf *bytes.Buffer, f format, link layers.LinkType, recs []record) {
	var order binary.ByteOrder = binary.LittleEndian
	if f == pcapBigEndian {
		order = binary.BigEndian
	}
	magic, unit := uint32(0xa1b2c3d4), time.Microsecond
	if f == pcapNano {
		magic, unit = 0xa1b23c4d, time.Nanosecond
	}
	hdr := make([]byte, 24)
	order.PutUint32(hdr[0:], magic)
	order.PutUint16(hdr[4:], 2) // version 2.4
	order.PutUint16(hdr[6:], 4)
	order.PutUint32(hdr[16:], snaplen)
	order.PutUint32(hdr[20:], uint32(link))
	buf.Write(hdr)
	for _, r := range recs {
		ts := epoch.Add(r.at)
		rh := make([]byte, 16)
		order.PutUint32(rh[0:], uint32(ts.Unix()))
		order.PutUint32(rh[4:], uint32(time.Duration(ts.Nanosecond())/unit))
		order.PutUint32(rh[8:], uint32(len(r.data)))
		order.PutUint32(rh[12:], uint32(r.wireLen()))
		buf.Write(rh)
		buf.Write(r.data)
	}
}

// pcapng block types and options used here.
const (
	blockSHB = 0x0A0D0D0A
	blockIDB = 0x00000001
	blockEPB = 0x00000006

	optEnd        = 0
	optShbUserApp = 4
	optIfName     = 2
	optIfTsresol  = 9
)

var le = binary.LittleEndian

func writePcapng(buf *bytes.Buffer, f format, links []layers.LinkType, recs []record) {
	shb := le.AppendUint32(nil, 0x1A2B3C4D)
	shb = le.AppendUint16(shb, 1)
	shb = le.AppendUint16(shb, 0)
	shb = le.AppendUint64(shb, ^uint64(0)) // section length unknown
	shb = appendOpt(shb, optShbUserApp, []byte("portlens testdata/gen"))
	shb = appendOpt(shb, optEnd, nil)
	writeBlock(buf, blockSHB, shb)

	tsresol, ticks := byte(6), func(d time.Duration) uint64 { return uint64(d / time.Microsecond) }
	if f == pcapngBinary {
		// 2^-20 s per tick: the top bit of if_tsresol selects a power of two.
		tsresol = 0x80 | 20
		ticks = func(d time.Duration) uint64 {
			sec, frac := d/time.Second, d%time.Second
			return uint64(sec)<<20 | uint64((frac<<20)/time.Second)
		}
	}
	for i, lt := range links {
		idb := le.AppendUint16(nil, uint16(lt))
		idb = le.AppendUint16(idb, 0)
		idb = le.AppendUint32(idb, snaplen)
		idb = appendOpt(idb, optIfName, fmt.Appendf(nil, "if%d", i))
		idb = appendOpt(idb, optIfTsresol, []byte{tsresol})
		idb = appendOpt(idb, optEnd, nil)
		writeBlock(buf, blockIDB, idb)
	}
	for _, r := range recs {
		ts := ticks(time.Duration(epoch.UnixNano()) + r.at)
		epb := le.AppendUint32(nil, uint32(r.iface))
		epb = le.AppendUint32(epb, uint32(ts>>32))
		epb = le.AppendUint32(epb, uint32(ts))
		epb = le.AppendUint32(epb, uint32(len(r.data)))
		epb = le.AppendUint32(epb, uint32(r.wireLen()))
		epb = append(epb, r.data...)
		epb = pad4(epb)
		writeBlock(buf, blockEPB, epb)
	}
}

func appendOpt(b []byte, code uint16, val []byte) []byte {
	b = le.AppendUint16(b, code)
	b = le.AppendUint16(b, uint16(len(val)))
	return pad4(append(b, val...))
}

func pad4(b []byte) []byte {
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

func writeBlock(buf *bytes.Buffer, typ uint32, body []byte) {
	total := uint32(12 + len(body))
	buf.Write(le.AppendUint32(nil, typ))
	buf.Write(le.AppendUint32(nil, total))
	buf.Write(body)
	buf.Write(le.AppendUint32(nil, total))
}
