# portlens: `make run` serves the app on localhost, `make test` runs what CI runs.
GO        ?= go
WASM_EXEC := $(shell $(GO) env GOROOT)/lib/wasm/go_js_wasm_exec
CORPUS    ?= ../shared/corpus/public

.PHONY: all build wasm samples site run test test-go test-wasm test-browser chromium lint conformance bench bench-big fuzz pgo wasm-cost

all: build

# The web directory is copied where //go:embed can reach it, so that
# bin/portlens serves and builds the site on its own (see $(EMBED)/README.md).
EMBED := cmd/portlens/webroot

## build: the browser's web/app.wasm, and the native command (bin/portlens) with the web directory inside
build: wasm
	rm -rf $(EMBED)/web && cp -R web $(EMBED)/web && rm -f $(EMBED)/web/app.wasm.gz $(EMBED)/web/app.wasm.br
	$(GO) build -o bin/portlens ./cmd/portlens

# go build uses wasm/default.pgo, the analysis's CPU profile (make pgo):
# profile-guided inlining of the per-packet path makes the page's analysis
# run 17% fewer instructions (make wasm-cost; js/wasm pays much more for
# a call than native code does).
wasm: samples
	GOOS=js GOARCH=wasm $(GO) build -trimpath -ldflags="-s -w" -o web/app.wasm ./wasm

## pgo: profile the whole analysis natively into wasm/default.pgo, which the page's build inlines by
## (after a large change to the reading, decoding, tracking or rules; profiles differ by a few
## percent from one run to the next: keep the one make wasm-cost finds cheapest)
pgo:
	$(GO) test -run '^$$' -bench '^BenchmarkAnalyze$$' -benchtime 300x -o $${TMPDIR:-/tmp}/portlens-pgo.test \
	  -cpuprofile $(CURDIR)/wasm/default.pgo ./analyzer

## wasm-cost: instructions a packet of the whole analysis built as app.wasm is, in node under valgrind
## (the same within 0.1% from run to run, where times vary by half; PGO=off or another profile to compare)
PGO ?= wasm/default.pgo
wasm-cost:
	$(GO) run ./testdata/wasmcost -pgo $(PGO)

## samples: the seed captures the page offers as built-in samples
samples:
	@mkdir -p web/samples && cp testdata/captures/seed-*.pcap* web/samples/

## site: the static site in dist/ (any static host can serve it)
site: build
	./bin/portlens build -out dist

## run: build everything and serve the app on 127.0.0.1, printing the URL
run: build
	./bin/portlens serve

## test: formatting, vet, unit tests natively and under js/wasm (node)
test: lint test-go test-wasm test-browser

# Go's ./... skips directories named testdata: its programs are named here.
TESTDATA_PKGS := ./testdata/gen ./testdata/benchgen/... ./testdata/benchrun ./testdata/wasmcost/...

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi
	$(GO) vet ./... $(TESTDATA_PKGS)

test-go:
	$(GO) test -count=1 ./... $(TESTDATA_PKGS)

# Under js/wasm the analyzer's tests run with -short: the same code paths,
# without reading the corpus and the big generated captures every way again
# (the native run does; under node it would take minutes).
test-wasm:
	GOOS=js GOARCH=wasm $(GO) test -short -count=1 -exec="$(WASM_EXEC)" ./analyzer/...

## test-browser: the page in headless Chromium (chromedp) against the built site on 127.0.0.1
test-browser: wasm chromium
	$(GO) test -count=1 -run 'TestBrowser' ./cmd/portlens -args -browser -artifacts="$(CURDIR)/artifacts"

chromium:
	@command -v chromium >/dev/null 2>&1 || (apt-get update && apt-get install -y chromium) || \
	  { echo "make: Chromium is needed for the browser tests: install Debian's 'chromium' package"; exit 1; }

## fuzz: every fuzz target of the module in turn, FUZZTIME each (default 1m; e.g. make fuzz FUZZTIME=5m),
## those whose name matches FUZZ (a grep -E pattern; e.g. make fuzz FUZZ=Big); not part of make test
FUZZTIME ?= 1m
FUZZ     ?= .
fuzz:
	@set -e; for f in $$(git ls-files '*_test.go' 2>/dev/null || find . -name '*_test.go'); do \
	  for t in $$(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' $$f | grep -E '$(FUZZ)' || true); do \
	    echo "== $$t in ./$$(dirname $$f) for $(FUZZTIME)"; \
	    $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) ./$$(dirname $$f); \
	  done; \
	done

## conformance: every capture of the public corpus against Wireshark 4.4's answers
conformance:
	@if [ ! -f "$(CORPUS)/truth.jsonl" ]; then echo "no corpus at $(CORPUS) (set CORPUS=...)"; exit 1; fi
	$(GO) test -count=1 -v -run 'TestConformanceCorpus' ./analyzer -corpus="$(abspath $(CORPUS))"

## bench: benchmark capture, native and js/wasm benchmarks, portlens vs tshark and wiregasm, and the
## captures of any size (1M packets with ~190k flags, a 300 MB pcapng: command and page) -> BENCHMARKS.md
## (6-10 minutes on 2 cores; BENCH_FLAGS=-external=false skips tshark and wiregasm)
bench:
	$(GO) run ./testdata/benchrun $(BENCH_FLAGS)

## bench-big: a 2 GB pcapng (14M packets, written once into the bench directory and reused while its
## SHA-256 matches): portlens analyze --json and the page in Chromium -> its own part of BENCHMARKS.md
## (1-2 minutes, and 20 s to write the capture the first time; BENCH_FLAGS=-big-packets=N for another size)
bench-big:
	$(GO) run ./testdata/benchrun -big $(BENCH_FLAGS)
