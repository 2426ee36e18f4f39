#!/bin/sh
# Install the Debian packages Vantage needs that are missing (Debian 12).
# usage: scripts/install-deps.sh [build] [test] [demo] [bench]   (default: build)
set -eu

build="build-essential autoconf automake pkg-config libcurl4-openssl-dev
libsqlite3-dev libmicrohttpd-dev libjansson-dev libssl-dev check"
# the build runs npm ci for the dashboard (uPlot, web/package-lock.json); a
# Node.js installed otherwise (nodesource, nvm) brings its own npm
command -v npm >/dev/null 2>&1 || build="$build nodejs npm"
# chromium: the dashboard's browser tests (tests/browser/, headless)
test="sqlite3 openssl prometheus nginx-light curl jq bsdextrautils tzdata chromium"
demo="nginx-light curl jq bsdextrautils"
bench="nginx-light apache2-utils prometheus-blackbox-exporter monitoring-plugins-basic
chromium"

want=""
[ $# -eq 0 ] && set -- build
for group in "$@"; do
	case $group in
	build) want="$want $build" ;;
	test) want="$want $build $test" ;;
	demo) want="$want $build $demo" ;;
	bench) want="$want $build $bench" ;;
	*) echo "install-deps: unknown group '$group' (build, test, demo, bench)" >&2; exit 2 ;;
	esac
done

missing=""
for p in $want; do
	case " $missing " in *" $p "*) continue ;; esac
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

echo "install-deps: installing:$missing" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null || { echo "install-deps: run as root or install sudo" >&2; exit 1; }
	SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
