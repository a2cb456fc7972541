package analyzer

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"math"
	"strconv"
	"time"

	"github.com/portlens/portlens/analyzer/rules"
)

// Report is the JSON document for one capture: the command's --json
// output and the page's JSON export are written by the same function,
// Result.WriteJSON. The struct names its fields (and reads a document
// back); the writer streams the flags and frames without holding them.
type Report struct {
	File          string   `json:"file"`
	Format        string   `json:"format"`
	Compressed    bool     `json:"compressed"`
	LinkTypes     []string `json:"link_types"`
	Packets       int      `json:"packets"`
	FirstTime     string   `json:"first_time,omitempty"`
	LastTime      string   `json:"last_time,omitempty"`
	Duration      float64  `json:"duration_seconds"`
	Conversations int      `json:"conversations"`
	// DisplayFilter and Displayed: with a display filter (-Y), the filter
	// (in its canonical form) and how many frames it matched; frames,
	// flags and findings are then those of the matching frames.
	DisplayFilter string `json:"display_filter,omitempty"`
	Displayed     *int   `json:"displayed,omitempty"`
	Preset        string `json:"preset"`
	// NAT is the cloud NAT the clients were judged behind (--nat).
	NAT *NATReport `json:"nat,omitempty"`
	// HostPresets are the presets the hosts that opened connections were
	// judged by, and on what evidence.
	HostPresets []HostPresetReport `json:"host_presets"`
	FlagCounts  map[string]int     `json:"flag_counts"`
	// Findings group the flags by cause, ranked; each flag's "finding"
	// indexes them.
	Findings    []rules.ExplainedFinding `json:"findings"`
	Flags       []rules.Explained        `json:"flags"`
	Frames      []FrameReport            `json:"frames,omitempty"`
	Reassembly  *ReassemblyReport        `json:"reassembly,omitempty"`
	Stopped     bool                     `json:"stopped,omitempty"`
	StopReason  string                   `json:"stop_reason,omitempty"`
	Error       string                   `json:"error"`
	ErrorFrame  int                      `json:"error_frame,omitempty"`
	ErrorOffset int64                    `json:"error_offset,omitempty"`
}

// HostPresetReport is the preset one host was judged by: under --os auto
// what auto inferred from the host's source ports (Inferred), or the
// fallback it assumed; Share is the part of the connections the host
// opened whose source port lies in Ephemeral.
type HostPresetReport struct {
	Host        string  `json:"host"`
	Preset      string  `json:"preset"`
	Inferred    bool    `json:"inferred"`
	Ephemeral   string  `json:"ephemeral"`
	Connections int     `json:"connections"`
	Share       float64 `json:"share"`
}

// hostPresets lists the hosts that opened connections (a SYN or SYN/ACK
// captured), by address, with their presets.
func (r *Result) hostPresets() []HostPresetReport {
	out := []HostPresetReport{}
	if r.Verdict == nil {
		return out
	}
	for _, h := range r.Verdict.HostPresetList() {
		out = append(out, HostPresetReport{Host: h.Host.String(), Preset: h.Preset.Name, Inferred: h.Inferred,
			Ephemeral: h.Preset.Ephemeral.String(), Connections: h.Connections,
			Share: math.Round(1000*float64(h.InRange)/float64(h.Connections)) / 1000})
	}
	return out
}

// NATReport is the cloud NAT the rules judged the clients behind
// (--nat), with the budget and TIME_WAIT they used.
type NATReport struct {
	Name            string  `json:"name"`
	Label           string  `json:"label"`
	Budget          int     `json:"budget"`
	TimeWaitSeconds float64 `json:"time_wait_seconds"`
	Source          string  `json:"source"`
}

// natReport describes s's NAT, nil without one.
func natReport(s rules.Settings) *NATReport {
	n, ok := s.NATPreset()
	if !ok {
		return nil
	}
	return &NATReport{Name: n.Name, Label: n.Label, Budget: n.Budget, TimeWaitSeconds: n.TimeWait.Seconds(), Source: n.Source}
}

// FrameReport is one frame's stream, for --frames.
type FrameReport struct {
	Frame  int `json:"frame"`
	Stream int `json:"stream"`
}

// Selection is what a display filter matched: the report holds then only
// the matching frames and their flags, and the findings of those flags.
type Selection struct {
	Filter string  // the filter, in canonical form
	Frames []int32 // the frames it matched, in order (Result.Select)
}

// has reports whether frame n is selected (s nil: every frame).
func (s *Selection) has(n int32, at *int) bool {
	if s == nil {
		return true
	}
	for *at < len(s.Frames) && s.Frames[*at] < n {
		*at++
	}
	return *at < len(s.Frames) && s.Frames[*at] == n
}

// header is the report without its flags and frames.
func (r *Result) header(opts Options) Report {
	rep := Report{
		File:          r.File,
		Format:        r.info.Format,
		Compressed:    r.info.Compressed,
		LinkTypes:     r.LinkTypes(),
		Packets:       r.Packets,
		Duration:      r.Duration().Seconds(),
		Conversations: r.conversations(),
		Preset:        opts.Rules.Preset,
		NAT:           natReport(opts.Rules),
		HostPresets:   r.hostPresets(),
		FlagCounts:    map[string]int{},
		Findings:      []rules.ExplainedFinding{},
		Flags:         []rules.Explained{},
		Reassembly:    reassemblyReport(r.Reassembly),
		Stopped:       r.Stopped,
		StopReason:    r.StopReason,
		Error:         r.Error,
		ErrorFrame:    r.ErrorFrame,
		ErrorOffset:   r.ErrorOffset,
	}
	if rep.LinkTypes == nil {
		rep.LinkTypes = []string{}
	}
	for k, n := range r.FlagCounts() {
		rep.FlagCounts[k.String()] = n
	}
	if r.Packets > 0 {
		rep.FirstTime = formatTimestamp(r.FirstTime)
		rep.LastTime = formatTimestamp(r.LastTime)
	}
	return rep
}

func (r *Result) conversations() int {
	if r.Conversations == nil {
		return 0
	}
	return r.Conversations.Len()
}

func formatTimestamp(ns int64) string {
	return time.Unix(0, ns).UTC().Format(time.RFC3339Nano)
}

// WriteJSON writes the report as json.Encoder (with SetEscapeHTML(false))
// would write a Report holding every finding and flag in words (and,
// withFrames, every frame's stream), byte for byte; but one finding, flag
// and frame at a time, each one's words rendered as it is written: the
// document is never whole in memory (hundreds of MB for a million-packet
// capture).
func (r *Result) WriteJSON(w io.Writer, opts Options, withFrames bool) error {
	return r.WriteSelectedJSON(w, opts, withFrames, nil)
}

// WriteSelectedJSON is WriteJSON limited to a display filter's frames
// (sel; nil for all): their streams, their flags, and the findings those
// flags belong to (with all their numbers: a finding describes its
// cause), indexed anew in the order of the findings' ranks.
func (r *Result) WriteSelectedJSON(w io.Writer, opts Options, withFrames bool, sel *Selection) error {
	head := r.header(opts)
	flags := r.selectedFlags(sel)
	findings, newIndex := r.selectedFindings(flags)
	if sel != nil {
		n := len(sel.Frames)
		head.DisplayFilter, head.Displayed = sel.Filter, &n
		head.FlagCounts = map[string]int{}
		for _, i := range flags {
			head.FlagCounts[r.Verdict.Flags[i].Kind.String()]++
		}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(&head); err != nil {
		return err
	}
	doc := bytes.Clone(buf.Bytes())
	// A string value cannot hold an unescaped quote, so these are the keys.
	fi := bytes.Index(doc, []byte(`,"findings":[]`))
	li := bytes.Index(doc, []byte(`,"flags":[]`))
	if fi < 0 || li < fi {
		return io.ErrUnexpectedEOF // cannot happen: neither is ever omitted
	}
	fi += len(`,"findings":[`)
	li += len(`,"flags":[`)
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.Write(doc[:fi])
	nflags := len(flags)
	if flags == nil {
		nflags = len(r.Flags())
	}
	parallel := r.concurrentRendering(nflags)
	if err := r.writeFindings(bw, findings, parallel); err != nil {
		return err
	}
	bw.Write(doc[fi:li])
	r.writeFlags(bw, flags, newIndex, parallel)
	bw.WriteByte(']')
	var b []byte
	if withFrames && r.Frames.Len() > 0 && (sel == nil || len(sel.Frames) > 0) {
		bw.WriteString(`,"frames":[`)
		first := true
		at := 0
		for n := 1; n <= r.Frames.Len(); n++ {
			if !sel.has(int32(n), &at) {
				continue
			}
			b = b[:0]
			if !first {
				b = append(b, ',')
			}
			first = false
			b = append(b, `{"frame":`...)
			b = strconv.AppendInt(b, int64(n), 10)
			b = append(b, `,"stream":`...)
			b = strconv.AppendInt(b, int64(r.Frames.Stream(n)), 10)
			b = append(b, '}')
			bw.Write(b)
		}
		bw.WriteByte(']')
	}
	bw.Write(doc[li+1:])
	return bw.Flush()
}

// selectedFlags lists the indices of the flags on sel's frames; nil when
// sel is nil (every flag).
func (r *Result) selectedFlags(sel *Selection) []int {
	if sel == nil {
		return nil
	}
	fl := r.Flags()
	out := make([]int, 0, len(fl))
	at := 0
	for i := range fl {
		if sel.has(fl[i].Frame, &at) {
			out = append(out, i)
		}
	}
	return out
}

// selectedFindings lists, in rank order, the findings of the given flags
// (nil: every flag), and when that is not all of them, each finding's new
// index (by old).
func (r *Result) selectedFindings(flags []int) (findings []int, newIndex map[int]int) {
	if r.Verdict == nil {
		return nil, nil
	}
	all := len(r.Verdict.Findings())
	if flags == nil {
		findings = make([]int, all)
		for g := range findings {
			findings[g] = g
		}
		return findings, nil
	}
	used := make([]bool, all)
	for _, i := range flags {
		if g := r.Verdict.FindingOf(i); g >= 0 {
			used[g] = true
		}
	}
	for g, u := range used {
		if u {
			findings = append(findings, g)
		}
	}
	if len(findings) == all {
		return findings, nil
	}
	newIndex = make(map[int]int, len(findings))
	for k, g := range findings {
		newIndex[g] = k
	}
	return findings, newIndex
}
