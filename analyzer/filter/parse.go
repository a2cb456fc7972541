package filter

// The grammar, a subset of Wireshark 4.4's, lowest precedence first:
//
//	expr     = xor { ("or" | "||") xor }
//	xor      = and { ("xor" | "^^") and }
//	and      = not { ("and" | "&&") not }
//	not      = ("not" | "!") not | primary
//	primary  = "(" expr ")" | relation
//	relation = operand [ cmpop operand | ("contains" | "matches") operand
//	                   | ["not" | "!"] "in" set ]
//	operand  = ["-" | "+"] (word | string | charconst)
//	set      = "{" element { "," element } "}"
//	element  = operand [ ".." operand ]
//
// A relation without an operator tests whether a field or protocol is
// present. Words are resolved when parsed: a known field or protocol name
// is a field, anything else a literal whose meaning depends on the field
// it is compared with, as in Wireshark.

// expr is a node of the syntax tree: *logicExpr, *notExpr or *relExpr.
type expr interface{}

type logicExpr struct {
	op   tokKind // tAnd, tOr or tXor
	l, r expr
}

type notExpr struct {
	x   expr
	pos int
}

// relExpr is a comparison, a set membership test, or (op.kind == tEOF) a
// bare field or protocol that is tested for presence.
type relExpr struct {
	lhs   operand
	op    token
	notIn bool
	rhs   operand
	set   []setElem
	canon string // the canonical text, once compiled
}

type operand struct {
	tok   token
	sign  tokKind   // tMinus or tPlus when signed, else tEOF
	pos   int       // of the sign, or of the token
	field *fieldDef // the field a word names, if it names one
}

func (o *operand) end() int { return o.tok.end }

type setElem struct {
	lo, hi operand
	ranged bool
}

type parser struct {
	src   string
	toks  []token
	i     int
	depth int // of parentheses and "not"s, which the parser recurses on
}

// maxDepth bounds the nesting of a filter, so that no input can exhaust
// the stack; people nest a few levels.
const maxDepth = 256

// parse turns a filter into its syntax tree; nil for an empty filter.
func parse(s string) (expr, *Error) {
	toks, err := lex(s)
	if err != nil {
		return nil, err
	}
	p := &parser{src: s, toks: toks}
	if p.peek().kind == tEOF {
		return nil, nil
	}
	e, err := p.or()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tEOF {
		return nil, p.trailing(t)
	}
	return e, nil
}

func (p *parser) peek() token { return p.toks[p.i] }

func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

func (p *parser) unexpected(t token) *Error {
	if t.kind == tEOF {
		return errAt(len(p.src), len(p.src), "Unexpected end of filter expression.")
	}
	return errAt(t.pos, t.end, "%q was unexpected in this context.", t.text)
}

// trailing reports a token that follows a complete expression.
func (p *parser) trailing(t token) *Error {
	if t.kind >= tAnyEq && t.kind <= tIn {
		return errUnsupported("Chained comparisons (1 < a <= 3; write 1 < a && a <= 3)", t.pos, t.end)
	}
	return p.unexpected(t)
}

// expected reports a missing part after the token before it: "Expected a
// value after \"==\"." says more than "Unexpected end of filter".
func (p *parser) expected(what string, after, got token) *Error {
	if got.kind == tEOF {
		return errAt(len(p.src), len(p.src), "Expected %s after %q.", what, after.text)
	}
	return errAt(got.pos, got.end, "Expected %s after %q, not %q.", what, after.text, got.text)
}

// startsOperand tells whether a token can begin a relation.
func startsOperand(k tokKind) bool {
	return k == tWord || k == tString || k == tChar || k == tMinus || k == tPlus
}

// binary parses a left-associative chain of one logical operator.
func (p *parser) binary(op tokKind, sub func() (expr, *Error)) (expr, *Error) {
	l, err := sub()
	if err != nil {
		return nil, err
	}
	for p.peek().kind == op {
		t := p.next()
		if k := p.peek().kind; !startsOperand(k) && k != tLParen && k != tNot {
			return nil, p.expected("a filter", t, p.peek())
		}
		r, err := sub()
		if err != nil {
			return nil, err
		}
		l = &logicExpr{op: op, l: l, r: r}
	}
	return l, nil
}

func (p *parser) or() (expr, *Error)  { return p.binary(tOr, p.xor) }
func (p *parser) xor() (expr, *Error) { return p.binary(tXor, p.and) }
func (p *parser) and() (expr, *Error) { return p.binary(tAnd, p.not) }

func (p *parser) not() (expr, *Error) {
	if p.depth++; p.depth > maxDepth {
		t := p.peek()
		return nil, errAt(t.pos, t.end, "The filter nests more than %d levels deep.", maxDepth)
	}
	defer func() { p.depth-- }()
	if t := p.peek(); t.kind == tNot {
		p.next()
		if k := p.peek().kind; !startsOperand(k) && k != tLParen && k != tNot {
			return nil, p.expected("a filter", t, p.peek())
		}
		x, err := p.not()
		if err != nil {
			return nil, err
		}
		return &notExpr{x: x, pos: t.pos}, nil
	}
	return p.primary()
}

func (p *parser) primary() (expr, *Error) {
	if p.peek().kind != tLParen {
		return p.relation()
	}
	open := p.next()
	if k := p.peek().kind; !startsOperand(k) && k != tLParen && k != tNot {
		return nil, p.expected("a filter", open, p.peek())
	}
	e, err := p.or()
	if err != nil {
		return nil, err
	}
	if t := p.next(); t.kind != tRParen {
		if t.kind == tEOF {
			return nil, errAt(open.pos, open.end, "This \"(\" is not closed.")
		}
		return nil, p.trailing(t)
	}
	return e, nil
}

func (p *parser) relation() (expr, *Error) {
	lhs, err := p.operand()
	if err != nil {
		return nil, err
	}
	r := &relExpr{lhs: lhs, op: token{kind: tEOF}}
	t := p.peek()
	switch t.kind {
	case tAnyEq, tAllNe, tAllEq, tAnyNe, tGt, tGe, tLt, tLe, tContains, tMatches:
		r.op = p.next()
		if !startsOperand(p.peek().kind) {
			return nil, p.expected("a value", r.op, p.peek())
		}
		r.rhs, err = p.operand()
	case tIn:
		r.op = p.next()
		r.set, err = p.set()
	case tNot:
		if p.toks[p.i+1].kind != tIn {
			return r, nil // the caller reports the stray "not"
		}
		p.next()
		r.op, r.notIn = p.next(), true
		r.set, err = p.set()
	}
	if err != nil {
		return nil, err
	}
	return r, nil
}

func (p *parser) operand() (operand, *Error) {
	t := p.next()
	o := operand{pos: t.pos, sign: tEOF}
	if t.kind == tMinus || t.kind == tPlus {
		o.sign = t.kind
		t = p.next()
	}
	switch t.kind {
	case tWord, tString, tChar:
	default:
		return o, p.unexpected(t)
	}
	o.tok = t
	if t.kind != tWord {
		return o, nil
	}
	if p.peek().kind == tLParen {
		return o, errAt(t.pos, p.peek().end, "Functions (%s(...)) are not supported by portlens.", t.text)
	}
	name, forced := t.text, false
	if name[0] == '.' {
		name, forced = name[1:], true // a leading dot says "this is a field"
	}
	o.field = fieldByName[name]
	if forced && o.field == nil {
		return o, unknownField(name, t.pos, t.end)
	}
	if o.field != nil && o.sign != tEOF {
		return o, errUnsupported("Arithmetic operators", o.pos, t.end)
	}
	return o, nil
}

func (p *parser) set() ([]setElem, *Error) {
	in := p.toks[p.i-1]
	open := p.next()
	if open.kind != tLBrace {
		return nil, p.expected("a set such as {80, 443}", in, open)
	}
	var set []setElem
	for after := open; ; {
		var e setElem
		var err *Error
		if !startsOperand(p.peek().kind) {
			return nil, p.expected("a value", after, p.peek())
		}
		if e.lo, err = p.operand(); err != nil {
			return nil, err
		}
		if p.peek().kind == tDotDot {
			dots := p.next()
			e.ranged = true
			if !startsOperand(p.peek().kind) {
				return nil, p.expected("a value", dots, p.peek())
			}
			if e.hi, err = p.operand(); err != nil {
				return nil, err
			}
		}
		set = append(set, e)
		switch t := p.next(); t.kind {
		case tRBrace:
			return set, nil
		case tComma:
			after = t
		case tEOF:
			return nil, errAt(open.pos, open.end, "This \"{\" is not closed.")
		default:
			return nil, errAt(t.pos, t.end, "Expected \",\" or \"}\" between the values of a set, not %q.", t.text)
		}
	}
}
