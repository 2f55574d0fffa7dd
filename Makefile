# drone: make build | test | run | lint | bench
GO        ?= go
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
# staticcheck 2026.2.2, by its module version: the module proxy refuses the release name
STATICCHECK_VERSION ?= v0.8.2

.PHONY: build test deps e2e run lint tools bench fuzz clean

## build: write bin/drone
build:
	$(GO) build -ldflags "-X main.version=$(VERSION)" -o bin/drone ./cmd/bot

## test: every test with the race detector
test: deps
	$(GO) test -race -timeout 20m ./...

## deps: install the outside programs the tests use (PostgreSQL, Chromium, swaks) when root
deps:
	@bash scripts/test-deps.sh

## e2e: end-to-end scripts with real outside programs (swaks, from Debian)
e2e:
	bash scripts/notify-e2e.sh

## run: drone serve on the example configuration, its database under ./data/
run: build
	DRONE_DB=data/drone.db ./bin/drone serve --config configs/drone.yaml

## lint: gofmt, go vet and staticcheck
lint: tools
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$$($(GO) env GOPATH)/bin/staticcheck ./...

tools:
	@test -x "$$($(GO) env GOPATH)/bin/staticcheck" || $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

## bench: the store and core benchmarks quoted in the issues' notes
bench:
	$(GO) test -run '^$$' -bench . -benchtime 3000x ./store/

## fuzz: each parser's fuzzer for 30 seconds
fuzz:
	$(GO) test -run '^$$' -fuzz FuzzParseCommand -fuzztime 30s ./drone/
	$(GO) test -run '^$$' -fuzz FuzzParse -fuzztime 30s ./config/

clean:
	rm -rf bin
