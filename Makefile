# Everything a fresh clone needs: `make demo` and `make test` install what
# they use. Generated parsers are committed; `make formats` regenerates them
# and the test suite fails when they are stale against formats/*.ksy.

STAMP := node_modules/.install-stamp
TSC := node_modules/.bin/tsc
TAP := node_modules/.bin/tap
NATIVE_ADDONS := native/build/Release/logkv_mmap.node native/build/Release/logkv_sync.node

.PHONY: all install formats build test demo fixtures clean bench kvtool fuzz python-deps nats-deps

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
	node test/cross-language/build-python.mjs

# scripts/build.mjs: TypeScript into dist/ and the generated parsers copied
# beside it, skipped when dist/ is newer than every source (npm's prepare,
# which npm ci runs, has usually just done it).
build: $(STAMP) $(NATIVE_ADDONS)
	node scripts/build.mjs --if-changed

# The optional addons (native/mmap.c, native/sync-thread.c), which npm ci
# builds as the package's install script; rebuilt here when a source
# changes. Without a compiler they are skipped with one line: gets use
# pread, group commit's fdatasyncs libuv's thread pool.
$(NATIVE_ADDONS) &: native/mmap.c native/sync-thread.c native/binding.gyp native/build.mjs
	node native/build.mjs

# Regenerate the golden files in fixtures/ (deterministic).
fixtures: build
	node dist/scripts/make-fixtures.js

# Tests run transpile-only under tap, so they are type-checked here first.
test: build python-deps nats-deps
	$(TSC) -p tsconfig.test.json
	$(TAP) -R tap

# The cross-language test reads store files with Python parsers generated
# from formats/*.ksy; they need Debian's python3-kaitaistruct (0.10) under
# /usr/bin/python3. Installed when missing and we are root; otherwise the
# test reports itself skipped with the reason.
python-deps:
	$(call debian-dep,/usr/bin/python3 -c 'import kaitaistruct' 2>/dev/null,python3 python3-kaitaistruct,the cross-language test)

# The replication tests (test/replication/) run a real NATS JetStream
# cluster on loopback: Debian's nats-server. Installed when missing and we
# are root; otherwise those tests report themselves skipped with the reason.
nats-deps:
	$(call debian-dep,command -v nats-server >/dev/null 2>&1,nats-server,the replication tests)

# $(call debian-dep,CHECK,PACKAGES,WHICH TESTS): installs Debian's PACKAGES
# when the shell command CHECK fails and we are root (apt-get update only
# when the install fails without it); otherwise says WHICH TESTS will be
# skipped, and they report themselves skipped with the reason.
debian-dep = @if $(1); then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo 'installing $(2) (Debian) for $(3)'; \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $(2) >/dev/null 2>&1 || \
	  { apt-get update -q >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $(2) >/dev/null 2>&1; } || \
	  echo 'could not install $(2): $(3) will be skipped'; \
	else echo '$(2) missing and not root: $(3) will be skipped'; fi

# The crash suite's properties for FUZZ_SECONDS (default 60) instead of
# make test's fixed budget; each prints how many cases it tried.
FUZZ_SECONDS ?= 60
fuzz: build
	$(TSC) -p tsconfig.test.json
	FUZZ_SECONDS=$(FUZZ_SECONDS) $(TAP) -R tap --disable-coverage --timeout=$$(( $(FUZZ_SECONDS) * 3 + 120 )) --jobs=1 test/crash/log-model.test.ts test/crash/journal-model.test.ts test/crash/corruption.test.ts test/crash/kill.test.ts

demo: build
	node dist/scripts/demo.js

# kvtool from a fresh clone: make kvtool ARGS="verify ./mystore"
kvtool: build
	@node dist/cli/kvtool.js $(ARGS)

clean:
	rm -rf dist .tap coverage

# Benchmarks against lmdb, classic-level and better-sqlite3 in one run
# (bench/README.md). BENCH_SCALE=0.01 for a quick run. Not part of `make test`.
# The peers are bench/package.json's, installed here only (better-sqlite3
# compiles SQLite when no prebuilt binary fits), so make test and make demo
# need no C++ compiler; their adapters (bench/peers.ts) are compiled once
# they are there, and dist/bench finds them through a link.
BENCH_STAMP := bench/node_modules/.install-stamp

$(BENCH_STAMP): bench/package.json bench/package-lock.json
	cd bench && npm ci --no-audit --no-fund
	@touch $@

bench: build $(BENCH_STAMP)
	$(TSC) -p bench/tsconfig.json
	ln -sfn ../../bench/node_modules dist/bench/node_modules
	node dist/bench/run.js
