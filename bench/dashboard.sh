#!/usr/bin/env bash
# Dashboard figures in headless Chromium (see BENCHMARKS.md, "Dashboard").
#
#   bash bench/dashboard.sh [LOADS]
#
# Runs the browser end-to-end test (crates/tocsin-server/tests/it/browser.rs) in a release build
# with TOCSIN_MEASURE=LOADS (default 10): after the walk-through, the map page is loaded LOADS
# more times, and each time a new synthetic gauge crosses its BĐ3 + 1 m threshold. Prints, per
# load, the bytes transferred (navigation + every resource, as the browser counts them), the
# time from the page's script start until all 3,321 communes are drawn and painted, and, per
# crossing, the milliseconds from sending the observation until its commune is recoloured.
# Needs node, e2e/node_modules (npm ci --prefix e2e) and /usr/bin/chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
LOADS="${1:-10}"

OUT="$(TOCSIN_MEASURE="$LOADS" cargo nextest run --release -p tocsin-server --test it \
  browser::the_dashboard_in_a_real_browser --no-capture 2>&1 | grep '^{"loads"' | tail -1)"
test -n "$OUT" || { echo "the browser test printed no figures"; exit 1; }
python3 - "$OUT" <<'PY'
import json, statistics, sys
figures = json.loads(sys.argv[1])
loads, crossings = figures["loads"], figures["crossings"]
def spread(values):
    values = sorted(values)
    return f"median {statistics.median(values):.0f}, min {values[0]:.0f}, max {values[-1]:.0f}"
print(f"map loads: {len(loads)}; communes drawn: {sorted({l['paths'] for l in loads})}")
print(f"first load transferred (bytes): {spread([l['bytes'] for l in loads])}")
print(f"loads after the first (cached assets, bytes): {spread([l['bytes'] for l in loads[1:]] or [0])}")
print(f"all communes drawn (ms from script start): {spread([l['drawnMs'] for l in loads])}")
print(f"crossing shown (ms from sending the observation): {spread(crossings)}")
PY
