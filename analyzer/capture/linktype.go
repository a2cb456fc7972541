package capture

import "strconv"

// LinkType is a LINKTYPE_* value (tcpdump.org/linktypes.html).
type LinkType uint32

// The link types portlens decodes or names; any other value passes through.
const (
	LinkNull      LinkType = 0
	LinkEthernet  LinkType = 1
	LinkPPP       LinkType = 9
	LinkRaw12     LinkType = 12
	LinkRaw14     LinkType = 14
	LinkRaw       LinkType = 101
	LinkCHDLC     LinkType = 104
	LinkIEEE80211 LinkType = 105
	LinkLoop      LinkType = 108
	LinkLinuxSLL  LinkType = 113
	LinkRadiotap  LinkType = 127
	LinkIPv4      LinkType = 228
	LinkIPv6      LinkType = 229
	LinkNFLOG     LinkType = 239
	LinkLinuxSLL2 LinkType = 276

	// LinkCustomBlock marks a pcapng Custom Block (types 0x00000BAD and
	// 0x40000BAD). It is no packet, but Wireshark lists it as a frame, so
	// the reader returns it to keep frame numbers equal to Wireshark's.
	// Data holds the block's bytes after the Private Enterprise Number.
	LinkCustomBlock LinkType = 0xFFFF0BAD
	// LinkJournal marks a pcapng systemd Journal Export Block, which
	// Wireshark also lists as a frame. Data holds the journal entry.
	LinkJournal LinkType = 0xFFFF0009
)

var linkNames = map[LinkType]string{
	LinkNull:        "BSD loopback",
	LinkEthernet:    "Ethernet",
	LinkPPP:         "PPP",
	LinkRaw12:       "Raw IP",
	LinkRaw14:       "Raw IP",
	LinkRaw:         "Raw IP",
	LinkCHDLC:       "Cisco HDLC",
	LinkIEEE80211:   "IEEE 802.11",
	LinkLoop:        "OpenBSD loopback",
	LinkLinuxSLL:    "Linux SLL",
	LinkRadiotap:    "IEEE 802.11 radiotap",
	LinkIPv4:        "IPv4",
	LinkIPv6:        "IPv6",
	LinkNFLOG:       "NFLOG",
	LinkLinuxSLL2:   "Linux SLL2",
	LinkCustomBlock: "pcapng custom block",
	LinkJournal:     "systemd journal entry",
}

func (l LinkType) String() string {
	if s, ok := linkNames[l]; ok {
		return s
	}
	return "LINKTYPE " + strconv.FormatUint(uint64(l), 10)
}

// Maximum captured lengths, from Wireshark's wtap_max_snaplen_for_encap:
// a record claiming more is damage, and the bound keeps a lying length
// field from turning into a giant allocation.
const (
	maxCaplenStandard = 262144
	maxCaplenUSB      = 128 << 20
	maxCaplenEBHSCR   = 32 << 20
	maxCaplenDBus     = 128 << 20
)

func maxCaplen(l LinkType) uint32 {
	switch l {
	case 231: // D-Bus
		return maxCaplenDBus
	case 279: // EBHSCR
		return maxCaplenEBHSCR
	case 186, 189, 220, 249, 266: // the USB encapsulations
		return maxCaplenUSB
	}
	return maxCaplenStandard
}

// pseudoHeaderLen is the size of the fixed pseudo-header Wireshark reads in
// front of the packet data for a few link types (pcap_process_pseudo_header);
// a record shorter than that is an error there, so it is one here.
func pseudoHeaderLen(l LinkType) uint32 {
	switch l {
	case 123: // SunATM
		return 4
	case 139: // MTP2 with pseudo-header
		return 4
	case 144, 177: // IrDA and Linux LAPD, both behind a cooked header
		return 16
	case 196: // SITA
		return 5
	case 197: // ERF, at least the fixed record header
		return 16
	case 201: // Bluetooth H4 with direction
		return 4
	case 204: // PPP with direction
		return 1
	case 209: // Linux I2C
		return 5
	}
	return 0
}

// wiresharkOpens reports whether Wireshark 4.4 maps a pcap header's link type
// to an encapsulation. It refuses to open a pcap file whose type it does not
// know ("network type N unknown or unsupported"), and portlens must agree
// about which files open. pcapng interfaces with unknown types are accepted
// by Wireshark, so this applies to pcap only.
func wiresharkOpens(l LinkType) bool {
	if l < 300 {
		return wiresharkLinks[l/64]&(1<<(l%64)) != 0
	}
	return false
}

// wiresharkLinks is the set of LINKTYPE values in Wireshark's
// pcap_to_wtap_map (wiretap/pcap-common.c), as a bitmap for a branch-free test.
var wiresharkLinks = func() (set [5]uint64) {
	known := []uint32{
		0, 1, 2, 3, 6, 7, 8, 9, 10, 11, 12, 13, 14, 17, 18, 19, 32, 50, 51, 99,
		100, 101, 104, 105, 106, 107, 108, 109, 112, 113, 114, 117, 118, 119,
		121, 122, 123, 127, 128, 129, 130, 131, 133, 135, 136, 137, 138, 139,
		140, 141, 142, 143, 144, 147, 148, 149, 150, 151, 152, 153, 154, 155,
		156, 157, 158, 159, 160, 161, 162, 163, 165, 167, 169, 170, 171, 172,
		173, 177, 178, 179, 180, 181, 183, 184, 186, 187, 188, 189, 190, 192,
		195, 196, 197, 199, 200, 201, 202, 203, 204, 209, 210, 211, 212, 213,
		214, 215, 220, 224, 225, 226, 227, 228, 229, 230, 231, 235, 236, 237,
		239, 240, 241, 242, 243, 244, 245, 247, 248, 249, 250, 251, 252, 253,
		254, 255, 256, 257, 258, 259, 260, 264, 265, 266, 268, 270, 271, 272,
		273, 274, 275, 276, 278, 279, 280, 283, 287, 288, 289, 290, 292, 293,
		294, 295, 296, 297, 298, 299,
	}
	for _, l := range known {
		set[l/64] |= 1 << (l % 64)
	}
	return set
}()
