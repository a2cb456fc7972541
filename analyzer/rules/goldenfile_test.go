package rules_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// A judgement too large to commit whole (the corpus, the 1M capture, the
// port-exhaustion capture) is kept as a records golden, NAME.golden.gz:
//
//	sha256 HEX BYTES                 the SHA-256 and length of the whole text
//	HASH KEY                         one line per record, in order
//	HASH KEY<tab>TEXT                ... with its text, for the records kept
//
// The SHA-256 pins every byte and the order, as the whole text would; the
// per-record hash (the first 12 hex digits of the record's SHA-256) says
// which records changed; the texts kept say how. Every text is kept when
// the whole is at most keepAllBytes; beyond, the first record of each
// shape (its text with the numbers taken out: one per template and branch
// of the words), so that a change of wording shows old and new text.

// keepAllBytes is the largest judgement whose texts are all kept.
const keepAllBytes = 4 << 20

// golden is a records golden as read back.
type golden struct {
	sum     string // "HEX BYTES"
	records []goldenRecord
}

type goldenRecord struct {
	key, hash, text string // text "" when not kept
}

func recordHash(text []byte) string {
	sum := sha256.Sum256(text)
	return hex.EncodeToString(sum[:6])
}

func sumLine(whole []byte) string {
	sum := sha256.Sum256(whole)
	return hex.EncodeToString(sum[:]) + " " + strconv.Itoa(len(whole))
}

// numbers matches what varies between flags of one template: numbers,
// and addresses (IPv4, and IPv6 in hex).
var numbers = regexp.MustCompile(`[0-9a-f:.]*[0-9][0-9a-f:.]*`)

// shapeOf is a record's text with its numbers taken out.
func shapeOf(text []byte) string {
	return string(numbers.ReplaceAll(text, []byte("#")))
}

// writeRecords writes recs as a records golden.
func writeRecords(file string, recs []record) error {
	whole := joined(recs)
	keepAll := len(whole) <= keepAllBytes
	shapes := map[string]bool{}
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	w := bufio.NewWriter(zw)
	fmt.Fprintf(w, "sha256 %s\n", sumLine(whole))
	for _, r := range recs {
		fmt.Fprintf(w, "%s %s", recordHash(r.text), r.key)
		if shape := shapeOf(r.text); keepAll || !shapes[shape] {
			shapes[shape] = true
			fmt.Fprintf(w, "\t%s", r.text)
		}
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return os.WriteFile(file, buf.Bytes(), 0o644)
}

// readRecords reads a records golden.
func readRecords(file string) (*golden, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	sc := bufio.NewScanner(zr)
	sc.Buffer(nil, 16<<20)
	g := &golden{}
	if sc.Scan() {
		g.sum, _ = strings.CutPrefix(sc.Text(), "sha256 ")
	}
	for sc.Scan() {
		line, text, _ := strings.Cut(sc.Text(), "\t")
		hash, key, ok := strings.Cut(line, " ")
		if !ok {
			return nil, fmt.Errorf("%s: bad line %q", file, sc.Text())
		}
		g.records = append(g.records, goldenRecord{key: key, hash: hash, text: text})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return g, nil
}

// checkRecords compares recs with the records golden in file, or
// rewrites it with -update-golden.
func checkRecords(t *testing.T, file string, recs []record) {
	t.Helper()
	if *updateGolden {
		if err := writeRecords(file, recs); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := readRecords(file)
	if err != nil {
		t.Fatalf("%v (write it from known-good code with -update-golden)", err)
	}
	if got := sumLine(joined(recs)); got != want.sum {
		t.Errorf("%s: the judgement changed: SHA-256 and length %s, golden %s\n%s",
			file, got, want.sum, describeDiff(want.records, recs))
	}
}

// describeDiff says which records differ and, where the golden kept the
// old text, which fields changed and how.
func describeDiff(old []goldenRecord, recs []record) string {
	oldByKey := make(map[string]goldenRecord, len(old))
	for _, r := range old {
		oldByKey[r.key] = r
	}
	newKeys := make(map[string]bool, len(recs))
	var changed, added []string
	var changedN, addedN, shownWithText int
	for _, r := range recs {
		newKeys[r.key] = true
		o, ok := oldByKey[r.key]
		switch {
		case !ok:
			addedN++
			if len(added) < 3 {
				added = append(added, fmt.Sprintf("  new   %s: %s", r.key, clip(string(r.text), 300)))
			}
		case o.hash != recordHash(r.text):
			changedN++
			// The first changes, then the first ones whose old text
			// was kept: they show what the change was.
			if len(changed) < 3 || (o.text != "" && shownWithText < 3) {
				changed = append(changed, describeChange(o, r))
				if o.text != "" {
					shownWithText++
				}
			}
		}
	}
	var gone []string
	goneN := 0
	for _, o := range old {
		if !newKeys[o.key] {
			goneN++
			if len(gone) < 3 {
				gone = append(gone, fmt.Sprintf("  gone  %s: %s", o.key, orHash(o)))
			}
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d of %d golden records changed, %d new, %d gone (%d now)\n", changedN, len(old), addedN, goneN, len(recs))
	for _, s := range append(append(changed, added...), gone...) {
		b.WriteString(s + "\n")
	}
	if changedN+addedN+goneN == 0 {
		b.WriteString(firstOrderChange(old, recs))
	}
	return b.String()
}

func orHash(o goldenRecord) string {
	if o.text != "" {
		return clip(o.text, 300)
	}
	return "(text not kept, hash " + o.hash + ")"
}

// describeChange names the fields of one record that changed, with the
// old and new text around the first difference; or, when the golden did
// not keep the old text, the new text whole.
func describeChange(o goldenRecord, r record) string {
	if o.text == "" {
		return fmt.Sprintf("  changed %s (old text not kept, hash %s -> %s), now: %s", o.key, o.hash, recordHash(r.text), clip(string(r.text), 300))
	}
	var was, is map[string]any
	if json.Unmarshal([]byte(o.text), &was) != nil || json.Unmarshal(r.text, &is) != nil {
		return fmt.Sprintf("  changed %s\n    old: %s\n    new: %s", o.key, o.text, r.text)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "  changed %s:", o.key)
	for _, field := range fieldNames(was, is) {
		ow, _ := json.Marshal(was[field])
		nw, _ := json.Marshal(is[field])
		if !bytes.Equal(ow, nw) {
			fmt.Fprintf(&b, "\n    %s %s", field, around(string(ow), string(nw)))
		}
	}
	return b.String()
}

// fieldNames lists the fields of both documents, sorted.
func fieldNames(a, b map[string]any) []string {
	seen := map[string]bool{}
	var out []string
	for _, m := range []map[string]any{a, b} {
		for k := range m {
			if !seen[k] {
				seen[k] = true
				out = append(out, k)
			}
		}
	}
	slices.Sort(out)
	return out
}

// around shows two texts from a little before their first difference.
func around(old, new string) string {
	i := 0
	for i < len(old) && i < len(new) && old[i] == new[i] {
		i++
	}
	from := max(0, i-40)
	show := func(s string) string {
		s = clip(s[min(from, len(s)):], 160)
		if from > 0 {
			s = "…" + s
		}
		return s
	}
	return fmt.Sprintf("differs from byte %d:\n      old: %s\n      new: %s", i, show(old), show(new))
}

// clip shortens s to n bytes or a little less (not inside a character).
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// firstOrderChange finds the first position where the same records come
// in another order.
func firstOrderChange(old []goldenRecord, recs []record) string {
	for i := range min(len(old), len(recs)) {
		if old[i].key != recs[i].key {
			return fmt.Sprintf("  same records in another order: record %d is %s, golden %s\n", i+1, recs[i].key, old[i].key)
		}
	}
	return "  same records in the same order: a difference between records (duplicate keys?)\n"
}
