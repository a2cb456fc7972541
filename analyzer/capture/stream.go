package capture

import (
	"bufio"
	"errors"
	"fmt"
	"io"
)

// bufSize bounds what the reader can peek at once: a pcapng option (64 KiB)
// and the first two pcap records Wireshark looks at to pick a pcap variant.
const bufSize = 1 << 19

// stream is a buffered byte source that knows its offset, so every error can
// say where it happened. The Reader has one for Next and one for PacketAt.
type stream struct {
	in    *bufio.Reader
	off   int64  // offset of the next unread byte in the (decompressed) stream
	buf   []byte // packet data too large for the bufio buffer, reused
	frame int    // number put into errors: the frame being read, 0 if unknown
}

func (s *stream) errorf(off int64, format string, args ...any) *Error {
	return &Error{Frame: s.frame, Offset: off, Msg: fmt.Sprintf(format, args...)}
}

// short turns a short read into an *Error: a truncation when the data just
// ends, the underlying error (a gzip checksum, a network failure) otherwise.
func (s *stream) short(off int64, what string, got, want int64, err error) *Error {
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return s.errorf(off, "%s: %v", what, err)
	}
	return s.errorf(off, "truncated %s (%d of %d bytes)", what, got, want)
}

// peek returns exactly n bytes without consuming them, or an error that
// names what was being read.
func (s *stream) peek(off int64, what string, n int) ([]byte, error) {
	b, err := s.in.Peek(n)
	if len(b) < n {
		return nil, s.short(off, what, int64(len(b)), int64(n), err)
	}
	return b, nil
}

// discard consumes n bytes that a successful peek already holds.
func (s *stream) discard(n int) {
	s.in.Discard(n)
	s.off += int64(n)
}

// skip consumes n bytes of a block that is not kept.
func (s *stream) skip(off int64, what string, n int64) error {
	var done int64
	for done < n {
		step := min(n-done, bufSize)
		k, err := s.in.Discard(int(step))
		done += int64(k)
		s.off += int64(k)
		if err != nil {
			return s.short(off, what, done, n, err)
		}
	}
	return nil
}

// record consumes a header of h bytes (already peeked) and the n bytes
// after it, which it returns: one peek and one discard for the usual
// record. ok is false, with nothing consumed, when they cannot be in the
// buffer at once (read them the general way). A file that ends (or
// fails) inside them is the record's error, as read would give it.
func (s *stream) record(h, n int) (data []byte, ok bool, err error) {
	if n > s.in.Size()-h {
		return nil, false, nil
	}
	b, rerr := s.in.Peek(h + n)
	if len(b) < h+n {
		return nil, true, s.short(s.off, "packet record", int64(len(b)-h), int64(n), rerr)
	}
	s.in.Discard(h + n)
	s.off += int64(h + n)
	return b[h:], true, nil
}

// read returns the next n bytes. Most packets fit in the bufio buffer and
// are returned in place, with no copy; they stay valid until the stream is
// read again, which is all Packet.Data promises. Larger ones go to s.buf,
// which grows only as data arrives beyond the usual packet sizes, so a
// length field that lies about a truncated file costs no more memory than
// the file holds.
func (s *stream) read(off int64, what string, n int) ([]byte, error) {
	if n <= s.in.Size() {
		b, err := s.in.Peek(n)
		if len(b) < n {
			return nil, s.short(off, what, int64(len(b)), int64(n), err)
		}
		s.in.Discard(n)
		s.off += int64(n)
		return b, nil
	}
	b := s.buf[:0]
	for len(b) < n {
		step := min(n-len(b), max(len(b), 1<<20))
		if cap(b)-len(b) < step {
			nb := make([]byte, len(b), len(b)+step)
			copy(nb, b)
			b = nb
		}
		k, err := io.ReadFull(s.in, b[len(b):len(b)+step])
		b = b[:len(b)+k]
		s.off += int64(k)
		if err != nil {
			s.buf = b[:0]
			return nil, s.short(off, what, int64(len(b)), int64(n), err)
		}
	}
	s.buf = b[:0]
	return b, nil
}

// countingReader counts the bytes taken from the caller's reader, which is
// what a progress bar over a (possibly compressed) file needs.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
