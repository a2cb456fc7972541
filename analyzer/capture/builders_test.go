package capture

import (
	"encoding/binary"
)

// Test captures are built in memory, so every byte a test depends on is
// visible in the test itself.

func order(be bool) binary.AppendByteOrder {
	if be {
		return binary.BigEndian
	}
	return binary.LittleEndian
}

type rec struct {
	sec, frac uint32
	data      []byte
	orig      uint32 // 0 means len(data)
}

type pcapSpec struct {
	be      bool
	magic   uint32 // 0 means magicMicro
	major   uint16 // 0 means 2.4
	minor   uint16
	snaplen uint32 // 0 means 65535
	link    uint32
	extra   int    // bytes after the standard record header (patched variants)
	marks   []byte // those bytes, the same in every record (zeros when nil)
}

func buildPcap(sp pcapSpec, recs ...rec) []byte {
	o := order(sp.be)
	if sp.magic == 0 {
		sp.magic = magicMicro
	}
	if sp.major == 0 {
		sp.major, sp.minor = 2, 4
	}
	if sp.snaplen == 0 {
		sp.snaplen = 65535
	}
	b := o.AppendUint32(nil, sp.magic)
	b = o.AppendUint16(b, sp.major)
	b = o.AppendUint16(b, sp.minor)
	b = o.AppendUint32(b, 0)
	b = o.AppendUint32(b, 0)
	b = o.AppendUint32(b, sp.snaplen)
	b = o.AppendUint32(b, sp.link)
	for _, r := range recs {
		orig := r.orig
		if orig == 0 {
			orig = uint32(len(r.data))
		}
		b = o.AppendUint32(b, r.sec)
		b = o.AppendUint32(b, r.frac)
		b = o.AppendUint32(b, uint32(len(r.data)))
		b = o.AppendUint32(b, orig)
		if sp.marks != nil {
			b = append(b, sp.marks...)
		} else {
			b = append(b, make([]byte, sp.extra)...)
		}
		b = append(b, r.data...)
	}
	return b
}

// ng builds a pcapng file block by block; ends records where each block ends.
type ng struct {
	be   bool
	b    []byte
	ends []int
}

func pad4(b []byte) []byte {
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

func (n *ng) block(typ uint32, body []byte) *ng {
	o := order(n.be)
	body = pad4(append([]byte(nil), body...))
	l := uint32(len(body) + 12)
	n.b = o.AppendUint32(n.b, typ)
	n.b = o.AppendUint32(n.b, l)
	n.b = append(n.b, body...)
	n.b = o.AppendUint32(n.b, l)
	n.ends = append(n.ends, len(n.b))
	return n
}

func (n *ng) opt(code uint16, v []byte) []byte {
	o := order(n.be)
	b := o.AppendUint16(nil, code)
	b = o.AppendUint16(b, uint16(len(v)))
	return pad4(append(b, v...))
}

func (n *ng) shb(opts ...[]byte) *ng {
	o := order(n.be)
	b := o.AppendUint32(nil, 0x1A2B3C4D)
	b = o.AppendUint16(b, 1)
	b = o.AppendUint16(b, 0)
	b = o.AppendUint64(b, ^uint64(0)) // section length unknown
	for _, op := range opts {
		b = append(b, op...)
	}
	return n.block(blockSHB, b)
}

func (n *ng) idb(link uint16, snaplen uint32, opts ...[]byte) *ng {
	o := order(n.be)
	b := o.AppendUint16(nil, link)
	b = o.AppendUint16(b, 0)
	b = o.AppendUint32(b, snaplen)
	for _, op := range opts {
		b = append(b, op...)
	}
	if len(opts) > 0 {
		b = append(b, 0, 0, 0, 0)
	}
	return n.block(blockIDB, b)
}

func (n *ng) epb(iface uint32, ts uint64, data []byte, orig uint32, opts ...[]byte) *ng {
	o := order(n.be)
	if orig == 0 {
		orig = uint32(len(data))
	}
	b := o.AppendUint32(nil, iface)
	b = o.AppendUint32(b, uint32(ts>>32))
	b = o.AppendUint32(b, uint32(ts))
	b = o.AppendUint32(b, uint32(len(data)))
	b = o.AppendUint32(b, orig)
	b = pad4(append(b, data...))
	for _, op := range opts {
		b = append(b, op...)
	}
	return n.block(blockEPB, b)
}

func (n *ng) pb(iface uint16, ts uint64, data []byte) *ng {
	o := order(n.be)
	b := o.AppendUint16(nil, iface)
	b = o.AppendUint16(b, 0)
	b = o.AppendUint32(b, uint32(ts>>32))
	b = o.AppendUint32(b, uint32(ts))
	b = o.AppendUint32(b, uint32(len(data)))
	b = o.AppendUint32(b, uint32(len(data)))
	return n.block(blockPB, append(b, data...))
}

func (n *ng) spb(orig uint32, data []byte) *ng {
	b := order(n.be).AppendUint32(nil, orig)
	return n.block(blockSPB, append(b, data...))
}

func u8opt(v byte) []byte { return []byte{v} }

func i64opt(be bool, v int64) []byte { return order(be).AppendUint64(nil, uint64(v)) }

func payload(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = seed + byte(i)
	}
	return b
}

// sampleNG is a two-section file (little then big endian) with mixed link
// types, every packet block type and blocks to skip; the truncation and
// fuzz tests start from it.
func sampleNG() *ng {
	n := &ng{}
	n.shb(n.opt(4, []byte("portlens test")))
	n.idb(1, 65535, n.opt(2, []byte("eth0")))
	n.idb(101, 128, n.opt(9, u8opt(9)))
	n.epb(0, 1_700_000_000_123_456, payload(60, 1), 0)
	n.block(blockNRB, []byte{1, 0, 6, 0, 10, 0, 0, 1, 'a', 0, 0, 0, 0, 0, 0, 0})
	n.epb(1, 1_700_000_000_123_456_789, payload(41, 2), 1500, n.opt(2, []byte{1, 0, 0, 0}))
	n.spb(200, payload(65535, 3)[:200])
	n.block(blockISB, make([]byte, 12))
	n.block(0x12345678, []byte("unknown block"))
	n.block(blockCustom, append([]byte{0, 0, 0x7f, 0xff}, "custom"...))
	n.pb(0, 1_700_000_001_000_000, payload(33, 4))
	n.be = true
	n.shb()
	n.idb(276, 0, n.opt(9, u8opt(0x80|20)), n.opt(14, i64opt(true, 100)))
	n.epb(0, 5<<20+1, payload(80, 5), 0)
	return n
}
