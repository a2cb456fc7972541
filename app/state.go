package app

import (
	"io"
	"sort"
	"sync"
	"time"

	"github.com/portlens/portlens/analyzer"
	"github.com/portlens/portlens/analyzer/conv"
	"github.com/portlens/portlens/analyzer/rules"
	"github.com/portlens/portlens/analyzer/summary"
)

// Phase of the page, also its root element's data-state.
const (
	PhaseIdle    = "idle"
	PhaseReading = "reading"
	PhaseDone    = "done"
	PhaseError   = "error"
)

// State is what the page knows: shared by pointer between the page and its
// views, changed only on the UI goroutine by the page. Views re-render
// when the page bumps Rev.
type State struct {
	Rev   int
	Phase string

	// The file being read or shown.
	File    string
	Src     string // how an embed names this capture; "" for a file from this computer
	Size    int64
	Bytes   int64
	Packets int
	Started time.Time
	Elapsed time.Duration
	Notice  string // "Cancelled." and the like

	Res      *analyzer.Result
	Settings Settings
	src      io.ReaderAt

	// Derived from Res.Flags: frames with flags in order, and each frame's flags.
	flagged []int32

	Filter Filter
	view   []int32 // frames shown, nil for all
	// FilterProblem says why the filter does not apply ("" when it does);
	// Filtering is set while it is being applied in the background.
	FilterProblem string
	Filtering     bool
	applied       string // the Expr of the filter the view holds the frames of
	Tab           string
	// Selected is the selected frame, 0 for none.
	Selected int

	rowsMu sync.Mutex
	rows   map[int]*analyzer.Row
	// decodeMu serializes reads of the file again (Result.Row and
	// Result.Packet share buffers, and their reads await the browser).
	decodeMu *sync.Mutex
	// RowsRev counts rows loaded, so views waiting for rows re-render.
	RowsRev int

	derived derived
	tables  tables // the Conversations and Endpoints tables' sort, filter and scroll
}

// Options are the analyzer's options for the current settings.
func (s *State) Options() analyzer.Options {
	return analyzer.Options{Rules: s.Settings.Rules()}
}

// reset starts a new file.
func (s *State) reset(name string, size int64) {
	rev := s.Rev
	*s = State{Settings: s.Settings, Phase: PhaseReading, File: name, Size: size, Started: time.Now(),
		Tab: TabPackets, decodeMu: new(sync.Mutex), Rev: rev + 1}
}

// finish takes the analysis' result.
func (s *State) finish(res *analyzer.Result, src io.ReaderAt) {
	s.Res, s.src = res, src
	s.Packets = res.Packets
	s.Elapsed = time.Since(s.Started)
	s.Phase = PhaseDone
	if res.Error != "" {
		s.Phase = PhaseError
	}
	s.rows = map[int]*analyzer.Row{}
	s.index()
	if hasFindings(s) {
		s.Tab = TabFindings // the diagnosis first
	}
	s.Rev++
}

// setVerdict swaps in the verdict of a re-judgement (Page.rejudge).
func (s *State) setVerdict(v *rules.Verdict) {
	s.Res.Verdict = v
	s.rowsMu.Lock()
	s.rows = map[int]*analyzer.Row{} // rows carry their flags and Info text
	s.rowsMu.Unlock()
	s.index()
	if s.Tab == TabFindings && !hasFindings(s) {
		s.Tab = TabPackets
	}
	s.Rev++
}

// index lists the flagged frames (a frame's flags are found by
// Result.FlagsOf's binary search, not kept in a map).
func (s *State) index() {
	flags := s.Res.Flags()
	// Sized once: appending frame by frame to millions of flags grew and
	// copied the list in the task that shows the results (107 ms of 168
	// on 23M packets and 2.5M flags).
	s.flagged = make([]int32, 0, len(flags))
	for _, f := range flags {
		if n := len(s.flagged); n == 0 || s.flagged[n-1] != f.Frame {
			s.flagged = append(s.flagged, f.Frame)
		}
	}
}

// applyFilter applies s.Filter now: the view becomes the frames it
// matches, or, when it does not compile, stays what it was (nothing is
// half applied) and FilterProblem says why. The page filters big captures
// in the background instead (Page.refilter); tests and small captures
// use this.
func (s *State) applyFilter() {
	f, err := s.Filter.Compile()
	if err != nil {
		s.FilterProblem = err.Error()
		return
	}
	s.FilterProblem, s.Filtering = "", false
	s.applied = s.Filter.Expr()
	if f == nil {
		s.view = nil
		return
	}
	view, err := s.Res.Select(f, s.src, nil)
	s.view = view
	if err != nil {
		s.FilterProblem = "some frames could not be read again: " + err.Error()
	}
}

// shownFilter is the filter the list's rows are the frames of, as its
// text (the page's data-filter, for automation): the filter asked for,
// unless it does not compile or is still being applied.
func (s *State) shownFilter() string {
	if s.FilterProblem != "" || s.Filtering {
		return s.applied
	}
	return s.Filter.Expr()
}

// FlagsOf returns the flags of frame n.
func (s *State) FlagsOf(n int) []rules.Flag {
	if s.Res == nil {
		return nil
	}
	return s.Res.FlagsOf(n)
}

// Severity is the highest severity among frame n's flags, "" if none.
func (s *State) Severity(n int) rules.Severity {
	sev := rules.Severity("")
	for _, f := range s.FlagsOf(n) {
		if sev == "" || f.Severity() == rules.Warning {
			sev = f.Severity()
		}
	}
	return sev
}

// Len is the number of rows in the packet list.
func (s *State) Len() int {
	if s.Res == nil {
		return 0
	}
	if s.view != nil {
		return len(s.view)
	}
	return s.Res.Frames.Len()
}

// FrameAt is the frame number of list row i (0-based).
func (s *State) FrameAt(i int) int {
	if s.view != nil {
		return int(s.view[i])
	}
	return i + 1
}

// IndexOf is the list row of frame n, or -1 when the filter hides it.
func (s *State) IndexOf(n int) int {
	if s.Res == nil || n < 1 || n > s.Res.Frames.Len() {
		return -1
	}
	if s.view == nil {
		return n - 1
	}
	i := sort.Search(len(s.view), func(i int) bool { return int(s.view[i]) >= n })
	if i < len(s.view) && int(s.view[i]) == n {
		return i
	}
	return -1
}

// NextFlag is the first flagged frame after n (dir 1) or before it (-1)
// that the list shows, 0 when there is none.
func (s *State) NextFlag(n, dir int) int {
	i := sort.Search(len(s.flagged), func(i int) bool { return int(s.flagged[i]) >= n })
	if dir > 0 {
		if i < len(s.flagged) && int(s.flagged[i]) == n {
			i++
		}
	} else {
		i--
	}
	for ; i >= 0 && i < len(s.flagged); i += dir {
		if f := int(s.flagged[i]); s.IndexOf(f) >= 0 {
			return f
		}
	}
	return 0
}

// Row returns frame n's row if it is loaded.
func (s *State) Row(n int) *analyzer.Row {
	s.rowsMu.Lock()
	defer s.rowsMu.Unlock()
	return s.rows[n]
}

// loadRows decodes the given frames again from the file. It awaits the
// file's reads, so it runs on its own goroutine.
func (s *State) loadRows(res *analyzer.Result, src io.ReaderAt, frames []int) {
	for _, n := range frames {
		if s.Row(n) != nil {
			continue
		}
		s.decodeMu.Lock()
		row, err := res.Row(src, n)
		s.decodeMu.Unlock()
		if err != nil {
			row = analyzer.Row{Number: n, Info: "cannot read this frame again: " + err.Error(), Stream: -1}
		}
		s.rowsMu.Lock()
		if s.Res == res { // not replaced by another file meanwhile
			if len(s.rows) > 4096 {
				s.rows = map[int]*analyzer.Row{}
			}
			s.rows[n] = &row
		}
		s.rowsMu.Unlock()
	}
}

// derived holds the aggregate views of the result under one verdict,
// computed when a view first asks, not on every render.
type derived struct {
	verdict  *rules.Verdict
	services []summary.Service
	clients  []summary.Client
	presets  string // rulesLabel under auto
	// The Ports view's: each client's destinations, and the last client
	// and destination gathered, binned and drawn (zooming asks again).
	dests    map[conv.HostID][]summary.Destination
	use      *summary.PortUse
	timeline struct {
		key  binKey
		data summary.Timeline
	}
	density struct {
		key    binKey
		lo, hi uint16
		data   summary.Density
	}
}

// binKey names one binning of a PortUse.
type binKey struct {
	use        *summary.PortUse
	from, to   int64
	cols, rows int
}

// fresh drops what was derived under another verdict.
func (s *State) fresh() *derived {
	if s.derived.verdict != s.Res.Verdict {
		s.derived = derived{verdict: s.Res.Verdict}
	}
	return &s.derived
}

// Services are the capture's services, most connections first.
func (s *State) Services() []summary.Service {
	d := s.fresh()
	if d.services == nil {
		d.services = summary.Services(s.Res)
	}
	return d.services
}

// Clients are the capture's client hosts, each judged by its preset.
func (s *State) Clients() []summary.Client {
	d := s.fresh()
	if d.clients == nil {
		d.clients = summary.Clients(s.Res)
	}
	return d.clients
}

// Destinations are the destinations host opened connections to.
func (s *State) Destinations(host conv.HostID) []summary.Destination {
	d := s.fresh()
	if d.dests == nil {
		d.dests = map[conv.HostID][]summary.Destination{}
	}
	if _, ok := d.dests[host]; !ok {
		d.dests[host] = summary.Destinations(s.Res, host)
	}
	return d.dests[host]
}

// PortUse is host's connections to dest (every destination when all), as
// the rules count their ports.
func (s *State) PortUse(host conv.HostID, dest conv.Endpoint, all bool) *summary.PortUse {
	d := s.fresh()
	if u := d.use; u == nil || u.Host != host || u.All != all || (!all && u.Dest != dest) {
		d.use = summary.Ports(s.Res, host, dest, all)
	}
	return d.use
}

// Timeline is u binned over [from, to) into cols columns.
func (s *State) Timeline(u *summary.PortUse, from, to int64, cols int) summary.Timeline {
	d := s.fresh()
	k := binKey{use: u, from: from, to: to, cols: cols}
	if d.timeline.key != k {
		d.timeline.key, d.timeline.data = k, u.Bin(from, to, cols)
	}
	return d.timeline.data
}

// Density is u's connections binned by time and source port.
func (s *State) Density(u *summary.PortUse, from, to int64, cols, rows int, lo, hi uint16) summary.Density {
	d := s.fresh()
	k := binKey{use: u, from: from, to: to, cols: cols, rows: rows}
	if d.density.key != k || d.density.lo != lo || d.density.hi != hi {
		d.density.key, d.density.lo, d.density.hi = k, lo, hi
		d.density.data = u.Density(from, to, cols, rows, lo, hi)
	}
	return d.density.data
}
