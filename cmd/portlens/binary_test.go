package main

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"io"
	"io/fs"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestBinaryAlone: the portlens that `make build` makes works on its own,
// copied to an empty directory with nothing of the source tree around: it
// builds the complete site, serves it, and reads captures from a pipe.
func TestBinaryAlone(t *testing.T) {
	if embeddedWeb == nil {
		t.Skip("the web directory is not built into portlens: run 'make build', then this test checks the binary it makes")
	}
	if testing.Short() {
		t.Skip("builds the binary")
	}
	alone := t.TempDir()
	tmp := filepath.Join(alone, "tmp")
	if err := os.Mkdir(tmp, 0o755); err != nil {
		t.Fatal(err)
	}
	// The last step of `make build`, with the web directory it copied.
	bin := filepath.Join(alone, "portlens")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	portlens := func(stdin io.Reader, args ...string) *exec.Cmd {
		cmd := exec.Command(bin, args...)
		cmd.Dir = alone
		cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
		cmd.Stdin = stdin
		return cmd
	}

	t.Run("build", func(t *testing.T) {
		if out, err := portlens(nil, "build", "--out", "site").CombinedOutput(); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		got := siteFiles(t, filepath.Join(alone, "site"))
		// The same files as the site built from the source tree's web/.
		inTree := t.TempDir()
		if err := buildSite(siteOptions{Out: inTree, Web: filepath.Join("..", "..", "web")}); err != nil {
			t.Fatal(err)
		}
		if want := siteFiles(t, inTree); !slices.Equal(slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(want))) {
			t.Errorf("the binary's site has\n%v\nthe in-tree build\n%v\n(is the copy in webroot/ stale? run make build)",
				slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(want)))
		}
		// The same bytes as this test's own build from the same embedded
		// directory (pages aside: see siteFiles).
		embedded := t.TempDir()
		if err := buildSite(siteOptions{Out: embedded}); err != nil {
			t.Fatal(err)
		}
		if want := siteFiles(t, embedded); !maps.Equal(got, want) {
			t.Errorf("the binary's site differs from the embedded directory's:\n%v\nwant:\n%v", got, want)
		}
	})

	t.Run("serve", func(t *testing.T) { serveAlone(t, portlens(nil, "serve", "--addr", "127.0.0.1:0"), tmp) })

	t.Run("stdin", func(t *testing.T) {
		for _, file := range []string{"gzip-reuse-after-fin.pcap.gz", "pcapng-two-interfaces.pcapng", "seed-rst-storm.pcap"} {
			path, _ := filepath.Abs(seeds + file)
			want, err := portlens(nil, "analyze", path).Output()
			if err != nil {
				t.Fatal(err)
			}
			// A reader that is not a file: exec feeds it through a pipe.
			got, err := portlens(bytes.NewReader(readFile(t, path)), "analyze", "-").Output()
			if err != nil || string(got) != strings.Replace(string(want), path, "-", 1) {
				t.Errorf("%s through a pipe: %v\n%s\nwant:\n%s", file, err, got, want)
			}
		}
	})

	if out, err := portlens(nil, "--version").Output(); err != nil || !strings.HasPrefix(string(out), "portlens ") {
		t.Errorf("--version: %v, %q", err, out)
	}
	if left, _ := os.ReadDir(tmp); len(left) > 0 {
		t.Errorf("%s left in the temporary directory", left[0].Name())
	}
}

// serveAlone starts serve, fetches / and /web/app.wasm, interrupts it and
// checks that it stops cleanly, its temporary site removed.
func serveAlone(t *testing.T, cmd *exec.Cmd, tmp string) {
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var waitErr error
	exited := make(chan struct{})
	lines := make(chan string, 10)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		waitErr = cmd.Wait()
		close(exited)
	}()
	t.Cleanup(func() {
		select {
		case <-exited:
		default:
			cmd.Process.Kill()
			<-exited
		}
	})
	var base string
	select {
	case line := <-lines:
		m := regexp.MustCompile(`serving .* at (http://\S+/) `).FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("first line %q", line)
		}
		base = m[1]
	case <-time.After(2 * time.Minute):
		t.Fatalf("serve said nothing; stderr %s", stderr.String())
	}

	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	get := func(path string) (*http.Response, []byte) {
		resp, err := client.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp, body
	}
	resp, body := get("")
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || !bytes.Contains(body, []byte(`src="/app.js"`)) {
		t.Errorf("/: %s %s\n%.300s", resp.Status, resp.Header.Get("Content-Type"), body)
	}
	resp, body = get("web/app.wasm")
	wasm, err := fs.ReadFile(embeddedWeb, "app.wasm")
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/wasm" || sha256.Sum256(body) != sha256.Sum256(wasm) {
		t.Errorf("/web/app.wasm: %s %s, %d bytes, want the %d of the embedded app.wasm",
			resp.Status, resp.Header.Get("Content-Type"), len(body), len(wasm))
	}

	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	var rest []string
	for line := range lines {
		rest = append(rest, line)
	}
	select {
	case <-exited:
		if waitErr != nil {
			t.Errorf("serve ended with %v; stderr %s", waitErr, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop on SIGINT")
	}
	if !slices.Contains(rest, "portlens: stopped") {
		t.Errorf("after SIGINT serve said %q", rest)
	}
	if left, _ := os.ReadDir(tmp); len(left) > 0 {
		t.Errorf("the temporary site %s was not removed", left[0].Name())
	}
}
