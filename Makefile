# authflow: `make run` is the main job against the embedded reference server,
# `make test` is everything CI runs. See README.md.

GO          ?= go
K6_VERSION  := v2.2.0
# staticcheck 2025.1.1, run by `make lint` outside the module (go run pkg@version)
# so that its dependencies stay out of the module graph bin/k6 is built from.
STATICCHECK_VERSION := v0.6.1
# actionlint reads ci-examples/github-actions.yml in `make lint`, run the same
# way as staticcheck (outside the module graph).
ACTIONLINT_VERSION := v1.7.12
MODULE      := github.com/authflow/authflow
OUT         ?= out
FUZZTIME    ?= 20000x
# Every non-test Go source: bin/k6 and bin/authflow are rebuilt only when one
# changes, so the minutes-long k6 build happens once per checkout.
GO_SOURCES  := $(shell find . -name '*.go' -not -name '*_test.go' -not -path './bin/*' -not -path './out/*') go.mod go.sum

export AUTHFLOW_K6 := $(CURDIR)/bin/k6
export AUTHFLOW_BIN := $(CURDIR)/bin/authflow

.PHONY: all build run test unit measure fuzz bench soak lint types fmt clean help

all: build

help:
	@echo "make run    - build, start the reference server, run the main job, print where the results are"
	@echo "make test   - lint, types, build, all tests with -race (incl. end-to-end bin/k6 runs), brief fuzzing"
	@echo "make measure - the tests that measure (capacity search, run comparison), alone on the machine"
	@echo "make build  - bin/k6 (k6 $(K6_VERSION) + k6/x/authflow, built by xk6) and bin/authflow"
	@echo "make bench  - Go benchmarks and k6 comparison runs (figures in README)"
	@echo "make soak   - soak.js through the extension and as plain k6 JS, RSS and CPU per flow over time (SOAK_DURATION, default 10m a run)"
	@echo "make lint   - gofmt, go vet, staticcheck and actionlint"
	@echo "make types  - tsc --noEmit --strict over index.d.ts and examples/*.ts"

build: bin/k6 bin/authflow

bin/authflow: $(GO_SOURCES)
	$(GO) build -o $@ ./cmd/authflow

# xk6 builds k6 with our extension; the module proxy lists no versions, so
# both are pinned (xk6 through the `tool` line of go.mod).
bin/k6: $(GO_SOURCES)
	@mkdir -p bin
	$(GO) tool xk6 build $(K6_VERSION) --with $(MODULE)=. --output $@.new
	@./$@.new version | grep -q 'k6/x/authflow' || { echo "bin/k6 lacks the authflow extension"; exit 1; }
	@mv $@.new $@  # a rename works while an old bin/k6 is still running

run: build
	./scripts/run.sh "$(OUT)"

lint:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go') 2>/dev/null); \
	if [ -n "$$unformatted" ]; then echo "gofmt would change:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...
	$(GO) run github.com/rhysd/actionlint/cmd/actionlint@$(ACTIONLINT_VERSION) -no-color ci-examples/github-actions.yml

# typescript and @types/k6, pinned in package.json and package-lock.json,
# for `make types` and the declarations test of ./extension.
node_modules: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

types: node_modules
	./node_modules/.bin/tsc --noEmit --strict -p tsconfig.json

unit: node_modules
	$(GO) test -race -count=1 -timeout 25m ./...

# Tests that measure (the capacity search against a closed loop, the run
# comparison) skip in `unit` and run here, one at a time, alone on the machine.
measure: build
	AUTHFLOW_MEASURE=1 $(GO) test -count=1 -timeout 10m -run 'TestCapacityFindsHalfTheClosedLoop|TestReportComparesRunsEndToEnd' ./cmd/authflow/

fuzz:
	FUZZTIME=$(FUZZTIME) ./scripts/fuzz.sh

test: lint types build unit measure fuzz

bench: build
	./scripts/bench.sh

# SOAK_DURATION is the length of each of the four runs (extension and plain
# k6 JS, each with k6's summary and without any kept sample); SOAK_ARGS adds
# flags of bench/soak (go run ./bench/soak -h), e.g. SOAK_ARGS=-modes=summary.
SOAK_DURATION ?= 10m
SOAK_RATE     ?= 100
soak: build
	$(GO) run ./bench/soak --k6 bin/k6 --authflow bin/authflow --out $(OUT)/bench/soak --report $(OUT)/bench/soak.md \
		--duration $(SOAK_DURATION) --rate $(SOAK_RATE) $(SOAK_ARGS)

clean:
	rm -rf bin $(OUT)
