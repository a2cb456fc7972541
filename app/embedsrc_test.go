package app

import (
	"net/url"
	"strings"
	"testing"

	"github.com/portlens/portlens/analyzer/rules"
)

func TestEmbedParamsRoundTrip(t *testing.T) {
	q, _ := url.ParseQuery("src=samples/seed-rst-storm.pcap&frame=3&filter=flagged+port:8080&os=windows")
	prm := ParseEmbedParams(q)
	want := EmbedParams{Src: "samples/seed-rst-storm.pcap", Frame: 3, Filter: "flagged port:8080", OS: "windows"}
	if prm != want {
		t.Fatalf("parsed %+v, want %+v", prm, want)
	}
	if got := prm.Query(); got != "src=samples%2Fseed-rst-storm.pcap&frame=3&filter=flagged+port%3A8080&os=windows" {
		t.Errorf("query %s", got)
	}
	if got := (EmbedParams{Src: "a.pcap"}).Query(); got != "src=a.pcap" {
		t.Errorf("query %s: empty parameters are left out", got)
	}
}

func TestSampleNamed(t *testing.T) {
	for _, src := range []string{"seed-rst-storm.pcap", "samples/seed-rst-storm.pcap", "web/samples/seed-rst-storm.pcap", "./samples/seed-rst-storm.pcap"} {
		if s, ok := SampleNamed(src); !ok || s.File != "seed-rst-storm.pcap" {
			t.Errorf("%s: not the RST storm sample", src)
		}
	}
	for _, src := range []string{"", "rst-storm.pcap", "/web/samples/seed-rst-storm.pcap", "http://evil.example/seed-rst-storm.pcap", "../samples/seed-rst-storm.pcap"} {
		if _, ok := SampleNamed(src); ok {
			t.Errorf("%q names a sample", src)
		}
	}
}

func TestSameOrigin(t *testing.T) {
	const page = "https://docs.example.org"
	tests := []struct {
		origin, protocol string
		ok               bool
	}{
		{"https://docs.example.org", "https:", true},
		{"http://docs.example.org", "http:", false},        // another scheme is another origin
		{"https://docs.example.org:8443", "https:", false}, // another port too
		{"https://evil.example", "https:", false},
		{"null", "data:", false},
		{"null", "blob:", false},
		{"https://docs.example.org", "javascript:", false},
	}
	for _, tt := range tests {
		err := SameOrigin(tt.origin, tt.protocol, page, "x.pcap")
		if (err == nil) != tt.ok {
			t.Errorf("%s %s: error %v, want ok %v", tt.protocol, tt.origin, err, tt.ok)
		}
		if err != nil && !strings.Contains(err.Error(), "refused to read") {
			t.Errorf("message %q", err)
		}
	}
}

func TestEmbedSnippet(t *testing.T) {
	prm := EmbedParams{Src: `a"b<c>.pcap`, Frame: 6}
	got := EmbedSnippet("https://example.org/portlens/", prm, `portlens: a"b<c>.pcap`)
	for _, want := range []string{
		`<iframe src="https://example.org/portlens/embed.html?src=a%22b%3Cc%3E.pcap&amp;frame=6"`,
		`title="portlens: a&#34;b&lt;c&gt;.pcap"`,
		`<script src="https://example.org/portlens/web/embed-host.js" defer></script>`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("snippet lacks %s:\n%s", want, got)
		}
	}
}

func TestSharedParams(t *testing.T) {
	s := &State{File: "capture.pcapng", Selected: 9, Settings: Settings{Preset: "macos"},
		Filter: Filter{FlaggedOnly: true, Kind: "tcp.reused_ports", Text: "port:443"}}
	prm := SharedParams(s)
	// The shorthand is shared as the display filter it means, with the
	// buttons' terms: one expression the embed's filter box reads.
	want := EmbedParams{Src: "capture.pcapng", Frame: 9, Filter: `(tcp.port == 443) && portlens.flagged && portlens.kind == "tcp.reused_ports"`, OS: "macos"}
	if prm != want {
		t.Errorf("got %+v, want %+v", prm, want)
	}
	s.Src = "seed-rst-storm.pcap"
	if SharedParams(s).Src != "seed-rst-storm.pcap" {
		t.Error("a fetched capture keeps its src")
	}
}

func TestEmbedSummary(t *testing.T) {
	m := EmbedMessage{State: PhaseDone, File: "f.pcap", Packets: 10, Flags: 4, Kinds: map[string]int{"tcp.reused_ports": 4}, Frame: 3}
	got := embedSummary(m, "TCP port numbers reused: SYN")
	if want := "f.pcap: 10 packets, 4 flags (tcp.reused_ports 4); frame 3: TCP port numbers reused: SYN"; got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
	m = EmbedMessage{State: PhaseError, Error: "refused to read \"x\""}
	if got := embedSummary(m, ""); got != `portlens: refused to read "x"` {
		t.Errorf("got %q", got)
	}
}

func TestValidPreset(t *testing.T) {
	for _, p := range rules.Presets {
		if !validPreset(p.Name) {
			t.Errorf("%s", p.Name)
		}
	}
	if !validPreset("auto") || validPreset("") || validPreset("<script>") {
		t.Error("auto is a preset, empty and junk are not")
	}
}
