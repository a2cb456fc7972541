package capture

import (
	"encoding/binary"
	"io"
	"strconv"
)

const (
	blockSHB          = 0x0A0D0D0A
	blockIDB          = 1
	blockPB           = 2 // obsolete Packet Block
	blockSPB          = 3
	blockNRB          = 4
	blockISB          = 5
	blockEPB          = 6
	blockJournal      = 9
	blockDSB          = 10
	blockCustom       = 0x00000BAD
	blockCustomNoCopy = 0x40000BAD

	// Wireshark's MAX_BLOCK_SIZE: an EPB holding the largest D-Bus message
	// plus 128 KiB of options. Larger blocks are damage.
	maxBlock = 32 + maxCaplenDBus + 131072
)

// ngIface is one Interface Description Block, reduced to what reading a
// packet needs.
type ngIface struct {
	link     LinkType
	snaplen  uint32
	maxCap   uint32
	phdr     uint32
	units    uint64 // time stamp units per second
	tsoffset int64  // seconds
}

// ngSection is one Section Header Block and the interfaces it defines;
// interface ids in packets are indexes into the section's own list.
type ngSection struct {
	offset int64
	be     bool
	first  int // index of the section's first interface in ngState.ifaces
	count  int
}

type ngState struct {
	sections []ngSection
	ifaces   []ngIface
	names    int64 // bytes of the strings kept in Info.Interfaces
}

func (r *Reader) openPcapng() error {
	if err := r.readSHB(&r.main, 0); err != nil {
		return err
	}
	r.info.Format = "pcapng"
	r.info.BigEndian = r.ng.sections[0].be
	return nil
}

func roundUp4(n uint32) (uint32, bool) {
	p := (n + 3) &^ 3
	return p, p >= n
}

// block is one pcapng block read whole, from its type field to its
// trailing length. A block states its length up front, so it is taken in
// one read and parsed in place: the slices handed out of it (a packet's
// data) stay valid until the next read, whatever sizes the underlying
// reader returns. Parsing inside a block never reads the stream again.
type block struct {
	b     []byte
	start int64
	be    bool
}

// content returns the block's bytes between its 8-byte header and its
// 4-byte trailer.
func (b *block) content() []byte { return b.b[8 : len(b.b)-4] }

// readWhole reads the block of padded bytes that starts at start.
func readWhole(s *stream, start int64, what string, padded uint32, be bool) (block, error) {
	b, err := s.read(start, what, int(padded))
	if err != nil {
		return block{}, err
	}
	return block{b: b, start: start, be: be}, nil
}

func (r *Reader) readSHB(s *stream, start int64) error {
	h, err := s.peek(start, "section header block", 24)
	if err != nil {
		return err
	}
	var be bool
	switch binary.LittleEndian.Uint32(h[8:]) {
	case 0x1A2B3C4D:
	case 0x4D3C2B1A:
		be = true
	default:
		return s.errorf(start+8, "pcapng section header has unknown byte-order magic %08x", binary.BigEndian.Uint32(h[8:]))
	}
	length := u32(h[4:], be)
	padded, ok := roundUp4(length)
	if padded < 28 {
		return s.errorf(start, "pcapng section header block length %d is less than 28", length)
	}
	if !ok || padded > maxBlock {
		return s.errorf(start, "pcapng block length %d is too large", length)
	}
	major, minor := u16(h[12:], be), u16(h[14:], be)
	if major != 1 || (minor != 0 && minor != 2) {
		return s.errorf(start+12, "pcapng version %d.%d is not supported", major, minor)
	}
	blk, err := readWhole(s, start, "section header block", padded, be)
	if err != nil {
		return err
	}
	if err := r.options(s, &blk, blk.b[24:len(blk.b)-4], optOther, nil); err != nil {
		return err
	}
	if err := trailer(s, &blk, padded); err != nil {
		return err
	}
	r.ng.sections = append(r.ng.sections, ngSection{offset: start, be: be, first: len(r.ng.ifaces)})
	if len(r.ng.sections) == 1 {
		r.info.Version = strconv.Itoa(int(major)) + "." + strconv.Itoa(int(minor))
	}
	return nil
}

// trailer checks the length that closes every block, found at its last
// four bytes. Wireshark rounds both lengths up to a multiple of 4, because
// some writers left the padding out.
func trailer(s *stream, blk *block, padded uint32) error {
	t := blk.b[len(blk.b)-4:]
	got, _ := roundUp4(u32(t, blk.be))
	if got != padded {
		return s.errorf(blk.start, "pcapng block length %d at its end differs from %d at its start", u32(t, blk.be), padded)
	}
	return nil
}

// Blocks that hold no frame (section headers, interface descriptions,
// statistics, name resolution, blocks skipped unread) are read inside one
// call of Next, which a file of millions of them would make last minutes.
// NextPaced returns after pauseBlocks of them, or pauseBytes of their
// bytes, so that its caller gets control back now and then.
const (
	pauseBlocks = 1024
	pauseBytes  = 4 << 20
)

// nextPcapng reads blocks up to the next frame into r.pkt, and reports
// whether it got there: paced, it may return without a frame (and
// without an error) after pauseBlocks or pauseBytes of blocks that hold
// none.
func (r *Reader) nextPcapng(paced bool) (bool, error) {
	s := &r.main
	from := s.off
	for blocks := 0; !paced || blocks < pauseBlocks && s.off-from < pauseBytes; blocks++ {
		start := s.off
		h, err := s.in.Peek(8)
		if len(h) < 8 {
			if len(h) == 0 && err == io.EOF {
				return false, io.EOF
			}
			return false, s.short(start, "block header", int64(len(h)), 8, err)
		}
		if binary.LittleEndian.Uint32(h) == blockSHB {
			if err := r.readSHB(s, start); err != nil {
				return false, err
			}
			continue
		}
		sec := &r.ng.sections[len(r.ng.sections)-1]
		frame, err := r.readBlock(s, sec, start, h, &r.pkt)
		if err != nil || frame {
			return frame, err
		}
	}
	return false, nil
}

// blockName names the blocks the reader reads, for errors; "" for a
// block it skips. (A switch: this runs for every packet.)
func blockName(typ uint32) string {
	switch typ {
	case blockEPB:
		return "enhanced packet block"
	case blockPB:
		return "packet block"
	case blockSPB:
		return "simple packet block"
	case blockIDB:
		return "interface description block"
	case blockCustom, blockCustomNoCopy:
		return "custom block"
	case blockJournal:
		return "journal export block"
	case blockISB:
		return "interface statistics block"
	case blockNRB:
		return "name resolution block"
	case blockDSB:
		return "decryption secrets block"
	}
	return ""
}

// readBlock reads the non-SHB block whose 8 header bytes h start at start,
// trailer included, and reports whether it produced a frame in pkt.
func (r *Reader) readBlock(s *stream, sec *ngSection, start int64, h []byte, pkt *Packet) (bool, error) {
	typ, length := u32(h, sec.be), u32(h[4:], sec.be)
	if length < 12 {
		return false, s.errorf(start, "pcapng block length %d is less than 12", length)
	}
	padded, ok := roundUp4(length)
	if !ok || padded > maxBlock {
		return false, s.errorf(start, "pcapng block length %d is too large", length)
	}
	name := blockName(typ)
	if name == "" { // skipped unread: nothing of it is kept
		if err := s.skip(start, "block", int64(padded-4)); err != nil {
			return false, err
		}
		t, err := s.peek(s.off, "block trailer", 4)
		if err != nil {
			return false, err
		}
		blk := block{b: t, start: start, be: sec.be}
		if err := trailer(s, &blk, padded); err != nil {
			return false, err
		}
		s.discard(4)
		return false, nil
	}
	take := padded
	if typ == blockSPB {
		// Wireshark reads an SPB's trailer right after its data and
		// padding, wherever the block says it ends: read that much.
		n, err := r.simpleBlockLen(s, sec, start, padded)
		if err != nil {
			return false, err
		}
		take = n
	}
	blk, err := readWhole(s, start, name, take, sec.be)
	if err != nil {
		return false, err
	}
	var frame bool
	switch typ {
	case blockEPB, blockPB:
		frame, err = true, r.readPacketBlock(s, sec, typ, &blk, pkt)
	case blockSPB:
		frame, err = true, r.readSimpleBlock(sec, &blk, pkt)
	case blockIDB:
		err = r.readIDB(s, sec, &blk)
	case blockCustom, blockCustomNoCopy:
		frame, err = true, r.readCustomBlock(s, &blk, pkt)
	case blockJournal:
		frame, err = true, r.readJournalBlock(s, &blk, pkt)
	case blockISB:
		err = r.readStatisticsBlock(s, &blk)
	case blockNRB:
		err = r.readNameBlock(s, &blk)
	case blockDSB:
		err = readSecretsBlock(s, &blk)
	}
	if err == nil {
		err = trailer(s, &blk, padded)
	}
	return frame, err
}

func (r *Reader) readPacketBlock(s *stream, sec *ngSection, typ uint32, blk *block, pkt *Packet) error {
	name := blockName(typ)
	c := blk.content()
	content := uint32(len(c))
	if content < 20 {
		return s.errorf(blk.start, "%s of %d bytes is shorter than its 20-byte fixed part", name, content)
	}
	be := sec.be
	var id uint32
	if typ == blockEPB {
		id = u32(c, be)
	} else {
		id = uint32(u16(c, be))
	}
	hi, lo, caplen, origlen := u32(c[4:], be), u32(c[8:], be), u32(c[12:], be), u32(c[16:], be)
	if id >= uint32(sec.count) {
		return s.errorf(blk.start, "%s names interface %d, but its section defines %d", name, id, sec.count)
	}
	iface := &r.ng.ifaces[sec.first+int(id)]
	if caplen > iface.maxCap {
		return s.errorf(blk.start, "%s claims %d captured bytes, more than the maximum %d", name, caplen, iface.maxCap)
	}
	pad := (4 - caplen%4) % 4
	if uint64(content) < 20+uint64(caplen)+uint64(pad) {
		return s.errorf(blk.start, "%s of %d bytes is too small for %d bytes of packet data", name, content, caplen)
	}
	if caplen < iface.phdr {
		return s.errorf(blk.start, "%s of %d bytes is shorter than the %d-byte %s pseudo-header", name, caplen, iface.phdr, iface.link)
	}
	data := c[20 : 20+caplen : 20+caplen]
	if err := r.options(s, blk, c[20+caplen+pad:], optPacket, nil); err != nil {
		return err
	}
	if caplen > origlen {
		data = data[:origlen]
	}
	pkt.Data, pkt.Length, pkt.Time = data, int(origlen), iface.time(hi, lo)
	pkt.Link, pkt.Interface, pkt.Offset = iface.link, sec.first+int(id), blk.start
	return nil
}

// simpleBlockLen checks a Simple Packet Block's header and returns the
// bytes Wireshark reads of it: header, data, padding and trailer. It reads
// nothing after the data and its padding before the trailer, so a block
// with spare room fails the trailer check there too.
func (r *Reader) simpleBlockLen(s *stream, sec *ngSection, start int64, padded uint32) (uint32, error) {
	const name = "simple packet block"
	content := padded - 12
	if content < 4 {
		return 0, s.errorf(start, "%s of %d bytes is shorter than its 4-byte fixed part", name, content)
	}
	h, err := s.peek(start, name, 12)
	if err != nil {
		return 0, err
	}
	if sec.count == 0 {
		return 0, s.errorf(start, "%s comes before any interface description block in its section", name)
	}
	iface := &r.ng.ifaces[sec.first]
	caplen := iface.spbCaplen(u32(h[8:], sec.be))
	if caplen > iface.maxCap {
		return 0, s.errorf(start, "%s claims %d captured bytes, more than the maximum %d", name, caplen, iface.maxCap)
	}
	pad := (4 - caplen%4) % 4
	if uint64(content) < 4+uint64(caplen)+uint64(pad) {
		return 0, s.errorf(start, "%s of %d bytes is too small for %d bytes of packet data", name, content, caplen)
	}
	if caplen < iface.phdr {
		return 0, s.errorf(start, "%s of %d bytes is shorter than the %d-byte %s pseudo-header", name, caplen, iface.phdr, iface.link)
	}
	return 16 + caplen + pad, nil
}

// spbCaplen is a Simple Packet Block's captured length, as Wireshark
// takes it: the original length cut to the snaplen.
func (f *ngIface) spbCaplen(origlen uint32) uint32 {
	if f.snaplen != 0 && origlen > f.snaplen {
		return f.snaplen
	}
	return origlen
}

// readSimpleBlock reads an SPB that simpleBlockLen has checked and cut.
func (r *Reader) readSimpleBlock(sec *ngSection, blk *block, pkt *Packet) error {
	iface := &r.ng.ifaces[sec.first]
	origlen := u32(blk.b[8:], sec.be)
	caplen := iface.spbCaplen(origlen)
	pkt.Data, pkt.Length, pkt.Time = blk.b[12:12+caplen:12+caplen], int(origlen), 0
	pkt.Link, pkt.Interface, pkt.Offset = iface.link, sec.first, blk.start
	return nil
}
