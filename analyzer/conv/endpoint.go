package conv

// Endpoint is one side of a conversation: a host of the capture's
// address table and a port. Eight bytes and no pointers, so a table of
// millions of conversations costs little and the garbage collector never
// scans it; Hosts.AddrPort turns it back into an address.
type Endpoint struct {
	Host HostID
	Port uint16
}
