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
	Preset        string   `json:"preset"`
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
	Stopped     bool                     `json:"stopped,omitempty"`
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
		Stopped:       r.Stopped,
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
	head := r.header(opts)
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
	encodeEach := func(n int, at func(i int) any) error {
		for i := range n {
			if i > 0 {
				bw.WriteByte(',')
			}
			buf.Reset()
			if err := enc.Encode(at(i)); err != nil {
				return err
			}
			bw.Write(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
		}
		return nil
	}
	var findings int
	if r.Verdict != nil {
		findings = len(r.Verdict.Findings())
	}
	if err := encodeEach(findings, func(i int) any { e := r.Verdict.ExplainFinding(i); return &e }); err != nil {
		return err
	}
	bw.Write(doc[fi:li])
	var b []byte // one flag's JSON, its memory reused
	for i := range r.Flags() {
		b = b[:0]
		if i > 0 {
			b = append(b, ',')
		}
		e := r.Verdict.Explain(i)
		b = appendFlagJSON(b, &e)
		bw.Write(b)
	}
	bw.WriteByte(']')
	if withFrames && r.Frames.Len() > 0 {
		bw.WriteString(`,"frames":[`)
		for n := 1; n <= r.Frames.Len(); n++ {
			b = b[:0]
			if n > 1 {
				b = append(b, ',')
			}
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
