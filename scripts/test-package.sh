#!/usr/bin/env bash
# The npm package as users get it: `npm pack`, installed into an empty "type": "module" project,
# then the node:test suites, the strict TypeScript usage test and the no-`any` check there.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

npm pack --silent --pack-destination "$work" >/dev/null
cd "$work"
printf '{ "name": "consumer", "private": true, "type": "module" }\n' > package.json
npm install --no-audit --no-fund --loglevel=error ./handoff-engine-*.tgz
cp "$repo"/tests/js/*.mjs "$repo"/config/example-firm.json "$repo"/tests/types/usage.ts "$repo"/tests/types/tsconfig.json .

echo "== node --test on the installed package"
HANDOFF_SERVER="$repo/target/debug/handoff-server" node --test --test-reporter=spec ./*.test.mjs
echo "== TypeScript: tsc --strict --noEmit on a usage file"
"$repo"/node_modules/.bin/tsc -p tsconfig.json
node "$repo"/tests/types/no-any.mjs "$work"
