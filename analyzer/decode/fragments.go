package decode

import (
	"net/netip"
	"slices"
)

// Only the start of a datagram matters to the analysis (the transport
// header), so reassembly keeps the datagram's leading bytes, from
// whichever fragments carry them, and notes which byte ranges arrived
// instead of copying whole datagrams. The leading bytes can come from
// several fragments: with 8-byte fragments the TCP header alone spans
// three or more.
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
	head  [fragmentHeadBytes]byte
	total int // datagram payload length, known once the last fragment came
	seen  []fragmentSpan
}

type fragmentSpan struct{ start, end int }

type fragments struct {
	table map[fragmentKey]*fragmentEntry
	// done is reused to return the completed datagram's head.
	done [fragmentHeadBytes]byte
}

// add records one fragment. When it completes the datagram (its byte
// ranges cover the datagram from 0 to the end the last fragment gives),
// add returns the datagram's leading bytes and its total payload length.
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
	if !slices.Contains(e.seen, fragmentSpan{offset, end}) {
		e.seen = append(e.seen, fragmentSpan{offset, end})
	}
	if offset < fragmentHeadBytes {
		copy(e.head[offset:], payload)
	}
	if !more {
		e.total = end
	}
	if e.total == 0 || !e.complete() {
		return nil, 0, false
	}
	delete(f.table, key)
	n := copy(f.done[:], e.head[:min(e.total, fragmentHeadBytes)])
	return f.done[:n], e.total, true
}

// complete reports whether the ranges seen cover [0, total).
func (e *fragmentEntry) complete() bool {
	slices.SortFunc(e.seen, func(a, b fragmentSpan) int { return a.start - b.start })
	reach := 0
	for _, s := range e.seen {
		if s.start > reach {
			return false
		}
		reach = max(reach, s.end)
	}
	return reach >= e.total
}
