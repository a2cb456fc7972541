package filter

import (
	"bytes"
	"cmp"
	"net/netip"
	"regexp"
	"strings"
)

// quantifier splits an operator into how values are combined and the
// test each value gets: != is "every value is not equal", !== "some value
// is not equal", "not in" "every value is outside the set".
func quantifier(op tokKind, notIn bool) (all, neg bool, base tokKind) {
	switch op {
	case tAllNe:
		return true, true, tAnyEq
	case tAllEq:
		return true, false, tAnyEq
	case tAnyNe:
		return false, true, tAnyEq
	case tIn:
		return notIn, notIn, tIn
	}
	return false, false, op
}

// quantify builds the test of a field against a per-value predicate:
// with all, every value passes (and there is one); else some value does.
// neg negates the predicate of each value.
func quantify[T any](get func(*Frame, int) (T, slot), pred func(T) bool, all, neg bool) func(*Frame) bool {
	return func(f *Frame) bool {
		seen := false
		for i := 0; ; i++ {
			v, s := get(f, i)
			if s == slotEnd {
				return all && seen
			}
			if s == slotSkip {
				continue
			}
			seen = true
			if pred(v) != neg {
				if !all {
					return true
				}
			} else if all {
				return false
			}
		}
	}
}

func frameData(f *Frame, i int) ([]byte, slot) {
	if i > 0 {
		return nil, slotEnd
	}
	return f.Data, slotHave
}

func never(*Frame) bool { return false }

// compileValue compiles a comparison of a field with one value.
func compileValue(def *fieldDef, op token, o operand) (compiled, *Error) {
	switch op.kind {
	case tContains:
		return compileContains(def, o)
	case tMatches:
		return compileMatches(def, o)
	}
	l, err := convert(def, o)
	if err != nil {
		return compiled{}, err
	}
	all, neg, base := quantifier(op.kind, false)
	if l.cidr && base != tAnyEq {
		return compiled{}, errAt(o.pos, o.end(), "A CIDR prefix can only be compared with ==, !=, === or !==, or be in a set.")
	}
	c := compiled{text: l.text}
	switch {
	case l.never && op.kind == tAllNe:
		c.fn = present(def) // nothing equals it, so every value differs
	case l.never:
		c.fn = never
	default:
		c.fn = valueTest(def, base, l, all, neg)
	}
	return c, nil
}

func valueTest(def *fieldDef, base tokKind, l lit, all, neg bool) func(*Frame) bool {
	switch domainOf(def.Type) {
	case dNum:
		return numMatch(def.num, numPred{op: base, lo: l.lo, hi: l.hi}, all, neg)
	case dIP6:
		if base == tAnyEq {
			return quantify(def.ip6, inRanges([]rng[netip.Addr]{{l.a, l.b}}, netip.Addr.Compare), all, neg)
		}
		return quantify(def.ip6, orderPred(base, l.a, netip.Addr.Compare), all, neg)
	case dStr:
		return quantify(def.str, orderPred(base, l.s, strings.Compare), all, neg)
	}
	b := []byte(l.s)
	return quantify(frameData, orderPred(base, b, bytes.Compare), all, neg)
}

// numPred is the per-value test of a numeric field.
type numPred struct {
	op     tokKind // tAnyEq: within [lo, hi], or one of rs if set; tGt...tLe: against lo; tContains: fn
	lo, hi int64
	rs     []rng[int64]
	fn     func(int64) bool
}

func (p *numPred) test(v int64) bool {
	switch p.op {
	case tAnyEq:
		if p.rs == nil {
			return v >= p.lo && v <= p.hi
		}
		for _, r := range p.rs {
			if v >= r.lo && v <= r.hi {
				return true
			}
		}
		return false
	case tGt:
		return v > p.lo
	case tGe:
		return v >= p.lo
	case tLt:
		return v < p.lo
	case tLe:
		return v <= p.lo
	}
	return p.fn(v)
}

// numTest is quantify for numeric fields, with direct calls: filters
// spend most of their time here.
type numTest struct {
	acc      *numAcc
	pred     numPred
	all, neg bool
}

func (t *numTest) match(f *Frame) bool {
	seen := false
	simple := t.pred.op == tAnyEq && t.pred.rs == nil
	for i, n := 0, t.acc.count(f); i < n; i++ {
		v, ok := t.acc.at(f, i)
		if !ok {
			continue
		}
		seen = true
		var pass bool
		if simple {
			pass = v >= t.pred.lo && v <= t.pred.hi
		} else {
			pass = t.pred.test(v)
		}
		if pass != t.neg {
			if !t.all {
				return true
			}
		} else if t.all {
			return false
		}
	}
	return t.all && seen
}

func numMatch(acc *numAcc, pred numPred, all, neg bool) func(*Frame) bool {
	t := &numTest{acc: acc, pred: pred, all: all, neg: neg}
	return t.match
}

// numValues adapts a numeric field to the index-based walk of the other
// types, for the rarer tests that are generic.
func numValues(acc *numAcc) func(*Frame, int) (int64, slot) {
	return func(f *Frame, i int) (int64, slot) {
		if i >= acc.count(f) {
			return 0, slotEnd
		}
		if v, ok := acc.at(f, i); ok {
			return v, slotHave
		}
		return 0, slotSkip
	}
}

func orderPred[T any](base tokKind, x T, cmp func(a, b T) int) func(T) bool {
	switch base {
	case tGt:
		return func(v T) bool { return cmp(v, x) > 0 }
	case tGe:
		return func(v T) bool { return cmp(v, x) >= 0 }
	case tLt:
		return func(v T) bool { return cmp(v, x) < 0 }
	case tLe:
		return func(v T) bool { return cmp(v, x) <= 0 }
	}
	return func(v T) bool { return cmp(v, x) == 0 }
}

type rng[T any] struct{ lo, hi T }

func inRanges[T any](rs []rng[T], cmp func(a, b T) int) func(T) bool {
	return func(v T) bool {
		for _, r := range rs {
			if cmp(v, r.lo) >= 0 && cmp(v, r.hi) <= 0 {
				return true
			}
		}
		return false
	}
}

// compileSet compiles "in" and "not in". A CIDR prefix is the range of
// its addresses; an element with a negative bound for an unsigned field
// holds nothing, as in Wireshark.
func compileSet(def *fieldDef, set []setElem, notIn bool) (compiled, *Error) {
	if def.Type == TypeProtocol {
		return compiled{}, errAt(set[0].lo.pos, set[0].lo.end(), "\"in\" is not supported for %q.", def.Name)
	}
	texts := make([]string, len(set))
	var nums []rng[int64]
	var addrs []rng[netip.Addr]
	var strs []rng[string]
	for i, e := range set {
		lo, hi, text, err := convertElem(def, e)
		if err != nil {
			return compiled{}, err
		}
		texts[i] = text
		if lo.never || hi.never {
			continue
		}
		nums = append(nums, rng[int64]{lo.lo, hi.hi})
		addrs = append(addrs, rng[netip.Addr]{lo.a, hi.b})
		strs = append(strs, rng[string]{lo.s, hi.s})
	}
	all, neg, _ := quantifier(tIn, notIn)
	c := compiled{text: "{" + strings.Join(texts, ", ") + "}"}
	switch domainOf(def.Type) {
	case dNum:
		p := numPred{op: tAnyEq, lo: 1, hi: 0, rs: nums} // an empty set holds nothing
		if len(nums) == 1 {
			p = numPred{op: tAnyEq, lo: nums[0].lo, hi: nums[0].hi}
		}
		c.fn = numMatch(def.num, p, all, neg)
	case dIP6:
		c.fn = quantify(def.ip6, inRanges(addrs, netip.Addr.Compare), all, neg)
	default:
		c.fn = quantify(def.str, inRanges(strs, strings.Compare), all, neg)
	}
	return c, nil
}

// convertElem converts a set element: lo.lo..hi.hi (lo.a..hi.b for IPv6)
// is its range.
func convertElem(def *fieldDef, e setElem) (lo, hi lit, text string, err *Error) {
	if lo, err = convert(def, e.lo); err != nil {
		return
	}
	if !e.ranged {
		return lo, lo, lo.text, nil
	}
	if hi, err = convert(def, e.hi); err != nil {
		return
	}
	for _, x := range []struct {
		l lit
		o operand
	}{{lo, e.lo}, {hi, e.hi}} {
		if x.l.cidr {
			return lo, hi, "", errAt(x.o.pos, x.o.end(), "A CIDR prefix cannot be the bound of a range.")
		}
	}
	return lo, hi, lo.text + ".." + hi.text, nil
}

// compilePair compiles a comparison of two fields: every pair of values
// is compared, with the operator's quantifier over the pairs.
func compilePair(def *fieldDef, op token, o operand) (compiled, *Error) {
	other := o.field
	if op.kind == tContains || op.kind == tMatches {
		return compiled{}, errAt(o.pos, o.end(), "The right side of %s must be a value, not a field.", opText[op.kind])
	}
	if def.Type != other.Type || other.Type == TypeProtocol || other.Type == TypeLabel {
		return compiled{}, errAt(o.pos, o.end(), "%s and %s are not of compatible types.", def.Name, other.Name)
	}
	all, neg, base := quantifier(op.kind, false)
	c := compiled{text: other.Name, need: other.Need}
	switch domainOf(def.Type) {
	case dNum:
		c.fn = pairTest(numValues(def.num), numValues(other.num), cmp.Compare[int64], base, all, neg)
	case dIP6:
		c.fn = pairTest(def.ip6, other.ip6, netip.Addr.Compare, base, all, neg)
	default:
		c.fn = pairTest(def.str, other.str, strings.Compare, base, all, neg)
	}
	return c, nil
}

func pairTest[T any](a, b func(*Frame, int) (T, slot), cmp func(x, y T) int, base tokKind, all, neg bool) func(*Frame) bool {
	return func(f *Frame) bool {
		seen := false
		for i := 0; ; i++ {
			x, s := a(f, i)
			if s == slotEnd {
				return all && seen
			}
			if s == slotSkip {
				continue
			}
			for j := 0; ; j++ {
				y, s := b(f, j)
				if s == slotEnd {
					break
				}
				if s == slotSkip {
					continue
				}
				seen = true
				if holds(base, cmp(x, y)) != neg {
					if !all {
						return true
					}
				} else if all {
					return false
				}
			}
		}
	}
}

// holds tells whether a comparison whose operands compare as c (-1, 0, 1)
// passes the operator.
func holds(base tokKind, c int) bool {
	switch base {
	case tGt:
		return c > 0
	case tGe:
		return c >= 0
	case tLt:
		return c < 0
	case tLe:
		return c <= 0
	}
	return c == 0
}

// compileContains compiles "contains": a substring of a string field, or
// a byte sequence in the frame or an Ethernet address.
func compileContains(def *fieldDef, o operand) (compiled, *Error) {
	if def.Type == TypeString {
		l, err := convert(def, o)
		if err != nil {
			return compiled{}, err
		}
		s := l.s
		return compiled{text: l.text, fn: quantify(def.str, func(v string) bool { return strings.Contains(v, s) }, false, false)}, nil
	}
	if o.sign != tEOF {
		return compiled{}, errAt(o.pos, o.end(), "A byte string cannot be signed.")
	}
	l, msg := convertBytes(o.tok)
	if msg != "" {
		return compiled{}, errAt(o.pos, o.end(), "%s", msg)
	}
	sub := []byte(l.s)
	c := compiled{text: l.text}
	if def.Type == TypeEther {
		c.fn = numMatch(def.num, numPred{op: tContains, fn: func(v int64) bool {
			var m [6]byte
			for i := range m {
				m[i] = byte(v >> (40 - 8*i))
			}
			return bytes.Contains(m[:], sub)
		}}, false, false)
		return c, nil
	}
	c.fn = func(f *Frame) bool { return bytes.Contains(f.Data, sub) }
	return c, nil
}

// compileMatches compiles "matches", which Wireshark makes
// case-insensitive unless the pattern says otherwise, as in (?-i).
func compileMatches(def *fieldDef, o operand) (compiled, *Error) {
	t := o.tok
	if o.sign != tEOF || t.kind == tChar {
		return compiled{}, errAt(o.pos, o.end(), "The pattern of matches must be a string.")
	}
	pattern := t.text
	if t.kind == tString {
		pattern = t.val
	}
	if _, err := regexp.Compile(pattern); err != nil {
		msg := strings.TrimPrefix(err.Error(), "error parsing regexp: ")
		return compiled{}, errAt(t.pos, t.end, "%s is not a valid regular expression: %s", quote(pattern), msg)
	}
	re := regexp.MustCompile("(?i)" + pattern)
	c := compiled{text: quote(pattern)}
	if def.Type == TypeString {
		c.fn = quantify(def.str, re.MatchString, false, false)
	} else {
		c.fn = func(f *Frame) bool { return re.Match(f.Data) }
	}
	return c, nil
}
