#!/usr/bin/env bash
# The SCIM conformance check: scim2-tester (a suite we did not write, `scim2 … test`) against the
# release build served on a throw-away SQLite database, with a domain's API token made at the command
# line. Every check must pass: a line starting ERROR or CRITICAL fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/throwaway-server.sh
throwaway_server "${SCIM_PORT:-3998}"

echo "==> Seeding the SCIM conformance database"
# A domain with free (Setup Required) extensions for the tester's new users to take.
"$BIN" demo seed --users 20 >/dev/null
TOKEN=$("$BIN" scim token create --domain demo.example --name "scim2-tester" 2>/dev/null)
start_server

echo "==> scim2-tester against http://$LEPTOS_SITE_ADDR/scim/v2"
# The token through the environment, not the command line, which other users of the machine can read.
report=$(SCIM_CLI_HEADERS="Authorization: Bearer $TOKEN" tools/venv/bin/scim2 \
  --url "http://$LEPTOS_SITE_ADDR/scim/v2" test 2>&1) || true
echo "$report" | grep -E '^[A-Z]+ ' | awk '{ print $1 }' | sort | uniq -c
if ! echo "$report" | grep -q '^SUCCESS' || echo "$report" | grep -qE '^(ERROR|CRITICAL)'; then
  echo "$report"
  echo "--- server log ---"; tail -n 50 "$WORK/server.log"
  exit 1
fi
