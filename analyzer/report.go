package analyzer

import (
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
