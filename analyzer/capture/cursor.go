package capture

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"io"
	"sort"
)

// Cursor reads frames again, forward from an offset where Next returned
// one: the analysis keeps a few bytes a frame, and the page's rows and the
// command's examples read the rest from the file on demand. It uses the
// interface tables Next built, so it reads any frame Next has read, and
// it never changes them.
type Cursor struct {
	r     *Reader
	s     stream
	ra    io.ReaderAt
	plain bool // ra holds a gzip capture's decompressed bytes
	sec   int  // pcapng: the section the cursor is in
	pkt   Packet
}

// CursorAt returns a cursor at offset in ra, which holds the file Next
// read (for a gzip capture, the compressed file: it is decompressed again
// up to offset).
func (r *Reader) CursorAt(ra io.ReaderAt, offset int64) (*Cursor, error) {
	c := &Cursor{r: r}
	return c, c.Seek(ra, offset)
}

// DecompressedCursorAt returns a cursor at offset in ra, which holds the
// decompressed bytes of the gzip capture Next read (Decompressed).
func (r *Reader) DecompressedCursorAt(ra io.ReaderAt, offset int64) (*Cursor, error) {
	c := &Cursor{r: r, plain: true}
	return c, c.Seek(ra, offset)
}

// Offset is where the next frame will be read from.
func (c *Cursor) Offset() int64 { return c.s.off }

// Seek moves the cursor to offset. In a gzip capture a seek forward
// decompresses only what lies between; a seek back starts again from the
// file's beginning.
func (c *Cursor) Seek(ra io.ReaderAt, offset int64) error {
	if offset < 0 {
		return &Error{Offset: offset, Msg: "negative offset"}
	}
	r := c.r
	if r.format == formatPcap && offset < r.pcap.first {
		return &Error{Offset: offset, Msg: "offset is inside the pcap file header"}
	}
	if r.info.Compressed && !c.plain {
		if err := c.seekCompressed(ra, offset); err != nil {
			return err
		}
	} else {
		sr := io.NewSectionReader(ra, offset, 1<<62)
		if c.s.in == nil {
			c.s.in = bufio.NewReaderSize(sr, 128<<10)
		} else {
			c.s.in.Reset(sr)
		}
		c.s.off = offset
	}
	c.ra = ra
	c.s.frame = 0
	if r.format == formatPcapng {
		secs := r.ng.sections
		c.sec = sort.Search(len(secs), func(i int) bool { return secs[i].offset > offset }) - 1
		if c.sec < 0 {
			return &Error{Offset: offset, Msg: "no pcapng section read at this offset"}
		}
	}
	return nil
}

func (c *Cursor) seekCompressed(ra io.ReaderAt, offset int64) error {
	if c.ra != ra || c.s.in == nil || offset < c.s.off {
		gz, err := gzip.NewReader(io.NewSectionReader(ra, 0, 1<<62))
		if err != nil {
			return &Error{Msg: "gzip header: " + err.Error()}
		}
		if c.s.in == nil {
			c.s.in = bufio.NewReaderSize(gz, 128<<10)
		} else {
			c.s.in.Reset(gz)
		}
		c.s.off = 0
	}
	return c.s.skip(offset, "decompressed stream", offset-c.s.off)
}

// Next returns the next frame, io.EOF at the end of the file. Its Data
// is valid until the next call to Next or Seek.
func (c *Cursor) Next() (*Packet, error) {
	if c.s.in == nil {
		return nil, errors.New("capture: Cursor used before Seek")
	}
	if c.r.format == formatPcap {
		if err := c.r.nextPcap(&c.s, &c.pkt); err != nil {
			return nil, err
		}
		return &c.pkt, nil
	}
	if err := c.nextPcapng(); err != nil {
		return nil, err
	}
	return &c.pkt, nil
}

// nextPcapng reads blocks up to the next frame. Section headers switch
// the section (they were all read by Next); blocks that make no frame are
// skipped unread, so the reader's tables never change.
func (c *Cursor) nextPcapng() error {
	r, s := c.r, &c.s
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
			i := sort.Search(len(r.ng.sections), func(i int) bool { return r.ng.sections[i].offset >= start })
			if i == len(r.ng.sections) || r.ng.sections[i].offset != start {
				return s.errorf(start, "a pcapng section the first reading did not reach")
			}
			c.sec = i
		}
		sec := &r.ng.sections[c.sec]
		switch u32(h, sec.be) {
		case blockEPB, blockPB, blockSPB, blockCustom, blockCustomNoCopy, blockJournal:
			_, err := r.readBlock(s, sec, start, h, &c.pkt)
			return err
		}
		padded, ok := roundUp4(u32(h[4:], sec.be))
		if !ok || padded < 12 || padded > maxBlock {
			return s.errorf(start, "pcapng block length %d is not what the first reading saw", u32(h[4:], sec.be))
		}
		if err := s.skip(start, "block", int64(padded)); err != nil {
			return err
		}
	}
}
