#!/usr/bin/env bash
# The npm package as users get it: packed by scripts/pack.mjs, installed into an empty
# "type": "module" project, then the node:test suites, the strict TypeScript usage test, the same
# package compiled without the DOM lib, the no-`any` check, and `require()` from CommonJS.
# HANDOFF_SERVER names the server binary the sync suites start (default: the debug build).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

node scripts/pack.mjs "$work" >/dev/null
cd "$work"
printf '{ "name": "consumer", "private": true, "type": "module" }\n' > package.json
npm install --no-audit --no-fund --loglevel=error ./handoff-engine-*.tgz
cp "$repo"/tests/js/*.mjs "$repo"/config/example-firm.json "$repo"/tests/types/*.ts "$repo"/tests/types/tsconfig*.json .
# The React hooks' test needs React: it runs in the Next.js example's install (test-examples.sh).
rm react.test.mjs

echo "== node --test on the installed package"
HANDOFF_SERVER="${HANDOFF_SERVER:-$repo/target/debug/handoff-server}" node --test --test-reporter=spec ./*.test.mjs
echo "== TypeScript: tsc --strict --noEmit on a usage file"
"$repo"/node_modules/.bin/tsc -p tsconfig.json
echo "== TypeScript: the same package with lib es2022 only (no DOM, no @types/node)"
"$repo"/node_modules/.bin/tsc -p tsconfig.no-dom.json
node "$repo"/tests/types/no-any.mjs "$work"
echo "== CommonJS: require() of the ESM package (Node's require(esm), which engines asks for)"
node -e '
  const { Engine, init, HandoffError } = require("handoff-engine");
  const firm = require("handoff-engine/example-firm.json");
  init().then(() => {
    if (!new Engine(firm).validateConfig().ok || typeof HandoffError !== "function") process.exit(1);
    console.log("require(\"handoff-engine\") works");
  });
'
