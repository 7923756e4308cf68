/*
 * unit-conf.c -- the configuration parser (worker/core/conf.c): every
 * directive, units, defaults, include, the tokenizer, and that every
 * error is reported as "file:line: message" and collected.
 *
 * A test process: writes configs into a mkdtemp() directory under /tmp,
 * sends the cache_log to a file there and reads the messages back.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <regex.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "req_cache.h"
#include "conf.h"
#include "log.h"
#include "policy.h"
#include "refresh.h"
#include "tap.h"

static char	 tdir[64];		/* the temp dir */
static char	 logpath[128];		/* cache_log of this test */
static char	 logbuf[65536];		/* its contents after the last load */
static char	*tpaths[64];		/* to remove at the end */
static int	 ntpaths;

static void
t_track(const char *path)
{
	int i;

	for (i = 0; i < ntpaths; i++)
		if (strcmp(tpaths[i], path) == 0)
			return;		/* rewritten: removed once */
	if (ntpaths == (int)(sizeof(tpaths) / sizeof(tpaths[0])))
		bail_out("too many temp files");
	if ((tpaths[ntpaths++] = strdup(path)) == NULL)
		bail_out("out of memory");
}

/* Write @content to tdir/@name; returns the full path (static until end). */
static const char *
t_file(const char *name, const char *content)
{
	char path[256];
	FILE *fp;
	int i;

	snprintf(path, sizeof(path), "%s/%s", tdir, name);
	if ((fp = fopen(path, "w")) == NULL)
		bail_out("cannot write %s: %s", path, strerror(errno));
	fputs(content, fp);
	fclose(fp);
	t_track(path);
	for (i = 0; strcmp(tpaths[i], path) != 0; i++)
		continue;
	return tpaths[i];
}

static void
t_mkdir(const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", tdir, name);
	if (mkdir(path, 0700) == -1)
		bail_out("mkdir %s: %s", path, strerror(errno));
	t_track(path);
}

/* Empty the log, then (after a load) read it back into logbuf. */
static void
t_log_reset(void)
{
	if (ftruncate(log_fd(), 0) == -1)
		bail_out("ftruncate: %s", strerror(errno));
	logbuf[0] = '\0';
}

static void
t_log_read(void)
{
	ssize_t n;
	int fd;

	if ((fd = open(logpath, O_RDONLY)) == -1)
		bail_out("open %s: %s", logpath, strerror(errno));
	n = read(fd, logbuf, sizeof(logbuf) - 1);
	logbuf[n > 0 ? n : 0] = '\0';
	close(fd);
}

/* Write @content as tdir/@name and load it; *c is NULL on failure. */
static int
t_load(const char *name, const char *content, struct conf **c)
{
	const char *path;
	int rc;

	path = content != NULL ? t_file(name, content) : name;
	*c = NULL;
	t_log_reset();
	rc = conf_load(path, c);
	t_log_read();
	return rc;
}

static void
t_cleanup(void)
{
	int i;

	for (i = ntpaths - 1; i >= 0; i--) {
		if (unlink(tpaths[i]) == -1)
			rmdir(tpaths[i]);	/* a directory */
		free(tpaths[i]);
	}
	unlink(logpath);
	rmdir(tdir);
}

static unsigned
t_port(const struct conf_listen *l)
{
	if (l->addr.ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)&l->addr)->
		    sin6_port);
	return ntohs(((const struct sockaddr_in *)&l->addr)->sin_port);
}

/* The listener's address as text, for is_str(). */
static const char *
t_addr(const struct conf_listen *l, char *buf, size_t size)
{
	const void *a;

	if (l->addr.ss_family == AF_INET6)
		a = &((const struct sockaddr_in6 *)&l->addr)->sin6_addr;
	else
		a = &((const struct sockaddr_in *)&l->addr)->sin_addr;
	if (inet_ntop(l->addr.ss_family, a, buf, (socklen_t)size) == NULL)
		return "?";
	return buf;
}

/* ---------------------------------------------------------------- tables */

static const struct {
	const char	*num, *unit;
	int		 rc;
	size_t		 want;
	const char	*desc;
} size_cases[] = {
	{ "64", "KB", 0, 65536, "64 KB is 65536 bytes" },
	{ "64KB", NULL, 0, 65536, "64KB (unit attached) is 65536 bytes" },
	{ "64", "kb", 0, 65536, "units ignore case" },
	{ "1", "MB", 0, 1048576, "1 MB is 1048576 bytes" },
	{ "2", "GB", 0, 2147483648ULL, "2 GB is 2^31 bytes" },
	{ "100", NULL, 0, 100, "no unit means bytes" },
	{ "100", "bytes", 0, 100, "'bytes' is a unit" },
	{ "64", "XB", -1, 0, "an unknown size unit is refused" },
	{ "KB", NULL, -1, 0, "a unit without a number is refused" },
	{ "64KB", "KB", -1, 0, "two units are refused" },
	{ "-1", NULL, -1, 0, "a negative size is refused" },
	{ "99999999999999999999", "GB", -1, 0,
	    "an overflowing size is refused" },
};

static const struct {
	const char	*num, *unit;
	int		 rc;
	int64_t		 want;
	const char	*desc;
} time_cases[] = {
	{ "30", "seconds", 0, 30000, "30 seconds is 30000 ms" },
	{ "1", "second", 0, 1000, "'second' is a unit" },
	{ "2", "minutes", 0, 120000, "2 minutes is 120000 ms" },
	{ "500", "ms", 0, 500, "500 ms is 500 ms" },
	{ "3", "hours", 0, 10800000, "3 hours is 10800000 ms" },
	{ "1", "day", 0, 86400000, "1 day is 86400000 ms" },
	{ "1", "week", 0, 604800000, "1 week is 604800000 ms" },
	{ "45", NULL, 0, 45000, "no unit means seconds" },
	{ "30s", NULL, 0, 30000, "30s (unit attached) is 30000 ms" },
	{ "5", "fortnights", -1, 0, "an unknown time unit is refused" },
	{ "soon", NULL, -1, 0, "a word is not a time" },
};

static const struct {
	const char	*text;
	int		 rc;
	int		 family;
	const char	*addr;		/* or the error text */
	unsigned	 port;
	const char	*desc;
} listen_cases[] = {
	{ "3128", 0, AF_INET, "0.0.0.0", 3128,
	    "a bare port listens on every IPv4 address" },
	{ "127.0.0.1:3128", 0, AF_INET, "127.0.0.1", 3128,
	    "addr:port listens on that IPv4 address" },
	{ "[::1]:3129", 0, AF_INET6, "::1", 3129,
	    "[v6]:port listens on that IPv6 address" },
	{ "[::]:80", 0, AF_INET6, "::", 80,
	    "[::]:port listens on every IPv6 address" },
	{ "65535", 0, AF_INET, "0.0.0.0", 65535, "port 65535 is allowed" },
	{ "0", -1, 0, "port must be 1..65535", 0, "port 0 is refused" },
	{ "70000", -1, 0, "port must be 1..65535", 0, "port 70000 is refused" },
	{ "http", -1, 0, "bad port", 0, "a port name is refused" },
	{ "127.0.0.1:", -1, 0, "bad port", 0, "an empty port is refused" },
	{ ":3128", -1, 0, "bad address", 0, "an empty address is refused" },
	{ "localhost:3128", -1, 0, "bad address", 0,
	    "host names are refused (numeric addresses only)" },
	{ "[::1]", -1, 0, "missing port", 0, "[v6] without a port is refused" },
	{ "[::1:3128", -1, 0, "missing ']'", 0, "an unclosed '[' is refused" },
	{ "::1:3128", -1, 0, "brackets", 0,
	    "IPv6 without brackets is refused" },
	{ "[10.0.0.1]:3128", -1, 0, "bad address", 0,
	    "IPv4 in brackets is refused" },
};

/* Each config fails to load and logs the message (file:line included). */
static const struct {
	const char	*conf;
	const char	*msg;
	const char	*desc;
} error_cases[] = {
	{ "http_port 3128\ncache_dir ufs /var/cache/sluice 100 16 256\n",
	    "e.conf:2: 'cache_dir' takes lmdb PATH SIZE_MB, or none",
	    "cache_dir with squid's ufs L1 L2 arguments is an error" },
	{ "http_port 3128\ncache_dir rock /var/cache/sluice 100\n",
	    "e.conf:2: 'cache_dir': type 'rock' is not supported",
	    "a cache_dir type other than lmdb is an error" },
	{ "http_port 3128\ncache_dir lmdb cache 100\n",
	    "e.conf:2: 'cache_dir': 'cache' is not an absolute path",
	    "a relative cache_dir path is an error" },
	{ "http_port 3128\ncache_dir lmdb /var/cache/sluice 0\n",
	    "e.conf:2: 'cache_dir': size '0' must be 1..16777216",
	    "a zero cache_dir size is an error" },
	{ "http_port 3128\ncache_dir lmdb /var/cache/sluice 10x\n",
	    "e.conf:2: 'cache_dir': size '10x' must be",
	    "a cache_dir size with junk is an error" },
	{ "http_port 3128\ncache_dir lmdb /a 10\ncache_dir lmdb /b 10\n",
	    "e.conf:3: 'cache_dir': only one cache_dir is supported",
	    "a second cache_dir is an error at its line" },
	{ "http_port 3128\nmaximum_object_size 1 TB\n",
	    "e.conf:2: 'maximum_object_size': bad size '1 TB'",
	    "a bad maximum_object_size unit is an error" },
	{ "http_port 3128\nminimum_object_size -1\n",
	    "e.conf:2: 'minimum_object_size': bad size '-1'",
	    "a negative minimum_object_size is an error" },
	{ "http_port 3128\ncache_mem 64 MB\n",
	    "e.conf:2: unknown directive 'cache_mem'",
	    "an unknown directive is an error at its file:line" },
	{ "http_port 3128\nworkers 1 2\n",
	    "e.conf:2: 'workers' takes 1..1 arguments",
	    "too many arguments is an error" },
	{ "http_port 3128\nconnect_timeout\n",
	    "e.conf:2: 'connect_timeout' takes 1..2 arguments",
	    "too few arguments is an error" },
	{ "http_port 0\n", "e.conf:1: http_port '0': port must be 1..65535",
	    "http_port 0 is an error" },
	{ "http_port 70000\n",
	    "e.conf:1: http_port '70000': port must be 1..65535",
	    "http_port 70000 is an error" },
	{ "http_port proxy\n", "e.conf:1: http_port 'proxy': bad port",
	    "http_port with garbage is an error" },
	{ "http_port 3128 intercept\n",
	    "e.conf:1: http_port option intercept is not supported",
	    "squid's http_port options are refused" },
	{ "http_port 3128\nhttp_port 0.0.0.0:3128\n",
	    "e.conf:2: http_port 0.0.0.0:3128 repeats",
	    "the same address and port twice is an error" },
	{ "workers 2\n", "e.conf: no http_port",
	    "a config without http_port is an error" },
	{ "http_port 3128\nworkers 0\n",
	    "e.conf:2: 'workers' must be 1..64 or auto",
	    "workers 0 is an error" },
	{ "http_port 3128\nworkers 65\n",
	    "e.conf:2: 'workers' must be 1..64 or auto",
	    "workers 65 is an error" },
	{ "http_port 3128\nworkers many\n",
	    "e.conf:2: 'workers': bad number 'many'",
	    "workers with a word is an error" },
	{ "http_port 3128\ncache_effective_user no_such_user_sluice\n",
	    "e.conf:2: cache_effective_user: unknown user "
	    "'no_such_user_sluice'",
	    "an unknown cache_effective_user is an error at load" },
	{ "http_port 3128\nrequest_header_max_size 64 XB\n",
	    "e.conf:2: 'request_header_max_size': bad size '64 XB'",
	    "a bad size unit is an error" },
	{ "http_port 3128\nrequest_header_max_size 512 KB\n",
	    "e.conf:2: 'request_header_max_size' must be between 1 KB and "
	    "256 KB", "a header size above 256 KB is an error" },
	{ "http_port 3128\nreply_header_max_size 1023\n",
	    "e.conf:2: 'reply_header_max_size' must be between 1 KB and 256 KB",
	    "a header size below 1 KB is an error" },
	{ "http_port 3128\nserver_persistent_connections yes\n",
	    "e.conf:2: 'server_persistent_connections' must be on or off",
	    "an on|off directive refuses other words" },
	{ "http_port 3128\nrequest_header_max_fields 129\n",
	    "e.conf:2: 'request_header_max_fields' must be 1..128",
	    "request_header_max_fields above the parser's 128 is an error" },
	{ "http_port 3128\nrequest_body_max_size 5 PB\n",
	    "e.conf:2: 'request_body_max_size': bad size '5 PB'",
	    "a bad request_body_max_size is an error" },
	{ "http_port 3128\nforwarded_for sometimes\n",
	    "e.conf:2: 'forwarded_for' must be on, off, transparent, delete "
	    "or truncate", "an unknown forwarded_for mode is an error" },
	{ "http_port 3128\ndebug_options ALL,12\n",
	    "e.conf:2: 'debug_options': expected ALL,N",
	    "debug_options out of 0..9 is an error" },
	{ "http_port 3128\nrequest_line_max_size 128 KB\n",
	    "e.conf: request_line_max_size (131072) is above "
	    "request_header_max_size", "a request line limit above the head "
	    "limit is an error" },
	{ "http_port 3128\nread_timeout 5 fortnights\n",
	    "e.conf:2: 'read_timeout': bad time '5 fortnights'",
	    "a bad time unit is an error" },
	{ "http_port 3128\nlogformat onlyname\n",
	    "e.conf:2: 'logformat' takes 2 arguments, the last one being the "
	    "rest of the line", "logformat without a format is an error" },
	{ "http_port 3128\ndns_nameservers 192.0.2.1 1.2.3\n",
	    "e.conf:2: dns_nameservers '1.2.3': bad address",
	    "a bad dns_nameservers address is an error" },
	{ "http_port 3128\ndns_nameservers 192.0.2.1:0\n",
	    "e.conf:2: dns_nameservers '192.0.2.1:0': port must be 1..65535",
	    "a bad dns_nameservers port is an error" },
	{ "http_port 3128\nvisible_hostname \"\"\n",
	    "e.conf:2: 'visible_hostname' must not be empty",
	    "an empty visible_hostname is an error" },
	{ "http_port 3128\nacl a src \"10.0.0.0/8\n",
	    "e.conf:2: unterminated quoted word",
	    "an unterminated quote is an error" },
	{ "http_port 3128\ninclude missing.conf\n",
	    "e.conf:2: cannot open ",
	    "a missing include file is an error at the include line" },
	{ "http_port 3128\ninclude e.conf\n",
	    "e.conf:2: include nesting too deep (max 8 levels)",
	    "a file including itself stops at the depth limit" },
	{ "http_port 3128\nauth_param digest program /bin/x\n",
	    "e.conf:2: auth_param scheme 'digest' is not supported (only basic)",
	    "auth_param: a scheme other than basic is an error" },
	{ "http_port 3128\nauth_param basic program helper\n",
	    "e.conf:2: auth_param basic program 'helper' must be an absolute "
	    "path or basic_file", "auth_param: a relative program is an error" },
	{ "http_port 3128\nauth_param basic program basic_file\n",
	    "e.conf:2: auth_param basic program basic_file takes one htpasswd "
	    "file", "auth_param: basic_file without its file is an error" },
	{ "http_port 3128\nauth_param basic children 0\n",
	    "e.conf:2: auth_param basic children needs a number 1..1000",
	    "auth_param: children 0 is an error" },
	{ "http_port 3128\nauth_param basic children 5 startup=x\n",
	    "e.conf:2: auth_param basic children: 'startup=x' must be 0..1000",
	    "auth_param: a bad children option value is an error" },
	{ "http_port 3128\nauth_param basic children 5 spare=1\n",
	    "e.conf:2: auth_param basic children: unknown option 'spare=1'",
	    "auth_param: an unknown children option is an error" },
	{ "http_port 3128\nauth_param basic casesensitive maybe\n",
	    "e.conf:2: auth_param basic casesensitive on|off",
	    "auth_param: casesensitive takes on or off" },
	{ "http_port 3128\nauth_param basic realm a\\b\n",
	    "e.conf:2: auth_param basic realm must not hold quotes",
	    "auth_param: a realm that would break the quoted-string is an error" },
	{ "http_port 3128\nauth_param basic credentialsttl 5 fortnights\n",
	    "e.conf:2: auth_param basic credentialsttl: bad time",
	    "auth_param: a bad credentialsttl is an error" },
	{ "http_port 3128\nauth_param basic timeout 0\n",
	    "e.conf:2: auth_param basic timeout must be above 0",
	    "auth_param: timeout 0 is an error" },
	{ "http_port 3128\nauth_param basic nonce_max_count 5\n",
	    "e.conf:2: auth_param basic 'nonce_max_count' is not supported",
	    "auth_param: an unknown parameter is an error" },
	{ "http_port 3128\nrefresh_pattern ( 0 20% 4320\n",
	    "e.conf:2: refresh_pattern: bad regex '(': ",
	    "refresh_pattern: a bad regex is an error at its line" },
	{ "http_port 3128\nrefresh_pattern . -1 20% 4320\n",
	    "e.conf:2: refresh_pattern: bad MIN '-1' (minutes, 0 or more)",
	    "refresh_pattern: a negative MIN is an error" },
	{ "http_port 3128\nrefresh_pattern . 0 x% 4320\n",
	    "e.conf:2: refresh_pattern: bad PERCENT 'x%' (an integer",
	    "refresh_pattern: a PERCENT that is not a number is an error" },
	{ "http_port 3128\nrefresh_pattern . 0 2.5% 4320\n",
	    "e.conf:2: refresh_pattern: bad PERCENT '2.5%'",
	    "refresh_pattern: a fractional PERCENT is an error" },
	{ "http_port 3128\nrefresh_pattern . 0 20% 3days\n",
	    "e.conf:2: refresh_pattern: bad MAX '3days' (minutes",
	    "refresh_pattern: MAX is plain minutes, without units" },
	{ "http_port 3128\nrefresh_pattern -i . 0 20%\n",
	    "e.conf:2: refresh_pattern takes [-i] REGEX MIN PERCENT MAX",
	    "refresh_pattern: -i and too few words is an error" },
	{ "http_port 3128\nrefresh_pattern . 0 20%\n",
	    "e.conf:2: 'refresh_pattern' takes 4..",
	    "refresh_pattern: too few words is an error" },
	{ "http_port 3128\nrefresh_pattern . 0 20% 4320 ignore-no-store\n",
	    "e.conf:2: refresh_pattern option 'ignore-no-store' is not "
	    "supported: it would share or serve what the origin keeps for one "
	    "client", "refresh_pattern: ignore-no-store is refused, not "
	    "ignored" },
	{ "http_port 3128\nrefresh_pattern . 0 20% 4320 ignore-private\n",
	    "e.conf:2: refresh_pattern option 'ignore-private' is not "
	    "supported", "refresh_pattern: ignore-private is refused" },
	{ "http_port 3128\nrefresh_pattern . 0 20% 4320 "
	    "ignore-must-revalidate\n",
	    "e.conf:2: refresh_pattern option 'ignore-must-revalidate' is not "
	    "supported", "refresh_pattern: ignore-must-revalidate is refused" },
	{ "http_port 3128\nrefresh_pattern . 0 20% 4320 ignore-auth\n",
	    "e.conf:2: refresh_pattern option 'ignore-auth' is not supported",
	    "refresh_pattern: ignore-auth is refused" },
	{ "http_port 3128\nrefresh_pattern . 0 20% 4320 ignore-no-cache\n",
	    "e.conf:2: refresh_pattern option 'ignore-no-cache' is not "
	    "supported", "refresh_pattern: ignore-no-cache is refused" },
	{ "http_port 3128\nrefresh_pattern . 0 20% 4320 max-stale=x\n",
	    "e.conf:2: refresh_pattern: bad max-stale 'x' (seconds, 0 or more)",
	    "refresh_pattern: a max-stale that is not a number is an error" },
	{ "http_port 3128\nrefresh_pattern . 0 20% 4320 max-stale=-5\n",
	    "e.conf:2: refresh_pattern: bad max-stale '-5'",
	    "refresh_pattern: a negative max-stale is an error" },
	{ "http_port 3128\nrefresh_pattern /by-hash/ 0 0% 0 immutable\n",
	    "e.conf:2: refresh_pattern: immutable needs a MAX above 0",
	    "refresh_pattern: immutable with MAX 0 is an error" },
	{ "http_port 3128\nrefresh_pattern . 0 20% 4320 Immutable\n",
	    "e.conf:2: refresh_pattern: unknown option 'Immutable'",
	    "refresh_pattern: options are case-sensitive, as squid's" },
	{ "http_port 3128\nstore_id_rewrite ^http://(a|b)/(.*) "
	    "http://ab/\\3\n",
	    "e.conf:2: store_id_rewrite: REPLACEMENT uses \\3 but the regex "
	    "has 2 groups", "store_id_rewrite: a group the regex lacks is an "
	    "error" },
	{ "http_port 3128\nstore_id_rewrite ^http://a/ http://b/\\x\n",
	    "e.conf:2: store_id_rewrite: '\\x' in REPLACEMENT: only "
	    "\\0..\\9 and \\\\", "store_id_rewrite: an unknown escape is "
	    "an error" },
	{ "http_port 3128\nstore_id_rewrite ( x\n",
	    "e.conf:2: store_id_rewrite: bad regex '(': ",
	    "store_id_rewrite: a bad regex is an error at its line" },
	{ "http_port 3128\nstore_id_rewrite -i ^http://a/\n",
	    "e.conf:2: store_id_rewrite takes [-i] REGEX REPLACEMENT",
	    "store_id_rewrite: -i and one word is an error" },
	{ "http_port 3128\nstore_id_rewrite a b c\n",
	    "e.conf:2: store_id_rewrite takes [-i] REGEX REPLACEMENT",
	    "store_id_rewrite: three words without -i is an error" },
	{ "http_port 3128\nstore_id_rewrite a \"\"\n",
	    "e.conf:2: store_id_rewrite: empty REPLACEMENT",
	    "store_id_rewrite: an empty REPLACEMENT is an error" },
	{ "http_port 3128\nmax_stale 2 fortnights\n",
	    "e.conf:2: 'max_stale': bad time '2 fortnights'",
	    "max_stale: a bad time is an error" },
	{ "http_port 3128\noffline_mode yes\n",
	    "e.conf:2: 'offline_mode' must be on or off, not 'yes'",
	    "offline_mode: a word other than on or off is an error" },
	{ "http_port 3128\nrefresh_pattern . 0 20% 4320 frobnicate\n",
	    "e.conf:2: refresh_pattern: unknown option 'frobnicate'",
	    "refresh_pattern: an unknown option is an error" },
	{ "http_port 3128\ncache maybe all\n",
	    "e.conf:2: 'cache' takes allow or deny, not 'maybe'",
	    "cache: a word other than allow or deny is an error" },
	{ "http_port 3128\ncache deny\n",
	    "e.conf:2: 'cache deny' needs at least one acl name",
	    "cache: deny without an acl is an error" },
};

/* ---------------------------------------------------------------- tests */

static void
test_units(void)
{
	size_t i, sz;
	int64_t ms;
	int rc;

	for (i = 0; i < sizeof(size_cases) / sizeof(size_cases[0]); i++) {
		sz = 0;
		rc = conf_parse_size(size_cases[i].num, size_cases[i].unit,
		    &sz);
		if (size_cases[i].rc == 0)
			ok(rc == 0 && sz == size_cases[i].want, "size: %s",
			    size_cases[i].desc);
		else
			is_int(rc, -1, "size: %s", size_cases[i].desc);
	}
	for (i = 0; i < sizeof(time_cases) / sizeof(time_cases[0]); i++) {
		ms = 0;
		rc = conf_parse_time(time_cases[i].num, time_cases[i].unit,
		    &ms);
		if (time_cases[i].rc == 0)
			ok(rc == 0 && ms == time_cases[i].want, "time: %s",
			    time_cases[i].desc);
		else
			is_int(rc, -1, "time: %s", time_cases[i].desc);
	}
}

static void
test_listen(void)
{
	struct conf_listen l;
	const char *why;
	char buf[64];
	size_t i;
	int rc;

	for (i = 0; i < sizeof(listen_cases) / sizeof(listen_cases[0]); i++) {
		why = NULL;
		rc = conf_parse_listen(listen_cases[i].text, &l, &why);
		if (listen_cases[i].rc == 0)
			ok(rc == 0 &&
			    l.addr.ss_family == listen_cases[i].family &&
			    strcmp(t_addr(&l, buf, sizeof(buf)),
			    listen_cases[i].addr) == 0 &&
			    t_port(&l) == listen_cases[i].port &&
			    strcmp(l.text, listen_cases[i].text) == 0,
			    "http_port %s: %s", listen_cases[i].text,
			    listen_cases[i].desc);
		else
			ok(rc == -1 && why != NULL &&
			    strstr(why, listen_cases[i].addr) != NULL,
			    "http_port %s: %s", listen_cases[i].text,
			    listen_cases[i].desc);
	}
}

static void
test_defaults(void)
{
	struct conf *c;
	char host[256];
	char buf[64];

	is_int(t_load("min.conf", "http_port 3128\n", &c), 0,
	    "a config with only http_port loads");
	if (c == NULL) {
		skip(22, "minimal config did not load");
		return;
	}
	is_int(c->nlisten, 1, "one http_port gives one listener");
	is_str(t_addr(&c->listen[0], buf, sizeof(buf)), "0.0.0.0",
	    "http_port 3128 listens on 0.0.0.0");
	is_int(t_port(&c->listen[0]), 3128, "http_port 3128 listens on 3128");
	like(c->listen[0].file, "/min.conf", "the listener records its file");
	is_int(c->listen[0].line, 1, "the listener records its line");
	is_int(c->workers, 1, "workers defaults to 1");
	is_str(c->effective_user, NULL,
	    "cache_effective_user defaults to none (the master decides)");
	is_str(c->pid_file, NULL, "pid_filename defaults to none");
	ok(c->naccess_log_lines == 0 && c->nlogformat_lines == 0,
	    "no access_log line by default (no access log)");
	is_str(c->cache_log, NULL, "cache_log defaults to none (stderr)");
	gethostname(host, sizeof(host));
	host[sizeof(host) - 1] = '\0';
	is_str(c->visible_hostname, host,
	    "visible_hostname defaults to gethostname()");
	is_str(c->dns_nameservers, NULL,
	    "dns_nameservers defaults to none (resolv.conf)");
	is_int(c->connect_timeout, 30000, "connect_timeout defaults to 30 s");
	is_int(c->read_timeout, 900000, "read_timeout defaults to 15 min");
	is_int(c->request_timeout, 60000, "request_timeout defaults to 60 s");
	is_int(c->request_body_timeout, 60000,
	    "request_body_timeout defaults to 60 s");
	is_int(c->request_body_min_rate, 500,
	    "request_body_min_rate defaults to 500 bytes (per second)");
	is_int(c->client_idle_pconn_timeout, 120000,
	    "client_idle_pconn_timeout defaults to 2 min");
	is_int(c->client_lifetime, 86400000,
	    "client_lifetime defaults to 1 day");
	is_int(c->shutdown_lifetime, 30000,
	    "shutdown_lifetime defaults to 30 s");
	is_int(c->dns_timeout, 30000, "dns_timeout defaults to 30 s");
	is_int(c->request_header_max_size, 65536,
	    "request_header_max_size defaults to 64 KB");
	is_int(c->reply_header_max_size, 65536,
	    "reply_header_max_size defaults to 64 KB");
	is_int(c->server_first_byte_timeout, 300000,
	    "server_first_byte_timeout defaults to 5 min");
	is_int(c->tunnel_idle_timeout, 900000,
	    "tunnel_idle_timeout defaults to 15 min");
	is_int(c->server_idle_pconn_timeout, 60000,
	    "server_idle_pconn_timeout defaults to 1 min (squid)");
	is_int(c->server_persistent_connections, 1,
	    "server_persistent_connections defaults to on");
	is_int(c->server_idle_pconn_max_per_origin, 16,
	    "server_idle_pconn_max_per_origin defaults to 16");
	is_int(c->server_idle_pconn_max, 1024,
	    "server_idle_pconn_max defaults to 1024");
	is_int(c->request_line_max_size, 16384,
	    "request_line_max_size defaults to 16 KB");
	is_int(c->request_header_max_fields, 100,
	    "request_header_max_fields defaults to 100");
	is_int((long long)c->request_body_max_size, 0,
	    "request_body_max_size defaults to 0 (no limit, as squid)");
	is_int(c->forwarded_for, CONF_XFF_ON, "forwarded_for defaults to on");
	is_int(c->debug_level, 1, "debug_options defaults to ALL,1");
	is_int(c->positive_dns_ttl, 21600000,
	    "positive_dns_ttl defaults to 6 hours (squid)");
	is_int(c->negative_dns_ttl, 60000,
	    "negative_dns_ttl defaults to 1 minute (squid)");
	ok(c->nacl_lines == 0 && c->naccess_lines == 0 && c->acl == NULL,
	    "no acl or http_access lines by default");
	conf_free(c);
}

static void
test_every_directive(void)
{
	struct passwd *pw;
	struct conf *c;
	char text[2048], buf[64];

	/* A user that exists here: whoever runs the test. */
	pw = getpwuid(geteuid());
	snprintf(text, sizeof(text),
	    "# every directive, none at its default\n"
	    "http_port 127.0.0.1:8080\n"
	    "http_port [::1]:8080\n"
	    "workers 4\n"
	    "cache_effective_user %s\n"
	    "pid_filename /run/sluice-test.pid\n"
	    "access_log stdio:/var/log/a.log squid\n"
	    "cache_log /var/log/c.log\n"
	    "visible_hostname proxy.example\n"
	    "dns_nameservers 192.0.2.1 [2001:db8::1]:5353\n"
	    "dns_nameservers 192.0.2.2:53\n"
	    "connect_timeout 500 ms\n"
	    "read_timeout 2 hours\n"
	    "request_timeout 10\n"
	    "request_body_timeout 2 minutes\n"
	    "request_body_min_rate 1 KB\n"
	    "client_idle_pconn_timeout 1 minute\n"
	    "client_lifetime 2 days\n"
	    "shutdown_lifetime 5 seconds\n"
	    "dns_timeout 3s\n"
	    "request_header_max_size 32 KB\n"
	    "reply_header_max_size 128KB\n"
	    "acl lan src 10.0.0.0/8 \"/etc/nets\"\n"
	    "http_access allow lan\n"
	    "http_access deny all\n",
	    pw != NULL ? pw->pw_name : "root");
	is_int(t_load("all.conf", text, &c), 0,
	    "a config using every directive loads");
	if (c == NULL) {
		diag("%s", logbuf);
		skip(34, "config did not load");
		return;
	}
	is_int(c->nlisten, 2, "two http_port lines give two listeners");
	is_str(t_addr(&c->listen[0], buf, sizeof(buf)), "127.0.0.1",
	    "the first listener is 127.0.0.1");
	is_int(c->listen[1].addr.ss_family, AF_INET6,
	    "[::1]:8080 gives an IPv6 listener");
	is_str(t_addr(&c->listen[1], buf, sizeof(buf)), "::1",
	    "the IPv6 listener is ::1");
	is_int(t_port(&c->listen[1]), 8080, "the IPv6 listener is on 8080");
	is_int(c->listen[1].line, 3, "the second listener records line 3");
	is_str(c->listen[1].text, "[::1]:8080",
	    "the listener keeps its text as written");
	is_int(c->workers, 4, "workers 4 sets 4 workers");
	is_str(c->effective_user, pw != NULL ? pw->pw_name : "root",
	    "cache_effective_user names an existing user");
	is_str(c->pid_file, "/run/sluice-test.pid",
	    "pid_filename sets the path");
	ok(c->naccess_log_lines == 1 && c->access_log_lines[0].argc == 3 &&
	    strcmp(c->access_log_lines[0].argv[1], "stdio:/var/log/a.log") ==
	    0, "access_log is kept whole for the access log module");
	is_str(c->cache_log, "/var/log/c.log", "cache_log sets the path");
	is_str(c->visible_hostname, "proxy.example", "visible_hostname is set");
	is_str(c->dns_nameservers, "192.0.2.1,[2001:db8::1]:5353,192.0.2.2:53",
	    "dns_nameservers lines join with commas, in order");
	is_int(c->connect_timeout, 500, "connect_timeout 500 ms");
	is_int(c->read_timeout, 7200000, "read_timeout 2 hours");
	is_int(c->request_timeout, 10000, "request_timeout 10 (seconds)");
	is_int(c->request_body_timeout, 120000, "request_body_timeout 2 "
	    "minutes");
	is_int(c->request_body_min_rate, 1024, "request_body_min_rate 1 KB");
	is_int(c->client_idle_pconn_timeout, 60000,
	    "client_idle_pconn_timeout 1 minute");
	is_int(c->client_lifetime, 172800000, "client_lifetime 2 days");
	is_int(c->shutdown_lifetime, 5000, "shutdown_lifetime 5 seconds");
	is_int(c->dns_timeout, 3000, "dns_timeout 3s");
	is_int(c->request_header_max_size, 32768,
	    "request_header_max_size 32 KB");
	is_int(c->reply_header_max_size, 131072, "reply_header_max_size 128KB");
	is_int(c->nacl_lines, 1, "the acl line is kept raw");
	is_int(c->naccess_lines, 2, "both http_access lines are kept raw");
	if (c->nacl_lines != 1 || c->naccess_lines != 2) {
		skip(7, "lines missing");
		conf_free(c);
		return;
	}
	is_int(c->acl_lines[0].argc, 5, "acl line keeps all its words");
	is_str(c->acl_lines[0].argv[3], "10.0.0.0/8", "acl words are kept");
	is_str(c->acl_lines[0].argv[4], "/etc/nets",
	    "a quoted word loses its quotes");
	ok(c->acl_lines[0].quoted[4] && !c->acl_lines[0].quoted[3],
	    "quoted[] flags only the quoted word");
	is_int(c->acl_lines[0].line, 23, "acl line records its line number");
	is_str(c->access_lines[1].argv[2], "all",
	    "http_access words are kept in order");
	ok(c->access_lines[1].argv[3] == NULL,
	    "argv of a kept line ends with NULL");
	conf_free(c);
}

static void
test_tokenizer(void)
{
	struct conf *c;
	char *big, *p;
	int i;

	is_int(t_load("tok.conf",
	    "\n# comment line\n   \t\n"
	    "http_port\t3128   # trailing comment\r\n"
	    "workers 3#comment right after a word\r\n"
	    "visible_hostname \"with blank\"\n"
	    "acl x method \"GE T\" POST\n"
	    "pid_filename /run/x.pid\r\n", &c), 0,
	    "blank lines, comments, tabs and CRLF load");
	if (c != NULL) {
		is_int(c->workers, 3, "'#' right after a word ends the line");
		is_str(c->visible_hostname, "with blank",
		    "a quoted word keeps its blank");
		ok(c->nacl_lines == 1 && c->acl_lines[0].argc == 5 &&
		    strcmp(c->acl_lines[0].argv[3], "GE T") == 0 &&
		    c->acl_lines[0].line == 7 && c->pid_file != NULL &&
		    strcmp(c->pid_file, "/run/x.pid") == 0,
		    "CRLF is stripped, lines counted, quoted words kept");
		conf_free(c);
	} else {
		skip(3, "tokenizer config did not load");
	}

	/* logformat: the format is the rest of the line, as written. */
	is_int(t_load("fmt.conf", "http_port 3128\n"
	    "logformat  my-fmt\t%>a  \"%rm %ru\" [%tl] # not a comment \t\r\n"
	    "logformat q \"%un\"\n", &c), 0,
	    "logformat lines with quotes, '#' and blanks load");
	if (c != NULL) {
		ok(c->nlogformat_lines == 2 &&
		    c->logformat_lines[0].argc == 3 &&
		    strcmp(c->logformat_lines[0].argv[1], "my-fmt") == 0,
		    "logformat NAME is the first word");
		is_str(c->nlogformat_lines == 2 ?
		    c->logformat_lines[0].argv[2] : NULL,
		    "%>a  \"%rm %ru\" [%tl] # not a comment",
		    "the format keeps quotes, '#' and inner blanks, not the "
		    "trailing ones");
		is_str(c->nlogformat_lines == 2 ?
		    c->logformat_lines[1].argv[2] : NULL, "\"%un\"",
		    "a format that is one quoted word keeps its quotes");
		conf_free(c);
	} else
		skip(3, "logformat config did not load");
	is_int(t_load("fmt2.conf", "http_port 3128\nlogformat \t \n", &c),
	    -1, "logformat without a name fails");

	/* A line of 8193 bytes is too long; the next error still shows. */
	if ((big = malloc(9000)) == NULL)
		bail_out("out of memory");
	p = big + sprintf(big, "http_port 3128\nacl a src ");
	while (p - big < 8193 + 15)
		*p++ = '1';
	strcpy(p, "\nbogus\n");
	is_int(t_load("long.conf", big, &c), -1,
	    "a config with an over-long line fails");
	like(logbuf, "long.conf:2: line longer than 8192 bytes",
	    "a line over 8192 bytes is an error at its line");
	like(logbuf, "long.conf:3: unknown directive 'bogus'",
	    "parsing goes on after an over-long line");

	/* 64 words load, 65 do not. */
	p = big + sprintf(big, "http_port 3128\nacl a src");
	for (i = 0; i < 61; i++)
		p += sprintf(p, " 10.0.0.%d", i);
	strcpy(p, "\n");
	is_int(t_load("words.conf", big, &c), 0,
	    "a line of 64 words loads");
	conf_free(c);
	p = big + sprintf(big, "http_port 3128\nacl a src");
	for (i = 0; i < 62; i++)
		p += sprintf(p, " 10.0.0.%d", i);
	strcpy(p, "\n");
	is_int(t_load("words.conf", big, &c), -1,
	    "a line of 65 words fails");
	like(logbuf, "words.conf:2: too many words (max 64)",
	    "more than 64 words is an error at its line");
	free(big);
}

static void
test_errors(void)
{
	struct conf *c;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(error_cases) / sizeof(error_cases[0]); i++) {
		rc = t_load("e.conf", error_cases[i].conf, &c);
		ok(rc == -1 && c == NULL, "fails: %s", error_cases[i].desc);
		like(logbuf, error_cases[i].msg, "%s", error_cases[i].desc);
		if (c != NULL)
			conf_free(c);
	}

	/* Every error of a file is reported, not only the first. */
	rc = t_load("two.conf", "workers 0\nhttp_port 3128\nfrobnicate on\n"
	    "http_port 3128 tproxy\n", &c);
	is_int(rc, -1, "a config with three errors fails");
	like(logbuf, "two.conf:1: 'workers' must be",
	    "the first error is reported");
	like(logbuf, "two.conf:3: unknown directive 'frobnicate'",
	    "the second error is reported");
	like(logbuf, "two.conf:4: http_port option tproxy",
	    "the third error is reported");

	rc = t_load("/nonexistent/sluice.conf", NULL, &c);
	is_int(rc, -1, "a missing top-level config fails");
	like(logbuf, "/nonexistent/sluice.conf: cannot open: No such file",
	    "a missing top-level config is reported as FILE: cannot open");
}

static void
test_include(void)
{
	struct conf *c;
	char name[32], text[64];
	int i;

	t_mkdir("inc");
	t_file("inc/sub.conf", "http_port 3130\ninclude more.conf\n");
	t_file("inc/more.conf", "workers 3\n");
	is_int(t_load("main.conf", "include inc/sub.conf\nworkers 2\n", &c), 0,
	    "include of a relative path loads");
	if (c != NULL) {
		is_int(c->nlisten, 1, "the included http_port is used");
		like(c->listen[0].file, "/inc/sub.conf",
		    "the listener records the included file");
		is_int(c->listen[0].line, 1,
		    "the listener records its line in the included file");
		is_int(c->workers, 2,
		    "a line after the include overrides the included one");
		is_int(c->nfiles, 3, "each file is interned once");
		conf_free(c);
	} else {
		skip(5, "include config did not load");
	}
	is_int(t_load("main2.conf", "http_port 3128\ninclude inc/more.conf\n"
	    "include inc/more.conf\n", &c), 0,
	    "the same file may be included twice");
	ok(c != NULL && c->workers == 3 && c->nfiles == 2,
	    "an included file is read in place each time");
	conf_free(c);

	t_file("inc/bad.conf", "# bad\nworkers two\n");
	is_int(t_load("main3.conf", "http_port 3128\ninclude inc/bad.conf\n",
	    &c), -1, "an error in an included file fails the load");
	like(logbuf, "inc/bad.conf:2: 'workers': bad number 'two'",
	    "an error in an included file names that file and line");

	/* Top level plus 8 nested files load; a 9th level does not. */
	for (i = 1; i <= 9; i++) {
		snprintf(name, sizeof(name), "inc/l%d.conf", i);
		if (i < 9)
			snprintf(text, sizeof(text), "include l%d.conf\n",
			    i + 1);
		else
			snprintf(text, sizeof(text), "workers 9\n");
		t_file(name, text);
	}
	is_int(t_load("deep8.conf", "http_port 3128\ninclude inc/l2.conf\n",
	    &c), 0, "includes nested 8 deep load");
	ok(c != NULL && c->workers == 9, "the 8th nested file is read");
	conf_free(c);
	is_int(t_load("deep9.conf", "http_port 3128\ninclude inc/l1.conf\n",
	    &c), -1, "includes nested 9 deep fail");
	like(logbuf, "l8.conf:1: include nesting too deep",
	    "the include past the limit is the error");
}

/* refresh_pattern for URL @p url: which line (0-based, -1 none) and values. */
static const struct {
	const char	*url;
	int		 idx;
	int64_t		 min, max;	/* seconds */
	int		 percent;
	const char	*desc;
} refresh_cases[] = {
	{ "http://h/pool/x.DEB", 0, 3600, 86400, 50,
	    "-i: \\.deb$ matches .DEB (60 50% 1440)" },
	{ "http://a/pkg.deb", 0, 3600, 86400, 50,
	    "two lines match: the first wins (squid)" },
	{ "http://a/other", 1, 60, 120, 20,
	    "the regex is matched against the full URL; PERCENT without %" },
	{ "http://h/a.TXT", 2, 300, 300, 5, "a line without -i matches its "
	    "case" },
	{ "http://h/a.txt", 4, 0, 525600LL * 60, 20, "...and not another "
	    "case: the catch-all, MAX cropped to a year" },
	{ "http://h/cgi-bin/x", 3, 0, 0, 0, "squid's (/cgi-bin/|\\?) 0 0% 0" },
	{ "http://h/x?y=1", 3, 0, 0, 0, "a query matches \\?" },
};

/* refresh_pattern: the compiled lines and refresh_for() on them. */
static void
test_refresh(void)
{
	struct refresh rp;
	struct conf *c;
	size_t i;
	int idx;

	is_int(t_load("r.conf", "http_port 3128\n"
	    "refresh_pattern -i \\.deb$ 60 50% 1440\n"
	    "refresh_pattern ^http://a/ 1 20 2\n"
	    "refresh_pattern \\.TXT$ 5 5% 5\n"
	    "refresh_pattern (/cgi-bin/|\\?) 0 0% 0\n"
	    "refresh_pattern +i . 0 20% 99999999\n", &c), 0,
	    "refresh_pattern: five lines load");
	if (c == NULL)
		bail_out("r.conf did not load: %s", logbuf);
	is_int(c->nrefresh, 5, "refresh_pattern: five lines kept, in order");
	ok(c->refresh[0]->min == 3600 && c->refresh[0]->percent == 50 &&
	    c->refresh[0]->max == 86400, "refresh_pattern: MIN and MAX are "
	    "minutes (stored as seconds), PERCENT a percentage");
	is_str(c->refresh[0]->pattern, "\\.deb$",
	    "refresh_pattern: the regex is kept as written");
	ok(strstr(c->refresh[0]->file, "/r.conf") != NULL &&
	    c->refresh[0]->line == 2, "refresh_pattern: file:line recorded");
	like(logbuf, "r.conf:6: refresh_pattern: MAX 99999999 is above a "
	    "year: cropped to 525600 minutes", "refresh_pattern: MAX above a "
	    "year is cropped with a warning (squid)");
	for (i = 0; i < sizeof(refresh_cases) / sizeof(refresh_cases[0]);
	    i++) {
		memset(&rp, 0xff, sizeof(rp));
		idx = refresh_for(c, refresh_cases[i].url, &rp);
		ok(idx == refresh_cases[i].idx && rp.min ==
		    refresh_cases[i].min && rp.max == refresh_cases[i].max &&
		    rp.percent == refresh_cases[i].percent,
		    "refresh_for %s: %s (got line %d: %lld %d%% %lld)",
		    refresh_cases[i].url, refresh_cases[i].desc, idx,
		    (long long)rp.min, rp.percent, (long long)rp.max);
	}
	conf_free(c);

	is_int(t_load("r0.conf", "http_port 3128\n"
	    "refresh_pattern ^ftp: 1440 20% 10080\n", &c), 0,
	    "refresh_pattern: one line loads");
	if (c == NULL)
		bail_out("r0.conf did not load");
	idx = refresh_for(c, "http://h/x", &rp);
	ok(idx == -1 && rp.min == 0 && rp.percent == 20 &&
	    rp.max == 4320 * 60, "refresh_for: no line matches: squid's "
	    "default . 0 20%% 4320");
	conf_free(c);
}

/* refresh_pattern options, store_id_rewrite, max_stale, offline_mode. */
static void
test_refresh_options(void)
{
	struct refresh rp;
	struct conf *c;

	is_int(t_load("ro.conf", "http_port 3128\n", &c), 0,
	    "a minimal config loads");
	if (c == NULL)
		bail_out("ro.conf did not load");
	ok(c->max_stale == 7LL * 86400 * 1000 && c->offline_mode == 0 &&
	    c->nstore_id == 0, "max_stale defaults to 1 week (squid's), "
	    "offline_mode to off, no store_id_rewrite line");
	conf_free(c);

	is_int(t_load("ro2.conf", "http_port 3128\n"
	    "refresh_pattern /a 1 0% 2 override-expire override-lastmod\n"
	    "refresh_pattern /b 0 0% 60 ignore-reload reload-into-ims "
	    "store-stale\n"
	    "refresh_pattern /c 0 0% 525600 immutable max-stale=30\n"
	    "refresh_pattern /d 0 20% 60 refresh-ims\n"
	    "store_id_rewrite ^http://m[0-9]\\.example/(.*)$ "
	    "http://m.example/\\1\n"
	    "store_id_rewrite -i ^HTTP://X/ y\n"
	    "max_stale 2 hours\noffline_mode on\n", &c), 0,
	    "refresh_pattern options, store_id_rewrite, max_stale and "
	    "offline_mode load");
	if (c == NULL)
		bail_out("ro2.conf did not load: %s", logbuf);
	(void)refresh_for(c, "http://h/a", &rp);
	is_int(rp.flags, REFRESH_OVERRIDE_EXPIRE | REFRESH_OVERRIDE_LASTMOD,
	    "override-expire and override-lastmod set their flags");
	(void)refresh_for(c, "http://h/b", &rp);
	is_int(rp.flags, REFRESH_IGNORE_RELOAD | REFRESH_RELOAD_INTO_IMS |
	    REFRESH_STORE_STALE, "ignore-reload, reload-into-ims and "
	    "store-stale set theirs");
	ok(rp.max_stale == -1, "no max-stale=N: -1 (the max_stale directive)");
	(void)refresh_for(c, "http://h/c", &rp);
	ok(rp.flags == REFRESH_IMMUTABLE && rp.max_stale == 30 &&
	    rp.max == 525600LL * 60, "immutable and max-stale=30 (seconds, "
	    "squid's unit)");
	(void)refresh_for(c, "http://h/d", &rp);
	is_int(rp.flags, REFRESH_IMS, "refresh-ims sets its flag");
	ok(c->nstore_id == 2 && c->store_id[0]->line == 6 &&
	    strcmp(c->store_id[0]->repl, "http://m.example/\\1") == 0 &&
	    c->store_id[0]->re.re_nsub == 1, "store_id_rewrite: two lines in "
	    "order, with file:line, the REPLACEMENT as written and the "
	    "regex's groups");
	ok(c->max_stale == 7200000 && c->offline_mode == 1, "max_stale 2 "
	    "hours, offline_mode on");
	conf_free(c);
}

/* conf_regex_hint(): a literal every match contains, or none. */
static const struct {
	const char	*re;
	const char	*hint;
	const char	*desc;
} hint_cases[] = {
	{ "/pool/(.+/)?[a-z]_[^/]+\\.deb$", "/pool/", "the longest plain run "
	  "outside groups" },
	{ "/by-hash/(MD5Sum|SHA256)/[0-9a-f]{32,128}$", "/by-hash/",
	  "an alternation inside a group does not spoil the rest" },
	{ "^https?://files\\.pythonhosted\\.org/packages/",
	  "://files.pythonhosted.org/packages/", "s? drops the s; \\. is a "
	  "plain dot" },
	{ "/repodata/repomd\\.xml(\\.asc|\\.key)?$", "/repodata/repomd.xml",
	  "an optional group after the run" },
	{ "/[^/]+-[^/-]+-[^/-]+\\.[a-z0-9_]+\\.rpm$", ".rpm", "runs broken "
	  "by bracket expressions: the longest" },
	{ "abcd?e", "abc", "d? is not required: not in the literal" },
	{ "abcd*e", "abc", "d* neither" },
	{ "ab{0,1}cdef", "cdef", "b{0,1} neither" },
	{ "abc+de", "abc", "c+ keeps c: at least once" },
	{ "deb|rpm", "", "a top-level alternation: no literal" },
	{ ".", "", "the catch-all: no literal" },
	{ "ab", "", "under 3 bytes: not worth a strstr" },
	{ "x\\wyz", "", "\\w is a class: breaks the run, and the rest is "
	  "short" },
	{ "[]abc]defg", "defg", "a ']' first in brackets is a member" },
	{ "[[:alpha:]]hijk", "hijk", "[:alpha:] inside brackets" },
	{ "(a|b)c\\?dxyz", "c?dxyz", "\\? is a plain '?'" },
	{ "0123456789012345678901234567890123456789012345678901234567890123",
	  "01234567890123456789012345678901234567890123456", "a long literal: "
	  "its first CONF_HINT_MAX bytes" },
};

static void
test_regex_hint(void)
{
	char out[CONF_HINT_MAX + 1];
	size_t i, n;

	for (i = 0; i < sizeof(hint_cases) / sizeof(hint_cases[0]); i++) {
		memset(out, 'Z', sizeof(out));
		n = conf_regex_hint(hint_cases[i].re, out);
		ok(n == strlen(hint_cases[i].hint) &&
		    strcmp(out, hint_cases[i].hint) == 0, "conf_regex_hint "
		    "%s: %s (got '%s')", hint_cases[i].re, hint_cases[i].desc,
		    out);
	}
}

/* cache allow|deny: raw lines here, acls checked by req_cache_rules_compile(). */
static void
test_cache_rules(void)
{
	struct conf *c;

	is_int(t_load("cr.conf", "http_port 3128\nacl nc url_regex /x\n"
	    "cache deny nc\ncache allow all\n", &c), 0,
	    "cache: allow and deny lines load");
	ok(c != NULL && c->ncache_lines == 2 && c->cache_lines[0].line == 3 &&
	    strcmp(c->cache_lines[0].argv[1], "deny") == 0 &&
	    strcmp(c->cache_lines[0].argv[2], "nc") == 0,
	    "cache: lines kept raw, in order, with their line numbers");
	conf_free(c);
	is_int(t_load("cr0.conf", "http_port 3128\n", &c), 0,
	    "no cache line loads");
	ok(c != NULL && c->ncache_lines == 0 && c->cache_acl == NULL,
	    "cache: none by default (everything may be cached)");
	conf_free(c);

	if (t_load("cr1.conf", "http_port 3128\nacl nc url_regex /x\n"
	    "cache deny nc\ncache deny !nope\n", &c) != 0 || c == NULL)
		bail_out("cr1.conf did not load");
	t_log_reset();
	is_int(req_cache_rules_compile(c), -1,
	    "cache: an undefined acl fails req_cache_rules_compile()");
	t_log_read();
	like(logbuf, "cr1.conf:4: undefined acl 'nope'",
	    "cache: the undefined acl is reported at its file:line");
	ok(c->cache_acl == NULL, "cache: nothing kept after the failure");
	conf_free(c);
	if (t_load("cr2.conf", "http_port 3128\nacl nc url_regex /x\n"
	    "cache deny nc\n", &c) != 0 || c == NULL)
		bail_out("cr2.conf did not load");
	ok(req_cache_rules_compile(c) == 0 && c->cache_acl != NULL,
	    "cache: req_cache_rules_compile() compiles the rules");
	req_cache_rules_free(c);
	conf_free(c);
}

/* cache_dir, maximum_object_size, minimum_object_size (squid names). */
static void
test_cache_dir(void)
{
	struct conf *c;

	is_int(t_load("nocache.conf", "http_port 3128\n", &c), 0,
	    "a config without cache_dir loads");
	ok(c != NULL && c->cache_dir == NULL,
	    "no cache_dir means no caching");
	ok(c != NULL && c->maximum_object_size == 1024ULL * 1024 * 1024,
	    "maximum_object_size defaults to 1 GB (package files)");
	ok(c != NULL && c->minimum_object_size == 0,
	    "minimum_object_size defaults to 0");
	conf_free(c);
	is_int(t_load("cache.conf", "http_port 3128\n"
	    "cache_dir lmdb /var/cache/sluice 2048\n"
	    "maximum_object_size 4 GB\nminimum_object_size 1 KB\n", &c), 0,
	    "a config with cache_dir lmdb loads");
	is_str(c != NULL ? c->cache_dir : NULL, "/var/cache/sluice",
	    "cache_dir sets the path");
	ok(c != NULL && c->cache_dir_size == 2048ULL * 1024 * 1024,
	    "cache_dir SIZE is in megabytes");
	ok(c != NULL && c->maximum_object_size == 4096ULL * 1024 * 1024,
	    "maximum_object_size 4 GB is stored in bytes");
	ok(c != NULL && c->minimum_object_size == 1024,
	    "minimum_object_size 1 KB is stored in bytes");
	conf_free(c);
	is_int(t_load("cnone.conf", "http_port 3128\ncache_dir none\n", &c),
	    0, "cache_dir none loads");
	ok(c != NULL && c->cache_dir == NULL, "cache_dir none: no caching");
	conf_free(c);
}

static void
test_workers_auto(void)
{
	struct conf *c;
	long n;

	n = sysconf(_SC_NPROCESSORS_ONLN);
	n = n < 1 ? 1 : n > 64 ? 64 : n;
	is_int(t_load("auto.conf", "http_port 3128\nworkers auto\n", &c), 0,
	    "workers auto loads");
	ok(c != NULL && c->workers == n,
	    "workers auto is the online CPU count (%ld)", n);
	conf_free(c);
}

static void
test_help(void)
{
	char buf[8192];
	size_t n;
	FILE *fp;

	if ((fp = tmpfile()) == NULL)
		bail_out("tmpfile: %s", strerror(errno));
	conf_print_help(fp);
	rewind(fp);
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	like(buf, "request_header_max_size", "help lists the directives");
	like(buf, "15 minutes", "help shows the defaults");
	like(buf, "1..64, or auto", "help shows the doc lines");
}

/* @return 1 when @s matches the extended regex @re. */
static int
t_match(const char *s, const char *re)
{
	regex_t r;
	int rc;

	if (regcomp(&r, re, REG_EXTENDED | REG_NEWLINE) != 0)
		bail_out("bad regex %s", re);
	rc = regexec(&r, s, 0, NULL, 0) == 0;
	regfree(&r);
	return rc;
}

/* The cache_log line format and levels (worker/core/log.c). */
static void
test_log(void)
{
	char re[128], bad[256];

	t_log_reset();
	log_warnx("plain %d", 42);
	errno = ENOENT;
	log_warn("with errno");
	log_info("an info line");
	log_debug("a debug line");
	log_set_level(LOG_LVL_DEBUG);
	log_debug("debug now shown");
	log_set_level(LOG_LVL_INFO);
	t_log_read();
	snprintf(re, sizeof(re), "^[0-9]{4}/[0-9]{2}/[0-9]{2} "
	    "[0-9]{2}:[0-9]{2}:[0-9]{2} \\[warn\\] %ld: plain 42$",
	    (long)getpid());
	ok(t_match(logbuf, re),
	    "log_warnx writes 'YYYY/MM/DD HH:MM:SS [warn] PID: msg'");
	ok(t_match(logbuf, "\\[error\\] [0-9]+: with errno: No such file "
	    "or directory$"), "log_warn is [error] with ': strerror' appended");
	ok(t_match(logbuf, "\\[info\\] [0-9]+: an info line$"),
	    "info lines pass the default level");
	unlike(logbuf, "a debug line", "debug lines are dropped by default");
	like(logbuf, "[debug]",
	    "log_set_level(DEBUG) lets debug lines through");

	/* A path that cannot be opened keeps the current file. */
	snprintf(bad, sizeof(bad), "%s/no/such/dir/x.log", tdir);
	is_int(log_open(bad, 0), -1, "log_open of a bad path fails");
	t_log_reset();
	log_warnx("still here");
	t_log_read();
	like(logbuf, "still here",
	    "after a failed log_open the old file is kept");
	is_int(log_reopen(), 0, "log_reopen reopens the file");
	log_warnx("after reopen");
	t_log_read();
	like(logbuf, "after reopen", "lines go to the file after log_reopen");
}

/* etc/sluice.conf.in, as make installs it, parses (acls: unit-acl). */
static void
test_shipped(void)
{
	char src[512], *text, *out, *p, *q;
	const char *srcdir, *sub;
	struct conf *c;
	size_t n;
	FILE *fp;

	if ((srcdir = getenv("srcdir")) == NULL)
		srcdir = ".";
	snprintf(src, sizeof(src), "%s/etc/sluice.conf.in", srcdir);
	if ((fp = fopen(src, "r")) == NULL) {
		ok(0, "etc/sluice.conf.in is readable (%s: %s)", src,
		    strerror(errno));
		skip(4, "no template");
		return;
	}
	ok(1, "etc/sluice.conf.in is readable");
	text = calloc(1, 65536);
	out = calloc(1, 65536 + 4096);
	if (text == NULL || out == NULL)
		bail_out("out of memory");
	n = fread(text, 1, 65535, fp);
	fclose(fp);
	text[n] = '\0';
	/* The substitutions of Makefile.am, into the temp dir. */
	for (p = text, q = out; *p != '\0'; ) {
		if (strncmp(p, "@runstatedir@", 13) == 0 ||
		    strncmp(p, "@localstatedir@", 15) == 0) {
			q += sprintf(q, "%s", tdir);
			p += p[1] == 'r' ? 13 : 15;
		} else if (strncmp(p, "@SLUICE_USER@", 13) == 0) {
			/* configure's --with-user, by default */
			q += sprintf(q, "nobody");
			p += 13;
		} else {
			*q++ = *p++;
		}
	}
	*q = '\0';
	/* Without a nobody user here, run as ourselves. */
	if (getpwnam("nobody") == NULL && (sub = strstr(out, "user nobody"))) {
		diag("no user nobody here: using root");
		memcpy((char *)sub + 5, "root  ", 6);
	}
	is_int(t_load("sluice.conf", out, &c), 0,
	    "the shipped sluice.conf loads");
	if (c == NULL) {
		diag("%s", logbuf);
		skip(3, "shipped config did not load");
	} else {
		ok(c->nlisten == 2 && c->listen[0].addr.ss_family == AF_INET &&
		    c->listen[1].addr.ss_family == AF_INET6,
		    "the shipped config listens on 127.0.0.1 and ::1");
		ok(c->naccess_log_lines == 1 &&
		    strchr(c->access_log_lines[0].argv[1], '@') == NULL,
		    "the shipped paths were substituted");
		ok(c->nacl_lines > 0 && c->naccess_lines == 11,
		    "the shipped config has acls and eleven http_access rules");
		conf_free(c);
	}
	free(text);
	free(out);
}

/* auth_param: squid's sub-directives, their defaults, basic_file. */
static void
test_auth_param(void)
{
	struct conf *c;
	int rc;

	rc = t_load("auth0.conf", "http_port 3128\n", &c);
	is_int(rc, 0, "auth_param: a config without it loads");
	if (c == NULL)
		bail_out("auth0.conf did not load");
	ok(c->auth_program == NULL, "auth_param: no program by default (no "
	    "authentication)");
	is_int(c->auth_children, 5, "auth_param: children defaults to 5");
	is_int(c->auth_credentialsttl, 2 * 3600 * 1000LL,
	    "auth_param: credentialsttl defaults to squid's 2 hours");
	is_int(c->auth_timeout, 10000, "auth_param: timeout defaults to 10 s");
	is_int(c->auth_casesensitive, 0,
	    "auth_param: casesensitive defaults to off, as in squid");
	conf_free(c);

	rc = t_load("auth1.conf", "http_port 3128\n"
	    "auth_param basic program /usr/lib/squid/basic_ncsa_auth "
	    "/etc/squid/passwd\n"
	    "auth_param basic children 7 startup=2 idle=1 concurrency=3\n"
	    "auth_param basic realm Our  Proxy\n"
	    "auth_param basic credentialsttl 30 minutes\n"
	    "auth_param basic casesensitive on\n"
	    "auth_param basic timeout 500 ms\n", &c);
	is_int(rc, 0, "auth_param: every sub-directive loads");
	if (c == NULL)
		bail_out("auth1.conf did not load");
	ok(c->auth_program != NULL && strcmp(c->auth_program[0],
	    "/usr/lib/squid/basic_ncsa_auth") == 0 &&
	    strcmp(c->auth_program[1], "/etc/squid/passwd") == 0 &&
	    c->auth_program[2] == NULL, "auth_param: program and its arguments");
	ok(c->auth_children == 7 && c->auth_startup == 2 && c->auth_idle == 1,
	    "auth_param: children 7 startup=2 idle=1");
	is_int(c->auth_concurrency, 3, "auth_param: concurrency=3");
	is_str(c->auth_realm, "Our Proxy",
	    "auth_param: the realm is the rest of the line, words joined");
	is_int(c->auth_credentialsttl, 30 * 60 * 1000LL,
	    "auth_param: credentialsttl 30 minutes");
	is_int(c->auth_casesensitive, 1, "auth_param: casesensitive on");
	is_int(c->auth_timeout, 500, "auth_param: timeout 500 ms");
	conf_free(c);

	rc = t_load("auth2.conf", "http_port 3128\n"
	    "auth_param basic program basic_file /etc/sluice/htpasswd\n", &c);
	ok(rc == 0 && c != NULL && strcmp(c->auth_program[0], "basic_file") ==
	    0 && strcmp(c->auth_program[1], "/etc/sluice/htpasswd") == 0,
	    "auth_param: basic_file FILE selects the built-in helper");
	conf_free(c);
	rc = t_load("auth3.conf", "http_port 3128\n"
	    "auth_param basic program /bin/a\n"
	    "auth_param basic program /bin/b x\n", &c);
	ok(rc == 0 && c != NULL && strcmp(c->auth_program[0], "/bin/b") == 0,
	    "auth_param: a later program line replaces the earlier one");
	conf_free(c);
}

/* conf_where(): the line that set a directive, for master/check.c. */
static void
test_where(void)
{
	struct conf_where w;
	struct conf *c;
	const char *path;
	int rc;

	rc = t_load("where.conf", "http_port 3128\n"
	    "cache_dir lmdb /var/cache/a 10\n"
	    "auth_param basic program /bin/a\n"
	    "auth_param basic children 2\n"
	    "# a comment\n"
	    "access_log /tmp/one.log\n"
	    "access_log /tmp/two.log\n", &c);
	if (rc != 0 || c == NULL)
		bail_out("where.conf did not load");
	path = c->path;
	w = conf_where(c, "cache_dir");
	ok(w.file != NULL && strcmp(w.file, path) == 0 && w.line == 2,
	    "conf_where: cache_dir was set by FILE:2");
	w = conf_where(c, "access_log");
	is_int(w.line, 7, "conf_where: a repeated directive gives its last "
	    "line, the one in force");
	w = conf_where(c, "cache_log");
	ok(w.file == NULL, "conf_where: a directive left to its default has "
	    "no line");
	w = conf_where(c, "no_such_directive");
	ok(w.file == NULL, "conf_where: not a directive: no line");
	ok(c->auth_program_where.file != NULL &&
	    c->auth_program_where.line == 3, "auth_param: the program line "
	    "(3) is kept, not the last auth_param line (4)");
	conf_free(c);
}

int
main(void)
{
	snprintf(tdir, sizeof(tdir), "/tmp/sluice-unit-conf-XXXXXX");
	if (mkdtemp(tdir) == NULL)
		bail_out("mkdtemp: %s", strerror(errno));
	snprintf(logpath, sizeof(logpath), "%s/cache.log", tdir);
	if (log_open(logpath, 0) == -1)
		bail_out("log_open %s: %s", logpath, strerror(errno));

	plan((int)(sizeof(size_cases) / sizeof(size_cases[0]) +
	    sizeof(time_cases) / sizeof(time_cases[0]) +
	    sizeof(listen_cases) / sizeof(listen_cases[0]) +
	    2 * sizeof(error_cases) / sizeof(error_cases[0]) +
	    sizeof(refresh_cases) / sizeof(refresh_cases[0]) +
	    sizeof(hint_cases) / sizeof(hint_cases[0])) + 8 + 8 +
	    25 + 35 + 13 + 10 + 6 + 14 + 2 + 3 + 9 + 5 + 11 + 16 + 5 + 5 + 10);

	test_units();
	test_listen();
	test_defaults();
	test_every_directive();
	test_tokenizer();
	test_errors();
	test_include();
	test_workers_auto();
	test_cache_dir();
	test_refresh();
	test_refresh_options();
	test_regex_hint();
	test_cache_rules();
	test_help();
	test_log();
	test_shipped();
	test_auth_param();
	test_where();

	log_open(NULL, 1);
	t_cleanup();
	return exit_status();
}
