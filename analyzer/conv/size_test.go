package conv

import (
	"reflect"
	"testing"
)

// The records are kept by the million: their size is a budget, and a
// pointer in them would make the garbage collector scan every one.
func TestRecordsAreCompact(t *testing.T) {
	for _, c := range []struct {
		typ  reflect.Type
		size uintptr
	}{
		{reflect.TypeFor[Conversation](), 176},
		{reflect.TypeFor[Segment](), 24},
		{reflect.TypeFor[UDPFlow](), 72},
		{reflect.TypeFor[Endpoint](), 8},
	} {
		if got := c.typ.Size(); got > c.size {
			t.Errorf("%s is %d bytes, over its budget of %d", c.typ, got, c.size)
		}
		if p := pointerIn(c.typ, c.typ.Name()); p != "" {
			t.Errorf("%s holds a pointer: %s", c.typ, p)
		}
	}
}
