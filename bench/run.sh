#!/usr/bin/env bash
# bench/run.sh: throughput and scheduling benchmark of vantage-agent against
# ab, prometheus-blackbox-exporter, the curl CLI and check_http, all probing
# one private nginx on 127.0.0.1. See bench/README.md.
#
# Env knobs (defaults in brackets):
#   N [20000]             requests / checks / probes per throughput run
#   CONC [64]             concurrency of every throughput run (agent.max_inflight)
#   CHECK_HTTP_N [N/10]   check_http runs (process per check); 0 skips it
#   SCHED_CHECKS [5000]   checks configured in the scheduling run
#   SCHED_INTERVAL [10s]  their interval (timeout 5s)
#   SCHED_SECONDS [60]    how long the daemon runs; 0 skips the scheduling run
#   SCHED_SCRAPE_EVERY [0] also scrape /metrics every this many seconds during
#                         the run (0: only the one scrape at the end)
#   SCHED_BASELINE [1]    also measure the daemon's RSS with 1 check (3 s)
#   NGINX_WORKERS [1]     nginx worker_processes
#   BENCH_OUT [bench/out] where results go
#   AGENT [agent/vantage-agent]
set -euo pipefail
export LC_ALL=C

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
AGENT=${AGENT:-$ROOT/agent/vantage-agent}
N=${N:-20000}
CONC=${CONC:-64}
CHECK_HTTP_N=${CHECK_HTTP_N:-$((N / 10))}
SCHED_CHECKS=${SCHED_CHECKS:-5000}
SCHED_INTERVAL=${SCHED_INTERVAL:-10s}
SCHED_SECONDS=${SCHED_SECONDS:-60}
SCHED_SCRAPE_EVERY=${SCHED_SCRAPE_EVERY:-0}
SCHED_BASELINE=${SCHED_BASELINE:-1}
NGINX_WORKERS=${NGINX_WORKERS:-1}
OUT=${BENCH_OUT:-$HERE/out}
NGINX=${NGINX:-/usr/sbin/nginx}
BLACKBOX=${BLACKBOX:-/usr/bin/prometheus-blackbox-exporter}
CHECK_HTTP=${CHECK_HTTP:-/usr/lib/nagios/plugins/check_http}
PHASE_TIMEOUT=${PHASE_TIMEOUT:-120}	# seconds, per measured command

die() { echo "bench: $*" >&2; exit 1; }
log() { printf '[%s] %s\n' "$(date +%T)" "$*" >&2; }

# ---- preconditions ------------------------------------------------------

if [[ ! -x $AGENT ]]; then
	die "$AGENT is not built. Build it first:
    cd $ROOT && ./configure && make -j2     (or just 'make -j2' if already configured)"
fi
for tool in "$NGINX" ab curl /usr/bin/time timeout awk; do
	command -v "$tool" >/dev/null || die "needs $tool (apt-get install nginx-light apache2-utils curl time)"
done
[[ $N =~ ^[0-9]+$ && $N -ge 100 ]] || die "N must be an integer >= 100"
[[ $CONC =~ ^[0-9]+$ && $CONC -ge 1 ]] || die "CONC must be a positive integer"
CLK_TCK=$(getconf CLK_TCK)

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
rm -f "$OUT"/*.log "$OUT"/*.time "$OUT"/*.txt "$OUT"/*.tsv "$OUT"/*.prom "$OUT"/*.md
TMP=$(mktemp -d /tmp/vantage-bench.XXXXXX)
PIDS=()

cleanup() {
	local rc=$? pid i
	for pid in "${PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	for pid in "${PIDS[@]}"; do
		for i in $(seq 1 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	rm -rf "$TMP"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Run a private copy: the tree may be rebuilt while the bench runs.
AGENT_SRC=$AGENT
cp "$AGENT_SRC" "$TMP/vantage-agent" || die "cannot copy $AGENT_SRC"
AGENT=$TMP/vantage-agent

# A TCP port on 127.0.0.1 that nobody answers on, outside the ephemeral range
# (32768-60999 by default) so the load's own client ports never collide.
pick_port() {
	local p i
	for i in $(seq 1 200); do
		p=$((20000 + RANDOM % 12000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

# Wait (bounded) until a URL answers 2xx.
wait_http() {
	local url=$1 tries=${2:-100} i
	for i in $(seq 1 "$tries"); do
		curl -fs -o /dev/null --max-time 1 "$url" && return 0
		sleep 0.1
	done
	return 1
}

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }		# utime+stime
vm_kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }	# VmRSS, VmHWM
# fdiv EXPR_A EXPR_B [FORMAT]: (A)/(B) for numeric expressions built by this script
fdiv() {
	[[ -n $1 && -n $2 ]] || { echo "n/a"; return; }
	awk -v f="${3:-%.2f}" "BEGIN { a = ($1); b = ($2); if (b == 0) print \"n/a\"; else printf f \"\\n\", a / b }"
}

# nginx's stub_status: accepted connections and requests so far
nginx_counts() { curl -fs --max-time 2 "http://127.0.0.1:$PORT/nginx_status" | awk 'NR == 3 { print $1, $3 }'; }

# ---- machine ------------------------------------------------------------

{
	echo "date: $(date -u +%FT%TZ)"
	echo "host: $(uname -srm)"
	echo "nproc: $(nproc)"
	echo "cpu: $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
	echo "mem: $(awk '/^MemTotal/ { printf "%.1f GB\n", $2 / 1048576 }' /proc/meminfo)"
	echo "loadavg at start: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "agent: $("$AGENT" --version) ($AGENT_SRC, sha256 $(sha256sum "$AGENT" | cut -c1-12), built $(date -u -r "$AGENT_SRC" +%FT%TZ))"
	echo "source: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$( [[ -n $(git -C "$ROOT" status --porcelain -- agent lib 2>/dev/null) ]] && echo ' + uncommitted changes in agent/ or lib/')"
	echo "libcurl: $(curl --version | head -1)"
	echo "nginx: $("$NGINX" -v 2>&1 | sed 's/^nginx version: //'), workers $NGINX_WORKERS"
	echo "ab: $(ab -V | head -1)"
	[[ -x $BLACKBOX ]] && echo "blackbox: $("$BLACKBOX" --version 2>&1 | head -1)"
	[[ -x $CHECK_HTTP ]] && echo "check_http: $("$CHECK_HTTP" -V 2>&1 | head -1)"
	echo "N=$N CONC=$CONC CHECK_HTTP_N=$CHECK_HTTP_N SCHED_CHECKS=$SCHED_CHECKS SCHED_INTERVAL=$SCHED_INTERVAL SCHED_SECONDS=$SCHED_SECONDS"
} >"$OUT/machine.txt"
cat "$OUT/machine.txt" >&2

# ---- nginx --------------------------------------------------------------

start_nginx() {
	local attempt
	mkdir -p "$TMP/nginx/logs" "$TMP/nginx/tmp"
	for attempt in 1 2 3 4 5; do
		PORT=$(pick_port) || die "no free port"
		cat >"$TMP/nginx/nginx.conf" <<EOF
daemon off;
master_process on;
worker_processes $NGINX_WORKERS;
pid $TMP/nginx/nginx.pid;
error_log $TMP/nginx/logs/error.log warn;
events { worker_connections 4096; }
http {
	access_log off;
	client_body_temp_path $TMP/nginx/tmp/body;
	proxy_temp_path $TMP/nginx/tmp/proxy;
	fastcgi_temp_path $TMP/nginx/tmp/fastcgi;
	uwsgi_temp_path $TMP/nginx/tmp/uwsgi;
	scgi_temp_path $TMP/nginx/tmp/scgi;
	server {
		listen 127.0.0.1:$PORT backlog=4096;
		default_type application/json;
		location = /healthz { return 200 '{"status":"ok"}'; }
		location = /nginx_status { stub_status; }
	}
}
EOF
		"$NGINX" -p "$TMP/nginx" -e "$TMP/nginx/logs/error.log" \
		    -c "$TMP/nginx/nginx.conf" >"$TMP/nginx/logs/stdout.log" 2>&1 &
		NGINX_PID=$!
		PIDS+=("$NGINX_PID")
		if wait_http "http://127.0.0.1:$PORT/healthz" 50; then
			return 0
		fi
		kill "$NGINX_PID" 2>/dev/null || true
		wait "$NGINX_PID" 2>/dev/null || true
		log "nginx did not come up on port $PORT (attempt $attempt): $(tail -2 "$TMP/nginx/logs/error.log" 2>/dev/null)"
	done
	die "cannot start nginx"
}

start_nginx
URL="http://127.0.0.1:$PORT/healthz"
log "nginx pid $NGINX_PID serving $URL"

# ---- results table ------------------------------------------------------

TABLE=$OUT/results.tsv
printf 'tool\tmodel\tn\tok\twall_s\trate_per_s\tcpu_ms_per_op\tpeak_rss_mb\tnginx_conns\tnginx_reqs\n' >"$TABLE"
row() { printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$TABLE"; }

# /usr/bin/time -f '%e %U %S %M' output: elapsed user sys maxrss_kb (last line)
read_time() { tail -1 "$1"; }

# Run a measured phase: before/after nginx counters into C0/C1.
phase_begin() { read -r C0A C0R < <(nginx_counts); }
phase_end() { read -r C1A C1R < <(nginx_counts); DCONN=$((C1A - C0A - 1)); DREQ=$((C1R - C0R - 1)); }

# ---- a) ab ---------------------------------------------------------------

log "a) ab -n $N -c $CONC (fresh connections)"
phase_begin
/usr/bin/time -f '%e %U %S %M' -o "$OUT/ab.time" \
    timeout "$PHASE_TIMEOUT" ab -n "$N" -c "$CONC" -r "$URL" >"$OUT/ab.log" 2>&1 ||
    die "ab failed, see $OUT/ab.log"
phase_end
read -r e u s m < <(read_time "$OUT/ab.time")
AB_RATE=$(awk '/^Requests per second/ { print $4 }' "$OUT/ab.log")
AB_FAILED=$(awk '/^Failed requests/ { print $3 }' "$OUT/ab.log")
AB_NON2XX=$(awk '/^Non-2xx responses/ { print $3 }' "$OUT/ab.log")
AB_OK=$((N - AB_FAILED - ${AB_NON2XX:-0}))
AB_WALL=$(awk '/^Time taken for tests/ { print $5 }' "$OUT/ab.log")
row "ab" "HTTP load generator (the ceiling)" "$N" "$AB_OK" "$AB_WALL" "$AB_RATE" \
    "$(fdiv "($u + $s) * 1000" "$N" %.3f)" "$(fdiv "$m" 1024 %.1f)" "$DCONN" "$DREQ"

# ---- b) vantage-agent --once ----------------------------------------------

gen_agent_config() {	# file n interval timeout db extra-agent-json
	awk -v n="$2" -v iv="$3" -v to="$4" -v db="$5" -v extra="$6" -v url="$URL" 'BEGIN {
		printf "{\n  \"agent\": { \"id\": \"bench\", \"db\": \"%s\"%s },\n", db, extra
		printf "  \"defaults\": { \"interval\": \"%s\", \"timeout\": \"%s\" },\n  \"checks\": [\n", iv, to
		for (i = 0; i < n; i++)
			printf "    { \"name\": \"bench-%d\", \"url\": \"%s\", \"interval\": \"%s\", \"timeout\": \"%s\" }%s\n",
			    i, url, iv, to, i < n - 1 ? "," : ""
		print "  ]\n}"
	}' >"$1"
}

log "b) vantage-agent --once with $N checks, max_inflight $CONC"
mkdir -p "$TMP/once"
gen_agent_config "$TMP/once/agent.json" "$N" 60s 5s "$TMP/once/agent.db" ", \"max_inflight\": $CONC"
/usr/bin/time -f '%e %U %S %M' -o "$OUT/agent-check-config.time" \
    "$AGENT" -c "$TMP/once/agent.json" --check-config >"$OUT/agent-check-config.log" 2>&1 ||
    die "agent rejected the generated config, see $OUT/agent-check-config.log"
read -r PARSE_E PARSE_U PARSE_S PARSE_M < <(read_time "$OUT/agent-check-config.time")
phase_begin
rc=0
/usr/bin/time -f '%e %U %S %M' -o "$OUT/agent-once.time" \
    timeout "$PHASE_TIMEOUT" "$AGENT" -c "$TMP/once/agent.json" --once \
    >/dev/null 2>"$OUT/agent-once.log" || rc=$?
phase_end
[[ $rc -eq 0 ]] || die "vantage-agent --once exited $rc, see $OUT/agent-once.log"
read -r AG_E AG_U AG_S AG_M < <(read_time "$OUT/agent-once.time")
AG_OK=$(sqlite3 "$TMP/once/agent.db" 'SELECT count(*) FROM results WHERE ok = 1' 2>/dev/null || echo "?")
AG_ROWS=$(sqlite3 "$TMP/once/agent.db" 'SELECT count(*) FROM results' 2>/dev/null || echo "?")
AG_RATE=$(fdiv "$N" "$AG_E" %.0f)
AG_CPU=$(fdiv "($AG_U + $AG_S) * 1000" "$N" %.3f)
row "vantage-agent --once" "1 process, curl multi, SQLite" "$N" "$AG_OK" "$AG_E" "$AG_RATE" \
    "$AG_CPU" "$(fdiv "$AG_M" 1024 %.1f)" "$DCONN" "$DREQ"
echo "agent --once: $AG_ROWS rows stored, $AG_OK ok; elapsed $AG_E s user $AG_U s sys $AG_S s maxrss $AG_M KB" >>"$OUT/notes.txt"
echo "agent --check-config (parse only, same file): elapsed $PARSE_E s user $PARSE_U s sys $PARSE_S s maxrss $PARSE_M KB" >>"$OUT/notes.txt"
AG_RATE_NOPARSE=$(fdiv "$N" "$AG_E - $PARSE_E" %.0f)
AG_CPU_NOPARSE=$(fdiv "($AG_U + $AG_S - $PARSE_U - $PARSE_S) * 1000" "$N" %.3f)

# ---- c) blackbox_exporter ---------------------------------------------------

BB_RATE="" BB_CPU=""
if [[ -x $BLACKBOX ]]; then
	log "c) blackbox_exporter driven by ab -n $N -c $CONC"
	mkdir -p "$TMP/bb"
	cat >"$TMP/bb/blackbox.yml" <<'EOF'
modules:
  http_2xx:
    prober: http
    timeout: 5s
EOF
	bb_up=""
	for attempt in 1 2 3 4 5; do
		BBPORT=$(pick_port) || die "no free port"
		"$BLACKBOX" --config.file="$TMP/bb/blackbox.yml" \
		    --web.listen-address="127.0.0.1:$BBPORT" --log.level=warn \
		    >"$OUT/blackbox.log" 2>&1 &
		BB_PID=$!
		PIDS+=("$BB_PID")
		if wait_http "http://127.0.0.1:$BBPORT/-/healthy" 50; then
			bb_up=1
			break
		fi
		kill "$BB_PID" 2>/dev/null || true
	done
	[[ -n $bb_up ]] || die "blackbox_exporter did not start, see $OUT/blackbox.log"
	PROBE="http://127.0.0.1:$BBPORT/probe?target=$URL&module=http_2xx"
	curl -fs "$PROBE" >"$OUT/blackbox-probe-sample.prom"
	grep -q '^probe_success 1' "$OUT/blackbox-probe-sample.prom" ||
	    die "blackbox probe of $URL failed, see $OUT/blackbox-probe-sample.prom"
	BB_T0=$(cpu_ticks "$BB_PID")
	BB_RSS0=$(vm_kb "$BB_PID" VmRSS)
	phase_begin
	/usr/bin/time -f '%e %U %S %M' -o "$OUT/blackbox-ab.time" \
	    timeout "$PHASE_TIMEOUT" ab -n "$N" -c "$CONC" -r "$PROBE" >"$OUT/blackbox-ab.log" 2>&1 ||
	    die "ab against blackbox failed, see $OUT/blackbox-ab.log"
	phase_end
	BB_T1=$(cpu_ticks "$BB_PID")
	BB_HWM=$(vm_kb "$BB_PID" VmHWM)
	curl -fs "$PROBE" >"$OUT/blackbox-probe-after.prom" || true
	BB_RATE=$(awk '/^Requests per second/ { print $4 }' "$OUT/blackbox-ab.log")
	BB_WALL=$(awk '/^Time taken for tests/ { print $5 }' "$OUT/blackbox-ab.log")
	BB_FAILED=$(awk '/^Failed requests/ { print $3 }' "$OUT/blackbox-ab.log")
	BB_FAILKIND=$(awk '/^   \(Connect:/ { $1 = $1; print }' "$OUT/blackbox-ab.log")
	BB_CPU=$(fdiv "($BB_T1 - $BB_T0) * 1000 / $CLK_TCK" "$N" %.3f)
	# blackbox answers 200 even when the probe fails: nginx's request count
	# tells how many probes reached the target.
	row "blackbox_exporter" "Go exporter, probe per HTTP request" "$N" "$((DREQ))" "$BB_WALL" "$BB_RATE" \
	    "$BB_CPU" "$(fdiv "$BB_HWM" 1024 %.1f)" "$DCONN" "$DREQ"
	echo "blackbox: RSS before load $BB_RSS0 KB, VmHWM after $BB_HWM KB; cpu ticks $BB_T0 -> $BB_T1 (CLK_TCK $CLK_TCK); ab \"failed\" requests $BB_FAILED $BB_FAILKIND (Length = the body size varied, which blackbox's timing values do; not an error); ab driver time: $(read_time "$OUT/blackbox-ab.time")" >>"$OUT/notes.txt"
	kill -TERM "$BB_PID" 2>/dev/null || true
	wait "$BB_PID" 2>/dev/null || true
else
	log "c) skipped: $BLACKBOX not installed"
fi

# ---- d) curl CLI --parallel -------------------------------------------------

log "d) curl --parallel --parallel-max $CONC, $N URLs"
awk -v n="$N" -v url="$URL" 'BEGIN { for (i = 0; i < n; i++) printf "url = \"%s\"\noutput = \"/dev/null\"\n", url }' \
    >"$TMP/curl.cfg"
run_curl() {	# name model extra-args...
	local name=$1 model=$2 rc=0
	shift 2
	phase_begin
	/usr/bin/time -f '%e %U %S %M' -o "$OUT/$name.time" \
	    timeout "$PHASE_TIMEOUT" curl --parallel --parallel-max "$CONC" -s -K "$TMP/curl.cfg" "$@" \
	    -w '%{http_code}\n' >"$OUT/$name.codes" 2>"$OUT/$name.log" || rc=$?
	phase_end
	[[ $rc -eq 0 ]] || log "curl exited $rc ($name), see $OUT/$name.log"
	read -r e u s m < <(read_time "$OUT/$name.time")
	row "$name" "$model" "$N" "$(grep -c '^200$' "$OUT/$name.codes" || true)" "$e" \
	    "$(fdiv "$N" "$e" %.0f)" "$(fdiv "($u + $s) * 1000" "$N" %.3f)" "$(fdiv "$m" 1024 %.1f)" "$DCONN" "$DREQ"
}
# curl has no CLI switch for CURLOPT_FRESH_CONNECT/FORBID_REUSE, and
# --no-keepalive only turns off TCP keepalive probes. "Connection: close"
# makes nginx close after each response, so no connection can be reused.
run_curl "curl-cli-fresh" "curl CLI, 1 process, Connection: close" -H 'Connection: close'
run_curl "curl-cli-reuse" "curl CLI, 1 process, default (REUSES connections)"

# ---- e) check_http (process per check) ---------------------------------------

if [[ -x $CHECK_HTTP && $CHECK_HTTP_N -gt 0 ]]; then
	log "e) check_http x $CHECK_HTTP_N via xargs -P $CONC"
	phase_begin
	rc=0
	seq 1 "$CHECK_HTTP_N" | /usr/bin/time -f '%e %U %S %M' -o "$OUT/check_http.time" \
	    timeout "$PHASE_TIMEOUT" xargs -P "$CONC" -I{} "$CHECK_HTTP" -I 127.0.0.1 -p "$PORT" \
	    -u /healthz -t 5 >"$OUT/check_http.log" 2>&1 || rc=$?
	phase_end
	[[ $rc -eq 0 ]] || log "some check_http runs failed (xargs rc $rc), see $OUT/check_http.log"
	read -r e u s m < <(read_time "$OUT/check_http.time")
	row "check_http" "process per check (xargs -P $CONC)" "$CHECK_HTTP_N" \
	    "$(grep -c '^HTTP OK' "$OUT/check_http.log" || true)" "$e" "$(fdiv "$CHECK_HTTP_N" "$e" %.0f)" \
	    "$(fdiv "($u + $s) * 1000" "$CHECK_HTTP_N" %.3f)" "$(fdiv "$m" 1024 %.1f)" "$DCONN" "$DREQ"
else
	log "e) skipped: $CHECK_HTTP not installed (apt-get install -y monitoring-plugins-basic) or CHECK_HTTP_N=0"
fi

# ---- scheduling: the daemon with many checks ----------------------------------

SCHED_DONE=""
if [[ $SCHED_SECONDS -gt 0 ]]; then
	mkdir -p "$TMP/sched" "$TMP/base"
	if [[ $SCHED_BASELINE -ne 0 ]]; then
		log "scheduling baseline: the daemon with 1 check for 3 s (RSS floor: libraries)"
		gen_agent_config "$TMP/base/agent.json" 1 "$SCHED_INTERVAL" 5s \
		    "$TMP/base/agent.db" ", \"listen\": \"127.0.0.1:0\""
		"$AGENT" -c "$TMP/base/agent.json" --portfile "$TMP/base/port" >"$OUT/sched-baseline.log" 2>&1 &
		BASE_PID=$!
		PIDS+=("$BASE_PID")
		sleep 3
		if kill -0 "$BASE_PID" 2>/dev/null; then
			curl -fs --max-time 5 -o /dev/null "http://127.0.0.1:$(cat "$TMP/base/port")/metrics" || true
			BASE_HWM=$(vm_kb "$BASE_PID" VmHWM)
			BASE_ANON=$(vm_kb "$BASE_PID" RssAnon)
			BASE_FILE=$(vm_kb "$BASE_PID" RssFile)
			kill -TERM "$BASE_PID"
		fi
		wait "$BASE_PID" 2>/dev/null || true
	fi
	log "scheduling: $SCHED_CHECKS checks every $SCHED_INTERVAL for $SCHED_SECONDS s"
	gen_agent_config "$TMP/sched/agent.json" "$SCHED_CHECKS" "$SCHED_INTERVAL" 5s \
	    "$TMP/sched/agent.db" ", \"listen\": \"127.0.0.1:0\""
	# the config parse alone: its peak RSS is part of the daemon's VmHWM
	/usr/bin/time -f '%e %U %S %M' -o "$OUT/sched-check-config.time" \
	    "$AGENT" -c "$TMP/sched/agent.json" --check-config >/dev/null 2>&1 ||
	    die "agent rejected the scheduling config"
	SCC_M=$(read_time "$OUT/sched-check-config.time" | cut -d' ' -f4)
	phase_begin
	"$AGENT" -c "$TMP/sched/agent.json" --portfile "$TMP/sched/port" >"$OUT/sched-agent.log" 2>&1 &
	SA_PID=$!
	PIDS+=("$SA_PID")
	SA_START=$(date +%s.%N)
	for i in $(seq 1 100); do
		[[ -s $TMP/sched/port ]] && break
		kill -0 "$SA_PID" 2>/dev/null || die "agent daemon died, see $OUT/sched-agent.log"
		sleep 0.1
	done
	[[ -s $TMP/sched/port ]] || die "agent daemon wrote no port file, see $OUT/sched-agent.log"
	SA_PORT=$(cat "$TMP/sched/port")
	printf 't_s\tVmRSS_kB\tVmHWM_kB\tcpu_ticks\n' >"$OUT/sched-rss.tsv"
	end=$(($(date +%s) + SCHED_SECONDS))
	tick=0
	while [[ $(date +%s) -lt $end ]]; do
		kill -0 "$SA_PID" 2>/dev/null || die "agent daemon died, see $OUT/sched-agent.log"
		if [[ $SCHED_SCRAPE_EVERY -gt 0 && $tick -gt 0 && $((tick % SCHED_SCRAPE_EVERY)) -eq 0 ]]; then
			curl -fs --max-time 10 -o /dev/null -w '%{time_total} %{size_download}\n' \
			    "http://127.0.0.1:$SA_PORT/metrics" >>"$OUT/sched-scrapes.txt" || true
		fi
		tick=$((tick + 1))
		printf '%s\t%s\t%s\t%s\n' "$(awk -v a="$(date +%s.%N)" -v b="$SA_START" 'BEGIN { printf "%.1f", a - b }')" \
		    "$(vm_kb "$SA_PID" VmRSS)" "$(vm_kb "$SA_PID" VmHWM)" "$(cpu_ticks "$SA_PID")" >>"$OUT/sched-rss.tsv"
		sleep 1
	done
	SA_T1=$(cpu_ticks "$SA_PID")
	SA_WALL=$(awk -v a="$(date +%s.%N)" -v b="$SA_START" 'BEGIN { printf "%.2f", a - b }')
	SA_HWM_PRE=$(vm_kb "$SA_PID" VmHWM)
	SA_RSS_PRE=$(vm_kb "$SA_PID" VmRSS)
	SA_ANON=$(vm_kb "$SA_PID" RssAnon)
	SA_FILE=$(vm_kb "$SA_PID" RssFile)
	# where the resident memory is: top mappings by Rss
	awk '/^[0-9a-f]+-/ { name = $6 == "" ? "[anon]" : $6 } /^Rss:/ { r[name] += $2 }
	    END { for (k in r) if (r[k] >= 64) printf "%7d kB  %s\n", r[k], k }' \
	    "/proc/$SA_PID/smaps" | sort -rn >"$OUT/sched-rss-by-mapping.txt" || true
	SCRAPE=$(curl -fs --max-time 30 -o "$OUT/sched-metrics.prom" \
	    -w '%{time_total} %{size_download}' "http://127.0.0.1:$SA_PORT/metrics") ||
	    die "cannot scrape the agent's /metrics"
	SA_HWM_POST=$(vm_kb "$SA_PID" VmHWM)
	SA_RSS_POST=$(vm_kb "$SA_PID" VmRSS)
	kill -TERM "$SA_PID"
	for i in $(seq 1 300); do
		kill -0 "$SA_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$SA_PID" 2>/dev/null && { log "agent ignored SIGTERM for 30 s, killing"; kill -KILL "$SA_PID"; }
	rc=0
	wait "$SA_PID" || rc=$?
	phase_end
	echo "agent daemon exit status after SIGTERM: $rc" >>"$OUT/notes.txt"

	M=$OUT/sched-metrics.prom
	LAT=$(awk '
		/^vantage_agent_schedule_lateness_seconds_bucket/ {
			match($0, /le="[^"]*"/); le = substr($0, RSTART + 4, RLENGTH - 5)
			n++; les[n] = le; cum[n] = $NF
		}
		/^vantage_agent_schedule_lateness_seconds_count/ { total = $NF }
		/^vantage_agent_schedule_lateness_seconds_sum/ { sum = $NF }
		function q(p,   i, rank, lo, lc) {
			if (total == 0) return "n/a"
			rank = p * total
			for (i = 1; i <= n; i++) if (cum[i] >= rank) return les[i]
			return "+Inf"
		}
		function interp(p,   i, rank, lo, lc) {	# like histogram_quantile()
			if (total == 0) return "n/a"
			rank = p * total; lo = 0; lc = 0
			for (i = 1; i <= n; i++) {
				if (cum[i] >= rank) {
					if (les[i] == "+Inf") return lo
					return sprintf("%.4f", lo + (les[i] - lo) * (rank - lc) / (cum[i] - lc))
				}
				lo = les[i]; lc = cum[i]
			}
		}
		END { printf "%s %s %s %s %s %s\n", total, q(0.5), q(0.99), interp(0.5), interp(0.99),
		      total ? sprintf("%.6f", sum / total) : "n/a" }' "$M")
	read -r LAT_N P50_LE P99_LE P50_EST P99_EST LAT_MEAN <<<"$LAT"
	SA_RESULTS=$(awk '/^vantage_agent_results_total / { print $2 }' "$M")
	SA_NOTOK=$(awk '/^vantage_agent_check_results_total/ && !/result="ok"/ { s += $NF } END { print s + 0 }' "$M")
	SA_HWM_MAX=$(awk 'NR > 1 && $3 > m { m = $3 } END { print m + 0 }' "$OUT/sched-rss.tsv")
	SA_CPU_PCT=$(fdiv "$SA_T1 * 100 / $CLK_TCK" "$SA_WALL" %.1f)
	SA_CPU_PER=$(fdiv "$SA_T1 * 1000 / $CLK_TCK" "${SA_RESULTS:-0}" %.3f)
	read -r SCRAPE_S SCRAPE_B <<<"$SCRAPE"
	{
		echo "scheduling: $SCHED_CHECKS checks, interval $SCHED_INTERVAL, ran ${SA_WALL}s"
		echo "  results: $SA_RESULTS (not ok: $SA_NOTOK); lateness samples: $LAT_N"
		echo "  lateness p50 <= ${P50_LE}s (interpolated ${P50_EST}s), p99 <= ${P99_LE}s (interpolated ${P99_EST}s), mean ${LAT_MEAN}s"
		echo "  memory: VmRSS at end ${SA_RSS_PRE} kB (RssAnon ${SA_ANON} kB, RssFile ${SA_FILE} kB = mapped libraries), VmHWM before the final scrape ${SA_HWM_PRE} kB, after it ${SA_HWM_POST} kB (VmRSS ${SA_RSS_POST} kB)"
		[[ -n ${BASE_HWM:-} ]] && echo "  baseline: the same daemon with 1 check: VmHWM ${BASE_HWM} kB (RssAnon ${BASE_ANON} kB, RssFile ${BASE_FILE} kB)"
		echo "  --check-config on the $SCHED_CHECKS-check file alone (parse, no probing): maxrss ${SCC_M} kB"
		[[ -s $OUT/sched-scrapes.txt ]] && echo "  scrapes during the run (every ${SCHED_SCRAPE_EVERY}s): $(wc -l <"$OUT/sched-scrapes.txt"), time_total max $(sort -n "$OUT/sched-scrapes.txt" | tail -1 | cut -d' ' -f1)s"
		echo "  /metrics: ${SCRAPE_B} bytes in ${SCRAPE_S}s"
		echo "  CPU: $(fdiv "$SA_T1" "$CLK_TCK" %.2f) s over ${SA_WALL} s wall = ${SA_CPU_PCT}% of one core, ${SA_CPU_PER} ms per result"
	} >"$OUT/sched.txt"
	SCHED_DONE=1
fi

# ---- summary ----------------------------------------------------------------

ratio_rate=$(fdiv "$AG_RATE" "$AB_RATE" %.2f)
ratio_cpu=$( [[ -n $BB_CPU ]] && fdiv "$AG_CPU" "$BB_CPU" %.3f || echo n/a)
met() { awk -v v="$1" -v t="$2" -v op="$3" 'BEGIN { if (v == "n/a" || v == "") print "n/a"; else if ((op == ">=" && v >= t) || (op == "<=" && v <= t) || (op == "<" && v < t)) print "MET"; else print "NOT MET" }'; }

{
	echo "## Throughput (N=$N, concurrency $CONC, fresh connection per request unless noted)"
	echo
	echo "| tool | model | n | ok | wall s | rate /s | CPU ms/op | peak RSS MB | nginx conns | nginx reqs |"
	echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
	tail -n +2 "$TABLE" | awk -F'\t' '{ printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6, $7, $8, $9, $10 }'
	echo
	echo "CPU ms/op: the prober's own user+sys CPU per request/check/probe (ab: ab itself;"
	echo "blackbox: the exporter process only, not the ab driving it; check_http: all processes)."
	echo "Config parse (--check-config on the same $N-check file): ${PARSE_E}s wall, $(awk -v u="$PARSE_U" -v s="$PARSE_S" 'BEGIN { printf "%.2f", u + s }')s CPU."
	echo "Agent without parse time: ${AG_RATE_NOPARSE} checks/s, ${AG_CPU_NOPARSE} CPU ms/check."
	echo
	echo "## Ratios"
	echo
	echo "| ratio | value | target | |"
	echo "| --- | ---: | --- | --- |"
	echo "| agent checks/s / ab requests/s | $ratio_rate | >= 0.40 | $(met "$ratio_rate" 0.40 '>=') |"
	echo "| agent CPU per check / blackbox CPU per probe | $ratio_cpu | <= 0.20 | $(met "$ratio_cpu" 0.20 '<=') |"
	if [[ -n $SCHED_DONE ]]; then
		echo
		echo "## Scheduling ($SCHED_CHECKS checks every $SCHED_INTERVAL, ${SA_WALL}s)"
		echo
		echo "| measure | value | target | |"
		echo "| --- | ---: | --- | --- |"
		echo "| results produced (not ok) | $SA_RESULTS ($SA_NOTOK) | | |"
		echo "| start lateness p50 | <= ${P50_LE}s (interp. ${P50_EST}s) | | |"
		echo "| start lateness p99 | <= ${P99_LE}s (interp. ${P99_EST}s) | < 0.020s | $(met "$P99_LE" 0.02 '<') |"
		echo "| peak RSS (VmHWM) during the run | $(fdiv "$SA_HWM_MAX" 1024 %.1f) MB | < 16 MB | $(met "$(fdiv "$SA_HWM_MAX" 1024 %.2f)" 16 '<') |"
		echo "| VmHWM after the final /metrics scrape | $(fdiv "$SA_HWM_POST" 1024 %.1f) MB | < 16 MB | $(met "$(fdiv "$SA_HWM_POST" 1024 %.2f)" 16 '<') |"
		echo "| RSS at end: anon / file-backed (libraries) | $(fdiv "$SA_ANON" 1024 %.1f) / $(fdiv "$SA_FILE" 1024 %.1f) MB | | |"
		[[ -n ${BASE_HWM:-} ]] && echo "| baseline VmHWM, same daemon with 1 check | $(fdiv "$BASE_HWM" 1024 %.1f) MB (anon $(fdiv "$BASE_ANON" 1024 %.1f), file $(fdiv "$BASE_FILE" 1024 %.1f)) | | |"
		echo "| peak RSS of --check-config on the same file (parse only) | $(fdiv "$SCC_M" 1024 %.1f) MB | | |"
		echo "| /metrics size, scrape time | $SCRAPE_B B, ${SCRAPE_S}s | | |"
		echo "| agent CPU | ${SA_CPU_PCT}% of a core (${SA_CPU_PER} ms/result) | | |"
	fi
	echo
	echo "loadavg at end: $(cut -d' ' -f1-3 /proc/loadavg)"
} >"$OUT/summary.md"

echo
cat "$OUT/summary.md"
echo
echo "details: $OUT (machine.txt, notes.txt, sched.txt, *.log, *.time, sched-rss.tsv, sched-metrics.prom)"
