package app

import (
	"errors"
	"net/netip"
	"strconv"
	"strings"

	"github.com/portlens/portlens/analyzer/filter"
	"github.com/portlens/portlens/analyzer/rules"
)

// Filter chooses the frames the packet list shows: a Wireshark display
// filter typed in the box (Text), narrowed by the flag buttons
// (FlaggedOnly, Kind). It is compiled by analyzer/filter, the command's
// -Y too, so the page and `portlens analyze -Y` select the same frames.
//
// The page's earlier shorthand still reads where it is not a display
// filter (embeds published with it): "flagged", "stream:3", "port:443",
// "finding:2", a bare address, a flag kind; all the terms must match.
type Filter struct {
	Text        string
	FlaggedOnly bool
	Kind        string // a flag kind's name
}

// Active reports whether the filter hides anything.
func (f Filter) Active() bool {
	return f.FlaggedOnly || f.Kind != "" || strings.TrimSpace(f.Text) != ""
}

// Expr is the whole filter as one display filter: the text, and the
// buttons' terms.
func (f Filter) Expr() string {
	var terms []string
	if t := strings.TrimSpace(f.Text); t != "" {
		if _, err := filter.Compile(t); err != nil {
			if legacy, ok := shorthand(t); ok {
				t = legacy
			}
		}
		terms = append(terms, "("+t+")")
	}
	if f.FlaggedOnly {
		terms = append(terms, "portlens.flagged")
	}
	if f.Kind != "" {
		terms = append(terms, "portlens.kind == "+strconv.Quote(f.Kind))
	}
	return strings.Join(terms, " && ")
}

// Compile compiles the filter: nil for no filter; an error that names
// the column of the box's text where the filter went wrong.
func (f Filter) Compile() (*filter.Filter, error) {
	if !f.Active() {
		return nil, nil
	}
	if t := strings.TrimSpace(f.Text); t != "" {
		if _, err := filter.Compile(t); err != nil {
			if _, ok := shorthand(t); !ok {
				var fe *filter.Error
				if errors.As(err, &fe) {
					// The column in the box's text as typed (not trimmed).
					lead := len(f.Text) - len(strings.TrimLeft(f.Text, " \t"))
					return nil, errors.New("column " + strconv.Itoa(fe.Pos+lead+1) + ": " + fe.Msg)
				}
				return nil, err
			}
		}
	}
	return filter.Compile(f.Expr())
}

// Problem is the filter's error in words, "" when it compiles.
func (f Filter) Problem() string {
	if _, err := f.Compile(); err != nil {
		return err.Error()
	}
	return ""
}

// shorthand reads the page's earlier filter terms as a display filter.
func shorthand(text string) (string, bool) {
	var out, streams []string
	for _, word := range strings.Fields(text) {
		if n, ok := strings.CutPrefix(strings.ToLower(word), "stream:"); ok {
			streams = append(streams, n) // several: any of them
			continue
		}
		t, ok := shorthandTerm(word)
		if !ok {
			return "", false
		}
		out = append(out, t)
	}
	if len(streams) > 0 {
		out = append(out, "tcp.stream in {"+strings.Join(streams, ", ")+"}")
	}
	expr := strings.Join(out, " && ")
	if _, err := filter.Compile(expr); err != nil {
		return "", false
	}
	return expr, true
}

func shorthandTerm(word string) (string, bool) {
	if a, err := netip.ParseAddr(word); err == nil {
		return addrTerm(a), true
	}
	key, val, hasKey := strings.Cut(word, ":")
	if !hasKey {
		key, val = "", word
	}
	n, numErr := strconv.Atoi(val)
	switch strings.ToLower(key) {
	case "":
		switch {
		case strings.EqualFold(val, "flagged"):
			return "portlens.flagged", true
		case numErr == nil && n >= 0 && n <= 65535:
			return "tcp.port == " + val, true
		case isKind(val):
			return "portlens.kind == " + strconv.Quote(val), true
		}
	case "kind", "flag":
		if isKind(val) {
			return "portlens.kind == " + strconv.Quote(val), true
		}
	case "stream":
		if numErr == nil && n >= 0 {
			return "tcp.stream == " + val, true
		}
	case "port":
		if numErr == nil && n >= 0 && n <= 65535 {
			return "tcp.port == " + val, true
		}
	case "finding":
		if numErr == nil && n >= 1 {
			return "portlens.finding == " + val, true
		}
	case "addr", "ip", "host":
		if a, err := netip.ParseAddr(val); err == nil {
			return addrTerm(a), true
		}
	}
	return "", false
}

func isKind(name string) bool {
	_, ok := rules.ParseKind(name)
	return ok
}

func addrTerm(a netip.Addr) string {
	if a.Is4() {
		return "ip.addr == " + a.String()
	}
	return "ipv6.addr == " + a.String()
}
