/*
 * conf.h -- the configuration: a squid.conf dialect parsed into one
 * immutable struct conf.
 *
 * Runs in the master (load at start, -t, SIGHUP reload).  Workers receive
 * the struct across fork() and only read it.
 *
 * Syntax: one directive per line, words separated by blanks, '#' starts a
 * comment, "quoted words" keep their blanks (and, for acl values, mean
 * "read the values from this file").  `include FILE` (relative to the
 * including file's directory) nests up to 8 levels.  Sizes take units
 * (bytes, KB, MB, GB; no unit = bytes), times take units (ms, seconds,
 * minutes, hours, days, weeks; no unit = seconds), written apart ("64 KB")
 * or attached ("64KB"), integers only.  Every directive and its default
 * is listed once, in conf_tbl.h.  Lines end in LF or CRLF, are at most
 * 8192 bytes and CONF_MAX_ARGS words (the directive name included).
 *
 * Errors: every error is reported as "file:line: message" through
 * log_warnx() and parsing goes on so that all errors are reported in one
 * go; conf_load() then fails as a whole.  Unknown directives are errors.
 *
 * Caveats:
 *  - `acl`, `http_access`, `cache` and `pac_*` lines are stored raw
 *    (struct conf_line) and compiled by the acl module (acl/acl.h,
 *    acl/pac.h); core/ knows nothing of ACLs.  refresh_pattern and
 *    store_id_rewrite regexes are compiled here, at load.
 *  - https_port lines go into the same listen array as http_port, with
 *    kind CONF_LISTEN_HTTPS; TLS option file names are resolved against
 *    the naming file's directory, and the files are read by the master
 *    (worker/tls.h: tls_conf_compile()), which also sets tls_server,
 *    tls_mint, tls_client and ssl_bump_acl (freed by tls_conf_free()
 *    before conf_free()).  ssl_bump lines are kept raw, like acl lines.
 *    `logformat` and `access_log` lines are stored raw too, for
 *    worker/accesslog.c.
 *  - `logformat NAME FORMAT`: FORMAT is the rest of the line as written
 *    (quotes, '#' and runs of blanks kept; trailing blanks dropped), so a
 *    format can hold "quoted" fields.
 *  - A struct conf is never modified after conf_load() returns; reload
 *    builds a new one and frees the old one with conf_free().
 *  - conf_line.argv, .quoted and the strings are one allocation owned by
 *    the conf; never free them separately.
 *  - cache_effective_user is checked with getpwnam() at load, so the
 *    user must exist on the host that runs `sluice -t`.
 */
#ifndef SLUICE_CONF_H
#define SLUICE_CONF_H

#include <stddef.h>
#include <stdint.h>
#include <regex.h>
#include <sys/socket.h>

#define CONF_MAX_ARGS	64

/** One raw directive line kept for a later pass (acl, http_access). */
struct conf_line {
	const char	 *file;		/* interned path, owned by the conf */
	int		  line;
	int		  argc;		/* argv[0] is the directive name */
	char		**argv;
	unsigned char	 *quoted;	/* quoted[i] != 0: argv[i] was "quoted" */
};

/** What a listening socket speaks (conf_listen.kind). */
enum conf_listen_kind {
	CONF_LISTEN_HTTP = 0,	/* http_port: plain HTTP proxy requests */
	CONF_LISTEN_HTTPS,	/* https_port: TLS from the first byte */
};

struct tls_server;	/* built by worker/tls.h, opaque here */
struct tls_mint;
struct tls_client;

/**
 * TLS options of an https_port, or of an http_port with ssl-bump (then
 * the certificate and key are the operator's CA).  Strings are owned by
 * the conf.
 */
struct conf_tls {
	char			*cert;		/* tls-cert=FILE (PEM, chain) */
	char			*key;		/* tls-key=FILE (default: cert) */
	int			 min_version;	/* 0x0303 TLS 1.2 or 0x0304 1.3 */
	size_t			 cert_cache;	/* dynamic_cert_mem_cache_size */
};

/** One http_port or https_port. */
struct conf_listen {
	struct sockaddr_storage	 addr;
	socklen_t		 addrlen;
	char			 text[80];	/* as written, for logs */
	const char		*file;
	int			 line;
	int			 kind;		/* enum conf_listen_kind */
	int			 ssl_bump;	/* http_port ... ssl-bump */
	struct conf_tls		 tls;		/* https_port, ssl-bump */
	/* Set by the master (tls_conf_compile()), NULL otherwise. */
	struct tls_server	*tls_server;	/* https_port */
	struct tls_mint		*tls_mint;	/* ssl-bump */
};

/** The longest literal kept from a regex to test before running it. */
#define CONF_HINT_MAX	47

/**
 * One refresh_pattern line (squid): heuristic freshness for the URLs its
 * regex matches.  Compiled at load; cache/refresh.h looks them up.
 */
struct conf_refresh {
	regex_t		 re;		/* POSIX extended, REG_NOSUB */
	char		*pattern;	/* as written, for logs */
	int64_t		 min;		/* seconds (MIN was in minutes) */
	int		 percent;	/* of Date - Last-Modified */
	int64_t		 max;		/* seconds (MAX was in minutes) */
	unsigned	 flags;		/* REFRESH_* of cache/policy.h */
	int64_t		 max_stale;	/* max-stale=N, seconds; -1: none */
	int		 icase;		/* -i */
	char		 hint[CONF_HINT_MAX + 1];	/* conf_regex_hint() */
	const char	*file;		/* interned, owned by the conf */
	int		 line;
};

/*
 * One store_id_rewrite line (squid's store_id idea, without a helper):
 * the cache key of a URL the regex matches is made from REPLACEMENT
 * instead, with \0..\9 the regex's groups.  cache/storeid.h applies them.
 */
struct conf_storeid {
	regex_t		 re;		/* POSIX extended, with groups */
	char		*pattern;	/* as written, for logs */
	char		*repl;		/* REPLACEMENT, checked at load */
	int		 icase;		/* -i */
	char		 hint[CONF_HINT_MAX + 1];	/* conf_regex_hint() */
	const char	*file;		/* interned, owned by the conf */
	int		 line;
};

/** Where a directive was written: an interned file name and its line. */
struct conf_where {
	const char	*file;		/* NULL: not set by the file */
	int		 line;
};

struct acl_set;		/* compiled by acl/, opaque here */
struct pac;		/* compiled by acl/pac.c */
struct upgrade_rules;	/* compiled by worker/upgrade.c */
struct accesslog_conf;	/* compiled by worker/accesslog.c */

/** forwarded_for (squid's semantics for X-Forwarded-For). */
enum conf_xff {
	CONF_XFF_ON = 0,	/* append the client address */
	CONF_XFF_OFF,		/* append "unknown" */
	CONF_XFF_TRANSPARENT,	/* leave the field as received */
	CONF_XFF_DELETE,	/* remove the field */
	CONF_XFF_TRUNCATE,	/* replace it with the client address */
};

struct conf {
	char			*path;		/* the top-level file */

	struct conf_listen	*listen;
	size_t			 nlisten;
	int			 workers;	/* "auto" resolved to the CPU count */

	char			*effective_user;	/* NULL: do not drop */
	char			*pid_file;	/* NULL: none */
	char			*cache_log;	/* NULL: stderr only */
	char			*visible_hostname;	/* Via, error pages */
	char			*dns_nameservers;	/* "ip[:port],..." or NULL: resolv.conf */

	/* Timeouts, in milliseconds. */
	int64_t			 connect_timeout;
	int64_t			 read_timeout;		/* upstream idle, tunnel idle */
	int64_t			 request_timeout;	/* client header read */
	int64_t			 request_body_timeout;	/* client body idle (408) */
	int64_t			 client_idle_pconn_timeout;
	int64_t			 client_lifetime;
	int64_t			 shutdown_lifetime;
	int64_t			 dns_timeout;
	int64_t			 positive_dns_ttl;	/* longest a DNS answer is kept */
	int64_t			 negative_dns_ttl;	/* how long NXDOMAIN is kept */
	int64_t			 server_first_byte_timeout;	/* request sent -> response head */
	int64_t			 tunnel_idle_timeout;
	int64_t			 server_idle_pconn_timeout;

	/* Upstream connection pool (per worker). */
	int			 server_persistent_connections;
	int			 server_idle_pconn_max_per_origin;
	int			 server_idle_pconn_max;

	int			 forwarded_for;		/* enum conf_xff */
	int			 debug_level;		/* debug_options ALL,N */

	/* Limits, in bytes. */
	size_t			 request_body_min_rate;	/* per second; 0: none */
	size_t			 request_header_max_size;
	size_t			 reply_header_max_size;
	size_t			 request_line_max_size;
	int			 request_header_max_fields;
	uint64_t		 request_body_max_size;	/* 0: no limit */

	/* Cache (cache/store.h); cache_dir NULL: no caching. */
	char			*cache_dir;		/* cache_dir lmdb PATH SIZE_MB */
	uint64_t		 cache_dir_size;	/* bytes */
	size_t			 maximum_object_size;	/* bytes */
	size_t			 minimum_object_size;	/* bytes */
	int64_t			 quick_abort_min;	/* bytes, -1: always finish */
	int64_t			 quick_abort_max;	/* bytes, -1: no limit */
	int			 quick_abort_pct;	/* 0..100 */
	size_t			 gunzip_max_size;	/* bytes of output */
	int64_t			 range_offset_limit;	/* bytes, -1: any */
	/* refresh_pattern, in file order; each one its own allocation
	   (a regex_t is not moved once compiled). */
	struct conf_refresh	**refresh;
	size_t			 nrefresh;
	/* store_id_rewrite, in file order; each its own allocation. */
	struct conf_storeid	**store_id;
	size_t			 nstore_id;
	int64_t			 max_stale;	/* ms: stale served on errors */
	int			 offline_mode;	/* stored if the origin fails */
	int64_t			 cache_summary_period;	/* ms; 0: none */
	/* Raw `cache allow|deny` lines; compiled by worker/req_cache.c. */
	struct conf_line	*cache_lines;
	size_t			 ncache_lines;
	struct acl_set		*cache_acl;	/* set by the master, or NULL */

	/* Raw acl and http_access lines, in file order. */
	struct conf_line	*acl_lines;
	size_t			 nacl_lines;
	struct conf_line	*access_lines;
	size_t			 naccess_lines;

	struct acl_set		*acl;		/* set by the master after acl_set_compile() */

	/* Raw http_upgrade_request_protocols lines; compiled by upgrade.c. */
	struct conf_line	*upgrade_lines;
	size_t			 nupgrade_lines;
	struct upgrade_rules	*upgrade;	/* set by the master, or NULL */

	/* TLS (worker/tls.h).  tls_outgoing_options: */
	char			**tls_cafile;	/* cafile=, NULL-terminated, one
						   allocation; NULL: none */
	int			 tls_default_ca;	/* default-ca=on|off */
	int			 tls_out_min;	/* min-version=, 0x0303|0x0304 */
	const char		*tls_out_file;	/* where it was set, or NULL */
	int			 tls_out_line;
	/* Raw `ssl_bump bump|splice acl...` lines; compiled by
	   tls_conf_compile() into ssl_bump_acl. */
	struct conf_line	*ssl_bump_lines;
	size_t			 nssl_bump_lines;
	struct acl_set		*ssl_bump_acl;	/* set by the master, or NULL */
	struct tls_client	*tls_client;	/* set by the master, or NULL */
	/* Raw logformat (argv: logformat NAME FORMAT, the format as written)
	   and access_log lines; compiled by worker/accesslog.c. */
	struct conf_line	*logformat_lines;
	size_t			 nlogformat_lines;
	struct conf_line	*access_log_lines;
	size_t			 naccess_log_lines;
	struct accesslog_conf	*accesslog;	/* set by the master, or NULL */

	/* Raw pac_direct, pac_proxy, pac_fallback and pac_plain_hostnames
	   lines; compiled by acl/pac.c. */
	struct conf_line	*pac_lines;
	size_t			 npac_lines;
	struct pac		*pac;		/* set by the master, or NULL */
	/* Proxy authentication: auth_param basic ... (worker/auth.h). */
	char			**auth_program;	/* argv, NULL-terminated, one
						   allocation; NULL: no auth */
	int			 auth_children;	/* most helpers per worker */
	int			 auth_startup;	/* helpers started at once */
	int			 auth_idle;	/* accepted, see conf.c */
	int			 auth_concurrency;	/* 0: one request per helper */
	char			*auth_realm;
	int64_t			 auth_credentialsttl;	/* ms */
	int			 auth_casesensitive;
	int64_t			 auth_timeout;	/* ms, helper answer bound */
	int			 auth_defaults;	/* private: defaults applied */
	struct conf_where	 auth_program_where;	/* program line */

	/* Private to conf.c: the last line that set each directive, in
	   conf_tbl.h order; read with conf_where(). */
	struct conf_where	*where;

	/* Private to conf.c: interned file names. */
	char			**files;
	size_t			 nfiles;
};

/**
 * @brief Parse @p path into a new struct conf.
 * @param[in] path  the configuration file.
 * @param[out] out  the new config on success; untouched on failure.
 * @return 0, or -1 after every error was logged as "file:line: message".
 * @note Release with conf_free().  The acl set is not compiled here.
 */
int	conf_load(const char *path, struct conf **out);
/** @brief Free a config from conf_load(); @p c->acl, @p c->cache_acl and
 *	@p c->pac must already be freed (or NULL). */
void	conf_free(struct conf *c);
/**
 * @brief Where the file set directive @p name, for checks made after the
 *	load that report "file:line: message" (master/check.c).  A directive
 *	that repeats (http_port, acl...) gives its last line; auth_param's
 *	program line is c->auth_program_where.
 * @return the last line that set it, or file NULL (left to its default,
 *	or not a directive).
 */
struct conf_where conf_where(const struct conf *c, const char *name);
/**
 * @brief Print the directive table (name, default, one-line doc) to @p fp,
 *	for `sluice -h`.
 */
void	conf_print_help(void *fp);

/** Unit parsers, exported for the tests and for acl/ values. */
/**
 * @param[in] unit  the unit word, or NULL when it is attached to @p num
 *	("64KB") or absent (bytes).  Same for conf_parse_time (seconds).
 * @return 0 and the value in bytes, or -1 on a bad number, bad unit or
 *	overflow.
 */
int	conf_parse_size(const char *num, const char *unit, size_t *out);
/** @return 0 and the value in milliseconds, or -1. */
int	conf_parse_time(const char *num, const char *unit, int64_t *out);
/**
 * @brief A literal that every string a POSIX extended regex matches must
 *	contain (the longest run of plain characters outside groups, none
 *	made optional by ?, * or {}), so that a URL without it is skipped
 *	without running regexec(3): refresh_pattern and store_id_rewrite
 *	run on every request.  A regex with a top-level '|' has none.
 * @param[out] out  the literal, NUL-terminated, at most CONF_HINT_MAX
 *	bytes (a prefix of a required literal is one too).
 * @return its length; 0 (nothing to test) for less than 3 bytes.
 */
size_t	conf_regex_hint(const char *re, char out[CONF_HINT_MAX + 1]);
/**
 * @brief Parse "[addr:]port", "[v6addr]:port" or "port" (0.0.0.0).
 *	Addresses are numeric (no DNS); IPv6 needs the brackets; the port
 *	is 1..65535.  Fills addr, addrlen and text; file/line are zeroed.
 * @return 0, or -1 with a static message in @p *why.
 */
int	conf_parse_listen(const char *s, struct conf_listen *l, const char **why);

#endif
