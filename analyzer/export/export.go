// Package export writes what the page and the command hand to the user:
// the flags as CSV and JSON, and packets as a pcapng file.
package export

import (
	"encoding/csv"
	"encoding/json"
	"io"
	"strconv"
	"strings"

	"github.com/portlens/portlens/analyzer"
	"github.com/portlens/portlens/analyzer/rules"
)

// CSVHeader names the columns of FlagsCSV.
var CSVHeader = []string{"frame", "kind", "class", "severity", "stream", "message", "explanation", "advice", "related", "rule"}

// FlagsCSV writes one row per flag; related frames are space-separated.
func FlagsCSV(w io.Writer, flags []rules.Flag) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return err
	}
	for _, f := range flags {
		related := make([]string, len(f.Related))
		for i, r := range f.Related {
			related[i] = strconv.Itoa(r)
		}
		rec := []string{strconv.Itoa(f.Frame), string(f.Kind), f.Class, string(f.Severity), strconv.Itoa(f.Stream),
			f.Message, f.Explanation, f.Advice, strings.Join(related, " "), f.Rule}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// ReportJSON writes the report as `portlens analyze --json` does.
func ReportJSON(w io.Writer, rep analyzer.Report) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}
