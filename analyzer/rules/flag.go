// Package rules judges what the conversation tracker recorded: it turns
// Wireshark's port-reuse events and the ephemeral-port policies of real
// operating systems into flags. A flag is evidence (a kind, a frame, a
// stream and what it is about); its words are rendered from the evidence
// when a view asks for them (Verdict.Explain), by the rule that raised it.
// Rules read tracked conversations and settings only, so changing a
// setting re-runs the rules without reading the capture again.
package rules

import "fmt"

// Severity of a flag, as in Wireshark's expert info.
type Severity string

const (
	Note    Severity = "note"
	Warning Severity = "warning"
)

// Kind names a rule. One name per concept everywhere: the JSON, the page
// and the README use the strings of String.
type Kind uint8

const (
	ReusedPorts Kind = iota
	OutsideEphemeral
	PrivilegedSource
	ServerInEphemeral
	FastReuse
	Exhaustion
	SYNUnanswered
	FixedSourcePort
	SCTPReusedPorts
	StalePeer
	numKinds
)

var kindInfo = [numKinds]struct {
	name     string
	severity Severity
}{
	ReusedPorts:       {"tcp.reused_ports", Note},
	OutsideEphemeral:  {"port.outside_ephemeral", Note},
	PrivilegedSource:  {"port.privileged_source", Warning},
	ServerInEphemeral: {"port.server_in_ephemeral", Note},
	FastReuse:         {"tcp.fast_reuse", Warning},
	Exhaustion:        {"port.exhaustion", Warning},
	SYNUnanswered:     {"tcp.syn_unanswered", Warning},
	FixedSourcePort:   {"udp.fixed_source_port", Warning},
	SCTPReusedPorts:   {"sctp.reused_ports", Note},
	StalePeer:         {"tcp.stale_peer", Warning},
}

// Kinds lists every kind, Wireshark's first.
var Kinds = []Kind{ReusedPorts, OutsideEphemeral, PrivilegedSource, ServerInEphemeral,
	FastReuse, Exhaustion, SYNUnanswered, FixedSourcePort, SCTPReusedPorts, StalePeer}

func (k Kind) String() string {
	if k < numKinds {
		return kindInfo[k].name
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// Severity is the severity of every flag of kind k.
func (k Kind) Severity() Severity {
	if k < numKinds {
		return kindInfo[k].severity
	}
	return Note
}

// ParseKind finds a kind by its name.
func ParseKind(name string) (Kind, bool) {
	for _, k := range Kinds {
		if k.String() == name {
			return k, true
		}
	}
	return 0, false
}

// MarshalText writes the kind's name, so JSON and maps keyed by kind read
// as before.
func (k Kind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText reads a kind's name.
func (k *Kind) UnmarshalText(b []byte) error {
	kk, ok := ParseKind(string(b))
	if !ok {
		return fmt.Errorf("unknown flag kind %q", b)
	}
	*k = kk
	return nil
}

// Class says why a flag of some kinds was raised: the classes of
// tcp.reused_ports, port.exhaustion and tcp.stale_peer.
type Class uint8

const (
	NoClass Class = iota
	ClassAfterRST
	ClassInTimeWait
	ClassAfterTimeWait
	ClassWhileOpen
	ClassMissingSYN
	ClassSameISN
	ClassBusy
	ClassCycled
	ClassPeerTimeWait  // tcp.stale_peer: the peer held the ports in TIME_WAIT
	ClassHalfOpen      // tcp.stale_peer: the peer held a connection it believed open
	ClassEarlierUnseen // tcp.stale_peer: the earlier connection is not in the capture
	ClassNATBudget     // port.exhaustion: a NAT's per-destination budget was full
	numClasses
)

var classNames = [numClasses]string{"", "after-rst", "in-time-wait", "after-time-wait", "while-open",
	"missing-syn", "same-isn", "busy", "cycled", "peer-time-wait", "half-open", "earlier-unseen", "nat-budget"}

func (c Class) String() string {
	if c < numClasses {
		return classNames[c]
	}
	return fmt.Sprintf("class(%d)", uint8(c))
}

// ParseClass finds a class by its name ("" is NoClass).
func ParseClass(name string) (Class, bool) {
	for c, n := range classNames {
		if n == name {
			return Class(c), true
		}
	}
	return 0, false
}

// Flag is one flag on one frame, as evidence: 16 bytes, no pointers. Its
// words come from Verdict.Explain.
type Flag struct {
	Frame  int32
	Stream int32 // tcp.stream, -1 when not TCP (or not one stream)
	// Subject is what the rule's words are about: a conversation, an
	// association, or an entry of the rule's own evidence table.
	Subject int32
	Kind    Kind
	Class   Class
}

// Severity is the flag's severity.
func (f *Flag) Severity() Severity { return f.Kind.Severity() }

// Explained is a flag in words: what the JSON report, the exports and the
// views show. Verdict.Explain renders it on demand.
type Explained struct {
	Frame    int      `json:"frame"`
	Kind     Kind     `json:"kind"`
	Class    string   `json:"class,omitempty"`
	Severity Severity `json:"severity"`
	Stream   int      `json:"stream"`
	// Finding indexes the report's findings: the cause the flag is part of
	// (-1 for flags rendered without findings, ReusedPortsFlags).
	Finding int    `json:"finding"`
	Message string `json:"message"`
	// Explanation names the evidence: frames, times, numbers.
	Explanation string `json:"explanation"`
	// Advice says what to do about it.
	Advice  string `json:"advice,omitempty"`
	Related []int  `json:"related"`
	// Rule is what the frame was measured against, with its source.
	Rule string `json:"rule"`
}

// words are what a rule renders for one flag.
type words struct {
	message, explanation, advice, rule string
	related                            []int
}
