#!/bin/sh
# bench/dashboard.sh: the dashboard's budget (issue 6): what the first load
# of the overview transfers and how long until the status matrix of
# CHECKS x REGIONS cells is rendered, in headless Chromium, against a
# collector filled with signed batches (bench/dashboard.js). Writes
# bench/dashboard-results.md (copy into bench/README.md, "Dashboard"). Exit 3 when over budget (< 200 KB, < 1 s).
#
# Env knobs (defaults in brackets): CHECKS [200], REGIONS [5], HISTORY [60]
# runs per check and region, RUNS [5] cold loads, OUT
# [bench/dashboard-results.md], CHROMIUM [/usr/bin/chromium], COLLECTOR
# [web/vantage-collector].
# Needs: make (web/vantage-collector), node and npm (playwright-core goes
# into web/node_modules), chromium (scripts/install-deps.sh test).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
build=${VANTAGE_BUILDDIR:-$root}
export VANTAGE_BUILDDIR=$build
export VANTAGE_COLLECTOR=${COLLECTOR:-$build/web/vantage-collector}
[ -x "$VANTAGE_COLLECTOR" ] || { echo "dashboard.sh: $VANTAGE_COLLECTOR is not built (make)" >&2; exit 1; }
[ -x "${CHROMIUM:-/usr/bin/chromium}" ] ||
	{ echo "dashboard.sh: ${CHROMIUM:-/usr/bin/chromium} is missing (apt-get install chromium)" >&2; exit 1; }
sh "$root/scripts/npm-deps.sh" "$root" "$build" --dev
NODE_PATH=$build/web/node_modules exec timeout 900 node "$here/dashboard.js"
