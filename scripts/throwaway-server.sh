# Sourced by scripts/e2e.sh and scripts/bench-browser.sh: the release build served on a throw-away
# SQLite database at 127.0.0.1:$PORT, removed with its folder when the calling script exits.
#   throwaway_server PORT   sets BIN, WORK, DATABASE_URL, LEPTOS_SITE_ADDR, OUTBOX_DIR (emails as .eml files)
#   start_server            starts `switchboard serve` (with the caller's environment) and waits for it

throwaway_server() {
  BIN="${CARGO_TARGET_DIR:-target}/release/switchboard"
  WORK=$(mktemp -d)
  export DATABASE_URL="sqlite://$WORK/throwaway.db?mode=rwc"
  export LEPTOS_SITE_ADDR="127.0.0.1:$1"
  export RUST_LOG="${RUST_LOG:-warn}"
  export OUTBOX_DIR="$WORK/outbox"
  SERVER_PID=""
  trap stop_server EXIT
}

stop_server() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}

start_server() {
  echo "==> Starting the server at http://$LEPTOS_SITE_ADDR"
  "$BIN" serve >"$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/${LEPTOS_SITE_ADDR%:*}/${LEPTOS_SITE_ADDR#*:}") 2>/dev/null; then return 0; fi
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then cat "$WORK/server.log"; exit 1; fi
    sleep 0.2
  done
  echo "the server did not start listening"; cat "$WORK/server.log"; exit 1
}
