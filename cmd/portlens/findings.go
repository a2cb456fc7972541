package main

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/portlens/portlens/analyzer"
	"github.com/portlens/portlens/analyzer/rules"
)

// How much of the findings the default text output shows, so that it fits
// a screen or two whatever the number of flags: the first ones in full
// (explanation, advice, example frames), the next ones as a title each.
const (
	findingsInFull  = 5
	findingsAsTitle = 10
	textWidth       = 100
)

// printFindings prints the given findings (indices into the verdict's,
// in rank order) and returns the kinds it showed; flags is how many flags
// they are about.
func printFindings(w io.Writer, res *analyzer.Result, src io.ReaderAt, list []int, flags int) []rules.Kind {
	v := res.Verdict
	if v == nil || len(list) == 0 {
		return nil
	}
	all := v.Findings()
	n := len(list)
	fmt.Fprintf(w, "  findings      %s (the flags grouped by cause and subject)\n", count(n, "finding"))
	var kinds []rules.Kind
	full := min(n, findingsInFull)
	for _, g := range list[:full] {
		f := v.ExplainFinding(g)
		kinds = appendKind(kinds, f.Kind)
		fmt.Fprintln(w)
		fmt.Fprintf(w, "%2d. %s %s%s: %s\n", g+1, strings.ToUpper(string(f.Severity)), f.Kind, classWords(f.Class), f.Title)
		wrap(w, f.Explanation, "    ")
		wrap(w, "What to do: "+f.Advice, "    ")
		printExamples(w, res, src, &all[g])
	}
	titles := min(n-full, findingsAsTitle)
	if titles > 0 {
		fmt.Fprintln(w)
		for _, g := range list[full : full+titles] {
			f := v.ExplainFinding(g)
			kinds = appendKind(kinds, f.Kind)
			fmt.Fprintf(w, "%2d. %s %s%s: %s\n", g+1, strings.ToUpper(string(f.Severity)), f.Kind, classWords(f.Class), f.Title)
		}
	}
	fmt.Fprintln(w)
	if more := n - full - titles; more > 0 {
		fmt.Fprintf(w, "... and %d more %s: ", more, plural(more, "finding"))
	}
	fmt.Fprintf(w, "--all prints every flagged frame (%s), --json every finding and flag.\n", count(flags, "flag"))
	return kinds
}

// printExamples prints a finding's first, worst and last frames as tshark
// would (the JSON report and the page give up to 10).
func printExamples(w io.Writer, res *analyzer.Result, src io.ReaderAt, f *rules.Finding) {
	type ex struct {
		label string
		frame int32
	}
	list := []ex{{"first", f.FirstFrame}, {"worst", f.WorstFrame}, {"last", f.LastFrame}}
	if f.Count == 1 {
		list = list[:1]
		list[0].label = "frame"
	}
	var done []int32
	for _, e := range list {
		if e.frame == f.FirstFrame && e.label == "worst" {
			continue // the first is the worst: said once
		}
		if slices.Contains(done, e.frame) {
			continue
		}
		done = append(done, e.frame)
		label := e.label
		if e.label == "first" && e.frame == f.WorstFrame && f.Count > 1 {
			label = "first, worst"
		}
		printRow(w, res, src, int(e.frame), fmt.Sprintf("    %-12s", label))
	}
}

// printRules prints the rule each kind shown was judged by, once a kind;
// kinds nil means every kind that has flags.
func printRules(w io.Writer, res *analyzer.Result, kinds []rules.Kind) {
	if res.Verdict == nil || len(res.Flags()) == 0 {
		return
	}
	rule := map[rules.Kind]int{} // a flag of each kind
	for i, f := range res.Flags() {
		if _, ok := rule[f.Kind]; !ok {
			rule[f.Kind] = i
		}
	}
	if kinds == nil {
		for _, k := range rules.Kinds {
			if _, ok := rule[k]; ok {
				kinds = append(kinds, k)
			}
		}
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Rules:")
	for _, k := range kinds {
		wrap(w, k.String()+": "+res.Verdict.Explain(rule[k]).Rule, "  ")
	}
}

func classWords(class string) string {
	if class == "" {
		return ""
	}
	return " (" + class + ")"
}

func appendKind(kinds []rules.Kind, k rules.Kind) []rules.Kind {
	for _, have := range kinds {
		if have == k {
			return kinds
		}
	}
	return append(kinds, k)
}

// wrap prints text in lines of at most textWidth columns, each after
// indent; a word longer than a line gets a line of its own.
func wrap(w io.Writer, text, indent string) {
	line := indent
	for _, word := range strings.Fields(text) {
		if len([]rune(line))+1+len([]rune(word)) > textWidth && line != indent {
			fmt.Fprintln(w, line)
			line = indent
		}
		if line != indent {
			line += " "
		}
		line += word
	}
	if line != indent {
		fmt.Fprintln(w, line)
	}
}
