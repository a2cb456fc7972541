package rules

import (
	"slices"
	"testing"
	"time"

	"github.com/portlens/portlens/analyzer/conv"
)

// staleCase builds an earlier connection on ports 40000 -> 443 (frames
// 1-6, its last packet at 10 s), shaped by end, and a SYN on the same
// ports gap later (frame 10, stream 1) answered by an ACK whose ack is
// ack (frame 11).
func staleCase(end func(c *conv.Conversation), gap time.Duration, ack uint32) *Input {
	a := handshake(40000, 443, 1, 0)
	a.LastFrame, a.LastTime = 6, 10*sec
	a.NextSeq = [2]uint32{5000, 9000}
	end(&a)
	b := conv.Conversation{A: a.A, B: a.B, FirstFrame: 10, LastFrame: 11, FirstTime: 10*sec + int64(gap),
		LastTime: 10*sec + int64(gap) + 1e6, Packets: [2]uint32{1, 1}, PrevStream: 0, NextStream: -1, Reused: true,
		SYNCount: 1, SYN: conv.Segment{Frame: 10, Time: 10*sec + int64(gap), Seq: 100}, SYNDir: conv.FromA}
	a.NextStream = 1
	in := input(a, b)
	in.Answers = []conv.Answer{{Stream: 1, Frame: 11, Time: b.LastTime, Seq: 9000, Ack: ack}}
	return in
}

func TestStalePeerClasses(t *testing.T) {
	fin := func(first conv.Dir) func(*conv.Conversation) {
		return func(c *conv.Conversation) { closeFIN(c, first, 4, 10*sec) }
	}
	for _, tc := range []struct {
		name  string
		end   func(*conv.Conversation)
		gap   time.Duration
		ack   uint32
		class Class // NoClass: no flag
		texts []string
	}{
		{"server closed first, 20 s ago", fin(conv.FromB), 20 * time.Second, 5000, ClassPeerTimeWait,
			[]string{"198.51.100.20:443 closed stream 0 first (FIN in frame 4", "inside the TIME_WAIT of 60.000 s",
				"exactly where 192.0.2.10:40000's side of stream 0 ended", "seq 9000 where 198.51.100.20:443's side ended",
				"the ISN 100 is not above the old connection's last 5000", "No RST from 192.0.2.10:40000 followed",
				"No SYN/ACK came in the capture"}},
		{"server closed first, past the preset's TIME_WAIT", fin(conv.FromB), 90 * time.Second, 5000, ClassPeerTimeWait,
			[]string{"longer than the TIME_WAIT of 60.000 s", "its TIME_WAIT is longer than the preset says"}},
		{"client closed first: the server was in LAST-ACK, not TIME_WAIT", fin(conv.FromA), 20 * time.Second, 5000, ClassHalfOpen,
			[]string{"192.0.2.10:40000 closed stream 0 first (FIN in frame 4) and 198.51.100.20:443's FIN followed in frame 5", "LAST-ACK"}},
		{"never closed", func(*conv.Conversation) {}, 30 * time.Second, 5000, ClassHalfOpen,
			[]string{"Stream 0 never closed in the capture", "30.000 s before this SYN", "challenge ACK"}},
		{"only the client closed (CLOSE-WAIT)", func(c *conv.Conversation) { c.FirstFIN[conv.FromA] = 4 }, time.Second, 5000,
			ClassHalfOpen, []string{"192.0.2.10:40000 closed its side of stream 0 in frame 4", "CLOSE-WAIT"}},
		{"only the server closed (FIN-WAIT-2)", func(c *conv.Conversation) { c.FirstFIN[conv.FromB] = 4 }, time.Second, 5000,
			ClassHalfOpen, []string{"FIN-WAIT-2"}},
		{"ended with an RST", func(c *conv.Conversation) { c.FirstRST, c.RSTDir = 5, conv.FromA }, time.Second, 5000,
			ClassHalfOpen, []string{"ended with an RST from 192.0.2.10:40000 in frame 5", "did not reach it"}},
		{"the ACK acknowledges the SYN: its SYN/ACK was not captured", fin(conv.FromB), 20 * time.Second, 101, NoClass, nil},
		{"another ack", fin(conv.FromB), 20 * time.Second, 4000, ClassPeerTimeWait, []string{"side of it ended at 5000"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := staleCase(tc.end, tc.gap, tc.ack)
			v := Judge(in, Settings{})
			var got []Explained
			for i, f := range v.Flags {
				if f.Kind == StalePeer {
					got = append(got, v.Explain(i))
					if h, ok := v.JudgedBy(i); !ok || h.Host != server {
						t.Errorf("judged by %v %v, want the peer %s", h.Host, ok, server)
					}
				}
			}
			if tc.class == NoClass {
				if len(got) != 0 {
					t.Fatalf("flagged: %+v", got)
				}
				return
			}
			if len(got) != 1 || got[0].Frame != 10 || got[0].Class != tc.class.String() || got[0].Stream != 1 {
				t.Fatalf("got %+v, want one %s flag on frame 10", got, tc.class)
			}
			mustContain(t, got[0].Explanation, tc.texts...)
			mustContain(t, got[0].Message, "never opened in the capture")
			if !slices.Equal(got[0].Related[len(got[0].Related)-1:], []int{11}) {
				t.Errorf("related %v, want the ACK last", got[0].Related)
			}
		})
	}
}

// Without an RST the SYN sent again stays in the stream: the tracker's
// Retry names it, and the SYN/ACK in the same stream opens the connection.
func TestStalePeerRetryInSameStream(t *testing.T) {
	in := staleCase(func(c *conv.Conversation) { closeFIN(c, conv.FromB, 4, 10*sec) }, 20*time.Second, 5000)
	b := in.Conversations.At(1)
	b.SYNCount = 2
	b.SYNACK, b.SYNACKDir = conv.Segment{Frame: 13, Time: b.SYN.Time + 1003e6}, conv.FromB
	in.Answers[0].Retry, in.Answers[0].RetryTime = 12, b.SYN.Time+1e9
	f := judge(t, in, Settings{}, StalePeer)
	if len(f) != 1 {
		t.Fatalf("got %+v", f)
	}
	mustContain(t, f[0].Explanation, "No RST", "again in frame 12, 1.000 s after the first", "2 SYNs in all",
		"SYN/ACK came in frame 13 (stream 1)", "collision cost 1.003 s")
	mustContain(t, f[0].Message, "opened 1.003 s late")
	if !slices.Equal(f[0].Related, []int{1, 4, 11, 12, 13}) {
		t.Errorf("related %v", f[0].Related)
	}
}

// A SYN sent again after the RST starts a new stream; if the peer answers
// it the same way it is a later round of one collision: flagged once.
func TestStalePeerRoundsFlaggedOnce(t *testing.T) {
	in := staleCase(func(c *conv.Conversation) { closeFIN(c, conv.FromB, 4, 10*sec) }, 20*time.Second, 5000)
	b := in.Conversations.At(1)
	b.NextStream = 2
	c2 := *b
	c2.FirstFrame, c2.PrevStream, c2.NextStream = 14, 1, 3
	c2.SYN.Frame, c2.SYN.Time = 14, b.SYN.Time+1e9
	c3 := c2
	c3.FirstFrame, c3.PrevStream, c3.NextStream = 17, 2, -1
	c3.SYN.Frame, c3.SYN.Time = 17, b.SYN.Time+3e9
	c3.SYNACK, c3.SYNACKDir = conv.Segment{Frame: 18, Time: c3.SYN.Time + 1e6}, conv.FromB
	for _, c := range []conv.Conversation{c2, c3} {
		p, _ := in.Conversations.Add()
		*p = c
	}
	in.Answers[0].RST, in.Answers[0].RSTSeq = 12, 5000
	in.Answers = append(in.Answers, conv.Answer{Stream: 2, Frame: 15, Time: c2.SYN.Time + 1e5, Seq: 9000, Ack: 5000})
	f := judge(t, in, Settings{}, StalePeer)
	if len(f) != 1 || f[0].Frame != 10 {
		t.Fatalf("got %v, want frame 10 only", frames(f))
	}
	mustContain(t, f[0].Explanation, "reset it in frame 12 (RST seq 5000, the ACK's acknowledgment number",
		"did not honour", "again in frame 14", "3 SYNs in all, 2 of them answered by the same stale ACK",
		"SYN/ACK came in frame 18 (stream 3)", "collision cost 3.001 s")
}
