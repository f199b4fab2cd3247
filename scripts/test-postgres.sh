#!/usr/bin/env bash
# Runs the server's integration tests on PostgreSQL (TEST_DATABASE_URL, by default the local server).
# Under CI=true a PostgreSQL that cannot be reached fails the run; elsewhere it is a loud skip.
set -euo pipefail
cd "$(dirname "$0")/.."

export TEST_DATABASE_URL="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}"
hostport=$(sed -E 's#^[a-z]+://([^@/]*@)?([^/:]+)(:([0-9]+))?/.*#\2 \4#' <<<"$TEST_DATABASE_URL")
read -r host port <<<"$hostport"
port=${port:-5432}

if ! (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; then
  if [ "${CI:-}" = "true" ]; then
    echo "PostgreSQL at $host:$port cannot be reached, and CI requires the PostgreSQL tests." >&2
    exit 1
  fi
  printf '\n\033[1;33m!!! SKIPPING the PostgreSQL tests: nothing answers at %s:%s.\033[0m\n' "$host" "$port"
  printf '!!! Start it (pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start) or set TEST_DATABASE_URL.\n\n'
  exit 0
fi

echo "==> Integration tests on PostgreSQL ($host:$port)"
# --workspace: the same feature resolution as `make test-rust`, so nothing is compiled again.
cargo test --workspace --test it
