package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"runtime"
	"strings"
	"testing"

	"github.com/portlens/portlens/analyzer"
)

// The bombs of issue 14, generated: small gzip files that inflate to
// what would take gigabytes to analyze. Each is written as gzip members
// (RFC 1952 allows any number in a file, and readers read them as one
// stream), one member compressed once and written again and again, so
// that making a gigabyte of capture takes a moment.

// gzipMember compresses b as one gzip member.
func gzipMember(b []byte) []byte {
	var z bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&z, gzip.BestCompression)
	zw.Write(b)
	zw.Close()
	return z.Bytes()
}

// writeMembers writes head, then unit repeated times, as gzip members.
func writeMembers(file string, head, unit []byte, times int) error {
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	w.Write(gzipMember(head))
	z := gzipMember(unit)
	for range times {
		w.Write(z)
	}
	err = w.Flush()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// writeZeroBomb writes a gzip pcap of records zero-length records (a
// multiple of 2^20): 67 million are a gigabyte of pcap, a megabyte of gzip.
func writeZeroBomb(file string, records int) error {
	hdr := make([]byte, 24)
	binary.LittleEndian.PutUint32(hdr[0:], 0xa1b2c3d4)
	binary.LittleEndian.PutUint16(hdr[4:], 2)
	binary.LittleEndian.PutUint16(hdr[6:], 4)
	binary.LittleEndian.PutUint32(hdr[16:], 65535)
	binary.LittleEndian.PutUint32(hdr[20:], 1)
	const per = 1 << 20
	return writeMembers(file, hdr, make([]byte, 16*per), records/per)
}

// zeroBombRecords is issue 14's bomb: 64 Mi records (67,108,864).
const zeroBombRecords = 64 << 20

// writeNameBomb writes a gzip pcapng of ifaces interface descriptions
// (a multiple of 100) with 64 KiB names, the most an option holds, and
// before every 100 a TCP SYN on the first (named eth0): 20,000 of them
// are 1.3 GB of pcapng, 1.5 MB of gzip.
func writeNameBomb(file string, ifaces int) error {
	le := binary.LittleEndian
	block := func(b []byte, typ uint32, body []byte) []byte {
		for len(body)%4 != 0 {
			body = append(body, 0)
		}
		b = le.AppendUint32(b, typ)
		b = le.AppendUint32(b, uint32(len(body)+12))
		b = append(b, body...)
		return le.AppendUint32(b, uint32(len(body)+12))
	}
	head := block(nil, 0x0A0D0D0A, []byte{0x4D, 0x3C, 0x2B, 0x1A, 1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	head = block(head, 1, []byte{1, 0, 0, 0, 0xff, 0xff, 0, 0, 2, 0, 4, 0, 'e', 't', 'h', '0', 0, 0, 0, 0})
	idb := []byte{1, 0, 0, 0, 0xff, 0xff, 0, 0, 2, 0, 0xff, 0xff}
	idb = append(idb, bytes.Repeat([]byte("n"), 65535)...)
	idb = append(idb, 0, 0, 0, 0, 0) // padding, opt_endofopt
	syn := []byte{0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 6, 8, 0,
		0x45, 0, 0, 40, 0, 0, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, 2, 10, 0, 0, 1,
		0x9c, 0x40, 0, 80, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0}
	epb := make([]byte, 12)
	epb = le.AppendUint32(epb, uint32(len(syn)))
	epb = le.AppendUint32(epb, uint32(len(syn)))
	unit := block(nil, 6, append(epb, syn...))
	for range 100 {
		unit = block(unit, 1, idb)
	}
	return writeMembers(file, head, unit, ifaces/100)
}

// nameBombIfaces is issue 14's: 20,000 interfaces.
const nameBombIfaces = 20_000

// analyzeBomb runs portlens analyze --json with args on file and returns
// its report and stderr; the reading must have been stopped by the budget
// (exit status 2).
func analyzeBomb(t *testing.T, file string, args ...string) (analyzer.Report, string) {
	t.Helper()
	out, errOut, status := runCLI(t, append(append([]string{"analyze", "--json"}, args...), file)...)
	var rep analyzer.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("not JSON: %v\n%.500s", err, out)
	}
	if status != exitDamaged {
		t.Errorf("exit status %d, want %d (not read whole)", status, exitDamaged)
	}
	return rep, errOut
}

// checkStopped checks a report stopped by the memory budget: the frames
// before it analyzed, and stderr, the report's error, error_frame and
// error_offset saying where.
func checkStopped(t *testing.T, rep analyzer.Report, stderr, file, budget string) {
	t.Helper()
	if !rep.Stopped || rep.StopReason != analyzer.StopMemory || rep.Packets == 0 {
		t.Fatalf("stopped %v (%q) after %d packets: %s", rep.Stopped, rep.StopReason, rep.Packets, rep.Error)
	}
	prefix := fmt.Sprintf("frame %d at byte %d: memory budget of %s reached (", rep.Packets+1, rep.ErrorOffset, budget)
	suffix := fmt.Sprintf("); the results cover frames 1 to %d", rep.Packets)
	if rep.ErrorFrame != rep.Packets+1 || !strings.HasPrefix(rep.Error, prefix) || !strings.HasSuffix(rep.Error, suffix) {
		t.Errorf("error_frame %d, error %q", rep.ErrorFrame, rep.Error)
	}
	if want := "portlens: " + file + ": " + rep.Error + " (--max-memory sets the budget)\n"; stderr != want {
		t.Errorf("stderr %q\nwant   %q", stderr, want)
	}
}

// The zero-length bomb stops within the budget, the frames before judged;
// the text says the same as the JSON.
func TestAnalyzeZeroBomb(t *testing.T) {
	t.Chdir(t.TempDir())
	const file = "zero.pcap.gz"
	if err := writeZeroBomb(file, zeroBombRecords); err != nil {
		t.Fatal(err)
	}
	rep, stderr := analyzeBomb(t, file, "--max-memory", "64MiB")
	t.Logf("%d records, %d bytes of gzip: %s", zeroBombRecords, fileSize(t, file), rep.Error)
	checkStopped(t, rep, stderr, file, "64 MiB")
	// Frame N+1 starts after the file header and N 16-byte records.
	if rep.ErrorOffset != 24+16*int64(rep.Packets) || rep.Packets%4096 != 0 {
		t.Errorf("stopped at frame %d, byte %d", rep.ErrorFrame, rep.ErrorOffset)
	}
	out, _, status := runCLI(t, "analyze", "--max-memory", "64MiB", file)
	if status != exitDamaged || !strings.Contains(out, fmt.Sprintf("  read          %d packets", rep.Packets)) ||
		!strings.Contains(out, "  error         "+rep.Error+"\n") {
		t.Errorf("status %d, text:\n%s", status, out)
	}
}

// The interface-name bomb: the names are kept short, so the default
// budget reads it whole in a few megabytes (before, 20,000 names of 64
// KiB were 1.3 GB); a small budget stops it between two blocks, with the
// packets before judged.
func TestAnalyzeNameBomb(t *testing.T) {
	t.Chdir(t.TempDir())
	const file = "names.pcapng.gz"
	if err := writeNameBomb(file, nameBombIfaces); err != nil {
		t.Fatal(err)
	}
	rep, stderr := analyzeBomb(t, file, "--max-memory=16MiB")
	t.Logf("%d interfaces, %d bytes of gzip: %s", nameBombIfaces, fileSize(t, file), rep.Error)
	checkStopped(t, rep, stderr, file, "16 MiB")
	// After the section header and the first interface (60 bytes), units
	// of a packet (88 bytes) and 100 interfaces (65,564 bytes each): it
	// stopped at a block.
	if off := rep.ErrorOffset - 60 - 88*int64(rep.Packets); off <= 0 || off%65564 != 0 {
		t.Errorf("stopped at byte %d, not at a block", rep.ErrorOffset)
	}
	if testing.Short() {
		return
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	out, errOut, status := runCLI(t, "analyze", "--json", file)
	runtime.ReadMemStats(&after)
	if err := json.Unmarshal([]byte(out), &rep); err != nil || status != exitOK || rep.Packets != nameBombIfaces/100 {
		t.Fatalf("read whole: status %d, %d packets, %v %s", status, rep.Packets, err, errOut)
	}
	// Everything the analysis allocated, garbage included: the names
	// alone were 1.3 GB; now the most is the decompressed stream kept
	// while it may be small (32 MB, reallocated as it grows: 160 MB).
	allocated := after.TotalAlloc - before.TotalAlloc
	t.Logf("read whole under the default budget: %d packets, %d interfaces, %.1f MB allocated", rep.Packets, nameBombIfaces+1, float64(allocated)/1e6)
	if allocated > 400e6 {
		t.Errorf("reading the name bomb allocated %d bytes", allocated)
	}
}

func TestMaxMemoryFlag(t *testing.T) {
	out, errOut, status := runCLI(t, "analyze", "--max-memory", "lots", seeds+"seed-rst-storm.pcap")
	if status != exitUsage || out != "" || !strings.Contains(errOut, `invalid value "lots" for --max-memory`) {
		t.Errorf("status %d, stderr %q", status, errOut)
	}
	// 0: no budget; a budget that holds the file changes nothing.
	want, _, _ := runCLI(t, "analyze", "--json", seeds+"seed-rst-storm.pcap")
	for _, size := range []string{"0", "1GB"} {
		if got, _, status := runCLI(t, "analyze", "--json", "--max-memory", size, seeds+"seed-rst-storm.pcap"); got != want || status != exitOK {
			t.Errorf("--max-memory %s: status %d, the report differs", size, status)
		}
	}
}

func TestDefaultMaxMemory(t *testing.T) {
	files := func(m map[string]string) func(string) ([]byte, error) {
		return func(name string) ([]byte, error) {
			if s, ok := m[name]; ok {
				return []byte(s), nil
			}
			return nil, fs.ErrNotExist
		}
	}
	const meminfo = "MemTotal:       16318412 kB\nMemFree:         1000 kB\n"
	tests := []struct {
		name  string
		files map[string]string
		bits  int
		want  int64
	}{
		{"half the machine", map[string]string{"/proc/meminfo": meminfo}, 64, 16318412 << 10 / 2},
		{"no limit in cgroup v2", map[string]string{"/proc/meminfo": meminfo, "/proc/self/cgroup": "0::/user.slice\n",
			"/sys/fs/cgroup/user.slice/memory.max": "max\n"}, 64, 16318412 << 10 / 2},
		{"a container's limit", map[string]string{"/proc/meminfo": meminfo, "/proc/self/cgroup": "0::/\n",
			"/sys/fs/cgroup/memory.max": "2147483648\n"}, 64, 3 << 29},
		{"cgroup v1", map[string]string{"/proc/meminfo": meminfo, "/proc/self/cgroup": "4:memory:/job\n0::/\n",
			"/sys/fs/cgroup/memory/job/memory.limit_in_bytes": "1073741824\n"}, 64, 3 << 28},
		{"v1 without a limit", map[string]string{"/proc/meminfo": meminfo,
			"/sys/fs/cgroup/memory/memory.limit_in_bytes": "9223372036854771712\n"}, 64, 16318412 << 10 / 2},
		{"a limit above half the machine", map[string]string{"/proc/meminfo": meminfo,
			"/sys/fs/cgroup/memory.max": "68719476736\n"}, 64, 16318412 << 10 / 2},
		{"unknown", nil, 64, fallbackMaxMemory},
		{"32-bit", map[string]string{"/proc/meminfo": meminfo}, 32, max32MaxMemory},
	}
	for _, tc := range tests {
		if got := maxMemoryFrom(files(tc.files), tc.bits); got != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, got, tc.want)
		}
	}
	if d := defaultMaxMemory(); d <= 0 {
		t.Errorf("default %d", d)
	}
}
