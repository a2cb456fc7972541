package conv

import (
	"net/netip"
	"reflect"
	"testing"
)

// Hosts numbers addresses in order of first appearance, keeps IPv4 and
// IPv4-mapped IPv6 apart (Wireshark does), and gives them back.
func TestHosts(t *testing.T) {
	h := NewHosts()
	addrs := []string{"10.0.0.1", "2001:db8::1", "::ffff:10.0.0.1", "10.0.0.2", "fe80::1%eth0"}
	for i, s := range addrs {
		a := netip.MustParseAddr(s)
		if id := h.ID(a); id != HostID(i) {
			t.Fatalf("%s: id %d, want %d", s, id, i)
		}
	}
	for i, s := range addrs {
		a := netip.MustParseAddr(s)
		if id, ok := h.Find(a); !ok || id != HostID(i) || h.ID(a) != HostID(i) || h.Addr(HostID(i)) != a {
			t.Fatalf("%s: found %d %v, want %d", s, id, ok, i)
		}
	}
	if _, ok := h.Find(netip.MustParseAddr("10.9.9.9")); ok || h.Len() != len(addrs) {
		t.Fatalf("Find added an address: %d", h.Len())
	}
	// Many IPv4 addresses: the direct-mapped cache must never answer for
	// an address that only shares its slot.
	for i := range 100_000 {
		a := netip.AddrFrom4([4]byte{192, 0, byte(i >> 8), byte(i)})
		if id := h.ID(a); h.Addr(id) != a {
			t.Fatalf("%s: id %d is %s", a, id, h.Addr(id))
		}
	}
	if got := h.AddrPort(Endpoint{Host: 1, Port: 443}); got.String() != "[2001:db8::1]:443" {
		t.Fatalf("AddrPort: %s", got)
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
