package analyzer

import (
	"errors"
	"io"

	"github.com/portlens/portlens/analyzer/capture"
	"github.com/portlens/portlens/analyzer/conv"
	"github.com/portlens/portlens/analyzer/decode"
	"github.com/portlens/portlens/analyzer/filter"
	"github.com/portlens/portlens/analyzer/rules"
)

// Display filters (Wireshark's language, analyzer/filter) over a result's
// frames: one implementation for the page's filter box and the command's
// -Y. A frame is described from the analysis' per-frame columns (its
// conversation's addresses and ports, its TCP flags, its flags and
// findings), and read again from the file only when the filter asks for
// what the columns do not hold: lengths, times, Ethernet addresses, raw
// sequence numbers, the bytes, or any address or port of a frame with
// several IP layers or transport headers (a tunnel, an ICMP error, an
// sFlow datagram of sampled packets).

// Describer fills filter.Frames for a result's frames, in increasing
// order (it walks the flags alongside). It reads frames again from its
// source when the filter needs it; not safe for concurrent use.
type Describer struct {
	r    *Result
	src  io.ReaderAt
	need filter.Need
	dec  *decode.Decoder
	pkt  decode.Packet
	flag int // index of the next flag not before the frame described
}

// Describer returns a Describer of r's frames for a filter needing need,
// reading packets again from src (the file the analysis read) if needed.
func (r *Result) Describer(need filter.Need, src io.ReaderAt) *Describer {
	return &Describer{r: r, src: src, need: need, dec: decode.NewDecoder()}
}

// packetFields are the groups only a frame's bytes hold.
const packetFields = filter.NeedFrame | filter.NeedEth | filter.NeedTCPSeq | filter.NeedData

// layerFields are the groups the columns hold for a frame with one IP
// layer and one transport header only.
const layerFields = filter.NeedProtos | filter.NeedIP | filter.NeedPorts | filter.NeedTCPFlags | filter.NeedStream

// NeedsPackets reports whether a filter needing need reads frames again
// for every frame (not only for the few with several layers).
func NeedsPackets(need filter.Need) bool { return need&packetFields != 0 }

// Describe fills fr with frame n (1-based; n never decreases between
// calls).
func (d *Describer) Describe(fr *filter.Frame, n int) error {
	fr.Reset()
	fr.Number = int64(n)
	col := d.r.Frames.At(n)
	var err error
	if d.need&packetFields != 0 || (d.need&layerFields != 0 && (col.Layered || d.needsIP(col))) {
		err = d.fromPacket(fr, n, col)
	} else {
		d.fromColumns(fr, col)
	}
	if d.need&(filter.NeedReused|filter.NeedFindings) != 0 {
		d.flags(fr, n)
	}
	return err
}

// needsIP reports whether the filter reads addresses the columns do not
// have for col: an IP frame that belongs to no conversation (ICMP, other
// protocols over IP).
func (d *Describer) needsIP(col Frame) bool {
	if d.need&filter.NeedIP == 0 || col.Transport == decode.None {
		return false
	}
	switch col.Transport {
	case decode.TCP, decode.UDP, decode.SCTP:
		return col.Ref < 0
	}
	return true
}

// protos are the protocols col's columns say the frame holds.
func protos(col Frame) filter.Protos {
	var p filter.Protos
	if col.Ethernet {
		p |= filter.ProtoEth
	}
	if col.Transport != decode.None {
		if col.IPv6 {
			p |= filter.ProtoIPv6
		} else {
			p |= filter.ProtoIP
		}
	}
	switch col.Transport {
	case decode.TCP:
		p |= filter.ProtoTCP
	case decode.UDP:
		p |= filter.ProtoUDP
	case decode.SCTP:
		p |= filter.ProtoSCTP
	case decode.ICMPv4:
		p |= filter.ProtoICMP
	case decode.ICMPv6:
		p |= filter.ProtoICMPv6
	}
	return p
}

// fromColumns describes a frame of at most one IP layer and one transport
// header from the columns.
func (d *Describer) fromColumns(fr *filter.Frame, col Frame) {
	fr.Protos = protos(col)
	src, dst, ok := d.endpoints(col)
	if !ok {
		return
	}
	hosts := d.r.Hosts
	fr.AddIP(hosts.Addr(src.Host), hosts.Addr(dst.Host))
	switch col.Transport {
	case decode.TCP:
		fr.AddTCP(filter.TCP{Src: src.Port, Dst: dst.Port, Stream: col.Ref, Flags: col.Flags})
	case decode.UDP:
		fr.AddUDP(src.Port, dst.Port)
	case decode.SCTP:
		fr.AddSCTP(src.Port, dst.Port)
	}
}

// endpoints are the sender and receiver of col in its conversation.
func (d *Describer) endpoints(col Frame) (src, dst conv.Endpoint, ok bool) {
	if col.Ref < 0 {
		return src, dst, false
	}
	var a, b conv.Endpoint
	switch col.Transport {
	case decode.TCP:
		c := d.r.Conversations.At(int(col.Ref))
		a, b = c.A, c.B
	case decode.UDP:
		f := d.r.UDPFlows.At(int(col.Ref))
		a, b = f.A, f.B
	case decode.SCTP:
		as := &d.r.Associations[col.Ref]
		a, b = as.A, as.B
	default:
		return src, dst, false
	}
	if col.Dir == conv.FromB {
		a, b = b, a
	}
	return a, b, true
}

// fromPacket reads frame n again and describes it from its bytes: the
// outer and the innermost IP header (a tunnel's, an ICMP error's quote),
// the innermost transport header, the first Ethernet header; or, for an
// sFlow datagram, every header of every sample (addSFlow).
func (d *Describer) fromPacket(fr *filter.Frame, n int, col Frame) error {
	cp, err := d.r.Packet(d.src, n)
	if err != nil {
		d.fromColumns(fr, col) // what is known, rather than nothing
		return err
	}
	fr.Len, fr.CapLen, fr.TimeRel, fr.Data = int64(cp.Length), int64(len(cp.Data)), cp.Time-d.r.StartTime, cp.Data
	p := &d.pkt
	_ = d.dec.Decode(cp.Link, cp.Data, p)
	if ethers := d.dec.Ethers(); len(ethers) > 0 {
		for _, e := range ethers { // Wireshark's eth.addr holds every Ethernet header's
			fr.AddEth(filter.MAC(e[6:12]), filter.MAC(e[0:6]))
		}
	} else if cp.Link == capture.LinkEthernet && len(cp.Data) >= 12 {
		fr.AddEth(filter.MAC(cp.Data[6:12]), filter.MAC(cp.Data[0:6]))
	}
	if carrier, samples, ok := d.dec.SFlow(); ok {
		fr.Protos |= protos(col)
		d.addSFlow(fr, carrier, samples, col)
		return nil
	}
	if p.IPVersion != 0 {
		if (p.Tunnelled || p.InErrorPkt()) && p.OuterSrc.IsValid() {
			fr.AddIP(p.OuterSrc, p.OuterDst)
		}
		if p.Src.IsValid() {
			fr.AddIP(p.Src, p.Dst)
		}
	}
	fr.Protos |= protos(col)
	if p.ICMPType != 0 || p.InICMPError {
		// The ICMP message rides on the outer IP header.
		outer := p.OuterSrc
		if !outer.IsValid() {
			outer = p.Src
		}
		if outer.Is6() && !outer.Is4In6() {
			fr.Protos |= filter.ProtoICMPv6
		} else {
			fr.Protos |= filter.ProtoICMP
		}
	}
	udps := d.dec.UDPs() // every UDP header but a quoted one: a tunnel's, then the innermost
	for _, u := range udps {
		fr.Protos |= filter.ProtoUDP
		fr.AddUDP(u[0], u[1])
	}
	switch p.Transport {
	case decode.TCP:
		fr.AddTCP(tcpFields(p, int32(col.Stream())))
	case decode.UDP:
		if len(udps) == 0 || p.InICMPError { // the fast path's, or a quote's
			fr.AddUDP(p.SrcPort, p.DstPort)
		}
	case decode.SCTP:
		fr.AddSCTP(p.SrcPort, p.DstPort)
	default:
		if src, dst, ok := d.dec.CutTCP(); ok {
			// Fewer than 16 bytes: Wireshark shows the ports, nothing after.
			fr.Protos |= filter.ProtoTCP
			fr.AddTCP(filter.TCP{Src: src, Dst: dst, Stream: -1,
				Absent: filter.AbsentFlags | filter.AbsentSeq | filter.AbsentAck | filter.AbsentLen})
		}
	}
	return nil
}

// tcpFields are the fields Wireshark 4.4 shows of p's TCP header: of a
// quote in an ICMP error neither seq_raw nor len; of a header whose data
// offset is below 20 bytes no ack_raw and no flags (it stops at the
// offset) but a tcp.len counted from that offset; of a segment shorter
// than its header no tcp.len.
func tcpFields(p *decode.Packet, stream int32) filter.TCP {
	t := filter.TCP{Src: p.SrcPort, Dst: p.DstPort, Stream: stream, Flags: p.Flags,
		Seq: p.Seq, Ack: p.Ack, Len: uint32(max(p.TCPSegLen, 0))}
	if p.InICMPError {
		t.Absent = filter.AbsentSeq | filter.AbsentLen
		return t
	}
	if p.TCPHeader == decode.HeaderBadOffset {
		t.Absent |= filter.AbsentAck | filter.AbsentFlags
	}
	if p.TCPSegLen < 0 {
		t.Absent |= filter.AbsentLen
	}
	return t
}

// addSFlow describes the frame just decoded, an sFlow datagram, as
// Wireshark dissects it: the datagram's IP and UDP headers, then every
// sampled packet's Ethernet, IP and transport headers, in order. A
// sampled TCP header, like an ICMP error's quote, has no tcp.len; the
// first one has the frame's tcp.stream (Frame.Ref), the others none
// known, since the analysis keeps one conversation a frame.
func (d *Describer) addSFlow(fr *filter.Frame, carrier decode.SFlow, samples int, col Frame) {
	p := &d.pkt
	if p.Tunnelled && p.OuterSrc.IsValid() {
		fr.AddIP(p.OuterSrc, p.OuterDst)
	}
	fr.AddIP(carrier.Src, carrier.Dst)
	fr.AddUDP(carrier.SrcPort, carrier.DstPort)
	stream := int32(col.Stream())
	extra := d.dec.Extra()
	for i := range samples {
		if src, dst, ok := d.dec.SampleEthernet(i); ok {
			fr.AddEth(src, dst)
		}
		s := p
		if i > 0 {
			if i > len(extra) {
				break
			}
			s = &extra[i-1]
		}
		if !s.Sampled { // no IP header in the sample (ARP, say)
			continue
		}
		fr.AddIP(s.Src, s.Dst)
		switch s.Transport {
		case decode.TCP:
			fr.AddTCP(filter.TCP{Src: s.SrcPort, Dst: s.DstPort, Stream: stream, Flags: s.Flags,
				Seq: s.Seq, Ack: s.Ack, Absent: filter.AbsentLen})
			stream = -1
		case decode.UDP:
			fr.AddUDP(s.SrcPort, s.DstPort)
		case decode.SCTP:
			fr.AddSCTP(s.SrcPort, s.DstPort)
		}
	}
}

// flags adds frame n's flags: tcp.analysis.reused_ports and portlens's
// fields (a finding is named by its rank, from 1, as the page lists it).
func (d *Describer) flags(fr *filter.Frame, n int) {
	v := d.r.Verdict
	if v == nil {
		return
	}
	fl := v.Flags
	for d.flag < len(fl) && int(fl[d.flag].Frame) < n {
		d.flag++
	}
	for i := d.flag; i < len(fl) && int(fl[i].Frame) == n; i++ {
		f := &fl[i]
		if f.Kind == rules.ReusedPorts {
			fr.Reused = true
		}
		fr.Findings = append(fr.Findings, filter.Finding{Index: int32(v.FindingOf(i) + 1), Kind: f.Kind.String(),
			Class: f.Class.String(), Severity: string(f.Severity())})
	}
}

// Select returns the frames of r that f matches, in order, reading frames
// again from src where f needs it (see Describer). pause, when set, is
// called now and then: the page yields there.
func (r *Result) Select(f *filter.Filter, src io.ReaderAt, pause func()) ([]int32, error) {
	if f.Needs()&^(filter.NeedFindings|filter.NeedReused) == 0 {
		return r.selectByFlags(f), nil
	}
	d := r.Describer(f.Needs(), src)
	var fr filter.Frame
	out := []int32{}
	var first error
	for n := 1; n <= r.Frames.Len(); n++ {
		if err := d.Describe(&fr, n); err != nil && first == nil {
			first = err
		}
		if f.Match(&fr) {
			out = append(out, int32(n))
		}
		if pause != nil && n&1023 == 0 {
			pause()
		}
	}
	return out, first
}

// selectByFlags answers a filter that reads nothing but flags and
// findings: only flagged frames differ from one another, so each is
// judged on its own and one frame without flags stands for all the others.
func (r *Result) selectByFlags(f *filter.Filter) []int32 {
	d := r.Describer(f.Needs(), nil)
	var fr filter.Frame
	unflaggedMatch := f.Match(&fr)
	out := []int32{}
	next := 1
	for _, fl := range r.Flags() {
		n := int(fl.Frame)
		if n < next {
			continue // another flag of a frame already judged
		}
		if unflaggedMatch {
			for ; next < n; next++ {
				out = append(out, int32(next))
			}
		}
		_ = d.Describe(&fr, n)
		if f.Match(&fr) {
			out = append(out, int32(n))
		}
		next = n + 1
	}
	if unflaggedMatch {
		for ; next <= r.Frames.Len(); next++ {
			out = append(out, int32(next))
		}
	}
	return out
}

// ConversationMatcher returns the predicate of a display filter on a TCP
// conversation (by its tcp.stream), for the page's Conversations table:
// the conversation is described as one frame of it from A to B (its
// addresses, ports, stream; tcp.analysis.reused_ports when it began by
// reusing ports; the flags of all its frames). A filter on what only a
// packet holds (lengths, times, Ethernet, raw numbers, bytes) is refused.
func (r *Result) ConversationMatcher(f *filter.Filter) (func(stream int) bool, error) {
	if f.Needs()&(packetFields|filter.NeedNumber) != 0 {
		return nil, errors.New("only addresses, ports, tcp.stream, tcp.analysis.reused_ports and portlens's fields describe a conversation")
	}
	// Each stream's flags, by their index in the verdict.
	byStream := map[int32][]int{}
	for i, fl := range r.Flags() {
		if fl.Stream >= 0 {
			byStream[fl.Stream] = append(byStream[fl.Stream], i)
		}
	}
	var fr filter.Frame
	hosts := r.Hosts
	return func(stream int) bool {
		c := r.Conversations.At(stream)
		fr.Reset()
		fr.Protos = filter.ProtoTCP
		fr.AddIP(hosts.Addr(c.A.Host), hosts.Addr(c.B.Host))
		fr.AddTCP(filter.TCP{Src: c.A.Port, Dst: c.B.Port, Stream: int32(stream)})
		fr.Reused = c.Reused
		for _, i := range byStream[int32(stream)] {
			fl := &r.Verdict.Flags[i]
			fr.Findings = append(fr.Findings, filter.Finding{Index: int32(r.Verdict.FindingOf(i) + 1),
				Kind: fl.Kind.String(), Class: fl.Class.String(), Severity: string(fl.Severity())})
		}
		return f.Match(&fr)
	}, nil
}
