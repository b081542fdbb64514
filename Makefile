# Everything a fresh clone needs: `make demo` and `make test` install what
# they use. Generated parsers are committed; `make formats` regenerates them
# and the test suite fails when they are stale against formats/*.ksy.

STAMP := node_modules/.install-stamp
TSC := node_modules/.bin/tsc
TAP := node_modules/.bin/tap

.PHONY: all install formats build test demo fixtures clean bench kvtool

all: build

$(STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

install: $(STAMP)

# Compile every formats/*.ksy with the official Kaitai compiler into
# src/formats/generated/ (JavaScript + TypeScript declarations) and, in
# debug mode (field positions, for kvtool explain), src/formats/generated-debug/.
formats: $(STAMP)
	node scripts/build-formats.mjs

build: $(STAMP)
	$(TSC) -p .
	rm -rf dist/src/formats/generated dist/src/formats/generated-debug
	cp -r src/formats/generated dist/src/formats/generated
	cp -r src/formats/generated-debug dist/src/formats/generated-debug
	chmod +x dist/cli/kvtool.js

# Regenerate the golden files in fixtures/ (deterministic).
fixtures: build
	node dist/scripts/make-fixtures.js

# Tests run transpile-only under tap, so they are type-checked here first.
test: build
	$(TSC) -p tsconfig.test.json
	$(TAP) -R tap

demo: build
	node dist/scripts/demo.js

# kvtool from a fresh clone: make kvtool ARGS="verify ./mystore"
kvtool: build
	@node dist/cli/kvtool.js $(ARGS)

clean:
	rm -rf dist .tap coverage

# Benchmarks against lmdb, classic-level and better-sqlite3 in one run
# (bench/README.md). BENCH_SCALE=0.01 for a quick run. Not part of `make test`.
bench: build
	node dist/bench/run.js
