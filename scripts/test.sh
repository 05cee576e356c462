#!/usr/bin/env bash
# `npm test`: build, then every test suite. Installs what is missing first (idempotent).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --browser
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER="$PWD/.tools/bin/wasm-bindgen-test-runner"

echo "== formatting"
cargo fmt --all -- --check
echo "== clippy, native and wasm32 (warnings denied)"
cargo clippy --workspace --all-targets --quiet -- -D warnings
cargo clippy --lib --target wasm32-unknown-unknown --quiet -- -D warnings
echo "== a private PostgreSQL cluster, so that the server's tests also run on PostgreSQL"
bash scripts/pg.sh install
pg_dir=$(mktemp -d)
stop_postgres() { bash scripts/pg.sh stop "$pg_dir/pg"; rm -rf "$pg_dir"; }
trap stop_postgres EXIT
trap 'exit 130' INT TERM
# A cluster that does not start fails the run here (set -e): its tests are never skipped.
HANDOFF_TEST_POSTGRES=$(bash scripts/pg.sh start "$pg_dir/pg")
export HANDOFF_TEST_POSTGRES HANDOFF_REQUIRE_POSTGRES=1
echo "== native tests"
cargo test --workspace --quiet
stop_postgres
trap - EXIT
unset HANDOFF_TEST_POSTGRES HANDOFF_REQUIRE_POSTGRES
echo "== build the npm package"
bash scripts/build.sh
echo "== bindings in Node (wasm-bindgen-test)"
cargo test --target wasm32-unknown-unknown --test wasm_bindings
echo "== bindings in headless Chromium (wasm-bindgen-test)"
WASM_BINDGEN_USE_BROWSER=1 cargo test --target wasm32-unknown-unknown --test wasm_bindings
echo "== the packed package in a fresh project"
bash scripts/test-package.sh
echo "== the examples against the packed package: Vite (dev and build), Next.js, webpack, a bundled Node service, the React hooks"
bash scripts/test-examples.sh
echo "== the demo and CaseStore in headless Chromium against the real server (playwright-core)"
cargo build -p handoff-server --quiet
node --test --test-reporter=spec tests/browser/*.test.mjs
