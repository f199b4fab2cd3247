#!/usr/bin/env bash
# The release build (`make build`), done only when something it is made of changed: cargo-leptos runs
# wasm-bindgen, wasm-opt, the minifier and the compressors every time (over a minute) even when cargo has
# nothing to do, so an unchanged tree would pay for all of it at every `make run` and test run.
#
# What the build is made of, fingerprinted: this checkout's place (the target folder may be shared
# between checkouts, and the binary names the site's hashed files of the checkout that built it), the
# sources of every crate in the site, the stylesheet and assets, the lock file and this script's
# command; and what it left, the binary's size and time (`cargo bench` builds it again its own way).
set -euo pipefail
cd "$(dirname "$0")/.."

target="${CARGO_TARGET_DIR:-target}"
bin="$target/release/switchboard"
site="target/site"
# Beside the binary, not in the site (which is served).
stamp="$bin.built-from"
build=(cargo leptos build --release --precompress --split)

inputs() {
  echo "$PWD ${build[*]}"
  find app frontend migrations server/src server/Cargo.toml style public vendor Cargo.toml Cargo.lock \
    -type f -print0 | sort -z | xargs -0 sha256sum
}

sources="$(inputs | sha256sum | cut -d' ' -f1)"
# What the build was made of (read before it starts) and the binary it left.
fingerprint() {
  echo "$sources $(stat -c '%s %Y' "$bin" 2>/dev/null || echo 'no binary')"
}

if [[ -f "$stamp" && -d "$site/pkg" && "$(cat "$stamp")" == "$(fingerprint)" ]]; then
  echo "==> Switchboard's release build is up to date (nothing it is made of changed)"
  exit 0
fi
echo "==> Building Switchboard (release)"
rm -f "$stamp"
"${build[@]}"
fingerprint > "$stamp"
