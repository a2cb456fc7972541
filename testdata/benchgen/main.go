// Command benchgen writes the benchmark capture (see package benchcap):
//
//	go run ./testdata/benchgen -packets 1000000 -out /tmp/bench-1m.pcap
//
// The file is deterministic: the same -packets and -seed give the same
// bytes. Write it outside the repository (or under a gitignored dir): a
// million packets are about 100 MB.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/portlens/portlens/testdata/benchgen/benchcap"
)

func main() {
	packets := flag.Int("packets", 1_000_000, "number of packets")
	out := flag.String("out", "", "output pcap file (required)")
	seed := flag.Uint64("seed", 1, "random seed")
	ng := flag.Bool("pcapng", false, "write pcapng (EPBs with an epb_flags option) instead of pcap")
	copies := flag.Int("copies", 1, "write this many time-shifted copies of one run (most conversations then reuse ports)")
	flag.Parse()
	if *out == "" || *packets < 0 {
		flag.Usage()
		os.Exit(2)
	}
	f, err := os.Create(*out)
	if err == nil {
		err = benchcap.Write(f, benchcap.Config{Packets: *packets, Seed: *seed, PcapNG: *ng, Copies: *copies})
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchgen:", err)
		os.Exit(1)
	}
}
