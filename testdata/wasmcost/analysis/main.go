// Command analysis runs the whole analysis (read, decode, track, judge)
// of the benchmark capture a number of times, as the page runs it: what
// testdata/wasmcost counts the instructions of, built for js/wasm as
// app.wasm is.
//
//	analysis REPS
package main

import (
	"bytes"
	"fmt"
	"os"
	"strconv"

	"github.com/portlens/portlens/analyzer"
	"github.com/portlens/portlens/testdata/benchgen/benchcap"
)

// packets is the size of the benchmark capture it analyzes (wasmcost
// divides by it).
const packets = 200_000

func main() {
	reps, err := strconv.Atoi(os.Args[len(os.Args)-1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "usage: analysis REPS")
		os.Exit(2)
	}
	file := benchcap.Bytes(packets)
	for range reps {
		// As the page does (app/analysis.go): steps of 512 packets, then
		// the rules. (The call structure decides what the compiler
		// inlines: Analyze's loop is another caller of Step.)
		run := analyzer.Start("bench.pcap", bytes.NewReader(file), analyzer.DefaultOptions())
		for run.Step(512) {
		}
		res := run.Result()
		if res.Packets != packets || res.Error != "" {
			fmt.Fprintf(os.Stderr, "%d packets, error %q\n", res.Packets, res.Error)
			os.Exit(1)
		}
	}
}
