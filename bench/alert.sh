#!/usr/bin/env bash
# bench/alert.sh: time to page and time to resolve (issue 13), on the real
# path: three real vantage-agents (us-east, eu-central, ap-south) probe a
# demo-origin "front door" every INTERVAL and ship to a real collector with
# a check_down rule (min_regions 2, failures 3, successes 2) and a
# PagerDuty receiver pointed at a second demo-origin (--sink); alerts at
# their default settings (no tick: check_down is evaluated as batches
# arrive). For each check interval (1s, 5s, 30s) and each round: the front
# door is switched down (POST /_control?mode=down: 503 at once) and the
# time until the collector's PagerDuty delivery of the trigger was sent
# (its sent_at in /api/v1/incidents) is the time to page; then it is
# switched up and the time until the resolve was sent is the time to
# resolve. Targets: page <= failures x interval + 2 s, resolve <=
# successes x interval + 2 s. Everything on 127.0.0.1, port 0; every
# process it starts is stopped by a trap (by its pid only).
#
# Env knobs (defaults in brackets):
#   INTERVALS ["1 5 30"]  check intervals, seconds
#   ROUNDS [3]            down/up rounds per interval (ROUNDS_30 for 30 s)
#   ROUNDS_30 [1]
#   BUILD_DIR [repo]      where the binaries are built
#   OUT [bench/out-alert] logs and results.txt
#   KEEP_TMP [0]          1: keep the temp dir (configs, DBs, logs)
# Bounded: each wait is at most (failures + 10) x interval + 30 s.
set -euo pipefail
export LC_ALL=C

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
BUILD_DIR=${BUILD_DIR:-$ROOT}
COLLECTOR=$BUILD_DIR/web/vantage-collector
AGENT=$BUILD_DIR/agent/vantage-agent
ORIGIN=$BUILD_DIR/dist/demo/demo-origin
INTERVALS=${INTERVALS:-"1 5 30"}
ROUNDS=${ROUNDS:-3}
ROUNDS_30=${ROUNDS_30:-1}
OUT=${OUT:-$HERE/out-alert}
KEEP_TMP=${KEEP_TMP:-0}
FAILURES=3
SUCCESSES=2
REGIONS="us-east eu-central ap-south"

die() { echo "alert.sh: $*" >&2; exit 1; }
log() { printf '[%s] %s\n' "$(date +%T)" "$*" >&2; }

for b in "$COLLECTOR" "$AGENT" "$ORIGIN"; do
	[ -x "$b" ] || die "$b is not built (make in $BUILD_DIR)"
done
for n in ROUNDS ROUNDS_30; do
	case ${!n} in ''|*[!0-9]*) die "$n must be a number";; esac
done
for i in $INTERVALS; do
	case $i in ''|*[!0-9]*|0) die "INTERVALS: whole seconds, at least 1";; esac
done
command -v curl >/dev/null || die "needs curl"
command -v python3 >/dev/null || die "needs python3 (to read the API's JSON)"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/vantage-alert-bench.XXXXXX")
mkdir -p "$OUT"
PIDS=()
LAST_PID=

cleanup() {
	local p
	for p in "${PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null || true
	done
	for p in "${PIDS[@]}"; do
		for _ in $(seq 50); do
			kill -0 "$p" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$p" 2>/dev/null || true
	done
	if [ "$KEEP_TMP" = 1 ]; then
		log "kept $TMP"
	else
		rm -rf "$TMP"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now_ms() { date +%s%3N; }

# wait_port FILE PID: the port a daemon wrote, within 10 s
wait_port() {
	local f=$1 pid=$2
	for _ in $(seq 100); do
		if [ -s "$f" ]; then head -n1 "$f"; return 0; fi
		kill -0 "$pid" 2>/dev/null || die "$(basename "$f" .port) exited (see $TMP)"
		sleep 0.1
	done
	die "no port in $f after 10 s"
}

# start NAME CMD...: run in the background, logs in $TMP/NAME.log; its
# pid in LAST_PID (and in PIDS, for the trap)
start() {
	local name=$1
	shift
	"$@" >"$TMP/$name.log" 2>&1 &
	LAST_PID=$!
	PIDS+=("$LAST_PID")
}

# stop_pid PID: SIGTERM, at most 10 s, then SIGKILL; forgotten by the trap
stop_pid() {
	local p=$1 keep=() q
	kill -TERM "$p" 2>/dev/null || true
	for _ in $(seq 100); do
		kill -0 "$p" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$p" 2>/dev/null || true
	wait "$p" 2>/dev/null || true
	for q in "${PIDS[@]}"; do [ "$q" = "$p" ] || keep+=("$q"); done
	PIDS=("${keep[@]}")
}

# the two origins live for the whole run
start front "$ORIGIN" --name front --site "$ROOT/dist/demo/site" \
	--portfile "$TMP/front.port"
FRONT=$(wait_port "$TMP/front.port" "$LAST_PID")
start sink "$ORIGIN" --name pager --site "$ROOT/dist/demo/site" --sink \
	--portfile "$TMP/sink.port"
SINK=$(wait_port "$TMP/sink.port" "$LAST_PID")

front_mode() {
	curl -fsS -o /dev/null -X POST "http://127.0.0.1:$FRONT/_control?mode=$1" ||
		die "cannot switch the front door $1"
}

# incident_times PORT: "trigger_sent_at resolve_sent_at" of the newest
# incident (0 when not sent yet)
incident_times() {
	curl -fsS "http://127.0.0.1:$1/api/v1/incidents?since=1h" 2>/dev/null |
	python3 -c '
import json, sys
try:
    a = json.load(sys.stdin)
except Exception:
    print("0 0 0"); sys.exit(0)
inc = sorted(a.get("incidents", []), key=lambda i: int(i["id"][4:]))
if not inc:
    print("0 0 0"); sys.exit(0)
i = inc[-1]
t = r = 0
for d in i.get("deliveries", []):
    if d["event"] == "trigger" and d["sent_at"]:
        t = d["sent_at"]
    if d["event"] == "resolve" and d["sent_at"]:
        r = d["sent_at"]
print(i["id"][4:], t, r)'
}

results=$OUT/results.txt
: >"$results"
printf '%-9s %-6s %10s %10s %10s %10s\n' interval round page_ms bound_ms \
	resolve_ms bound_ms | tee -a "$results" >&2

for I in $INTERVALS; do
	rounds=$ROUNDS
	[ "$I" -ge 30 ] && rounds=$ROUNDS_30
	dir=$TMP/i$I
	mkdir -p "$dir"
	front_mode up
	agents_json=""
	for r in $REGIONS; do
		agents_json="$agents_json${agents_json:+, }{\"id\": \"bench-$r\", \"key\": \"bench-alert-key-0123456789-$r\"}"
	done
	cat >"$dir/collector.json" <<EOF
{
  "listen": ["127.0.0.1:0"],
  "db": "$dir/collector.db",
  "agents": [$agents_json],
  "alerts": {
    "receivers": [{"name": "pager", "type": "pagerduty",
      "url": "http://127.0.0.1:$SINK/v2/enqueue",
      "routing_key": "0123456789abcdef0123456789abcdef"}],
    "rules": [{"name": "front-door-down", "type": "check_down",
      "selector": {"service": "bench", "layer": "front_door"},
      "min_regions": 2, "failures": $FAILURES, "successes": $SUCCESSES,
      "receivers": ["pager"]}]
  }
}
EOF
	start "collector-$I" "$COLLECTOR" -c "$dir/collector.json" \
		--portfile "$dir/collector.port"
	c_pid=$LAST_PID
	CPORT=$(wait_port "$dir/collector.port" "$c_pid")
	a_pids=()
	for r in $REGIONS; do
		cat >"$dir/agent-$r.json" <<EOF
{
  "agent": {"id": "bench-$r", "region": "$r", "db": "$dir/agent-$r.db",
    "listen": "127.0.0.1:0"},
  "collector": {"url": "http://127.0.0.1:$CPORT",
    "key": "bench-alert-key-0123456789-$r"},
  "checks": [{"name": "bench-front-door", "service": "bench",
    "layer": "front_door", "url": "http://127.0.0.1:$FRONT/healthz",
    "interval": "${I}s", "timeout": "1s", "retries": 0}]
}
EOF
		start "agent-$r-$I" "$AGENT" -c "$dir/agent-$r.json" \
			--portfile "$dir/agent-$r.port"
		a_pids+=("$LAST_PID")
		wait_port "$dir/agent-$r.port" "$LAST_PID" >/dev/null
	done
	# warm up: every agent has passed SUCCESSES + 1 times
	sleep $(( (SUCCESSES + 1) * I + 2 ))
	limit=$(( ((FAILURES + 10) * I + 30) * 1000 ))
	for round in $(seq "$rounds"); do
		prev=$(incident_times "$CPORT" | cut -d' ' -f1)
		t_down=$(now_ms)
		front_mode down
		page=0
		while :; do
			read -r id t r <<<"$(incident_times "$CPORT")"
			if [ "$id" != "$prev" ] && [ "$t" != 0 ]; then
				page=$((t - t_down))
				break
			fi
			[ $(( $(now_ms) - t_down )) -lt "$limit" ] ||
				die "interval ${I}s round $round: no page after $limit ms"
			sleep 0.1
		done
		# stay down a little longer than the page needed, then recover
		sleep 1
		t_up=$(now_ms)
		front_mode up
		resolve=0
		while :; do
			read -r id t r <<<"$(incident_times "$CPORT")"
			if [ "$r" != 0 ]; then
				resolve=$((r - t_up))
				break
			fi
			[ $(( $(now_ms) - t_up )) -lt "$limit" ] ||
				die "interval ${I}s round $round: no resolve after $limit ms"
			sleep 0.1
		done
		printf '%-9s %-6s %10d %10d %10d %10d\n' "${I}s" "$round" "$page" \
			$(( FAILURES * I * 1000 + 2000 )) "$resolve" \
			$(( SUCCESSES * I * 1000 + 2000 )) | tee -a "$results" >&2
		# healthy again for a while before the next round
		sleep $(( (SUCCESSES + 1) * I ))
	done
	for p in "${a_pids[@]}"; do stop_pid "$p"; done
	stop_pid "$c_pid"
	cp "$TMP/collector-$I.log" "$OUT/collector-$I.log" 2>/dev/null || true
done
log "results in $results"
