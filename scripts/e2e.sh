#!/usr/bin/env bash
# The Playwright suite against the release build, served on a throw-away SQLite database that this
# script seeds, starts and removes.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/throwaway-server.sh
throwaway_server "${E2E_PORT:-3999}"

echo "==> Seeding the end-to-end database"
"$BIN" demo seed --users 60 >/dev/null
"$BIN" domain create other.example --reseller "Other Reseller" >/dev/null
# Known passwords for the tests (end2end/tests/fixtures.ts).
add_user() { # domain extension first last scope password
  echo "$6" | "$BIN" user create --domain "$1" --extension "$2" --first "$3" --last "$4" \
    --email "$(tr 'A-Z' 'a-z' <<<"$3.$4")@$1" --scope "$5" --password-stdin >/dev/null
}
add_user demo.example 190 Test Manager office-manager "e2e-manager-password"
add_user demo.example 191 Test Basic basic-user "e2e-basic-password"
# Forced to change their password by the tests: one for each Playwright project.
add_user demo.example 192 Forced Desktop basic-user "e2e-forced-password"
add_user demo.example 193 Forced Phone basic-user "e2e-forced-password"
# Locked out by too many failed sign-ins: one for each Playwright project.
add_user demo.example 990 Locked Desktop basic-user "e2e-locked-password"
add_user demo.example 991 Locked Phone basic-user "e2e-locked-password"
add_user other.example 200 Other Manager office-manager "e2e-other-password"
# More matches of one search than a page shows, for "Select all users that match": one group per project.
"$BIN" domain create many.example --reseller "Demo Reseller" >/dev/null
add_user many.example 190 Many Manager office-manager "e2e-many-password"
for n in $(seq 300 354); do
  "$BIN" user create --domain many.example --extension "$n" --first Dana --last Desk --scope basic-user >/dev/null
  "$BIN" user create --domain many.example --extension "$((n + 100))" --first Pat --last Phone --scope basic-user >/dev/null
done

# Recycling from a spreadsheet and scheduled resets (schedule.spec.ts): a domain of their own, whose
# Activity page lists only their jobs; 201–210 for the desktop project, 211–220 for the phone.
"$BIN" domain create hires.example --reseller "Demo Reseller" >/dev/null
add_user hires.example 190 Hiring Manager office-manager "e2e-hires-password"
for n in $(seq 201 220); do
  "$BIN" user create --domain hires.example --extension "$n" --first Leaving --last "Person$n" --scope basic-user >/dev/null
done
# Whose password the welcome tests revoke: 230 for the desktop project, 231 for the phone.
add_user hires.example 230 Revoked Desktop basic-user "e2e-revoked-password"
add_user hires.example 231 Revoked Phone basic-user "e2e-revoked-password"

# Accessibility (a11y.spec.ts, keyboard.spec.ts): the keyboard walk's users, found by searching "desk"
# (desktop project) or "phone" (phone project), and the tours' users, two per tour.
"$BIN" domain create access.example --reseller "Demo Reseller" >/dev/null
add_user access.example 190 Access Manager office-manager "e2e-access-password"
for n in 201 202 203; do
  "$BIN" user create --domain access.example --extension "$n" --first Kim --last "Desk$n" --scope basic-user >/dev/null
  "$BIN" user create --domain access.example --extension "$((n + 3))" --first Kim --last "Phone$((n + 3))" --scope basic-user >/dev/null
done
for n in $(seq 207 218); do
  "$BIN" user create --domain access.example --extension "$n" --first Tour --last "Person$n" --email "tour.$n@access.example" \
    --scope basic-user >/dev/null
done

# A Recycle Users form longer than the rows it builds at first (recycle.spec.ts): 45 users found by
# searching "desk" (desktop project) or "phone" (phone project).
"$BIN" domain create crowd.example --reseller "Demo Reseller" >/dev/null
add_user crowd.example 190 Crowd Manager office-manager "e2e-crowd-password"
for n in $(seq 300 344); do
  "$BIN" user create --domain crowd.example --extension "$n" --first Lee --last "Desk$n" --scope basic-user >/dev/null
  "$BIN" user create --domain crowd.example --extension "$((n + 100))" --first Lee --last "Phone$((n + 100))" --scope basic-user >/dev/null
done

# The tests read the emails the server writes into $OUTBOX_DIR. A test that watches a job part-way
# holds its domain's jobs with the command line (`switchboard jobs hold`, end2end/tests/fixtures.ts):
# the server runs jobs at its own speed, and no test races it.
export SWITCHBOARD_BIN="$(realpath "$BIN")"
start_server

echo "==> Playwright (desktop and phone)"
# E2E_ARGS narrows the run while working on one test, e.g. E2E_ARGS="bulk --project=phone".
status=0
(cd end2end && BASE_URL="http://$LEPTOS_SITE_ADDR" npx playwright test ${E2E_ARGS:-}) || status=$?
if [ "$status" -ne 0 ]; then
  echo "--- server log ---"; tail -n 50 "$WORK/server.log"
fi
exit "$status"
