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
// output and the page's JSON export share it.
type Report struct {
	File          string         `json:"file"`
	Format        string         `json:"format"`
	Compressed    bool           `json:"compressed"`
	LinkTypes     []string       `json:"link_types"`
	Packets       int            `json:"packets"`
	FirstTime     string         `json:"first_time,omitempty"`
	LastTime      string         `json:"last_time,omitempty"`
	Duration      float64        `json:"duration_seconds"`
	Conversations int            `json:"conversations"`
	Preset        string         `json:"preset"`
	FlagCounts    map[string]int `json:"flag_counts"`
	Flags         []rules.Flag   `json:"flags"`
	Frames        []FrameReport  `json:"frames,omitempty"`
	Stopped       bool           `json:"stopped,omitempty"`
	Error         string         `json:"error"`
	ErrorFrame    int            `json:"error_frame,omitempty"`
	ErrorOffset   int64          `json:"error_offset,omitempty"`
}

// FrameReport is one frame's stream, for --frames.
type FrameReport struct {
	Frame  int `json:"frame"`
	Stream int `json:"stream"`
}

// Report builds the JSON document; withFrames adds every frame's stream.
func (r *Result) Report(opts Options, withFrames bool) Report {
	rep := Report{
		File:          r.File,
		Format:        r.info.Format,
		Compressed:    r.info.Compressed,
		LinkTypes:     r.LinkTypes(),
		Packets:       r.Packets,
		Duration:      r.Duration().Seconds(),
		Conversations: len(r.Conversations),
		Preset:        opts.Rules.Preset,
		FlagCounts:    map[string]int{},
		Flags:         r.Flags,
		Stopped:       r.Stopped,
		Error:         r.Error,
		ErrorFrame:    r.ErrorFrame,
		ErrorOffset:   r.ErrorOffset,
	}
	if rep.LinkTypes == nil {
		rep.LinkTypes = []string{}
	}
	if rep.Flags == nil {
		rep.Flags = []rules.Flag{}
	}
	for k, n := range r.FlagCounts() {
		rep.FlagCounts[string(k)] = n
	}
	if r.Packets > 0 {
		rep.FirstTime = formatTimestamp(r.FirstTime)
		rep.LastTime = formatTimestamp(r.LastTime)
	}
	if withFrames {
		rep.Frames = make([]FrameReport, len(r.Frames))
		for i, f := range r.Frames {
			rep.Frames[i] = FrameReport{Frame: i + 1, Stream: int(f.Stream)}
		}
	}
	return rep
}

func formatTimestamp(ns int64) string {
	return time.Unix(0, ns).UTC().Format(time.RFC3339Nano)
}

// WriteJSON writes rep as json.Encoder (with SetEscapeHTML(false)) would,
// byte for byte, but one flag and one frame at a time: the document is
// never whole in memory (tens of MB for a million-packet capture).
func (rep *Report) WriteJSON(w io.Writer) error {
	head := *rep
	head.Flags, head.Frames = []rules.Flag{}, nil
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
	for n := range rep.Flags {
		if n > 0 {
			bw.WriteByte(',')
		}
		buf.Reset()
		if err := enc.Encode(&rep.Flags[n]); err != nil {
			return err
		}
		bw.Write(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
	}
	bw.WriteByte(']')
	if len(rep.Frames) > 0 {
		bw.WriteString(`,"frames":[`)
		var b []byte
		for n, f := range rep.Frames {
			b = b[:0]
			if n > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"frame":`...)
			b = strconv.AppendInt(b, int64(f.Frame), 10)
			b = append(b, `,"stream":`...)
			b = strconv.AppendInt(b, int64(f.Stream), 10)
			b = append(b, '}')
			bw.Write(b)
		}
		bw.WriteByte(']')
	}
	bw.Write(doc[i+1:])
	return bw.Flush()
}
