package analyzer

import (
	"github.com/portlens/portlens/analyzer/blocks"
	"github.com/portlens/portlens/analyzer/conv"
	"github.com/portlens/portlens/analyzer/decode"
)

// Frame is what the analysis keeps of one frame: which conversation it
// belongs to, its direction there, its transport and TCP flags. Everything
// else is read again from the file when a view asks (Result.Row).
type Frame struct {
	// Ref is the frame's conversation in the table of its transport: the
	// tcp.stream for TCP, the flow for UDP, the association for SCTP; -1
	// when it has none (not IP, or a fragment that completes nothing).
	Ref       int32
	Transport decode.Transport
	Dir       conv.Dir        // who sent it, within Ref
	Flags     decode.TCPFlags // TCP only: FIN SYN RST PSH ACK URG ECE CWR
	// Layered is set when the frame holds more than one IP layer or
	// transport header (a tunnel, an ICMP error quoting a packet, several
	// sampled headers) or is an IP fragment, completing a datagram or not:
	// its Ref describes the innermost transport only, so a filter on
	// addresses or ports reads the frame again. Every fragment is read
	// again, in order, so that the decoder reading them reassembles the
	// datagrams the analysis did.
	Layered bool
	// Undecoded is set for frames of a link type portlens cannot decode.
	Undecoded bool
	// IPv6 is set when the frame's innermost IP header is IPv6 (for a
	// frame with an IP header: Transport is not None).
	IPv6 bool
	// Ethernet is set when the frame's link layer is Ethernet.
	Ethernet bool
}

// Stream is the frame's tcp.stream, -1 when it has none.
func (f Frame) Stream() int {
	if f.Transport != decode.TCP || f.Ref < 0 {
		return -1
	}
	return int(f.Ref)
}

// frameInfo packs a Frame's small fields into 16 bits.
type frameInfo uint16

const (
	infoTransport frameInfo = 0x7       // bits 0-2
	infoDir       frameInfo = 1 << 3    // FromB
	infoFlagShift           = 4         // bits 4-11: the low 8 TCP flags
	infoLayered   frameInfo = 1 << 12   //
	infoUndecoded frameInfo = 1 << 13   //
	infoIPv6      frameInfo = 1 << 14   //
	infoEthernet  frameInfo = 1 << 15   //
	infoFlags     frameInfo = 0xff << 4 //
)

func packInfo(f Frame) frameInfo {
	i := frameInfo(f.Transport) & infoTransport
	if f.Dir == conv.FromB {
		i |= infoDir
	}
	i |= frameInfo(f.Flags&0xff) << infoFlagShift
	if f.Layered {
		i |= infoLayered
	}
	if f.Undecoded {
		i |= infoUndecoded
	}
	if f.IPv6 {
		i |= infoIPv6
	}
	if f.Ethernet {
		i |= infoEthernet
	}
	return i
}

func (i frameInfo) unpack(ref int32) Frame {
	f := Frame{Ref: ref, Transport: decode.Transport(i & infoTransport),
		Flags: decode.TCPFlags((i & infoFlags) >> infoFlagShift), Layered: i&infoLayered != 0, Undecoded: i&infoUndecoded != 0,
		IPv6: i&infoIPv6 != 0, Ethernet: i&infoEthernet != 0}
	if i&infoDir != 0 {
		f.Dir = conv.FromB
	}
	return f
}

// checkpointEvery is how many frames share one stored file offset: a
// frame is read again from its group's first frame onward, so rows cost
// a few records of reading and the index half a byte a frame.
const checkpointEvery = 16

// Frames is the per-frame index of a capture, as columns in blocks: 6.5
// bytes a frame (a conversation reference, 16 bits of small fields, and a
// file offset every checkpointEvery frames), none of it scanned by the
// garbage collector. Frame numbers are 1-based, as in Wireshark.
type Frames struct {
	refs  blocks.List[int32]
	infos blocks.List[frameInfo]
	// checkpoints[k] is the offset of frame k*checkpointEvery+1.
	checkpoints blocks.List[int64]
}

// Len is the number of frames.
func (fs *Frames) Len() int { return fs.refs.Len() }

// At returns frame n (1 <= n <= Len).
func (fs *Frames) At(n int) Frame { return fs.infos.Get(n - 1).unpack(fs.refs.Get(n - 1)) }

// Stream is frame n's tcp.stream, -1 when it has none.
func (fs *Frames) Stream(n int) int { return fs.At(n).Stream() }

// add appends a frame read at offset.
func (fs *Frames) add(f Frame, offset int64) {
	if fs.Len()%checkpointEvery == 0 {
		fs.checkpoints.Append(offset)
	}
	fs.refs.Append(f.Ref)
	fs.infos.Append(packInfo(f))
}

// checkpoint returns where to start reading to reach frame n: the offset
// of a frame before it and how many frames to read past first.
func (fs *Frames) checkpoint(n int) (offset int64, skip int) {
	k := (n - 1) / checkpointEvery
	return fs.checkpoints.Get(k), (n - 1) % checkpointEvery
}
