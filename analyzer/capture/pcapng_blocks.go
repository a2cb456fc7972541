package capture

import (
	"bytes"
	"math/bits"
	"strconv"
)

// Wireshark rejects a few option encodings outright (pcapng_process_options
// and the per-block option handlers); the reader rejects the same ones so that
// both stop at the same block.
type optKind uint8

const (
	optOther optKind = iota
	optIDB
	optPacket
)

// idbOptions collects what an IDB's options say.
type idbOptions struct {
	name     string
	tsresol  int // -1 when absent
	tsoffset int64
}

func (r *Reader) options(s *stream, start int64, n uint32, be bool, kind optKind, idb *idbOptions) error {
	for n > 0 {
		if n < 4 {
			return s.errorf(start, "pcapng option header runs past the end of its block")
		}
		h, err := s.peek(start, "option", 4)
		if err != nil {
			return err
		}
		code, length := u16(h, be), u16(h[2:], be)
		rounded := (uint32(length) + 3) &^ 3
		n -= 4
		if rounded > n {
			return s.errorf(start, "pcapng option %d of %d bytes runs past the end of its block", code, length)
		}
		s.discard(4)
		if code == 0 { // opt_endofopt: whatever follows is ignored
			return s.skip(start, "options", int64(n))
		}
		body, err := s.peek(start, "option", int(rounded))
		if err != nil {
			return err
		}
		if msg := checkOption(kind, code, body[:length], idb, be); msg != "" {
			return s.errorf(start, "%s", msg)
		}
		s.discard(int(rounded))
		n -= rounded
	}
	return nil
}

func checkOption(kind optKind, code uint16, v []byte, idb *idbOptions, be bool) string {
	switch code {
	case 2988, 2989, 19372, 19373: // custom options start with a PEN
		if len(v) < 4 {
			return "pcapng custom option of " + strconv.Itoa(len(v)) + " bytes is too short for its enterprise number"
		}
		return ""
	}
	switch kind {
	case optIDB:
		switch code {
		case 2: // if_name
			if idb.name == "" {
				idb.name = string(bytes.TrimRight(v, "\x00"))
			}
		case 9: // if_tsresol
			if len(v) == 1 && idb.tsresol < 0 {
				idb.tsresol = int(v[0])
			}
		case 11: // if_filter
			if len(v) < 1 {
				return "pcapng if_filter option is empty"
			}
		case 14: // if_tsoffset
			if len(v) == 8 {
				idb.tsoffset = int64(u64(v, be))
			}
		}
	case optPacket:
		want := 0
		switch code {
		case 2, 6: // epb_flags, epb_queue
			want = 4
		case 4, 5: // epb_dropcount, epb_packetid
			want = 8
		}
		switch {
		case want != 0 && len(v) != want:
			return "pcapng packet option " + strconv.Itoa(int(code)) + " has " + strconv.Itoa(len(v)) + " bytes, not " + strconv.Itoa(want)
		case (code == 3 || code == 7) && len(v) < 1: // hash, verdict
			return "pcapng packet option " + strconv.Itoa(int(code)) + " is empty"
		case code == 7 && (v[0] == 1 || v[0] == 2) && len(v) != 9:
			return "pcapng eBPF verdict option has " + strconv.Itoa(len(v)) + " bytes, not 9"
		}
	}
	return ""
}

func (r *Reader) readIDB(s *stream, sec *ngSection, start int64, content uint32) error {
	if content < 8 {
		return s.errorf(start, "interface description block of %d bytes is shorter than its 8-byte fixed part", content)
	}
	h, err := s.peek(start, "interface description block", 8)
	if err != nil {
		return err
	}
	link, snaplen := LinkType(u16(h, sec.be)), u32(h[4:], sec.be)
	s.discard(8)
	opts := idbOptions{tsresol: -1}
	if err := r.options(s, start, content-8, sec.be, optIDB, &opts); err != nil {
		return err
	}
	iface := ngIface{link: link, snaplen: snaplen, maxCap: maxCaplen(link), phdr: pseudoHeaderLen(link), units: 1e6, tsoffset: opts.tsoffset}
	res := "10^-6"
	if opts.tsresol >= 0 {
		exp := uint(opts.tsresol & 0x7f)
		if opts.tsresol&0x80 != 0 {
			if exp > 63 {
				return s.errorf(start, "pcapng if_tsresol 2^-%d is finer than 2^-63", exp)
			}
			iface.units = 1 << exp
			res = "2^-" + strconv.Itoa(int(exp))
		} else {
			if exp > 19 {
				return s.errorf(start, "pcapng if_tsresol 10^-%d is finer than 10^-19", exp)
			}
			iface.units = 1
			for range exp {
				iface.units *= 10
			}
			res = "10^-" + strconv.Itoa(int(exp))
		}
	}
	r.ng.ifaces = append(r.ng.ifaces, iface)
	sec.count++
	r.info.Interfaces = append(r.info.Interfaces, Interface{
		Link: link, Name: opts.name, Snaplen: snaplen, TSResolution: res, TSOffset: opts.tsoffset,
	})
	return nil
}

// time converts a pcapng time stamp exactly: the fraction of a second is
// scaled with a 128-bit product, so 2^-n resolutions lose nothing but the
// floor to whole nanoseconds.
func (f *ngIface) time(hi, lo uint32) int64 {
	ts := uint64(hi)<<32 | uint64(lo)
	var sec, ns uint64
	switch f.units {
	case 1e6:
		sec, ns = ts/1e6, ts%1e6*1000
	case 1e9:
		sec, ns = ts/1e9, ts%1e9
	default:
		sec = ts / f.units
		h, l := bits.Mul64(ts%f.units, 1e9)
		ns, _ = bits.Div64(h, l, f.units)
	}
	return (int64(sec)+f.tsoffset)*1e9 + int64(ns)
}

// readCustomBlock returns a Custom Block as a frame, as Wireshark lists it.
func (r *Reader) readCustomBlock(s *stream, start int64, content uint32, pkt *Packet) error {
	if content < 4 {
		return s.errorf(start, "custom block of %d bytes is too short for its enterprise number", content)
	}
	if err := s.skip(start, "custom block", 4); err != nil {
		return err
	}
	data, err := s.read(start, "custom block", int(content-4))
	if err != nil {
		return err
	}
	*pkt = Packet{Data: data, Length: len(data), Link: LinkCustomBlock, Interface: -1, Offset: start}
	return nil
}

// readJournalBlock returns a systemd Journal Export Block as a frame, with
// the entry's __REALTIME_TIMESTAMP (microseconds) as its time when present.
func (r *Reader) readJournalBlock(s *stream, start int64, content uint32, pkt *Packet) error {
	const minEntry = len("__REALTIME_TIMESTAMP=0\n")
	if content < uint32(minEntry) {
		return s.errorf(start, "journal export block of %d bytes is shorter than an entry", content)
	}
	data, err := s.read(start, "journal export block", int(content))
	if err != nil {
		return err
	}
	data = bytes.TrimRight(data, "\x00")
	if len(data) < minEntry {
		return s.errorf(start, "journal export entry of %d bytes is too short", len(data))
	}
	var t int64
	if i := bytes.Index(data, []byte("__REALTIME_TIMESTAMP=")); i >= 0 {
		v := data[i+len("__REALTIME_TIMESTAMP="):]
		if j := bytes.IndexByte(v, '\n'); j >= 0 {
			v = v[:j]
		}
		if us, err := strconv.ParseUint(string(v), 10, 64); err == nil {
			t = int64(us/1e6)*1e9 + int64(us%1e6)*1000
		}
	}
	*pkt = Packet{Data: data, Length: len(data), Time: t, Link: LinkJournal, Interface: -1, Offset: start}
	return nil
}

func (r *Reader) readStatisticsBlock(s *stream, sec *ngSection, start int64, content uint32) error {
	if content < 12 {
		return s.errorf(start, "interface statistics block of %d bytes is shorter than its 12-byte fixed part", content)
	}
	if err := s.skip(start, "interface statistics block", 12); err != nil {
		return err
	}
	return r.options(s, start, content-12, sec.be, optOther, nil)
}

// readNameBlock walks the records of a Name Resolution Block with the checks
// Wireshark makes, then its options.
func (r *Reader) readNameBlock(s *stream, sec *ngSection, start int64, content uint32) error {
	const name = "name resolution block"
	if content < 4 {
		return s.errorf(start, "%s of %d bytes has no room for a record", name, content)
	}
	left := content
	for left > 0 {
		if left < 4 {
			return s.errorf(start, "%s has %d bytes left, too few for a record header", name, left)
		}
		h, err := s.peek(start, name, 4)
		if err != nil {
			return err
		}
		typ, n := u16(h, sec.be), uint32(u16(h[2:], sec.be))
		left -= 4
		rounded := (n + 3) &^ 3
		if rounded > left {
			return s.errorf(start, "%s record of %d bytes runs past the end of the block", name, n)
		}
		s.discard(4)
		if typ == 0 { // end of records; options follow
			break
		}
		if typ == 1 || typ == 2 {
			addr := uint32(4)
			if typ == 2 {
				addr = 16
			}
			if n < addr {
				return s.errorf(start, "%s address record of %d bytes is shorter than its %d-byte address", name, n, addr)
			}
			rec, err := s.peek(start, name, int(n))
			if err != nil {
				return err
			}
			if names := rec[addr:]; len(names) > 0 && names[len(names)-1] != 0 {
				return s.errorf(start, "%s has a host name without its terminating NUL", name)
			}
		}
		if err := s.skip(start, name, int64(rounded)); err != nil {
			return err
		}
		left -= rounded
	}
	return r.options(s, start, left, sec.be, optOther, nil)
}

func readSecretsBlock(s *stream, sec *ngSection, start int64, content uint32) error {
	const name = "decryption secrets block"
	if content < 8 {
		return s.errorf(start, "%s of %d bytes is shorter than its 8-byte fixed part", name, content)
	}
	h, err := s.peek(start, name, 8)
	if err != nil {
		return err
	}
	if n := u32(h[4:], sec.be); uint64(n) > uint64(content-8) {
		return s.errorf(start, "%s of %d bytes is too small for %d bytes of secrets", name, content, n)
	}
	return s.skip(start, name, int64(content))
}
