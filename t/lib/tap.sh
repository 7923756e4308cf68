# tap.sh -- TAP output for the shell tests in t/ (the sh twin of tap.c).
# Source it; the plan is printed at the end by tap_done (TAP allows a
# trailing plan), so a test need not count its checks up front.
#
#	tap_ok RC DESC		ok when RC is 0
#	tap_is GOT WANT DESC	ok when the strings are equal
#	tap_grep FILE ERE DESC	ok when a line of FILE matches ERE
#	tap_skip N REASON	N skipped checks
#	tap_diag TEXT...	a "# " line
#	tap_diag_file FILE	FILE's last 20 lines as diagnostics
#	tap_bail REASON		"Bail out!" and exit 1
#	tap_done		the plan; exit 1 when a check failed

tap_n=0
tap_failed=0

tap_ok() {
	tap_n=$((tap_n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $tap_n - $2"
	else
		echo "not ok $tap_n - $2"
		tap_failed=$((tap_failed + 1))
	fi
}

tap_is() {
	if [ "$1" = "$2" ]; then
		tap_ok 0 "$3"
	else
		tap_ok 1 "$3"
		tap_diag "     got: '$1'"
		tap_diag "expected: '$2'"
	fi
}

tap_grep() {
	if [ -f "$1" ] && grep -Eq -- "$2" "$1"; then
		tap_ok 0 "$3"
	else
		tap_ok 1 "$3"
		tap_diag "no line of $1 matches: $2"
	fi
}

tap_skip() {
	i=0
	while [ $i -lt "$1" ]; do
		tap_n=$((tap_n + 1))
		echo "ok $tap_n # SKIP $2"
		i=$((i + 1))
	done
}

tap_diag() {
	echo "# $*"
}

tap_diag_file() {
	tail -n 20 "$1" | sed 's/^/# /'
}

tap_bail() {
	echo "Bail out! $*"
	exit 1
}

tap_done() {
	echo "1..$tap_n"
	[ "$tap_failed" -eq 0 ]
	exit $?
}
