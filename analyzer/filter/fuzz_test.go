package filter_test

import (
	"errors"
	"testing"

	"github.com/portlens/portlens/analyzer/filter"
)

// FuzzParse: no input panics; an error says where, inside the text; a
// filter that compiles has a canonical form that compiles to itself and
// selects the same sample frames.
func FuzzParse(f *testing.F) {
	for _, tc := range goodFilters {
		f.Add(tc.in)
	}
	for _, tc := range badFilters {
		f.Add(tc.in)
	}
	for _, tc := range evalCases {
		f.Add(tc.filter)
	}
	frames := sampleFrames()
	f.Fuzz(func(t *testing.T, text string) {
		flt, err := filter.Compile(text)
		if err != nil {
			var fe *filter.Error
			if !errors.As(err, &fe) {
				t.Fatalf("Compile(%q) error %T is not an *Error", text, err)
			}
			if fe.Pos < 0 || fe.Pos > fe.End || fe.End > len(text) || fe.Msg == "" {
				t.Fatalf("Compile(%q): bad error %+v", text, fe)
			}
			_ = fe.Caret(text)
			return
		}
		canon := flt.String()
		again, err := filter.Compile(canon)
		if err != nil {
			t.Fatalf("Compile(%q) gave %q, which does not compile: %v", text, canon, err)
		}
		if again.String() != canon {
			t.Fatalf("Compile(%q) gave %q, which gives %q", text, canon, again.String())
		}
		if again.Needs() != flt.Needs() {
			t.Fatalf("%q needs %b, its canonical form %b", text, flt.Needs(), again.Needs())
		}
		for _, fr := range frames {
			if flt.Match(fr) != again.Match(fr) {
				t.Fatalf("%q and its canonical form %q differ on frame %d", text, canon, fr.Number)
			}
		}
	})
}
