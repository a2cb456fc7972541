package main

import (
	"bufio"
	"bytes"
	"os"
	"path"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"time"

	"github.com/portlens/portlens/analyzer"
)

// sizeFlag is a flag holding a size in bytes (analyzer.ParseSize).
type sizeFlag struct{ n int64 }

func (f *sizeFlag) String() string {
	if f.n == 0 {
		return "0"
	}
	return analyzer.FormatSize(f.n)
}

func (f *sizeFlag) Set(s string) error {
	n, err := analyzer.ParseSize(s)
	if err != nil {
		return err
	}
	f.n = n
	return nil
}

// The default of --max-memory. An analysis that stops within its budget
// still gives a result; one that runs the machine out of memory is killed
// and gives nothing, so the default stays well under what the machine
// has: half its memory (the rest for the system, the page cache and the
// programs around), or three quarters of a lower cgroup limit (a
// container's memory is its programs'). The budget bounds what the
// analysis holds times the garbage collector's room; the resident memory
// of the command stays near it (about 20 MB more for the runtime and the
// buffers). Where the memory cannot be read (other systems than Linux),
// 4 GiB: a 67-million-frame capture fits in a few hundred megabytes, so
// only hostile or truly huge input meets it. A 32-bit program cannot
// address more than 2 to 4 GiB in all: 1 GiB there.
const (
	fallbackMaxMemory = 4 << 30
	max32MaxMemory    = 1 << 30
)

// memoryLimitSlack is what the Go runtime's soft memory limit allows over
// the budget: the runtime's own memory, the buffers, the output.
const memoryLimitSlack = 64 << 20

// defaultMaxMemory is --max-memory's default on this machine.
func defaultMaxMemory() int64 {
	return maxMemoryFrom(os.ReadFile, strconv.IntSize)
}

// maxMemoryFrom works out the default from the files read by readFile
// (/proc/meminfo, the cgroup's limit), for a program of intBits bits.
func maxMemoryFrom(readFile func(string) ([]byte, error), intBits int) int64 {
	var def int64
	if total := memTotal(readFile); total > 0 {
		def = total / 2
	}
	if limit := cgroupLimit(readFile); limit > 0 && (def == 0 || limit*3/4 < def) {
		def = limit * 3 / 4
	}
	if def == 0 {
		def = fallbackMaxMemory
	}
	if intBits == 32 {
		def = min(def, max32MaxMemory)
	}
	return def
}

// memTotal is MemTotal from /proc/meminfo, in bytes; 0 when unknown.
func memTotal(readFile func(string) ([]byte, error)) int64 {
	b, err := readFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "MemTotal:"); ok {
			f := strings.Fields(rest)
			if len(f) == 2 && f[1] == "kB" {
				if kb, err := strconv.ParseInt(f[0], 10, 64); err == nil && kb > 0 {
					return kb << 10
				}
			}
		}
	}
	return 0
}

// cgroupLimit is the memory limit of the process's cgroup (v2's
// memory.max, or v1's memory.limit_in_bytes), 0 when there is none.
func cgroupLimit(readFile func(string) ([]byte, error)) int64 {
	var files []string
	if b, err := readFile("/proc/self/cgroup"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if p, ok := strings.CutPrefix(line, "0::"); ok { // v2
				files = append(files, path.Join("/sys/fs/cgroup", p, "memory.max"))
			}
			if _, p, ok := strings.Cut(line, ":memory:"); ok { // v1
				files = append(files, path.Join("/sys/fs/cgroup/memory", p, "memory.limit_in_bytes"))
			}
		}
	}
	// Inside a container its own cgroup is mounted at the root.
	files = append(files, "/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes")
	for _, f := range files {
		b, err := readFile(f)
		if err != nil {
			continue
		}
		// "max" or, in v1, a number near 2^63 say there is no limit.
		n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
		if err == nil && n > 0 && n < 1<<60 {
			return n
		}
	}
	return 0
}

// paceCollector keeps the collector's room in proportion as the heap
// grows: half the live heap (GOGC 50) while it is small, a quarter past
// bigHeap, where the room would be hundreds of megabytes (a 23M-packet
// capture: 1.1 GB of RSS at GOGC 50 for 0.75 GB live). Small captures
// keep the cheaper pace. It returns a func that stops the pacing.
func paceCollector() (stop func()) {
	debug.SetGCPercent(50)
	done := make(chan struct{})
	go func() {
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		for {
			select {
			case <-done:
				return
			case <-tick.C:
			}
			metrics.Read(s)
			if s[0].Value.Kind() == metrics.KindUint64 && s[0].Value.Uint64() > bigHeap {
				debug.SetGCPercent(25)
				return
			}
		}
	}()
	return func() { close(done) }
}

// bigHeap is where paceCollector goes to a quarter's room.
const bigHeap = 384 << 20
