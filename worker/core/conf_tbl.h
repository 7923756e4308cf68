/*
 * conf_tbl.h -- every configuration directive, once (squid's cf.data.pre
 * idea, kept small).  Included only by conf.c, which defines
 * CONF_DIRECTIVE() before each inclusion to build the parser table and
 * the `sluice -h` listing from the same lines, and by the build tool
 * docs/mkman.c, which writes the directive list of sluice.conf(5).
 *
 *	CONF_DIRECTIVE(name, min_args, max_args, setter, field, default, doc)
 *
 *	name	  the directive as written in sluice.conf (a C identifier).
 *	min_args  fewest arguments after the name.
 *	max_args  most arguments after the name (CONF_ARGS_ANY: no limit
 *		  below CONF_MAX_ARGS words per line; CONF_ARGS_TAIL: exactly
 *		  min_args, the last being the rest of the line as written).
 *	setter	  conf_set_<kind>: parses the arguments and stores them.
 *	field	  the member of struct conf it sets (offsetof()).  Custom
 *		  setters that append (http_port, acl, include) name the
 *		  member they grow.
 *	default	  applied through the same setter before the file is read,
 *		  or NULL for none (see the doc for what "none" means).
 *	doc	  one line for `sluice -h`.
 *
 * Setters and the C type of their field:
 *	conf_set_size		size_t, bytes ("64 KB", "64KB", "1 MB")
 *	conf_set_hdrsize	size_t, bytes, 1 KB..256 KB
 *	conf_set_time		int64_t, ms ("30 seconds", "500 ms", "1 day")
 *	conf_set_string		char * (strdup)
 *	conf_set_path_none	char *, "none" stores NULL
 *	the rest are custom and documented in conf.c.
 *
 * Caveats:
 *  - Keep the order readable: it is the order of `sluice -h`.
 *  - A new directive needs a member in struct conf (conf.h), a line here,
 *    a test in t/unit-conf.c and, when users should see it, a commented
 *    line in etc/sluice.conf.in.
 */

/* Network and processes. */
CONF_DIRECTIVE(http_port, 1, CONF_ARGS_ANY, conf_set_listen, listen, NULL,
    "[addr:]port or [v6addr]:port to accept clients on; may repeat; "
    "ssl-bump tls-cert=CA tls-key=KEY [generate-host-certificates=on] "
    "[dynamic_cert_mem_cache_size=SIZE]: CONNECTs may be bumped")
CONF_DIRECTIVE(https_port, 1, CONF_ARGS_ANY, conf_set_listen, listen, NULL,
    "[addr:]port tls-cert=FILE [tls-key=FILE] [tls-min-version=1.2|1.3]: "
    "clients speak TLS to the proxy; may repeat")
CONF_DIRECTIVE(workers, 1, 1, conf_set_workers, workers, "1",
    "worker processes, 1..64, or auto (one per online CPU)")
CONF_DIRECTIVE(cache_effective_user, 1, 1, conf_set_user, effective_user,
    NULL, "user the children run as (root with none set: nobody)")
CONF_DIRECTIVE(pid_filename, 1, 1, conf_set_path_none, pid_file, "none",
    "file the master writes its PID to, or none")
CONF_DIRECTIVE(visible_hostname, 1, 1, conf_set_string, visible_hostname,
    NULL, "host name in Via and error pages (none set: gethostname())")
CONF_DIRECTIVE(dns_nameservers, 1, CONF_ARGS_ANY, conf_set_nameservers,
    dns_nameservers, NULL,
    "ip, ip:port or [v6]:port of resolvers (none set: resolv.conf)")

/* Logs. */
CONF_DIRECTIVE(logformat, 2, CONF_ARGS_TAIL, conf_set_logformat,
    logformat_lines, NULL,
    "NAME FORMAT: an access log line of squid's % codes (the rest of the "
    "line, as written); built in: squid common combined referrer "
    "useragent json")
CONF_DIRECTIVE(access_log, 1, CONF_ARGS_ANY, conf_set_access_log,
    access_log_lines, NULL,
    "[stdio:]PATH|syslog[:FACILITY[.PRIORITY]]|none [FORMAT] "
    "[logformat=FORMAT] [socket=/PATH] [acl...]; may repeat (none: no log)")
CONF_DIRECTIVE(cache_log, 1, 1, conf_set_path_none, cache_log, "none",
    "file for errors and events, or none (stderr)")

/* Timeouts. */
CONF_DIRECTIVE(connect_timeout, 1, 2, conf_set_time, connect_timeout,
    "30 seconds", "limit on opening a connection to an origin")
CONF_DIRECTIVE(read_timeout, 1, 2, conf_set_time, read_timeout,
    "15 minutes", "idle limit on an origin connection or a tunnel")
CONF_DIRECTIVE(request_timeout, 1, 2, conf_set_time, request_timeout,
    "60 seconds", "limit on reading a client's request head")
CONF_DIRECTIVE(request_body_timeout, 1, 2, conf_set_time,
    request_body_timeout, "60 seconds",
    "idle limit on reading a client's request body (408 after it)")
CONF_DIRECTIVE(request_body_min_rate, 1, 2, conf_set_size,
    request_body_min_rate, "500 bytes",
    "bytes per second a request body must average, beyond "
    "request_body_timeout, while we wait for it (408 below); 0: none")
CONF_DIRECTIVE(client_idle_pconn_timeout, 1, 2, conf_set_time,
    client_idle_pconn_timeout, "2 minutes",
    "idle limit on a kept-alive client connection")
CONF_DIRECTIVE(client_lifetime, 1, 2, conf_set_time, client_lifetime,
    "1 day", "limit on the life of any client connection")
CONF_DIRECTIVE(shutdown_lifetime, 1, 2, conf_set_time, shutdown_lifetime,
    "30 seconds", "how long a stopping worker drains its clients")
CONF_DIRECTIVE(dns_timeout, 1, 2, conf_set_time, dns_timeout,
    "30 seconds", "limit on one DNS lookup")
CONF_DIRECTIVE(positive_dns_ttl, 1, 2, conf_set_time, positive_dns_ttl,
    "6 hours", "longest a DNS answer is kept (its own TTL when shorter)")
CONF_DIRECTIVE(negative_dns_ttl, 1, 2, conf_set_time, negative_dns_ttl,
    "1 minute", "how long a name that does not exist is remembered")
CONF_DIRECTIVE(server_first_byte_timeout, 1, 2, conf_set_time,
    server_first_byte_timeout, "5 minutes",
    "limit between sending a request upstream and its response head")
CONF_DIRECTIVE(tunnel_idle_timeout, 1, 2, conf_set_time, tunnel_idle_timeout,
    "15 minutes", "idle limit on a CONNECT or Upgrade tunnel")
CONF_DIRECTIVE(server_idle_pconn_timeout, 1, 2, conf_set_time,
    server_idle_pconn_timeout, "1 minute",
    "how long an idle origin connection waits in the pool")

/* Upstream connection pool. */
CONF_DIRECTIVE(server_persistent_connections, 1, 1, conf_set_onoff,
    server_persistent_connections, "on",
    "on|off: keep origin connections open for later requests")
CONF_DIRECTIVE(server_idle_pconn_max_per_origin, 1, 1, conf_set_int,
    server_idle_pconn_max_per_origin, "16",
    "idle pooled connections per origin address and host, per worker")
CONF_DIRECTIVE(server_idle_pconn_max, 1, 1, conf_set_int,
    server_idle_pconn_max, "1024",
    "idle pooled connections in all, per worker")

/* Limits. */
CONF_DIRECTIVE(request_header_max_size, 1, 2, conf_set_hdrsize,
    request_header_max_size, "64 KB",
    "largest client request head, 1 KB..256 KB (431 above)")
CONF_DIRECTIVE(reply_header_max_size, 1, 2, conf_set_hdrsize,
    reply_header_max_size, "64 KB",
    "largest origin response head, 1 KB..256 KB (502 above)")
CONF_DIRECTIVE(request_line_max_size, 1, 2, conf_set_hdrsize,
    request_line_max_size, "16 KB",
    "longest request line, 1 KB..256 KB (414 above)")
CONF_DIRECTIVE(request_header_max_fields, 1, 1, conf_set_fields,
    request_header_max_fields, "100",
    "most header fields in a request, 1..128 (431 above)")
CONF_DIRECTIVE(request_body_max_size, 1, 2, conf_set_bodysize,
    request_body_max_size, "0",
    "largest request body (413 above); 0: no limit")

/* Headers. */
CONF_DIRECTIVE(forwarded_for, 1, 1, conf_set_forwarded_for, forwarded_for,
    "on", "on|off|transparent|delete|truncate: X-Forwarded-For")

/* Diagnostics. */
CONF_DIRECTIVE(debug_options, 1, CONF_ARGS_ANY, conf_set_debug, debug_level,
    "ALL,1", "ALL,N: cache_log detail; 0 warnings, 1 info, 2 and up debug")

/* Cache. */
CONF_DIRECTIVE(cache_dir, 1, CONF_ARGS_ANY, conf_set_cache_dir, cache_dir, NULL,
    "lmdb PATH SIZE_MB: the on-disk cache, or none (no caching)")
CONF_DIRECTIVE(maximum_object_size, 1, 2, conf_set_size, maximum_object_size,
    "1 GB", "largest response body stored in the cache")
CONF_DIRECTIVE(minimum_object_size, 1, 2, conf_set_size, minimum_object_size,
    "0", "smallest response body stored in the cache")
CONF_DIRECTIVE(quick_abort_min, 1, 2, conf_set_ssize, quick_abort_min,
    "64 MB", "a client leaves a response being stored: finish it when at "
    "most this much is left (-1: always)")
CONF_DIRECTIVE(quick_abort_max, 1, 2, conf_set_ssize, quick_abort_max,
    "1 GB", "... but never when more than this is left")
CONF_DIRECTIVE(quick_abort_pct, 1, 1, conf_set_pct, quick_abort_pct, "50",
    "... and in between, when this share (%) has arrived")
CONF_DIRECTIVE(range_offset_limit, 1, 2, conf_set_ssize, range_offset_limit,
    "64 MB", "a Range miss starting below this offset fetches the whole "
    "object for the cache while answering the range (-1: any, 0: never)")
CONF_DIRECTIVE(gunzip_max_size, 1, 2, conf_set_size, gunzip_max_size,
    "1 GB", "a stored gzip variant inflated for a client that does not "
    "take gzip: the response is cut (and logged) past this much output")
CONF_DIRECTIVE(refresh_pattern, 4, CONF_ARGS_ANY, conf_set_refresh, refresh, NULL,
    "[-i] REGEX MIN PERCENT% MAX [options]: heuristic freshness (minutes) "
    "for matching URLs; first match wins, none: . 0 20% 4320; options: "
    "override-expire override-lastmod ignore-reload immutable refresh-ims "
    "max-stale=N reload-into-ims store-stale")
CONF_DIRECTIVE(store_id_rewrite, 2, 3, conf_set_store_id, store_id, NULL,
    "[-i] REGEX REPLACEMENT: matching URLs are stored under REPLACEMENT "
    "(\\1..\\9: the regex's groups); first match wins")
CONF_DIRECTIVE(max_stale, 1, 2, conf_set_time, max_stale, "1 week",
    "most staleness of a response served when the origin cannot be "
    "reached (refresh_pattern max-stale=N overrides)")
CONF_DIRECTIVE(cache_summary_period, 1, 2, conf_set_time,
    cache_summary_period, "1 hour", "how often the cache manager writes "
    "the cache's numbers to cache_log (objects, size, hits, misses, the "
    "busiest hosts); 0: never")
CONF_DIRECTIVE(offline_mode, 1, 1, conf_set_onoff, offline_mode, "off",
    "on: when the origin cannot be reached or fails, serve what is "
    "stored however stale (never what must be revalidated)")

/* Access control: stored raw, compiled by acl/ (acl.h). */
CONF_DIRECTIVE(acl, 2, CONF_ARGS_ANY, conf_set_acl, acl_lines, NULL,
    "NAME TYPE value... or \"/file\" (types: see \"acl types\" below)")
CONF_DIRECTIVE(http_access, 1, CONF_ARGS_ANY, conf_set_access, access_lines,
    NULL, "allow|deny [!]acl...; first match wins, none matched: deny")
CONF_DIRECTIVE(cache, 1, CONF_ARGS_ANY, conf_set_cache, cache_lines, NULL,
    "allow|deny [!]acl...: deny: neither served from nor stored in the "
    "cache; none: all may be")
CONF_DIRECTIVE(http_upgrade_request_protocols, 3, CONF_ARGS_ANY,
    conf_set_upgrade, upgrade_lines, NULL,
    "PROTOCOL|OTHER allow|deny [!]acl...: Upgrade offers to forward")

/* TLS (worker/tls.h). */
CONF_DIRECTIVE(tls_outgoing_options, 1, CONF_ARGS_ANY, conf_set_tls_outgoing,
    tls_cafile, NULL,
    "[cafile=FILE]... [default-ca=on|off] [min-version=1.2|1.3]: TLS to "
    "origins (always verified)")
CONF_DIRECTIVE(ssl_bump, 1, CONF_ARGS_ANY, conf_set_ssl_bump, ssl_bump_lines,
    NULL, "bump|splice [!]acl...: first match wins; none: splice (a "
    "tunnel)")
/* The proxy auto-config file and no_proxy: stored raw, compiled by
   acl/pac.c (pac.h). */
CONF_DIRECTIVE(pac_direct, 1, CONF_ARGS_ANY, conf_set_pac, pac_lines, NULL,
    "acl...: dstdomain and dst acls whose hosts and networks the PAC "
    "file and no_proxy send DIRECT")
CONF_DIRECTIVE(pac_proxy, 1, CONF_ARGS_ANY, conf_set_pac, pac_lines, NULL,
    "HOST:PORT...: the proxies the PAC file names, in order (none set: "
    "the address the PAC request came in on)")
CONF_DIRECTIVE(pac_fallback, 1, 1, conf_set_pac, pac_lines, NULL,
    "direct|none: after the proxies, go DIRECT or fail (none set: none)")
CONF_DIRECTIVE(pac_plain_hostnames, 1, 1, conf_set_pac, pac_lines, NULL,
    "direct|proxy: names without a dot in the PAC file (none set: proxy)")

/* Proxy authentication (worker/auth.h). */
CONF_DIRECTIVE(auth_param, 2, CONF_ARGS_ANY, conf_set_auth_param,
    auth_program, NULL,
    "basic program PATH ARGS|basic_file FILE; children N [startup=N] "
    "[idle=N] [concurrency=N]; realm TEXT; credentialsttl TIME; "
    "casesensitive on|off; timeout TIME")

/* Files. */
CONF_DIRECTIVE(include, 1, 1, conf_set_include, files, NULL,
    "FILE read in place, relative to this file's directory")
