#!/bin/sh
# test_backup: the README's two ways to back up the collector DB while the
# collector runs and an agent keeps shipping to it (sqlite3 ".backup" and
# "VACUUM INTO") give copies that pass PRAGMA integrity_check, hold the
# results and rollups, and that a collector started on them serves.
#
# Everything on 127.0.0.1: the agent probes the collector's own /healthz
# and ships the results to it. Prints a Check-style summary line.
set -u

: "${VANTAGE_AGENT:?run me through make check}" "${VANTAGE_COLLECTOR:?}"
BOUND=20	# seconds: a daemon is up, results arrive, a daemon stops
KEY=backup-test-key-0123456789abcdef

checks=0
failures=0
pass() { checks=$((checks + 1)); }
fail() {
	checks=$((checks + 1))
	failures=$((failures + 1))
	echo "test_backup: FAIL: $*" >&2
}
summary() {
	pct=100
	[ "$checks" -gt 0 ] && pct=$(((checks - failures) * 100 / checks))
	echo "${pct}%: Checks: $checks, Failures: $failures, Errors: 0"
	[ "$failures" -eq 0 ]
	exit $?
}
# die MESSAGE: a failure the rest cannot go on from; show the daemons' logs
die() {
	fail "$*"
	for log in "$tmp"/*.log; do
		[ -f "$log" ] || continue
		echo "---- $log" >&2
		tail -30 "$log" >&2
	done
	summary
}

for tool in sqlite3 curl; do
	command -v "$tool" >/dev/null 2>&1 ||
		{ fail "$tool not found: install the Debian package $tool (scripts/install-deps.sh test)"; summary; }
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/vantage-backup.XXXXXX") || exit 99
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null; done
	if [ -n "${VANTAGE_KEEP_TMP:-}" ] || [ "$failures" -gt 0 ]; then
		echo "test files kept in $tmp" >&2
	else
		rm -rf "$tmp"
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# wait_port FILE: print the first port in FILE once the daemon wrote it
wait_port() {
	i=0
	while [ "$i" -lt $((BOUND * 10)) ]; do
		if [ -s "$1" ]; then
			head -1 "$1"
			return 0
		fi
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# stop PID NAME: SIGTERM, then it must exit 0 within BOUND seconds
stop() {
	kill -TERM "$1" 2>/dev/null
	i=0
	while kill -0 "$1" 2>/dev/null && [ "$i" -lt $((BOUND * 10)) ]; do
		sleep 0.1
		i=$((i + 1))
	done
	if kill -0 "$1" 2>/dev/null; then
		kill -KILL "$1" 2>/dev/null
		fail "$2 did not stop within ${BOUND}s of SIGTERM"
		return
	fi
	wait "$1"
	rc=$?
	if [ "$rc" -eq 0 ]; then pass; else fail "$2 exited $rc after SIGTERM"; fi
}

# start_collector NAME DB: start a collector on DB; sets cpid and cport
start_collector() {
	cat >"$tmp/$1.json" <<EOF
{
  "listen": "127.0.0.1:0",
  "db": "$2",
  "agents": [ { "id": "backup-it", "key": "$KEY" } ],
  "slos": [
    { "name": "healthz", "objective": 99, "window": "1h",
      "selector": { "check": "collector-healthz" } }
  ]
}
EOF
	rm -f "$tmp/$1.port"
	"$VANTAGE_COLLECTOR" -c "$tmp/$1.json" --portfile "$tmp/$1.port" \
		--evaluate-every 1s >"$tmp/$1.log" 2>&1 &
	cpid=$!
	pids="$pids $cpid"
	cport=$(wait_port "$tmp/$1.port") || die "$1 wrote no port file in ${BOUND}s"
	pass
}

# ---- a live collector with results coming in ----
db=$tmp/collector.db
start_collector collector "$db"
live_pid=$cpid
live_port=$cport

cat >"$tmp/agent.json" <<EOF
{
  "agent": { "id": "backup-it", "region": "local", "db": "$tmp/agent.db" },
  "collector": { "url": "http://127.0.0.1:$live_port", "key": "$KEY", "pull_every": "1s" },
  "checks": [
    { "name": "collector-healthz", "service": "vantage", "layer": "other",
      "url": "http://127.0.0.1:$live_port/healthz", "interval": "200ms", "timeout": "200ms" }
  ]
}
EOF
"$VANTAGE_AGENT" -c "$tmp/agent.json" >"$tmp/agent.log" 2>&1 &
agent_pid=$!
pids="$pids $agent_pid"

# results show up in the API once the agent has shipped a batch
i=0
while :; do
	status=$(curl -sf "http://127.0.0.1:$live_port/api/v1/status" 2>/dev/null)
	case $status in *'"check":"collector-healthz"'*) break ;; esac
	[ "$i" -ge $((BOUND * 10)) ] && die "no results in /api/v1/status after ${BOUND}s: $status"
	sleep 0.1
	i=$((i + 1))
done
pass

# ---- back up while both run (the agent keeps shipping meanwhile) ----
if sqlite3 -cmd ".timeout 5000" "$db" ".backup '$tmp/online.db'" 2>"$tmp/sqlite.err"; then
	pass
else
	fail "sqlite3 .backup failed: $(cat "$tmp/sqlite.err")"
fi
if sqlite3 -cmd ".timeout 5000" "$db" "VACUUM INTO '$tmp/vacuum.db'" 2>"$tmp/sqlite.err"; then
	pass
else
	fail "sqlite3 VACUUM INTO failed: $(cat "$tmp/sqlite.err")"
fi
version=$(sqlite3 -cmd ".timeout 5000" "$db" "PRAGMA user_version")

for copy in online vacuum; do
	f=$tmp/$copy.db
	if [ ! -s "$f" ]; then
		fail "$copy backup $f missing or empty"
		continue
	fi
	pass
	out=$(sqlite3 "$f" "PRAGMA integrity_check" 2>&1)
	[ "$out" = ok ] && pass || fail "$copy backup: integrity_check says: $out"
	out=$(sqlite3 "$f" "PRAGMA user_version" 2>&1)
	[ "$out" = "$version" ] && pass ||
		fail "$copy backup: user_version $out, the live DB has $version"
	for table in series results rollup_1m latest agents; do
		n=$(sqlite3 "$f" "SELECT count(*) FROM $table" 2>&1)
		case $n in
		''|*[!0-9]*) fail "$copy backup: counting $table: $n" ;;
		0) fail "$copy backup: table $table is empty" ;;
		*) pass ;;
		esac
	done
done
rows_online=$(sqlite3 "$tmp/online.db" "SELECT count(*) FROM results" 2>/dev/null)

# ---- the copies are what a restore needs: a collector serves them ----
stop "$agent_pid" vantage-agent
stop "$live_pid" "the live collector"
for copy in online vacuum; do
	[ -s "$tmp/$copy.db" ] || continue
	# restore = put the copy where the config's "db" points, start
	cp "$tmp/$copy.db" "$tmp/restored-$copy.db"
	start_collector "restored-$copy" "$tmp/restored-$copy.db"
	status=$(curl -sf "http://127.0.0.1:$cport/api/v1/status" 2>&1)
	case $status in
	*'"check":"collector-healthz"'*) pass ;;
	*) fail "collector on the restored $copy copy: /api/v1/status says: $status" ;;
	esac
	agents=$(curl -sf "http://127.0.0.1:$cport/api/v1/agents" 2>&1)
	case $agents in
	*'"id":"backup-it"'*'"last_seq":'[1-9]*) pass ;;
	*) fail "collector on the restored $copy copy: /api/v1/agents says: $agents" ;;
	esac
	stop "$cpid" "the collector on the restored $copy copy"
done
n=$(sqlite3 "$tmp/restored-online.db" "SELECT count(*) FROM results" 2>&1)
[ "$n" = "$rows_online" ] && pass ||
	fail "restored online copy has $n results after a restart, the backup had $rows_online"

summary
