package analyzer_test

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"runtime"
	"testing"

	"github.com/portlens/portlens/analyzer"
)

// A small gzip file that inflates to a huge capture costs memory by its
// frames (a few bytes each), not by its bytes: nothing of the packets is
// kept. Here about 1 MB of gzip holds 100 MB of pcap, 1.5 million 54-byte
// Ethernet/IPv4/TCP records all on one connection.
func TestGzipBombMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	const records = 1_500_000
	var z bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&z, gzip.BestSpeed)
	hdr := make([]byte, 24)
	binary.LittleEndian.PutUint32(hdr[0:], 0xa1b2c3d4)
	binary.LittleEndian.PutUint16(hdr[4:], 2)
	binary.LittleEndian.PutUint16(hdr[6:], 4)
	binary.LittleEndian.PutUint32(hdr[16:], 65535)
	binary.LittleEndian.PutUint32(hdr[20:], 1)
	zw.Write(hdr)
	rec := make([]byte, 16+54)
	binary.LittleEndian.PutUint32(rec[8:], 54)
	binary.LittleEndian.PutUint32(rec[12:], 54)
	frame := rec[16:]
	frame[12], frame[13] = 0x08, 0x00 // IPv4
	copy(frame[14:], []byte{0x45, 0, 0, 40, 0, 0, 0, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2})
	copy(frame[34:], []byte{0x9c, 0x40, 0, 80, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x10, 0xff, 0xff})
	for range records {
		zw.Write(rec)
	}
	zw.Close()
	t.Logf("%d bytes of gzip inflate to %d", z.Len(), 24+records*len(rec))

	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	res := analyzer.Analyze("bomb.pcap.gz", bytes.NewReader(z.Bytes()), analyzer.DefaultOptions())
	runtime.GC()
	runtime.ReadMemStats(&after)
	if res.Packets != records || res.Error != "" {
		t.Fatalf("%d packets, error %q", res.Packets, res.Error)
	}
	live := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	perFrame := float64(live) / records
	t.Logf("live heap after the analysis: %.1f MB, %.1f bytes a frame", float64(live)/1e6, perFrame)
	// 6.5 bytes a frame of columns and block slack; the packets' 200 MB
	// must not be there (the old per-packet spill alone was 178 bytes).
	if perFrame > 10 {
		t.Errorf("%.1f bytes a frame kept: the analysis holds more than its per-frame columns", perFrame)
	}
	runtime.KeepAlive(res)
}
