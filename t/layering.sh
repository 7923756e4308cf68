#!/bin/sh
# layering.sh -- every #include "..." obeys the layers of
# docs/architecture.md ("Layers"): core includes core; acl and cache
# include core and themselves; worker includes core, acl, itself and of
# cache/ only cache.h; master includes core, acl, itself and the entry
# points of the children.  The build enforces most of it with include
# paths (Makefile.am); this names each offending line.
# TAP, run by make check; srcdir comes from automake.
set -u
top=${srcdir:-.}
cd "$top" || exit 1

# Headers each layer may include, by folder (and a few by name).
allowed() {	# allowed LAYER HEADER -> 0 or 1
	layer=$1 h=$2
	case "$h" in config.h|conf_tbl.h) return 0 ;; esac
	[ -f "worker/core/$h" ] && return 0
	case "$layer" in
	core)	return 1 ;;
	acl)	[ -f "acl/$h" ] ;;
	cache)	[ -f "cache/$h" ] ;;
	worker)	[ -f "worker/$h" ] || [ -f "acl/$h" ] || [ "$h" = cache.h ] ;;
	master)	[ -f "master/$h" ] || [ -f "acl/$h" ] || case "$h" in
			worker.h|upgrade.h|req_cache.h|tls.h|accesslog.h|manager.h) true ;;
			*) false ;; esac ;;
	esac
}

files=$(ls worker/core/*.[ch] acl/*.[ch] cache/*.[ch] worker/*.[ch] \
    master/*.[ch] 2>/dev/null)
n=$(echo "$files" | wc -w)
echo "1..$n"
i=0
for f in $files; do
	case "$f" in
	worker/core/*) layer=core ;;
	acl/*) layer=acl ;;
	cache/*) layer=cache ;;
	worker/*) layer=worker ;;
	master/*) layer=master ;;
	esac
	bad=""
	for h in $(sed -n 's/^#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f"); do
		allowed "$layer" "$h" || bad="$bad $h"
	done
	i=$((i + 1))
	if [ -z "$bad" ]; then
		echo "ok $i - $f ($layer) includes only what its layer may"
	else
		echo "not ok $i - $f ($layer) includes$bad"
	fi
done
