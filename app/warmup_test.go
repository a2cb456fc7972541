package app

import (
	"bytes"
	"testing"

	"github.com/portlens/portlens/analyzer"
)

// The warm-up capture must exercise what a real one does: every packet
// decoded as TCP, conversations that reuse ports, and flags the rules
// group into findings.
func TestWarmCapture(t *testing.T) {
	capture := warmCapture()
	if len(capture) > warmCaptureSize {
		t.Errorf("the warm-up capture is %d bytes, past the %d its buffer is made for", len(capture), warmCaptureSize)
	}
	res := analyzer.Analyze("warm-up", bytes.NewReader(capture), analyzer.DefaultOptions())
	if res.Error != "" {
		t.Fatalf("error: %s", res.Error)
	}
	wantPackets := 0
	for i := range warmConversations {
		wantPackets += 8 // handshake, request, reply, close
		if i%7 == 6 {
			wantPackets -= 3 // reset after the request
		}
	}
	if res.Packets != wantPackets {
		t.Errorf("%d packets, want %d", res.Packets, wantPackets)
	}
	if n := res.Conversations.Len(); n != warmConversations {
		t.Errorf("%d TCP conversations, want %d", n, warmConversations)
	}
	counts := res.Verdict.Counts()
	t.Logf("flags: %v, findings: %d", counts, len(res.Verdict.Findings()))
	if len(res.Flags()) == 0 || len(res.Verdict.Findings()) == 0 {
		t.Errorf("no flags or no findings: the rules' grouping would not run")
	}
}
