package main

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/portlens/portlens/analyzer/filter"
)

// filterHelp prints what display filters can say: the fields portlens
// knows, with their types, and the operators. It is `portlens help
// filters`; the analyzer's field table is the one source, so the list
// cannot drift from what -Y and the page accept.
func filterHelp(w io.Writer) {
	fmt.Fprint(w, `Display filters (analyze -Y, and the page's filter box) are Wireshark's:

  tcp.analysis.reused_ports && ip.src == 10.0.0.0/8
  tcp.stream in {3, 7} || tcp.port in {1..1023}
  portlens.kind == "port.exhaustion" and not tcp.flags.reset

Operators: == != > < >= <= (eq ne gt lt ge le), ~= (any_ne), in {a, b, x..y},
contains, matches, && || ^^ ! (and or xor not), parentheses. A field with several
values matches == when any value does and != only when all differ (Wireshark 4).

Fields:
`)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, f := range filter.Fields() {
		typ := f.Type.String()
		if f.Type == filter.TypeUint {
			typ = fmt.Sprintf("%s (%d bits)", typ, f.Bits)
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", f.Name, typ, f.Desc)
	}
	tw.Flush()
}
