#!/usr/bin/env bash
# The examples (examples/*) against the freshly packed package, in headless Chromium and Node:
# tests/examples/examples.test.mjs. Each example is installed from its lockfile into the user's
# cache, outside the repository (scripts/example-install.sh: ~/.cache/handoff-engine/examples/
# <name>-<hash of package.json and lockfile>, or $HANDOFF_EXAMPLES_CACHE), once; every run copies
# the sources over it and unpacks the new tarball into its node_modules/handoff-engine, which is
# what `npm install <tarball>` does for a package without dependencies, in a fraction of the time.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

tarball=$(node scripts/pack.mjs "$work")
for name in vite-ts nextjs webpack node-service; do
  dir=$(bash scripts/example-install.sh "$name")
  rm -rf "$dir/node_modules/handoff-engine"
  mkdir -p "$dir/node_modules/handoff-engine"
  tar -xzf "$tarball" --strip-components=1 -C "$dir/node_modules/handoff-engine"
  var=HANDOFF_EXAMPLE_$(echo "$name" | tr 'a-z-' 'A-Z_')
  export "$var=$dir"
done
# Arguments are passed on to node --test, e.g. --test-name-pattern=Vite.
node --test --test-concurrency=1 --test-reporter=spec "$@" tests/examples/examples.test.mjs
