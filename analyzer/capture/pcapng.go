package capture

import (
	"encoding/binary"
	"io"
	"sort"
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
	s.discard(24)
	if err := r.options(s, start, padded-28, be, optOther, nil); err != nil {
		return err
	}
	if err := trailer(s, start, padded, be); err != nil {
		return err
	}
	r.ng.sections = append(r.ng.sections, ngSection{offset: start, be: be, first: len(r.ng.ifaces)})
	if len(r.ng.sections) == 1 {
		r.info.Version = strconv.Itoa(int(major)) + "." + strconv.Itoa(int(minor))
	}
	return nil
}

// trailer checks the length that closes every block. Wireshark rounds both
// lengths up to a multiple of 4, because some writers left the padding out.
func trailer(s *stream, start int64, padded uint32, be bool) error {
	t, err := s.peek(s.off, "block trailer", 4)
	if err != nil {
		return err
	}
	got, _ := roundUp4(u32(t, be))
	if got != padded {
		return s.errorf(start, "pcapng block length %d at its end differs from %d at its start", u32(t, be), padded)
	}
	s.discard(4)
	return nil
}

func (r *Reader) nextPcapng() error {
	s := &r.main
	for {
		start := s.off
		h, err := s.in.Peek(8)
		if len(h) < 8 {
			if len(h) == 0 && err == io.EOF {
				return io.EOF
			}
			return s.short(start, "block header", int64(len(h)), 8, err)
		}
		if binary.LittleEndian.Uint32(h) == blockSHB {
			if err := r.readSHB(s, start); err != nil {
				return err
			}
			continue
		}
		sec := &r.ng.sections[len(r.ng.sections)-1]
		frame, err := r.readBlock(s, sec, start, h, &r.pkt)
		if err != nil {
			return err
		}
		if frame {
			return nil
		}
	}
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
	content := padded - 12
	s.discard(8)
	var frame bool
	var err error
	switch typ {
	case blockEPB, blockPB:
		frame, err = true, r.readPacketBlock(s, sec, typ, start, content, pkt)
	case blockSPB:
		frame, err = true, r.readSimpleBlock(s, sec, start, content, pkt)
	case blockIDB:
		err = r.readIDB(s, sec, start, content)
	case blockCustom, blockCustomNoCopy:
		frame, err = true, r.readCustomBlock(s, start, content, pkt)
	case blockJournal:
		frame, err = true, r.readJournalBlock(s, start, content, pkt)
	case blockISB:
		err = r.readStatisticsBlock(s, sec, start, content)
	case blockNRB:
		err = r.readNameBlock(s, sec, start, content)
	case blockDSB:
		err = readSecretsBlock(s, sec, start, content)
	default:
		err = s.skip(start, "block", int64(content))
	}
	if err == nil {
		err = trailer(s, start, padded, sec.be)
	}
	return frame, err
}

func (r *Reader) readPacketBlock(s *stream, sec *ngSection, typ uint32, start int64, content uint32, pkt *Packet) error {
	name := "enhanced packet block"
	if typ == blockPB {
		name = "packet block"
	}
	if content < 20 {
		return s.errorf(start, "%s of %d bytes is shorter than its 20-byte fixed part", name, content)
	}
	h, err := s.peek(start, name, 20)
	if err != nil {
		return err
	}
	be := sec.be
	var id uint32
	if typ == blockEPB {
		id = u32(h, be)
	} else {
		id = uint32(u16(h, be))
	}
	hi, lo, caplen, origlen := u32(h[4:], be), u32(h[8:], be), u32(h[12:], be), u32(h[16:], be)
	if id >= uint32(sec.count) {
		return s.errorf(start, "%s names interface %d, but its section defines %d", name, id, sec.count)
	}
	iface := &r.ng.ifaces[sec.first+int(id)]
	if caplen > iface.maxCap {
		return s.errorf(start, "%s claims %d captured bytes, more than the maximum %d", name, caplen, iface.maxCap)
	}
	pad := (4 - caplen%4) % 4
	if uint64(content) < 20+uint64(caplen)+uint64(pad) {
		return s.errorf(start, "%s of %d bytes is too small for %d bytes of packet data", name, content, caplen)
	}
	if caplen < iface.phdr {
		return s.errorf(start, "%s of %d bytes is shorter than the %d-byte %s pseudo-header", name, caplen, iface.phdr, iface.link)
	}
	s.discard(20)
	data, rerr := s.read(start, name, int(caplen))
	if rerr != nil {
		return rerr
	}
	if pad != 0 {
		if err := s.skip(start, name, int64(pad)); err != nil {
			return err
		}
	}
	if err := r.options(s, start, content-20-caplen-pad, be, optPacket, nil); err != nil {
		return err
	}
	if caplen > origlen {
		data = data[:origlen]
	}
	pkt.Data, pkt.Length, pkt.Time = data, int(origlen), iface.time(hi, lo)
	pkt.Link, pkt.Interface, pkt.Offset = iface.link, sec.first+int(id), start
	return nil
}

// readSimpleBlock reads an SPB as Wireshark does: captured length is the
// original length cut to the snaplen, and nothing after the data and its
// padding is read before the trailer, so a block with spare room fails the
// trailer check there too.
func (r *Reader) readSimpleBlock(s *stream, sec *ngSection, start int64, content uint32, pkt *Packet) error {
	const name = "simple packet block"
	if content < 4 {
		return s.errorf(start, "%s of %d bytes is shorter than its 4-byte fixed part", name, content)
	}
	h, err := s.peek(start, name, 4)
	if err != nil {
		return err
	}
	if sec.count == 0 {
		return s.errorf(start, "%s comes before any interface description block in its section", name)
	}
	iface := &r.ng.ifaces[sec.first]
	origlen := u32(h, sec.be)
	caplen := origlen
	if iface.snaplen != 0 && caplen > iface.snaplen {
		caplen = iface.snaplen
	}
	if caplen > iface.maxCap {
		return s.errorf(start, "%s claims %d captured bytes, more than the maximum %d", name, caplen, iface.maxCap)
	}
	pad := (4 - caplen%4) % 4
	if uint64(content) < 4+uint64(caplen)+uint64(pad) {
		return s.errorf(start, "%s of %d bytes is too small for %d bytes of packet data", name, content, caplen)
	}
	if caplen < iface.phdr {
		return s.errorf(start, "%s of %d bytes is shorter than the %d-byte %s pseudo-header", name, caplen, iface.phdr, iface.link)
	}
	s.discard(4)
	data, rerr := s.read(start, name, int(caplen))
	if rerr != nil {
		return rerr
	}
	if err := s.skip(start, name, int64(pad)); err != nil {
		return err
	}
	pkt.Data, pkt.Length, pkt.Time = data, int(origlen), 0
	pkt.Link, pkt.Interface, pkt.Offset = iface.link, sec.first, start
	return nil
}

func (r *Reader) pcapngAt(offset int64) error {
	secs := r.ng.sections
	i := sort.Search(len(secs), func(i int) bool { return secs[i].offset > offset }) - 1
	s := &r.at
	if i < 0 {
		return s.errorf(offset, "no pcapng section read at this offset")
	}
	h, err := s.peek(offset, "block header", 8)
	if err != nil {
		return err
	}
	switch u32(h, secs[i].be) {
	case blockEPB, blockPB, blockSPB, blockCustom, blockCustomNoCopy, blockJournal:
	default:
		return s.errorf(offset, "no packet block at this offset")
	}
	_, rerr := r.readBlock(s, &secs[i], offset, h, &r.atPkt)
	return rerr
}
