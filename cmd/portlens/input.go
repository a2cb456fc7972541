package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// stdinName is the operand that names standard input, as in tshark -r -.
const stdinName = "-"

// input is one capture to analyze: read once as a stream (r), then read
// again at random (at) for the rows the text output prints.
type input struct {
	r     io.Reader
	at    io.ReaderAt
	close func() error
}

// readingAhead makes in's stream read ahead (readAhead), stopped when in
// is closed.
func readingAhead(in *input) *input {
	ra := newReadAhead(in.r)
	closeSrc := in.close
	in.r, in.close = ra, func() error { ra.Close(); return closeSrc() }
	return in
}

// openInput opens a capture file, or standard input for "-". Its errors
// are the reason alone ("is a directory", "no such file or directory"):
// the caller names the file.
func openInput(name string, stdin io.Reader) (*input, error) {
	if name == stdinName {
		return openStdin(stdin)
	}
	f, err := os.Open(name)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, err
	}
	st, err := f.Stat()
	if err == nil && st.IsDir() {
		err = errors.New("is a directory")
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return readingAhead(&input{r: f, at: f, close: f.Close}), nil
}

// openStdin reads standard input. A regular file given with < is read in
// place. Anything else (a pipe, a socket) can be read only once, so its
// bytes are copied to a temporary file as the analyzer reads them, and the
// rows read them again from there: the output is the same as for the file.
func openStdin(stdin io.Reader) (*input, error) {
	if f, ok := stdin.(*os.File); ok {
		if in := inPlace(f); in != nil {
			return in, nil
		}
	}
	tmp, err := os.CreateTemp("", "portlens-stdin-*")
	if err != nil {
		return nil, fmt.Errorf("cannot keep a copy of it: %w", err)
	}
	// Unix lets an open file be removed: then nothing is left behind even
	// when portlens is interrupted. Elsewhere it is removed when closed.
	removed := os.Remove(tmp.Name()) == nil
	closeTmp := func() error {
		err := tmp.Close()
		if !removed {
			err = errors.Join(err, os.Remove(tmp.Name()))
		}
		return err
	}
	return readingAhead(&input{r: io.TeeReader(stdin, spool{tmp}), at: tmp, close: closeTmp}), nil
}

// inPlace is standard input as a section of the regular file it is, from
// where its offset stands, or nil when it is not a regular file.
func inPlace(f *os.File) *input {
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		return nil
	}
	off, err := f.Seek(0, io.SeekCurrent)
	if err != nil || off > st.Size() {
		return nil
	}
	sr := io.NewSectionReader(f, off, st.Size()-off)
	return readingAhead(&input{r: sr, at: sr, close: func() error { return nil }})
}

// spool writes the copy of standard input; its errors say so, since the
// analyzer reports them as the capture's.
type spool struct{ f *os.File }

func (s spool) Write(p []byte) (int, error) {
	n, err := s.f.Write(p)
	if err != nil {
		err = fmt.Errorf("copying standard input to a temporary file: %w", err)
	}
	return n, err
}
