#!/bin/sh
# install-tree.sh -- `make install DESTDIR=...` puts exactly the files a
# Debian-style service needs where configure said (binary, config, both
# man pages, systemd unit, tmpfiles.d entries, logrotate snippet), with
# every @placeholder@ replaced, and `make uninstall` takes them all away.
#
# Runs the build tree's own make (make check exports the configured
# directories), as root or not: nothing is chowned at install time.
set -u

. "${SLUICE_SRCDIR:-.}/t/lib/tap.sh"

for v in SLUICE_BUILDDIR SLUICE_MAKE sbindir pkgsysconfdir mandir \
    systemdsystemunitdir tmpfilesdir logrotatedir localstatedir runstatedir \
    SLUICE_USER SLUICE_GROUP PACKAGE_VERSION; do
	eval "[ -n \"\${$v+x}\" ]" || tap_bail "$v is not set: run me from make check"
done

D=$(mktemp -d "${TMPDIR:-/tmp}/sluice-install-tree.XXXXXX") ||
	tap_bail "mktemp failed"
trap 'rm -rf "$D"' EXIT
# The build tree's Makefile, not the one make check runs us from:
# nothing of its command line or jobserver.
unset MAKEFLAGS MFLAGS MAKELEVEL

"$SLUICE_MAKE" -C "$SLUICE_BUILDDIR" install DESTDIR="$D" >"$D.log" 2>&1
rc=$?
tap_ok $rc "make install DESTDIR=... exits 0"
[ $rc -eq 0 ] || { tap_diag_file "$D.log"; rm -f "$D.log"; tap_bail "install failed"; }
rm -f "$D.log"

# What must be there, and nothing else.
want=$(mktemp) got=$(mktemp)
trap 'rm -rf "$D" "$want" "$got"' EXIT
{
	echo "$sbindir/sluice"
	echo "$pkgsysconfdir/sluice.conf"
	echo "$mandir/man8/sluice.8"
	echo "$mandir/man5/sluice.conf.5"
	[ "$systemdsystemunitdir" = no ] || echo "$systemdsystemunitdir/sluice.service"
	[ "$tmpfilesdir" = no ] || echo "$tmpfilesdir/sluice.conf"
	[ "$logrotatedir" = no ] || echo "$logrotatedir/sluice"
} | sort >"$want"
(cd "$D" && find . -type f -o -type l) | sed 's|^\.||' | sort >"$got"
diff -u "$want" "$got" >/dev/null
tap_ok $? "the installed files are exactly: $(tr '\n' ' ' <"$want")"
diff -u "$want" "$got" | sed 's/^/# /'

# The binary runs, and says which version.
out=$("$D$sbindir/sluice" -v 2>&1)
tap_is "$out" "sluice $PACKAGE_VERSION" "$sbindir/sluice -v"

# Modes: a program, and config files anyone may read (no secrets in it).
tap_is "$(stat -c %a "$D$sbindir/sluice")" 755 "the binary is mode 755"
tap_is "$(stat -c %a "$D$pkgsysconfdir/sluice.conf")" 644 \
	"sluice.conf is mode 644"

# No placeholder left anywhere but in the binary.
left=$(grep -l '@[A-Za-z_]*@' "$D$pkgsysconfdir/sluice.conf" \
	"$D$mandir/man8/sluice.8" "$D$mandir/man5/sluice.conf.5" \
	$( [ "$systemdsystemunitdir" = no ] || echo "$D$systemdsystemunitdir/sluice.service" ) \
	$( [ "$tmpfilesdir" = no ] || echo "$D$tmpfilesdir/sluice.conf" ) \
	$( [ "$logrotatedir" = no ] || echo "$D$logrotatedir/sluice" ) 2>/dev/null)
tap_is "$left" "" "no @placeholder@ is left in the installed text files"

# The config names the configured user and directories.
conf="$D$pkgsysconfdir/sluice.conf"
tap_grep "$conf" "^cache_effective_user $SLUICE_USER\$" \
	"sluice.conf: cache_effective_user $SLUICE_USER"
tap_grep "$conf" "^pid_filename $runstatedir/sluice/sluice.pid\$" \
	"sluice.conf: pid_filename $runstatedir/sluice/sluice.pid"
tap_grep "$conf" "^cache_dir lmdb $localstatedir/cache/sluice " \
	"sluice.conf: cache_dir under $localstatedir/cache/sluice"
tap_grep "$conf" "^access_log $localstatedir/log/sluice/access.log squid\$" \
	"sluice.conf: access_log under $localstatedir/log/sluice"

# The unit starts the installed binary on the installed config.
if [ "$systemdsystemunitdir" = no ]; then
	tap_skip 4 "configured --without-systemdsystemunitdir"
else
	u="$D$systemdsystemunitdir/sluice.service"
	tap_grep "$u" "^Type=notify\$" "sluice.service: Type=notify"
	tap_grep "$u" "^ExecStart=$sbindir/sluice -d -f $pkgsysconfdir/sluice.conf\$" \
		"sluice.service: ExecStart runs $sbindir/sluice -d -f $pkgsysconfdir/sluice.conf"
	tap_grep "$u" '^ExecReload=/bin/kill -HUP \$MAINPID$' \
		"sluice.service: ExecReload sends SIGHUP to the master"
	tap_grep "$u" "^ReadWritePaths=-$localstatedir/cache/sluice -$localstatedir/log/sluice -$runstatedir/sluice\$" \
		"sluice.service: the cache, log and run directories are writable"
fi

# tmpfiles.d: the three directories, with their owners.
if [ "$tmpfilesdir" = no ]; then
	tap_skip 3 "configured --without-tmpfilesdir"
else
	t="$D$tmpfilesdir/sluice.conf"
	tap_grep "$t" "^d  *$runstatedir/sluice  *0755  *root  *root " \
		"tmpfiles.d: $runstatedir/sluice, root's"
	tap_grep "$t" "^d  *$localstatedir/log/sluice  *0750  *$SLUICE_USER  *$SLUICE_GROUP " \
		"tmpfiles.d: $localstatedir/log/sluice, $SLUICE_USER's"
	tap_grep "$t" "^d  *$localstatedir/cache/sluice  *0750  *$SLUICE_USER  *$SLUICE_GROUP " \
		"tmpfiles.d: $localstatedir/cache/sluice, $SLUICE_USER's"
fi

# logrotate: both logs, SIGUSR1 to the pid in the pid file.
if [ "$logrotatedir" = no ]; then
	tap_skip 3 "configured --without-logrotatedir"
else
	l="$D$logrotatedir/sluice"
	tap_grep "$l" "^$localstatedir/log/sluice/access.log $localstatedir/log/sluice/cache.log \\{\$" \
		"logrotate: access.log and cache.log"
	tap_grep "$l" "cat $runstatedir/sluice/sluice.pid" \
		"logrotate: postrotate reads $runstatedir/sluice/sluice.pid"
	tap_grep "$l" 'kill -USR1 "\$pid"' \
		"logrotate: and sends SIGUSR1 to that pid"
fi

"$SLUICE_MAKE" -C "$SLUICE_BUILDDIR" uninstall DESTDIR="$D" >/dev/null 2>&1
tap_ok $? "make uninstall DESTDIR=... exits 0"
tap_is "$(cd "$D" && find . -type f | wc -l)" 0 \
	"and leaves no file behind"

tap_done
