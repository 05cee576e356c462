#!/usr/bin/env bash
# `npm start`: build what is missing, then run the reference server with the demo, on an embedded
# SQLite file under data/, seeded with the Example Law Firm and a few deadlines (config/demo-firm.json)
# when the file is new. PORT overrides the port (default 8080).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
port="${PORT:-8080}"
mkdir -p data
echo "handoff-engine demo: open http://127.0.0.1:$port/ (Ctrl-C stops the server)"
exec cargo run --release --quiet -p handoff-server -- --config config/demo-firm.json --db data/handoff.sqlite --addr "127.0.0.1:$port"
