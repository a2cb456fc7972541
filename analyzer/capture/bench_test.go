package capture

import (
	"bytes"
	"io"
	"testing"
)

const benchPackets = 10000

func benchPcap() []byte {
	recs := make([]rec, benchPackets)
	for i := range recs {
		recs[i] = rec{sec: uint32(i), frac: uint32(i % 1000000), data: payload(60+i%1400, byte(i))}
	}
	return buildPcap(pcapSpec{link: 1}, recs...)
}

func benchPcapng() []byte {
	n := &ng{}
	n.shb()
	n.idb(1, 0)
	n.idb(101, 0, n.opt(9, u8opt(9)))
	for i := range benchPackets {
		n.epb(uint32(i%2), uint64(i)*1000003, payload(60+i%1400, byte(i)), 0)
	}
	return n.b
}

func benchRead(b *testing.B, file []byte) {
	b.SetBytes(int64(len(file)))
	b.ReportAllocs()
	src := bytes.NewReader(file)
	n := 0
	for b.Loop() {
		src.Reset(file)
		r, err := NewReader(src)
		if err != nil {
			b.Fatal(err)
		}
		for {
			_, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/packet")
}

func BenchmarkReaderPcap(b *testing.B)   { benchRead(b, benchPcap()) }
func BenchmarkReaderPcapng(b *testing.B) { benchRead(b, benchPcapng()) }

// BenchmarkNext measures Next alone, without opening the file, to show
// that the hot path allocates nothing.
func BenchmarkNext(b *testing.B) {
	file := benchPcapng()
	b.ReportAllocs()
	var r *Reader
	for b.Loop() {
		if r == nil {
			r, _ = NewReader(bytes.NewReader(file))
		}
		if _, err := r.Next(); err != nil {
			r = nil
		}
	}
}

// Small packets show the per-packet cost apart from copying bytes.
func BenchmarkReaderPcapSmall(b *testing.B) {
	recs := make([]rec, benchPackets)
	for i := range recs {
		recs[i] = rec{sec: uint32(i), data: payload(64, byte(i))}
	}
	benchRead(b, buildPcap(pcapSpec{link: 1}, recs...))
}

func BenchmarkReaderPcapngSmall(b *testing.B) {
	n := &ng{}
	n.shb()
	n.idb(1, 0)
	for i := range benchPackets {
		n.epb(0, uint64(i)*1000003, payload(64, byte(i)), 0)
	}
	benchRead(b, n.b)
}
