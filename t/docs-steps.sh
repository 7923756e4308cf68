#!/bin/sh
# docs-steps.sh -- docs/architecture.md's step table says what
# worker/req_steps.h says: the same steps in the same order, each in its
# file, waiting or not, and moving exactly where REQ_EDGES lets it.
# TAP, run by make check; srcdir comes from automake.
set -u
top=${srcdir:-.}
steps=$top/worker/req_steps.h
doc=$top/docs/architecture.md
tmp=${TMPDIR:-/tmp}/docs-steps.$$
trap 'rm -f "$tmp".*' EXIT

# From the header: NAME|file|wait|TO,TO,...
sed -n 's/^[[:space:]]*X(\([A-Z_]*\),[[:space:]]*[a-z_]*,[[:space:]]*\([a-z_.]*\),[[:space:]]*\([W-]\)).*/\1 \2 \3/p' \
    "$steps" > "$tmp.x"
sed -n 's/^[[:space:]]*E(\([A-Z_]*\),[[:space:]]*\([A-Z_]*\)).*/\1 \2/p' \
    "$steps" > "$tmp.e"
while read -r name file wait; do
	tos=$(awk -v n="$name" '$1 == n { printf "%s%s", sep, $2; sep = "," }' "$tmp.e")
	echo "$name|$file|$wait|$tos"
done < "$tmp.x" > "$tmp.h"

# From the doc: the rows of the table under "| step | file |".
awk -F'|' '
	/^\| step \| file \|/ { on = 1; next }
	on && /^\|---/ { next }
	on && /^\|/ {
		for (i = 2; i <= 5; i++) { gsub(/^ +| +$/, "", $i) }
		gsub(/ /, "", $5)
		printf "%s|%s|%s|%s\n", $2, $3, ($4 == "" ? "-" : "W"), $5
		next
	}
	on { exit }
' "$doc" > "$tmp.d"

nh=$(wc -l < "$tmp.h")
echo "1..$((nh + 2))"
n=0
if [ "$nh" -gt 0 ]; then
	n=$((n + 1)); echo "ok $n - req_steps.h lists $nh steps"
else
	n=$((n + 1)); echo "not ok $n - no step found in req_steps.h"
fi
if cmp -s "$tmp.h" "$tmp.d"; then
	n=$((n + 1)); echo "ok $n - docs/architecture.md's step table matches req_steps.h"
else
	n=$((n + 1)); echo "not ok $n - docs/architecture.md's step table differs from req_steps.h"
	diff "$tmp.h" "$tmp.d" | sed 's/^/# /'
fi
while IFS='|' read -r name file wait tos; do
	n=$((n + 1))
	if grep -q "^$name|$file|$wait|$tos\$" "$tmp.d"; then
		echo "ok $n - $name ($file, moves to ${tos:-nothing}) is documented"
	else
		echo "not ok $n - $name ($file, wait $wait, moves to ${tos:-nothing}) is not documented as such"
	fi
done < "$tmp.h"
