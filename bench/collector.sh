#!/usr/bin/env bash
# bench/collector.sh: vantage-collector benchmarks, everything issue 12 asks
# for in one run (method and results: bench/README.md, "Collector benchmarks").
#
#   1. ingest, empty DB: 8 simulated agents POST signed 500-result batches
#      to a collector on 127.0.0.1: results/s, request latency, peak RSS;
#      SIGTERM when idle; DB bytes per stored result
#   2. SIGTERM during an ingest run (then the DB is checked)
#   3. the 30-day DB (200 checks x 5 regions at 30 s), `bench_collector
#      generate`
#   4. the SLO engine in process on it: a cold evaluation of the 20 SLOs,
#      then steady state (500 new results per 15 s, the incremental
#      evaluation after each), CPU and wall time; incremental == cold
#   5. SIGTERM during the cold evaluation right after start on the 30-day DB
#   6. a collector on the 30-day DB (--evaluate-every EVERY): ingest as in
#      1; then, under a real fleet's steady load, the age of /api/v1/slos
#      (sampled every 100 ms for AGE_S), /api/v1/slos and a 30-day
#      /api/v1/series (p50, p99); SIGTERM
#   7. bytes per stored result of the 30-day DB; the summary with targets
#
# Env knobs (defaults in brackets):
#   BATCHES [60]        batches per agent per ingest run (8 agents x 500 results)
#   QUERY_N [200]       requests per query benchmark
#   EVAL_RUNS [20]      steady-state evaluations timed in process
#   EVAL_MAX_S [120]    ... but start no new one after this many seconds
#   DAYS [30]           days of generated data
#   EVERY [15]          the query collector's --evaluate-every, seconds
#   AGE_S [3*EVERY+5]   how long /api/v1/slos is sampled
#   TERM_AFTER_S [1]    SIGTERM this long into an ingest run
#   BUILD_DIR [repo]    where the binaries are built (configure's build dir)
#   BENCH_OUT [bench/out-collector]  logs, results.txt, summary.txt
#   START_MAX_S [120]   how long to wait for a collector to listen / evaluate
#   STOP_MAX_S [30]     how long a collector may take to exit after SIGTERM
#   KEEP_TMP [0]        1: keep the temp dir (DBs, configs) for inspection
set -euo pipefail
export LC_ALL=C

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
BUILD_DIR=${BUILD_DIR:-$ROOT}
COLLECTOR=${COLLECTOR:-$BUILD_DIR/web/vantage-collector}
BENCH=${BENCH:-$BUILD_DIR/bench/bench_collector}
BATCHES=${BATCHES:-60}
QUERY_N=${QUERY_N:-200}
EVAL_RUNS=${EVAL_RUNS:-20}
EVAL_MAX_S=${EVAL_MAX_S:-120}
DAYS=${DAYS:-30}
EVERY=${EVERY:-15}
AGE_S=${AGE_S:-$((3 * EVERY + 5))}
TERM_AFTER_S=${TERM_AFTER_S:-1}
OUT=${BENCH_OUT:-$HERE/out-collector}
KEEP_TMP=${KEEP_TMP:-0}
START_MAX_S=${START_MAX_S:-120}
STOP_MAX_S=${STOP_MAX_S:-30}

die() { echo "collector.sh: $*" >&2; exit 1; }
log() { printf '[%s] %s\n' "$(date +%T)" "$*" >&2; }

for n in BATCHES QUERY_N EVAL_RUNS EVAL_MAX_S DAYS EVERY AGE_S TERM_AFTER_S \
    START_MAX_S STOP_MAX_S; do
	[[ ${!n} =~ ^[0-9]+$ && ${!n} -ge 1 ]] || die "$n must be a positive integer"
done
for tool in timeout awk od; do
	command -v "$tool" >/dev/null || die "needs $tool"
done
[[ -n ${EPOCHREALTIME:-} ]] || die "needs bash 5 (EPOCHREALTIME)"
if [[ ! -x $COLLECTOR ]]; then
	die "$COLLECTOR is not built: cd $BUILD_DIR && make -j2 (or set BUILD_DIR)"
fi
for src in "$HERE"/bc_*.c "$HERE"/bc.h; do
	if [[ ! -x $BENCH || $src -nt $BENCH ]]; then
		log "building bench programs in $BUILD_DIR"
		make -C "$BUILD_DIR" bench-programs >/dev/null
		break
	fi
done

TMP=$(mktemp -d "${TMPDIR:-/tmp}/vantage-bench-collector.XXXXXX")
PIDS=()
cleanup() {
	local rc=$?
	for p in "${PIDS[@]:-}"; do
		[[ -n $p ]] && kill "$p" 2>/dev/null || true
	done
	for p in "${PIDS[@]:-}"; do
		[[ -n $p ]] && timeout 10 tail --pid="$p" -f /dev/null 2>/dev/null || true
	done
	if [[ $KEEP_TMP == 1 ]]; then
		log "kept $TMP"
	else
		rm -rf "$TMP"
	fi
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p "$OUT"
RESULTS=$OUT/results.txt
: > "$RESULTS"

now_ms() { echo $(( ${EPOCHREALTIME/./} / 1000 )); }
# is pid $1 running (not gone, not a zombie)?
alive() {
	local st
	st=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) || return 1
	[[ -n $st && $st != Z ]]
}
proc_field() {	# $1 pid, $2 field of /proc/PID/status (kB)
	awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status" 2>/dev/null || true
}
proc_cpu_s() {	# utime + stime of $1 in seconds
	awk -v t="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%.2f", ($12 + $13) / t }' \
	    "/proc/$1/stat"
}
# watch_anon PID FILE: the largest RssAnon (kB) of PID, sampled every
# second while it runs (cheaply: a sampler must not load the machine it
# measures), kept in FILE (VmHWM also counts the DB pages the
# readers map, which the kernel can drop)
watch_anon() {
	local v m=0
	while alive "$1"; do
		v=$(proc_field "$1" RssAnon)
		if [[ -n $v ]] && (( v > m )); then
			m=$v
			echo "$m" > "$2"
		fi
		sleep 1
	done
}
load() { echo "RESULT load phase=$1 loadavg=\"$(cut -d' ' -f1-3 /proc/loadavg)\"" >> "$RESULTS"; }
result() { echo "RESULT $*" | tee -a "$RESULTS" >&2; }
SCRIPT_T0=$(date +%s)
# seqs rise per agent across every run here (and above what generate and
# evaluate use): each run takes the next 10 million
SEQ=$(( $(now_ms) * 1000 ))
seq_next() { SEQ=$((SEQ + 10000000)); }

# ---- machine -------------------------------------------------------------
{
	echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "nproc: $(nproc)"
	echo "cpu: $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)"
	echo "mem: $(awk '/^MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
	echo "kernel: $(uname -r)"
	echo "sqlite: $(pkg-config --modversion sqlite3 2>/dev/null || echo ?)"
	echo "libmicrohttpd: $(pkg-config --modversion libmicrohttpd 2>/dev/null || echo ?)"
	echo "collector: $($COLLECTOR --version)"
	if git -C "$ROOT" rev-parse --git-dir >/dev/null 2>&1; then
		echo "tree: $(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet HEAD -- core web report lib sql bench 2>/dev/null || echo ' + uncommitted changes')"
	fi
	echo "knobs: BATCHES=$BATCHES QUERY_N=$QUERY_N EVAL_RUNS=$EVAL_RUNS DAYS=$DAYS EVERY=$EVERY AGE_S=$AGE_S"
} > "$OUT/machine.txt"
cat "$OUT/machine.txt" >&2

# ---- config: 8 agents, 20 SLOs over the synthetic fleet ----------------------
KEYS=$TMP/keys.txt
: > "$KEYS"
AGENTS_JSON=""
for i in 0 1 2 3 4 5 6 7; do
	key=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
	echo "bench-$i $key" >> "$KEYS"
	AGENTS_JSON+="${AGENTS_JSON:+,}
    { \"id\": \"bench-$i\", \"key\": \"$key\" }"
done

write_config() {	# $1 file, $2 db
	cat > "$1" <<EOF
{
  "listen": "127.0.0.1:0",
  "db": "$2",
  "agents": [$AGENTS_JSON
  ],
  "slos": [
    { "name": "front-door-availability", "objective": 99.9, "window": "30d", "sli": "availability", "selector": { "layer": "front_door" } },
    { "name": "edge-availability", "objective": 99.5, "window": "30d", "sli": "availability", "selector": { "layer": "edge" } },
    { "name": "central-availability", "objective": 99.5, "window": "30d", "sli": "availability", "selector": { "layer": "central" } },
    { "name": "fleet-availability", "objective": 99.9, "window": "30d", "sli": "availability", "selector": {} },
    { "name": "front-door-latency", "objective": 95, "window": "30d", "sli": "latency", "threshold": "300ms", "selector": { "layer": "front_door" } },
    { "name": "svc-0-availability", "objective": 99.9, "window": "30d", "selector": { "service": "svc-0" } },
    { "name": "svc-1-availability", "objective": 99.9, "window": "30d", "selector": { "service": "svc-1" } },
    { "name": "svc-2-front-door", "objective": 99.95, "window": "30d", "selector": { "service": "svc-2", "layer": "front_door" } },
    { "name": "svc-3-edge", "objective": 99.5, "window": "7d", "selector": { "service": "svc-3", "layer": "edge" } },
    { "name": "svc-4-central-latency", "objective": 90, "window": "30d", "sli": "latency", "threshold": "500ms", "selector": { "service": "svc-4", "layer": "central" } },
    { "name": "region-r0-availability", "objective": 99.9, "window": "30d", "selector": { "region": "r0" } },
    { "name": "region-r3-latency", "objective": 95, "window": "30d", "sli": "latency", "threshold": "800ms", "selector": { "region": "r3" } },
    { "name": "cloudflare-availability", "objective": 99.95, "window": "30d", "selector": { "provider": "cloudflare" } },
    { "name": "fastly-latency", "objective": 99, "window": "30d", "sli": "latency", "threshold": "250ms", "selector": { "provider": "fastly", "layer": "front_door" } },
    { "name": "aws-central-availability", "objective": 99.5, "window": "30d", "selector": { "provider": "aws", "layer": "central" } },
    { "name": "gcp-central-latency", "objective": 95, "window": "28d", "sli": "latency", "threshold": "600ms", "selector": { "provider": "gcp" } },
    { "name": "workers-edge-r1", "objective": 99.5, "window": "30d", "selector": { "provider": "cloudflare-workers", "region": "r1" } },
    { "name": "svc-5-r4-central", "objective": 99, "window": "30d", "selector": { "service": "svc-5", "region": "r4", "layer": "central" } },
    { "name": "check-svc-7-front-door", "objective": 99.9, "window": "30d", "selector": { "check": "svc-7-front_door-072" } },
    { "name": "check-svc-9-edge-latency", "objective": 95, "window": "30d", "sli": "latency", "threshold": "200ms", "selector": { "check": "svc-9-edge-091", "region": "r2" } }
  ]
}
EOF
	"$COLLECTOR" -c "$1" --check-config >/dev/null || die "bad generated config $1"
}

# start_collector CONFIG LOG [extra args]: sets CPID, PORT, STARTUP_S
start_collector() {
	local cfg=$1 logf=$2 pf=$TMP/port.$RANDOM t0 i
	shift 2
	rm -f "$pf"
	t0=$(now_ms)
	"$COLLECTOR" -c "$cfg" --portfile "$pf" "$@" > "$logf" 2>&1 &
	CPID=$!
	PIDS+=("$CPID")
	watch_anon "$CPID" "$TMP/anon.$CPID" &
	PIDS+=("$!")
	for ((i = 0; i < START_MAX_S * 20; i++)); do
		[[ -s $pf ]] && break
		alive "$CPID" || die "collector exited; see $logf"
		sleep 0.05
	done
	[[ -s $pf ]] || die "collector did not listen within $START_MAX_S s; see $logf"
	PORT=$(head -n1 "$pf")
	STARTUP_S=$(awk -v a="$t0" -v b="$(now_ms)" 'BEGIN { printf "%.2f", (b - a) / 1000 }')
}

# stop_collector PHASE [more fields]: SIGTERM; how long until it is gone
# (SIGKILL after STOP_MAX_S), its exit status and peak RSS
stop_collector() {
	local phase=$1 t0 ms hwm st=0 how
	shift
	hwm=$(proc_field "$CPID" VmHWM)
	t0=$(now_ms)
	kill -TERM "$CPID" 2>/dev/null || true
	while alive "$CPID" && (( $(now_ms) - t0 < STOP_MAX_S * 1000 )); do
		sleep 0.01
	done
	ms=$(( $(now_ms) - t0 ))
	if alive "$CPID"; then
		kill -9 "$CPID" 2>/dev/null || true
		how="exit_ms=none sigkilled=1"
	else
		how="exit_ms=$ms sigkilled=0"
	fi
	wait "$CPID" 2>/dev/null || st=$?
	result stop phase="$phase" $how status=$st vmhwm_kb="${hwm:-0}" \
		anon_peak_kb="$(cat "$TMP/anon.$CPID" 2>/dev/null || echo 0)" "$@"
}

# does GET $1 answer 200?
http_get() { "$BENCH" query --url "$URL" --path "$1" --n 1 --warmup 0 >/dev/null 2>&1; }

# ---- 1. ingest, empty DB ------------------------------------------------------
log "ingest: collector on an empty DB; 8 agents x $BATCHES batches x 500 results"
write_config "$TMP/ingest.json" "$TMP/ingest.db"
load ingest_empty
start_collector "$TMP/ingest.json" "$OUT/collector-ingest.log" --log-level warn \
	--evaluate-every "${EVERY}s"
RSS0=$(proc_field "$CPID" VmRSS)
CPU0=$(proc_cpu_s "$CPID")
timeout 600 "$BENCH" ingest --url "http://127.0.0.1:$PORT" --agents 8 --batch 500 \
	--batches-per-agent "$BATCHES" --keys-file "$KEYS" --seq-base "$SEQ" \
	--label empty | tee "$OUT/ingest-empty.txt" || true	# errors=N says why
seq_next
CPU1=$(proc_cpu_s "$CPID")
grep '^RESULT ingest' "$OUT/ingest-empty.txt" >> "$RESULTS" || true
# VmHWM counts mapped DB pages too (the readers mmap the DB): split the RSS
result ingest_mem label=empty rss_start_kb="$RSS0" vmhwm_kb="$(proc_field "$CPID" VmHWM)" \
	rss_anon_kb="$(proc_field "$CPID" RssAnon)" rss_file_kb="$(proc_field "$CPID" RssFile)" \
	collector_cpu_s="$(awk -v a="$CPU0" -v b="$CPU1" 'BEGIN { printf "%.2f", b - a }')"
sleep 2
stop_collector idle
"$BENCH" dbsize --db "$TMP/ingest.db" --label empty --check | tee "$OUT/dbsize-empty.txt" ||
	true
grep '^RESULT db' "$OUT/dbsize-empty.txt" >> "$RESULTS" || true

# ---- 2. SIGTERM during an ingest run ------------------------------------------
log "SIGTERM ${TERM_AFTER_S}s into an ingest run"
start_collector "$TMP/ingest.json" "$OUT/collector-term-ingest.log" --log-level warn \
	--evaluate-every "${EVERY}s"
timeout 300 "$BENCH" ingest --url "http://127.0.0.1:$PORT" --agents 8 --batch 500 \
	--batches-per-agent "$BATCHES" --keys-file "$KEYS" --seq-base "$SEQ" \
	--label term > "$OUT/ingest-term.txt" 2>&1 &
IPID=$!
PIDS+=("$IPID")
seq_next
sleep "$TERM_AFTER_S"
INFLIGHT=0
alive "$IPID" && INFLIGHT=1
stop_collector during_ingest ingest_in_flight=$INFLIGHT
wait "$IPID" 2>/dev/null || true	# its batches fail once the collector is gone
"$BENCH" dbsize --db "$TMP/ingest.db" --label after_term --check > "$OUT/dbsize-after-term.txt" ||
	true
grep '^RESULT dbcheck' "$OUT/dbsize-after-term.txt" | tee -a "$RESULTS" >&2 || true

# ---- 3. the 30-day DB ----------------------------------------------------------
write_config "$TMP/query.json" "$TMP/q.db"
load generate
log "generate: $DAYS days, 200 checks x 5 regions at 30s"
timeout 1800 "$BENCH" generate --db "$TMP/q.db" --config "$TMP/query.json" \
	--days "$DAYS" --checks 200 --regions 5 --interval 30s 2>&1 | tee "$OUT/generate.txt"
grep '^RESULT generate' "$OUT/generate.txt" >> "$RESULTS"
result generate_db db_kb="$(du -k "$TMP"/q.db* | awk '{ s += $1 } END { print s }')"

# ---- 4. the SLO engine, in process ----------------------------------------------
load evaluate
log "evaluate: 20 SLOs, one cold, then $EVAL_RUNS steady-state steps (up to ${EVAL_MAX_S}s)"
timeout 1800 "$BENCH" evaluate --db "$TMP/q.db" --config "$TMP/query.json" \
	--runs "$EVAL_RUNS" --max-seconds "$EVAL_MAX_S" --step 15s 2>&1 |
	tee "$OUT/evaluate.txt" || true
grep '^RESULT evaluate' "$OUT/evaluate.txt" >> "$RESULTS" || true

# ---- 5. SIGTERM during the cold evaluation right after start ----------------------
# The engine thread starts right after the DB is open; once it exists (3
# threads: main, WAL checkpoints, engine) and the log (debug) shows no
# finished evaluation, SIGTERM. Tried up to 3 times if the evaluation was
# done first.
log "SIGTERM during the cold evaluation on the ${DAYS}-day DB"
EVAL_DONE='SLO engine: [a-z]+ evaluation of'	# web/engine.c's debug line
for attempt in 1 2 3; do
	CLOG=$OUT/collector-term-eval.log
	"$COLLECTOR" -c "$TMP/query.json" --log-level debug --evaluate-every "${EVERY}s" \
		> "$CLOG" 2>&1 &
	CPID=$!
	PIDS+=("$CPID")
	watch_anon "$CPID" "$TMP/anon.$CPID" &
	PIDS+=("$!")
	T0=$(now_ms)
	while alive "$CPID" && (( $(now_ms) - T0 < START_MAX_S * 1000 )); do
		grep -Eq "$EVAL_DONE" "$CLOG" && break
		(( $(ls "/proc/$CPID/task" 2>/dev/null | wc -l) >= 3 )) && break
		sleep 0.005
	done
	SINCE=$(( $(now_ms) - T0 ))
	DONE_BEFORE=0
	grep -Eq "$EVAL_DONE" "$CLOG" && DONE_BEFORE=1
	stop_collector during_cold_evaluation attempt=$attempt term_after_start_ms=$SINCE
	# in flight: not finished when SIGTERM was sent; finished anyway: the
	# evaluation ran to its end after SIGTERM instead of giving up
	FINISHED=0
	grep -Eq "$EVAL_DONE" "$CLOG" && FINISHED=1
	result term_cold_evaluation attempt=$attempt in_flight=$((1 - DONE_BEFORE)) \
		finished_anyway=$(( DONE_BEFORE == 0 && FINISHED == 1 ? 1 : 0 ))
	(( DONE_BEFORE == 0 )) && break
done

# ---- 6. a collector on the 30-day DB ----------------------------------------------
load query_collector
log "collector on the ${DAYS}-day DB (--evaluate-every ${EVERY}s)"
start_collector "$TMP/query.json" "$OUT/collector-query.log" --log-level debug \
	--evaluate-every "${EVERY}s"
URL="http://127.0.0.1:$PORT"
# it may listen before its first evaluation is done (/api/v1/slos: 503)
T0=$(now_ms)
for ((i = 0; i < START_MAX_S * 10; i++)); do
	http_get /api/v1/slos && break
	alive "$CPID" || die "collector exited; see $OUT/collector-query.log"
	sleep 0.1
done
http_get /api/v1/slos || die "no SLO evaluation within $START_MAX_S s"
result query_startup listen_s="$STARTUP_S" \
	first_evaluation_after_listen_s="$(awk -v a="$T0" -v b="$(now_ms)" 'BEGIN { printf "%.2f", (b - a) / 1000 }')"

log "ingest on the ${DAYS}-day DB: 8 agents x $BATCHES batches x 500 results"
load ingest_history
CPU0=$(proc_cpu_s "$CPID")
timeout 600 "$BENCH" ingest --url "$URL" --agents 8 --batch 500 \
	--batches-per-agent "$BATCHES" --keys-file "$KEYS" --seq-base "$SEQ" \
	--label "${DAYS}d" | tee "$OUT/ingest-${DAYS}d.txt" || true
seq_next
CPU1=$(proc_cpu_s "$CPID")
grep '^RESULT ingest' "$OUT/ingest-${DAYS}d.txt" >> "$RESULTS" || true
result ingest_mem label="${DAYS}d" vmhwm_kb="$(proc_field "$CPID" VmHWM)" \
	rss_anon_kb="$(proc_field "$CPID" RssAnon)" rss_file_kb="$(proc_field "$CPID" RssFile)" \
	collector_cpu_s="$(awk -v a="$CPU0" -v b="$CPU1" 'BEGIN { printf "%.2f", b - a }')"

log "query phase: a fleet's steady load, /api/v1/slos age for ${AGE_S}s, queries"
load query
CPU0=$(proc_cpu_s "$CPID")
T0=$(date +%s)
timeout $((AGE_S + 60)) "$BENCH" feed --url "$URL" --keys-file "$KEYS" --every 15s \
	--for "$((AGE_S + 5))s" --seq-base "$SEQ" > "$OUT/feed.txt" 2>&1 &
FPID=$!
PIDS+=("$FPID")
timeout $((AGE_S + 30)) "$BENCH" slo-age --url "$URL" --for "${AGE_S}s" --every 100ms \
	> "$OUT/slo-age.txt" 2>&1 &
APID=$!
PIDS+=("$APID")
: > "$OUT/query.txt"
timeout 300 "$BENCH" query --url "$URL" --n "$QUERY_N" --path /api/v1/slos --label slos \
	| tee -a "$OUT/query.txt" || true
timeout 600 "$BENCH" query --url "$URL" --n "$QUERY_N" \
	--path '/api/v1/series?check=svc-7-front_door-072&from=30d&step=1h' --label series_30d_1h \
	| tee -a "$OUT/query.txt" || true
timeout 600 "$BENCH" query --url "$URL" --n "$(( QUERY_N / 4 > 10 ? QUERY_N / 4 : 10 ))" \
	--path '/api/v1/series?check=svc-7-front_door-072&from=30d&step=1h&by=region' \
	--label series_30d_1h_by_region | tee -a "$OUT/query.txt" || true
grep '^RESULT query' "$OUT/query.txt" >> "$RESULTS" || true
wait "$APID" || true
wait "$FPID" || true
cat "$OUT/slo-age.txt" "$OUT/feed.txt" >&2
grep -h '^RESULT' "$OUT/slo-age.txt" "$OUT/feed.txt" >> "$RESULTS" || true
T1=$(date +%s)
# /healthz: 503 "stale" when the last evaluation is too old
if command -v curl >/dev/null; then
	H=$(curl -s -m 10 -w ' http=%{http_code}' "$URL/healthz" || echo "curl failed")
	result healthz "$(echo "$H" | tr -d '{}"\n' | tr ',:' ' =')"
fi
result query_phase wall_s=$((T1 - T0)) \
	collector_cpu_s="$(awk -v a="$CPU0" -v b="$(proc_cpu_s "$CPID")" 'BEGIN { printf "%.2f", b - a }')" \
	rss_anon_kb="$(proc_field "$CPID" RssAnon)" rss_file_kb="$(proc_field "$CPID" RssFile)"
stop_collector query_end
# the collector's own evaluation times (its debug log): the first (cold)
# and the incremental ones under the steady load
awk '/SLO engine: [a-z]+ evaluation of/ {
	for (i = 1; i <= NF; i++) if ($i == "in") { ms = $(i + 1) + 0; break }
	if ($0 ~ /cold evaluation/) { if (!cold_seen) { cold = ms; cold_seen = 1; next } later_cold++ }
	n++; if (ms > mx) mx = ms; s += ms }
	END { printf "RESULT collector_evaluations cold_ms=%s later=%d later_cold=%d incremental_max_ms=%d incremental_avg_ms=%.0f\n",
	    cold_seen ? cold : "none", n, later_cold, mx, n ? s / n : 0 }' "$OUT/collector-query.log" |
	tee -a "$RESULTS" >&2

# ---- 7. bytes per result of the 30-day DB ------------------------------------------
log "bytes per stored result of the ${DAYS}-day DB (dbstat reads every page)"
timeout 1200 "$BENCH" dbsize --db "$TMP/q.db" --label "${DAYS}d" | tee "$OUT/dbsize-${DAYS}d.txt" ||
	true
grep '^RESULT dbsize' "$OUT/dbsize-${DAYS}d.txt" >> "$RESULTS" || true
load end
echo "RESULT script wall_s=$(($(date +%s) - SCRIPT_T0))" >> "$RESULTS"

# ---- summary: every number next to its target --------------------------------------
# res KIND SELECTOR FIELD: FIELD of the first "RESULT KIND" line with SELECTOR
res() {
	awk -v k="$1" -v s="$2" -v f="$3" '$1 == "RESULT" && $2 == k && index($0 " ", s " ") {
		for (i = 3; i <= NF; i++) if (index($i, f "=") == 1) { print substr($i, length(f) + 2); exit } }' \
	    "$RESULTS"
}
# the same from the last such line
res_last() {
	awk -v k="$1" -v s="$2" -v f="$3" '$1 == "RESULT" && $2 == k && index($0 " ", s " ") {
		for (i = 3; i <= NF; i++) if (index($i, f "=") == 1) v = substr($i, length(f) + 2) }
		END { print v }' "$RESULTS"
}
# the largest FIELD over every "RESULT KIND" line
res_max() {
	awk -v k="$1" -v f="$2" '$1 == "RESULT" && $2 == k {
		for (i = 3; i <= NF; i++) if (index($i, f "=") == 1) { v = substr($i, length(f) + 2) + 0; if (v > m) m = v } }
		END { print m + 0 }' "$RESULTS"
}
row() {	# row WHAT VALUE UNIT [OP TARGET]
	local what=$1 v=$2 unit=$3 op=${4:-} t=${5:-} verdict=""
	if [[ -n $op ]]; then
		if [[ -z $v || $v == none || $v == nan ]]; then
			verdict="NOT MET (not measured)"
		else
			verdict=$(awk -v v="$v" -v t="$t" -v op="$op" 'BEGIN {
				r = op == ">=" ? v >= t : op == "<=" ? v <= t : op == "<" ? v < t : 0
				print r ? "MET" : "NOT MET" }')
		fi
		printf '%-58s %16s   %-16s %s\n' "$what" "${v:-?} $unit" "$op $t $unit" "$verdict"
	else
		printf '%-58s %16s\n' "$what" "${v:-?} $unit"
	fi
}
{
	echo
	echo "== vantage-collector: issue 12 targets ($(date -u +%Y-%m-%dT%H:%MZ), $(cut -d' ' -f1-3 /proc/loadavg) load)"
	printf '%-58s %16s   %-16s %s\n' "measurement" "result" "target" "verdict"
	row "ingest results/s, empty DB (8 agents, 500/batch, HTTP)" \
		"$(res ingest label=empty results_per_s)" "/s" ">=" 50000
	row "ingest results/s, $DAYS-day DB" "$(res ingest "label=${DAYS}d" results_per_s)" "/s" \
		">=" 50000
	row "collector peak RSS (VmHWM, with the mapped DB pages)" \
		"$(res_max stop vmhwm_kb)" "kB"
	row "collector peak anonymous RSS (sampled every 1 s)" \
		"$(res_max stop anon_peak_kb)" "kB"
	row "cold SLO evaluation, 20 SLOs, $DAYS-day DB (wall)" \
		"$(res evaluate_cold RESULT wall_ms)" "ms" "<=" 3000
	row "  same, CPU" "$(res evaluate_cold RESULT cpu_ms)" "ms"
	row "steady-state evaluation CPU, max of $(res evaluate_steady RESULT runs) steps" \
		"$(res evaluate_steady RESULT cpu_max_ms)" "ms" "<=" 200
	row "  median" "$(res evaluate_steady RESULT cpu_p50_ms)" "ms"
	row "incremental numbers identical to a cold recount (1 = yes)" \
		"$(res evaluate_check RESULT same)" "" ">=" 1
	row "/api/v1/slos age, max seen over ${AGE_S}s (every ${EVERY}s)" \
		"$(res slo_age RESULT max_ms)" "ms" "<=" $(( EVERY * 1000 + 1000 ))
	row "  same, after the first new evaluation (start-up behind)" \
		"$(res slo_age RESULT max_after_first_new_ms)" "ms"
	row "/api/v1/slos p99" "$(res query label=slos p99_ms)" "ms"
	row "/api/v1/series 30 days at 1h, p50" "$(res query label=series_30d_1h p50_ms)" "ms"
	row "/api/v1/series 30 days at 1h, p99" "$(res query label=series_30d_1h p99_ms)" "ms" \
		"<" 100
	row "raw result incl. index, bytes (dbstat), empty-DB run" \
		"$(res dbsize label=empty per_result_table)" "B" "<=" 120
	row "raw result incl. index, bytes (dbstat), $DAYS-day DB" \
		"$(res dbsize "label=${DAYS}d" per_result_table)" "B" "<=" 120
	row "whole DB file / raw results, empty-DB run" \
		"$(res dbsize label=empty per_result_total)" "B"
	row "SIGTERM to exit, idle" "$(res stop phase=idle exit_ms)" "ms" "<=" 2000
	row "SIGTERM to exit, during an ingest run" \
		"$(res stop phase=during_ingest exit_ms)" "ms" "<=" 2000
	row "SIGTERM to exit, during the cold evaluation after start" \
		"$(res_last stop phase=during_cold_evaluation exit_ms)" "ms" "<=" 2000
	row "  evaluation in flight at SIGTERM / ran to its end anyway" \
		"$(res_last term_cold_evaluation RESULT in_flight) / $(res_last term_cold_evaluation RESULT finished_anyway)" ""
	row "collector's own cold evaluation on the $DAYS-day DB" \
		"$(res collector_evaluations RESULT cold_ms)" "ms" "<=" 3000
	row "collector's incremental evaluations under load, max (wall)" \
		"$(res collector_evaluations RESULT incremental_max_ms)" "ms"
	row "DB sound after SIGTERM mid-ingest (quick_check, 1 = ok)" \
		"$(res dbcheck label=after_term ok)" "" ">=" 1
} | tee "$OUT/summary.txt"
log "done; results in $OUT"
