# bench/lib.sh -- shared helpers for the sluice benchmarks (sourced, not run).
#
# Installs what a fresh Debian 12 lacks (apt-get, as root or through sudo),
# picks free loopback ports, starts nginx (origin), sluice and squid with
# configs generated in a temporary directory, and stops exactly the
# processes it started, by PID, when the script exits.
#
# Caveats: everything runs on one machine and on loopback, so the load
# generator, the origin and the proxy share the CPUs; figures compare the
# proxies with each other under the same conditions, they are not absolute.
# Environment knobs: BENCH_DURATION (wrk -d, default 10s), BENCH_THREADS
# (wrk -t, 2), BENCH_CONNS (wrk -c, 50), BENCH_RUNS (wrk runs, 3),
# BENCH_LOG (none|file: access logging for both proxies, default none),
# BENCH_SQUID_WORKERS (1, 2 or best: try both, default best).

set -eu

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
SLUICE=${SLUICE_BIN:-$ROOT/sluice}
DURATION=${BENCH_DURATION:-10s}
THREADS=${BENCH_THREADS:-2}
CONNS=${BENCH_CONNS:-50}
RUNS=${BENCH_RUNS:-3}
LOGMODE=${BENCH_LOG:-none}
NCPU=$(nproc)
STARTED_PIDS=""

# cmd_line ARGS... -> the command as a reviewer retypes it, with the
# BENCH_* settings that differ from the defaults in front.
cmd_line() {
	c="$*"
	for v in BENCH_DURATION BENCH_THREADS BENCH_CONNS BENCH_RUNS BENCH_LOG \
	    BENCH_SQUID_WORKERS BENCH_CONNECT_RUNS BENCH_IDLE_CONNS; do
		eval "x=\${$v:-}"
		[ -z "$x" ] || c="$v=$x $c"
	done
	echo "$c"
}

say() { printf '%s\n' "bench: $*" >&2; }
die() { say "error: $*"; exit 1; }

# ---------------------------------------------------------------- packages
# need_pkgs CMD:PKG... -- install PKG when CMD is not found.
need_pkgs() {
	missing=""
	for cp in "$@"; do
		c=${cp%%:*}; p=${cp#*:}
		command -v "$c" >/dev/null 2>&1 || [ -x "/usr/sbin/$c" ] ||
			missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	if [ "$(id -u)" = 0 ]; then
		SUDO=""
	elif command -v sudo >/dev/null 2>&1; then
		SUDO="sudo"
	else
		die "missing:$missing; run as root or install sudo"
	fi
	say "installing$missing"
	$SUDO apt-get update -qq
	# policy-rc.d-less hosts would start the packaged services on :80
	# and :3128; they are stopped again below if that happened.
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing
	for p in $missing; do
		case $p in
		nginx|squid)
			if command -v systemctl >/dev/null 2>&1; then
				$SUDO systemctl stop "$p" 2>/dev/null || :
				$SUDO systemctl disable "$p" 2>/dev/null || :
			fi ;;
		esac
	done
}
PATH=$PATH:/usr/sbin:/sbin

need_sluice() {
	[ -x "$SLUICE" ] || (cd "$ROOT" && ./setup.sh) || die "build failed"
}

# ------------------------------------------------------------------ tmpdir
bench_tmp() {
	TMP=$(mktemp -d /tmp/sluice-bench.XXXXXX)
	# nginx workers run as nobody and squid as proxy when we are root:
	# they must be able to reach their files.
	chmod 755 "$TMP"
	LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
	trap bench_cleanup EXIT
	trap 'exit 130' INT TERM
}

bench_cleanup() {
	for p in $STARTED_PIDS; do
		kill -TERM "$p" 2>/dev/null || :
	done
	for p in $STARTED_PIDS; do
		i=0
		while kill -0 "$p" 2>/dev/null && [ $i -lt 50 ]; do
			sleep 0.1; i=$((i + 1))
		done
		kill -KILL "$p" 2>/dev/null || :
	done
	[ -n "${TMP:-}" ] && [ -z "${BENCH_KEEP:-}" ] && rm -rf "$TMP"
	:
}

# stop_pid PID -- SIGTERM one process we started and wait for it (5 s,
# then SIGKILL); its children exit with it (sluice: PDEATHSIG/drain,
# squid and nginx: their masters stop them).
stop_pid() {
	kill -TERM "$1" 2>/dev/null || :
	i=0
	while kill -0 "$1" 2>/dev/null && [ $i -lt 100 ]; do
		sleep 0.1; i=$((i + 1))
	done
	kill -KILL "$1" 2>/dev/null || :
	wait "$1" 2>/dev/null || :
	STARTED_PIDS=$(echo " $STARTED_PIDS " | sed "s/ $1 / /")
}

# ------------------------------------------------------------------- ports
listening() {	# PORT -> true if something listens on 127.0.0.1:PORT
	hex=$(printf '%04X' "$1")
	awk -v h="$hex" 'NR > 1 && $4 == "0A" { split($2, a, ":");
	    if (a[2] == h) f = 1 } END { exit !f }' /proc/net/tcp /proc/net/tcp6
}

free_port() {
	i=0
	while [ $i -lt 200 ]; do
		p=$((20000 + $(od -An -N2 -tu2 /dev/urandom) % 12000))
		if ! listening "$p" && ! echo " $USED_PORTS " | grep -q " $p "; then
			USED_PORTS="${USED_PORTS:-} $p"
			echo "$p"
			return 0
		fi
		i=$((i + 1))
	done
	die "no free port"
}
USED_PORTS=""

wait_port() {	# PORT PID WHAT -- dies unless WAIT_SOFT is set (then returns 1)
	i=0
	while ! listening "$1"; do
		if ! kill -0 "$2" 2>/dev/null; then
			say "$3 exited at start (see $TMP)"
			[ -n "${WAIT_SOFT:-}" ] && return 1
			exit 1
		fi
		if [ $i -ge 300 ]; then
			say "$3 did not listen on $1 within 30 s"
			[ -n "${WAIT_SOFT:-}" ] && { stop_pid "$2"; return 1; }
			exit 1
		fi
		sleep 0.1; i=$((i + 1))
	done
}

# children PID -> PIDs whose parent is PID
children() {
	for s in /proc/[0-9]*/stat; do
		awk -v pp="$1" '{ sub(/^.*\) /, ""); if ($2 == pp) print FILENAME }' \
		    "$s" 2>/dev/null
	done | sed 's,/proc/,,; s,/stat,,'
}

# ------------------------------------------------------------------ origin
# start_nginx -- origin on $NGINX_PORT serving $TMP/www:
#   /nc/*  Cache-Control: no-store (pass-through, never cached)
#   /c/*   Cache-Control: max-age=3600 and nginx's ETag (cacheable)
start_nginx() {
	need_pkgs nginx:nginx
	NGINX_PORT=$(free_port)
	mkdir -p "$TMP/www/nc" "$TMP/www/c" "$TMP/nginx"
	chmod -R 755 "$TMP/www" "$TMP/nginx"
	[ -f "$TMP/www/nc/1k" ] || {
		head -c 1024 /dev/urandom > "$TMP/www/nc/1k"
		cp "$TMP/www/nc/1k" "$TMP/www/c/1k"
		head -c 1048576 /dev/urandom > "$TMP/www/c/1m"
		chmod 644 "$TMP/www/nc/1k" "$TMP/www/c/1k" "$TMP/www/c/1m"
	}
	[ -n "${NGINX_BIG:-}" ] && [ ! -f "$TMP/www/nc/100m" ] && {
		head -c 104857600 /dev/zero > "$TMP/www/nc/100m"
		chmod 644 "$TMP/www/nc/100m"
	}
	n=$TMP/nginx
	cat > "$n/nginx.conf" <<EOF
daemon off;
worker_processes auto;
pid $n/nginx.pid;
error_log $n/error.log warn;
events { worker_connections 8192; }
http {
	access_log off;
	sendfile on;
	keepalive_requests 1000000;
	client_body_temp_path $n/body;
	proxy_temp_path $n/proxy;
	fastcgi_temp_path $n/fastcgi;
	uwsgi_temp_path $n/uwsgi;
	scgi_temp_path $n/scgi;
	types { application/octet-stream 1k 1m 100m; }
	server {
		listen 127.0.0.1:$NGINX_PORT;
		root $TMP/www;
		location /nc/ { add_header Cache-Control no-store; etag off; }
		location /c/ { add_header Cache-Control "max-age=3600"; }
	}
}
EOF
	nginx -p "$n" -e "$n/error.log" -c "$n/nginx.conf" >"$n/stderr" 2>&1 &
	NGINX_PID=$!
	STARTED_PIDS="$STARTED_PIDS $NGINX_PID"
	wait_port "$NGINX_PORT" "$NGINX_PID" nginx
}

# ------------------------------------------------------------------ sluice
# sluice_conf FILE PORT [extra lines...]
sluice_conf() {
	f=$1; port=$2; shift 2
	d=$TMP/sluice; mkdir -p "$d"; chmod 777 "$d"
	if [ "$LOGMODE" = file ]; then al="access_log $d/access.log squid"
	else al="access_log none"; fi
	{
		echo "http_port 127.0.0.1:$port"
		echo "workers $NCPU"
		echo "pid_filename $d/sluice.pid"
		echo "cache_log $d/cache.log"
		echo "$al"
		echo "acl SSL_ports port 443 $NGINX_PORT"
		echo "http_access deny CONNECT !SSL_ports"
		echo "http_access allow localhost"
		echo "http_access deny all"
		for l in "$@"; do echo "$l"; done
	} > "$f"
}

start_sluice() {	# [extra config lines...]
	need_sluice
	SLUICE_PORT=$(free_port)
	sluice_conf "$TMP/sluice.conf" "$SLUICE_PORT" "$@"
	"$SLUICE" -t -f "$TMP/sluice.conf" >/dev/null 2>&1 ||
		die "sluice -t refused $TMP/sluice.conf"
	"$SLUICE" -d -f "$TMP/sluice.conf" >"$TMP/sluice/stderr" 2>&1 &
	SLUICE_PID=$!
	STARTED_PIDS="$STARTED_PIDS $SLUICE_PID"
	wait_port "$SLUICE_PORT" "$SLUICE_PID" sluice
	# the workers fork after the bind: wait for all of them
	i=0
	while [ "$(children "$SLUICE_PID" | wc -l)" -lt "$NCPU" ] && [ $i -lt 100 ]; do
		sleep 0.1; i=$((i + 1))
	done
}

# sluice_has_cache -- does this build accept a cache_dir line?
sluice_has_cache() {
	need_sluice
	mkdir -p "$TMP/sluice/probe"
	sluice_conf "$TMP/probe.conf" 3128 \
	    "cache_dir lmdb $TMP/sluice/probe 64"
	"$SLUICE" -t -f "$TMP/probe.conf" >"$TMP/probe.out" 2>&1
}

# ------------------------------------------------------------------- squid
# start_squid WORKERS [cache]
start_squid() {
	need_pkgs squid:squid
	SQUID_PORT=$(free_port)
	d=$TMP/squid$1; mkdir -p "$d"
	if [ "$LOGMODE" = file ]; then al="access_log stdio:$d/access.log squid"
	else al="access_log none"; fi
	cd_line=""; mo=""
	if [ "${2:-}" = cache ]; then
		mkdir -p "$d/cache"
		cd_line="cache_dir ufs $d/cache 1024 16 256"
		mo="maximum_object_size 16 MB"
	fi
	cat > "$d/squid.conf" <<EOF
http_port 127.0.0.1:$SQUID_PORT
workers $1
pid_filename $d/squid.pid
cache_log $d/cache.log
$al
coredump_dir $d
shutdown_lifetime 1 seconds
$cd_line
$mo
acl SSL_ports port 443 $NGINX_PORT
acl CONNECT method CONNECT
http_access deny CONNECT !SSL_ports
http_access allow localhost
http_access deny all
EOF
	[ "$(id -u)" = 0 ] && chown -R proxy:proxy "$d" 2>/dev/null || :
	if [ -n "$cd_line" ]; then
		squid -z --foreground -f "$d/squid.conf" >"$d/z.out" 2>&1 ||
			die "squid -z failed (see $d)"
	fi
	squid --foreground -f "$d/squid.conf" >"$d/stderr" 2>&1 &
	SQUID_PID=$!
	STARTED_PIDS="$STARTED_PIDS $SQUID_PID"
	WAIT_SOFT=1 wait_port "$SQUID_PORT" "$SQUID_PID" squid || {
		sed 's/^/bench: squid: /' "$d/cache.log" "$d/stderr" 2>/dev/null |
		    tail -5 >&2
		stop_pid "$SQUID_PID"
		return 1
	}
}

# -------------------------------------------------------------------- wrk
# wrk_run URL [lua] -> "reqs p50ms p99ms" (one run)
wrk_run() {
	if [ -n "${2:-}" ]; then
		out=$(wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency -s "$2" "$1" 2>&1)
	else
		out=$(wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency "$1" 2>&1)
	fi
	echo "$out" >> "$TMP/wrk.log"
	echo "$out" | awk '
	function ms(v) {
		if (v ~ /us$/) return substr(v, 1, length(v) - 2) / 1000
		if (v ~ /ms$/) return substr(v, 1, length(v) - 2) + 0
		if (v ~ /s$/) return substr(v, 1, length(v) - 1) * 1000
		return v
	}
	/Requests\/sec:/ { r = $2 }
	/^ +50%/ { p50 = ms($2) }
	/^ +99%/ { p99 = ms($2) }
	/Non-2xx or 3xx/ { bad = $NF }
	/Socket errors/ { err = $0 }
	END { if (bad > 0) r = -1; printf "%s %s %s\n", r, p50, p99 }'
}

# wrk_median URL [lua] -> "reqs p50 p99", medians of $RUNS runs each
wrk_median() {
	rm -f "$TMP/runs"
	k=0
	while [ $k -lt "$RUNS" ]; do
		wrk_run "$@" >> "$TMP/runs"
		k=$((k + 1))
	done
	runs_median "$TMP/runs" "$1"
}

# runs_median FILE WHAT -> "reqs p50 p99" medians of the "reqs p50 p99"
# lines in FILE, or "error error error" when a run saw non-2xx answers
runs_median() {
	if awk '$1 < 0 { f = 1 } END { exit !f }' "$1"; then
		say "non-2xx answers from $2, see $TMP/wrk.log"
		echo "error error error"; return
	fi
	printf '%s %s %s\n' "$(cut -d' ' -f1 "$1" | median)" \
	    "$(cut -d' ' -f2 "$1" | median)" "$(cut -d' ' -f3 "$1" | median)"
}

squid_workers_list() {
	case ${BENCH_SQUID_WORKERS:-best} in
	best)	echo "1 2" ;;
	*)	echo "$BENCH_SQUID_WORKERS" ;;
	esac
}

# wrk_lua PROXYPORT PATH -> file: absolute-form requests to the origin
wrk_lua() {
	f=$TMP/abs-$(echo "$2" | tr / _).lua
	printf 'wrk.path = "http://127.0.0.1:%s%s"\n' "$NGINX_PORT" "$2" > "$f"
	echo "$f"
}

median() {
	sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "n/a";
	    else if (NR % 2) print v[(NR + 1) / 2];
	    else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

ratio() {	# A B -> A/B with 2 decimals, or n/a
	awk -v a="$1" -v b="$2" 'BEGIN { if (a + 0 > 0 && b + 0 > 0)
	    printf "%.2f", a / b; else print "n/a" }'
}

# --------------------------------------------------------------- results
# Each part writes bench/results/<part>.md; RESULTS.md is assembled from
# the machine description and every part file present.
machine_md() {
	cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
	commit=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
	src=$(git -C "$ROOT" log -1 --format='%h "%s"' -- master worker acl \
	    cache configure.ac Makefile.am 2>/dev/null || :)
	[ -z "$src" ] || commit="$commit (last source change: $src)"
	git -C "$ROOT" diff --quiet HEAD -- . ':!bench' 2>/dev/null ||
		commit="$commit (+ uncommitted changes)"
	cat <<EOF
- date: $(date -u '+%Y-%m-%d %H:%M UTC')
- sluice commit: $commit
- machine: $(nproc) CPUs ($cpu), kernel $(uname -r), $(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME")
- nginx: $(nginx -v 2>&1 | sed 's/.*version: //')
- squid: $(squid -v 2>/dev/null | head -1 | sed 's/.*Version //')
- wrk: $(wrk -v 2>&1 | head -1 | awk '{ print $2 }')
- curl: $(curl --version | head -1 | awk '{ print $2 }')
- load average when the part started: $LOAD
- access logging: $LOGMODE for both sluice and squid (BENCH_LOG=$LOGMODE)
EOF
}

write_part() {	# NAME (part body on stdin: a heading line, then the text)
	mkdir -p "$BENCH_DIR/results"
	cat > "$TMP/body"
	{
		head -n 1 "$TMP/body"
		echo
		machine_md
		echo "- command: \`$BENCH_CMD\`"
		tail -n +2 "$TMP/body"
	} > "$BENCH_DIR/results/$1.md"
	assemble_results
}

assemble_results() {
	{
		echo "# sluice benchmark results"
		echo
		echo "Generated by \`bench/run\` (or one of its parts); rerun it to replace"
		echo "these figures.  **Shared-machine figures**: measured on a 2-core host"
		echo "where other people were building and running tests at the same time,"
		echo "so absolute numbers are noisy (each part records the load average"
		echo "when it started); each figure is the median of several runs, and"
		echo "within a part every target runs at once with their runs interleaved,"
		echo "so the ratios are fairer than the absolute figures.  Load generator,"
		echo "origin (nginx) and proxy all run on the same host over loopback."
		for f in "$BENCH_DIR"/results/*.md; do
			[ -f "$f" ] || continue
			echo
			cat "$f"
		done
	} > "$BENCH_DIR/RESULTS.md"
}
