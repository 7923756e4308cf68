# bench/lib.sh -- shared helpers for the sluice benchmarks (sourced, not run).
#
# Installs what a fresh Debian 12 lacks (apt-get, as root or through sudo),
# picks free loopback ports, starts nginx (origin, and in pinned mode a
# second nginx serving the same files directly), sluice, squid and Apache
# Traffic Server with configs generated in a temporary directory, measures
# each wrk run together with the CPU time the measured server used, and
# stops exactly the processes it started, by PID.
#
# Modes (BENCH_MODES, default "pinned unpinned"; each part runs every mode
# listed, one after the other, with fresh processes):
#   pinned    the server under test (proxy, or nginx for the direct rows)
#             on one core (BENCH_PROXY_CPU, 0) with one worker: sluice
#             `workers 1`, squid `workers 1`, Traffic Server one net
#             thread; wrk (one thread), curl and the origin nginx (one
#             worker) on the other cores (BENCH_LOAD_CPUS).  Everything is
#             started under taskset(1), so children inherit the mask.
#   unpinned  nothing pinned: sluice `workers N` (N = CPUs), squid
#             `workers 1` and `workers 2` (BENCH_SQUID_WORKERS), Traffic
#             Server N threads, wrk BENCH_THREADS threads; the origin also
#             serves the direct rows.
#
# CPU accounting: before and after each run, the on-CPU time of every
# thread of the measured server's processes (the started PID and all its
# descendants, /proc/PID/task/*/schedstat, nanoseconds) and the busy
# jiffies of the proxy core (pinned) or of the host (unpinned, from
# /proc/stat, softirq included, other users' work included).  Reported as
# "proxy CPU %" (of one core), "µs of CPU per request" and "core busy %".
#
# Caveats: everything runs on one machine and on loopback, so the load
# generator, the origin and the proxy share the host; figures compare the
# servers with each other under the same conditions, they are not absolute.
# Other knobs: see bench/README.

set -eu

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
SLUICE=${SLUICE_BIN:-$ROOT/sluice}
DURATION=${BENCH_DURATION:-10s}
THREADS=${BENCH_THREADS:-2}
CONNS=${BENCH_CONNS:-50}
RUNS=${BENCH_RUNS:-3}
LOGMODE=${BENCH_LOG:-file}
MODES=${BENCH_MODES:-pinned unpinned}
PEERS=${BENCH_PEERS-squid ats}
NCPU=$(nproc)
PROXY_CPU=${BENCH_PROXY_CPU:-0}
if [ -n "${BENCH_LOAD_CPUS:-}" ]; then
	LOAD_CPUS=$BENCH_LOAD_CPUS
elif [ "$NCPU" -gt 1 ]; then
	# every online CPU but the proxy's
	LOAD_CPUS=$(awk -v p="$PROXY_CPU" -v n="$NCPU" 'BEGIN { s = "";
	    for (i = 0; i < n; i++) if (i != p) s = s (s == "" ? "" : ",") i;
	    print s }')
else
	LOAD_CPUS=""
fi
STARTED_PIDS=""
USED_PORTS=""

case $LOGMODE in
file|none) ;;
*) echo "bench: BENCH_LOG must be file or none" >&2; exit 1 ;;
esac

# cmd_line ARGS... -> the command as a reviewer retypes it, with the
# BENCH_* settings that differ from the defaults in front.
cmd_line() {
	c="$*"
	for v in BENCH_DURATION BENCH_THREADS BENCH_CONNS BENCH_RUNS BENCH_LOG \
	    BENCH_MODES BENCH_PEERS BENCH_PROXY_CPU BENCH_LOAD_CPUS \
	    BENCH_SQUID_WORKERS BENCH_CONNECT_RUNS BENCH_CONNECT_MB \
	    BENCH_IDLE_CONNS BENCH_STORE_CONNS BENCH_STORE_SIZES BENCH_STORE_CACHE_MB \
	    BENCH_SYSCALL_REQS BENCH_PERF SLUICE_BIN SLUICE_BINS; do
		eval "x=\${$v:-}"
		[ -z "$x" ] || c="$v=\"$x\" $c"
	done
	echo "$c"
}

say() { printf '%s\n' "bench: $*" >&2; }
die() { say "error: $*"; exit 1; }

has_peer() { echo " $PEERS " | grep -q " $1 "; }

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
	# policy-rc.d-less hosts would start the packaged services on :80,
	# :3128 and :8080; they are stopped again below if that happened.
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing
	for p in $missing; do
		case $p in
		nginx|squid|trafficserver)
			if command -v systemctl >/dev/null 2>&1; then
				$SUDO systemctl stop "$p" 2>/dev/null || :
				$SUDO systemctl disable "$p" 2>/dev/null || :
			fi ;;
		esac
	done
}
PATH=$PATH:/usr/sbin:/sbin

# the packages every part needs, peers included
need_base() {
	set -- wrk:wrk curl:curl nginx:nginx taskset:util-linux
	has_peer squid && set -- "$@" squid:squid
	has_peer ats && set -- "$@" traffic_server:trafficserver
	need_pkgs "$@"
}

# ------------------------------------------------------------------ sluice
# SLUICE_BINS="LABEL=PATH ..." runs several builds side by side (targets
# named sluice:LABEL); default: one build, SLUICE_BIN or ./sluice, named
# sluice.
sluice_list() {	# -> "NAME PATH" lines
	if [ -n "${SLUICE_BINS:-}" ]; then
		for lp in $SLUICE_BINS; do
			case $lp in
			*=*) echo "sluice:${lp%%=*} ${lp#*=}" ;;
			*) die "SLUICE_BINS: LABEL=PATH expected, got $lp" ;;
			esac
		done
	else
		echo "sluice $SLUICE"
	fi
}

need_sluice() {
	if [ -n "${SLUICE_BINS:-}" ]; then
		sluice_list | while read -r n b; do
			[ -x "$b" ] || die "$n: $b is not an executable"
		done
		return 0
	fi
	[ -x "$SLUICE" ] || (cd "$ROOT" && ./setup.sh) || die "build failed"
}

# ------------------------------------------------------------------ tmpdir
bench_tmp() {
	TMP=$(mktemp -d /tmp/sluice-bench.XXXXXX)
	# nginx workers run as nobody, squid as proxy and Traffic Server as
	# trafficserver when we are root: they must be able to reach their
	# files.
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

# stop_pid PID -- SIGTERM one process we started and wait for it (10 s,
# then SIGKILL); its children exit with it (sluice: PDEATHSIG/drain,
# squid, nginx and Traffic Server: their masters stop them).
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

# stop_all -- every process started so far (end of a mode)
stop_all() {
	for p in $STARTED_PIDS; do
		stop_pid "$p"
	done
}

# ------------------------------------------------------------------- modes
# mode_set pinned|unpinned -- sets PIN_PX and PIN_LD (command prefixes for
# the server under test and for the load side), PX_WORKERS (sluice
# workers), ATS_THREADS, SQUID_WLIST (squid worker counts to run),
# WRK_THREADS and MODE_NOTE (one sentence for the results).
mode_set() {
	MODE=$1
	case $1 in
	pinned)
		[ -n "$LOAD_CPUS" ] || die "pinned mode needs 2 CPUs or more"
		PIN_PX="taskset -c $PROXY_CPU"
		PIN_LD="taskset -c $LOAD_CPUS"
		PX_WORKERS=1; ATS_THREADS=1; SQUID_WLIST=1; WRK_THREADS=1
		MODE_NOTE="Pinned: each server under test (the proxy, or nginx for \
the direct rows) on CPU $PROXY_CPU with one worker (sluice \`workers 1\`, \
squid \`workers 1\`, Traffic Server 1 net thread, nginx 1 worker); wrk \
(1 thread), curl and the origin nginx (1 worker) on CPU $LOAD_CPUS."
		;;
	unpinned)
		PIN_PX=""; PIN_LD=""
		PX_WORKERS=$NCPU; ATS_THREADS=$NCPU; WRK_THREADS=$THREADS
		SQUID_WLIST=${SQUID_FIXED:-$(squid_workers_list)}
		MODE_NOTE="Unpinned: nothing pinned; sluice \`workers $NCPU\`, \
Traffic Server $NCPU net threads, squid workers $(echo $SQUID_WLIST |
		    sed 's/ / and /'), wrk $THREADS threads; the origin nginx \
(worker_processes auto) also serves the direct rows."
		;;
	*) die "BENCH_MODES: pinned or unpinned, not $1" ;;
	esac
}

# modes_run FUNCTION -- FUNCTION MODE for every mode in BENCH_MODES, a
# fresh set of processes each time.
modes_run() {
	for m in $MODES; do
		if [ "$m" = pinned ] && [ -z "$LOAD_CPUS" ]; then
			say "one CPU: no pinned mode"
			echo "### pinned" >> "$TMP/part.md"
			echo >> "$TMP/part.md"
			echo "Not run: this host has one CPU." >> "$TMP/part.md"
			continue
		fi
		mode_set "$m"
		"$1" "$m"
		stop_all
	done
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

wait_port() {	# PORT PID WHAT -- dies unless WAIT_SOFT is set (then returns 1)
	i=0
	while ! listening "$1"; do
		if ! kill -0 "$2" 2>/dev/null; then
			say "$3 exited at start (see $TMP)"
			[ -n "${WAIT_SOFT:-}" ] && return 1
			exit 1
		fi
		if [ $i -ge 600 ]; then
			say "$3 did not listen on $1 within 60 s"
			[ -n "${WAIT_SOFT:-}" ] && { stop_pid "$2"; return 1; }
			exit 1
		fi
		sleep 0.1; i=$((i + 1))
	done
}

# ---------------------------------------------------------- process trees
# children PID -> PIDs whose parent is PID (any of its threads)
children() {
	cat /proc/"$1"/task/*/children 2>/dev/null | tr ' ' '\n' | sed '/^$/d'
}

# tree PID -> PID and all its descendants
tree() {
	echo "$1"
	for _tree_k in $(children "$1"); do
		tree "$_tree_k"
	done
}

# cpu_ns PIDS... -> on-CPU nanoseconds of every thread of PIDS (user and
# system; from schedstat, so finer than the 10 ms of utime/stime)
cpu_ns() {
	_cn=0
	for _cp in "$@"; do
		for _cf in /proc/"$_cp"/task/*/schedstat; do
			[ -r "$_cf" ] || continue
			read -r _cs _ < "$_cf" 2>/dev/null || continue
			_cn=$((_cn + _cs))
		done
	done
	echo "$_cn"
}

# core_jiffies -> "busy total busy total": the proxy CPU's jiffies and the
# load CPUs' (pinned), or the host's twice (unpinned)
core_jiffies() {
	if [ "$MODE" = pinned ]; then
		_cj="cpu$PROXY_CPU"; _cl=" $(cpus_expand "$LOAD_CPUS") "
	else
		_cj=cpu; _cl=" cpu "
	fi
	awk -v k="$_cj" -v l="$_cl" '$1 ~ /^cpu/ { t = 0
	    for (i = 2; i <= NF; i++) t += $i
	    if ($1 == k) { pb = t - $5 - $6; pt = t }
	    if (index(l, " " $1 " ")) { lb += t - $5 - $6; lt += t } }
	    END { print pb, pt, lb, lt }' /proc/stat
}

# cpus_expand LIST -> "cpu1 cpu2 ..." for a taskset list such as 1,3-5
cpus_expand() {
	echo "$1" | tr ',' '\n' | awk -F- '{ b = $1; e = (NF > 1 ? $2 : $1)
	    for (i = b; i <= e; i++) printf "cpu%d ", i }'
}

# ------------------------------------------------------------------ origin
# nginx_conf DIR PORT WORKERS -> DIR/nginx.conf serving $TMP/www:
#   /nc/*  Cache-Control: no-store (pass-through, never cached)
#   /c/*   Cache-Control: max-age=3600 and nginx's ETag (cacheable)
#   /s/SIZE/ANYTHING  the file www/s/SIZE, max-age=3600: one cacheable
#          URL per distinct ANYTHING (the store-heavy part)
#   /nginx_status  stub_status (requests served, to check that hits do
#          not reach the origin)
nginx_conf() {
	mkdir -p "$1"
	cat > "$1/nginx.conf" <<EOF
daemon off;
worker_processes $3;
pid $1/nginx.pid;
error_log $1/error.log warn;
worker_rlimit_nofile 16384;
events { worker_connections 8192; }
http {
	access_log off;
	sendfile on;
	keepalive_requests 1000000;
	client_body_temp_path $1/body;
	proxy_temp_path $1/proxy;
	fastcgi_temp_path $1/fastcgi;
	uwsgi_temp_path $1/uwsgi;
	scgi_temp_path $1/scgi;
	default_type application/octet-stream;
	server {
		listen 127.0.0.1:$2;
		root $TMP/www;
		location /nc/ { add_header Cache-Control no-store; etag off; }
		location /c/ { add_header Cache-Control "max-age=3600"; }
		location /s/ {
			add_header Cache-Control "max-age=3600";
			rewrite ^/s/([0-9]+k)/ /s/\$1 break;
		}
		location = /nginx_status { stub_status; }
	}
}
EOF
}

# www_files -- the origin's files (once per part)
www_files() {
	[ -f "$TMP/www/c/1m" ] && return 0
	mkdir -p "$TMP/www/nc" "$TMP/www/c" "$TMP/www/s"
	head -c 1024 /dev/urandom > "$TMP/www/nc/1k"
	cp "$TMP/www/nc/1k" "$TMP/www/c/1k"
	head -c 1048576 /dev/urandom > "$TMP/www/c/1m"
	for s in ${BENCH_STORE_SIZES:-1 4 16 64 256}; do
		head -c $((s * 1024)) /dev/urandom > "$TMP/www/s/${s}k"
	done
	if [ -n "${NGINX_BIG:-}" ]; then
		head -c $((${BENCH_CONNECT_MB:-100} * 1048576)) /dev/zero \
		    > "$TMP/www/nc/big"
	fi
	chmod -R a+rX "$TMP/www"
}

# start_nginx -- the origin on $NGINX_PORT (load CPUs when pinned, one
# worker), and the direct reference on $DIRECT_PORT: in pinned mode a
# second nginx on the proxy CPU with one worker (the same layout as a
# proxy: server on one core, wrk on the other), unpinned the origin
# itself.  DIRECT_PID is the process whose CPU the direct rows report.
start_nginx() {
	need_pkgs nginx:nginx
	www_files
	NGINX_PORT=$(free_port)
	if [ "$MODE" = pinned ]; then w=1; else w=auto; fi
	nginx_conf "$TMP/nginx-origin" "$NGINX_PORT" "$w"
	$PIN_LD nginx -p "$TMP/nginx-origin" -e "$TMP/nginx-origin/error.log" \
	    -c "$TMP/nginx-origin/nginx.conf" >"$TMP/nginx-origin/stderr" 2>&1 &
	NGINX_PID=$!
	STARTED_PIDS="$STARTED_PIDS $NGINX_PID"
	wait_port "$NGINX_PORT" "$NGINX_PID" nginx
	if [ "$MODE" = pinned ]; then
		DIRECT_PORT=$(free_port)
		nginx_conf "$TMP/nginx-direct" "$DIRECT_PORT" 1
		$PIN_PX nginx -p "$TMP/nginx-direct" \
		    -e "$TMP/nginx-direct/error.log" \
		    -c "$TMP/nginx-direct/nginx.conf" \
		    >"$TMP/nginx-direct/stderr" 2>&1 &
		DIRECT_PID=$!
		STARTED_PIDS="$STARTED_PIDS $DIRECT_PID"
		wait_port "$DIRECT_PORT" "$DIRECT_PID" "nginx (direct)"
	else
		DIRECT_PORT=$NGINX_PORT; DIRECT_PID=$NGINX_PID
	fi
}

# origin_requests -> requests the origin served so far (stub_status; the
# status request itself included)
origin_requests() {
	curl -sf "http://127.0.0.1:$NGINX_PORT/nginx_status" |
	    awk 'NR == 3 { print $3 }'
}

# ------------------------------------------------------------------ sluice
# sluice_conf FILE PORT DIR [extra lines...]
sluice_conf() {
	f=$1; port=$2; d=$3; shift 3
	mkdir -p "$d"; chmod 777 "$d"
	if [ "$LOGMODE" = file ]; then al="access_log $d/access.log squid"
	else al="access_log none"; fi
	{
		echo "http_port 127.0.0.1:$port"
		echo "workers ${PX_WORKERS:-$NCPU}"
		echo "pid_filename $d/sluice.pid"
		echo "cache_log $d/cache.log"
		echo "$al"
		echo "acl SSL_ports port 443 ${NGINX_PORT:-443}"
		echo "http_access deny CONNECT !SSL_ports"
		echo "http_access allow localhost"
		echo "http_access deny all"
		for l in "$@"; do echo "$l"; done
	} > "$f"
}

# start_sluice NAME BINARY [extra config lines...] -- SLUICE_PORT,
# SLUICE_PID, SLUICE_DIR; %DIR% in an extra line is SLUICE_DIR.
start_sluice() {
	n=$1; bin=$2; shift 2
	SLUICE_PORT=$(free_port)
	SLUICE_DIR=$TMP/$(echo "$n" | tr : -)-$MODE
	rm -rf "$SLUICE_DIR"
	mkdir -p "$SLUICE_DIR"
	: > "$TMP/sl.extra"
	for l in "$@"; do
		echo "$l" | sed "s|%DIR%|$SLUICE_DIR|g" >> "$TMP/sl.extra"
	done
	set --
	while IFS= read -r l; do set -- "$@" "$l"; done < "$TMP/sl.extra"
	sluice_conf "$SLUICE_DIR/sluice.conf" "$SLUICE_PORT" "$SLUICE_DIR" "$@"
	"$bin" -t -f "$SLUICE_DIR/sluice.conf" >"$SLUICE_DIR/t.out" 2>&1 ||
		die "$n: sluice -t refused $SLUICE_DIR/sluice.conf: $(cat "$SLUICE_DIR/t.out")"
	$PIN_PX "$bin" -d -f "$SLUICE_DIR/sluice.conf" >"$SLUICE_DIR/stderr" 2>&1 &
	SLUICE_PID=$!
	STARTED_PIDS="$STARTED_PIDS $SLUICE_PID"
	wait_port "$SLUICE_PORT" "$SLUICE_PID" "$n"
	# the workers fork after the bind: wait for all of them
	i=0
	while [ "$(children "$SLUICE_PID" | wc -l)" -lt "$PX_WORKERS" ] &&
	    [ $i -lt 100 ]; do
		sleep 0.1; i=$((i + 1))
	done
}

# sluice_has_cache BINARY -- does this build accept a cache_dir line?
sluice_has_cache() {
	mkdir -p "$TMP/probe"
	sluice_conf "$TMP/probe.conf" 3128 "$TMP/probe" \
	    "cache_dir lmdb $TMP/probe 64"
	"$1" -t -f "$TMP/probe.conf" >"$TMP/probe.out" 2>&1
}

# ------------------------------------------------------------------- squid
# start_squid WORKERS [cache] -- SQUID_PORT, SQUID_PID; SQUID_EXTRA: more
# config lines.
start_squid() {
	need_pkgs squid:squid
	SQUID_PORT=$(free_port)
	d=$TMP/squid$1-$MODE; rm -rf "$d"; mkdir -p "$d"
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
${SQUID_EXTRA:-}
EOF
	[ "$(id -u)" = 0 ] && chown -R proxy:proxy "$d" 2>/dev/null || :
	if [ -n "$cd_line" ]; then
		squid -z --foreground -f "$d/squid.conf" >"$d/z.out" 2>&1 ||
			die "squid -z failed (see $d)"
	fi
	$PIN_PX squid --foreground -f "$d/squid.conf" >"$d/stderr" 2>&1 &
	SQUID_PID=$!
	STARTED_PIDS="$STARTED_PIDS $SQUID_PID"
	WAIT_SOFT=1 wait_port "$SQUID_PORT" "$SQUID_PID" squid || {
		sed 's/^/bench: squid: /' "$d/cache.log" "$d/stderr" 2>/dev/null |
		    tail -5 >&2
		stop_pid "$SQUID_PID"
		return 1
	}
}

squid_workers_list() {
	case ${BENCH_SQUID_WORKERS:-best} in
	best)	echo "1 2" ;;
	*)	echo "$BENCH_SQUID_WORKERS" ;;
	esac
}

# ---------------------------------------------------------- Traffic Server
# start_ats -- Apache Traffic Server as a loopback forward caching proxy
# (bench/ats/: records.config with reverse_proxy and remap_required off,
# ip_allow.yaml for loopback, a RAM cache of ATS_RAM_CACHE bytes (256 MiB)
# and a file-backed disk cache of ATS_DISK_CACHE (1G), ATS_THREADS net
# threads, the squid log format when BENCH_LOG=file).  ATS_PORT, ATS_PID.
start_ats() {
	need_pkgs traffic_server:trafficserver
	ATS_PORT=$(free_port)
	P=$TMP/ats-$MODE; rm -rf "$P"
	mkdir -p "$P/etc" "$P/var" "$P/run" "$P/log" "$P/cache"
	if [ "$LOGMODE" = file ]; then lg=3; else lg=1; fi
	if [ "$(id -u)" = 0 ]; then u=trafficserver; else u=$(id -un); fi
	for f in records.config storage.config runroot.yaml; do
		sed -e "s|@HOST@|127.0.0.1|g; s|@PORT@|$ATS_PORT|g" \
		    -e "s|@PDIR@|$P|g; s|@ATS_THREADS@|$ATS_THREADS|g" \
		    -e "s|@ATS_RAM_CACHE@|${ATS_RAM_CACHE:-268435456}|g" \
		    -e "s|@ATS_DISK_CACHE@|${ATS_DISK_CACHE:-1G}|g" \
		    -e "s|@ATS_LOGGING@|$lg|g; s|@ATS_USER@|$u|g" \
		    "$BENCH_DIR/ats/$f.tmpl" > "$P/etc/$f"
	done
	mv "$P/etc/runroot.yaml" "$P/runroot.yaml"
	cp "$BENCH_DIR/ats/ip_allow.yaml" "$BENCH_DIR/ats/logging.yaml" "$P/etc/"
	for f in remap.config cache.config volume.config hosting.config \
	    plugin.config parent.config socks.config splitdns.config \
	    ssl_multicert.config sni.yaml strategies.yaml; do
		: > "$P/etc/$f"
	done
	[ "$u" = trafficserver ] && chown -R trafficserver:trafficserver "$P"
	(cd "$P" && exec $PIN_PX traffic_server --run-root="$P/runroot.yaml") \
	    >"$P/stdout" 2>&1 &
	ATS_PID=$!
	STARTED_PIDS="$STARTED_PIDS $ATS_PID"
	WAIT_SOFT=1 wait_port "$ATS_PORT" "$ATS_PID" "Traffic Server" || {
		sed 's/^/bench: ats: /' "$P/log/diags.log" "$P/stdout" \
		    2>/dev/null | tail -5 >&2
		return 1
	}
	# it listens before the cache is up; wait for "fully initialized"
	i=0
	until grep -q 'fully initialized' "$P/log/diags.log" 2>/dev/null; do
		[ $i -lt 300 ] || { say "Traffic Server: no cache after 30 s"; break; }
		sleep 0.1; i=$((i + 1))
	done
}

ats_version() {
	traffic_server -V 2>/dev/null | awk '/Apache Traffic Server/ {
	    for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+\.[0-9]+/) { print $i; exit } }'
}

# -------------------------------------------------------------------- wrk
# wrk_lua NAME [PROXIED_PATH] -> a Lua file: sets wrk.path to the origin's
# absolute URL when PROXIED_PATH is given, and prints "BENCH requests
# duration_us non2xx socket_errors p50_us p99_us p999_us" at the end.
wrk_lua() {
	f=$TMP/wrk-$1.lua
	{
		[ -z "${2:-}" ] ||
			printf 'wrk.path = "http://127.0.0.1:%s%s"\n' "$NGINX_PORT" "$2"
		cat "$BENCH_DIR/report.lua"
	} > "$f"
	echo "$f"
}

# wrk_run URL LUA -> "reqs_per_s p50_ms p99_ms p999_ms requests seconds",
# req/s -1 when the run saw non-2xx/3xx answers or socket errors
wrk_run() {
	out=$($PIN_LD wrk -t"$WRK_THREADS" -c"$CONNS" -d"$DURATION" -s "$2" \
	    "$1" 2>&1) || :
	printf '%s\n%s\n' "== $1 $2" "$out" >> "$TMP/wrk.log"
	echo "$out" | awk '
	/^BENCH / { n = $2; us = $3; bad = ($4 > 0 || $5 * 100 > n)
	    if (us <= 0 || n <= 0) { print "-1 0 0 0 0 0"; exit }
	    printf "%.1f %.3f %.3f %.3f %d %.3f\n", (bad ? -1 : n * 1e6 / us),
	        $6 / 1000, $7 / 1000, $8 / 1000, n, us / 1e6; f = 1 }
	END { if (!f) print "-1 0 0 0 0 0" }'
}

# measure ROOTPID CMD... -> runs CMD (which prints "reqs_per_s p50 p99
# p999 requests seconds"), appends "cpu_pct us_per_req core_pct" for
# ROOTPID's process tree over the run
measure() {
	rp=$1; shift
	pids=$(tree "$rp")
	c0=$(cpu_ns $pids); k0=$(core_jiffies)
	r=$("$@")
	c1=$(cpu_ns $pids); k1=$(core_jiffies)
	echo "$r $c0 $c1 $k0 $k1" | awk '{
	    n = $5; s = $6; dc = $8 - $7
	    db = $13 - $9; dt = $14 - $10; lb = $15 - $11; lt = $16 - $12
	    printf "%s %s %s %s %s %s %.1f %.2f %.1f %.1f\n", $1, $2, $3, $4,
	        $5, $6, (s > 0 ? dc / (s * 1e7) : 0), (n > 0 ? dc / 1000 / n : 0),
	        (dt > 0 ? 100 * db / dt : 0), (lt > 0 ? 100 * lb / lt : 0) }'
}

# Record lines (one per run, in round order) in $TMP/runs.MODE.NAME:
#   1 req/s  2 p50 ms  3 p99 ms  4 p99.9 ms  5 requests  6 seconds
#   7 proxy CPU % of one core  8 µs of CPU per request
#   9 proxy core (pinned) or host (unpinned) busy %
#  10 load cores busy % (pinned; the host again when unpinned)

median() {
	sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "n/a";
	    else if (NR % 2) print v[(NR + 1) / 2];
	    else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# col FILE FIELD -> the field's values, one a line
col() { awk -v f="$2" '{ print $f }' "$1"; }

# failed FILE -> true when a run of FILE saw errors
failed() { awk '$1 < 0 { f = 1 } END { exit !f }' "$1"; }

# mmm FILE FIELD [FMT] -> "median (min–max)"
mmm() {
	col "$1" "$2" | sort -g | awk -v fmt="${3:-%.0f}" '{ v[NR] = $1 }
	    END { if (NR == 0) { print "n/a"; exit }
	    m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
	    if (NR == 1) { printf fmt "\n", m; exit }
	    printf fmt " (" fmt "–" fmt ")\n", m, v[1], v[NR] }'
}

# med FILE FIELD -> the median alone
med() { col "$1" "$2" | median; }

# ratios A B FIELD -> per-round ratios A/B (line k of A over line k of B)
ratios() {
	paste -d' ' "$1" "$2" | awk -v f="$3" '{ n = NF / 2
	    if ($f > 0 && $(f + n) > 0) printf "%.3f\n", $f / $(f + n) }'
}

# ratio_mmm A B FIELD -> "median (min–max)" of the per-round ratios
ratio_mmm() {
	ratios "$1" "$2" "$3" > "$TMP/ratios"
	[ -s "$TMP/ratios" ] || { echo "n/a"; return; }
	mmm "$TMP/ratios" 1 "%.2f"
}

ratio() {	# A B -> A/B with 2 decimals, or n/a
	awk -v a="$1" -v b="$2" 'BEGIN { if (a + 0 > 0 && b + 0 > 0)
	    printf "%.2f", a / b; else print "n/a" }'
}

# run_rounds MODE TARGETS -- RUNS interleaved rounds over the targets file
# (lines "NAME ROOTPID URL LUA"); round k runs every target once, in
# order, appending to $TMP/runs.MODE.NAME.  With ORIGIN_CHECK set, the
# requests that reached the origin during each proxied run are added up
# in $TMP/origin.MODE.NAME (see origin_summary).
run_rounds() {
	k=0
	while [ $k -lt "$RUNS" ]; do
		k=$((k + 1))
		while read -r name rp url lua; do
			say "$PART ($1): round $k/$RUNS: $name"
			[ -z "${ORIGIN_CHECK:-}" ] || o0=$(origin_requests)
			measure "$rp" wrk_run "$url" "$lua" < /dev/null \
			    >> "$TMP/runs.$1.$name"
			[ -z "${ORIGIN_CHECK:-}" ] ||
				echo $(($(origin_requests) - o0 - 1)) \
				    >> "$TMP/origin.$1.$name"
		done < "$2"
	done
}

# origin_summary MODE TARGETS -> "sluice: 0, squid, workers 1: 0, ..."
origin_summary() {
	while read -r name rp url lua; do
		[ "$name" != direct ] || continue
		printf '%s: %s\n' "$(label "$name")" \
		    "$(awk '{ t += $1 } END { print t + 0 }' "$TMP/origin.$1.$name")"
	done < "$2" | awk '{ s = s (NR > 1 ? ", " : "") $0 } END { print s "." }'
}

# table_head TARGETS [mb] / table_rows MODE TARGETS [SIZE] -- one markdown
# row per target: req/s and the ratio to the direct row of the same round
# (median, min–max), and to the direct-origin row when there is one
# (pinned: the origin itself, on the load core), MB/s when SIZE (bytes) is
# given, p50/p99 ms, proxy CPU %, µs/request, core busy %
table_head() {
	if [ -n "${2:-}" ]; then mb=" MB/s |"; mbs="---|"; else mb=""; mbs=""; fi
	if grep -q '^direct-origin ' "$1"; then
		ro=" ratio to origin direct |"; ros="---|"
	else
		ro=""; ros=""
	fi
	if [ "$MODE" = pinned ]; then
		core="proxy core busy % | load core busy % |"; cs="---|---|"
	else
		core="host busy % |"; cs="---|"
	fi
	echo "| target | req/s | ratio to direct |$ro$mb p50 ms | p99 ms | proxy CPU % | µs CPU/req | $core"
	echo "|---|---|---|$ros$mbs---|---|---|---|$cs"
}
table_rows() {
	d=$TMP/runs.$1.direct
	dorg=$TMP/runs.$1.direct-origin
	while read -r name rp url lua; do
		f=$TMP/runs.$1.$name
		if failed "$f"; then
			echo "| $(label "$name") | errors (see wrk.log) | | | | | | | | |"
			continue
		fi
		if [ "$name" = direct ]; then rt=1.00; else rt=$(ratio_mmm "$f" "$d" 1); fi
		ro=""
		if grep -q '^direct-origin ' "$2"; then
			if [ "$name" = direct-origin ]; then ro=" 1.00 |"
			else ro=" $(ratio_mmm "$f" "$dorg" 1) |"; fi
		fi
		if [ -n "${3:-}" ]; then
			m=" $(med "$f" 1 | awk -v s="$3" '{ printf "%.0f", $1 * s / 1e6 }') |"
		else m=""; fi
		if [ "$MODE" = pinned ]; then
			cb="$(med "$f" 9) | $(med "$f" 10) |"
		else
			cb="$(med "$f" 9) |"
		fi
		echo "| $(label "$name") | $(mmm "$f" 1) | $rt |$ro$m $(med "$f" 2) | $(med "$f" 3) | $(mmm "$f" 7 %.0f) | $(mmm "$f" 8 %.1f) | $cb"
	done < "$2"
}

# label NAME -> the row's name in the tables
label() {
	case $1 in
	direct)		echo "nginx direct" ;;
	direct-origin)	echo "nginx direct, origin on the load core" ;;
	sluice)		echo "sluice" ;;
	sluice:*)	echo "sluice (${1#sluice:})" ;;
	squid*)		echo "squid, workers ${1#squid}" ;;
	ats)		echo "Traffic Server" ;;
	*)		echo "$1" ;;
	esac
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
	bins=$(sluice_list | while read -r n b; do
		printf '%s `%s` (%s), ' "$n" "$b" "$(sluice_build "$b")"; done |
	    sed 's/, $//')
	cat <<EOF
- date: $(date -u '+%Y-%m-%d %H:%M UTC')
- sluice commit: $commit
- sluice builds: $bins
- machine: $(nproc) CPUs ($cpu), kernel $(uname -r), $(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME")
- nginx: $(nginx -v 2>&1 | sed 's/.*version: //')
- squid: $(squid -v 2>/dev/null | head -1 | sed 's/.*Version //')
- Traffic Server: $(ats_version)
- wrk: $(wrk -v 2>&1 | head -1 | awk '{ print $2 }')
- curl: $(curl --version | head -1 | awk '{ print $2 }')
- load average when the part started: $LOAD; when it ended: $(cut -d' ' -f1-3 /proc/loadavg)
- access logging: $LOGMODE (BENCH_LOG=$LOGMODE: $(if [ "$LOGMODE" = file ]; then
	echo "each proxy writes its native access log to a file"; else
	echo "no access log"; fi))
EOF
}

# sluice_build BINARY -> "commit" when the binary sits in a git checkout
sluice_build() {
	d=$(dirname "$1")
	git -C "$d" rev-parse --short HEAD 2>/dev/null || echo "no git"
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
		echo "when it started and ended); each figure is the median of several"
		echo "runs with the minimum and maximum in brackets, and within a part"
		echo "every target runs at once with their runs interleaved, so the"
		echo "ratios (each run over the direct run of the same round) are fairer"
		echo "than the absolute figures.  Load generator, origin (nginx) and"
		echo "proxy all run on the same host over loopback."
		for f in "$BENCH_DIR"/results/*.md; do
			[ -f "$f" ] || continue
			echo
			cat "$f"
		done
	} > "$BENCH_DIR/RESULTS.md"
}
