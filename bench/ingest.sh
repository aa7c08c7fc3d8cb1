#!/usr/bin/env bash
# Ingest benchmarks on the national workload (see BENCHMARKS.md).
#
#   bash bench/ingest.sh [GEN_DIR]
#
# Generates the workload with ../shared/bench/gen_national.py into GEN_DIR (default
# /tmp/tocsin-bench-data; 5,000 stations x 6 metrics x 2 days = 8.64 M observations) unless it is
# there, builds the release binary, then measures:
#   1. in-process durable appends and duplicate detection (`tocsin bench store`);
#   2. HTTP ingest from a separate client process on loopback (`tocsin bench http`) against
#      `tocsin serve` with the full region registry loaded, and the server's memory.
set -euo pipefail
cd "$(dirname "$0")/.."

GEN_DIR="${1:-/tmp/tocsin-bench-data}"
PORT="${PORT:-18123}"
WORK="$(mktemp -d)"
SERVER_PID=""
cleanup() {
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

if [ ! -f "$GEN_DIR/national.ndjson" ]; then
  python3 -c 'import numpy' 2>/dev/null || pip install numpy
  python3 ../shared/bench/gen_national.py --scale 1 --days 2 --formats ndjson --out-dir "$GEN_DIR"
fi

cargo build --release -p tocsin
TOCSIN=target/release/tocsin
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/ {print $2}') GiB"

echo "== in-process: parse + validate, durable append, duplicate re-append"
TOCSIN_LOG=warn "$TOCSIN" bench store --dir "$GEN_DIR" --commit 10000 --limit 5000000

echo "== HTTP: server with the full registry, client in a separate process"
"$TOCSIN" import regions --from ../shared/data/vn/admin --data "$WORK/data" > /dev/null
TOKEN="$(TOCSIN_LOG=warn "$TOCSIN" bench setup --dir "$GEN_DIR" --data "$WORK/data" | tail -1)"
"$TOCSIN" serve --data "$WORK/data" --listen "127.0.0.1:$PORT" > "$WORK/server.log" 2>&1 &
SERVER_PID=$!
until curl -sf "http://127.0.0.1:$PORT/healthz" > /dev/null; do sleep 0.2; done
echo "server memory with the registry loaded: $(grep VmRSS /proc/$SERVER_PID/status)"
for connections in 2 4; do
  "$TOCSIN" bench http --dir "$GEN_DIR" --addr "127.0.0.1:$PORT" --token "$TOKEN" --connections "$connections" --limit 2000000
done
echo "(the second run re-sends stored observations: every one is a detected duplicate)"
echo "server peak memory: $(grep VmHWM /proc/$SERVER_PID/status)"
