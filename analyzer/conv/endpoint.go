package conv

import (
	"net/netip"
	"strconv"
)

// Endpoint is an address and a port held without pointers. A netip.Addr
// carries one (for its zone), which made every conversation record one the
// garbage collector had to scan: with a million packets that scan was the
// longest pause of the page. Zones never occur in captures.
type Endpoint struct {
	ip   [16]byte
	port uint16
	v4   bool
}

// EndpointOf converts a netip.AddrPort.
func EndpointOf(ap netip.AddrPort) Endpoint {
	a := ap.Addr()
	return Endpoint{ip: a.As16(), port: ap.Port(), v4: a.Is4()}
}

// Addr is the endpoint's address.
func (e Endpoint) Addr() netip.Addr {
	a := netip.AddrFrom16(e.ip)
	if e.v4 {
		return a.Unmap()
	}
	return a
}

// Port is the endpoint's port.
func (e Endpoint) Port() uint16 { return e.port }

// AddrPort converts back to a netip.AddrPort.
func (e Endpoint) AddrPort() netip.AddrPort { return netip.AddrPortFrom(e.Addr(), e.port) }

// String formats the endpoint as netip.AddrPort does: 10.0.0.1:80, [2001:db8::1]:80.
func (e Endpoint) String() string {
	if e.v4 {
		return e.Addr().String() + ":" + strconv.Itoa(int(e.port))
	}
	return e.AddrPort().String()
}
