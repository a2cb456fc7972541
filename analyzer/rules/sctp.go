package rules

import (
	"fmt"
	"time"

	"github.com/portlens/portlens/analyzer/conv"
)

const sctpRule = "An SCTP INIT carries a new random initiate tag for each association (RFC 9260 section 5.1); an INIT " +
	"with a new tag on the ports of an existing association restarts it or starts a new one (section 5.2)"

// sctpReused flags an INIT that started a new association on the ports of
// an earlier one because its initiate tag is new.
func sctpReused(v *Verdict) []Flag {
	var flags []Flag
	for i := range v.in.Associations {
		a := &v.in.Associations[i]
		if a.Prev < 0 || a.ReusedBy.Frame == 0 {
			continue
		}
		flags = append(flags, Flag{Frame: a.ReusedBy.Frame, Kind: SCTPReusedPorts, Stream: -1, Subject: int32(i)})
	}
	return flags
}

func (v *Verdict) sctpWords(f *Flag) words {
	assocs := v.in.Associations
	a := &assocs[f.Subject]
	prev := &assocs[a.Prev]
	d := prev.DirOf(a.A)
	ended := "It never ended in the capture (no ABORT or SHUTDOWN COMPLETE): the sender restarted, and the peer will treat the INIT as a restart of that association."
	if prev.End.Frame > 0 {
		chunk := "ABORT"
		if prev.EndChunk == conv.SCTPShutdownComplete {
			chunk = "SHUTDOWN COMPLETE"
		}
		ended = fmt.Sprintf("It ended with %s in frame %d.", chunk, prev.End.Frame)
	}
	since := time.Duration(a.ReusedBy.Time - prev.LastTime)
	src, dst := v.in.Hosts.AddrPort(a.A), v.in.Hosts.AddrPort(a.B)
	return words{
		message: fmt.Sprintf("SCTP INIT %s → %s reuses the ports of an earlier association with a new initiate tag", src, dst),
		explanation: fmt.Sprintf("Frame %d is an SCTP INIT from %s to %s with initiate tag 0x%08x. An earlier association on the same ports, from frame %d, "+
			"knew tag 0x%08x for this side; its last packet, frame %d, was %s before this one. %s",
			a.ReusedBy.Frame, src, dst, a.Tag[conv.FromA], prev.FirstFrame, prev.Tag[d], prev.LastFrame, formatDuration(since), ended),
		advice:  "If the endpoint restarted, find why; fixed SCTP ports (S1AP, Diameter, M3UA) make every restart reuse them, which is expected there.",
		related: []int{prev.FirstFrame, prev.LastFrame},
		rule:    sctpRule,
	}
}
