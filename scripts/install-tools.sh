#!/usr/bin/env bash
# Installs, only where missing, the tools that building and testing Switchboard need.
# Versions are pinned to the ones known to work together (see README "Toolchain").
#   scripts/install-tools.sh          build tools (wasm target, cargo-leptos, wasm-bindgen, wasm-opt)
#   scripts/install-tools.sh --test   the above plus Playwright, Debian's Chromium and scim2-tester (tools/venv)
#   scripts/install-tools.sh --bench  the build tools plus wrk (Debian's), the load generator
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_LEPTOS_VERSION=0.3.10
WASM_BINDGEN_VERSION=0.2.130   # must equal the wasm-bindgen crate pinned in Cargo.toml
export PATH="$HOME/.cargo/bin:$PATH"

say() { printf '\033[1;34m==>\033[0m %s\n' "$*"; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "Adding the wasm32-unknown-unknown Rust target"
  rustup target add wasm32-unknown-unknown
fi

if ! cargo leptos --version 2>/dev/null | grep -q "$CARGO_LEPTOS_VERSION"; then
  say "Installing cargo-leptos $CARGO_LEPTOS_VERSION (first run only: about 10 minutes on 2 cores)"
  cargo install cargo-leptos --version "$CARGO_LEPTOS_VERSION" --locked
fi

if ! wasm-bindgen --version 2>/dev/null | grep -q "$WASM_BINDGEN_VERSION"; then
  say "Installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (first run only: a few minutes)"
  # Not --locked: its lock file names a crate version the registry no longer serves.
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi

# wasm-opt comes from npm's binaryen; Debian's older wasm-opt produces a wasm that fails at run time.
if [ ! -x tools/node_modules/.bin/wasm-opt ]; then
  say "Installing wasm-opt (npm binaryen)"
  npm ci --prefix tools --no-audit --no-fund
fi

if [ "${1:-}" = "--bench" ] && ! command -v wrk >/dev/null; then
  say "Installing wrk (Debian's) for the load benchmark"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi

if [ "${1:-}" = "--test" ]; then
  if [ ! -x /usr/bin/chromium ]; then
    say "Installing Debian's Chromium for the browser tests"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  fi
  # Again whenever package-lock.json changed since the last install (npm records it in node_modules).
  if [ ! -d end2end/node_modules/@playwright/test ] || [ end2end/package-lock.json -nt end2end/node_modules/.package-lock.json ]; then
    say "Installing Playwright and axe-core (the test runner only; the browser is Debian's Chromium)"
    npm ci --prefix end2end --no-audit --no-fund
  fi
  # The SCIM conformance check (scim2-tester), pinned, in a virtual environment of its own.
  if [ ! -x tools/venv/bin/scim2 ] || [ tools/scim-requirements.txt -nt tools/venv/bin/scim2 ]; then
    say "Installing scim2-tester (the SCIM conformance check)"
    python3 -m venv tools/venv
    tools/venv/bin/pip install --quiet --disable-pip-version-check -r tools/scim-requirements.txt
    touch tools/venv/bin/scim2
  fi
fi
