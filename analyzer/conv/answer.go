package conv

import "github.com/portlens/portlens/analyzer/decode"

// Answer is a SYN's first answer when it was not a SYN/ACK: a bare ACK
// (no SYN, RST or FIN, no data) from the SYN's receiver, the first segment
// it sent in the conversation, while the SYN's sender had sent only SYNs.
// A peer that still holds an earlier connection on the same ports answers
// so: TIME_WAIT repeats its last ACK, an open connection sends a challenge
// ACK (RFC 9293 section 3.10.7.4; RFC 5961 section 4). The rules judge
// whether it did; the tracker only notes the facts. Few conversations have
// one, so they are kept in a side list, not in every record.
type Answer struct {
	Time   int64
	Stream int32
	Frame  int32  // the ACK
	Seq    uint32 // its sequence number
	Ack    uint32 // its acknowledgment number
	// Retry is the frame of the next SYN its sender sent in the same
	// conversation (a retransmission no RST or FIN split off), 0 if none;
	// RetryTime its time.
	Retry     int32
	RetryTime int64
	// RST is the frame of the first RST the SYN's sender sent after it,
	// 0 if none; RSTSeq its sequence number (RFC 9293 section 3.10.7.3:
	// the ACK's acknowledgment number).
	RST    int32
	RSTSeq uint32
}

// Answers returns the SYNs' bare-ACK answers, in frame order.
func (t *Tracker) Answers() []Answer { return t.answers }

// noteAnswer keeps the facts of segment p of conversation idx (after
// record): a bare ACK answering its SYN, or the RST or SYN its sender
// sent after one.
func (t *Tracker) noteAnswer(idx int32, c *Conversation, frame int, ts int64, dir Dir, p *decode.Packet) {
	f := p.Flags
	switch {
	case f.Has(decode.RST):
		if len(t.answers) == 0 || dir != c.SYNDir {
			return
		}
		if k, ok := t.answerOf[idx]; ok && t.answers[k].RST == 0 {
			t.answers[k].RST, t.answers[k].RSTSeq = int32(frame), p.Seq
		}
	case f.Has(decode.SYN) && !f.Has(decode.ACK):
		if len(t.answers) == 0 || c.SYNCount < 2 || dir != c.SYNDir {
			return
		}
		if k, ok := t.answerOf[idx]; ok && t.answers[k].Retry == 0 {
			t.answers[k].Retry, t.answers[k].RetryTime = int32(frame), ts
		}
	case f.Has(decode.ACK) && f&(decode.SYN|decode.RST|decode.FIN) == 0 && p.PayloadLen == 0:
		if c.SYN.Frame == 0 || c.SYNACK.Frame != 0 || dir == c.SYNDir || c.Packets[dir] != 1 ||
			c.Packets[c.SYNDir] != uint32(c.SYNCount) {
			return
		}
		if t.answerOf == nil {
			t.answerOf = make(map[int32]int32)
		}
		t.answerOf[idx] = int32(len(t.answers))
		t.answers = append(t.answers, Answer{Time: ts, Stream: idx, Frame: int32(frame), Seq: p.Seq, Ack: p.Ack})
	}
}
