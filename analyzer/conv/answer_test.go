package conv

import (
	"fmt"
	"strings"
	"testing"

	"github.com/portlens/portlens/analyzer/decode"
)

// A SYN answered by a bare ACK is noted in the tracker's side list with
// the ACK's numbers and the SYN sent again in the same conversation;
// every other first answer, and an ACK after the client spoke, is not.
func TestAnswers(t *testing.T) {
	for _, c := range []struct {
		name string
		segs []seg
		want string // "stream:frame seq/ack retry rst/seq" entries
	}{
		{
			name: "TIME_WAIT answer, RST, retry in a new stream",
			segs: []seg{
				c2s(SYN, 100, 0), s2c(SYN|ACK, 500, 101), c2s(ACK, 101, 501),
				s2c(FIN|ACK, 501, 101), c2s(FIN|ACK, 101, 502), s2c(ACK, 502, 102),
				c2s(SYN, 50, 0), s2c(ACK, 502, 102), c2s(RST, 102, 0), c2s(SYN, 50, 0), s2c(SYN|ACK, 900, 51),
			},
			want: "1:8 502/102 - 9/102",
		},
		{
			name: "challenge ACK, no RST: the SYN sent again stays in the stream",
			segs: []seg{c2s(SYN, 100, 0), s2c(ACK, 7, 99), c2s(SYN, 100, 0), s2c(ACK, 7, 99), c2s(SYN, 100, 0)},
			want: "0:2 7/99 3 -",
		},
		{name: "a SYN/ACK first", segs: []seg{c2s(SYN, 100, 0), s2c(SYN|ACK, 500, 101), s2c(ACK, 501, 101)}},
		{name: "an RST/ACK first (refused)", segs: []seg{c2s(SYN, 100, 0), s2c(RST|ACK, 0, 101)}},
		{name: "an ACK with data", segs: []seg{c2s(SYN, 100, 0), s2c(ACK, 7, 99).data(10)}},
		{
			name: "SYN/ACK not captured: the client's ACK and data come before the server's ACK",
			segs: []seg{c2s(SYN, 100, 0), c2s(ACK, 101, 501), c2s(PSH|ACK, 101, 501).data(20), s2c(ACK, 501, 121)},
		},
		{name: "no SYN: a mid-stream start", segs: []seg{c2s(ACK, 100, 5), s2c(ACK, 5, 100)}},
		{name: "an ACK from the SYN's own side", segs: []seg{c2s(SYN, 100, 0), c2s(ACK, 7, 99)}},
		{name: "a quoted ACK in an ICMP error", segs: []seg{c2s(SYN, 100, 0), s2c(ACK, 7, 99).inICMP()}},
	} {
		t.Run(c.name, func(t *testing.T) {
			tr := NewTracker(NewHosts())
			for i, s := range c.segs {
				p := s.packet(t, decode.TCP)
				tr.Add(i+1, int64(i+1)*1e9, s.wireLength(), &p)
			}
			var got []string
			for _, a := range tr.Answers() {
				retry := "-"
				if a.Retry > 0 {
					retry = fmt.Sprint(a.Retry)
				}
				rst := "-"
				if a.RST > 0 {
					rst = fmt.Sprintf("%d/%d", a.RST, a.RSTSeq)
				}
				if a.Time != int64(a.Frame)*1e9 || (a.Retry > 0 && a.RetryTime != int64(a.Retry)*1e9) {
					t.Errorf("answer at frame %d has time %d", a.Frame, a.Time)
				}
				got = append(got, fmt.Sprintf("%d:%d %d/%d %s %s", a.Stream, a.Frame, a.Seq, a.Ack, retry, rst))
			}
			if s := strings.Join(got, ", "); s != c.want {
				t.Errorf("answers %q, want %q", s, c.want)
			}
		})
	}
}
