package capture

import (
	"bytes"
	"io"
	"strings"
	"testing"
)

func TestKeptName(t *testing.T) {
	long := strings.Repeat("x", 70000)
	euro := strings.Repeat("a", maxNameKept-1) + "€" // the euro sign crosses byte 256
	tests := []struct {
		name, in, want string
	}{
		{"short", "eth0", "eth0"},
		{"NULs", "eth0\x00\x00\x00", "eth0"},
		{"exact", long[:maxNameKept], long[:maxNameKept]},
		{"long", long, long[:maxNameKept]},
		{"rune at the cut", euro, euro[:maxNameKept-1]},
		{"empty", "", ""},
	}
	for _, tc := range tests {
		if got := keptName([]byte(tc.in)); got != tc.want {
			t.Errorf("%s: kept %d bytes %.20q..., want %d bytes", tc.name, len(got), got, len(tc.want))
		}
	}
}

// nameBomb is a pcapng of ifaces interface descriptions with names of
// nameLen bytes (the option's most is 65535), then one packet on the last.
func nameBomb(ifaces, nameLen int) []byte {
	n := &ng{}
	n.shb()
	name := n.opt(2, bytes.Repeat([]byte{'n'}, nameLen))
	for range ifaces {
		n.idb(1, 65535, name)
	}
	n.epb(uint32(ifaces-1), 1_700_000_000_000_000, payload(60, 1), 0)
	return n.b
}

// A file of interfaces with 64 KiB names keeps 256 bytes of each name,
// its reader's account (Held) says so, and NextPaced gives control back
// while it reads them, without a frame or an error; Next reads through.
func TestNameBombHeld(t *testing.T) {
	const ifaces = 500
	data := nameBomb(ifaces, 65535)
	r, err := NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	pauses := 0
	var p *Packet
	for p == nil {
		if p, err = r.NextPaced(); err != nil {
			t.Fatalf("after %d pauses: %v", pauses, err)
		}
		if p == nil {
			pauses++
			if off := r.Offset(); off <= 0 || off >= int64(len(data)) {
				t.Fatalf("pause %d at offset %d of %d", pauses, off, len(data))
			}
		}
	}
	// 64 KiB a block: a pause every pauseBytes.
	if want := ifaces * 65548 / pauseBytes; pauses < want {
		t.Errorf("%d pauses while reading %d interfaces, want at least %d", pauses, ifaces, want)
	}
	info := r.Info()
	if len(info.Interfaces) != ifaces || len(info.Interfaces[0].Name) != maxNameKept {
		t.Fatalf("%d interfaces, the first named with %d bytes", len(info.Interfaces), len(info.Interfaces[0].Name))
	}
	// What the reader holds: its buffer and a few hundred bytes an
	// interface, not the 128 MB of names.
	held := r.Held()
	perIface := (held - bufSize) / ifaces
	t.Logf("%d interfaces of 64 KiB names (%d bytes of file): the reader holds %d bytes, %d an interface", ifaces, len(data), held, perIface)
	if perIface < maxNameKept || perIface > 1024 {
		t.Errorf("the reader accounts for %d bytes an interface, want the name kept (%d) and its records (< 1 KiB)", perIface, maxNameKept)
	}
	if _, err := r.NextPaced(); err != io.EOF {
		t.Errorf("after the packet: %v, want io.EOF", err)
	}
	// Next reads the same file in one call.
	r2, _ := NewReader(bytes.NewReader(data))
	if p, err := r2.Next(); err != nil || p.Interface != ifaces-1 {
		t.Fatalf("Next: interface %v, %v", p, err)
	}
}

// Blocks that make no frame and are small pause every pauseBlocks.
func TestNextPacedBlocks(t *testing.T) {
	n := &ng{}
	n.shb()
	n.idb(1, 65535)
	for range 3*pauseBlocks + 5 {
		n.block(blockISB, make([]byte, 12))
	}
	n.epb(0, 1, payload(60, 1), 0)
	r, err := NewReader(bytes.NewReader(n.b))
	if err != nil {
		t.Fatal(err)
	}
	pauses := 0
	for {
		p, err := r.NextPaced()
		if err != nil {
			t.Fatal(err)
		}
		if p != nil {
			break
		}
		pauses++
	}
	if pauses != 3 {
		t.Errorf("%d pauses over %d statistics blocks, want 3", pauses, 3*pauseBlocks+5)
	}
}
