package conv

import (
	"net/netip"
	"reflect"
	"testing"
)

func TestEndpointRoundTrip(t *testing.T) {
	for _, s := range []string{"10.0.0.1:80", "[2001:db8::1]:443", "[::ffff:10.0.0.1]:53", "0.0.0.0:0"} {
		ap := netip.MustParseAddrPort(s)
		e := EndpointOf(ap)
		if e.AddrPort() != ap || e.String() != ap.String() || e.Addr() != ap.Addr() || e.Port() != ap.Port() {
			t.Errorf("%s: got %s (%v)", s, e, e.AddrPort())
		}
	}
	// IPv4 and IPv4-mapped IPv6 stay distinct, as in netip.
	if EndpointOf(netip.MustParseAddrPort("10.0.0.1:80")) == EndpointOf(netip.MustParseAddrPort("[::ffff:10.0.0.1]:80")) {
		t.Error("10.0.0.1 and ::ffff:10.0.0.1 compare equal")
	}
}

// The point of Endpoint: conversation records hold no pointers, so the
// garbage collector does not scan them.
func TestConversationHasNoPointers(t *testing.T) {
	if path := pointerIn(reflect.TypeOf(Conversation{}), "Conversation"); path != "" {
		t.Fatalf("%s holds a pointer: the GC would scan every conversation", path)
	}
}

func pointerIn(typ reflect.Type, path string) string {
	switch typ.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.String, reflect.Interface,
		reflect.Func, reflect.Chan, reflect.UnsafePointer:
		return path
	case reflect.Array:
		return pointerIn(typ.Elem(), path+"[]")
	case reflect.Struct:
		for i := range typ.NumField() {
			f := typ.Field(i)
			if p := pointerIn(f.Type, path+"."+f.Name); p != "" {
				return p
			}
		}
	}
	return ""
}
