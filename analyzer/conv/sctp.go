package conv

import (
	"github.com/portlens/portlens/analyzer/decode"
)

// SCTP chunk types the association tracker reads (RFC 9260 section 3.2).
const (
	SCTPInit             = 1
	SCTPInitAck          = 2
	SCTPAbort            = 6
	SCTPShutdownComplete = 14
)

// Association is one SCTP association between two endpoints (addresses
// and ports; multi-homed paths are not merged). A sent the first packet
// seen. Tag[d] is the initiate tag of the endpoint sending in direction d:
// from its INIT or INIT ACK, or learnt from the verification tag its peer
// puts on the packets it sends.
type Association struct {
	Index                 int
	A, B                  Endpoint
	FirstFrame, LastFrame int
	FirstTime, LastTime   int64
	Packets               [2]int
	Tag                   [2]uint32
	TagSet                [2]bool
	// Init is the first INIT and InitDir its sender (valid when
	// Init.Frame > 0); Inits counts INITs, retransmissions included.
	Init    Segment
	InitDir Dir
	Inits   int
	// End is the first ABORT or SHUTDOWN COMPLETE, EndChunk its type.
	End      Segment
	EndChunk uint8
	// Prev is the association whose ports an INIT with a new initiate tag
	// reused (-1 if none); ReusedBy is that INIT.
	Prev     int
	ReusedBy Segment
}

// SCTPTracker groups SCTP packets into associations. An INIT whose
// initiate tag differs from the tag already known for its sender starts
// a new association on the same endpoints (a restart or a new
// association). Adding a packet to a known association allocates nothing.
type SCTPTracker struct {
	hosts        *Hosts
	current      map[key]int32
	Associations []Association
}

// NewSCTPTracker returns an empty SCTPTracker numbering addresses in hosts.
func NewSCTPTracker(hosts *Hosts) *SCTPTracker {
	return &SCTPTracker{hosts: hosts, current: make(map[key]int32)}
}

// Add records one SCTP packet (p.Transport must be SCTP) and returns its
// association, -1 for a packet that is not counted.
func (t *SCTPTracker) Add(frame int, ts int64, p *decode.Packet) (assoc int, d Dir) {
	if p.InICMPError || p.Fragment {
		return -1, FromA
	}
	src, dst := endpoints(t.hosts, p)
	k := keyOf(src, dst)
	idx, ok := t.current[k]
	if !ok {
		idx = t.create(k, src, dst, -1)
	}
	a := &t.Associations[idx]
	dir := a.DirOf(src)
	if p.SCTPChunk == SCTPInit && a.TagSet[dir] && a.Tag[dir] != p.SCTPInitiateTag {
		old := idx
		idx = t.create(k, src, dst, int(old))
		a = &t.Associations[idx]
		dir = FromA
		a.ReusedBy = Segment{Frame: int32(frame), Time: ts}
	}
	if a.Packets[0]+a.Packets[1] == 0 {
		a.FirstFrame, a.FirstTime = frame, ts
	}
	a.LastFrame, a.LastTime = frame, ts
	a.Packets[dir]++
	switch p.SCTPChunk {
	case SCTPInit, SCTPInitAck:
		if p.SCTPChunk == SCTPInit {
			if a.Init.Frame == 0 {
				a.Init, a.InitDir = Segment{Frame: int32(frame), Time: ts}, dir
			}
			a.Inits++
		}
		a.Tag[dir], a.TagSet[dir] = p.SCTPInitiateTag, true
	case SCTPAbort, SCTPShutdownComplete:
		if a.End.Frame == 0 {
			a.End, a.EndChunk = Segment{Frame: int32(frame), Time: ts}, p.SCTPChunk
		}
	}
	// The verification tag of any packet but an INIT is the receiver's
	// initiate tag (ABORT and SHUTDOWN COMPLETE may reflect the sender's).
	if rev := dir.Reverse(); p.SCTPChunk != SCTPInit && p.SCTPChunk != SCTPAbort &&
		p.SCTPChunk != SCTPShutdownComplete && !a.TagSet[rev] {
		a.Tag[rev], a.TagSet[rev] = p.SCTPVerTag, true
	}
	return int(idx), dir
}

func (t *SCTPTracker) create(k key, a, b Endpoint, prev int) int32 {
	idx := int32(len(t.Associations))
	t.Associations = append(t.Associations, Association{Index: int(idx), A: a, B: b, Prev: prev})
	t.current[k] = idx
	return idx
}

// DirOf returns the direction of packets sent by src.
func (a *Association) DirOf(src Endpoint) Dir {
	if src == a.A {
		return FromA
	}
	return FromB
}
