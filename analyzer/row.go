package analyzer

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"sort"
	"strconv"
	"strings"

	"github.com/portlens/portlens/analyzer/capture"
	"github.com/portlens/portlens/analyzer/decode"
	"github.com/portlens/portlens/analyzer/rules"
)

// Row is one packet as the packet list shows it, decoded again on demand.
type Row struct {
	Number      int
	Time        int64 // ns since the epoch
	Source      string
	Destination string
	Protocol    string
	Length      int // on the wire
	Captured    int // bytes in the capture
	Info        string
	Stream      int
	Link        capture.LinkType
	Packet      decode.Packet
	Flags       []rules.Flag
}

// spillBytes is how much of each packet a compressed capture keeps in
// memory, since it cannot be re-read at an offset: enough for headers.
const spillBytes = 160

// spill keeps the head of a packet for captures that cannot be re-read.
func (r *Result) spill(cp *capture.Packet) int64 {
	off := int64(len(r.spilled))
	data := cp.Data[:min(len(cp.Data), spillBytes)]
	var hdr [18]byte
	binary.LittleEndian.PutUint64(hdr[0:], uint64(cp.Time))
	binary.LittleEndian.PutUint32(hdr[8:], uint32(cp.Length))
	binary.LittleEndian.PutUint32(hdr[12:], uint32(cp.Link))
	binary.LittleEndian.PutUint16(hdr[16:], uint16(len(data)))
	r.spilled = append(r.spilled, hdr[:]...)
	r.spilled = append(r.spilled, data...)
	return off
}

func (r *Result) unspill(off int64) capture.Packet {
	b := r.spilled[off:]
	n := int(binary.LittleEndian.Uint16(b[16:]))
	return capture.Packet{
		Time:   int64(binary.LittleEndian.Uint64(b[0:])),
		Length: int(binary.LittleEndian.Uint32(b[8:])),
		Link:   capture.LinkType(binary.LittleEndian.Uint32(b[12:])),
		Data:   b[18 : 18+n],
		Offset: off,
	}
}

// Packet returns frame n (1-based) as captured: from memory for a
// compressed capture, else read again from src, the same file.
func (r *Result) Packet(src io.ReaderAt, n int) (capture.Packet, error) {
	if n < 1 || n > len(r.Frames) {
		return capture.Packet{}, fmt.Errorf("no frame %d (the capture has %d)", n, len(r.Frames))
	}
	off := r.Frames[n-1].Offset
	if r.info.Compressed {
		return r.unspill(off), nil
	}
	if r.reader == nil || src == nil {
		return capture.Packet{}, errors.New("the capture is not available to read again")
	}
	p, err := r.reader.PacketAt(src, off)
	if err != nil {
		return capture.Packet{}, err
	}
	return *p, nil
}

// Row decodes frame n again for display.
func (r *Result) Row(src io.ReaderAt, n int) (Row, error) {
	cp, err := r.Packet(src, n)
	if err != nil {
		return Row{}, err
	}
	row := Row{Number: n, Time: cp.Time, Length: cp.Length, Captured: len(cp.Data), Link: cp.Link,
		Stream: int(r.Frames[n-1].Stream), Flags: r.FlagsOf(n)}
	_ = decode.NewDecoder().Decode(cp.Link, cp.Data, &row.Packet)
	p := &row.Packet
	row.Source, row.Destination = addrString(p.OuterSrc), addrString(p.OuterDst)
	row.Protocol = p.Transport.String()
	if p.InICMPError {
		row.Protocol = map[decode.Transport]string{decode.ICMPv4: "ICMP", decode.ICMPv6: "ICMPv6"}[icmpOf(p)]
	}
	if row.Protocol == "" {
		row.Protocol = cp.Link.String()
	}
	row.Info = r.infoText(row)
	return row, nil
}

func icmpOf(p *decode.Packet) decode.Transport {
	if p.IPVersion == 6 {
		return decode.ICMPv6
	}
	return decode.ICMPv4
}

func addrString(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.String()
}

// FlagsOf returns the flags raised on frame n.
// The rules return flags sorted by frame, so this is a binary search: a
// big capture has tens of thousands of flags and every row asks.
func (r *Result) FlagsOf(n int) []rules.Flag {
	fl := r.Flags
	lo := sort.Search(len(fl), func(i int) bool { return fl[i].Frame >= n })
	hi := lo
	for hi < len(fl) && fl[hi].Frame == n {
		hi++
	}
	if lo == hi {
		return nil
	}
	return fl[lo:hi:hi]
}

// info builds a Wireshark-like Info column.
func (r *Result) infoText(row Row) string {
	p := &row.Packet
	var b strings.Builder
	for _, f := range row.Flags {
		if f.Kind == rules.ReusedPorts {
			b.WriteString("[TCP Port numbers reused] ")
		}
	}
	switch {
	case p.InICMPError:
		fmt.Fprintf(&b, "%s error (type %d, code %d) quoting %s %s → %s", icmpOf(p), p.ICMPType, p.ICMPCode,
			p.Transport, netip.AddrPortFrom(p.Src, p.SrcPort), netip.AddrPortFrom(p.Dst, p.DstPort))
	case p.Transport == decode.TCP:
		r.tcpInfo(&b, row)
	case p.Transport == decode.UDP:
		fmt.Fprintf(&b, "%d → %d Len=%d", p.SrcPort, p.DstPort, p.PayloadLen)
	case p.Transport == decode.SCTP:
		fmt.Fprintf(&b, "%d → %d %s", p.SrcPort, p.DstPort, sctpChunkName(p.SCTPChunk))
	case p.Transport == decode.ICMPv4 || p.Transport == decode.ICMPv6:
		fmt.Fprintf(&b, "type %d, code %d", p.ICMPType, p.ICMPCode)
	case p.Fragment:
		b.WriteString("Fragmented IP protocol")
	}
	return b.String()
}

func (r *Result) tcpInfo(b *strings.Builder, row Row) {
	p := &row.Packet
	fmt.Fprintf(b, "%d → %d [%s] ", p.SrcPort, p.DstPort, FlagNames(p.Flags))
	seq, ack := p.Seq, p.Ack
	if row.Stream >= 0 && row.Stream < len(r.Conversations) {
		c := &r.Conversations[row.Stream]
		dir := c.DirOf(p.SrcAddrPort())
		if c.BaseSet[dir] {
			seq -= c.Base[dir]
		}
		if c.BaseSet[dir.Reverse()] {
			ack -= c.Base[dir.Reverse()]
		}
	}
	fmt.Fprintf(b, "Seq=%d", seq)
	if p.Flags.Has(decode.ACK) {
		fmt.Fprintf(b, " Ack=%d", ack)
	}
	fmt.Fprintf(b, " Win=%d Len=%d", p.Window, p.PayloadLen)
	o := p.Options
	if o.HasMSS {
		fmt.Fprintf(b, " MSS=%d", o.MSS)
	}
	if o.SACKPerm {
		b.WriteString(" SACK_PERM")
	}
	if o.HasTS {
		fmt.Fprintf(b, " TSval=%d TSecr=%d", o.TSVal, o.TSEcr)
	}
	if o.HasWScale {
		fmt.Fprintf(b, " WS=%d", 1<<min(o.WScale, 14))
	}
}

var flagNames = []string{"FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR", "AE"}

// FlagNames lists set TCP flags the way Wireshark's Info column does.
func FlagNames(f decode.TCPFlags) string {
	var parts []string
	for i, name := range flagNames {
		if f&(1<<i) != 0 {
			parts = append(parts, name)
		}
	}
	if len(parts) == 0 {
		return "<None>"
	}
	return strings.Join(parts, ", ")
}

func sctpChunkName(t uint8) string {
	names := map[uint8]string{0: "DATA", 1: "INIT", 2: "INIT_ACK", 3: "SACK", 4: "HEARTBEAT", 5: "HEARTBEAT_ACK",
		6: "ABORT", 7: "SHUTDOWN", 8: "SHUTDOWN_ACK", 9: "ERROR", 10: "COOKIE_ECHO", 11: "COOKIE_ACK", 14: "SHUTDOWN_COMPLETE"}
	if n, ok := names[t]; ok {
		return n
	}
	return "chunk " + strconv.Itoa(int(t))
}
