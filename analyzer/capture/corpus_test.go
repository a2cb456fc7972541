package capture

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// TestCorpus reads every file of the shared corpus and compares the frame
// count with Wireshark's (truth.jsonl). Files Wireshark cannot open must end
// in an *Error here.
func TestCorpus(t *testing.T) {
	dir := filepath.Join("..", "..", "..", "shared", "corpus", "public")
	f, err := os.Open(filepath.Join(dir, "truth.jsonl"))
	if err != nil {
		t.Skipf("corpus absent: %v", err)
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
