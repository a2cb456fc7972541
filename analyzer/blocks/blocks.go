// Package blocks holds the growing lists the analysis keeps by the
// million (conversations, per-frame columns) in fixed-size blocks.
package blocks

// Bits sizes the blocks of a List: 4096 records each.
const Bits = 12

// List is a growing list of records stored in fixed-size blocks: a
// slice of records this size would be copied again and again as it grows,
// and at the end it would have to be copied out whole, doubling the peak
// memory of a big capture. Records never move once added, so pointers
// from At stay valid.
type List[T any] struct {
	blocks [][]T
	n      int
}

// Len is the number of records.
func (b *List[T]) Len() int { return b.n }

// At returns record i (0 <= i < Len).
func (b *List[T]) At(i int) *T { return &b.blocks[i>>Bits][i&(1<<Bits-1)] }

// Add appends a zero record and returns it with its index.
func (b *List[T]) Add() (*T, int) {
	i := b.n
	if i&(1<<Bits-1) == 0 {
		b.blocks = append(b.blocks, make([]T, 1<<Bits))
	}
	b.n++
	return b.At(i), i
}

// Append adds v.
func (b *List[T]) Append(v T) {
	p, _ := b.Add()
	*p = v
}

// Get returns record i.
func (b *List[T]) Get(i int) T { return *b.At(i) }
