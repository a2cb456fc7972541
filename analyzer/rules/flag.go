// Package rules judges what the conversation tracker recorded: it turns
// Wireshark's port-reuse events and the ephemeral-port policies of real
// operating systems into flags, each with the words that explain it.
// Rules read tracked conversations and settings only, so changing a
// setting re-runs the rules without reading the capture again.
package rules

// Severity of a flag, as in Wireshark's expert info.
type Severity string

const (
	Note    Severity = "note"
	Warning Severity = "warning"
)

// Kind names a rule. One name per concept everywhere: the JSON, the page
// and the README use these strings.
type Kind string

const (
	ReusedPorts       Kind = "tcp.reused_ports"
	OutsideEphemeral  Kind = "port.outside_ephemeral"
	PrivilegedSource  Kind = "port.privileged_source"
	ServerInEphemeral Kind = "port.server_in_ephemeral"
	FastReuse         Kind = "tcp.fast_reuse"
	Exhaustion        Kind = "port.exhaustion"
	SYNUnanswered     Kind = "tcp.syn_unanswered"
	FixedSourcePort   Kind = "udp.fixed_source_port"
	SCTPReusedPorts   Kind = "sctp.reused_ports"
)

// Kinds lists every kind, Wireshark's first.
var Kinds = []Kind{ReusedPorts, OutsideEphemeral, PrivilegedSource, ServerInEphemeral,
	FastReuse, Exhaustion, SYNUnanswered, FixedSourcePort, SCTPReusedPorts}

// Flag is one finding about one frame.
type Flag struct {
	Frame    int      `json:"frame"`
	Kind     Kind     `json:"kind"`
	Class    string   `json:"class,omitempty"`
	Severity Severity `json:"severity"`
	Stream   int      `json:"stream"` // tcp.stream, -1 when not TCP (or not one stream)
	Message  string   `json:"message"`
	// Explanation names the evidence: frames, times, numbers.
	Explanation string `json:"explanation"`
	// Advice says what to do about it.
	Advice  string `json:"advice,omitempty"`
	Related []int  `json:"related"`
	// Rule is what the frame was measured against, with its source.
	Rule string `json:"rule"`
}
