package analyzer

import (
	"fmt"

	"github.com/portlens/portlens/analyzer/decode"
)

// ReassemblyReport is the report's "reassembly" object, there only when
// the IP fragment table hit its cap: Wireshark keeps every incomplete
// datagram, portlens drops the least recently added to past the cap, so
// a later fragment that would have completed one completes nothing.
type ReassemblyReport struct {
	DroppedDatagrams int    `json:"dropped_datagrams"`
	DroppedFragments int    `json:"dropped_fragments"`
	Limit            string `json:"limit"`
}

// reassemblyReport is nil when nothing was dropped.
func reassemblyReport(r decode.Reassembly) *ReassemblyReport {
	if !r.Hit() {
		return nil
	}
	return &ReassemblyReport{DroppedDatagrams: r.Datagrams, DroppedFragments: r.Fragments, Limit: reassemblyLimit(r)}
}

func reassemblyLimit(r decode.Reassembly) string {
	return fmt.Sprintf("%d MiB held by incomplete IP datagrams", r.Limit>>20)
}

// ReassemblyNote says in one line what the IP fragment table dropped to
// stay within its cap, for the command's summary and the page's; "" when
// it dropped nothing.
func (r *Result) ReassemblyNote() string {
	re := r.Reassembly
	if !re.Hit() {
		return ""
	}
	datagrams, fragments := "datagrams", "fragments"
	if re.Datagrams == 1 {
		datagrams = "datagram"
	}
	if re.Fragments == 1 {
		fragments = "fragment"
	}
	return fmt.Sprintf("%d incomplete IP %s (%d %s) dropped: the fragment table holds at most %d MiB (Wireshark keeps every datagram)",
		re.Datagrams, datagrams, re.Fragments, fragments, re.Limit>>20)
}
