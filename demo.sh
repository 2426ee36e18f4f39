#!/bin/bash
# Vantage demo (README command one): install what is missing, build, and run a
# monitored fleet on 127.0.0.1: a front door (nginx as a CDN over an origin
# pool), an edge and a central origin whose health can be switched, the
# collector with SLOs, and three agents labelled as regions. Ctrl-C, or
# ./demo.sh --stop DIR from another terminal, stops every process it started
# and nothing else. ./demo.sh --scenario DIR plays the story (README).
set -euo pipefail
cd "$(dirname "$0")"
top=$(pwd -P)

usage() {
	cat <<'EOF'
usage: ./demo.sh [options]               start the demo fleet (foreground)
       ./demo.sh --stop DIR              stop the demo whose state is in DIR
       ./demo.sh --scenario DIR [opts]   play the story against a running demo
       ./demo.sh --build-only            install missing packages, build, exit

Start (installs missing Debian packages, builds in build/ unless the source
tree is configured in place, then starts everything on 127.0.0.1):
  --dir DIR            state dir (configs, DBs, logs, pid and port files);
                       default: a new mktemp dir, removed at Ctrl-C
  --background         return once the fleet is ready; stop it with --stop DIR
  --interval N         seconds between runs of each check (default 5)
  --no-build           do not install packages or build: use an existing build
  --bin-dir DIR        the build tree holding agent/vantage-agent,
                       web/vantage-collector and dist/demo/demo-origin
                       (default: $VANTAGE_BUILDDIR, else the tree demo.sh builds)

Stop:
  --stop DIR           SIGTERM (then, after 15 s, SIGKILL) exactly the processes
                       recorded in DIR/pids/; files in DIR are kept

Scenario (the story: edge origin down, back, front door down, back, cache
bypassed, back):
  --scenario DIR       play it against the demo running with state in DIR
  --scenario-step N    seconds each outage lasts (default 60)
  --resolve-wait N     at the end, wait up to N seconds for the page condition
                       of the front-door SLO to clear (default 420; 0: don't)

  -h, --help           this help

Environment: NGINX (default /usr/sbin/nginx).
EOF
}

die() { echo "demo.sh: $*" >&2; exit 1; }
if [ -t 1 ]; then
	say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
else
	say() { printf '==> %s\n' "$*"; }
fi
is_uint() { case $1 in ''|*[!0-9]*) return 1 ;; esac; }

mode=start
dir=
background=no
do_build=yes
bin_dir=${VANTAGE_BUILDDIR:-}
step=60
resolve_wait=420
interval=5
need_arg() { [ $# -ge 2 ] && [ -n "$2" ] || { echo "demo.sh: $1 needs a value (try --help)" >&2; exit 2; }; }
while [ $# -gt 0 ]; do
	case $1 in
	--dir) need_arg "$@"; dir=$2; shift ;;
	--background) background=yes ;;
	--interval) need_arg "$@"; interval=$2; shift ;;
	--no-build) do_build=no ;;
	--bin-dir) need_arg "$@"; bin_dir=$2; shift ;;
	--stop) need_arg "$@"; mode=stop; dir=$2; shift ;;
	--scenario) need_arg "$@"; mode=scenario; dir=$2; shift ;;
	--scenario-step) need_arg "$@"; step=$2; shift ;;
	--resolve-wait) need_arg "$@"; resolve_wait=$2; shift ;;
	--build-only) mode=build ;;
	-h|--help) usage; exit 0 ;;
	*) echo "demo.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
	esac
	shift
done
for v in "interval=$interval" "scenario-step=$step" "resolve-wait=$resolve_wait"; do
	is_uint "${v#*=}" || { echo "demo.sh: --${v%%=*} must be a whole number of seconds" >&2; exit 2; }
done
[ "$interval" -ge 1 ] && [ "$interval" -le 300 ] ||
	{ echo "demo.sh: --interval must be 1 to 300 seconds" >&2; exit 2; }
[ "$step" -ge 1 ] || { echo "demo.sh: --scenario-step must be at least 1" >&2; exit 2; }

NGINX=${NGINX:-/usr/sbin/nginx}
AGENTS="us-east-1:us-east:aws eu-central-1:eu-central:hetzner ap-south-1:ap-south:digitalocean"
agent_ids() { local a; for a in $AGENTS; do echo "${a%%:*}"; done; }
# stop order: the supervising demo.sh, agents (they flush), then the rest
STOP_ORDER="demo $(agent_ids | tr '\n' ' ')collector nginx edge central sink"

# ---------------------------------------------------------------- processes

# alive PID: the process exists and is not a zombie
alive() {
	local st
	[ -r "/proc/$1/stat" ] || return 1
	st=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1) || return 1
	[ -n "$st" ] && [ "$st" != Z ]
}

# start_time PID: when PID started (clock ticks since boot)
start_time() { sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | awk '{ print $20 }'; }

# ours NAME PID: PID is still the process recorded as NAME (not a reused pid):
# every demo process has the state dir on its command line; the supervising
# demo.sh has its start time recorded next to its pid
ours() {
	local cmd t
	if [ "$1" = demo ]; then
		read -r t 2>/dev/null < "$dir/pids/demo.start" || return 1
		[ -n "$t" ] && [ "$(start_time "$2")" = "$t" ]
		return
	fi
	cmd=$(tr '\0' ' ' 2>/dev/null < "/proc/$2/cmdline") || return 1
	case $cmd in *"$dir/"*) return 0 ;; esac
	return 1
}

recorded_pid() { local p; read -r p 2>/dev/null < "$dir/pids/$1.pid" && is_uint "$p" && echo "$p"; }

# stop_names NAME...: SIGTERM the recorded processes that are still ours,
# wait up to 15 s, SIGKILL what is left, reap our own children
stop_names() {
	local n p left
	local -a live=()
	for n; do
		p=$(recorded_pid "$n") || continue
		[ "$p" = "$$" ] && continue
		if alive "$p" && ours "$n" "$p"; then
			kill -TERM "$p" 2>/dev/null || true
			live+=("$n:$p")
		fi
	done
	[ ${#live[@]} -eq 0 ] && return 0
	for _ in $(seq 1 150); do
		left=0
		for n in "${live[@]}"; do alive "${n#*:}" && left=1; done
		[ "$left" -eq 0 ] && break
		sleep 0.1
	done
	for n in "${live[@]}"; do
		p=${n#*:}
		if alive "$p" && ours "${n%%:*}" "$p"; then
			echo "demo.sh: ${n%%:*} (pid $p) ignored SIGTERM for 15 s: SIGKILL" >&2
			kill -KILL "$p" 2>/dev/null || true
		fi
		wait "$p" 2>/dev/null || true
	done
}

stop_all() {
	# agents first, so their last results are stored; then everything else
	# shellcheck disable=SC2046
	stop_names $(agent_ids)
	stop_names collector nginx edge central sink
}

# start NAME CMD...: run CMD in the background in a session of its own (a
# Ctrl-C reaches only demo.sh, which stops everything in order), output in
# logs/NAME.log, pid in pids/NAME.pid. setsid execs CMD in place: a
# background job of this script is no process group leader, so no fork.
started=()
start() {
	local name=$1
	shift
	setsid "$@" </dev/null >>"$dir/logs/$name.log" 2>&1 &
	echo "$!" > "$dir/pids/$name.pid"
	started+=("$name")
}

show_log() {
	echo "---- $dir/logs/$1.log (last 30 lines) ----" >&2
	tail -n 30 "$dir/logs/$1.log" >&2 2>/dev/null || true
	echo "----" >&2
}

# wait_for NAME SECONDS CMD...: poll CMD every 0.1 s until it succeeds; fail
# if NAME's process exits or SECONDS pass
wait_for() {
	local name=$1 secs=$2 p
	shift 2
	p=$(recorded_pid "$name")
	for _ in $(seq 1 $((secs * 10))); do
		"$@" && return 0
		alive "$p" || { echo "demo.sh: $name exited while starting" >&2; show_log "$name"; return 1; }
		sleep 0.1
	done
	echo "demo.sh: $name not ready after $secs s" >&2
	show_log "$name"
	return 1
}

http_ok() { curl -fsS -o /dev/null --max-time 2 "$1" 2>/dev/null; }
port_of() { local p; read -r p 2>/dev/null < "$dir/ports/$1.port" && is_uint "$p" && echo "$p"; }
env_get() { sed -n "s/^$1=//p" "$dir/demo.env" | head -n 1; }

# a free loopback port below the ephemeral range (nothing answers on it)
free_port() {
	local lo p
	read -r lo _ < /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || lo=32768
	[ "$lo" -gt 12000 ] || lo=32768
	for _ in $(seq 1 50); do
		p=$((10000 + RANDOM % (lo - 10000)))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return 0
		fi
	done
	echo "demo.sh: no free port found" >&2
	return 1
}

# render TEMPLATE OUT KEY=VALUE...: fill @KEY@ placeholders
render() {
	local in=$1 out=$2 kv
	local -a args=()
	shift 2
	for kv; do args+=(-e "s|@${kv%%=*}@|${kv#*=}|g"); done
	sed "${args[@]}" "$in" > "$out.tmp"
	if grep -n '@[A-Z_]*@' "$out.tmp" >&2; then
		die "unfilled placeholder in $out (from $in)"
	fi
	mv "$out.tmp" "$out"
}

# the state dir as an absolute path without surprises for configs
set_dir() {
	[ -n "$dir" ] || die "no state dir given"
	[ -d "$dir" ] || die "$dir: no such directory"
	dir=$(cd "$dir" && pwd -P)
	case $dir in
	*[!A-Za-z0-9._/+-]*) die "$dir: the state dir path may only have letters, digits and . _ - + /" ;;
	esac
}

# ---------------------------------------------------------------- --stop

if [ "$mode" = stop ]; then
	set_dir
	[ -d "$dir/pids" ] || die "$dir is not a demo state dir (no pids/)"
	# a foreground demo.sh cleans up after itself once told to
	p=$(recorded_pid demo) || true
	if [ -n "${p:-}" ] && alive "$p" && ours demo "$p"; then
		stop_names demo
	fi
	stop_all
	for n in $STOP_ORDER; do
		p=$(recorded_pid "$n") || continue
		if alive "$p" && ours "$n" "$p"; then die "$n (pid $p) is still running"; fi
	done
	if [ -d "$dir" ]; then
		echo "demo.sh: stopped the demo in $dir (files kept)"
	else
		echo "demo.sh: stopped the demo (its demo.sh removed $dir)"
	fi
	exit 0
fi

# ---------------------------------------------------------------- --scenario

if [ "$mode" = scenario ]; then
	set_dir
	[ -f "$dir/demo.env" ] || die "$dir is not a running demo's state dir (no demo.env)"
	for n in $STOP_ORDER; do
		[ "$n" = demo ] && continue
		p=$(recorded_pid "$n") || die "$dir: no pid recorded for $n"
		alive "$p" && ours "$n" "$p" || die "the demo in $dir is not running ($n is gone): start it first"
	done
	command -v jq >/dev/null && command -v column >/dev/null ||
		die "jq and column are needed (scripts/install-deps.sh demo)"
	FD=$(env_get FRONT_DOOR)
	EDGE=$(env_get EDGE)
	CENTRAL=$(env_get CENTRAL)
	COLL=$(env_get COLLECTOR)
	ival=$(env_get INTERVAL)
	nginx_pid=$(recorded_pid nginx)
	sc=$dir/scenario
	mkdir -p "$sc"
	: > "$sc/events.tsv"
	evidence_secs=$((30 + 3 * ival))
	now_ms() { date +%s%3N; }
	event() { printf '%s\t%s\n' "$(now_ms)" "$1" >> "$sc/events.tsv"; }
	api() { curl -fsS --max-time 5 "$COLL$1"; }
	snapshot() { api /api/v1/slos > "$sc/$1.slos.json.tmp" && mv "$sc/$1.slos.json.tmp" "$sc/$1.slos.json"; }
	hdr() { echo; say "$*"; }
	note() { printf '    %s\n' "$@"; }

	slo_table() {
		{
			echo "SLO objective availability budget_left burn_5m burn_1h page ticket"
			api /api/v1/slos | jq -r '
			  def r(d): if . == null then "-" else (. * d | round / d | tostring) end;
			  def pct: if . == null then "-" else ((. * 100) | r(1000) | tostring) + "%" end;
			  .slos[] | [.name, ((.objective * 100 | r(1000) | tostring) + "%"),
			    (.availability | pct), (.budget_remaining | r(100)),
			    (.burn_rates["5m"] | r(10)), (.burn_rates["1h"] | r(10)),
			    (if any(.alerts[]; .severity == "page" and .firing) then "FIRING" else "-" end),
			    (if any(.alerts[]; .severity == "ticket" and .firing) then "FIRING" else "-" end)]
			  | @tsv' | tr '\t' ' '
		} | column -t | sed 's/^/    /'
	}
	status_table() {
		{
			echo "check us-east eu-central ap-south"
			api /api/v1/status | jq -r '
			  .results | group_by(.check)[] |
			  (map({(.region): (if .ok then "ok" else "FAIL:" + (.error_class // "?") end)}) | add) as $r |
			  [.[0].check, ($r["us-east"] // "-"), ($r["eu-central"] // "-"), ($r["ap-south"] // "-")] | @tsv' |
			  tr '\t' ' '
		} | column -t | sed 's/^/    /'
	}
	# counts LAYER: "ok bad": runs of the layer's checks so far, summed over
	# the agents' own counters (no shipping delay)
	counts() {
		local names u
		names=$(jq -r --arg l "$1" '[.checks[] | select(.layer == $l) | .name] | join(" ")' \
			"$dir/collector.json")
		for u in $(sed -n 's/^AGENT_[A-Z0-9_]*=//p' "$dir/demo.env"); do
			curl -fsS --max-time 5 "$u/metrics" || true
		done | awk -v names=" $names " '
		  /^vantage_agent_check_results_total\{/ {
		    if (!match($0, /check="[^"]*"/)) next
		    if (!index(names, " " substr($0, RSTART + 7, RLENGTH - 8) " ")) next
		    if (index($0, "result=\"ok\"")) ok += $NF; else bad += $NF }
		  END { printf "%d %d\n", ok, bad }'
	}
	# front door's answer right now: "200 via central origin (127.0.0.1:N)"
	front_door_says() {
		local h code up who
		h=$(curl -s -o /dev/null -D - --max-time 5 "$FD/healthz" | tr -d '\r') || true
		code=$(printf '%s\n' "$h" | awk 'NR == 1 { print $2 }')
		up=$(printf '%s\n' "$h" | sed -n 's/^[Xx]-[Uu]pstream: *//p')
		case $up in
		"") who="answered by the front door itself" ;;
		"${EDGE#http://}") who="from the edge origin ($up)" ;;
		"${CENTRAL#http://}") who="from the central origin ($up)" ;;
		*", ${CENTRAL#http://}") who="edge failed, retried on the central origin ($up)" ;;
		*) who="via $up" ;;
		esac
		echo "${code:-no answer} $who"
	}
	# play_for SECONDS: let the story run, showing the front door every 5 s
	play_for() {
		local end=$((SECONDS + $1)) t0=$SECONDS left
		while [ "$SECONDS" -lt "$end" ]; do
			left=$((end - SECONDS))
			sleep $((left < 5 ? left : 5))
			printf '    t+%3ds  front door /healthz: %s\n' $((SECONDS - t0)) "$(front_door_says)"
		done
	}
	# until SECONDS WHAT JQ: poll /api/v1/slos until the jq filter is true
	until_slos() {
		local secs=$1 what=$2 filter=$3
		for _ in $(seq 1 "$secs"); do
			api /api/v1/slos | jq -e "$filter" >/dev/null 2>&1 && return 0
			sleep 1
		done
		echo "demo.sh: the collector did not show $what within $secs s" >&2
		return 1
	}
	until_status() {
		local secs=$1 what=$2 filter=$3
		for _ in $(seq 1 "$secs"); do
			api /api/v1/status | jq -e "$filter" >/dev/null 2>&1 && return 0
			sleep 1
		done
		echo "demo.sh: the collector did not show $what within $secs s" >&2
		return 1
	}
	# alerts_table SLO: its burn-rate conditions
	alerts_table() {
		{
			echo "severity long short factor burn_long burn_short firing"
			api "/api/v1/slos/$1" | jq -r '.alerts[] | [.severity, .long, .short, .factor,
			    ((.burn_long // 0) * 10 | round / 10), ((.burn_short // 0) * 10 | round / 10),
			    .firing] | @tsv' | tr '\t' ' '
		} | column -t | sed 's/^/    /'
	}
	slo() { printf '.slos[] | select(.name == "%s")' "$1"; }
	FDA=micro-front-door-availability
	EDA=micro-edge-origin-availability
	set_edge() { curl -fsS --max-time 5 -X POST "$EDGE/_control?mode=$1" >/dev/null; }
	# set_front_door up|down|bypass: swap nginx's config and reload it, wait
	# for the answer (bypass: /api/hello says X-Cache: BYPASS)
	set_front_door() {
		local want=200
		[ "$1" = down ] && want=503
		[ -f "$dir/nginx-$1.conf" ] ||
			die "$dir/nginx-$1.conf is missing: restart the demo with this demo.sh"
		cp "$dir/nginx-$1.conf" "$dir/nginx.conf.tmp"
		mv "$dir/nginx.conf.tmp" "$dir/nginx.conf"
		alive "$nginx_pid" && ours nginx "$nginx_pid" || die "nginx is not running"
		kill -HUP "$nginx_pid"
		for _ in $(seq 1 100); do
			if [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$FD/healthz")" = "$want" ]; then
				[ "$1" != bypass ] || x_cache | grep -qx BYPASS && return 0
			fi
			sleep 0.1
		done
		die "the front door did not answer $want within 10 s after the reload (see $dir/logs/nginx.log)"
	}
	# X-Cache of the front door's /api/hello right now
	x_cache() {
		curl -s -o /dev/null -D - --max-time 5 "$FD/api/hello" | tr -d '\r' |
			sed -n 's/^[Xx]-[Cc]ache: *//p'
	}
	# cache_table: the front-door checks' cache-hit ratio over the last minute
	cache_table() {
		{
			echo "check region hit_ratio hits lookups bypass"
			api "/api/v1/cache?by=check_region&layer=front_door&from=1m" | jq -r '
			  .rows[] | select(.lookups > 0) | [.check, .region,
			    ((.hit_ratio * 1000 | round) / 10 | tostring) + "%", .hits, .lookups,
			    .statuses.bypass] | @tsv' | tr '\t' ' '
		} | column -t | sed 's/^/    /'
	}
	# incidents of the rule front-door-cache: "status check" lines
	CACHE_RULE=front-door-cache
	cache_incidents() {
		api /api/v1/incidents | jq -r --arg r "$CACHE_RULE" \
			'.incidents[] | select(.rule == $r) | "\(.status) \(.target)"'
	}
	# until_cache_incident SECONDS open|resolved: wait until one incident of
	# the rule is open / none is open any more (and one resolved)
	until_cache_incident() {
		local secs=$1 want=$2 t
		for _ in $(seq 1 "$secs"); do
			t=$(cache_incidents 2>/dev/null) || t=
			case $want in
			open) printf '%s\n' "$t" | grep -q '^open ' && return 0 ;;
			resolved) printf '%s\n' "$t" | grep -q '^open ' ||
				{ printf '%s\n' "$t" | grep -q '^resolved ' && return 0; } ;;
			esac
			sleep 1
		done
		echo "demo.sh: the collector did not show the $CACHE_RULE incident $want within $secs s" >&2
		return 1
	}
	incident_table() {
		{
			echo "id status severity title"
			api /api/v1/incidents | jq -r --arg r "$CACHE_RULE" '.incidents[] |
			  select(.rule == $r) | [.id, .status, .severity, .title] | @tsv'
		} | column -t -s $'\t' | sed 's/^/    /'
	}
	# the rule's window is 1m, read from whole minutes: up to 2 minutes of
	# data, so the ratio crosses 0.5 within about 30 to 65 s of a change
	cache_secs=$((90 + 2 * ival))
	finished=no
	restore() {
		local rc=$?
		trap - EXIT INT TERM
		if [ "$finished" = no ]; then
			echo
			echo "demo.sh: scenario interrupted: bringing the edge origin and the front door back up" >&2
			set_edge up || true
			set_front_door up || true
			[ "$rc" -eq 0 ] && rc=1
		fi
		exit "$rc"
	}
	trap restore EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM

	event start
	hdr "The story, against the demo in $dir (outages of $step s; checks run every $ival s)"
	note "SLOs: $COLL/api/v1/slos   latest results: $COLL/api/v1/status" \
	     "front door access log (which origin answered): tail -f $dir/logs/front-door-access.log"
	hdr "0. Now: every check green from every region"
	status_table
	slo_table
	snapshot start

	hdr "1. The edge origin goes down (it answers 503 to everything)"
	set_edge down
	event edge-down
	read -r fd_ok0 fd_bad0 < <(counts front_door)
	read -r ed_ok0 ed_bad0 < <(counts edge)
	note "The front door retries each request on the central origin (proxy_next_upstream)" \
	     "and leaves the edge alone for 5 s (max_fails=1 fail_timeout=5s): users see no error."
	play_for "$step"
	until_slos "$evidence_secs" "the edge origin's burn" \
		"$(slo "$EDA") | .burn_rates[\"5m\"] > 0" || true
	read -r fd_ok1 fd_bad1 < <(counts front_door)
	read -r ed_ok1 ed_bad1 < <(counts edge)
	note "Latest result of each check per region (the edge FAILs, the front door stays ok):"
	status_table
	note "Runs since the edge went down: front door $((fd_ok1 - fd_ok0)) ok, $((fd_bad1 - fd_bad0)) failed;" \
	     "edge origin $((ed_ok1 - ed_ok0)) ok, $((ed_bad1 - ed_bad0)) failed."
	note "SLOs: the edge origin's budget burns (burn_5m > 0, budget_left < 1);" \
	     "the front door's does not (burn_5m 0): the failover worked."
	slo_table
	snapshot edge-down

	hdr "2. The edge origin comes back"
	set_edge up
	event edge-up
	until_status "$evidence_secs" "the edge origin green again" \
		'[.results[] | select(.layer == "edge") | .ok] | length > 0 and all' || true
	note "The edge checks are green again; its SLO keeps the spent budget (budget_left stays < 1)."
	status_table

	hdr "3. The front door itself fails (nginx reloaded with a config that answers 503)"
	set_front_door down
	event front-door-down
	read -r fd_ok0 fd_bad0 < <(counts front_door)
	note "No origin can help now: every front-door check fails from every region."
	play_for "$step"
	until_slos "$evidence_secs" "the front door's 1h/5m page condition" \
		"$(slo "$FDA") | any(.alerts[]; .long == \"1h\" and .short == \"5m\" and .firing)" || true
	read -r fd_ok1 fd_bad1 < <(counts front_door)
	note "Runs since the front door failed: $((fd_ok1 - fd_ok0)) ok, $((fd_bad1 - fd_bad0)) failed."
	status_table
	note "SLOs: the front door burns its 99.95 % budget fast (burn_5m in the hundreds or thousands):"
	slo_table
	note "The burn-rate conditions of $FDA (firing = both windows above the factor):"
	alerts_table "$FDA"
	note "Alert notifications (webhooks) arrive with the alerting feature; today the API shows" \
	     "the conditions (\"firing\": true) and /metrics the burn rates (vantage_slo_burn_rate)."
	snapshot front-door-down

	hdr "4. The front door recovers"
	set_front_door up
	event front-door-up
	until_status "$evidence_secs" "the front door green again" \
		'[.results[] | select(.layer == "front_door") | .ok] | length > 0 and all' || true
	status_table

	hdr "5. The front door stops caching (nginx reloaded with proxy_cache_bypass and proxy_no_cache)"
	note "Front door /api/hello before: X-Cache: $(x_cache)" \
	     "The front-door checks' cache-hit ratio over the last minute (/api/v1/cache):"
	cache_table
	set_front_door bypass
	event cache-bypass
	note "Every page still answers 200, but every request now goes to the origins:" \
	     "front door /api/hello: X-Cache: $(x_cache)"
	play_for "$step"
	note "Waiting (up to $cache_secs s) for the cache_hit_drop rule $CACHE_RULE (hit ratio under 0.5" \
	     "over 1m in 2 regions) to open its incident:"
	until_cache_incident "$cache_secs" open || true
	event cache-incident-open
	cache_table
	incident_table
	snapshot cache-bypass

	hdr "6. The cache is back (nginx reloaded with the caching config)"
	set_front_door up
	event cache-restored
	note "front door /api/hello: X-Cache: $(x_cache), then HIT until the 10 s are up"
	until_cache_incident "$cache_secs" resolved || true
	event cache-incident-resolved
	note "The ratio is over 0.5 again in the window; the incident resolves:"
	cache_table
	incident_table

	if [ "$resolve_wait" -gt 0 ]; then
		fast="$(slo "$FDA") | .alerts[] | select(.long == \"1h\" and .short == \"5m\")"
		hdr "7. Waiting (up to $resolve_wait s) for the fast page condition (1h and 5m) to resolve"
		note "It needs both the 1h and the 5m burn above 14.4: the 1h window still holds the" \
		     "outage, the 5m window forgets it 5 to 6 minutes after it ended."
		end=$((SECONDS + resolve_wait))
		resolved=no
		while [ "$SECONDS" -lt "$end" ]; do
			if api /api/v1/slos | jq -e "$fast | .firing | not" >/dev/null 2>&1; then
				resolved=yes
				break
			fi
			b=$(api /api/v1/slos | jq -r "$fast | .burn_short // 0 | . * 10 | round / 10") || b="?"
			printf '    %s  1h/5m page pair still firing: burn_5m %s (needs <= 14.4)\n' "$(date +%T)" "$b"
			s=$((end - SECONDS))
			[ "$s" -gt 15 ] && s=15
			[ "$s" -lt 1 ] && s=1
			sleep "$s"
		done
		event "page-resolved-$resolved"
		if [ "$resolved" = yes ]; then
			note "Resolved: the 1h/5m page pair is no longer met. The slower pairs hold the outage" \
			     "longer: the 6h/30m page pair about 30 minutes, the ticket pairs (1d/2h, 3d/6h)" \
			     "hours: the month's budget really was spent."
		else
			note "Still firing after $resolve_wait s; it resolves once the 5m window no longer holds the outage."
		fi
		note "The burn-rate conditions of $FDA now:"
		alerts_table "$FDA"
	fi

	hdr "Summary"
	slo_table
	note "Front door: its own outage spent its budget; the edge outage did not touch it;" \
	     "the cache bypass did not either (every page answered) but opened a cache incident." \
	     "Edge origin: its budget burned while it was down. Central origin: untouched." \
	     "Events (Unix ms) and SLO snapshots of each step: $sc/"
	note "Incidents (each opened once and notified once per receiver; see logs/sink.log):"
	curl -fsS --max-time 5 "$COLL/api/v1/incidents" 2>/dev/null |
		jq -r '.incidents[] | [.id, .status, .severity, .title,
		    (.context // ""), ([.deliveries[] | .receiver + ":" + .event + ":" +
		    .status] | join(" "))] | @tsv' 2>/dev/null | column -t -s $'\t' || true
	snapshot end
	event end
	finished=yes
	exit 0
fi

# ---------------------------------------------------------------- build

if [ "$do_build" = yes ]; then
	say "installing missing Debian packages (if any)"
	sh scripts/install-deps.sh build demo

	say "building"
	if [ -f config.status ]; then
		build=$top		# configured in place by hand: use that
	else
		[ -x configure ] || autoreconf -fi >/dev/null
		build=$top/build
		mkdir -p "$build"
		[ -f "$build/Makefile" ] || (cd "$build" && "$top/configure" -q)
	fi
	make -C "$build" -j"$(nproc)" >/dev/null
	[ -n "$bin_dir" ] || bin_dir=$build
fi
[ "$mode" = build ] && { say "built in ${bin_dir:-$top}"; exit 0; }

if [ -z "$bin_dir" ]; then
	if [ -f config.status ]; then bin_dir=$top; else bin_dir=$top/build; fi
fi
agent=$bin_dir/agent/vantage-agent
collector=$bin_dir/web/vantage-collector
origin=$bin_dir/dist/demo/demo-origin
for b in "$agent" "$collector" "$origin"; do
	[ -x "$b" ] || die "$b: not built (run ./demo.sh without --no-build, or make)"
done
[ -x "$NGINX" ] || die "$NGINX: not found: install nginx-light (scripts/install-deps.sh demo)"
for c in curl jq column; do
	command -v "$c" >/dev/null || die "$c: not found (scripts/install-deps.sh demo)"
done

# ---------------------------------------------------------------- start

own_dir=no
if [ -z "$dir" ]; then
	dir=$(mktemp -d "${TMPDIR:-/tmp}/vantage-demo.XXXXXX")
	[ "$background" = no ] && own_dir=yes
else
	mkdir -p "$dir"
fi
set_dir
for n in $STOP_ORDER; do
	p=$(recorded_pid "$n") || continue
	if alive "$p" && ours "$n" "$p"; then
		die "a demo is already running in $dir ($n, pid $p): ./demo.sh --stop $dir"
	fi
done
mkdir -p "$dir/pids" "$dir/ports" "$dir/logs" "$dir/keys" "$dir/agents" "$dir/nginx"
rm -f "$dir"/pids/* "$dir"/ports/*.port "$dir/demo.env"

on_exit() {
	local rc=$?
	trap - EXIT INT TERM
	if [ ${#started[@]} -gt 0 ]; then
		echo
		say "stopping the demo"
		stop_all
	fi
	if [ "$own_dir" = yes ]; then
		rm -rf "$dir"
	elif [ ${#started[@]} -gt 0 ] && [ -d "$dir" ]; then
		echo "demo.sh: files kept in $dir"
	fi
	exit "$rc"
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
if [ "$background" = no ]; then
	echo "$$" > "$dir/pids/demo.pid"
	start_time "$$" > "$dir/pids/demo.start"
fi

# one random key per agent, shared with the collector through files
(
	umask 077
	for id in $(agent_ids) webhook; do
		od -An -N24 -tx1 /dev/urandom | tr -d ' \n' > "$dir/keys/$id"
	done
)

say "starting the alert sink (prints every notification: logs/sink.log)"
start sink "$origin" --name sink --sink --site "$top/dist/demo/site" \
	--portfile "$dir/ports/sink.port"
wait_for sink 10 port_of sink >/dev/null
sink_port=$(port_of sink)

say "starting the edge and central origins"
for o in edge central; do
	start "$o" "$origin" --name "$o" --site "$top/dist/demo/site" --portfile "$dir/ports/$o.port"
done
for o in edge central; do
	wait_for "$o" 10 port_of "$o" >/dev/null
done
edge_port=$(port_of edge)
central_port=$(port_of central)

say "starting the front door (nginx)"
if [ "$(id -u)" = 0 ]; then
	ngx_user="user root root;"
else
	ngx_user="# (not root: the workers run as $(id -un))"
fi
for attempt in 1 2 3 4 5; do
	fd_port=$(free_port)
	for c in up down bypass; do
		t=nginx.conf.in
		[ "$c" = up ] || t=nginx-$c.conf.in
		render "$top/dist/demo/$t" "$dir/nginx-$c.conf" PORT="$fd_port" \
			EDGE="$edge_port" CENTRAL="$central_port" RUN="$dir" NGINX_USER="$ngx_user"
		"$NGINX" -t -q -c "$dir/nginx-$c.conf" -e "$dir/logs/nginx.log" ||
			die "nginx rejects $dir/nginx-$c.conf (see above)"
	done
	cp "$dir/nginx-up.conf" "$dir/nginx.conf"
	start nginx "$NGINX" -c "$dir/nginx.conf" -e "$dir/logs/nginx.log"
	if wait_for nginx 10 http_ok "http://127.0.0.1:$fd_port/healthz" 2>/dev/null; then
		break
	fi
	p=$(recorded_pid nginx)
	if ! alive "$p" && grep -q 'Address already in use' "$dir/logs/nginx.log" && [ "$attempt" -lt 5 ]; then
		echo "demo.sh: port $fd_port was taken meanwhile; trying another" >&2
		continue
	fi
	show_log nginx
	die "the front door did not start"
done
echo "$fd_port" > "$dir/ports/front-door.port"

say "starting the collector"
render "$top/dist/demo/collector.json.in" "$dir/collector.json" RUN="$dir" \
	PORT="$fd_port" EDGE="$edge_port" CENTRAL="$central_port" SINK="$sink_port" \
	INTERVAL="${interval}s" TIMEOUT="$((interval < 3 ? interval : 3))s"
"$collector" -c "$dir/collector.json" --check-config >/dev/null ||
	die "$dir/collector.json does not validate (see above)"
start collector "$collector" -c "$dir/collector.json" --portfile "$dir/ports/collector.port" \
	--evaluate-every 2s
wait_for collector 15 port_of collector >/dev/null
coll_port=$(port_of collector)
wait_for collector 15 http_ok "http://127.0.0.1:$coll_port/healthz"
nchecks=$(jq '.checks | length' "$dir/collector.json")

say "starting three agents (us-east, eu-central, ap-south)"
for a in $AGENTS; do
	IFS=: read -r id region provider <<< "$a"
	render "$top/dist/demo/agent.json.in" "$dir/agents/$id.json" RUN="$dir" \
		ID="$id" REGION="$region" PROVIDER="$provider" COLLECTOR="$coll_port"
	"$agent" -c "$dir/agents/$id.json" --check-config >/dev/null ||
		die "$dir/agents/$id.json does not validate (see above)"
	start "$id" "$agent" -c "$dir/agents/$id.json" --portfile "$dir/ports/$id.port"
done
# ready: every agent listens and runs the checks it pulled from the collector
agent_ready() {
	local p
	p=$(port_of "$1") || return 1
	[ "$(curl -fsS --max-time 2 "http://127.0.0.1:$p/healthz" 2>/dev/null |
		jq -r '.checks_remote // 0' 2>/dev/null)" = "$nchecks" ]
}
for id in $(agent_ids); do
	wait_for "$id" 30 agent_ready "$id"
done

{
	echo "FRONT_DOOR=http://127.0.0.1:$fd_port"
	echo "EDGE=http://127.0.0.1:$edge_port"
	echo "CENTRAL=http://127.0.0.1:$central_port"
	echo "COLLECTOR=http://127.0.0.1:$coll_port"
	echo "SINK=http://127.0.0.1:$sink_port"
	echo "INTERVAL=$interval"
	for id in $(agent_ids); do
		echo "AGENT_$(echo "$id" | tr 'a-z-' 'A-Z_')=http://127.0.0.1:$(port_of "$id")"
	done
} > "$dir/demo.env.tmp"
mv "$dir/demo.env.tmp" "$dir/demo.env"

C=http://127.0.0.1:$coll_port
cat <<MSG

  The demo fleet runs on 127.0.0.1 (checks every ${interval} s from three regions):

  front door (nginx)  http://127.0.0.1:$fd_port/   (edge origin first, central origin as backup)
  edge origin         http://127.0.0.1:$edge_port/healthz
  central origin      http://127.0.0.1:$central_port/healthz
  dashboard           $C/
  collector API       $C/api/v1/slos      SLOs: availability, budget, burn rates
                      $C/api/v1/status    latest result of each check x region
                      $C/api/v1/agents    the three agents
                      $C/api/v1/incidents incidents and the notifications sent
                      $C/metrics          Prometheus text
  alert sink          tail -f $dir/logs/sink.log   (every notification, as sent)
MSG
for a in $AGENTS; do
	IFS=: read -r id region provider <<< "$a"
	printf '  agent %-13s http://127.0.0.1:%s/metrics   (%s, %s)\n' "$id" "$(port_of "$id")" "$region" "$provider"
done
cat <<MSG

  Try:        curl -s $C/api/v1/slos | jq '.slos[] | {name, availability, budget_remaining, burn_5m: .burn_rates["5m"]}'
  Break it:   curl -X POST 'http://127.0.0.1:$edge_port/_control?mode=down'   (up, down, slow&delay_ms=N, flaky&error_rate=F)
  The story:  ./demo.sh --scenario $dir   (from another terminal; see README)
  State:      $dir (configs, DBs, logs/, pids/)

MSG
if [ "$background" = yes ]; then
	echo "  Stop:       ./demo.sh --stop $dir"
	started=()
	trap - EXIT INT TERM
	exit 0
fi
echo "  Stop:       Ctrl-C here, or ./demo.sh --stop $dir"
echo

pids=()
for n in "${started[@]}"; do pids+=("$(recorded_pid "$n")"); done
wait -n "${pids[@]}" || true
for n in "${started[@]}"; do
	p=$(recorded_pid "$n")
	alive "$p" || { echo "demo.sh: $n exited (see $dir/logs/$n.log)" >&2; break; }
done
exit 1
