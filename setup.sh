#!/bin/sh
# setup.sh -- install what a fresh Debian 12 lacks, configure and build sluice.
#
#   ./setup.sh          install missing packages, configure, build
#   ./setup.sh run      ... then run sluice in the foreground with etc/sluice.conf
#   ./setup.sh check    ... then run the whole test suite (make check)
#
# Packages are installed with apt-get, directly as root or through sudo.
# As root the shipped config logs to /var/log/sluice; as another user the
# build is configured so that the same config logs under ./var instead.
# Extra configure flags: SLUICE_CONFIGURE_FLAGS="--enable-sanitizers".
set -eu
cd "$(dirname "$0")"

PKGS="build-essential autoconf automake pkg-config libssl-dev zlib1g-dev \
liblmdb-dev libc-ares-dev libcurl4-openssl-dev"
# Log analysers the suite reads sluice's logs with (t/log-analysers).
PKGS="$PKGS calamaris goaccess"

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

if [ "$(id -u)" = 0 ]; then
	STATE="--localstatedir=/var --runstatedir=/run"
else
	STATE="--localstatedir=$(pwd)/var --runstatedir=$(pwd)/var/run"
	mkdir -p var/log/sluice var/run var/cache
fi
[ -x configure ] || autoreconf -fi
[ -f Makefile ] || ./configure --enable-werror --sysconfdir=/etc/sluice \
	$STATE ${SLUICE_CONFIGURE_FLAGS:-}
make -j"$(nproc)"

case "${1:-}" in
run)	exec ./sluice -d -f etc/sluice.conf ;;
check)	exec make -j"$(nproc)" check ;;
"")	;;
*)	echo "usage: setup.sh [run|check]" >&2; exit 1 ;;
esac
