# Switchboard: `make run` to try it, `make test` to prove it. See README.md.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
# cargo-leptos runs wasm-bindgen and wasm-opt from PATH: ours first.
export PATH := $(CURDIR)/tools/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)

# Cargo's target folder may be shared between checkouts (CARGO_TARGET_DIR).
BIN := $(or $(CARGO_TARGET_DIR),target)/release/switchboard

.PHONY: run build test test-rust test-postgres test-e2e test-scim bench soak tools test-tools bench-tools clean

## Install what is missing, build, seed the demo on first run, and serve on embedded SQLite.
run: build
	@$(BIN) demo seed --if-empty
	@exec $(BIN) serve

## The release build: target/release/switchboard and the site under target/site, each bundle file
## with a brotli and a gzip copy beside it (served to browsers that accept them); `--split` puts each
## `#[lazy]` function (the Bulk Action dialog's steps) in a file of its own, fetched when first called.
## Skipped, in a second, when nothing the build is made of changed since it was last made
## (scripts/build.sh says what counts).
build: tools
	@scripts/build.sh

## Every test: the app's modules free of import circles, Rust on SQLite, the integration tests again
## on PostgreSQL, then Playwright, then the SCIM conformance suite (scim2-tester).
test: test-tools test-rust test-postgres test-e2e test-scim

test-rust:
	@echo "==> No import circles among the app's modules"
	@scripts/import-circles.py app/src
	@echo "==> Rust tests on SQLite"
	cargo test --workspace

test-postgres:
	@scripts/test-postgres.sh

test-e2e: build
	@scripts/e2e.sh

test-scim: build
	@scripts/scim-conformance.sh

## Speed figures: a bulk reset of 10,000 users (BENCH_USERS) on SQLite and on the local PostgreSQL, a
## 5-user reset of another domain started beside it (fair share), 50 domains' resets on three replicas
## of which one is killed half-way (PostgreSQL), the
## Users page of that domain (p50/p95 of each view, with query plans), the
## portal under load (50 clients of wrk for 20 s while a 10,000-user job runs), 500 admins watching one
## job's progress (the server's CPU, the database's statements, the Users page's p99), then the browser: the
## bundle's sizes, the Users page on an emulated phone, ticking, and a watched job's progress. `cargo
## bench` builds the server binary its own way, so the release build is made again before the browser
## part, and left as `make build` leaves it.
bench: bench-tools test-tools
	BENCH_DATABASE_URL="$${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}" cargo bench -p server --bench reset --bench share --bench replicas --bench users --bench scim --bench load --bench watchers
	@$(MAKE) --no-print-directory build
	@scripts/bench-browser.sh

## The load of `make bench` held for 15 minutes (SOAK_SECS) on a demo of 2,000 users, with a reset of
## 100 of them started over HTTP every 5 s: the server's memory after the first minute and at the end
## (within 10%), errors and panics (none), into bench/results.md. Apart from `make bench` for its length.
soak: bench-tools
	cargo bench -p server --bench soak
	@$(MAKE) --no-print-directory build

tools:
	@scripts/install-tools.sh

test-tools:
	@scripts/install-tools.sh --test

bench-tools:
	@scripts/install-tools.sh --bench

clean:
	cargo clean
	rm -rf target/site end2end/test-results end2end/playwright-report
