# Pumpside. The two commands of the README:
#   make run    the console on its built-in simulated case
#   make test   gofmt check, go vet and go test -race ./..., after installing what is missing
.POSIX:
SHELL := /bin/bash
GO ?= go
BIN := bin/pumpside
FUZZTIME ?= 15s
BENCHTIME ?= 1s

.PHONY: all build deps deps-run run test bench fuzz lint soak soak-console soak-ecmo chaos screenshots central-screenshot clean

all: build

deps-run:
	@.ci/install-deps run

deps:
	@.ci/install-deps test
	@.ci/install-influxd
	@.ci/install-checkers

build: deps-run
	$(GO) build -o $(BIN) ./cmd/pumpside

# The console on the built-in simulated case: no device, no server, no config.
run: build
	./$(BIN) run

test: deps
	@echo "== gofmt"; out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	@echo "== go vet"; $(GO) vet ./...
	@echo "== go test -race"; $(GO) test -race -count=1 -timeout 45m ./...

bench: deps
	$(GO) test -run='^$$' -bench=. -benchmem -benchtime=$(BENCHTIME) ./...

# Runs every fuzz target for FUZZTIME each.
fuzz: deps
	@set -e; for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "== $$pkg $$f"; $(GO) test -run='^$$' -fuzz="^$$f$$" -fuzztime=$(FUZZTIME) $$pkg; \
	  done; \
	done

lint: deps
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...

# A 12-hour case through the pipeline at full speed; not part of make test.
soak: deps
	PUMPSIDE_SOAK=1 $(GO) test -run Soak -count=1 -timeout 60m -v ./monitor/

# The real console on the built-in case at 100x for 26 hours of case time
# (about 16 minutes): its resident memory flat once the history is full.
soak-console: deps
	PUMPSIDE_SOAK=1 $(GO) test -run '^TestConsoleSoak$$' -count=1 -timeout 30m -v ./cmd/pumpside/

# A simulated 7-day ECMO run through the pipeline and the recorder (daily
# segments) as fast as it goes: heap at day 1 and day 7, samples dropped,
# segments and their sizes (docs/ecmo.md). A few minutes; not part of make test.
soak-ecmo: deps
	PUMPSIDE_SOAK=1 $(GO) test -run '^TestECMOSoak$$' -count=1 -timeout 60m -v ./monitor/record/

# Issue 22's experiments by hand, on the real binary (cmd/pumpside TestChaos):
# pty unplugs of 2, 20 and 60 s, line noise through every driver, sped-up
# runs against their replay, kill -9 at random moments, InfluxDB paused,
# stopped and killed mid-case (compared point by point), damaged case files.
# About 10 minutes; not part of make test, which runs a short version.
chaos: deps
	PUMPSIDE_CHAOS=1 $(GO) test -run '^TestChaos$$' -count=1 -timeout 20m -v ./cmd/pumpside/

# README pictures, made by the program itself.
screenshots: build
	./$(BIN) screenshot --at 45m --size 1920x1080 --out docs/img/console.png
	./$(BIN) screenshot --at 50m --fault hypoperfusion --fault-at 46m --size 1920x1080 --out docs/img/alarm.png
	./$(BIN) screenshot --at 90m --screen trends --size 1920x1080 --out docs/img/trends.png
	./$(BIN) screenshot --at 90m --screen devices --light --size 1920x1080 --out docs/img/devices-light.png

# The department view's README pictures, from its end-to-end test: InfluxDB, three
# simulated consoles shipping to it, pumpside central, headless Chromium.
central-screenshot: deps
	PUMPSIDE_CENTRAL_SCREENSHOT=$(CURDIR)/docs/img $(GO) test -count=1 -run '^TestCentralEndToEnd$$' -timeout 10m ./cmd/pumpside/

clean:
	rm -rf bin
