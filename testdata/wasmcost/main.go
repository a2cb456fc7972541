// Command wasmcost counts the machine instructions a packet of the whole
// analysis costs in the page: the analysis built for js/wasm as app.wasm
// is (with a PGO profile), run in node under valgrind, by V8's optimizing
// compiler alone and on one thread (--no-liftoff --single-threaded: with
// its baseline compiler and background tier-up, what ran optimized
// depended on thread timing, and counts varied by 10%). Unlike a time,
// the count is the same from run to run (within 0.1%) on a shared machine
// whose speed changes by half over a day, so two builds compare in one
// run each: which PGO profile to commit, whether a change to the
// per-packet path pays under wasm.
//
//	go run ./testdata/wasmcost [-pgo wasm/default.pgo]
//
// It counts two runs, of one and of three analyses of the 200,000-packet
// benchmark capture, and reports the difference over 400,000 packets: what
// the start of node, the generation of the capture and the compilation of
// the wasm cost falls out.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
)

// packets is the benchmark capture's size in ./analysis.
const packets = 200_000

func main() {
	pgo := flag.String("pgo", "wasm/default.pgo", "the PGO profile to build with (off: none)")
	flag.Parse()
	for _, tool := range []string{"valgrind", "node"} {
		if _, err := exec.LookPath(tool); err != nil {
			fail("wasmcost needs %s (Debian: apt-get install -y %s)", tool, tool)
		}
	}
	dir, err := os.MkdirTemp("", "wasmcost")
	if err != nil {
		fail("%v", err)
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "analysis.wasm")
	build := exec.Command("go", "build", "-trimpath", "-pgo="+*pgo, "-o", bin, "./testdata/wasmcost/analysis")
	build.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	if out, err := build.CombinedOutput(); err != nil {
		fail("building the analysis for js/wasm: %v\n%s", err, out)
	}
	var one, three uint64
	var wg sync.WaitGroup
	wg.Go(func() { one = instructions(bin, 1) })
	wg.Go(func() { three = instructions(bin, 3) })
	wg.Wait()
	per := float64(three-one) / (2 * packets)
	fmt.Printf("%.0f instructions a packet (pgo %s; %d for one analysis, %d for three)\n", per, *pgo, one, three)
}

var refs = regexp.MustCompile(`I\s+refs:\s+([\d,]+)`)

// instructions runs the analysis reps times in node under valgrind and
// returns the instructions it took.
func instructions(bin string, reps int) uint64 {
	root, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		fail("go env GOROOT: %v", err)
	}
	execJS := filepath.Join(strings.TrimSpace(string(root)), "lib", "wasm", "wasm_exec_node.js")
	// --smc-check=all: V8 writes and rewrites the code it runs.
	cmd := exec.Command("valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null",
		"--smc-check=all", "node", "--no-liftoff", "--single-threaded", "--stack-size=8192", execJS, bin, strconv.Itoa(reps))
	out, err := cmd.CombinedOutput()
	m := refs.FindSubmatch(out)
	if err != nil || m == nil {
		fail("valgrind node %s %d: %v\n%s", bin, reps, err, out)
	}
	n, _ := strconv.ParseUint(strings.ReplaceAll(string(m[1]), ",", ""), 10, 64)
	return n
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "wasmcost: "+format+"\n", args...)
	os.Exit(1)
}
