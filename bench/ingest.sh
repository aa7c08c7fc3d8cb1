#!/usr/bin/env bash
# Ingest benchmarks on the national workload (see BENCHMARKS.md).
#
#   bash bench/ingest.sh [GEN_DIR]
#
# Generates the workload with ../shared/bench/gen_national.py into GEN_DIR (default
# /tmp/tocsin-bench-data; 5,000 stations x 6 metrics x 2 days = 8.64 M observations) unless it is
# there, builds the release binary, then measures:
#   1. in-process parse + validate, durable appends and duplicate re-append (`tocsin bench store`);
#   2. HTTP ingest from a separate client process on loopback (`tocsin bench http`) against
#      `tocsin serve`, 2 and 4 connections, each on a fresh data directory, then the same
#      observations sent again (every one a duplicate); the server's memory after each run;
#   3. the idle server's memory with the full region registry imported.
#
# Environment: PORT (default 18123), STORE_LIMIT (5000000), HTTP_LIMIT (2000000),
# COMMIT (10000), REGIONS (../shared/data/vn/admin).
set -euo pipefail
cd "$(dirname "$0")/.."

GEN_DIR="${1:-/tmp/tocsin-bench-data}"
PORT="${PORT:-18123}"
STORE_LIMIT="${STORE_LIMIT:-5000000}"
HTTP_LIMIT="${HTTP_LIMIT:-2000000}"
COMMIT="${COMMIT:-10000}"
REGIONS="${REGIONS:-../shared/data/vn/admin}"
TOCSIN=target/release/tocsin
ADDR="127.0.0.1:$PORT"

WORK="$(mktemp -d /tmp/tocsin-bench-run.XXXXXX)"
SERVER_PID=""

stop_server() {
  if [ -n "$SERVER_PID" ]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
  fi
}
cleanup() {
  stop_server
  rm -rf "$WORK"
}
trap cleanup EXIT

# start_server DATA_DIR REGIONS_FROM: runs `tocsin serve` in the background, request logging off.
start_server() {
  TOCSIN_LOG=warn TOCSIN_REGIONS_FROM="$2" \
    "$TOCSIN" serve --data "$1" --listen "$ADDR" >> "$WORK/server.log" 2>&1 &
  SERVER_PID=$!
}

# wait_for PATH: polls the server until it answers PATH (gives up after 120 s).
wait_for() {
  for _ in $(seq 600); do
    curl -sf "http://$ADDR$1" > /dev/null && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.log"; echo "server exited" >&2; exit 1; }
    sleep 0.2
  done
  echo "server did not answer $1" >&2
  exit 1
}

rss() { grep -E "^$1:" "/proc/$SERVER_PID/status" | awk '{printf "%.0f MB", $2 / 1024}'; }

# fresh_data NAME: a new data directory with the workload's stations; prints the admin token.
fresh_data() {
  TOCSIN_LOG=warn "$TOCSIN" bench setup --dir "$GEN_DIR" --data "$WORK/$1" | tail -1
}

if [ ! -f "$GEN_DIR/national.ndjson" ]; then
  python3 -c 'import numpy' 2>/dev/null || pip install numpy
  python3 ../shared/bench/gen_national.py --scale 1 --days 2 --formats ndjson --out-dir "$GEN_DIR"
fi

cargo build --release -p tocsin

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)," \
  "$(free -g | awk '/Mem:/ {print $2}') GiB; $(date -u +%Y-%m-%dT%H:%MZ); $(git rev-parse --short HEAD)"

echo
echo "== in-process: parse + validate, durable append (commits of $COMMIT), duplicate re-append"
TOCSIN_LOG=warn "$TOCSIN" bench store --dir "$GEN_DIR" --commit "$COMMIT" --limit "$STORE_LIMIT"

for connections in 2 4; do
  echo
  echo "== HTTP, $connections connections, fresh data directory (no region registry)"
  token="$(fresh_data "http-$connections")"
  start_server "$WORK/http-$connections" /nonexistent
  wait_for /healthz
  echo "server memory idle, stations registered: $(rss VmRSS)"
  "$TOCSIN" bench http --dir "$GEN_DIR" --addr "$ADDR" --token "$token" \
    --connections "$connections" --batch 1000 --limit "$HTTP_LIMIT"
  echo "server memory after the run: $(rss VmRSS) (peak $(rss VmHWM))"
  if [ "$connections" = 4 ]; then
    echo "-- the same observations again: every one a detected duplicate"
    "$TOCSIN" bench http --dir "$GEN_DIR" --addr "$ADDR" --token "$token" \
      --connections "$connections" --batch 1000 --limit "$HTTP_LIMIT"
    echo "server memory after the run: $(rss VmRSS) (peak $(rss VmHWM))"
  fi
  stop_server
done

echo
echo "== server memory with the full region registry ($REGIONS), fresh data directory, idle"
start_server "$WORK/regions" "$REGIONS"
wait_for /readyz
echo "server memory with the registry loaded: $(rss VmRSS)"
stop_server
