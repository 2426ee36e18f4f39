#!/bin/bash
# Integration test of the demo fleet (demo.sh): start it in the background
# from the built binaries (ports chosen at run time), check that every agent
# ships every check, play a short scenario, check that the front door failed
# over while the edge origin was down and that the right SLOs burned, stop it
# and check that nothing it started is left. Ends with Check's summary line.
# Needs VANTAGE_SRCDIR and VANTAGE_BUILDDIR (set by make check), nginx, curl,
# jq and sqlite3.
set -u

src=${VANTAGE_SRCDIR:?VANTAGE_SRCDIR is not set (run through make check)}
build=${VANTAGE_BUILDDIR:?VANTAGE_BUILDDIR is not set (run through make check)}
demo=$src/demo.sh
checks=0
failures=0
started=no
tmp=

pass() { checks=$((checks + 1)); echo "ok   $*"; }
fail() { checks=$((checks + 1)); failures=$((failures + 1)); echo "FAIL $*"; }
# check WHAT CMD...: one assertion
check() {
	local what=$1
	shift
	if "$@"; then pass "$what"; else fail "$what"; fi
}

dump_logs() {
	local f
	for f in "$tmp/start.log" "$tmp/scenario.log" "$tmp/stop.log" "$state"/logs/*.log; do
		[ -f "$f" ] || continue
		echo "---- $f (last 40 lines) ----"
		tail -n 40 "$f"
	done
	echo "----"
}

finish() {
	trap - EXIT
	if [ "$started" = yes ]; then
		timeout 60 bash "$demo" --stop "$state" >/dev/null 2>&1 || true
	fi
	if [ "$failures" -gt 0 ]; then
		[ -n "$tmp" ] && dump_logs
		[ -n "$tmp" ] && echo "test_demo: files kept in $tmp"
	elif [ -n "$tmp" ]; then
		rm -rf "$tmp"
	fi
	echo "$(( checks > 0 ? (checks - failures) * 100 / checks : 0 ))%: Checks: $checks, Failures: $failures, Errors: 0"
	# (a bare exit in an EXIT trap keeps the status from before the trap)
	[ "$failures" -eq 0 ] && exit 0
	exit 1
}
trap finish EXIT
trap 'exit 1' INT TERM

# fatal WHAT: a failed assertion the rest cannot go on without
fatal() { fail "$*"; exit 1; }

# ---- prerequisites
[ -x /usr/sbin/nginx ] ||
	fatal "/usr/sbin/nginx is missing: install nginx-light (scripts/install-deps.sh test)"
for c in curl jq sqlite3 timeout setsid; do
	command -v "$c" >/dev/null || fatal "$c is missing (scripts/install-deps.sh test)"
done
for b in agent/vantage-agent web/vantage-collector dist/demo/demo-origin; do
	[ -x "$build/$b" ] || fatal "$build/$b is not built"
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/vantage-test-demo.XXXXXX")
tmp=$(cd "$tmp" && pwd -P)
state=$tmp/demo
mkdir "$state"

# ---- start
echo "# starting the demo in $state"
started=yes
timeout 90 bash "$demo" --no-build --bin-dir "$build" --background --dir "$state" \
	--interval 2 > "$tmp/start.log" 2>&1
rc=$?
[ "$rc" -eq 0 ] || fatal "demo.sh --background exits 0 (got $rc)"
pass "demo.sh --background exits 0 once ready"

env_get() { sed -n "s/^$1=//p" "$state/demo.env" | head -n 1; }
coll=$(env_get COLLECTOR)
fd=$(env_get FRONT_DOOR)
[ -n "$coll" ] && [ -n "$fd" ] || fatal "demo.env names the collector and the front door"

names="us-east-1 eu-central-1 ap-south-1 collector nginx edge central"
npid=0
for n in $names; do
	p=$(cat "$state/pids/$n.pid" 2>/dev/null) || continue
	[ -d "/proc/$p" ] && npid=$((npid + 1))
done
check "a pid file per process, each running (7)" [ "$npid" -eq 7 ]

db=$state/collector.db
sql() { sqlite3 -readonly -cmd '.timeout 5000' "$db" "$1"; }
# the raw results with their series' labels (flags: 1 ok)
res="(select s.check_name, s.agent, s.region, s.layer, r.ts, r.flags & 1 as ok
  from results r join series s on s.id = r.series)"
api() { curl -fsS --max-time 5 "$coll$1"; }

# ---- every agent ships results for every check
expected=$(jq -r '.checks[].name' "$state/collector.json" | while read -r c; do
	for a in us-east-1 eu-central-1 ap-south-1; do echo "$c $a"; done
done | sort)
nexpected=$(echo "$expected" | wc -l)
got=
for _ in $(seq 1 60); do
	got=$(api /api/v1/status 2>/dev/null | jq -r '.results[] | "\(.check) \(.agent)"' | sort -u)
	[ "$got" = "$expected" ] && break
	sleep 1
done
check "/api/v1/status has a result for each of the $nexpected check x agent pairs" \
	[ "$got" = "$expected" ]
check "the collector DB holds results of every check from every agent" \
	[ "$(sql "select count(*) from (select distinct check_name, agent from $res)")" = "$nexpected" ]
check "every check is green from every region before the story" \
	[ "$(api /api/v1/status | jq '[.results[] | select(.ok | not)] | length')" = 0 ]
check "the agents report their regions and providers" \
	[ "$(api /api/v1/agents | jq -c '[.agents[] | [.id, .region, .provider]] | sort')" = \
	  '[["ap-south-1","ap-south","digitalocean"],["eu-central-1","eu-central","hetzner"],["us-east-1","us-east","aws"]]' ]
check "the front door serves hashed assets with an immutable Cache-Control" \
	sh -c "curl -fsS -D - -o /dev/null '$fd/assets/app.8d41e0.js' | grep -qi '^cache-control: .*max-age=31536000, immutable'"
check "the front door serves index.html with a short Cache-Control" \
	sh -c "curl -fsS -D - -o /dev/null '$fd/' | grep -qi '^cache-control: public, max-age=60'"

# ---- the front door caches: X-Cache on what it caches, none on /healthz
xc() { curl -fsS -D - -o /dev/null "$fd$1" | tr -d '\r' | sed -n 's/^[Xx]-[Cc]ache: *//p'; }
xc /api/hello >/dev/null
check "the front door answers /api/hello from its cache (X-Cache: HIT)" [ "$(xc /api/hello)" = HIT ]
check "the front door never caches /healthz (no X-Cache)" [ -z "$(xc /healthz)" ]
got=
for _ in $(seq 1 30); do
	got=$(api "/api/v1/cache?by=check&layer=front_door&from=5m" | jq -r '
	  [.rows[] | select(.hits > 0) | .check] | sort | join(" ")')
	[ "$got" = "micro-front-door-api micro-front-door-asset micro-front-door-index" ] && break
	sleep 1
done
check "the cached front-door checks report cache hits (/api/v1/cache): $got" \
	[ "$got" = "micro-front-door-api micro-front-door-asset micro-front-door-index" ]
check "the front door's health check reveals no cache status" \
	[ "$(api "/api/v1/cache?check=micro-front-door-health&from=5m" | jq '.rows[0].lookups // 0')" = 0 ]
check "the agents recorded the cache status of the front door's answers" \
	[ "$(api "/api/v1/results?check=micro-front-door-api&limit=1000" | jq '[.results[] | select(.cache == "hit")] | length')" -gt 0 ]

# ---- a short scenario
echo "# playing the scenario"
timeout 300 bash "$demo" --scenario "$state" --scenario-step 8 --resolve-wait 0 \
	> "$tmp/scenario.log" 2>&1
rc=$?
check "demo.sh --scenario exits 0" [ "$rc" -eq 0 ]

ev() { awk -F '\t' -v e="$1" '$2 == e { print $1 }' "$state/scenario/events.tsv" 2>/dev/null | tail -n 1; }
t_ed=$(ev edge-down)
t_eu=$(ev edge-up)
t_fd=$(ev front-door-down)
t_fu=$(ev front-door-up)
t_cb=$(ev cache-bypass)
t_cr=$(ev cache-restored)
[ -n "$t_ed" ] && [ -n "$t_eu" ] && [ -n "$t_fd" ] && [ -n "$t_fu" ] && [ -n "$t_cb" ] && [ -n "$t_cr" ] ||
	fatal "the scenario recorded its events (scenario/events.tsv)"

# while the edge origin was down, the front door failed over: its checks ran
# from every region and none failed; the edge checks failed from every region
win="ts >= $t_ed and ts < $t_eu"
check "front-door checks ran from every region while the edge origin was down" \
	[ "$(sql "select count(distinct region) from $res where layer = 'front_door' and $win")" = 3 ]
check "no front-door check failed while the edge origin was down (failover)" \
	[ "$(sql "select count(*) from $res where layer = 'front_door' and not ok and $win")" = 0 ]
check "the edge origin's checks failed from every region while it was down" \
	[ "$(sql "select count(distinct region) from $res where layer = 'edge' and not ok and $win")" = 3 ]
check "front-door checks failed while the front door was down" \
	[ "$(sql "select count(*) from $res where layer = 'front_door' and not ok and ts >= $t_fd and ts < $t_fu")" -gt 0 ]

snap() { jq -e --arg n "$2" ".slos[] | select(.name == \$n) | $3" "$state/scenario/$1.slos.json" >/dev/null 2>&1; }
check "edge outage: the edge origin SLO burned (5m burn > 0, budget < 1)" \
	snap edge-down micro-edge-origin-availability '.burn_rates["5m"] > 0 and .budget_remaining < 1'
check "edge outage: the front-door availability SLO held (5m burn 0, budget 1)" \
	snap edge-down micro-front-door-availability '.burn_rates["5m"] == 0 and .budget_remaining == 1'
check "edge outage: the central origin SLO held" \
	snap edge-down micro-central-origin-availability '.burn_rates["5m"] == 0'
check "front-door outage: the front-door availability SLO burned" \
	snap front-door-down micro-front-door-availability '.burn_rates["5m"] > 0 and .budget_remaining < 1'
check "front-door outage: its page condition (1h and 5m burn > 14.4) was firing" \
	snap front-door-down micro-front-door-availability 'any(.alerts[]; .long == "1h" and .short == "5m" and .firing)'
check "front-door outage: the latency SLO (p95 < 300 ms) burned too" \
	snap front-door-down micro-front-door-latency '.burn_rates["5m"] > 0'
# the cache bypass: every cached check saw BYPASS, nothing failed, and the
# cache_hit_drop rule opened an incident on a front-door check and resolved it
check "while the cache was bypassed the front door answered BYPASS" \
	[ "$(api "/api/v1/results?from=$t_cb&to=$t_cr&limit=1000" | jq '[.results[] | select(.layer == "front_door" and .cache == "bypass")] | length')" -gt 0 ]
check "no front-door check failed while the cache was bypassed" \
	[ "$(sql "select count(*) from $res where layer = 'front_door' and not ok and ts >= $t_cb + 2000 and ts < $t_cr")" = 0 ]
inc=$(api "/api/v1/incidents?since=$t_cb" | jq -c '[.incidents[] | select(.rule == "front-door-cache")]')
check "the bypass opened a cache_hit_drop incident on a front-door check" \
	jq -e 'length > 0 and all(.type == "cache_hit_drop" and .layer == "front_door" and
	    (.check | startswith("micro-front-door-")) and (.regions | length >= 2))' <<< "$inc"
check "it opened after the bypass and resolved after the cache came back" \
	jq -e --argjson b "$t_cb" --argjson r "$t_cr" 'all(.status == "resolved" and
	    .started_at > $b and .resolved_at > $r)' <<< "$inc"
check "it was delivered to the sink (trigger and resolve)" \
	jq -e 'all([.deliveries[] | select(.status == "sent") | .event] | index("trigger") and index("resolve"))' <<< "$inc"
check "the health check (never cached) opened no cache incident" \
	jq -e 'all(.check != "micro-front-door-health")' <<< "$inc"

check "after the story every check is green again" \
	[ "$(api /api/v1/status | jq '[.results[] | select(.ok | not)] | length')" = 0 ]

# ---- stop: exactly what was started, and all of it
pids=
for n in $names; do
	p=$(cat "$state/pids/$n.pid" 2>/dev/null) && pids="$pids $p"
done
ng=$(cat "$state/pids/nginx.pid" 2>/dev/null)
workers=$(ps -o pid= --ppid "${ng:-0}" 2>/dev/null | tr -d ' ' | tr '\n' ' ')
timeout 60 bash "$demo" --stop "$state" > "$tmp/stop.log" 2>&1
rc=$?
check "demo.sh --stop exits 0" [ "$rc" -eq 0 ]
[ "$rc" -eq 0 ] && started=no

# alive PID: exists and is not a zombie (nobody may reap orphans here)
alive() {
	local st
	st=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)
	[ -n "$st" ] && [ "$st" != Z ]
}
left=
for p in $pids $workers; do
	alive "$p" && left="$left $p"
done
check "no recorded process (nor an nginx worker) is left:${left:- none}" [ -z "$left" ]
left=
for f in /proc/[0-9]*/cmdline; do
	p=${f#/proc/}
	p=${p%/cmdline}
	[ "$p" = $$ ] && continue
	case $(tr '\0' ' ' 2>/dev/null < "$f") in *"$state/"*) left="$left $p" ;; esac
done
check "no process has the state dir on its command line:${left:- none}" [ -z "$left" ]

bad=$(grep -l -E 'AddressSanitizer|LeakSanitizer|runtime error:' "$state"/logs/*.log 2>/dev/null | tr '\n' ' ')
check "no sanitizer report in the demo's logs${bad:+: $bad}" [ -z "$bad" ]
exit 0
