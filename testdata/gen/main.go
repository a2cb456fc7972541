// Command gen writes portlens's test captures, deterministically: fixed
// timestamps, ISNs and addresses, so two runs give byte-identical files.
//
//	go run ./testdata/gen                 # Wireshark-rule captures -> testdata/captures
//	go run ./testdata/gen -rules          # policy-rule captures   -> testdata/rules
//
// Each scenario is one small function (scenarios.go, rules.go) listed in a
// table with its file name and what it shows. Expected results for the
// Wireshark set come from Wireshark itself (see testdata/README.md).
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gopacket/gopacket/layers"
)

// capture is one file to write.
type capture struct {
	name  string
	desc  string
	build func() []pkt
	// flagged, for the rules set, is the frames (1-based) the rule must
	// flag; set by build.
	flagged *[]int
	// findings, for the rules set, is the findings a case must give (a
	// case about findings); set by build.
	findings *[]caseFinding
	// links are the link types of the file; several only for pcapng, where
	// pkt.iface indexes them. Empty means Ethernet.
	links  []layers.LinkType
	format format // zero value: little-endian microsecond pcap
}

func main() {
	rules := flag.Bool("rules", false, "write the policy-rule captures (testdata/rules) instead of the Wireshark set")
	out := flag.String("out", "", "output directory (default testdata/captures, or testdata/rules with -rules)")
	flag.Parse()
	dir, set := "testdata/captures", wiresharkCaptures
	if *rules {
		dir, set = "testdata/rules", ruleCaptures
	}
	if *out != "" {
		dir = *out
	}
	if err := writeAll(dir, set(), *rules); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

// writeAll writes every capture of the set into dir (and, for the rules
// set, cases.json).
func writeAll(dir string, caps []capture, rules bool) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, c := range caps {
		b, err := render(c, c.build())
		if err != nil {
			return fmt.Errorf("%s: %w", c.name, err)
		}
		if err := os.WriteFile(filepath.Join(dir, c.name), b, 0o644); err != nil {
			return err
		}
	}
	if rules {
		return writeCases(filepath.Join(dir, "cases.json"), caps)
	}
	return nil
}

// render frames a capture's packets and encodes the file.
func render(c capture, pkts []pkt) ([]byte, error) {
	links := c.links
	if len(links) == 0 {
		links = []layers.LinkType{layers.LinkTypeEthernet}
	}
	if len(pkts) == 0 {
		return nil, fmt.Errorf("no packets")
	}
	local := srcAddr(pkts[0].ip)
	recs := make([]record, len(pkts))
	for i, p := range pkts {
		data := frame(links[p.iface], p, local)
		recs[i] = record{at: p.at, iface: p.iface, data: data}
		if p.snap > 0 && p.snap < len(data) { // cut by the capture's snap length
			recs[i].data, recs[i].orig = data[:p.snap], len(data)
		}
	}
	fileLinks := make([]layers.LinkType, len(links))
	for i, lt := range links {
		fileLinks[i] = fileLinkType(lt)
	}
	return encode(c.format, fileLinks, recs, strings.HasSuffix(c.name, ".gz"))
}

// timeline collects a scenario's packets with their capture times.
type timeline struct {
	now  time.Duration
	pkts []pkt
}

// wait moves the clock forward.
func (t *timeline) wait(d time.Duration) { t.now += d }

// tcp appends segments, each gap after the previous packet.
func (t *timeline) tcp(gap time.Duration, segs ...seg) {
	for _, s := range segs {
		t.ip(gap, s.bytes())
	}
}

// ip appends an IP packet gap after the previous packet.
func (t *timeline) ip(gap time.Duration, b []byte) {
	t.now += gap
	t.pkts = append(t.pkts, pkt{at: t.now, ip: b})
}

// Common round-trip times.
const (
	lan = 300 * time.Microsecond
	wan = 18 * time.Millisecond
)

// handshake appends SYN, SYN/ACK and ACK.
func (t *timeline) handshake(c *conn, rtt time.Duration) {
	t.tcp(0, c.syn())
	t.tcp(rtt, c.synAck())
	t.tcp(40*time.Microsecond, c.ack(true))
}

// request appends a request and a response with their ACKs.
func (t *timeline) request(c *conn, rtt time.Duration, req, resp int) {
	t.tcp(200*time.Microsecond, c.data(true, req))
	t.tcp(rtt, c.data(false, resp))
	t.tcp(40*time.Microsecond, c.ack(true))
}

// closeBy appends a FIN/ACK exchange started by the client or the server.
func (t *timeline) closeBy(c *conn, client bool, rtt time.Duration) {
	t.tcp(time.Millisecond, c.fin(client))
	t.tcp(rtt, c.fin(!client))
	t.tcp(40*time.Microsecond, c.ack(client))
}
