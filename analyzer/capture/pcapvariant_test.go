package capture

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"testing"
)

// realRecords are the first n frames of a generated test capture
// (Ethernet, a TCP handshake and more), as records to build pcaps from.
func realRecords(t *testing.T, n int) []rec {
	t.Helper()
	b, err := os.ReadFile("../../testdata/captures/same-isn-after-rst.pcap")
	if err != nil {
		t.Fatal(err)
	}
	frames, _, _ := readAll(t, b)
	if len(frames) < n {
		t.Fatalf("%d frames, want %d", len(frames), n)
	}
	recs := make([]rec, n)
	for i, f := range frames[:n] {
		recs[i] = rec{sec: uint32(f.Time / 1e9), frac: uint32(f.Time % 1e9 / 1e3), data: f.Data}
	}
	return recs
}

// nokiaMarked is the 4-byte field Nokia's IPSO adds to each record header,
// one of the values libwiretap has seen (0x9fbfb601), as written on x86.
var nokiaMarked = []byte{0x01, 0xb6, 0xbf, 0x9f}

// TestPcapVariants: the patched layouts Wireshark reads, each picked from
// its first records. Wireshark 4.4.5 (the oracle) reads each of these
// files with every frame whole (5 TCP frames of stream 0; 1 for the
// one-record file).
func TestPcapVariants(t *testing.T) {
	redHat := []byte{2, 0, 0, 0, 0x08, 0x00, 0, 0} // ifindex 2, protocol IP, to this host
	tests := []struct {
		name    string
		spec    pcapSpec
		records int
		want    pcapVariant
	}{
		{"standard", pcapSpec{link: 1}, 5, pcapStandard},
		{"Nokia, marked", pcapSpec{link: 1, extra: 4, marks: nokiaMarked}, 5, pcapNokia},
		{"Nokia, one marked record", pcapSpec{link: 1, extra: 4, marks: nokiaMarked}, 1, pcapNokia},
		{"Nokia as editcap writes it (no marks)", pcapSpec{link: 1, extra: 4}, 5, pcapNokia},
		{"Red Hat 6.1 (ss990417)", pcapSpec{link: 1, extra: 8, marks: redHat}, 5, pcapSS990417},
		{"Red Hat 6.1 as editcap writes it", pcapSpec{link: 1, extra: 8}, 5, pcapSS990417},
		{"Red Hat 6.1 big-endian", pcapSpec{be: true, link: 1, extra: 8}, 5, pcapSS990417},
		{"modified magic (ss991029)", pcapSpec{magic: magicModified, link: 1, extra: 8}, 5, pcapSS991029},
		{"modified magic (SuSE 6.3, ss990915)", pcapSpec{magic: magicModified, link: 1, extra: 12}, 5, pcapSS990915},
		{"modified magic big-endian (ss990915)", pcapSpec{be: true, magic: magicModified, link: 1, extra: 12}, 5, pcapSS990915},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			recs := realRecords(t, tt.records)
			frames, r, err := readAll(t, buildPcap(tt.spec, recs...))
			if err != io.EOF {
				t.Fatalf("err = %v", err)
			}
			if r.pcap.variant != tt.want {
				t.Errorf("variant %d, want %d", r.pcap.variant, tt.want)
			}
			if len(frames) != len(recs) {
				t.Fatalf("%d frames, want %d", len(frames), len(recs))
			}
			for i, f := range frames {
				if !bytes.Equal(f.Data, recs[i].data) || f.Time != int64(recs[i].sec)*1e9+int64(recs[i].frac)*1e3 {
					t.Errorf("frame %d differs", i+1)
				}
			}
		})
	}
}

// TestTinyTruncatedPcaps cuts 4-record pcaps at every byte: each prefix is
// a pcap of 1 to 4 records cut at one byte. Every one must read as the
// usual layout for its magic, never as Nokia's or Red Hat's because that
// layout happens to end at the cut (what Wireshark 4.4 does with three
// records or fewer): the complete records before the cut come out whole,
// then io.EOF on a record boundary, else an *Error naming the cut record
// and where it starts.
func TestTinyTruncatedPcaps(t *testing.T) {
	// Zeros make the extra fields of the patched layouts look sane,
	// which real frames rarely do: the rule, not the data, must decide.
	zeros := []rec{{sec: 1, data: make([]byte, 60)}, {sec: 2}, {sec: 3, data: make([]byte, 8)}, {sec: 4, data: make([]byte, 90)}}
	sets := map[string][]rec{"real frames": realRecords(t, 4), "zeros": zeros}
	specs := []struct {
		name  string
		spec  pcapSpec
		first pcapVariant
		extra int
	}{
		{"micro LE", pcapSpec{link: 1}, pcapStandard, 0},
		{"micro BE", pcapSpec{be: true, link: 1}, pcapStandard, 0},
		{"nano LE", pcapSpec{magic: magicNano, link: 1}, pcapStandard, 0},
		{"nano BE", pcapSpec{be: true, magic: magicNano, link: 1}, pcapStandard, 0},
		{"modified LE", pcapSpec{magic: magicModified, link: 1, extra: 8}, pcapSS991029, 8},
		{"modified BE", pcapSpec{be: true, magic: magicModified, link: 1, extra: 8}, pcapSS991029, 8},
	}
	for setName, recs := range sets {
		for _, sp := range specs {
			t.Run(setName+"/"+sp.name, func(t *testing.T) {
				b := buildPcap(sp.spec, recs...)
				starts := []int{24} // where each record starts; the last entry is the end
				for _, r := range recs {
					starts = append(starts, starts[len(starts)-1]+16+sp.extra+len(r.data))
				}
				for cut := 24; cut <= len(b); cut++ {
					if err := checkCut(t, b[:cut], recs, starts, sp.first); err != nil {
						t.Fatalf("cut at %d: %v", cut, err)
					}
				}
			})
		}
	}
}

// checkCut reads one prefix and says what is wrong with the reading.
func checkCut(t *testing.T, b []byte, recs []rec, starts []int, first pcapVariant) error {
	frames, r, err := readAll(t, b)
	if r == nil {
		return fmt.Errorf("not opened: %v", err)
	}
	if r.pcap.variant != first {
		return fmt.Errorf("read as layout %d, want %d", r.pcap.variant, first)
	}
	complete := 0
	for complete < len(recs) && starts[complete+1] <= len(b) {
		complete++
	}
	if len(frames) != complete {
		return fmt.Errorf("%d frames, want %d (%v)", len(frames), complete, err)
	}
	for i, f := range frames {
		if !bytes.Equal(f.Data, recs[i].data) || f.Offset != int64(starts[i]) {
			return fmt.Errorf("frame %d differs", i+1)
		}
	}
	if starts[complete] == len(b) {
		if err != io.EOF {
			return fmt.Errorf("on a record boundary: %v, want io.EOF", err)
		}
		return nil
	}
	var e *Error
	if !errors.As(err, &e) {
		return fmt.Errorf("%v (%T), want *Error", err, err)
	}
	want := fmt.Sprintf("frame %d at byte %d: truncated ", complete+1, starts[complete])
	if e.Frame != complete+1 || e.Offset != int64(starts[complete]) || !bytes.HasPrefix([]byte(e.Error()), []byte(want)) {
		return fmt.Errorf("error %q, want it to start %q", e, want)
	}
	return nil
}

// TestNokiaMarksCut: a Nokia file whose records carry Nokia's marks says
// so itself, so its prefixes that end on one of its record boundaries
// read as Nokia's, every record whole, as Wireshark reads them.
func TestNokiaMarksCut(t *testing.T) {
	recs := realRecords(t, 4)
	b := buildPcap(pcapSpec{link: 1, extra: 4, marks: nokiaMarked}, recs...)
	end := 24
	for k, r := range recs {
		end += 20 + len(r.data)
		frames, rd, err := readAll(t, b[:end])
		if err != io.EOF || rd.pcap.variant != pcapNokia || len(frames) != k+1 {
			t.Fatalf("%d records: variant %d, %d frames, %v", k+1, rd.pcap.variant, len(frames), err)
		}
		for i, f := range frames {
			if !bytes.Equal(f.Data, recs[i].data) {
				t.Fatalf("%d records: frame %d differs", k+1, i+1)
			}
		}
	}
}

// TestNokiaTrialLeavesNoPseudoHeader: trying Nokia's layout on link type
// 13 assumes its 4-byte ATM pseudo-header; when another layout wins, the
// records are read without it (a 3-byte record is no error then;
// Wireshark 4.4.5 reads the 3 frames).
func TestNokiaTrialLeavesNoPseudoHeader(t *testing.T) {
	// Captured lengths over the snaplen count against every layout, so
	// all are tried and the standard one wins as the first of the least bad.
	recs := []rec{{sec: 1, data: payload(3, 1)}, {sec: 2, data: payload(3, 2)}, {sec: 3, data: payload(3, 3)}}
	frames, r, err := readAll(t, buildPcap(pcapSpec{link: 13, snaplen: 2}, recs...))
	if err != io.EOF || r.pcap.variant != pcapStandard || len(frames) != 3 {
		t.Fatalf("variant %d, %d frames, %v", r.pcap.variant, len(frames), err)
	}
}
