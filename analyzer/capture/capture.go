// Package capture reads pcap and pcapng capture files as a stream, the way
// archive/tar reads archives: NewReader, then Next until io.EOF or an *Error
// that says where the file is damaged. It accepts what Wireshark 4.4 accepts
// and counts frames the way Wireshark does, so frame numbers agree.
package capture

import (
	"bufio"
	"compress/gzip"
	"io"
)

// Packet is one frame. Data is valid only until the next call to Next: the
// buffer is reused so that reading allocates nothing per packet.
type Packet struct {
	Data      []byte   // captured bytes
	Length    int      // original length on the wire
	Time      int64    // nanoseconds since the Unix epoch
	Link      LinkType // the link type of the packet's interface
	Interface int      // interface index counted across all pcapng sections (0 for pcap, -1 for non-packet frames)
	Offset    int64    // byte offset of the packet's record or block in the (decompressed) stream
}

// Interface describes one capture interface: the pcap file header, or one
// pcapng Interface Description Block.
type Interface struct {
	Link         LinkType
	Name         string // if_name, empty when absent
	Snaplen      uint32
	TSResolution string // "10^-6", "10^-9", "2^-20"...
	TSOffset     int64  // if_tsoffset in seconds, added to every time stamp
}

// Info describes the file as far as it has been read.
type Info struct {
	Format     string // "pcap", "pcap (nanosecond)", "pcapng"
	Compressed bool   // gzip
	BigEndian  bool   // of the first section for pcapng
	Version    string // "2.4", "1.0"
	Interfaces []Interface
}

type format uint8

const (
	formatPcap format = iota + 1
	formatPcapng
)

// Reader reads packets from a capture file. It is not safe for concurrent use.
type Reader struct {
	src    *countingReader
	main   stream
	at     stream // PacketAt's own buffers, so it does not clobber Next's packet
	format format
	info   Info
	frames int   // frames returned so far
	err    error // sticky: once damaged, always damaged
	pkt    Packet
	atPkt  Packet
	pcap   pcapFile
	ng     ngState
}

// NewReader sniffs gzip, then pcap or pcapng, and reads the file header. It
// returns an *Error when the input is not a capture file or its header is
// damaged.
func NewReader(r io.Reader) (*Reader, error) {
	rd := &Reader{src: &countingReader{r: r}}
	raw := bufio.NewReaderSize(rd.src, bufSize)
	if head, _ := raw.Peek(2); len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b {
		gz, err := gzip.NewReader(raw)
		if err != nil {
			return nil, &Error{Msg: "gzip header: " + err.Error()}
		}
		rd.info.Compressed = true
		rd.main.in = bufio.NewReaderSize(gz, bufSize)
	} else {
		rd.main.in = raw
	}
	head, _ := rd.main.in.Peek(4)
	switch {
	case len(head) == 4 && head[0] == 0x0a && head[1] == 0x0d && head[2] == 0x0d && head[3] == 0x0a:
		rd.format = formatPcapng
		if err := rd.openPcapng(); err != nil {
			return nil, err
		}
	case len(head) == 4 && pcapMagic(head):
		rd.format = formatPcap
		if err := rd.openPcap(); err != nil {
			return nil, err
		}
	default:
		return nil, notCapture(head)
	}
	return rd, nil
}

// Next returns the next frame, io.EOF at a clean end of the file, or an
// *Error at the first damage. After an error every later call returns it too.
func (r *Reader) Next() (*Packet, error) {
	if r.err != nil {
		return nil, r.err
	}
	r.main.frame = r.frames + 1
	var err error
	if r.format == formatPcap {
		err = r.nextPcap(&r.main, &r.pkt)
	} else {
		err = r.nextPcapng()
	}
	if err != nil {
		r.err = err
		return nil, err
	}
	r.frames++
	return &r.pkt, nil
}

// Info describes the file; Interfaces lists those seen so far.
func (r *Reader) Info() Info {
	info := r.info
	info.Interfaces = append([]Interface(nil), r.info.Interfaces...)
	return info
}

// BytesRead counts the bytes consumed from the underlying io.Reader (the
// compressed bytes for gzip input), for progress bars.
func (r *Reader) BytesRead() int64 { return r.src.n }

// PacketAt re-reads the packet that Next returned at offset, from ra holding
// the same uncompressed file. It uses the interface tables Next has built,
// so it works for any pcapng section read so far. The returned packet's
// Data is valid until the next call to PacketAt; Next's packet is untouched.
func (r *Reader) PacketAt(ra io.ReaderAt, offset int64) (*Packet, error) {
	if r.info.Compressed {
		return nil, &Error{Offset: offset, Msg: "PacketAt needs an uncompressed file"}
	}
	if offset < 0 {
		return nil, &Error{Offset: offset, Msg: "negative offset"}
	}
	sr := io.NewSectionReader(ra, offset, 1<<62)
	if r.at.in == nil {
		r.at.in = bufio.NewReaderSize(sr, 128<<10)
	} else {
		r.at.in.Reset(sr)
	}
	r.at.off = offset
	r.at.frame = 0
	var err error
	if r.format == formatPcap {
		if offset < r.pcap.first {
			return nil, &Error{Offset: offset, Msg: "offset is inside the pcap file header"}
		}
		err = r.nextPcap(&r.at, &r.atPkt)
		if err == io.EOF {
			err = &Error{Offset: offset, Msg: "no packet record at this offset (end of file)"}
		}
	} else {
		err = r.pcapngAt(offset)
	}
	if err != nil {
		return nil, err
	}
	return &r.atPkt, nil
}
