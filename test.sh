#!/bin/sh
# Run the whole test suite (README command two): build in build-test/ with
# warnings as errors and AddressSanitizer + UBSan, run every unit suite and
# integration test, print the totals as "N passed, N failed".
# usage: ./test.sh [--no-sanitizers]
set -eu
cd "$(dirname "$0")"
top=$(pwd)
san=--enable-sanitizers
[ "${1:-}" = "--no-sanitizers" ] && san=

if [ -f config.status ]; then
	echo "test.sh: this source tree is configured in place (./configure was run"
	echo "here); autotools cannot also build it out of tree in build-test/."
	echo "Run 'make distclean' first, or run 'make check' in place."
	echo "0 passed, 1 failed"
	exit 2
fi
sh scripts/install-deps.sh test
[ -x configure ] || autoreconf -fi >/dev/null 2>&1
mkdir -p build-test
cd build-test
if [ ! -f Makefile ] || [ "$(cat .configured 2>/dev/null)" != "$san" ]; then
	"$top/configure" -q --enable-werror $san
	echo "$san" > .configured
fi
make -j"$(nproc)" >/dev/null
rc=0
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0} \
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
	make -j"$(nproc)" check >/dev/null 2>&1 || rc=$?

# Totals from each Check binary's summary line; a binary that died before
# printing one counts as one failure.
passed=0
failed=0
for log in tests/unit/*.log tests/integration/*.log; do
	[ -f "$log" ] || continue
	case $log in */test-suite.log) continue ;; esac
	line=$(grep -E '^[0-9]+%: Checks: [0-9]+, Failures: [0-9]+, Errors: [0-9]+' "$log" | tail -1 || true)
	name=$(basename "$log" .log)
	if [ -z "$line" ]; then
		echo "FAIL $name: no summary (crashed?); log follows"
		tail -40 "$log"
		failed=$((failed + 1))
		continue
	fi
	n=$(echo "$line" | sed -E 's/.*Checks: ([0-9]+).*/\1/')
	f=$(echo "$line" | sed -E 's/.*Failures: ([0-9]+).*/\1/')
	e=$(echo "$line" | sed -E 's/.*Errors: ([0-9]+).*/\1/')
	bad=$((f + e))
	passed=$((passed + n - bad))
	failed=$((failed + bad))
	if [ "$bad" -gt 0 ] || ! grep -q ':test-result: PASS' "${log%.log}.trs" 2>/dev/null; then
		echo "FAIL $name: $line"
		grep -E ':[EF]:|ERROR|runtime error|AddressSanitizer|LeakSanitizer' "$log" | head -40
		[ "$bad" -eq 0 ] && failed=$((failed + 1))
	else
		echo "ok   $name: $line"
	fi
done
if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
	echo "make check failed (exit $rc) without a failing test; see build-test/test-suite.log"
	failed=1
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
