#!/bin/sh
# setup.sh -- install what a fresh Debian 12 lacks, configure and build sluice.
#
#   ./setup.sh          install missing packages, configure, build
#   ./setup.sh run      ... then run sluice in the foreground with etc/sluice.conf
#   ./setup.sh check    ... then run the whole test suite (make check)
#
# Packages are installed with apt-get, directly as root or through sudo;
# curl is among them because the README's examples use it.  squid's
# basic_ncsa_auth (for t/auth-ncsa) is taken out of Debian's squid package
# without installing it: see fetch_ncsa below.
# As root the shipped config logs to /var/log/sluice; as another user the
# build is configured so that the same config logs under ./var instead.
# Extra configure flags: SLUICE_CONFIGURE_FLAGS="--enable-sanitizers".
set -eu
cd "$(dirname "$0")"

PKGS="build-essential autoconf automake pkg-config libssl-dev zlib1g-dev \
liblmdb-dev libc-ares-dev libcurl4-openssl-dev curl"
# For the tests of what `make install` ships: the real logrotate runs the
# shipped snippet, groff checks the man pages.  (systemd-analyze, from
# the systemd package, is used when present; its test says so otherwise.)
PKGS="$PKGS logrotate groff-base"
# Log analysers the suite reads sluice's logs with (t/log-analysers).
PKGS="$PKGS calamaris goaccess"
# t/pac-node runs the PAC file sluice serves in a JavaScript engine, and
# t/metrics-serve parses /status with it: any node on PATH will do,
# Debian's nodejs otherwise.
command -v node >/dev/null 2>&1 || PKGS="$PKGS nodejs"
# t/pac-chromium loads pages in a real browser configured only with the
# PAC URL: Chromium, installed only when the tests are to run.
[ "${1:-}" = check ] && PKGS="$PKGS chromium"

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	if [ "$(id -u)" = 0 ]; then
		SUDO=""
	elif command -v sudo >/dev/null 2>&1; then
		SUDO="sudo"
	else
		echo "setup.sh: these packages are missing:$missing" >&2
		echo "setup.sh: run me as root, or install sudo" >&2
		exit 1
	fi
	echo "setup.sh: installing$missing"
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing
fi

# t/auth-ncsa runs squid's own basic_ncsa_auth helper.  Debian ships it
# only in the squid package, whose installation enables and starts a
# squid on port 3128, the port of sluice's shipped config.  So that one
# program is taken out of the package (apt-get download, no root needed)
# into t/squid/: nothing is installed and no service starts.  Without it
# (no network, no apt) t/auth-ncsa skips and says why.
NCSA=t/squid/basic_ncsa_auth
fetch_ncsa() {
	tmp=$(mktemp -d) || return 1
	(cd "$tmp" && apt-get download -qq squid) >/dev/null 2>&1 &&
	    dpkg-deb --fsys-tarfile "$tmp"/squid_*.deb |
	    tar -xf - -C "$tmp" ./usr/lib/squid/basic_ncsa_auth &&
	    mkdir -p t/squid &&
	    cp "$tmp/usr/lib/squid/basic_ncsa_auth" "$NCSA" &&
	    chmod 0755 "$NCSA"
	rc=$?
	rm -rf "$tmp"
	[ "$rc" -eq 0 ] || return 1
	# It runs here (its libraries are present): without a password file
	# it prints its usage and exits 1; a missing library would be 127.
	"$NCSA" </dev/null >/dev/null 2>&1 && return 0
	[ $? -eq 1 ] && return 0
	rm -f "$NCSA"
	return 1
}
if [ ! -x /usr/lib/squid/basic_ncsa_auth ] && [ ! -x "$NCSA" ]; then
	if fetch_ncsa; then
		echo "setup.sh: squid's basic_ncsa_auth is in $NCSA"
	else
		echo "setup.sh: could not take basic_ncsa_auth out of Debian's" \
		    "squid package: t/auth-ncsa will skip" >&2
	fi
fi

# t/metrics-serve checks /metrics with promtool and t/metrics-prometheus
# lets a real Prometheus scrape sluice.  Both binaries are taken out of
# Debian's prometheus package into t/prometheus/, as basic_ncsa_auth is:
# installing the package would start a Prometheus server (port 9090) as
# a service.  Without them those checks skip and say why.
PROM=t/prometheus
fetch_prometheus() {
	tmp=$(mktemp -d) || return 1
	(cd "$tmp" && apt-get download -qq prometheus) >/dev/null 2>&1 &&
	    dpkg-deb --fsys-tarfile "$tmp"/prometheus_*.deb |
	    tar -xf - -C "$tmp" ./usr/bin/promtool ./usr/bin/prometheus &&
	    mkdir -p "$PROM" &&
	    cp "$tmp/usr/bin/promtool" "$tmp/usr/bin/prometheus" "$PROM"/ &&
	    chmod 0755 "$PROM/promtool" "$PROM/prometheus"
	rc=$?
	rm -rf "$tmp"
	[ "$rc" -eq 0 ] || return 1
	"$PROM/promtool" --version >/dev/null 2>&1
}
if [ ! -x "$PROM/promtool" ] || [ ! -x "$PROM/prometheus" ]; then
	if fetch_prometheus; then
		echo "setup.sh: promtool and prometheus are in $PROM/"
	else
		echo "setup.sh: could not take promtool and prometheus out of" \
		    "Debian's prometheus package: their checks will skip" >&2
	fi
fi

if [ "$(id -u)" = 0 ]; then
	STATE="--localstatedir=/var --runstatedir=/run"
else
	STATE="--localstatedir=$(pwd)/var --runstatedir=$(pwd)/var/run"
	mkdir -p var/log/sluice var/run var/cache
fi
[ -x configure ] || autoreconf -fi
[ -f Makefile ] || ./configure --enable-werror --sysconfdir=/etc \
	$STATE ${SLUICE_CONFIGURE_FLAGS:-}
make -j"$(nproc)"

case "${1:-}" in
run)	exec ./sluice -d -f etc/sluice.conf ;;
check)	exec make -j"$(nproc)" check ;;
"")	;;
*)	echo "usage: setup.sh [run|check]" >&2; exit 1 ;;
esac
