package analyzer

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
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

// source returns what rows are read from: the caller's file, or the
// decompressed bytes a small gzip capture kept in memory.
func (r *Result) source(src io.ReaderAt) io.ReaderAt {
	if r.kept != nil {
		return r.kept
	}
	return src
}

// Packet returns frame n (1-based) as captured, read again from src, the
// same file the analysis read (for a gzip capture, the compressed file).
// Its Data is valid until the next call. Frames asked for in increasing
// order are read in one pass.
func (r *Result) Packet(src io.ReaderAt, n int) (capture.Packet, error) {
	if n < 1 || n > r.Frames.Len() {
		return capture.Packet{}, fmt.Errorf("no frame %d (the capture has %d)", n, r.Frames.Len())
	}
	src = r.source(src)
	if r.reader == nil || src == nil {
		return capture.Packet{}, errors.New("the capture is not available to read again")
	}
	off, skip := r.Frames.checkpoint(n)
	// Reading on from where the cursor is spares a seek (and, in a gzip
	// capture, decompressing from the start again).
	if r.cursor == nil || r.cursorSrc != src || r.cursorFrame >= n || n-r.cursorFrame > skip+1 {
		if r.cursor == nil {
			open := r.reader.CursorAt
			if r.kept != nil {
				open = r.reader.DecompressedCursorAt
			}
			c, err := open(src, off)
			if err != nil {
				return capture.Packet{}, err
			}
			r.cursor = c
		} else if err := r.cursor.Seek(src, off); err != nil {
			r.cursor = nil
			return capture.Packet{}, err
		}
		r.cursorFrame, r.cursorSrc = n-skip-1, src
	}
	for {
		p, err := r.cursor.Next()
		if err != nil {
			r.cursor = nil
			if err == io.EOF {
				err = fmt.Errorf("frame %d lies beyond the end of the file read again", n)
			}
			return capture.Packet{}, err
		}
		r.cursorFrame++
		if r.cursorFrame == n {
			return *p, nil
		}
	}
}

// Row decodes frame n again for display.
func (r *Result) Row(src io.ReaderAt, n int) (Row, error) {
	cp, err := r.Packet(src, n)
	if err != nil {
		return Row{}, err
	}
	row := Row{Number: n, Time: cp.Time, Length: cp.Length, Captured: len(cp.Data), Link: cp.Link,
		Stream: r.Frames.Stream(n), Flags: r.FlagsOf(n)}
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
	if row.Stream >= 0 && row.Stream < r.Conversations.Len() {
		c := r.Conversations.At(row.Stream)
		dir := r.Frames.At(row.Number).Dir
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
