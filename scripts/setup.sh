#!/usr/bin/env bash
# Installs what the build and the tests need, only what is missing: the wasm32 target, the
# wasm-bindgen CLI at exactly the version in Cargo.lock, the npm dev dependencies, and Debian's
# Chromium with its driver (when running as root). Quick when everything is there.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  echo "setup: adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
if [ "$(.tools/bin/wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $version" ] &&
  [ "$(wasm-bindgen --version 2>/dev/null)" = "wasm-bindgen $version" ]; then
  echo "setup: using $(command -v wasm-bindgen) ($version)"
  mkdir -p .tools/bin
  for tool in wasm-bindgen wasm-bindgen-test-runner; do ln -sf "$(dirname "$(command -v wasm-bindgen)")/$tool" .tools/bin/$tool; done
fi
if [ "$(.tools/bin/wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $version" ]; then
  echo "setup: installing wasm-bindgen-cli $version into .tools/ (a few minutes, once)"
  # No --locked: a dependency of the CLI is not at its locked version in the registry.
  cargo install wasm-bindgen-cli --version "$version" --root .tools --force --quiet
fi

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm dev dependencies"
  npm ci --no-audit --no-fund --loglevel=error
fi

if [ "${1:-}" = "--browser" ] && ! { [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; }; then
  if [ "$(id -u)" = 0 ]; then
    echo "setup: installing Debian's chromium and chromium-driver"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
  else
    echo "setup: the browser tests need /usr/bin/chromium and /usr/bin/chromedriver:" >&2
    echo "  sudo apt-get install chromium chromium-driver" >&2
    exit 1
  fi
fi
