# otelcol-diagnostics. `make run` and `make test` are all a fresh Debian machine needs.
GO            ?= go
COLLECTOR_V0  := v0.161.0
GOLANGCI_V    := v2.15.0
BIN           := bin/otelcol-diagnostics
TOOLS         := $(CURDIR)/bin/tools
TELEMETRYGEN  := $(TOOLS)/telemetrygen
OCB           := $(GO) run go.opentelemetry.io/collector/cmd/builder@$(COLLECTOR_V0)
GOLANGCI      := $(TOOLS)/golangci-lint
TEST_TIMEOUT  ?= 30m
BENCH         ?= .
BENCHTIME     ?= 1s
BENCHCOUNT    ?= 1

export CGO_ENABLED := 1

.PHONY: all build run test unit lint generate check-generated bench clean deps test-deps services tools

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

tools: $(TELEMETRYGEN)

$(TELEMETRYGEN):
	GOBIN=$(TOOLS) CGO_ENABLED=0 $(GO) install github.com/open-telemetry/opentelemetry-collector-contrib/cmd/telemetrygen@$(COLLECTOR_V0)

## test: unit, integration and end-to-end tests against real services
test: test-deps services build tools
	$(GO) vet ./...
	OTELCOL_BINARY=$(CURDIR)/$(BIN) TELEMETRYGEN=$(TELEMETRYGEN) \
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
generate:
	$(GO) generate ./...
	$(OCB) --config builder-config.yaml --skip-compilation

## check-generated: fails when generated code differs from what is committed
check-generated: generate
	@git diff --exit-code --stat -- cmd '*/internal/metadata/*' '*/generated_*.go' '*/documentation.md' \
		|| { echo "generated code is out of date: run 'make generate' and commit" >&2; exit 1; }
	@test -z "$$(git status --porcelain --untracked-files=all -- cmd '*/internal/metadata')" \
		|| { echo "generated files are not committed: run 'make generate' and commit" >&2; exit 1; }

## bench: every component benchmark, beside its anchor
bench: test-deps services build
	OTELCOL_BINARY=$(CURDIR)/$(BIN) $(GO) test -run '^$$' -bench '$(BENCH)' -benchtime $(BENCHTIME) -count $(BENCHCOUNT) -timeout 60m ./...

clean:
	rm -rf bin
	$(GO) clean -testcache
