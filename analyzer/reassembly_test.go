package analyzer_test

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/portlens/portlens/analyzer"
	"github.com/portlens/portlens/analyzer/decode"
)

// fragmentFlood is a raw-IP pcap: a SYN's first fragment, then one far
// fragment (offset 64992) of each of n datagrams that never complete,
// then the SYN's last fragment.
func fragmentFlood(n int) []byte {
	out := binary.LittleEndian.AppendUint32(nil, 0xa1b2c3d4)
	out = binary.LittleEndian.AppendUint16(out, 2)
	out = binary.LittleEndian.AppendUint16(out, 4)
	out = binary.LittleEndian.AppendUint64(out, 0)
	out = binary.LittleEndian.AppendUint32(out, 65535)
	out = binary.LittleEndian.AppendUint32(out, 101) // LINKTYPE_RAW
	frag := func(src, dst [4]byte, id uint16, off int, more bool, data []byte) {
		out = binary.LittleEndian.AppendUint64(out, 1741944413)
		out = binary.LittleEndian.AppendUint32(out, uint32(20+len(data)))
		out = binary.LittleEndian.AppendUint32(out, uint32(20+len(data)))
		word := uint16(off / 8)
		if more {
			word |= 0x2000
		}
		out = append(out, 0x45, 0, byte((20+len(data))>>8), byte(20+len(data)), byte(id>>8), byte(id),
			byte(word>>8), byte(word), 64, 6, 0, 0)
		out = append(append(append(out, src[:]...), dst[:]...), data...)
	}
	cl, sv := [4]byte{198, 51, 100, 23}, [4]byte{203, 0, 113, 10}
	syn := make([]byte, 40) // 20 header bytes, 20 of data
	binary.BigEndian.PutUint32(syn, 47500<<16|443)
	binary.BigEndian.PutUint32(syn[4:], 0x12345678)
	syn[12], syn[13] = 5<<4, 0x02
	frag(cl, sv, 7, 0, true, syn[:16])
	for i := range n {
		frag([4]byte{192, 0, 2, byte(i >> 16)}, [4]byte{198, 51, 100, 10}, uint16(i), 64992, true, make([]byte, 8))
	}
	frag(cl, sv, 7, 16, false, syn[16:])
	return out
}

// jsonReport writes res's JSON report.
func jsonReport(t *testing.T, res *analyzer.Result) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := res.WriteJSON(&b, analyzer.DefaultOptions(), false); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// Past the fragment table's cap the least recently added-to datagrams
// are dropped, and the report says so; below it the report has no
// "reassembly" at all. Wireshark 4.4 keeps every datagram: with 14,000
// datagrams between them, the SYN's two fragments still make a SYN in
// its frame 14002 (the oracle, on this capture); here the SYN's
// datagram, the least recently added to, is among those dropped.
func TestReassemblyCapReported(t *testing.T) {
	for _, c := range []struct {
		flood int
		hit   bool
	}{{100, false}, {14_000, true}} {
		res := analyzer.Analyze("flood.pcap", bytes.NewReader(fragmentFlood(c.flood)), analyzer.DefaultOptions())
		if res.Error != "" || res.Packets != c.flood+2 {
			t.Fatalf("%d datagrams: %d packets, error %q", c.flood, res.Packets, res.Error)
		}
		r := res.Reassembly
		last := res.Frames.At(res.Packets)
		rep := jsonReport(t, res)
		var doc analyzer.Report
		if err := json.Unmarshal(rep, &doc); err != nil {
			t.Fatal(err)
		}
		if !c.hit {
			if r.Hit() || bytes.Contains(rep, []byte(`"reassembly"`)) || res.ReassemblyNote() != "" {
				t.Errorf("%d datagrams, under the cap: dropped %d, report %s", c.flood, r.Datagrams, rep)
			}
			if last.Transport != decode.TCP {
				t.Errorf("%d datagrams, under the cap: the SYN's last fragment gave %v", c.flood, last.Transport)
			}
			continue
		}
		if !r.Hit() || r.Fragments != r.Datagrams || r.Limit != 16<<20 {
			t.Fatalf("%d datagrams of one fragment: dropped %d datagrams, %d fragments, cap %d", c.flood, r.Datagrams, r.Fragments, r.Limit)
		}
		if last.Transport == decode.TCP {
			t.Errorf("the SYN's datagram, the least recently added to, was kept")
		}
		want := analyzer.ReassemblyReport{DroppedDatagrams: r.Datagrams, DroppedFragments: r.Fragments, Limit: "16 MiB held by incomplete IP datagrams"}
		if doc.Reassembly == nil || *doc.Reassembly != want {
			t.Errorf("report's reassembly %+v, want %+v", doc.Reassembly, want)
		}
		note := fmt.Sprintf("%d incomplete IP datagrams (%d fragments) dropped: the fragment table holds at most 16 MiB (Wireshark keeps every datagram)", r.Datagrams, r.Fragments)
		if got := res.ReassemblyNote(); got != note {
			t.Errorf("note %q, want %q", got, note)
		}
	}
}
