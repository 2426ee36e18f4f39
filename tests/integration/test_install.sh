#!/bin/sh
# test_install: "make install DESTDIR=..." puts the binaries, man pages,
# systemd units, example configs and schemas where the units and the docs
# say, the units start the installed binaries with the installed config
# path, the installed binaries accept the installed examples, and
# "make uninstall" takes it all away again.
#
# Run by "make check" (Makefile.am passes the configured directories in
# VANTAGE_BINDIR, VANTAGE_MANDIR, ...); prints a Check-style summary line.
set -u

: "${VANTAGE_BUILDDIR:?run me through make check}"
: "${VANTAGE_BINDIR:?}" "${VANTAGE_MANDIR:?}" "${VANTAGE_SYSCONFDIR:?}"
: "${VANTAGE_DOCDIR:?}" "${VANTAGE_PKGDATADIR:?}" "${VANTAGE_VERSION:?}"
unitdir=${VANTAGE_UNITDIR:-}	# empty: configured --without-systemdsystemunitdir
make=${MAKE:-make}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/vantage-install.XXXXXX") || exit 99
keep=${VANTAGE_KEEP_TMP:-}
trap '[ -n "$keep" ] && echo "kept $tmp" >&2 || rm -rf "$tmp"' EXIT
dest=$tmp/root

checks=0
failures=0
pass() { checks=$((checks + 1)); }
fail() {
	checks=$((checks + 1))
	failures=$((failures + 1))
	echo "test_install: FAIL: $*" >&2
}
# expect DESCRIPTION COMMAND...: one check, passed when COMMAND succeeds
expect() {
	desc=$1
	shift
	if "$@"; then pass; else fail "$desc"; fi
}
summary() {
	pct=100
	[ "$checks" -gt 0 ] && pct=$(((checks - failures) * 100 / checks))
	echo "${pct}%: Checks: $checks, Failures: $failures, Errors: 0"
	[ "$failures" -eq 0 ]
	exit $?
}

# A nested make of its own: not part of the jobserver of the make check
# that runs this script.
run_make() {
	(unset MAKEFLAGS MFLAGS MAKELEVEL GNUMAKEFLAGS
	 "$make" -s -C "$VANTAGE_BUILDDIR" "$@" DESTDIR="$dest") \
		>"$tmp/make.log" 2>&1
}

if ! run_make install; then
	fail "make install DESTDIR=$dest failed; its output:"
	cat "$tmp/make.log" >&2
	summary
fi
pass

# What Makefile.am installs (bin_PROGRAMS, dist_man1_MANS, ...), by base
# name, plus what must be there whatever the lists say.
names() { for f in "$@"; do basename "$f"; done; }
# shellcheck disable=SC2086
programs=$(names vantage-agent vantage-collector vantage-report \
	${VANTAGE_INSTALL_PROGRAMS:-} | sort -u)
# shellcheck disable=SC2086
mans=$(names vantage-agent.1 vantage-collector.1 vantage-report.1 \
	${VANTAGE_INSTALL_MANS:-} | sort -u)

# ---- binaries ----
for b in $programs; do
	bin=$dest$VANTAGE_BINDIR/$b
	expect "$bin is not an executable file" test -f "$bin" -a -x "$bin"
	out=$("$bin" --version 2>&1)
	expect "$bin --version said '$out', want '$b $VANTAGE_VERSION'" \
		test "$out" = "$b $VANTAGE_VERSION"
	# every installed program has its man page
	case " $(echo $mans) " in
	*" $b.1 "*) pass ;;
	*) fail "$b is installed but has no man page (dist/man/$b.1 in dist_man1_MANS)" ;;
	esac
done

# ---- man pages: "man vantage-agent" works once installed ----
for m in $mans; do
	b=${m%.1}
	page=$dest$VANTAGE_MANDIR/man1/$m
	expect "$page missing" test -f "$page"
	expect "$page has no .TH line for $b" \
		grep -qi "^\.TH $b 1" "$page"
	if command -v man >/dev/null 2>&1; then
		# man-db: -l renders a file; -M searches a tree like MANPATH does
		out=$(MANPAGER=cat PAGER=cat MANWIDTH=80 LC_ALL=C.UTF-8 \
			man --warnings -l "$page" 2>"$tmp/man.err")
		rc=$?
		expect "man -l $page failed (exit $rc): $(cat "$tmp/man.err")" \
			test "$rc" -eq 0 -a ! -s "$tmp/man.err"
		expect "man -l $page: no NAME section naming $b" \
			sh -c 'printf "%s\n" "$1" | grep -A1 "^NAME" | grep -q "$2"' sh "$out" "$b"
		out=$(MANPAGER=cat PAGER=cat MANWIDTH=80 LC_ALL=C.UTF-8 \
			man -M "$dest$VANTAGE_MANDIR" "$b" 2>&1)
		expect "man -M $dest$VANTAGE_MANDIR $b did not find the page: $out" \
			sh -c 'printf "%s\n" "$1" | grep -q "^SYNOPSIS"' sh "$out"
	fi
done

# ---- systemd units: they start the binaries that were installed ----
# exec_paths UNIT: the program of every Exec*= line (prefixes such as "-"
# or "@" dropped), one per line
exec_paths() {
	sed -n 's/^Exec[A-Za-z]*=[-@:+!]*\([^ ]*\).*/\1/p' "$1"
}
if [ -n "$unitdir" ]; then
	for b in vantage-agent vantage-collector; do
		conf=${b#vantage-}
		unit=$dest$unitdir/$b.service
		if ! test -f "$unit"; then
			fail "$unit missing"
			continue
		fi
		pass
		expect "$unit has unsubstituted @...@ names" \
			sh -c '! grep -n "@[a-z_]*@" "$1"' sh "$unit"
		start=$(sed -n 's/^ExecStart=//p' "$unit")
		expect "$unit: ExecStart=$start, want $VANTAGE_BINDIR/$b -c $VANTAGE_SYSCONFDIR/vantage/$conf.json" \
			test "$start" = "$VANTAGE_BINDIR/$b -c $VANTAGE_SYSCONFDIR/vantage/$conf.json"
		for p in $(exec_paths "$unit"); do
			case $p in
			/bin/kill) continue ;;	# ExecReload: the system's kill
			esac
			expect "$unit runs $p, not the installed $VANTAGE_BINDIR/$b" \
				test "$p" = "$VANTAGE_BINDIR/$b"
			expect "$unit runs $p, which was not installed" test -x "$dest$p"
		done
		for want in DynamicUser=yes StateDirectory=vantage ProtectSystem=strict \
		    NoNewPrivileges=yes Restart=on-failure ProtectHome=yes PrivateTmp=yes \
		    SystemCallArchitectures=native CapabilityBoundingSet= ; do
			expect "$unit lacks $want" grep -qx "$want" "$unit"
		done
		expect "$unit: RestrictAddressFamilies lacks AF_INET/AF_INET6" \
			grep -q '^RestrictAddressFamilies=.*AF_INET .*AF_INET6' "$unit"
		expect "$unit: Documentation= does not name man:$b(1)" \
			grep -q "^Documentation=.*man:$b(1)" "$unit"
		doc=$(sed -n 's#^Documentation=.*file://\([^ ]*\).*#\1#p' "$unit")
		expect "$unit: Documentation= file $doc was not installed" \
			test -n "$doc" -a -f "$dest$doc"
		# every file the unit reads is under the configured config dir
		for f in $(sed -n -e 's/^EnvironmentFile=-\{0,1\}//p' \
		    -e 's/^LoadCredential=[^:]*://p' "$unit"); do
			case $f in
			"$VANTAGE_SYSCONFDIR"/vantage/*) pass ;;
			*) fail "$unit reads $f, outside $VANTAGE_SYSCONFDIR/vantage" ;;
			esac
		done
	done
	if command -v systemd-analyze >/dev/null 2>&1; then
		# Directives, values and Exec paths, checked against $dest (where
		# the binaries are), from a copy in a directory systemd searches
		# under that root (the unit dir may be anywhere). $dest has no
		# systemd targets: that one complaint is expected; anything else
		# is a finding.
		vdir=$dest/etc/systemd/system
		mkdir -p "$vdir"
		cp "$dest$unitdir"/vantage-agent.service \
		    "$dest$unitdir"/vantage-collector.service "$vdir/"
		out=$(SYSTEMD_LOG_LEVEL=notice systemd-analyze verify --man=no \
			--root="$dest" "$vdir/vantage-agent.service" \
			"$vdir/vantage-collector.service" 2>&1 |
			grep -v 'Unit [a-z.-]*\.target not found')
		expect "systemd-analyze verify: $out" test -z "$out"
		rm -rf "$dest/etc/systemd"
	fi
else
	echo "test_install: configured without systemd units; not checked" >&2
fi

# ---- config dir, examples and schemas ----
expect "config dir $VANTAGE_SYSCONFDIR/vantage not created" \
	test -d "$dest$VANTAGE_SYSCONFDIR/vantage"
expect "README.md not in $VANTAGE_DOCDIR" test -f "$dest$VANTAGE_DOCDIR/README.md"
# shellcheck disable=SC2086
for f in $(names agent.schema.json collector.schema.json report.schema.json \
    ${VANTAGE_INSTALL_PKGDATA:-} | sort -u); do
	expect "$f not in $VANTAGE_PKGDATADIR" test -f "$dest$VANTAGE_PKGDATADIR/$f"
done
ex=$dest$VANTAGE_DOCDIR/examples
# shellcheck disable=SC2086
for e in $(names agent.example.json agent.us-east.json agent.eu-central.json \
    agent.ap-south.json collector.example.json collector.production.json \
    ${VANTAGE_INSTALL_EXAMPLES:-} | sort -u); do
	expect "example $e not in $VANTAGE_DOCDIR/examples" test -f "$ex/$e"
done

# The installed binaries accept the installed examples (deployment-only
# paths faked: the agent's CA file, the secrets' variables).
for e in "$ex"/agent*.json; do
	[ -f "$e" ] || continue
	copy=$tmp/$(basename "$e")
	sed 's#"ca_file": *"[^"]*"#"ca_file": "/dev/null"#' "$e" >"$copy"
	out=$(VANTAGE_AGENT_KEY=example-key-0123456789abcdef \
		"$dest$VANTAGE_BINDIR/vantage-agent" --check-config -c "$copy" 2>&1)
	rc=$?
	expect "installed vantage-agent refuses installed $(basename "$e") (exit $rc): $out" \
		test "$rc" -eq 0
done
for e in "$ex"/collector*.json; do
	[ -f "$e" ] || continue
	out=$(VANTAGE_READ_TOKEN=t0ken-for-tests \
		VANTAGE_KEY_US_EAST_1A=example-key-0123456789abcdef \
		VANTAGE_KEY_EU_CENTRAL_1A=example-key-0123456789abcdef \
		VANTAGE_KEY_AP_SOUTH_1A=example-key-0123456789abcdef \
		VANTAGE_SLACK_WEBHOOK_URL=https://hooks.slack.com/services/T0/B0/x \
		VANTAGE_PAGERDUTY_ROUTING_KEY=0123456789abcdef0123456789abcdef \
		"$dest$VANTAGE_BINDIR/vantage-collector" --check-config -c "$e" 2>&1)
	rc=$?
	expect "installed vantage-collector refuses installed $(basename "$e") (exit $rc): $out" \
		test "$rc" -eq 0
done

# ---- and make uninstall removes every file again ----
if run_make uninstall; then
	left=$(find "$dest" -type f | sed "s#^$dest##")
	expect "make uninstall left files behind: $left" test -z "$left"
else
	fail "make uninstall DESTDIR=$dest failed: $(cat "$tmp/make.log")"
fi

summary
