package decode

// coverage is what a datagram needs to know of the bytes that arrived to
// tell, after each fragment, whether it is whole (Wireshark's
// contiguous_len >= datalen), in O(1) per fragment and bounded memory:
//
//   - reach: bytes [0, reach) arrived. A fragment starting at or before
//     reach extends it at once.
//   - pending: a fragment starting past reach (after a gap) is noted at
//     its 8-byte block (fragments start on 8-byte boundaries) with the
//     longest length seen there; duplicates and shorter overlaps add
//     nothing. When reach grows, the blocks it now covers are read once,
//     in order, and may extend it further (and their chunks freed).
//
// Blocks number at most 8192 (a 13-bit offset), so pending holds at most
// 64 chunks of 128 blocks (256 bytes each), allocated as fragments land in
// them: a datagram holds at most 16.5 KiB, and no byte per fragment.
type coverage struct {
	total int32 // the datagram's length from its first tail; -1 before
	reach int32
	// next is the first block not yet read into reach: every block below
	// it starts at or before reach. A pending block is always >= next.
	next    int32
	pending []*chunk
	chunks  int32 // chunks allocated in pending
}

const (
	chunkBlocks = 128
	chunkBytes  = 2 * chunkBlocks
	// maxBlocks bounds the 8-byte blocks a fragment can start at.
	maxBlocks = 8192
)

// chunk holds, for 128 consecutive blocks, the longest fragment starting at
// each (0 for none: every fragment added has at least one byte).
type chunk [chunkBlocks]uint16

func (c *coverage) reset() {
	*c = coverage{total: -1, next: 1, pending: c.pending[:0]}
}

// add records n bytes at off (a multiple of 8, n >= 1); more is the IP
// header's "more fragments".
func (c *coverage) add(off, n int, more bool, pool *chunkPool) {
	n = min(n, 0xffff) // a fragment's length field is 16 bits
	end := int32(off + n)
	if !more && c.total < 0 {
		c.total = end
	}
	if int32(off) <= c.reach {
		if end > c.reach {
			c.reach = end
			c.advance(pool)
		}
		return
	}
	c.hold(int32(off/8), uint16(n), pool)
}

// hold notes a fragment of n bytes starting at block b, past reach.
func (c *coverage) hold(b int32, n uint16, pool *chunkPool) {
	i := int(b / chunkBlocks)
	if i >= cap(c.pending) {
		dir := make([]*chunk, i+1, min(max(i+1, 2*cap(c.pending)), maxBlocks/chunkBlocks))
		copy(dir, c.pending)
		c.pending = dir
	} else if i >= len(c.pending) {
		c.pending = c.pending[:i+1] // past len, all nil (release, advance)
	}
	ch := c.pending[i]
	if ch == nil {
		ch = pool.get()
		c.pending[i] = ch
		c.chunks++
	}
	if slot := &ch[b%chunkBlocks]; n > *slot {
		*slot = n
	}
}

// advance reads the pending blocks reach now covers, in order, each
// possibly extending reach; chunks passed are returned to the pool.
func (c *coverage) advance(pool *chunkPool) {
	for last := c.reach / 8; c.next <= last && c.next < maxBlocks; last = c.reach / 8 {
		i := int(c.next / chunkBlocks)
		if i >= len(c.pending) {
			c.next = last + 1 // nothing is held past the chunks
			return
		}
		ch := c.pending[i]
		end := int32(i+1) * chunkBlocks // the first block of the next chunk
		if ch == nil {
			c.next = min(last+1, end)
			continue
		}
		for ; c.next <= last && c.next < end; c.next++ {
			if n := ch[c.next%chunkBlocks]; n > 0 {
				c.reach = max(c.reach, 8*c.next+int32(n))
				last = c.reach / 8
			}
		}
		if c.next == end {
			pool.put(ch)
			c.pending[i] = nil
			c.chunks--
		}
	}
}

// whole reports whether the datagram is complete, with its length.
func (c *coverage) whole() (int, bool) {
	return int(c.total), c.total >= 0 && c.reach >= c.total
}

// bytes is what the pending blocks hold.
func (c *coverage) bytes() int { return 8*cap(c.pending) + chunkBytes*int(c.chunks) }

// release returns the datagram's chunks to the pool, from the last: a
// datagram dropped unfinished usually holds one, far out.
func (c *coverage) release(pool *chunkPool) {
	for i := len(c.pending) - 1; i >= 0 && c.chunks > 0; i-- {
		if ch := c.pending[i]; ch != nil {
			pool.put(ch)
			c.pending[i] = nil
			c.chunks--
		}
	}
}

// chunkPool keeps a few chunks of datagrams gone for the next ones, so a
// flood of fragments does not allocate one per fragment.
type chunkPool struct{ free []*chunk }

const chunkPoolSize = 64

func (p *chunkPool) get() *chunk {
	if n := len(p.free); n > 0 {
		ch := p.free[n-1]
		p.free = p.free[:n-1]
		*ch = chunk{}
		return ch
	}
	return new(chunk)
}

func (p *chunkPool) put(ch *chunk) {
	if len(p.free) < chunkPoolSize {
		p.free = append(p.free, ch)
	}
}
