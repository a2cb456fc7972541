package analyzer

import (
	"bytes"
	"encoding/json"
	"testing"
)

// appendJSONString quotes as encoding/json does without HTML escaping.
func FuzzJSONString(f *testing.F) {
	for _, s := range []string{"", "plain", `"q" \ b`, "\b\f\n\r\t\x00\x1f\x7f", "<&>", "µs → ↔", "\u2028\u2029",
		"bad \xff\xfe utf-8", "\xed\xa0\x80", "tail \xe2\x82"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(s); err != nil {
			t.Fatal(err)
		}
		if got := appendJSONString(nil, s); !bytes.Equal(got, bytes.TrimSuffix(want.Bytes(), []byte("\n"))) {
			t.Fatalf("%q: got %s, want %s", s, got, want.Bytes())
		}
	})
}
