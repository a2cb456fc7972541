package main

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"
)

// floodPcap is a raw-IP pcap of n IPv4 fragments, one far fragment
// (offset 64992) of each of n datagrams that never complete.
func floodPcap(n int) []byte {
	out := binary.LittleEndian.AppendUint32(nil, 0xa1b2c3d4)
	out = binary.LittleEndian.AppendUint16(out, 2)
	out = binary.LittleEndian.AppendUint16(out, 4)
	out = binary.LittleEndian.AppendUint64(out, 0)
	out = binary.LittleEndian.AppendUint32(out, 65535)
	out = binary.LittleEndian.AppendUint32(out, 101) // LINKTYPE_RAW
	for i := range n {
		out = binary.LittleEndian.AppendUint64(out, 1741944413)
		out = binary.LittleEndian.AppendUint32(out, 28)
		out = binary.LittleEndian.AppendUint32(out, 28)
		out = append(out, 0x45, 0, 0, 28, byte(i>>8), byte(i), 0x3f, 0xbc, 64, 17, 0, 0, // MF, offset 64992
			192, 0, 2, byte(i>>16), 198, 51, 100, 10, 0, 0, 0, 0, 0, 0, 0, 0)
	}
	return out
}

// The summary says, on one line, when the fragment table dropped
// datagrams at its cap, and says nothing of it otherwise.
func TestAnalyzeReassemblyLine(t *testing.T) {
	for _, c := range []struct {
		datagrams int
		line      bool
	}{{50, false}, {14_000, true}} {
		out, errOut, status := runCLIWith(t, bytes.NewReader(floodPcap(c.datagrams)), "analyze", "-")
		if status != exitOK {
			t.Fatalf("status %d, stderr %s", status, errOut)
		}
		var lines []string
		for _, l := range strings.Split(out, "\n") {
			if strings.HasPrefix(l, "  reassembly    ") {
				lines = append(lines, l)
			}
		}
		if c.line != (len(lines) == 1) || len(lines) > 1 ||
			c.line && !strings.Contains(lines[0], "incomplete IP datagrams") {
			t.Errorf("%d datagrams: reassembly lines %q in\n%s", c.datagrams, lines, out)
		}
	}
}
