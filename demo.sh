#!/bin/bash
# Vantage demo (README command one): install what is missing, build, start a
# local front door (nginx on 127.0.0.1) and a vantage-agent probing it.
# Ctrl-C stops everything this script started, and nothing else.
# usage: ./demo.sh [--once]     --once: one round of checks, then exit
set -euo pipefail
cd "$(dirname "$0")"
top=$(pwd)
once=no
case "${1:-}" in
--once) once=yes ;;
"") ;;
-h|--help) sed -n '2,5p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
*) echo "demo.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
esac

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

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
agent=$build/agent/vantage-agent

run=$(mktemp -d "${TMPDIR:-/tmp}/vantage-demo.XXXXXX")
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	rm -rf "$run"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# a free loopback port: nothing answers on it
free_port() {
	local p
	for _ in $(seq 1 50); do
		p=$((20000 + RANDOM % 40000))
		if ! (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null; then
			echo "$p"
			return 0
		fi
	done
	echo "demo.sh: no free port found" >&2
	return 1
}

port=$(free_port)
mkdir -p "$run/tmp"
sed -e "s|@PORT@|$port|g" -e "s|@RUN@|$run|g" -e "s|@ROOT@|$top/dist/demo/site|g" \
	dist/demo/nginx.conf.in > "$run/nginx.conf"
sed -e "s|@PORT@|$port|g" -e "s|@RUN@|$run|g" dist/demo/agent.json.in > "$run/agent.json"

say "starting the front door: nginx on http://127.0.0.1:$port/"
/usr/sbin/nginx -c "$run/nginx.conf" -e "$run/nginx-error.log" &
pids+=($!)
for _ in $(seq 1 100); do
	(exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break
	sleep 0.05
done

say "one round of checks (vantage-agent --once): one JSON result per line"
"$agent" -c "$run/agent.json" --once | tee "$run/once.jsonl" |
	jq -r '[.check, (if .ok then "ok" else "FAIL " + .error_class end),
	        (.status // "-" | tostring), ((.total_us / 1000 | tostring) + " ms"),
	        (.error // "")] | @tsv' | column -t -s $'\t'
[ "$once" = yes ] && exit 0

say "starting vantage-agent as a daemon (checks every 10 s)"
"$agent" -c "$run/agent.json" --portfile "$run/agent.port" &
pids+=($!)
for _ in $(seq 1 200); do [ -s "$run/agent.port" ] && break; sleep 0.05; done
aport=$(cat "$run/agent.port")
cat <<MSG

  agent health:   curl http://127.0.0.1:$aport/healthz
  agent metrics:  curl http://127.0.0.1:$aport/metrics
  results DB:     sqlite3 $run/agent.db 'select seq, check_name, ok, error_class from results'
  front door:     http://127.0.0.1:$port/

  Ctrl-C stops nginx and the agent (and removes $run).

MSG
wait "${pids[1]}"
