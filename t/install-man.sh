#!/bin/sh
# install-man.sh -- sluice.conf(5) lists every directive `sluice -h`
# prints, with the same default and the same one-line doc, in the same
# order, and nothing else (both come from worker/core/conf_tbl.h, the
# page through docs/mkman); both man pages format without a warning.
#
# The page is read back as roff (docs/mkman.c documents the shape) and
# unescaped, so the check does not depend on a formatter being installed.
set -u

. "${SLUICE_SRCDIR:-.}/t/lib/tap.sh"

[ -n "${SLUICE_BINARY:-}" ] && [ -n "${SLUICE_BUILDDIR:-}" ] ||
	tap_bail "SLUICE_BINARY and SLUICE_BUILDDIR must be set (make check)"
page5="$SLUICE_BUILDDIR/docs/sluice.conf.5"
page8="$SLUICE_BUILDDIR/docs/sluice.8"
[ -r "$page5" ] && [ -r "$page8" ] || tap_bail "no $page5 or $page8: run make"

T=$(mktemp -d "${TMPDIR:-/tmp}/sluice-install-man.XXXXXX") ||
	tap_bail "mktemp failed"
trap 'rm -rf "$T"' EXIT

"$SLUICE_BINARY" -h >"$T/help" 2>&1
tap_ok $? "sluice -h exits 0"

# -h: "  NAME<spaces>DEFAULT" then "      DOC"; as NAME<TAB>DEFAULT<TAB>DOC.
awk '
	/^Configuration directives/ { on = 1; next }
	!on { next }
	/^      / { sub(/^ +/, ""); print name "\t" def "\t" $0; next }
	/^  [^ ]/ {
		name = $1
		def = substr($0, index($0, name) + length(name))
		sub(/^ +/, "", def)
	}
' "$T/help" >"$T/from-help"

# The page: .TP / .B NAME / DOC / .br / "Default: \fBX\fR" | "No default."
sed -e 's/\\-/-/g' -e 's/\\e/\\/g' -e 's/^\\&//' "$page5" | awk '
	/^\.SH DIRECTIVES/ { on = 1; next }
	/^\.SH / { on = 0 }
	!on { next }
	/^\.TP$/ { state = 1; next }
	state == 1 && /^\.B / { name = substr($0, 4); state = 2; next }
	state == 2 { doc = $0; state = 3; next }
	state == 3 && /^\.br$/ { state = 4; next }
	state == 4 {
		if ($0 == "No default.")
			def = "(no default)"
		else if (match($0, /^Default: \\fB.*\\fR$/))
			def = substr($0, 13, length($0) - 15)
		else
			def = "?" $0
		print name "\t" def "\t" doc
		state = 0
	}
' >"$T/from-page"

n=$(wc -l <"$T/from-help")
tap_ok $([ "$n" -gt 30 ]; echo $?) "sluice -h lists $n directives"

# One check per directive of the table.
while IFS='	' read -r name def doc; do
	line=$(awk -F '\t' -v n="$name" '$1 == n' "$T/from-page")
	if [ -z "$line" ]; then
		tap_ok 1 "sluice.conf(5) lists $name"
		continue
	fi
	tap_is "$line" "$name	$def	$doc" \
		"sluice.conf(5) lists $name, default '$def', as sluice -h does"
done <"$T/from-help"

cmp -s "$T/from-help" "$T/from-page"
tap_ok $? "and lists nothing else, in the same order ($(wc -l <"$T/from-page") entries)"
diff "$T/from-help" "$T/from-page" | head -20 | sed 's/^/# /'

# Both pages format cleanly: every groff warning on, but for line
# breaking ("cannot adjust line"), which depends on how long the
# configured paths are.
if command -v groff >/dev/null 2>&1; then
	for p in "$page8" "$page5"; do
		out=$(LC_ALL=C.UTF-8 groff -man -ww -Wbreak -z -Tutf8 "$p" 2>&1)
		tap_is "$out" "" "groff -man -ww: $(basename "$p") has no warnings"
	done
else
	tap_skip 2 "groff is not installed (Debian package groff-base)"
fi

tap_grep "$page8" '^\.TH SLUICE 8 ' "sluice.8 is section 8"
tap_grep "$page5" '^\.TH SLUICE\.CONF 5 ' "sluice.conf.5 is section 5"

tap_done
