#!/usr/bin/env bash
# The browser part of `make bench`: the release build (as `make build` leaves it) served on a
# throw-away SQLite database with the demo domain of BENCH_USERS users, measured by Playwright in
# Debian's Chromium (end2end/bench/browser.bench.ts), which prints its table and writes it into
# bench/results.md. Figures over target are printed as such; they do not fail the run.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN="${CARGO_TARGET_DIR:-target}/release/switchboard"
PORT="${BENCH_PORT:-3998}"
WORK=$(mktemp -d)
export DATABASE_URL="sqlite://$WORK/bench.db?mode=rwc"
export LEPTOS_SITE_ADDR="127.0.0.1:$PORT"
export RUST_LOG="${RUST_LOG:-warn}"
export OUTBOX_DIR="$WORK/outbox"
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

echo "==> Seeding the demo domain with ${BENCH_USERS:-10000} users"
"$BIN" demo seed --users "${BENCH_USERS:-10000}" >/dev/null
echo "bench-manager-password" | "$BIN" user create --domain demo.example --extension 190 --first Bench \
  --last Manager --email bench.manager@demo.example --scope office-manager --password-stdin >/dev/null

echo "==> Starting the server at http://$LEPTOS_SITE_ADDR"
# A pause after each batch stretches the 10,000-user job the progress dialog watches to several seconds.
BULK_BATCH_PAUSE_MS=100 "$BIN" serve >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then break; fi
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then cat "$WORK/server.log"; exit 1; fi
  sleep 0.2
done

echo "==> Playwright: the Users page on a phone and a desktop"
export SITE_PKG="$(pwd)/target/site/pkg" BASE_URL="http://$LEPTOS_SITE_ADDR"
(cd end2end && npx playwright test --config bench.config.ts)
