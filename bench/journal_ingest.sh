#!/usr/bin/env bash
# HTTP ingest with the journal on, side by side with a binary from before the journal (see
# BENCHMARKS.md, "The journal in the ingest path").
#
#   bash bench/journal_ingest.sh BASE_COMMIT [GEN_DIR]
#
# Builds the release binary of BASE_COMMIT in a worktree under /tmp (or takes BASE_TOCSIN, a
# binary built from it) and this checkout's, generates the national workload into GEN_DIR
# (default /tmp/tocsin-bench-data) unless it is there, then runs ROUNDS rounds; each round runs
# both servers one after the other, in alternating order (A B, then B A), each on a fresh data
# directory with the workload's 5,000 stations and no region registry, and sends the first
# HTTP_LIMIT observations over CONNECTIONS keep-alive connections in NDJSON batches of 1,000
# with this checkout's client. It prints every figure, then per binary the median and range, and
# checks that both stored the same observations and detections (the journal's entries are
# counted for the new binary).
#
# Environment: ROUNDS (5), CONNECTIONS (2), HTTP_LIMIT (2000000), PORT (18124), BASE_TOCSIN.
set -euo pipefail
cd "$(dirname "$0")/.."

BASE_COMMIT="${1:?usage: bench/journal_ingest.sh BASE_COMMIT [GEN_DIR]}"
GEN_DIR="${2:-/tmp/tocsin-bench-data}"
ROUNDS="${ROUNDS:-5}"
CONNECTIONS="${CONNECTIONS:-2}"
HTTP_LIMIT="${HTTP_LIMIT:-2000000}"
PORT="${PORT:-18124}"
ADDR="127.0.0.1:$PORT"
NEW=target/release/tocsin

WORK="$(mktemp -d /tmp/tocsin-journal-bench.XXXXXX)"
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

if [ -z "${BASE_TOCSIN:-}" ]; then
  base_tree="/tmp/tocsin-base-$BASE_COMMIT"
  [ -d "$base_tree" ] || git worktree add -q "$base_tree" "$BASE_COMMIT"
  (cd "$base_tree" && cargo build --release -p tocsin)
  BASE_TOCSIN="$base_tree/target/release/tocsin"
fi
cargo build --release -p tocsin

if [ ! -f "$GEN_DIR/national.ndjson" ]; then
  python3 -c 'import numpy' 2>/dev/null || pip install numpy
  python3 ../shared/bench/gen_national.py --scale 1 --days 2 --formats ndjson --out-dir "$GEN_DIR"
fi

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs);" \
  "$(date -u +%Y-%m-%dT%H:%MZ); base $BASE_COMMIT, new $(git rev-parse --short HEAD)"

# counts DB: observations, detections and journal entries stored (the journal only where it exists).
counts() {
  python3 - "$1" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
count = lambda table: db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
journal = count("journal") if "journal" in tables else "-"
print(f"{count('observations')} {count('detections')} {journal}")
PY
}

# run NAME BINARY: one measured run on a fresh data directory; prints "obs/s observations detections entries".
run() {
  local data="$WORK/$1-$RANDOM"
  local token
  token="$(TOCSIN_LOG=warn "$2" bench setup --dir "$GEN_DIR" --data "$data" | tail -1)"
  TOCSIN_LOG=warn TOCSIN_REGIONS_FROM=/nonexistent "$2" serve --data "$data" --listen "$ADDR" \
    >> "$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 600); do curl -sf "http://$ADDR/healthz" > /dev/null && break; sleep 0.2; done
  local rate
  rate="$("$NEW" bench http --dir "$GEN_DIR" --addr "$ADDR" --token "$token" \
    --connections "$CONNECTIONS" --batch 1000 --limit "$HTTP_LIMIT" | awk '/observations\/s/ {print $(NF-3)}')"
  kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""
  echo "$rate $(counts "$data/tocsin.db")"
  rm -rf "$data"
}

: > "$WORK/base"; : > "$WORK/new"
for round in $(seq "$ROUNDS"); do
  order="base new"; [ $((round % 2)) = 0 ] && order="new base"
  for which in $order; do
    binary="$BASE_TOCSIN"; [ "$which" = new ] && binary="$NEW"
    result="$(run "$which" "$binary")"
    echo "round $round $which: $result"
    echo "$result" >> "$WORK/$which"
  done
done

python3 - "$WORK/base" "$WORK/new" <<'PY'
import statistics, sys
rows = {name: [line.split() for line in open(path)] for name, path in zip(("base", "new"), sys.argv[1:])}
for name, runs in rows.items():
    rates = sorted(float(r[0]) for r in runs)
    print(f"{name}: median {statistics.median(rates):,.0f} obs/s, range {rates[0]:,.0f} – {rates[-1]:,.0f}; "
          f"stored {runs[0][1]} observations, {runs[0][2]} detections, journal entries {runs[0][3]}")
stored = {tuple(r[1:3]) for runs in rows.values() for r in runs}
if len(stored) != 1:
    sys.exit(f"the runs stored different observations or detections: {sorted(stored)}")
ratio = statistics.median(float(r[0]) for r in rows["new"]) / statistics.median(float(r[0]) for r in rows["base"])
print(f"new / base: {ratio:.3f}")
PY
