#!/bin/sh
# test_dashboard: the dashboard's tests (tests/browser/, node --test):
# api.test.js checks the embedded files and the endpoints the pages read;
# dashboard.test.js drives headless Chromium (Debian's chromium, through
# playwright-core from npm) against a real collector filled by two real
# agents probing fixture targets on loopback. Screenshots of each page go to
# tests/browser/artifacts/ in the build dir.
#
# Needs node and npm (playwright-core is installed into the build dir's
# web/node_modules with npm ci when missing) and /usr/bin/chromium (or
# CHROMIUM=PATH): scripts/install-deps.sh test. Run by make check; prints a
# Check-style summary line.
set -u

src=${VANTAGE_SRCDIR:?run me through make check}
build=${VANTAGE_BUILDDIR:?run me through make check}
art=$build/tests/browser/artifacts
chromium=${CHROMIUM:-/usr/bin/chromium}

# setup_failed WHY: one failed check, and the reason
setup_failed() {
	echo "test_dashboard: $*" >&2
	echo "0%: Checks: 1, Failures: 1, Errors: 0"
	exit 1
}

command -v node >/dev/null 2>&1 ||
	setup_failed "node is missing: install nodejs and npm (scripts/install-deps.sh test)"
[ -x "$chromium" ] ||
	setup_failed "$chromium is missing: apt-get install chromium (scripts/install-deps.sh test), or set CHROMIUM"
for b in web/vantage-collector agent/vantage-agent dist/demo/demo-origin; do
	[ -x "$build/$b" ] || setup_failed "$build/$b is not built"
done
sh "$src/scripts/npm-deps.sh" "$src" "$build" --dev ||
	setup_failed "cannot install playwright-core into $build/web/node_modules (npm ci; see above)"

rm -rf "$art"
mkdir -p "$art"
tap=$art/tap.txt
# node 18 (Debian 12) and later: the TAP reporter ends with "# tests N",
# "# pass N", "# fail N"
NODE_PATH=$build/web/node_modules VANTAGE_ARTIFACTS=$art CHROMIUM=$chromium \
	timeout 600 node --test --test-reporter=tap \
	"$src/tests/browser/api.test.js" "$src/tests/browser/dashboard.test.js" > "$tap" 2>&1
rc=$?
cat "$tap"
tests=$(sed -n 's/^# tests \([0-9][0-9]*\)$/\1/p' "$tap" | tail -n 1)
fails=$(sed -n 's/^# fail \([0-9][0-9]*\)$/\1/p' "$tap" | tail -n 1)
if [ -z "$tests" ] || [ -z "$fails" ]; then
	echo "test_dashboard: node --test exited $rc without a summary" >&2
	echo "0%: Checks: 1, Failures: 1, Errors: 0"
	exit 1
fi
[ "$rc" -ne 0 ] && [ "$fails" -eq 0 ] && fails=1	# died after its summary
echo "screenshots: $(ls "$art"/*.png 2>/dev/null | wc -l) in $art"
pct=100
[ "$tests" -gt 0 ] && pct=$(((tests - fails) * 100 / tests))
echo "${pct}%: Checks: $tests, Failures: $fails, Errors: 0"
[ "$fails" -eq 0 ] && [ "$rc" -eq 0 ]
