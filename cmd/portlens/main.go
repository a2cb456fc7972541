// Command portlens analyzes packet captures for TCP port reuse and
// ephemeral-port problems, and serves or builds the browser app that does
// the same inside a tab.
//
//	portlens analyze [flags] FILE...   analyze captures (- is standard input), print flags
//	portlens serve [flags]             serve the app on localhost
//	portlens build [flags]             write the static site
//	portlens version                   print the version
package main

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
)

// Exit statuses: 0 all good, 1 bad usage (or serve/build failed), 2 a
// capture could not be read whole (what was read is still reported).
const (
	exitOK      = 0
	exitUsage   = 1
	exitDamaged = 2
)

// env is what a command runs with: its standard streams.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
}

// command is a subcommand; serve and build add themselves from their own
// files.
type command struct {
	run   func(args []string, e env) int
	about string // one line for the top-level help
}

var commands = map[string]command{
	"analyze": {runAnalyze, "analyze pcap/pcapng captures (gzip too) and explain every flag"},
	"version": {runVersion, "print the version"},
}

// commandOrder is the order of the top-level help.
var commandOrder = []string{"analyze", "serve", "build", "version"}

func main() {
	os.Exit(run(os.Args[1:], env{os.Stdin, os.Stdout, os.Stderr}))
}

func run(args []string, e env) int {
	if len(args) == 0 {
		usage(e.stderr)
		return exitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help":
		usage(e.stdout)
		return exitOK
	case "help":
		if len(args) == 1 {
			usage(e.stdout)
			return exitOK
		}
		if args[1] == "filters" {
			filterHelp(e.stdout)
			return exitOK
		}
		args = []string{args[1], "--help"}
	case "-version", "--version":
		args = append([]string{"version"}, args[1:]...)
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(e.stderr, "portlens: unknown command %q\n", args[0])
		if st, err := os.Stat(args[0]); err == nil && !st.IsDir() {
			fmt.Fprintf(e.stderr, "To analyze a capture: portlens analyze %s\n", args[0])
		}
		fmt.Fprintln(e.stderr, "Run 'portlens --help' for usage.")
		return exitUsage
	}
	return cmd.run(args[1:], e)
}

func usage(w io.Writer) {
	fmt.Fprint(w, "usage: portlens <command> [flags] [arguments]\n\ncommands:\n")
	for _, name := range commandOrder {
		fmt.Fprintf(w, "  %-8s %s\n", name, commands[name].about)
	}
	fmt.Fprint(w, `
Run 'portlens <command> --help' for a command's flags,
'portlens help filters' for the display filters' fields (analyze -Y).
Flags may come before or after the arguments; -- ends the flags.
Exit status: 0 ok, 1 usage error (or serve/build failed), 2 a capture could not be read whole.
`)
}

func runVersion(args []string, e env) int {
	fl := newFlags("version", "", "Print portlens's version: the module version, the source revision it was\nbuilt from and its time (when the build recorded them), and the Go version.")
	operands, status, ok := fl.parse(args, e)
	if !ok {
		return status
	}
	if len(operands) > 0 {
		return fl.fail(e, "version takes no arguments")
	}
	fmt.Fprintln(e.stdout, versionLine())
	return exitOK
}

// versionLine says which build this is: "portlens v1.2.3 (revision
// 0123456789ab, 2025-03-14T09:26:53Z, modified) go1.26.0 linux/amd64".
// The go command records the module version (go install of a tagged
// version) and the revision (go build inside a git checkout, unless
// -buildvcs=false); what it did not record is left out.
func versionLine() string {
	bi, _ := debug.ReadBuildInfo()
	return formatVersion(bi)
}

func formatVersion(bi *debug.BuildInfo) string {
	version, rev, when, modified := "(devel)", "", "", false
	if bi != nil {
		if bi.Main.Version != "" {
			version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value[:min(12, len(s.Value))]
			case "vcs.time":
				when = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
	}
	line := "portlens " + version
	// Go 1.24 and later make a pseudo-version of the revision and its time
	// (v0.0.0-20251130051100-bf0864e1a2b3+dirty): saying them again is noise.
	if rev == "" || !strings.Contains(version, "-"+rev) {
		var vcs []string
		if rev != "" {
			vcs = append(vcs, "revision "+rev)
		}
		if when != "" {
			vcs = append(vcs, when)
		}
		if modified {
			vcs = append(vcs, "modified")
		}
		if len(vcs) > 0 {
			line += " (" + strings.Join(vcs, ", ") + ")"
		}
	}
	return line + " " + runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH
}
