package capture

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"io"
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"
)

type frame struct {
	Data      []byte
	Length    int
	Time      int64
	Link      LinkType
	Interface int
	Offset    int64
}

// readAll returns copies of every frame and the error that ended reading.
func readAll(t testing.TB, b []byte) ([]frame, *Reader, error) {
	t.Helper()
	r, err := NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, nil, err
	}
	var out []frame
	for {
		p, err := r.Next()
		if err != nil {
			return out, r, err
		}
		out = append(out, frame{bytes.Clone(p.Data), p.Length, p.Time, p.Link, p.Interface, p.Offset})
	}
}

func TestPcapFormats(t *testing.T) {
	recs := []rec{{sec: 1_700_000_000, frac: 999_999, data: payload(60, 1)}, {sec: 1, frac: 7, data: payload(3, 9), orig: 1514}}
	tests := []struct {
		name   string
		spec   pcapSpec
		format string
		times  []int64
	}{
		{"micro LE", pcapSpec{link: 1}, "pcap", []int64{1_700_000_000_999_999_000, 1_000_007_000}},
		{"micro BE", pcapSpec{be: true, link: 1}, "pcap", []int64{1_700_000_000_999_999_000, 1_000_007_000}},
		{"nano LE", pcapSpec{magic: magicNano, link: 1}, "pcap (nanosecond)", []int64{1_700_000_000_000_999_999, 1_000_000_007}},
		{"nano BE", pcapSpec{be: true, magic: magicNano, link: 1}, "pcap (nanosecond)", []int64{1_700_000_000_000_999_999, 1_000_000_007}},
		{"modified magic", pcapSpec{magic: magicModified, link: 1, extra: 8}, "pcap", []int64{1_700_000_000_999_999_000, 1_000_007_000}},
		{"FCS bits in link type", pcapSpec{link: 0x34000000 | 1}, "pcap", []int64{1_700_000_000_999_999_000, 1_000_007_000}},
		{"version 2.2 swaps lengths", pcapSpec{major: 2, minor: 2, link: 1}, "pcap", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := buildPcap(tt.spec, recs...)
			if tt.spec.minor == 2 { // pre-2.3 writers put orig_len first
				b = buildPcap(tt.spec, rec{data: payload(60, 1), orig: 0})
			}
			frames, r, err := readAll(t, b)
			if err != io.EOF {
				t.Fatalf("err = %v", err)
			}
			info := r.Info()
			if info.Format != tt.format || info.BigEndian != tt.spec.be || len(info.Interfaces) != 1 || info.Interfaces[0].Link != LinkEthernet {
				t.Errorf("info = %+v", info)
			}
			if tt.times == nil {
				if len(frames) != 1 || len(frames[0].Data) != 60 {
					t.Errorf("frames = %+v", frames)
				}
				return
			}
			if len(frames) != 2 {
				t.Fatalf("%d frames", len(frames))
			}
			for i, f := range frames {
				if f.Time != tt.times[i] || !bytes.Equal(f.Data, recs[i].data) || f.Link != LinkEthernet {
					t.Errorf("frame %d = %+v", i+1, f)
				}
			}
			if frames[1].Length != 1514 || frames[0].Offset != 24 || frames[1].Offset != int64(24+16+tt.spec.extra+60) {
				t.Errorf("lengths/offsets: %+v", frames)
			}
		})
	}
}

func TestPcapErrors(t *testing.T) {
	tests := []struct {
		name   string
		b      []byte
		frames int
		want   string
	}{
		{"html", []byte("<!DOCTYPE html>"), 0, "not a capture file: starts with 3c 21 44 4f"},
		{"empty", nil, 0, "not a capture file: it is empty"},
		{"short header", buildPcap(pcapSpec{link: 1})[:20], 0, "byte 0: truncated pcap file header (20 of 24 bytes)"},
		{"unknown link type", buildPcap(pcapSpec{link: 182}), 0, "link type 182 is unknown"},
		{"reserved link bits", buildPcap(pcapSpec{link: 0x00010001}), 0, "reserved bits"},
		{"version 1", buildPcap(pcapSpec{major: 1, link: 1}), 0, "major version 1"},
		// Wireshark guesses the record layout from the first three records, so the
		// oversized one comes fourth.
		{"caplen over maximum", buildPcap(pcapSpec{link: 1}, rec{data: payload(8, 0)}, rec{data: payload(8, 0)}, rec{data: payload(8, 0)}, rec{data: make([]byte, 262145)}), 3, "frame 4 at byte 96: packet record claims 262145 captured bytes"},
		{"truncated record", buildPcap(pcapSpec{link: 1}, rec{data: payload(8, 0)}, rec{data: payload(60, 0)})[:48+16+16], 1, "frame 2 at byte 48: truncated packet record (16 of 60 bytes)"},
		{"truncated record header", buildPcap(pcapSpec{link: 1}, rec{data: payload(8, 0)}, rec{data: payload(60, 0)})[:50], 1, "frame 2 at byte 48: truncated record header (2 of 16 bytes)"},
		{"SunATM pseudo-header", buildPcap(pcapSpec{link: 123}, rec{data: payload(3, 0)}), 0, "shorter than the 4-byte"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			frames, _, err := readAll(t, tt.b)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v (%T), want *Error", err, err)
			}
			if len(frames) != tt.frames || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("%d frames, %q; want %d, %q", len(frames), err, tt.frames, tt.want)
			}
		})
	}
	// A caplen above the snaplen is tolerated, as Wireshark does.
	frames, _, err := readAll(t, buildPcap(pcapSpec{snaplen: 64, link: 1}, rec{data: payload(1000, 0)}))
	if err != io.EOF || len(frames) != 1 || len(frames[0].Data) != 1000 {
		t.Errorf("caplen > snaplen: %d frames, %v", len(frames), err)
	}
}

func TestPcapng(t *testing.T) {
	n := sampleNG()
	frames, r, err := readAll(t, n.b)
	if err != io.EOF {
		t.Fatalf("err = %v", err)
	}
	want := []struct {
		time  int64
		link  LinkType
		iface int
		size  int
		len   int
	}{
		{1_700_000_000_123_456_000, LinkEthernet, 0, 60, 60},
		{1_700_000_000_123_456_789, LinkRaw, 1, 41, 1500},
		{0, LinkEthernet, 0, 200, 200},                       // SPB: no time stamp
		{0, LinkCustomBlock, -1, 8, 8},                       // custom block, a frame for Wireshark
		{1_700_000_001_000_000_000, LinkEthernet, 0, 33, 33}, // obsolete packet block
		{105_000_000_953, LinkLinuxSLL2, 2, 80, 80},          // 2^-20 s units, if_tsoffset 100 s
	}
	if len(frames) != len(want) {
		t.Fatalf("%d frames, want %d", len(frames), len(want))
	}
	for i, w := range want {
		f := frames[i]
		if f.Time != w.time || f.Link != w.link || f.Interface != w.iface || len(f.Data) != w.size || f.Length != w.len {
			t.Errorf("frame %d = time %d link %v iface %d size %d len %d; want %+v", i+1, f.Time, f.Link, f.Interface, len(f.Data), f.Length, w)
		}
	}
	if !bytes.Equal(frames[3].Data[:6], []byte("custom")) {
		t.Errorf("custom block data %q", frames[3].Data)
	}
	info := r.Info()
	if info.Format != "pcapng" || info.Version != "1.0" || info.BigEndian || len(info.Interfaces) != 3 {
		t.Fatalf("info = %+v", info)
	}
	if in := info.Interfaces; in[0].Name != "eth0" || in[1].TSResolution != "10^-9" || in[2].TSResolution != "2^-20" || in[2].TSOffset != 100 || in[1].Snaplen != 128 {
		t.Errorf("interfaces = %+v", in)
	}
}

// TestPcapngTimeExact checks the conversion against big-number arithmetic
// for every resolution Wireshark accepts.
func TestPcapngTimeExact(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	for res := 0; res < 256; res++ {
		exp := res & 0x7f
		if (res&0x80 != 0 && exp > 63) || (res&0x80 == 0 && exp > 19) {
			continue
		}
		n := &ng{}
		n.shb()
		n.idb(1, 0, n.opt(9, u8opt(byte(res))), n.opt(14, i64opt(false, -7)))
		units := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(exp)), nil)
		if res&0x80 != 0 {
			units = new(big.Int).Lsh(big.NewInt(1), uint(exp))
		}
		var want []int64
		for range 20 {
			ts := rnd.Uint64()
			n.epb(0, ts, payload(4, 0), 0)
			q, m := new(big.Int).DivMod(new(big.Int).SetUint64(ts), units, new(big.Int))
			ns := new(big.Int).Div(new(big.Int).Mul(m, big.NewInt(1e9)), units)
			w := new(big.Int).Add(new(big.Int).Mul(new(big.Int).Add(q, big.NewInt(-7)), big.NewInt(1e9)), ns)
			want = append(want, int64(new(big.Int).And(w, new(big.Int).SetUint64(^uint64(0))).Uint64())) // wraps like int64 arithmetic
		}
		frames, _, err := readAll(t, n.b)
		if err != io.EOF {
			t.Fatalf("tsresol %#x: %v", res, err)
		}
		for i, f := range frames {
			if f.Time != want[i] {
				t.Errorf("tsresol %#x: frame %d time %d, want %d", res, i+1, f.Time, want[i])
			}
		}
	}
	n := &ng{}
	n.shb()
	n.idb(1, 0, n.opt(9, u8opt(0x80|64)))
	if _, _, err := readAll(t, n.b); err == nil || !strings.Contains(err.Error(), "2^-64") {
		t.Errorf("tsresol 2^-64: %v", err)
	}
}

func TestPcapngErrors(t *testing.T) {
	base := func() *ng { n := &ng{}; n.shb(); n.idb(1, 0); n.epb(0, 0, payload(10, 0), 0); return n }
	tests := []struct {
		name   string
		b      func() []byte
		frames int
		want   string
	}{
		{"block length 7", func() []byte {
			n := base()
			return append(n.b, 6, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0)
		}, 1, "frame 2 at byte 92: pcapng block length 7 is less than 12"},
		{"trailer mismatch", func() []byte {
			b := base().b
			b[len(b)-4]++
			return b
		}, 0, "frame 1 at byte 48: pcapng block length 45 at its end differs from 44"},
		{"interface out of range", func() []byte {
			n := base()
			return n.epb(1, 0, payload(4, 0), 0).b
		}, 1, "names interface 1, but its section defines 1"},
		{"unknown version", func() []byte {
			b := base().b
			b[12] = 2
			return b
		}, 0, "pcapng version 2.0 is not supported"},
		{"bad second section magic", func() []byte {
			n := base()
			n.shb()
			n.b[len(n.b)-20] = 0
			return n.b
		}, 1, "unknown byte-order magic"},
		{"packet data beyond block", func() []byte {
			n := base()
			n.epb(0, 0, payload(10, 0), 0)
			n.b[len(n.b)-24] = 200 // captured length
			return n.b
		}, 1, "too small for 200 bytes"},
		{"option past block end", func() []byte {
			n := base()
			return n.epb(0, 0, payload(4, 0), 0, []byte{1, 0, 200, 0}).b
		}, 1, "runs past the end"},
		{"bad epb_flags length", func() []byte {
			n := base()
			return n.epb(0, 0, payload(4, 0), 0, n.opt(2, []byte{1, 2})).b
		}, 1, "has 2 bytes, not 4"},
		{"truncated block", func() []byte { return base().b[:60] }, 0, "frame 1 at byte 48: truncated enhanced packet block"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			frames, _, err := readAll(t, tt.b())
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v (%T), want *Error", err, err)
			}
			if len(frames) != tt.frames || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("%d frames, %q; want %d, %q", len(frames), err, tt.frames, tt.want)
			}
		})
	}
}

// A block length that is not a multiple of 4 is rounded up, as Wireshark
// does for writers that left the padding out of the length.
func TestPcapngUnpaddedLength(t *testing.T) {
	n := &ng{}
	n.shb()
	n.idb(1, 0)
	n.epb(0, 0, payload(10, 0), 0)
	n.b[52]-- // the EPB's length field: 44 becomes 43
	frames, _, err := readAll(t, n.b)
	if err != io.EOF || len(frames) != 1 {
		t.Errorf("%d frames, %v", len(frames), err)
	}
}

func TestPacketAt(t *testing.T) {
	for name, b := range map[string][]byte{
		"pcap":   buildPcap(pcapSpec{link: 1}, rec{sec: 1, data: payload(60, 1)}, rec{sec: 2, data: payload(70, 2)}),
		"pcapng": sampleNG().b,
	} {
		t.Run(name, func(t *testing.T) {
			frames, r, err := readAll(t, b)
			if err != io.EOF {
				t.Fatal(err)
			}
			ra := bytes.NewReader(b)
			for i := len(frames) - 1; i >= 0; i-- { // backwards: no state may leak between calls
				f := frames[i]
				p, err := r.PacketAt(ra, f.Offset)
				if err != nil {
					t.Fatalf("frame %d: %v", i+1, err)
				}
				got := frame{p.Data, p.Length, p.Time, p.Link, p.Interface, p.Offset}
				if !bytes.Equal(got.Data, f.Data) || got.Length != f.Length || got.Time != f.Time || got.Link != f.Link || got.Interface != f.Interface || got.Offset != f.Offset {
					t.Errorf("frame %d: PacketAt %+v, Next %+v", i+1, got, f)
				}
			}
			if _, err := r.PacketAt(ra, 1); err == nil {
				t.Error("PacketAt at a non-record offset succeeded")
			}
		})
	}
}

func TestGzip(t *testing.T) {
	plain := sampleNG().b
	var z bytes.Buffer
	w := gzip.NewWriter(&z)
	w.Write(plain)
	w.Close()
	want, _, _ := readAll(t, plain)
	got, r, err := readAll(t, z.Bytes())
	if err != io.EOF || len(got) != len(want) {
		t.Fatalf("%d frames, %v", len(got), err)
	}
	for i := range got {
		if !bytes.Equal(got[i].Data, want[i].Data) || got[i].Offset != want[i].Offset {
			t.Errorf("frame %d differs", i+1)
		}
	}
	if !r.Info().Compressed || r.BytesRead() != int64(z.Len()) {
		t.Errorf("compressed %v, BytesRead %d of %d", r.Info().Compressed, r.BytesRead(), z.Len())
	}
	if _, err := r.PacketAt(bytes.NewReader(plain), want[0].Offset); err == nil {
		t.Error("PacketAt on gzip input succeeded")
	}
	// A cut compressed stream is damage, even between records.
	if got, _, err := readAll(t, z.Bytes()[:z.Len()-10]); err == io.EOF || err == nil {
		t.Errorf("cut gzip: %d frames, %v", len(got), err)
	}
}

func TestLinkTypeString(t *testing.T) {
	for l, s := range map[LinkType]string{LinkEthernet: "Ethernet", LinkLinuxSLL: "Linux SLL", LinkLinuxSLL2: "Linux SLL2", LinkNull: "BSD loopback", LinkRaw: "Raw IP", LinkIPv4: "IPv4", LinkIPv6: "IPv6", 147: "LINKTYPE 147"} {
		if l.String() != s {
			t.Errorf("%d: %q, want %q", uint32(l), l.String(), s)
		}
	}
}

// failOnce returns its error once, then io.EOF: a failure the reader
// reports only if it keeps the first error it is given.
type failOnce struct{ err error }

func (f *failOnce) Read([]byte) (int, error) {
	err := f.err
	f.err = io.EOF
	return 0, err
}

// A reader that fails inside a record's data gives that failure, where it
// happened, and the frames before it: the record is read with one peek of
// header and data, whose error must not be lost. (Four whole records
// first: the reader looks at the first three to pick the pcap variant.)
func TestPcapFailureInRecord(t *testing.T) {
	whole := rec{data: payload(8, 0)}
	b := buildPcap(pcapSpec{link: 1}, whole, whole, whole, whole, rec{data: payload(60, 0)})
	cut := 24 + 4*(16+8) + 16 + 16
	r, err := NewReader(io.MultiReader(bytes.NewReader(b[:cut]), &failOnce{errors.New("disk gone")}))
	if err != nil {
		t.Fatal(err)
	}
	for frame := 1; frame <= 4; frame++ {
		if _, err := r.Next(); err != nil {
			t.Fatalf("frame %d: %v", frame, err)
		}
	}
	_, err = r.Next()
	var e *Error
	if !errors.As(err, &e) || e.Frame != 5 || e.Offset != 120 || !strings.Contains(err.Error(), "packet record: disk gone") {
		t.Errorf("frame 5: %v, want frame 5 at byte 120: packet record: disk gone", err)
	}
}

// AIX's tcpdump pads FDDI frames with 3 bytes that both lengths count
// (version 2.2, which also swaps them): the frame is read without them,
// and never longer than its original length less them.
func TestPcapAIXFDDI(t *testing.T) {
	b := buildPcap(pcapSpec{major: 2, minor: 2, link: 15}, rec{data: payload(60, 0)})
	// Version 2.2 swaps the lengths: the second is the captured one (60),
	// the first the original, here 62.
	binary.LittleEndian.PutUint32(b[24+8:], 62)
	frames, _, err := readAll(t, b)
	if err != io.EOF || len(frames) != 1 {
		t.Fatalf("%d frames, %v", len(frames), err)
	}
	if f := frames[0]; len(f.Data) != 57 || f.Length != 59 || f.Link != LinkType(10) {
		t.Errorf("%d bytes of %d, link %v; want 57 of 59, FDDI", len(f.Data), f.Length, f.Link)
	}
}
