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
	Name         string // if_name (its first 256 bytes), empty when absent
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
	at     *Cursor // PacketAt's, so it does not clobber Next's packet
	kept   *keeper // a gzip capture's decompressed bytes, while small
	format format
	info   Info
	frames int   // frames returned so far
	err    error // sticky: once damaged, always damaged
	pkt    Packet
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
		rd.kept = &keeper{}
		rd.main.in = bufio.NewReaderSize(&eofReader{gz, rd.kept}, bufSize)
	} else {
		rd.main.in = raw
	}
	head, err := rd.main.in.Peek(4)
	switch {
	case len(head) < 4 && err != nil && err != io.EOF && err != io.ErrUnexpectedEOF:
		// The file could not be read (a browser's NotReadableError, a
		// network failure): say so, not that it is empty.
		return nil, &Error{Msg: "reading: " + err.Error()}
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
	for {
		if p, err := r.next(false); p != nil || err != nil {
			return p, err
		}
	}
}

// NextPaced is Next for a caller that must stay responsive: it may
// return no frame and no error (nil, nil) after reading a run of pcapng
// blocks that hold no frame (interface descriptions, statistics...), so
// that a file of millions of them gives control back now and then. Call
// it again to go on.
func (r *Reader) NextPaced() (*Packet, error) { return r.next(true) }

func (r *Reader) next(paced bool) (*Packet, error) {
	if r.err != nil {
		return nil, r.err
	}
	r.main.frame = r.frames + 1
	var err error
	frame := true
	if r.format == formatPcap {
		err = r.nextPcap(&r.main, &r.pkt)
	} else {
		frame, err = r.nextPcapng(paced)
	}
	if err != nil {
		r.err = err
		return nil, err
	}
	if !frame {
		return nil, nil
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
// the same file (compressed or not, as the file Next read). The returned
// packet's Data is valid until the next call to PacketAt; Next's packet
// is untouched. Reading several packets in a row is cheaper with a Cursor.
func (r *Reader) PacketAt(ra io.ReaderAt, offset int64) (*Packet, error) {
	if r.at == nil {
		r.at = &Cursor{r: r}
	}
	if err := r.at.Seek(ra, offset); err != nil {
		return nil, err
	}
	p, err := r.at.Next()
	if err == io.EOF {
		err = &Error{Offset: offset, Msg: "no packet record at this offset (end of file)"}
	}
	return p, err
}

// Decompressed returns the whole decompressed stream of a gzip capture
// that Next has read to its end, when it is small enough to have been
// kept (KeepDecompressed bytes); nil otherwise. Rows of a small
// compressed capture are then read from memory instead of decompressing
// the file again.
func (r *Reader) Decompressed() []byte {
	if r.kept == nil || !r.kept.complete {
		return nil
	}
	return r.kept.buf
}

// KeepDecompressed bounds the decompressed bytes of a gzip capture that a
// Reader keeps in memory (Decompressed): past it, nothing is kept, so a
// small file that inflates to gigabytes costs no memory.
const KeepDecompressed = 32 << 20

// keeper collects a stream's bytes up to a limit.
type keeper struct {
	buf      []byte
	over     bool
	complete bool
}

func (k *keeper) Write(p []byte) (int, error) {
	if !k.over {
		if len(k.buf)+len(p) > KeepDecompressed {
			k.buf, k.over = nil, true
		} else {
			k.buf = append(k.buf, p...)
		}
	}
	return len(p), nil
}

// eofReader marks the keeper complete when its reader ends cleanly.
type eofReader struct {
	r io.Reader
	k *keeper
}

func (e *eofReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if n > 0 {
		e.k.Write(p[:n])
	}
	if err == io.EOF && !e.k.over {
		e.k.complete = true
	}
	return n, err
}
