#!/usr/bin/env bash
# The browser part of `make bench`: the release build (as `make build` leaves it) served on a
# throw-away SQLite database with the demo domain of BENCH_USERS users, measured by Playwright in
# Debian's Chromium (end2end/bench/browser.bench.ts), which prints its table and writes it into
# bench/results.md. Figures over target are printed as such; they do not fail the run.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/throwaway-server.sh
throwaway_server "${BENCH_PORT:-3998}"

echo "==> Seeding the demo domain with ${BENCH_USERS:-10000} users"
"$BIN" demo seed --users "${BENCH_USERS:-10000}" >/dev/null
echo "bench-manager-password" | "$BIN" user create --domain demo.example --extension 190 --first Bench \
  --last Manager --email bench.manager@demo.example --scope office-manager --password-stdin >/dev/null

# Smaller batches (200, not the 1,000 of a real server) with a pause after each stretch the 10,000-user
# job the progress dialog watches to several seconds.
BULK_BATCH_SIZE=200 BULK_BATCH_PAUSE_MS=100 start_server

echo "==> Playwright: the Users page on a phone and a desktop"
export SITE_PKG="$(pwd)/target/site/pkg" BASE_URL="http://$LEPTOS_SITE_ADDR"
(cd end2end && npx playwright test --config bench.config.ts)
