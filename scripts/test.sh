#!/usr/bin/env bash
# `npm test`: build, then every test suite. Installs what is missing first (idempotent).
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== formatting"
cargo fmt --all -- --check
echo "== clippy (warnings denied)"
cargo clippy --workspace --all-targets --quiet -- -D warnings
echo "== native tests"
cargo test --workspace --quiet
