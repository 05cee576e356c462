#!/usr/bin/env bash
# `npm run build`: the npm package in pkg/ (wasm32 release build, wasm-bindgen, wasm-opt -Oz,
# the JS entries), then its size. `--bench` (used by `npm run bench`): the same steps with the
# `bench` feature, into target/bench-pkg, with a target directory of its own so that neither
# build invalidates the other; the package is not touched.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

out=pkg
features=()
export CARGO_TARGET_DIR=target
if [ "${1:-}" = "--bench" ]; then
  out=target/bench-pkg
  features=(--features bench)
  CARGO_TARGET_DIR=target/bench
fi
# LLVM's inliner a little past what opt-level "s" allows: at 80 it inlines the case's step-map
# lookups (`BTreeMap::get`, `get_mut`) into the decide, the hottest path of a command; lower
# thresholds do not reach them, higher ones only add size (docs/performance.md).
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="-C llvm-args=-inline-threshold=80"
cargo build --profile wasm --target wasm32-unknown-unknown --lib --quiet "${features[@]}"
rm -rf "$out"
mkdir -p "$out/wasm"
.tools/bin/wasm-bindgen --target web --out-dir "$out/wasm" --out-name handoff_engine \
  --remove-name-section --remove-producers-section \
  "$CARGO_TARGET_DIR/wasm32-unknown-unknown/wasm/handoff_engine.wasm"
rm -f "$out/wasm/handoff_engine_bg.wasm.d.ts"
# `[Symbol.dispose]()` needs TypeScript's esnext.disposable lib: a strict project on ES2022 libs
# would fail to compile against it. The method still exists at runtime; `free()` is typed.
sed -i '/\[Symbol\.dispose\]():/d' "$out/wasm/handoff_engine.d.ts"
# --low-memory-unused lets wasm-opt fold `load(p + C)` into `load offset=C (p)` for C < 1024, which
# differs only when p + C wraps past 4 GiB into the first KiB: Rust never forms such an address
# (pointer overflow is undefined behaviour), so the fold is safe, and it shrinks the module.
# The target_features section, which only tools read (engines ignore it), is stripped.
# Two rounds of type-flow analysis (--gufa) between the size passes find code that -Oz alone
# keeps, for a few seconds of build; --converge was not worth it.
node_modules/.bin/wasm-opt -Oz --gufa -Oz --gufa -Oz --low-memory-unused --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
  --enable-reference-types --enable-multivalue --enable-mutable-globals --zero-filled-memory --strip-target-features \
  "$out/wasm/handoff_engine_bg.wasm" -o "$out/wasm/handoff_engine_bg.wasm"
cp js/index.js js/node.js js/error.js js/case-store.js js/states.js js/index.d.ts "$out/"

wasm=$out/wasm/handoff_engine_bg.wasm
raw=$(wc -c < "$wasm")
gz=$(gzip -9 -c "$wasm" | wc -c)
glue=$(cat "$out/wasm/handoff_engine.js" "$out"/*.js | wc -c)
awk -v out="$out" -v raw="$raw" -v gz="$gz" -v glue="$glue" 'BEGIN {
  printf "built %s/: handoff_engine_bg.wasm %d bytes (%.1f KiB), gzipped %d bytes (%.1f KiB); JS glue %d bytes\n", out, raw, raw / 1024, gz, gz / 1024, glue
}'
