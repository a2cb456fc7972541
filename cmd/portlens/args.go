package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// cmdFlags are a subcommand's flags, parsed the way most command lines
// are: flags before, between or after the operands (`analyze x.pcap
// --json`), written -name or --name, with --name=value or --name value;
// a literal "--" ends the flags and "-" alone is an operand (standard
// input). The standard flag package stops at the first operand, which
// turned `--json` after a file into a file name.
type cmdFlags struct {
	*flag.FlagSet
	synopsis string // "analyze [flags] FILE..."
	about    string // what the command does, for its help
}

func newFlags(name, operands, about string) *cmdFlags {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors and help are printed by parse
	return &cmdFlags{FlagSet: fs, synopsis: strings.TrimSpace(name + " [flags] " + operands), about: about}
}

// parse sets the flags in args and returns the operands. When the
// command must end now (help was asked for, or the flags are wrong) ok is
// false and status is the exit status, the help or error already printed.
func (c *cmdFlags) parse(args []string, e env) (operands []string, status int, ok bool) {
	operands, err := c.split(args)
	if errors.Is(err, flag.ErrHelp) {
		c.usage(e.stdout)
		return nil, exitOK, false
	}
	if err != nil {
		return nil, c.fail(e, "%v", err), false
	}
	return operands, exitOK, true
}

func (c *cmdFlags) split(args []string) ([]string, error) {
	var operands []string
	for i := 0; i < len(args); i++ {
		arg := args[i]
		if arg == "--" {
			return append(operands, args[i+1:]...), nil
		}
		if len(arg) < 2 || arg[0] != '-' {
			operands = append(operands, arg)
			continue
		}
		name, value, hasValue := strings.Cut(strings.TrimPrefix(arg[1:], "-"), "=")
		if name == "" || name[0] == '-' {
			return nil, fmt.Errorf("bad flag syntax: %s", arg)
		}
		if name == "h" || name == "help" {
			return nil, flag.ErrHelp
		}
		f := c.Lookup(name)
		if f == nil {
			return nil, fmt.Errorf("unknown flag %s", arg)
		}
		if b, isBool := f.Value.(interface{ IsBoolFlag() bool }); isBool && b.IsBoolFlag() && !hasValue {
			value = "true"
		} else if !hasValue {
			if i+1 == len(args) {
				return nil, fmt.Errorf("flag --%s needs a value", name)
			}
			i++
			value = args[i]
		}
		if err := c.Set(name, value); err != nil {
			return nil, fmt.Errorf("invalid value %q for --%s: %v", value, name, err)
		}
	}
	return operands, nil
}

// fail reports a usage error on stderr and returns its exit status.
func (c *cmdFlags) fail(e env, format string, args ...any) int {
	fmt.Fprintf(e.stderr, "portlens %s: %s\n", c.Name(), fmt.Sprintf(format, args...))
	fmt.Fprintf(e.stderr, "Run 'portlens %s --help' for usage.\n", c.Name())
	return exitUsage
}

// aliasOf starts the usage of a flag that is another name for a
// one-letter flag ("the same as -Y").
const aliasOf = "the same as -"

func isAlias(f *flag.Flag) bool { return strings.HasPrefix(f.Usage, aliasOf) }

// usage prints the command's help: synopsis, what it does, its flags.
func (c *cmdFlags) usage(w io.Writer) {
	fmt.Fprintf(w, "usage: portlens %s\n\n%s\n", c.synopsis, c.about)
	first := true
	c.VisitAll(func(f *flag.Flag) {
		if isAlias(f) {
			return // printed with the flag it stands for
		}
		if first {
			fmt.Fprintf(w, "\nflags:\n")
			first = false
		}
		kind, text := flag.UnquoteUsage(f)
		line := "  --" + f.Name
		if len(f.Name) == 1 { // -Y, as tshark writes it, with its long form
			line = "  -" + f.Name
			c.VisitAll(func(a *flag.Flag) {
				if isAlias(a) && a.Usage == aliasOf+f.Name {
					line += ", --" + a.Name
				}
			})
		}
		if kind != "" {
			line += " " + kind
		}
		fmt.Fprintf(w, "%s\n      %s", line, text)
		switch f.DefValue {
		case "", "false", "0", "0s": // zero values: nothing to say
		default:
			fmt.Fprintf(w, " (default %s)", f.DefValue)
		}
		fmt.Fprintln(w)
	})
	fmt.Fprintf(w, "  -h, --help\n      print this help\n")
}
