# otelcol-diagnostics. `make run` and `make test` are all a fresh Debian machine needs.
GO            ?= go
COLLECTOR_V0  := v0.161.0
GOLANGCI_V    := v2.15.0
BIN           := bin/otelcol-diagnostics
TOOLS         := $(CURDIR)/bin/tools
TELEMETRYGEN  := $(TOOLS)/telemetrygen
NFPM_V        := v2.48.0
NFPM          := $(TOOLS)/nfpm
VERSION       := $(shell awk '$$1 == "version:" { print $$2; exit }' builder-config.yaml)
ARCH          := $(shell $(GO) env GOARCH)
DEB           := bin/otelcol-diagnostics_$(VERSION)_$(ARCH).deb
OCB           := $(GO) run go.opentelemetry.io/collector/cmd/builder@$(COLLECTOR_V0)
GOLANGCI      := $(TOOLS)/golangci-lint
TEST_TIMEOUT  ?= 30m
BENCHCOUNT    ?= 3
BENCH_OUT     := bin/bench.txt
# The benchmarks of the table `make bench` prints, each with the benchtime its
# README measures with; -cpu 1 where the target is per core.
BENCH_JOURNAL := $(GO) test -run '^$$' -bench '^BenchmarkRead$$' -benchtime 3x -cpu 1 -count $(BENCHCOUNT) ./receiver/journaldmetricsreceiver/
BENCH_PG      := $(GO) test -run '^$$' -bench '^BenchmarkIntegration' -benchtime 20x -count $(BENCHCOUNT) -timeout 30m ./exporter/postgresexporter/
BENCH_POLL    := $(GO) test -run '^$$' -bench '^BenchmarkPollRealisticHistory$$' -benchtime 1x -count $(BENCHCOUNT) ./receiver/githubworkflowreceiver/
BENCH_HOOK    := $(GO) test -run '^$$' -bench '^BenchmarkWebhook$$' -cpu 1 -count $(BENCHCOUNT) ./receiver/githubworkflowreceiver/

export CGO_ENABLED := 1

.PHONY: all build run package test unit lint generate check-generated bench clean deps test-deps services tools

all: build

deps:
	@scripts/install-deps.sh build

test-deps:
	@scripts/install-deps.sh test

services:
	@scripts/start-services.sh

## build: the collector binary in bin/ (cgo for the in-process journal reader)
build: deps
	cd cmd/otelcol-diagnostics && $(GO) build -trimpath -o $(CURDIR)/$(BIN) .

## run: build, then start the collector with config/default.yaml
run: build
	$(BIN) --config config/default.yaml

## package: the Debian package bin/otelcol-diagnostics_<version>_<arch>.deb (nfpm, deploy/nfpm.yaml)
package: build $(NFPM)
	VERSION=$(VERSION) ARCH=$(ARCH) $(NFPM) package --config deploy/nfpm.yaml --packager deb --target $(DEB)

$(NFPM):
	GOBIN=$(TOOLS) CGO_ENABLED=0 $(GO) install github.com/goreleaser/nfpm/v2/cmd/nfpm@$(NFPM_V)

tools: $(TELEMETRYGEN)

$(TELEMETRYGEN):
	GOBIN=$(TOOLS) CGO_ENABLED=0 $(GO) install github.com/open-telemetry/opentelemetry-collector-contrib/cmd/telemetrygen@$(COLLECTOR_V0)

## test: unit, integration and end-to-end tests against real services
test: test-deps services build package tools
	$(GO) vet ./...
	OTELCOL_BINARY=$(CURDIR)/$(BIN) OTELCOL_DEB=$(CURDIR)/$(DEB) TELEMETRYGEN=$(TELEMETRYGEN) \
		$(GO) test -count=1 -timeout $(TEST_TIMEOUT) ./...

## unit: the Go tests alone, with whatever services are already there
unit:
	$(GO) test -count=1 ./...

## lint: golangci-lint v2, pinned, from the module proxy
lint: $(GOLANGCI)
	$(GOLANGCI) run ./...

$(GOLANGCI):
	GOBIN=$(TOOLS) $(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_V)

## generate: mdatagen output and the ocb-generated cmd/
# -e: ocb's `go mod tidy` would stop on a module whose zip the proxy lacks, a test-only
# dependency of hostmetrics (scraper/scrapertest) that the binary never builds.
generate:
	$(GO) generate ./...
	GOFLAGS="$$GOFLAGS -e" $(OCB) --config builder-config.yaml --skip-compilation

## check-generated: fails when generated code differs from what is committed
check-generated: generate
	@git diff --exit-code --stat -- cmd '*/internal/metadata/*' '*/generated_*.go' '*/documentation.md' \
		|| { echo "generated code is out of date: run 'make generate' and commit" >&2; exit 1; }
	@test -z "$$(git status --porcelain --untracked-files=all -- cmd '*/internal/metadata')" \
		|| { echo "generated files are not committed: run 'make generate' and commit" >&2; exit 1; }

## bench: one table of the component benchmarks (medians of BENCHCOUNT runs) beside their anchors (docs/benchmarks.md)
bench: test-deps services build
	@mkdir -p bin
	@echo "load-start: $$(cut -d' ' -f1-3 /proc/loadavg)" > $(BENCH_OUT)
	@for cmd in "$(BENCH_JOURNAL)" "$(BENCH_PG)" "$(BENCH_POLL)" "$(BENCH_HOOK)"; do \
		echo "$$cmd" >&2; echo "command: $$cmd" >> $(BENCH_OUT); \
		eval "$$cmd" >> $(BENCH_OUT) 2>&1 || { tail -n 40 $(BENCH_OUT) >&2; exit 1; }; \
	done
	@echo "load-end: $$(cut -d' ' -f1-3 /proc/loadavg)" >> $(BENCH_OUT)
	@$(GO) run ./internal/benchreport < $(BENCH_OUT)
	@echo; echo "journaldmetrics, the binary end to end (scripts/bench-journal.sh, 500k entries):"
	@ROUNDS=$(BENCHCOUNT) scripts/bench-journal.sh $(BIN) | tail -n 6
	@echo; echo "postgres exporter, the binary end to end beside a raw server-side COPY (scripts/bench-postgres.sh):"
	@ROUNDS=$(BENCHCOUNT) scripts/bench-postgres.sh $(BIN) | tail -n 5

clean:
	rm -rf bin
	$(GO) clean -testcache
