#!/usr/bin/env bash
# Prints the working directory of one example, installed: a directory in the user's cache
# (outside the repository) named after the example and a hash of its package.json and lockfile,
# so that a changed lockfile gets a fresh install and an unchanged one is reused. `npm ci` runs
# only when the install is missing or was interrupted. The example's sources are copied over it
# on every call; node_modules and the build caches stay.
# Usage: bash scripts/example-install.sh <example name>
set -euo pipefail
cd "$(dirname "$0")/.."
name=$1
src=examples/$name
hash=$(cat "$src/package.json" "$src/package-lock.json" | sha256sum | cut -c1-12)
work=${HANDOFF_EXAMPLES_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/handoff-engine/examples}/$name-$hash
mkdir -p "$work"
if [ ! -f "$work/node_modules/.handoff-installed" ]; then
  echo "installing $name into $work (first run; later runs reuse it)" >&2
  cp "$src/package.json" "$src/package-lock.json" "$work/"
  (cd "$work" && npm ci --no-audit --no-fund --loglevel=error >&2)
  touch "$work/node_modules/.handoff-installed"
fi
# Refresh the sources: everything of the example but its install and build outputs.
find "$work" -mindepth 1 -maxdepth 1 ! -name node_modules ! -name .next -exec rm -rf {} +
(cd "$src" && tar -cf - --exclude=node_modules --exclude=.next --exclude=dist .) | tar -xf - -C "$work"
echo "$work"
