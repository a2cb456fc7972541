package app

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/portlens/portlens/analyzer"
)

// ErrorBanner says why reading stopped, where, and that everything before
// the damage is still shown.
type ErrorBanner struct {
	app.Compo
	S   *State
	Rev int
}

func (c *ErrorBanner) Render() app.UI {
	res := c.S.Res
	title, text, hint := "The capture is damaged", res.Error, ""
	switch {
	case strings.HasPrefix(res.Error, "not a capture file"):
		title = "This is not a capture file"
		text = notCaptureText(c.S.File, res.Error) // the title says "not a capture file" once
		hint = "portlens reads pcap and pcapng files (also gzip-compressed), as written by tcpdump, Wireshark, dumpcap or tshark."
	case res.StopReason == analyzer.StopMemory || res.StopReason == analyzer.StopPackets:
		title, hint = budgetText(c.S)
	case strings.Contains(res.Error, "link type"):
		title = "Unsupported link type"
		hint = "Frames of this link type cannot be decoded; the others are analyzed."
	case res.Packets > 0:
		hint = fmt.Sprintf("Reading stopped at the damage; the %s before it are analyzed below.", plural(res.Packets, "packet", "packets"))
	}
	if res.Packets == 0 && hint == "" {
		hint = "No packet could be read before the damage."
	}
	return app.Div().ID("error").Class("error-banner").Attr("role", "alert").Attr("data-stop", res.StopReason).Body(
		app.Strong().Text(title+": "),
		app.Span().Class("error-text").Text(text+"."),
		app.P().Class("hint").Text(hint),
	)
}

// budgetText is the title and the hint of a reading the budget stopped:
// what was read, what the results cover, and where to read the rest.
func budgetText(s *State) (title, hint string) {
	res := s.Res
	covered := "The results below cover no frame"
	if res.Packets > 0 {
		covered = "The results below cover frames 1 to " + thousands(res.Packets)
	}
	if s.Size > 0 {
		covered += fmt.Sprintf(" (%s of %s read)", humanBytes(s.Bytes), humanBytes(s.Size))
	}
	if res.StopReason == analyzer.StopPackets {
		return "Packet limit reached", covered + "; the rest of the file was not read."
	}
	return "Memory budget reached", covered + ": the rest of the file was not read, so that this tab does not run out of memory. " +
		"The command reads it with the machine's memory: portlens analyze --max-memory SIZE."
}

// StoppedBanner says that the reading was stopped (Cancel) and that what
// is shown covers only the packets read until then.
type StoppedBanner struct {
	app.Compo
	S   *State
	Rev int
}

func (c *StoppedBanner) Render() app.UI {
	s := c.S
	read := thousands(s.Res.Packets) + " packets"
	if s.Res.Packets == 1 {
		read = "1 packet"
	}
	of := ""
	if s.Size > 0 {
		of = fmt.Sprintf(" (%s of %s)", humanBytes(s.Bytes), humanBytes(s.Size))
	}
	return app.Div().ID("stopped").Class("stopped-banner").Attr("role", "status").Body(
		app.Strong().Text("Stopped after "+read+of+"."),
		app.Text(" The results below judge only what was read; open the file again to read it whole."),
	)
}

// notCaptureText says what the file is instead of a capture: "notes.txt
// starts with 3c 21 44 4f ("<!DO")", from the reader's "not a capture
// file: starts with 3c 21 44 4f".
func notCaptureText(file, msg string) string {
	rest := strings.TrimPrefix(strings.TrimPrefix(msg, "not a capture file"), ": ")
	rest = strings.TrimPrefix(rest, "it ")
	if rest == "" {
		return file
	}
	if hexes, ok := strings.CutPrefix(rest, "starts with "); ok {
		var text []byte
		for _, h := range strings.Fields(hexes) {
			b, err := strconv.ParseUint(h, 16, 8)
			if err != nil || b < 0x20 || b > 0x7e {
				text = nil
				break
			}
			text = append(text, byte(b))
		}
		if len(text) > 0 {
			rest += fmt.Sprintf(" (%q as text)", text)
		}
	}
	return file + " " + rest
}
