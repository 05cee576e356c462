#!/usr/bin/env bash
# A private PostgreSQL cluster for the tests and the bench, in a temporary folder, on a free
# loopback port, with PostgreSQL's default durability (fsync on, synchronous_commit on).
#
#   bash scripts/pg.sh install      installs Debian's postgresql when missing (as root)
#   bash scripts/pg.sh start DIR    creates and starts a cluster in DIR; prints its URL
#   bash scripts/pg.sh stop DIR     stops it and removes DIR
#
# PostgreSQL refuses to run as root: as root the cluster runs as the `postgres` user
# (runuser). There is no init system: pg_ctl starts and stops the server itself.
set -euo pipefail

bin_dir() {
  local initdb
  initdb=$(ls -d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -n "$initdb" ]; then dirname "$initdb"; return; fi
  if command -v pg_ctl >/dev/null 2>&1; then dirname "$(command -v pg_ctl)"; return; fi
  return 1
}

as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
  node -e 'const s = require("net").createServer(); s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });'
}

case "${1:-}" in
  install)
    if ! bin_dir >/dev/null; then
      if [ "$(id -u)" = 0 ]; then
        echo "setup: installing Debian's postgresql" >&2
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
      else
        echo "setup: the PostgreSQL tests need PostgreSQL's server binaries: sudo apt-get install postgresql" >&2
        exit 1
      fi
    fi
    ;;
  start)
    dir=${2:?usage: pg.sh start DIR}
    bin=$(bin_dir) || { echo "pg.sh: PostgreSQL is not installed (bash scripts/pg.sh install)" >&2; exit 1; }
    mkdir -p "$dir"
    # The postgres user must reach DIR: its parent (a temporary folder of ours) is opened to it.
    if [ "$(id -u)" = 0 ]; then chown postgres: "$dir"; chmod a+x "$(dirname "$dir")"; fi
    port=$(free_port)
    as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth=trust --no-sync -E UTF8 >"$dir/initdb.log" 2>&1 ||
      { cat "$dir/initdb.log" >&2; exit 1; }
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=200" start >/dev/null ||
      { cat "$dir/server.log" >&2; exit 1; }
    echo "postgres://postgres@127.0.0.1:$port/postgres"
    ;;
  stop)
    dir=${2:?usage: pg.sh stop DIR}
    if bin=$(bin_dir) && [ -d "$dir/data" ]; then
      as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
    ;;
  *)
    echo "usage: bash scripts/pg.sh install | start DIR | stop DIR" >&2
    exit 2
    ;;
esac
