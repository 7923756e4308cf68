#!/bin/sh
# install-unit.sh -- the systemd unit passes `systemd-analyze verify`
# (every key known, every value parsed, the commands executable, the man
# pages of Documentation= found) and its sandbox rates OK or better in
# `systemd-analyze security`.  Skipped, saying so, where systemd's tools
# are not installed (a build host needs none of systemd).
#
# The unit is checked as `make install DESTDIR=...` writes it, with its
# paths pointed into that DESTDIR (the binary it runs must exist), and
# MANPATH set there for Documentation=man:...
set -u

. "${SLUICE_SRCDIR:-.}/t/lib/tap.sh"

if ! command -v systemd-analyze >/dev/null 2>&1; then
	echo "1..0 # SKIP systemd-analyze is not installed (Debian package systemd)"
	exit 0
fi
if [ "${systemdsystemunitdir:-no}" = no ]; then
	echo "1..0 # SKIP configured without a systemd unit (--without-systemdsystemunitdir)"
	exit 0
fi
for v in SLUICE_BUILDDIR SLUICE_MAKE sbindir mandir; do
	eval "[ -n \"\${$v+x}\" ]" || tap_bail "$v is not set: run me from make check"
done

D=$(mktemp -d "${TMPDIR:-/tmp}/sluice-install-unit.XXXXXX") ||
	tap_bail "mktemp failed"
trap 'rm -rf "$D"' EXIT
unset MAKEFLAGS MFLAGS MAKELEVEL
"$SLUICE_MAKE" -C "$SLUICE_BUILDDIR" install DESTDIR="$D/root" >"$D/log" 2>&1 ||
	{ tap_diag_file "$D/log"; tap_bail "make install DESTDIR failed"; }

mkdir "$D/units"
sed -e "s|$sbindir/sluice|$D/root$sbindir/sluice|g" \
	"$D/root$systemdsystemunitdir/sluice.service" >"$D/units/sluice.service"
grep -q "^ExecStart=$D/root$sbindir/sluice " "$D/units/sluice.service" ||
	tap_bail "could not point the unit at the installed binary"

out=$(MANPATH="$D/root$mandir" systemd-analyze verify \
	"$D/units/sluice.service" 2>&1)
rc=$?
tap_ok $rc "systemd-analyze verify sluice.service exits 0"
tap_is "$out" "" "and has nothing to say"

# A unit with a mistake fails the same check (the check can fail).
sed -e 's/^Type=notify$/Type=notfy/' "$D/units/sluice.service" \
	>"$D/units/broken.service"
out=$(MANPATH="$D/root$mandir" systemd-analyze verify \
	"$D/units/broken.service" 2>&1)
case $out in
*notfy*)	tap_ok 0 "a misspelt Type= in a copy is reported" ;;
*)		tap_ok 1 "a misspelt Type= in a copy is reported"; tap_diag "$out" ;;
esac

# The sandbox: systemd's own rating of the exposure (0 best, 10 worst).
out=$(systemd-analyze security --offline=yes "$D/units/sluice.service" 2>&1)
level=$(printf '%s\n' "$out" | sed -n 's/.*Overall exposure level for sluice.service: \([0-9.]*\) \([A-Z]*\).*/\1 \2/p')
if [ -z "$level" ]; then
	tap_skip 1 "systemd-analyze security --offline gave no rating (systemd < 250?)"
else
	[ "${level%%.*}" -lt 5 ]
	tap_ok $? "systemd-analyze security rates the sandbox below 5: $level"
fi

tap_done
