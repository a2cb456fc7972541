package capture

import (
	"bytes"
	"math/bits"
	"strconv"
	"unicode/utf8"
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

// options checks the options in opts, the rest of blk's content.
func (r *Reader) options(s *stream, blk *block, opts []byte, kind optKind, idb *idbOptions) error {
	be := blk.be
	for len(opts) > 0 {
		if len(opts) < 4 {
			return s.errorf(blk.start, "pcapng option header runs past the end of its block")
		}
		code, length := u16(opts, be), u16(opts[2:], be)
		rounded := (int(length) + 3) &^ 3
		opts = opts[4:]
		if rounded > len(opts) {
			return s.errorf(blk.start, "pcapng option %d of %d bytes runs past the end of its block", code, length)
		}
		if code == 0 { // opt_endofopt: whatever follows is ignored
			return nil
		}
		if msg := checkOption(kind, code, opts[:length], idb, be); msg != "" {
			return s.errorf(blk.start, "%s", msg)
		}
		opts = opts[rounded:]
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
				idb.name = keptName(v)
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

// maxNameKept bounds the bytes kept of an interface's name: a name is 16
// bytes on Linux (IFNAMSIZ) and about 50 on Windows (\Device\NPF_{GUID}),
// but an option may hold 64 KiB, and a file of 20,000 interfaces with
// names that long would otherwise keep 1.3 GB of them.
const maxNameKept = 256

// keptName is the if_name option v as kept: without its trailing NULs,
// cut to maxNameKept bytes at a character boundary.
func keptName(v []byte) string {
	v = bytes.TrimRight(v, "\x00")
	if len(v) > maxNameKept {
		cut := maxNameKept
		for cut > maxNameKept-utf8.UTFMax && !utf8.RuneStart(v[cut]) {
			cut--
		}
		v = v[:cut]
	}
	return string(v)
}

func (r *Reader) readIDB(s *stream, sec *ngSection, blk *block) error {
	c := blk.content()
	if len(c) < 8 {
		return s.errorf(blk.start, "interface description block of %d bytes is shorter than its 8-byte fixed part", len(c))
	}
	link, snaplen := LinkType(u16(c, sec.be)), u32(c[4:], sec.be)
	opts := idbOptions{tsresol: -1}
	if err := r.options(s, blk, c[8:], optIDB, &opts); err != nil {
		return err
	}
	iface := ngIface{link: link, snaplen: snaplen, maxCap: maxCaplen(link), phdr: pseudoHeaderLen(link), units: 1e6, tsoffset: opts.tsoffset}
	res := "10^-6"
	if opts.tsresol >= 0 {
		exp := uint(opts.tsresol & 0x7f)
		if opts.tsresol&0x80 != 0 {
			if exp > 63 {
				return s.errorf(blk.start, "pcapng if_tsresol 2^-%d is finer than 2^-63", exp)
			}
			iface.units = 1 << exp
			res = "2^-" + strconv.Itoa(int(exp))
		} else {
			if exp > 19 {
				return s.errorf(blk.start, "pcapng if_tsresol 10^-%d is finer than 10^-19", exp)
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
	r.ng.names += int64(len(opts.name) + len(res))
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
func (r *Reader) readCustomBlock(s *stream, blk *block, pkt *Packet) error {
	c := blk.content()
	if len(c) < 4 {
		return s.errorf(blk.start, "custom block of %d bytes is too short for its enterprise number", len(c))
	}
	data := c[4:len(c):len(c)]
	*pkt = Packet{Data: data, Length: len(data), Link: LinkCustomBlock, Interface: -1, Offset: blk.start}
	return nil
}

// readJournalBlock returns a systemd Journal Export Block as a frame, with
// the entry's __REALTIME_TIMESTAMP (microseconds) as its time when present.
func (r *Reader) readJournalBlock(s *stream, blk *block, pkt *Packet) error {
	const minEntry = len("__REALTIME_TIMESTAMP=0\n")
	data := blk.content()
	if len(data) < minEntry {
		return s.errorf(blk.start, "journal export block of %d bytes is shorter than an entry", len(data))
	}
	data = bytes.TrimRight(data, "\x00")
	if len(data) < minEntry {
		return s.errorf(blk.start, "journal export entry of %d bytes is too short", len(data))
	}
	data = data[:len(data):len(data)]
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
	*pkt = Packet{Data: data, Length: len(data), Time: t, Link: LinkJournal, Interface: -1, Offset: blk.start}
	return nil
}

func (r *Reader) readStatisticsBlock(s *stream, blk *block) error {
	c := blk.content()
	if len(c) < 12 {
		return s.errorf(blk.start, "interface statistics block of %d bytes is shorter than its 12-byte fixed part", len(c))
	}
	return r.options(s, blk, c[12:], optOther, nil)
}

// readNameBlock walks the records of a Name Resolution Block with the checks
// Wireshark makes, then its options.
func (r *Reader) readNameBlock(s *stream, blk *block) error {
	const name = "name resolution block"
	c := blk.content()
	if len(c) < 4 {
		return s.errorf(blk.start, "%s of %d bytes has no room for a record", name, len(c))
	}
	for len(c) > 0 {
		if len(c) < 4 {
			return s.errorf(blk.start, "%s has %d bytes left, too few for a record header", name, len(c))
		}
		typ, n := u16(c, blk.be), int(u16(c[2:], blk.be))
		c = c[4:]
		rounded := (n + 3) &^ 3
		if rounded > len(c) {
			return s.errorf(blk.start, "%s record of %d bytes runs past the end of the block", name, n)
		}
		if typ == 0 { // end of records; options follow
			break
		}
		if typ == 1 || typ == 2 {
			addr := 4
			if typ == 2 {
				addr = 16
			}
			if n < addr {
				return s.errorf(blk.start, "%s address record of %d bytes is shorter than its %d-byte address", name, n, addr)
			}
			if names := c[addr:n]; len(names) > 0 && names[len(names)-1] != 0 {
				return s.errorf(blk.start, "%s has a host name without its terminating NUL", name)
			}
		}
		c = c[rounded:]
	}
	return r.options(s, blk, c, optOther, nil)
}

func readSecretsBlock(s *stream, blk *block) error {
	const name = "decryption secrets block"
	c := blk.content()
	if len(c) < 8 {
		return s.errorf(blk.start, "%s of %d bytes is shorter than its 8-byte fixed part", name, len(c))
	}
	if n := u32(c[4:], blk.be); uint64(n) > uint64(len(c)-8) {
		return s.errorf(blk.start, "%s of %d bytes is too small for %d bytes of secrets", name, len(c), n)
	}
	return nil
}
