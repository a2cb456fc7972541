package analyzer

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"strconv"
	"time"

	"github.com/portlens/portlens/analyzer/rules"
)

// Report is the JSON document for one capture: the command's --json
// output and the page's JSON export are written by the same function,
// Result.WriteJSON. The struct names its fields (and reads a document
// back); the writer streams the flags and frames without holding them.
type Report struct {
	File          string            `json:"file"`
	Format        string            `json:"format"`
	Compressed    bool              `json:"compressed"`
	LinkTypes     []string          `json:"link_types"`
	Packets       int               `json:"packets"`
	FirstTime     string            `json:"first_time,omitempty"`
	LastTime      string            `json:"last_time,omitempty"`
	Duration      float64           `json:"duration_seconds"`
	Conversations int               `json:"conversations"`
	Preset        string            `json:"preset"`
	NAT           *NATReport        `json:"nat,omitempty"`
	FlagCounts    map[string]int    `json:"flag_counts"`
	Flags         []rules.Explained `json:"flags"`
	Frames        []FrameReport     `json:"frames,omitempty"`
	Stopped       bool              `json:"stopped,omitempty"`
	Error         string            `json:"error"`
	ErrorFrame    int               `json:"error_frame,omitempty"`
	ErrorOffset   int64             `json:"error_offset,omitempty"`
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
		FlagCounts:    map[string]int{},
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
// would write a Report holding every flag in words (and, withFrames,
// every frame's stream), byte for byte; but one flag and one frame at a
// time, each flag's words rendered as it is written: the document is
// never whole in memory (hundreds of MB for a million-packet capture).
func (r *Result) WriteJSON(w io.Writer, opts Options, withFrames bool) error {
	head := r.header(opts)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(&head); err != nil {
		return err
	}
	doc := bytes.Clone(buf.Bytes())
	// A string value cannot hold an unescaped quote, so this is the key.
	i := bytes.Index(doc, []byte(`,"flags":[]`))
	if i < 0 {
		return io.ErrUnexpectedEOF // cannot happen: Flags is never omitted
	}
	i += len(`,"flags":[`)
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.Write(doc[:i])
	for n := range r.Flags() {
		if n > 0 {
			bw.WriteByte(',')
		}
		buf.Reset()
		e := r.Verdict.Explain(n)
		if err := enc.Encode(&e); err != nil {
			return err
		}
		bw.Write(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
	}
	bw.WriteByte(']')
	if withFrames && r.Frames.Len() > 0 {
		bw.WriteString(`,"frames":[`)
		var b []byte
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
	bw.Write(doc[i+1:])
	return bw.Flush()
}
