package decode

import "net/netip"

// Only the start of a datagram matters to the analysis (the transport
// header), so reassembly keeps the first fragment's leading bytes and
// counts the bytes of the others instead of copying whole datagrams.
const (
	fragmentHeadBytes = 128
	// maxFragments bounds the table: a capture full of fragments whose
	// companions never arrive must not grow memory without limit.
	maxFragments = 4096
)

type fragmentKey struct {
	src, dst netip.Addr
	id       uint32
	proto    uint8
	v6       bool
}

type fragmentEntry struct {
	head     [fragmentHeadBytes]byte
	headLen  int
	haveHead bool
	received int // payload bytes seen, duplicates not counted twice
	total    int // datagram payload length, known once the last fragment came
	seen     []fragmentSpan
}

type fragmentSpan struct{ start, end int }

type fragments struct {
	table map[fragmentKey]*fragmentEntry
	// done is reused to return the completed datagram's head.
	done [fragmentHeadBytes]byte
}

// add records one fragment. When it completes the datagram, add returns
// the datagram's leading bytes and its total payload length.
func (f *fragments) add(key fragmentKey, offset int, more bool, payload []byte) (head []byte, total int, done bool) {
	e := f.table[key]
	if e == nil {
		if f.table == nil { // made on the first fragment: most captures have none
			f.table = make(map[fragmentKey]*fragmentEntry)
		}
		if len(f.table) >= maxFragments {
			clear(f.table)
		}
		e = &fragmentEntry{}
		f.table[key] = e
	}
	end := offset + len(payload)
	if !e.covers(offset, end) {
		e.seen = append(e.seen, fragmentSpan{offset, end})
		e.received += len(payload)
	}
	if offset == 0 && !e.haveHead {
		e.headLen = copy(e.head[:], payload)
		e.haveHead = true
	}
	if !more {
		e.total = end
	}
	if !e.haveHead || e.total == 0 || e.received < e.total {
		return nil, 0, false
	}
	delete(f.table, key)
	n := copy(f.done[:], e.head[:e.headLen])
	return f.done[:n], e.total, true
}

func (e *fragmentEntry) covers(start, end int) bool {
	for _, s := range e.seen {
		if s.start == start && s.end == end {
			return true
		}
	}
	return false
}
