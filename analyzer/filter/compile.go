package filter

import (
	"strings"
)

// Precedences of the canonical text, lowest first.
const (
	precOr = iota + 1
	precXor
	precAnd
	precNot
	precAtom
)

// compiled is a checked subtree: its predicate and needs, and for a
// relation its canonical text.
type compiled struct {
	fn   func(*Frame) bool
	need Need
	text string
}

// compile checks and compiles a subtree. It records the canonical text of
// each relation in its relExpr, for canonical.
func compile(e expr) (compiled, *Error) {
	switch e := e.(type) {
	case *logicExpr:
		return compileLogic(e)
	case *notExpr:
		x, err := compile(e.x)
		if err != nil {
			return x, err
		}
		fn := x.fn
		return compiled{fn: func(f *Frame) bool { return !fn(f) }, need: x.need}, nil
	case *relExpr:
		c, err := compileRel(e)
		e.canon = c.text
		return c, err
	}
	panic("filter: unknown syntax node")
}

// compileLogic compiles a chain of one operator as a loop over its
// operands: "a || b || c" parses as a left-leaning tree as deep as the
// chain is long, which neither the compiler nor Match should recurse on.
func compileLogic(e *logicExpr) (compiled, *Error) {
	ops := operands(e, nil)
	fns := make([]func(*Frame) bool, len(ops))
	var need Need
	for i, x := range ops {
		c, err := compile(x)
		if err != nil {
			return c, err
		}
		fns[i], need = c.fn, need|c.need
	}
	return compiled{fn: chain(e.op, fns), need: need}, nil
}

func chain(op tokKind, fns []func(*Frame) bool) func(*Frame) bool {
	switch {
	case op == tAnd && len(fns) == 2:
		a, b := fns[0], fns[1]
		return func(f *Frame) bool { return a(f) && b(f) }
	case op == tOr && len(fns) == 2:
		a, b := fns[0], fns[1]
		return func(f *Frame) bool { return a(f) || b(f) }
	case op == tAnd:
		return func(f *Frame) bool {
			for _, g := range fns {
				if !g(f) {
					return false
				}
			}
			return true
		}
	case op == tOr:
		return func(f *Frame) bool {
			for _, g := range fns {
				if g(f) {
					return true
				}
			}
			return false
		}
	}
	return func(f *Frame) bool {
		odd := false
		for _, g := range fns {
			odd = odd != g(f)
		}
		return odd
	}
}

// operands lists the operands of a chain of e's operator, in order. All
// three operators are associative, so (a || b) || c and a || (b || c)
// are the same chain. The left spine is walked in a loop; only operands
// grouped by parentheses recurse, as deep as the parser allowed.
func operands(e *logicExpr, out []expr) []expr {
	var rights []expr
	var x expr = e
	for {
		l, ok := x.(*logicExpr)
		if !ok || l.op != e.op {
			break
		}
		rights = append(rights, l.r)
		x = l.l
	}
	out = append(out, x)
	for i := len(rights) - 1; i >= 0; i-- {
		if r, ok := rights[i].(*logicExpr); ok && r.op == e.op {
			out = operands(r, out)
		} else {
			out = append(out, rights[i])
		}
	}
	return out
}

var logicText = map[tokKind]string{tOr: " || ", tXor: " ^^ ", tAnd: " && "}

func precOf(e expr) int {
	switch e := e.(type) {
	case *logicExpr:
		switch e.op {
		case tOr:
			return precOr
		case tXor:
			return precXor
		}
		return precAnd
	case *notExpr:
		return precNot
	}
	return precAtom
}

// canonical writes a compiled tree with one spelling per operator and the
// parentheses its precedence needs, plus those around a comparison after
// "!", which read better: !(tcp.port == 80).
func canonical(b *strings.Builder, e expr, min int, paren bool) {
	if paren = paren || precOf(e) < min; paren {
		b.WriteByte('(')
	}
	switch e := e.(type) {
	case *logicExpr:
		for i, x := range operands(e, nil) {
			if i > 0 {
				b.WriteString(logicText[e.op])
			}
			canonical(b, x, precOf(e)+1, false)
		}
	case *notExpr:
		b.WriteByte('!')
		r, isRel := e.x.(*relExpr)
		canonical(b, e.x, precNot, isRel && r.op.kind != tEOF)
	case *relExpr:
		b.WriteString(e.canon)
	}
	if paren {
		b.WriteByte(')')
	}
}

var opText = map[tokKind]string{
	tAnyEq: "==", tAllNe: "!=", tAllEq: "===", tAnyNe: "!==",
	tGt: ">", tGe: ">=", tLt: "<", tLe: "<=",
	tContains: "contains", tMatches: "matches", tIn: "in",
}

// mirror is the operator that keeps a comparison's meaning when its sides
// are swapped: 80 < tcp.port is tcp.port > 80.
func mirror(op tokKind) tokKind {
	switch op {
	case tGt:
		return tLt
	case tGe:
		return tLe
	case tLt:
		return tGt
	case tLe:
		return tGe
	}
	return op
}

func isComparison(op tokKind) bool { return op >= tAnyEq && op <= tLe }

func compileRel(r *relExpr) (compiled, *Error) {
	if r.op.kind == tEOF {
		return presenceOf(r.lhs)
	}
	lhs, rhs, op := r.lhs, r.rhs, r.op
	if lhs.field == nil {
		if r.set != nil || rhs.field == nil || !isComparison(op.kind) {
			return compiled{}, notAField(lhs, true)
		}
		lhs, rhs, op.kind = rhs, lhs, mirror(op.kind)
	}
	def := lhs.field
	if err := checkOp(def, op, lhs); err != nil {
		return compiled{}, err
	}
	var c compiled
	var err *Error
	switch {
	case r.set != nil:
		c, err = compileSet(def, r.set, r.notIn)
	case rhs.field != nil:
		c, err = compilePair(def, op, rhs)
	default:
		c, err = compileValue(def, op, rhs)
	}
	if err != nil {
		return c, err
	}
	c.need |= def.Need
	if def.data != nil {
		c.need |= NeedData
	}
	name := def.Name
	if r.notIn {
		c.text = name + " not in " + c.text
	} else {
		c.text = name + " " + opText[op.kind] + " " + c.text
	}
	return c, nil
}

// presenceOf compiles a bare name: true when the protocol or a value of
// the field is in the frame.
func presenceOf(o operand) (compiled, *Error) {
	if o.field == nil {
		return compiled{}, notAField(o, false)
	}
	need := o.field.Need
	if o.field.data != nil {
		need = 0 // every frame is a frame
	}
	return compiled{fn: present(o.field), text: o.field.Name, need: need}, nil
}

func present(def *fieldDef) func(*Frame) bool {
	switch {
	case def.has != nil:
		return def.has
	case def.num != nil:
		return numMatch(def.num, numPred{op: tContains, fn: func(int64) bool { return true }}, false, false)
	case def.ip6 != nil:
		return anyValue(def.ip6)
	}
	return anyValue(def.str)
}

func anyValue[T any](get func(*Frame, int) (T, slot)) func(*Frame) bool {
	return func(f *Frame) bool {
		for i := 0; ; i++ {
			switch _, s := get(f, i); s {
			case slotHave:
				return true
			case slotEnd:
				return false
			}
		}
	}
}

// notAField explains why an operand cannot stand where a field must.
func notAField(o operand, inComparison bool) *Error {
	t := o.tok
	switch {
	case t.kind == tWord && looksLikeName(t.text):
		return unknownField(t.text, t.pos, t.end)
	case inComparison:
		return errAt(o.pos, o.end(), "Constant expression is invalid: one side of a comparison must be a field.")
	}
	return errAt(o.pos, o.end(), "%s is neither a field nor a protocol name.", t.text)
}

func looksLikeName(w string) bool {
	if w == "" || !(w[0] >= 'a' && w[0] <= 'z' || w[0] >= 'A' && w[0] <= 'Z' || w[0] == '_') {
		return false
	}
	return !strings.ContainsAny(w, ":/")
}

func unknownField(name string, pos, end int) *Error {
	e := errAt(pos, end, "%q is neither a field nor a protocol name that portlens knows.", name)
	if s := suggest(name); s != "" {
		e.Msg += " Did you mean \"" + s + "\"?"
	}
	return e
}

// suggest returns the known name closest to a mistyped one, if it is
// within two edits and the name is long enough for that to mean a typo.
func suggest(name string) string {
	if len(name) > 64 {
		return ""
	}
	best, bestD := "", 3
	for i := range fieldTable {
		if d := distance(name, fieldTable[i].Name, bestD); d < bestD {
			best, bestD = fieldTable[i].Name, d
		}
	}
	if bestD*3 > len(name) {
		return ""
	}
	return best
}

// distance is the Levenshtein distance of a and b, or limit when it is at
// least limit.
func distance(a, b string, limit int) int {
	if abs(len(a)-len(b)) >= limit {
		return limit
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return min(prev[len(b)], limit)
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// checkOp refuses an operator that the field's type does not take.
func checkOp(def *fieldDef, op token, lhs operand) *Error {
	pos, end := lhs.tok.pos, lhs.tok.end
	text := opText[op.kind]
	if def.Type == TypeLabel {
		return errAt(pos, end, "%s (type=Label) cannot participate in %s comparison.", def.Name, text)
	}
	if def.Type == TypeProtocol && def.data == nil {
		return errAt(pos, end, "%q can only be tested for presence: portlens compares the bytes of \"frame\" only.", def.Name)
	}
	ok := true
	switch op.kind {
	case tContains:
		ok = def.Type == TypeString || def.Type == TypeProtocol || def.Type == TypeEther
	case tMatches:
		ok = def.Type == TypeString || def.Type == TypeProtocol
	}
	if !ok {
		return errAt(pos, end, "%s (type=%s) cannot participate in %s comparison.", def.Name, def.TypeName(), text)
	}
	return nil
}
