package export

import (
	"encoding/binary"
	"io"

	"github.com/portlens/portlens/analyzer/capture"
)

// NgWriter writes a pcapng file: one section, one interface per link type
// (added when its first packet comes), nanosecond timestamps. A few fixed
// blocks, written directly: pcapgo's writer does not build natively with
// this module's go.sum (see testdata/README.md).
type NgWriter struct {
	w      io.Writer
	ifaces map[capture.LinkType]uint32
	err    error
}

// NewNgWriter writes the section header.
func NewNgWriter(w io.Writer) *NgWriter {
	nw := &NgWriter{w: w, ifaces: map[capture.LinkType]uint32{}}
	// Section Header Block: byte-order magic, version 1.0, unknown length.
	body := make([]byte, 16)
	binary.LittleEndian.PutUint32(body[0:], 0x1A2B3C4D)
	binary.LittleEndian.PutUint16(body[4:], 1)
	binary.LittleEndian.PutUint16(body[6:], 0)
	binary.LittleEndian.PutUint64(body[8:], ^uint64(0))
	nw.block(0x0A0D0D0A, body)
	return nw
}

func (nw *NgWriter) block(typ uint32, body []byte) {
	if nw.err != nil {
		return
	}
	pad := (4 - len(body)%4) % 4
	total := uint32(12 + len(body) + pad)
	buf := make([]byte, 0, total)
	buf = binary.LittleEndian.AppendUint32(buf, typ)
	buf = binary.LittleEndian.AppendUint32(buf, total)
	buf = append(buf, body...)
	buf = append(buf, make([]byte, pad)...)
	buf = binary.LittleEndian.AppendUint32(buf, total)
	_, nw.err = nw.w.Write(buf)
}

func (nw *NgWriter) iface(link capture.LinkType) uint32 {
	if id, ok := nw.ifaces[link]; ok {
		return id
	}
	id := uint32(len(nw.ifaces))
	nw.ifaces[link] = id
	// Interface Description Block: link type, snaplen 0 (none), and
	// if_tsresol = 9 (nanoseconds), then opt_endofopt.
	body := make([]byte, 8, 20)
	binary.LittleEndian.PutUint16(body[0:], uint16(link))
	body = binary.LittleEndian.AppendUint16(body, 9) // if_tsresol
	body = binary.LittleEndian.AppendUint16(body, 1)
	body = append(body, 9, 0, 0, 0)
	body = append(body, 0, 0, 0, 0) // opt_endofopt
	nw.block(1, body)
	return id
}

// WritePacket writes one packet as an Enhanced Packet Block.
func (nw *NgWriter) WritePacket(p capture.Packet) error {
	id := nw.iface(p.Link)
	ts := uint64(p.Time)
	body := make([]byte, 20, 20+len(p.Data))
	binary.LittleEndian.PutUint32(body[0:], id)
	binary.LittleEndian.PutUint32(body[4:], uint32(ts>>32))
	binary.LittleEndian.PutUint32(body[8:], uint32(ts))
	binary.LittleEndian.PutUint32(body[12:], uint32(len(p.Data)))
	binary.LittleEndian.PutUint32(body[16:], uint32(p.Length))
	body = append(body, p.Data...)
	nw.block(6, body)
	return nw.err
}

// Err reports the first write error.
func (nw *NgWriter) Err() error { return nw.err }
