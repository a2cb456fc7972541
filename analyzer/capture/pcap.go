package capture

import (
	"encoding/binary"
	"fmt"
	"io"
)

// pcap record header layouts. Besides the standard one, Wireshark reads the
// patched libpcaps of the late 1990s, which put extra fields after the
// standard header; it tells them apart by how sane the first records look.
type pcapVariant uint8

const (
	pcapStandard pcapVariant = iota // 16-byte record header
	pcapSS990417                    // Red Hat 6.1: 24
	pcapNokia                       // Nokia IPSO: 20
	pcapSS991029                    // Kuznetzov's modified magic: 24
	pcapSS990915                    // its earlier form: 28
)

var pcapHeaderLen = [...]int{16, 24, 20, 24, 28}

type lensOrder uint8

const (
	lensNormal  lensOrder = iota
	lensSwapped           // before format 2.3, orig_len came before incl_len
	lensMaybe             // some 2.3 writers still swapped them
)

// pcapFile is what the file header says about every record.
type pcapFile struct {
	bigEndian bool
	nano      bool // time stamp fraction is in nanoseconds
	variant   pcapVariant
	hdrLen    int
	lens      lensOrder
	snaplen   uint32
	link      LinkType
	maxCap    uint32
	phdr      uint32
	aixFDDI   bool  // AIX pads FDDI frames with 3 bytes Wireshark strips
	first     int64 // offset of the first record
}

const (
	magicMicro    = 0xa1b2c3d4
	magicNano     = 0xa1b23c4d
	magicModified = 0xa1b2cd34
	magicIxiaHW   = 0x1c0001ac // Ixia: standard pcap with 4 more header bytes
	magicIxiaSW   = 0x1c0001ab
)

var pcapMagics = [...]uint32{magicMicro, magicNano, magicModified, magicIxiaHW, magicIxiaSW}

func pcapMagic(b []byte) bool {
	for _, m := range pcapMagics {
		if binary.LittleEndian.Uint32(b) == m || binary.BigEndian.Uint32(b) == m {
			return true
		}
	}
	return false
}

func u16(b []byte, be bool) uint16 {
	if be {
		return binary.BigEndian.Uint16(b)
	}
	return binary.LittleEndian.Uint16(b)
}

func u32(b []byte, be bool) uint32 {
	if be {
		return binary.BigEndian.Uint32(b)
	}
	return binary.LittleEndian.Uint32(b)
}

func u64(b []byte, be bool) uint64 {
	if be {
		return binary.BigEndian.Uint64(b)
	}
	return binary.LittleEndian.Uint64(b)
}

func (r *Reader) openPcap() error {
	s := &r.main
	p := &r.pcap
	h, err := s.peek(0, "pcap file header", 24)
	if err != nil {
		return err
	}
	magic := binary.LittleEndian.Uint32(h)
	switch magic {
	case magicMicro, magicNano, magicModified, magicIxiaHW, magicIxiaSW:
	default:
		p.bigEndian = true
		magic = binary.BigEndian.Uint32(h)
	}
	hdrLen := 24
	if magic == magicIxiaHW || magic == magicIxiaSW {
		hdrLen = 28
		if _, err := s.peek(0, "pcap file header", hdrLen); err != nil {
			return err
		}
	}
	be := p.bigEndian
	major, minor := u16(h[4:], be), u16(h[6:], be)
	p.snaplen = u32(h[16:], be)
	network := u32(h[20:], be)
	if major < 2 {
		return s.errorf(4, "pcap major version %d is not supported", major)
	}
	// AIX's tcpdump writes version 2.2 with interface types instead of link
	// types, and nanoseconds; Wireshark recognises it by these four values.
	aix := false
	if magic == magicMicro && major == 2 && minor == 2 {
		aix = true
		switch network {
		case 6:
			network = 1
		case 9:
			network = 6
		case 15:
			network = 10
		case 24:
			network = 0
		default:
			aix = false
		}
	}
	// The upper bits carry the FCS length; only the low 16 are the type,
	// and Wireshark refuses a file whose reserved bits are set.
	if network&0x03FF0000 != 0 {
		return s.errorf(20, "pcap link type field %08x has reserved bits set", network)
	}
	p.link = LinkType(network & 0xffff)
	if !wiresharkOpens(p.link) {
		return s.errorf(20, "pcap link type %d is unknown to Wireshark", p.link)
	}
	p.maxCap = maxCaplen(p.link)
	p.phdr = pseudoHeaderLen(p.link)
	switch {
	case major == 2 && minor < 3, major == 543:
		p.lens = lensSwapped
	case major == 2 && minor == 3:
		p.lens = lensMaybe
	}
	p.nano = magic == magicNano || aix
	p.aixFDDI = aix && p.link == 10
	r.info.Format = "pcap"
	if p.nano {
		r.info.Format = "pcap (nanosecond)"
	}
	r.info.BigEndian = be
	r.info.Version = fmt.Sprintf("%d.%d", major, minor)
	res := "10^-6"
	if p.nano {
		res = "10^-9"
	}
	r.info.Interfaces = []Interface{{Link: p.link, Snaplen: p.snaplen, TSResolution: res}}
	s.discard(hdrLen)
	p.first = int64(hdrLen)
	switch {
	case magic == magicModified:
		p.pickVariant(s, pcapSS991029, pcapSS990915)
	case magic == magicMicro && !aix:
		p.pickVariant(s, pcapStandard, pcapSS990417, pcapNokia)
	default:
		p.setVariant(pcapStandard)
	}
	return nil
}

func (p *pcapFile) setVariant(v pcapVariant) {
	p.variant = v
	p.hdrLen = pcapHeaderLen[v]
	p.phdr = pseudoHeaderLen(p.link) // again: an earlier try may have been Nokia's
	if v == pcapNokia && p.link == 13 {
		p.phdr = 4 // Nokia's ATM pseudo-header
	}
}

// pickVariant does what Wireshark's libpcap_try_variants does: score each
// candidate layout by what looks wrong in the first three records, take the
// first perfect one, else the first of the least bad.
//
// Then one rule of portlens's own: a file that ends inside a record is
// damaged, and where it ends says nothing about who wrote it. Wireshark 4.4
// counts a short read against a layout, so a standard pcap cut inside the
// header of its second record reads as Nokia's (4 bytes more per header)
// or Red Hat's (8 more) when that layout happens to end exactly at the
// cut: a garbled first packet and no error. So when the only fault of the
// first candidate (the usual layout for the magic) is the cut, another
// layout is taken only if its records carry marks of their own: Nokia's
// constant bits, which Wireshark's later libwiretap checks. Otherwise the
// file is read in the first layout and the cut is reported where it is.
func (p *pcapFile) pickVariant(s *stream, candidates ...pcapVariant) {
	best, bestScore := candidates[0], int(^uint(0)>>1)
	firstCut := false
	for i, v := range candidates {
		p.setVariant(v)
		t := p.tryRecords(s)
		if i == 0 {
			firstCut = t.cut
		} else if firstCut && !t.marked {
			continue // only the cut speaks against the first layout
		}
		if t.score < bestScore {
			best, bestScore = v, t.score
		}
		if t.score == 0 {
			break
		}
	}
	p.setVariant(best)
}

// trial is what reading the first records in one layout found.
type trial struct {
	score  int  // Wireshark's count of things that look wrong
	cut    bool // the only fault: the file ends inside a record
	marked bool // every record read carries the layout's own marks (Nokia's)
}

// tryRecords reads up to three records in the current layout without
// consuming them.
func (p *pcapFile) tryRecords(s *stream) trial {
	at, read, marks := 0, 0, 0
	marked := func() bool { return read > 0 && marks == read }
	for range 3 {
		if at+p.hdrLen > bufSize {
			break // beyond what can be peeked; assume sane
		}
		h, err := s.in.Peek(at + p.hdrLen)
		if len(h) < at+p.hdrLen {
			if len(h) == at && err == io.EOF {
				break // too few records to judge: take the layout as it is
			}
			return trial{score: 1, cut: true, marked: marked()}
		}
		_, frac, incl, orig := p.decode(h[at:])
		score := 0
		if frac >= 1000000 {
			score++
		}
		if incl > p.maxCap {
			score++
		}
		if orig > 128<<20 {
			score++
		}
		if incl > p.snaplen {
			score++
		}
		if incl > orig {
			score++
		}
		if score != 0 {
			return trial{score: score}
		}
		read++
		if p.variant == pcapNokia && nokiaMarks(h[at+16:]) {
			marks++
		}
		at += p.hdrLen + int(incl)
		if at > bufSize {
			break // beyond what can be peeked; assume sane
		}
		if d, _ := s.in.Peek(at); len(d) < at {
			return trial{score: 1, cut: true, marked: marked()}
		}
	}
	return trial{marked: marked()}
}

// nokiaMarks: the 4 bytes Nokia's IPSO adds to each record header have
// always been seen as 0xXfbfYZ0W, X 9 or b, Y b or d, Z 6 or 9, W 1 or 2
// (libwiretap's NOKIA_STUFF checks). Wireshark reads the field without
// swapping it, so as little-endian on the machines it runs on.
func nokiaMarks(b []byte) bool {
	v := binary.LittleEndian.Uint32(b)
	hi, y, z, w := v&0xF0000000, v&0x0000F000, v&0x00000F00, v&0x0000000F
	return v&0x0FFF00F0 == 0x0fbf0000 &&
		(hi == 0x90000000 || hi == 0xb0000000) &&
		(y == 0x0000b000 || y == 0x0000d000) &&
		(z == 0x00000600 || z == 0x00000900) &&
		(w == 1 || w == 2)
}

// decode reads a record header's four fields (h holds at least 16 bytes),
// small enough to be inlined where every record is read.
func (p *pcapFile) decode(h []byte) (sec, frac, incl, orig uint32) {
	h = h[:16]
	if p.bigEndian {
		sec, frac, incl, orig = binary.BigEndian.Uint32(h), binary.BigEndian.Uint32(h[4:]), binary.BigEndian.Uint32(h[8:]), binary.BigEndian.Uint32(h[12:])
	} else {
		sec, frac, incl, orig = binary.LittleEndian.Uint32(h), binary.LittleEndian.Uint32(h[4:]), binary.LittleEndian.Uint32(h[8:]), binary.LittleEndian.Uint32(h[12:])
	}
	if p.lens == lensSwapped || (p.lens == lensMaybe && incl > orig) {
		incl, orig = orig, incl
	}
	return
}

// nextPcap reads one record from s into pkt.
func (r *Reader) nextPcap(s *stream, pkt *Packet) error {
	p := &r.pcap
	start := s.off
	h, err := s.in.Peek(p.hdrLen)
	if len(h) < p.hdrLen {
		if len(h) == 0 && err == io.EOF {
			return io.EOF
		}
		return s.short(start, "record header", int64(len(h)), int64(p.hdrLen), err)
	}
	sec, frac, incl, orig := p.decode(h)
	if incl > p.maxCap {
		return s.errorf(start, "packet record claims %d captured bytes, more than the maximum %d", incl, p.maxCap)
	}
	if incl < p.phdr {
		return s.errorf(start, "packet record of %d bytes is shorter than the %d-byte %s pseudo-header", incl, p.phdr, p.link)
	}
	var data []byte
	ok := false
	if !p.aixFDDI {
		if data, ok, err = s.record(p.hdrLen, int(incl)); err != nil {
			return err
		}
	}
	if !ok {
		data, orig, err = r.pcapData(s, start, incl, orig)
		if err != nil {
			return err
		}
	}
	if len(data) > int(orig) {
		data = data[:orig] // as Wireshark: never more captured than sent
	}
	ns := int64(frac) * 1000
	if p.nano {
		ns = int64(frac)
	}
	// Field by field: assigning a whole Packet costs a bulk write barrier.
	pkt.Data, pkt.Length, pkt.Time = data, int(orig), int64(sec)*1e9+ns
	pkt.Link, pkt.Interface, pkt.Offset = p.link, 0, start
	return nil
}

// pcapData reads a record's data after its header, the general way: AIX
// FDDI padding (which the lengths count: it returns orig without it),
// data larger than the buffer.
func (r *Reader) pcapData(s *stream, start int64, incl, orig uint32) ([]byte, uint32, error) {
	p := &r.pcap
	s.discard(p.hdrLen)
	if p.aixFDDI {
		if incl < 3 || orig < 3 {
			return nil, 0, s.errorf(start, "AIX FDDI record of %d bytes is shorter than its 3-byte padding", incl)
		}
		if err := s.skip(start, "packet record", 3); err != nil {
			return nil, 0, err
		}
		incl, orig = incl-3, orig-3
	}
	data, err := s.read(start, "packet record", int(incl))
	return data, orig, err
}
