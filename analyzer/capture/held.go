package capture

import "unsafe"

// Held is the memory the Reader holds, in bytes, as a deterministic
// account of its own tables rather than a measure of the heap, so that a
// memory budget stops the same file at the same block every time: its
// buffers, a small gzip capture's decompressed bytes (at most
// KeepDecompressed), the buffer of packets larger than the buffers, and
// the pcapng sections and interfaces with the names kept of them. A
// growing slice of records is counted at twice its length (append's
// spare room); the decompressed bytes at their capacity, which follows
// from the stream alone (gzip hands them over in the same pieces however
// the compressed bytes arrive).
// Reading many interface descriptions grows it while Next returns no
// frame; NextPaced gives the caller a chance to look.
func (r *Reader) Held() int64 {
	n := int64(bufSize) // the input's buffer
	if r.info.Compressed {
		n += bufSize + flateState // the decompressed stream's buffer, and gzip's
	}
	if r.kept != nil {
		n += int64(cap(r.kept.buf))
	}
	n += int64(cap(r.main.buf))
	n += 2 * int64(len(r.ng.sections)) * int64(unsafe.Sizeof(ngSection{}))
	n += 2 * int64(len(r.ng.ifaces)) * int64(unsafe.Sizeof(ngIface{}))
	// Info.Interfaces, and the copy Info returns for the result.
	n += 3*int64(len(r.info.Interfaces))*int64(unsafe.Sizeof(Interface{})) + r.ng.names
	return n
}

// flateState is about what a gzip reader holds besides its buffers: the
// 32 KiB window and the Huffman tables.
const flateState = 64 << 10

// Offset is where the next frame or block will be read from, in the
// (decompressed) stream: where a caller that stops reading stopped.
func (r *Reader) Offset() int64 { return r.main.off }

// StopKeeping drops the decompressed bytes kept so far of a gzip capture
// not read to its end, and keeps no more: Decompressed returns the
// stream only once it is read whole, so a caller that stops reading
// early (a Cancel, a memory budget) would otherwise carry up to
// KeepDecompressed bytes for nothing.
func (r *Reader) StopKeeping() {
	if r.kept != nil && !r.kept.complete {
		r.kept.buf, r.kept.over = nil, true
	}
}
