// Command portlens analyzes packet captures for TCP port reuse and
// ephemeral-port problems, and serves or builds the browser app that does
// the same inside a tab.
//
//	portlens analyze [flags] FILE...   analyze captures, print flags
//	portlens serve [flags]             serve the app on localhost
//	portlens build [flags]             write the static site
package main

import (
	"fmt"
	"io"
	"os"
)

// Exit statuses: 0 all good, 1 bad usage, 2 a capture could not be read
// whole (what was read is still reported).
const (
	exitOK      = 0
	exitUsage   = 1
	exitDamaged = 2
)

// commands maps each subcommand to its function; serve and build add
// themselves from their own files.
var commands = map[string]func(args []string, stdout, stderr io.Writer) int{
	"analyze": runAnalyze,
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		return exitUsage
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "portlens: unknown command %q\n", args[0])
		usage(stderr)
		return exitUsage
	}
	return cmd(args[1:], stdout, stderr)
}

func usage(w io.Writer) {
	fmt.Fprint(w, `usage: portlens <command> [flags]

commands:
  analyze [--json] [--frames] [--os PRESET] [--ephemeral LO-HI] [--time-wait D] FILE...
          analyze pcap/pcapng captures (gzip too) and explain every flag
  serve   [--addr 127.0.0.1:8000]      serve the browser app
  build   [--out DIR] [--base /path]   write the static site

Run 'portlens <command> -h' for a command's flags.
`)
}
