// Package export writes what the page and the command hand to the user
// besides the JSON report (Result.WriteJSON): the flags as CSV, and
// packets as a pcapng file.
package export

import (
	"encoding/csv"
	"io"
	"strconv"
	"strings"

	"github.com/portlens/portlens/analyzer"
)

// CSVHeader names the columns of FlagsCSV.
var CSVHeader = []string{"frame", "kind", "class", "severity", "stream", "message", "explanation", "advice", "related", "rule"}

// FlagsCSV writes one row per flag of res, each rendered in words as it
// is written; related frames are space-separated.
func FlagsCSV(w io.Writer, res *analyzer.Result) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return err
	}
	for i := range res.Flags() {
		f := res.Verdict.Explain(i)
		related := make([]string, len(f.Related))
		for i, r := range f.Related {
			related[i] = strconv.Itoa(r)
		}
		rec := []string{strconv.Itoa(f.Frame), f.Kind.String(), f.Class, string(f.Severity), strconv.Itoa(f.Stream),
			f.Message, f.Explanation, f.Advice, strings.Join(related, " "), f.Rule}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
