#!/bin/sh
# Install the dashboard's npm packages (web/package.json, pinned by
# web/package-lock.json) into BUILDDIR/web/node_modules with "npm ci", unless
# the locked versions are there already. Used by the build (uPlot, which is
# built into vantage-collector) and, with --dev, by the browser tests
# (playwright-core).
# usage: npm-deps.sh SRCDIR BUILDDIR [--dev]
set -eu
src=$1
build=$2
dev=${3:-}
web=$build/web
npm=${NPM:-npm}

# the version package-lock.json pins for node_modules/NAME
locked() {
	awk -v k="\"node_modules/$1\"" '
		index($0, k ":") { found = 1; next }
		found && /"version"/ { gsub(/.*"version": *"|".*/, ""); print; exit }
	' "$web/package-lock.json"
}
installed() {
	f=$web/node_modules/$1/package.json
	[ -r "$f" ] || return 0
	sed -n 's/.*"version": *"\([^"]*\)".*/\1/p' "$f" | head -n 1
}
up_to_date() {
	for p in "$@"; do
		want=$(locked "$p")
		[ -n "$want" ] && [ "$(installed "$p")" = "$want" ] || return 1
	done
}

mkdir -p "$web"
if [ "$(cd "$src/web" && pwd -P)" != "$(cd "$web" && pwd -P)" ]; then
	for f in package.json package-lock.json; do
		cmp -s "$src/web/$f" "$web/$f" 2>/dev/null || {
			rm -f "$web/$f"
			cp "$src/web/$f" "$web/$f"
			chmod u+w "$web/$f"
		}
	done
fi
pkgs=uplot
[ "$dev" = --dev ] && pkgs="uplot playwright-core"
# shellcheck disable=SC2086
up_to_date $pkgs && exit 0

fix="install Node.js and npm (Debian: scripts/install-deps.sh, or apt-get install nodejs npm) and make sure the npm registry is reachable, or build with make UPLOT_DIST=DIR (a directory holding uPlot's dist/ files; README, Dashboard)"
if ! command -v "$npm" >/dev/null 2>&1; then
	echo "npm-deps: the dashboard needs uPlot from npm (web/package-lock.json), but '$npm' is not installed: $fix" >&2
	exit 1
fi
omit=--omit=dev
[ "$dev" = --dev ] && omit=
echo "npm-deps: npm ci $omit in $web" >&2
# shellcheck disable=SC2086
if ! (cd "$web" && "$npm" ci $omit --no-audit --no-fund --loglevel=error >&2); then
	echo "npm-deps: 'npm ci' failed in $web (its message is above): $fix" >&2
	exit 1
fi
# shellcheck disable=SC2086
up_to_date $pkgs || {
	echo "npm-deps: npm ci did not install the locked versions of: $pkgs" >&2
	exit 1
}
