package capture

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// corpusDir is the public corpus, truth.jsonl and the captures it lists:
// ../shared/corpus/public beside the repository, where CI has it.
var corpusDir = flag.String("corpus", corpusDefault("../../../shared/corpus/public"),
	"the public corpus (truth.jsonl and the captures it lists); or set PORTLENS_CORPUS")

// corpusDefault is $PORTLENS_CORPUS when set (an absolute path: tests run
// in their package's directory), else rel.
func corpusDefault(rel string) string {
	if dir := os.Getenv("PORTLENS_CORPUS"); dir != "" {
		return dir
	}
	return rel
}

// needCorpus returns the corpus directory, failing the test when it is
// missing: a corpus test that skipped without it would pass having
// checked nothing. -short leaves the corpus out on purpose.
func needCorpus(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("-short leaves the public corpus out")
	}
	if _, err := os.Stat(filepath.Join(*corpusDir, "truth.jsonl")); err != nil {
		t.Fatalf("no public corpus: %v\nCI has it at ../shared/corpus/public beside the repository; "+
			"point at it with -corpus=DIR or PORTLENS_CORPUS=/absolute/DIR (or run with -short to leave it out)", err)
	}
	return *corpusDir
}

// TestCorpus reads every file of the shared corpus and compares the frame
// count with Wireshark's (truth.jsonl). Files Wireshark cannot open must end
// in an *Error here.
func TestCorpus(t *testing.T) {
	dir := needCorpus(t)
	f, err := os.Open(filepath.Join(dir, "truth.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 64<<20)
	files := 0
	for sc.Scan() {
		var truth struct {
			File    string `json:"file"`
			Packets int    `json:"packets"`
			Error   string `json:"error"`
		}
		if err := json.Unmarshal(sc.Bytes(), &truth); err != nil {
			t.Fatal(err)
		}
		files++
		n, err := countFile(filepath.Join(dir, truth.File))
		var cerr *Error
		switch {
		case err != nil && !errors.As(err, &cerr):
			t.Errorf("%s: error is %T, not *Error: %v", truth.File, err, err)
		case truth.Error != "" && err == nil:
			t.Errorf("%s: Wireshark fails (%s), reader read %d frames without error", truth.File, truth.Error, n)
		case truth.Error == "" && n != truth.Packets:
			t.Errorf("%s: %d frames (error %v), Wireshark %d", truth.File, n, err, truth.Packets)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if files == 0 {
		t.Errorf("%s lists no captures", filepath.Join(dir, "truth.jsonl"))
	}
	t.Logf("%d corpus files", files)
}

func countFile(path string) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	r, err := NewReader(f)
	if err != nil {
		return 0, err
	}
	n := 0
	for {
		_, err := r.Next()
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
		n++
	}
}
