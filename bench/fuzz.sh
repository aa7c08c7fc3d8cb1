#!/usr/bin/env bash
# Fuzzes every parser that takes outside input (see BENCHMARKS.md, "Fuzzing"), one target at a
# time, under `nice -n 19`.
#
#   bash bench/fuzz.sh [TARGET...]      # default: every target
#
# Each target runs until RUNS executions or SECONDS_PER_TARGET seconds, whichever comes first,
# on inputs of at most its own max_len. The XML and CSV targets then run LARGE_SECONDS more
# with inputs up to LARGE_MAX_LEN bytes, to catch work that grows faster than the input (a
# quadratic reader shows up as a timeout there). A crash, panic, timeout or an input that takes
# more than RSS_LIMIT_MB megabytes is a finding: libFuzzer stops and leaves the input in
# fuzz/artifacts/TARGET/; `fuzz/target/.../TARGET that-file` replays it.
#
# Seeds are copied at run time into fuzz/corpus/TARGET (not kept in the repository): the CAP
# corpora of ../shared/reference/cap (real, invalid, cap11), the catalogue files and drill
# scenarios of this repository, and the small bodies in fuzz/seeds/TARGET.
#
# Environment: RUNS (default 10000000), SECONDS_PER_TARGET (1800), LARGE_SECONDS (120),
# LARGE_MAX_LEN (1048576), TIMEOUT (seconds per input, 10), RSS_LIMIT_MB (1024),
# CAP_REFERENCE (../shared/reference/cap).
#
# cargo-fuzz builds with -Z flags (sanitizer coverage), which only a nightly compiler takes;
# RUSTC_BOOTSTRAP=1 lets the installed stable compiler accept them. The build uses no
# sanitizer (the crates deny unsafe code, so AddressSanitizer would only slow the search) and
# keeps debug assertions, so an arithmetic overflow is a finding too.
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS="${RUNS:-10000000}"
SECONDS_PER_TARGET="${SECONDS_PER_TARGET:-1800}"
LARGE_SECONDS="${LARGE_SECONDS:-120}"
LARGE_MAX_LEN="${LARGE_MAX_LEN:-1048576}"
TIMEOUT="${TIMEOUT:-10}"
RSS_LIMIT_MB="${RSS_LIMIT_MB:-1024}"
CAP_REFERENCE="${CAP_REFERENCE:-../shared/reference/cap}"

export RUSTC_BOOTSTRAP=1
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked

# target  max_len  dictionary  large-input pass  seeds
TARGETS=(
  "observations_json 65536 - yes fuzz/seeds/observations_json"
  "observations_ndjson 65536 - yes fuzz/seeds/observations_ndjson"
  "observations_csv 65536 - yes fuzz/seeds/observations_csv"
  "cap_read 65536 xml yes $CAP_REFERENCE/real $CAP_REFERENCE/invalid $CAP_REFERENCE/cap11"
  "cap_verify 65536 xml yes $CAP_REFERENCE/real $CAP_REFERENCE/invalid $CAP_REFERENCE/cap11"
  "feed 65536 xml yes fuzz/seeds/feed"
  "scenario 16384 toml no scenarios"
  "catalog 16384 toml no catalog/rules"
  "resources_csv 65536 - yes fuzz/seeds/resources_csv"
  "resources_json 65536 - no fuzz/seeds/resources_json"
)

(cd fuzz && nice -n 19 cargo fuzz build --sanitizer none --debug-assertions)
BIN=fuzz/target/x86_64-unknown-linux-gnu/release
mkdir -p fuzz/logs

selected() {
  local name="$1"
  shift
  [ $# -eq 0 ] && return 0
  for want in "$@"; do [ "$want" = "$name" ] && return 0; done
  return 1
}

# Runs one libFuzzer pass (extra libFuzzer flags after the sixth argument) and prints its
# summary line.
pass() {
  local name="$1" max_len="$2" dict="$3" seconds="$4" runs="$5" label="$6"
  shift 6
  local corpus="fuzz/corpus/$name" log="fuzz/logs/$name-$label.log"
  local args=(-max_len="$max_len" -timeout="$TIMEOUT" -rss_limit_mb="$RSS_LIMIT_MB"
    -max_total_time="$seconds" -runs="$runs" -print_final_stats=1
    -artifact_prefix="fuzz/artifacts/$name/" "$@")
  [ "$dict" != "-" ] && args+=(-dict="fuzz/dict/$dict.dict")
  local status=0
  nice -n 19 "$BIN/$name" "${args[@]}" "$corpus" >"$log" 2>&1 || status=$?
  local execs rate secs slowest rss files bytes findings
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
  secs=$(sed -n 's/.*Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log")
  slowest=$(sed -n 's/^stat::slowest_unit_time_sec: *//p' "$log")
  rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "$log")
  files=$(find "$corpus" -type f | wc -l)
  bytes=$(find "$corpus" -type f -printf '%s\n' | awk '{ s += $1 } END { printf "%d", s / 1024 }')
  findings=$(find "fuzz/artifacts/$name" -type f | wc -l)
  printf '%-20s %-6s max_len %-8s execs %-10s exec/s %-7s s %-5s slowest %ss rss %sMB corpus %s files %s KiB, findings %s%s\n' \
    "$name" "$label" "$max_len" "${execs:-?}" "${rate:-?}" "${secs:-?}" "${slowest:-?}" "${rss:-?}" \
    "$files" "$bytes" "$findings" \
    "$([ "$status" -ne 0 ] && echo " (stopped with status $status, see $log)")"
}

for spec in "${TARGETS[@]}"; do
  read -r name max_len dict large seeds <<<"$spec"
  selected "$name" "$@" || continue
  mkdir -p "fuzz/corpus/$name" "fuzz/artifacts/$name"
  for dir in $seeds; do
    test -d "$dir" || { echo "seed folder $dir is missing"; exit 1; }
    find "$dir" -maxdepth 1 -type f \( -name '*.xml' -o -name '*.toml' -o -name '*.csv' \
      -o -name '*.json' -o -name '*.ndjson' \) -exec cp -f {} "fuzz/corpus/$name/" \;
  done
  pass "$name" "$max_len" "$dict" "$SECONDS_PER_TARGET" "$RUNS" small
  if [ "$large" = yes ]; then
    # -len_control=0: try long inputs at once rather than growing them slowly.
    pass "$name" "$LARGE_MAX_LEN" "$dict" "$LARGE_SECONDS" -1 large -len_control=0
  fi
done
