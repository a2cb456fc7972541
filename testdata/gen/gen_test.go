package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestCommittedCapturesAreGenerated regenerates both sets into a temporary
// directory and checks that the committed files are byte-identical, so a
// capture is never edited by hand and never left stale after a change to
// the generator. To refresh them: go run ./testdata/gen && go run ./testdata/gen -rules
// (then rerun the Wireshark oracle, see testdata/README.md).
func TestCommittedCapturesAreGenerated(t *testing.T) {
	for _, set := range []struct {
		dir   string
		caps  func() []capture
		rules bool
	}{
		{"../captures", wiresharkCaptures, false},
		{"../rules", ruleCaptures, true},
	} {
		t.Run(filepath.Base(set.dir), func(t *testing.T) {
			tmp := t.TempDir()
			if err := writeAll(tmp, set.caps(), set.rules); err != nil {
				t.Fatal(err)
			}
			fresh, err := os.ReadDir(tmp)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range fresh {
				want, err := os.ReadFile(filepath.Join(tmp, e.Name()))
				if err != nil {
					t.Fatal(err)
				}
				got, err := os.ReadFile(filepath.Join(set.dir, e.Name()))
				if err != nil {
					t.Errorf("%s: not committed (run the generator): %v", e.Name(), err)
					continue
				}
				if !bytes.Equal(got, want) {
					t.Errorf("%s: committed file differs from the generator's output (%d vs %d bytes); regenerate it", e.Name(), len(got), len(want))
				}
			}
			committed, err := filepath.Glob(filepath.Join(set.dir, "*.pcap*"))
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range committed {
				if _, err := os.Stat(filepath.Join(tmp, filepath.Base(f))); err != nil {
					t.Errorf("%s: committed but no longer generated; delete it", filepath.Base(f))
				}
			}
		})
	}
}
