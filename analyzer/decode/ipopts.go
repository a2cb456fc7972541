package decode

// IPv4 options as Wireshark 4.4 reads them (epan/dissectors/packet-ip.c).
// Two things about them change which conversation a segment joins:
//
//   - A loose or strict source route names the datagram's final
//     destination; Wireshark takes it as the destination address
//     (get_dst_offset), so the segment belongs with the final host, not
//     with the hop in the header.
//   - Each option type Wireshark knows has a dissector of its own, which
//     reads its fields without checking the option is long enough. A
//     Router Alert of 2 bytes, say, throws, and the frame's dissection
//     ends in the IP header: no TCP. An option whose length is 0, 1 or
//     runs past the header only ends the walk through the options: the
//     TCP after them still counts.

// Option types that have a dissector of their own in Wireshark 4.4.
const (
	optEOL         = 0x00
	optNOP         = 0x01
	optRR          = 0x07 // record route
	optMTUProbe    = 0x0b
	optMTUReply    = 0x0c
	optQuickStart  = 0x19
	optTimestamp   = 0x44
	optTraceroute  = 0x52
	optSecurity    = 0x82
	optLSRR        = 0x83 // loose source route
	optExtSecurity = 0x85
	optCIPSO       = 0x86
	optStreamID    = 0x88
	optSSRR        = 0x89 // strict source route
	optRouterAlert = 0x94
	optSDB         = 0x95 // selective directed broadcast
)

// ipv4Options reads the options of an IPv4 header. routed reports a
// source route whose final destination dst Wireshark uses as the
// destination address; ok is false when an option's dissector would read
// past the option, which ends Wireshark's dissection of the frame.
func ipv4Options(opts []byte) (dst [4]byte, routed, ok bool) {
	dst, routed = routeDestination(opts)
	return dst, routed, optionsReadable(opts)
}

// nextOption returns the length of the option at opts[i], or 0 where
// Wireshark stops walking: end of options, a missing length byte, a
// length below 2 or one that runs past the header.
func nextOption(opts []byte, i int) int {
	switch {
	case opts[i] == optEOL:
		return 0
	case opts[i] == optNOP:
		return 1
	case i+1 >= len(opts):
		return 0
	}
	n := int(opts[i+1])
	if n < 2 || i+n > len(opts) {
		return 0
	}
	return n
}

// routeDestination mirrors get_dst_offset: the first source route option
// decides, if its pointer is a valid one that has not passed the end of
// the route; the final destination is the option's last four bytes.
func routeDestination(opts []byte) (dst [4]byte, ok bool) {
	for i := 0; i < len(opts); {
		n := nextOption(opts, i)
		if n == 0 {
			return dst, false
		}
		if t := opts[i]; n >= 3 && (t == optLSRR || t == optSSRR) {
			ptr := int(opts[i+2])
			if ptr < 4 || ptr&3 != 0 || ptr > n {
				return dst, false
			}
			return [4]byte(opts[i+n-4 : i+n]), true
		}
		i += n
	}
	return dst, false
}

// optionsReadable mirrors dissect_ip_options: each well-formed option
// goes to its dissector, and one that reads past its option fails.
func optionsReadable(opts []byte) bool {
	for i := 0; i < len(opts); {
		n := nextOption(opts, i)
		if n == 0 {
			return true
		}
		if n > 1 && !optionReadable(opts[i:i+n]) {
			return false
		}
		i += n
	}
	return true
}

// optionReadable reports whether Wireshark's dissector for the option o
// (type, length, body) reads only within it.
func optionReadable(o []byte) bool {
	n := len(o)
	switch o[0] {
	case optSecurity, optExtSecurity, optLSRR, optSSRR, optRR:
		return n >= 3 // classification, format code or pointer
	case optTimestamp:
		return n >= 4 // pointer, overflow and flags
	case optStreamID, optMTUProbe, optMTUReply, optRouterAlert:
		return n >= 4 // a 2-byte value
	case optTraceroute:
		return n >= 12 // id, hop counts, originator
	case optQuickStart:
		if n < 3 {
			return false
		}
		if f := o[2] >> 4; f == 0 || f == 8 { // rate request, rate report: then a nonce
			return n >= 8
		}
		return true
	case optCIPSO:
		return cipsoReadable(o)
	}
	return true // no dissector, or one that checks its lengths (SDB)
}

// cipsoReadable follows dissect_ipopt_cipso: the domain of
// interpretation, then tags whose length checks let a tag run one byte
// past the option.
func cipsoReadable(o []byte) bool {
	end := len(o)
	if end < 6 {
		return false
	}
	for off := 6; off < end; {
		tag, tagLen := o[off], 1
		if off+1 < end {
			tagLen = int(o[off+1])
		}
		minLen := 4
		switch tag {
		case 0: // padding
			off++
			continue
		case 1, 2, 5, 6:
		case 7:
			minLen = 2
		default:
			return true // unknown tag: the dissector stops
		}
		if tagLen < minLen || tagLen > 34 || off+tagLen-1 > end {
			return true // refused with an expert note
		}
		switch tag {
		case 1: // sensitivity level, then a category bitmap to the tag's end
			if off+4 > end || off+tagLen > end {
				return false
			}
			off += tagLen
		case 2, 5: // sensitivity level, then 16-bit categories
			last := off + 4 + (tagLen-4)/2*2
			if off+4 > end || last > end {
				return false
			}
			off = last
		default: // 6, 7: the tag's data
			if off+tagLen > end {
				return false
			}
			off += tagLen
		}
	}
	return true
}
