/*
 * proxy-truncated.c -- a response cut short never looks complete
 * (RFC 9112 §8).  A body the origin ends by closing goes to an HTTP/1.1
 * client chunked, with the last chunk only after a clean close, and the
 * connection may then be reused; the cache still stores the origin's
 * bytes, not our framing.  When sluice knows the body ended early (the
 * origin reset the connection or broke its framing, a Content-Length
 * body was short, read_timeout, shutdown_lifetime) the client gets no
 * last chunk and a TCP reset, so an HTTP/1.0 client reading to the close
 * can tell too.  When the worker is SIGKILLed mid-body, the kernel's
 * close must still give every framing away: libcurl reports an error
 * for Content-Length, chunked, close-delimited-made-chunked (HTTP/1.1)
 * and close-delimited (HTTP/1.0: the socket had SO_LINGER 0 armed, so
 * the kernel's close is a reset).  A client following a stored fetch
 * (collapsed forwarding) that breaks off is reset as well.
 *
 * Integration test: a real sluice (two: the second one is stopped with
 * a response under way), the scripted origin (ORIGIN_RESET, ORIGIN_STALL,
 * ORIGIN_RAW), a raw client that tells a reset from a FIN, and libcurl's
 * multi interface, which lets the test kill the worker once body bytes
 * arrived.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* memmem */
#endif
#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "harness.h"
#include "origin.h"
#include "raw.h"
#include "tap.h"

#define EOF_LEN		300000
#define CUT_LEN		400000		/* half of it goes, then the cut */
#define CACHE_LEN	100000
#define KILL_LEN	1000000
#define BAD_CHUNK	(192 * 1024)

static struct origin_step steps[] = {
	{ .expect = "GET /eof-ok", .status = 200, .body_len = EOF_LEN,
	    .flags = ORIGIN_NO_LENGTH },
	{ .expect = "GET /after", .status = 200, .body = "after" },
	{ .expect = "GET /eof-reset11", .status = 200, .body_len = CUT_LEN,
	    .flags = ORIGIN_NO_LENGTH | ORIGIN_RESET },
	{ .expect = "GET /eof-reset10", .status = 200, .body_len = CUT_LEN,
	    .flags = ORIGIN_NO_LENGTH | ORIGIN_RESET },
	{ .expect = "GET /cl-short", .status = 200, .flags = ORIGIN_RAW,
	    .body = "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n"
	    "only these bytes" },
	/* A 192 KB chunk, then a bad size: set up in main(). */
	{ .expect = "GET /chunk-bad", .status = 200, .flags = ORIGIN_RAW },
	{ .expect = "GET /chunk-cut10", .status = 200, .flags = ORIGIN_RAW,
	    .body = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "14\r\n0123456789" },
	{ .expect = "GET /cache-eof", .status = 200, .body_len = CACHE_LEN,
	    .headers = "Cache-Control: max-age=600\r\n",
	    .flags = ORIGIN_NO_LENGTH },
	/* A stored fetch that breaks off while another client follows it. */
	{ .expect = "GET /cf-broken", .status = 200, .body_len = CUT_LEN,
	    .headers = "Cache-Control: max-age=600\r\n",
	    .flags = ORIGIN_RESET, .stall_ms = 5000 },
	/* SIGKILL of the worker mid-body, one framing each. */
	{ .expect = "GET /k-length", .status = 200, .body_len = KILL_LEN,
	    .flags = ORIGIN_STALL, .stall_ms = 10000 },
	{ .expect = "GET /k-chunked", .status = 200, .body_len = KILL_LEN,
	    .flags = ORIGIN_CHUNKED | ORIGIN_STALL, .stall_ms = 10000 },
	{ .expect = "GET /k-eof11", .status = 200, .body_len = KILL_LEN,
	    .flags = ORIGIN_NO_LENGTH | ORIGIN_STALL, .stall_ms = 10000 },
	{ .expect = "GET /k-eof10", .status = 200, .body_len = KILL_LEN,
	    .flags = ORIGIN_NO_LENGTH | ORIGIN_STALL, .stall_ms = 10000 },
	{ .expect = "GET /k-dechunk10", .status = 200, .body_len = KILL_LEN,
	    .flags = ORIGIN_CHUNKED | ORIGIN_STALL, .stall_ms = 10000 },
};
#define NSTEPS	((int)(sizeof(steps) / sizeof(steps[0])))

/* For the second sluice: a timeout, then a stop, mid-body. */
static const struct origin_step steps2[] = {
	{ .expect = "GET /t-timeout10", .status = 200, .body_len = CUT_LEN,
	    .flags = ORIGIN_NO_LENGTH | ORIGIN_STALL, .stall_ms = 8000 },
	{ .expect = "GET /t-stop10", .status = 200, .body_len = CUT_LEN,
	    .flags = ORIGIN_NO_LENGTH | ORIGIN_STALL, .stall_ms = 8000 },
};

static int	oport;

/* What a raw client saw: the bytes, and how the connection ended. */
struct seen {
	char	*buf;
	size_t	 len;
	int	 end;		/* 1 reset, 0 FIN, -1 neither in time */
	char	*body;		/* after the head, in buf */
	size_t	 body_len;
};

/*
 * Read what @p c gets until the connection ends (bounded: 1000 waits of
 * 20 ms without a byte); bytes raw.c already buffered come first.
 */
static void
read_end(struct raw *c, struct seen *s)
{
	struct pollfd p;
	size_t cap = 65536 + c->len;
	ssize_t n;
	char *nb;
	int i;

	memset(s, 0, sizeof(*s));
	s->end = -1;
	s->buf = malloc(cap);
	if (s->buf == NULL)
		bail_out("out of memory");
	memcpy(s->buf, c->buf, c->len);
	s->len = c->len;
	c->len = 0;
	for (i = 0; i < 1000; ) {
		if (s->len == cap) {
			nb = realloc(s->buf, cap * 2);
			if (nb == NULL)
				bail_out("out of memory");
			s->buf = nb;
			cap *= 2;
		}
		n = read(c->fd, s->buf + s->len, cap - s->len);
		if (n > 0) {
			s->len += (size_t)n;
			continue;
		}
		if (n == 0) {
			s->end = 0;
			break;
		}
		if (errno == ECONNRESET) {
			s->end = 1;
			break;
		}
		if (errno != EAGAIN && errno != EINTR)
			break;
		p.fd = c->fd;
		p.events = POLLIN;
		if (poll(&p, 1, 20) == 0)
			i++;
	}
	s->body = memmem(s->buf, s->len, "\r\n\r\n", 4);
	if (s->body != NULL) {
		s->body += 4;
		s->body_len = s->len - (size_t)(s->body - s->buf);
	}
}

/* Send GET @p path (HTTP/1.@p minor) on @p c. */
static void
send_get(struct raw *c, const char *path, int minor)
{
	char req[256];

	snprintf(req, sizeof(req), "GET http://127.0.0.1:%d%s HTTP/1.%d\r\n"
	    "Host: 127.0.0.1:%d\r\n%s\r\n", oport, path, minor, oport,
	    minor == 1 ? "Connection: close\r\n" : "");
	raw_sends(c, req);
}

/*
 * GET @p path as HTTP/1.@p minor on a new raw connection and read until
 * the connection ends.
 */
static void
raw_get(struct harness *h, const char *path, int minor, struct seen *s)
{
	struct raw c;

	if (raw_open(&c, h->port[0]) == -1)
		bail_out("cannot connect to sluice");
	send_get(&c, path, minor);
	read_end(&c, s);
	raw_close(&c);
}

/* Does the head in @p s hold @p line (a whole header line)? */
static int
has_line(const struct seen *s, const char *line)
{
	size_t hl = s->body != NULL ? (size_t)(s->body - s->buf) : s->len;

	return memmem(s->buf, hl, line, strlen(line)) != NULL;
}

/*
 * Decode the chunked body of @p s.  @return 1 complete (last chunk and
 * the empty line), 0 cut short, -1 malformed; the data length in @p n.
 */
static int
dechunk(const struct seen *s, size_t *n, uint64_t *hash)
{
	const char *p = s->body, *e = s->body + s->body_len, *nl;
	unsigned long sz;
	char *end;

	*n = 0;
	*hash = 0;
	if (p == NULL)
		return -1;
	for (;;) {
		nl = memmem(p, (size_t)(e - p), "\r\n", 2);
		if (nl == NULL)
			return 0;
		sz = strtoul(p, &end, 16);
		if (end != nl)
			return -1;
		p = nl + 2;
		if (sz == 0)
			return e - p >= 2 && p[0] == '\r' && p[1] == '\n' ?
			    1 : 0;
		if ((size_t)(e - p) < sz + 2) {
			*n += (size_t)(e - p) < sz ? (size_t)(e - p) : sz;
			return 0;
		}
		*hash = harness_hash(*hash, p, sz);
		*n += sz;
		p += sz;
		if (p[0] != '\r' || p[1] != '\n')
			return -1;
		p += 2;
	}
}

struct kstate {
	size_t	 bytes;
};

static size_t
kwrite(char *p, size_t size, size_t nmemb, void *arg)
{
	struct kstate *k = arg;

	(void)p;
	k->bytes += size * nmemb;
	return size * nmemb;
}

/*
 * GET @p path with libcurl (HTTP/1.@p minor) and SIGKILL the worker once
 * body bytes arrived; wait for its replacement.
 * @return the transfer's CURLcode; *got the body bytes curl took.
 */
static CURLcode
kill_mid_body(struct harness *h, const char *path, int minor, size_t *got,
    char *err)
{
	struct kstate k = { 0 };
	CURLM *m;
	CURL *e;
	CURLMsg *msg;
	CURLcode res = CURLE_OK;
	char url[256], proxy[64];
	pid_t w[8], dead = 0;
	int running = 1, i, left, nw;

	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", oport, path);
	snprintf(proxy, sizeof(proxy), "http://127.0.0.1:%d", h->port[0]);
	m = curl_multi_init();
	e = curl_easy_init();
	if (m == NULL || e == NULL)
		bail_out("curl init failed");
	err[0] = '\0';
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_PROXY, proxy);
	curl_easy_setopt(e, CURLOPT_NOPROXY, "");
	curl_easy_setopt(e, CURLOPT_HTTP_VERSION, minor == 0 ?
	    (long)CURL_HTTP_VERSION_1_0 : (long)CURL_HTTP_VERSION_1_1);
	curl_easy_setopt(e, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, err);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, kwrite);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, &k);
	curl_multi_add_handle(m, e);
	/* Bounded: 3000 polls of at most 10 ms (CURLOPT_TIMEOUT is 30 s). */
	for (i = 0; i < 3000 && running; i++) {
		curl_multi_perform(m, &running);
		if (dead == 0 && k.bytes > 0) {
			nw = harness_workers(h, w, 8);
			if (nw >= 1) {
				dead = w[0];
				kill(dead, SIGKILL);
			}
		}
		if (running)
			curl_multi_poll(m, NULL, 0, 10, NULL);
	}
	while ((msg = curl_multi_info_read(m, &left)) != NULL)
		if (msg->msg == CURLMSG_DONE)
			res = msg->data.result;
	curl_multi_remove_handle(m, e);
	curl_easy_cleanup(e);
	curl_multi_cleanup(m);
	*got = k.bytes;
	if (dead == 0)
		diag("%s: no body byte came, the worker was not killed", path);
	else if (!harness_wait_workers(h, 1, &dead, 1, 10000))
		bail_out("no new worker after the SIGKILL");
	return dead == 0 ? CURLE_OK : res;
}

int
main(void)
{
	struct harness h, h2;
	struct origin *o, *o2;
	struct seen s;
	char *line, err[CURL_ERROR_SIZE], u[256];
	size_t n = 0, got;
	uint64_t hash;
	CURLcode rc;
	pid_t w[8];
	int i;
	static const struct {
		const char	*path;
		int		 minor;
		const char	*what;
	} kills[] = {
		{ "/k-length", 1, "Content-Length, HTTP/1.1" },
		{ "/k-chunked", 1, "chunked, HTTP/1.1" },
		{ "/k-eof11", 1, "close-delimited origin, HTTP/1.1 client "
		    "(chunked by sluice)" },
		{ "/k-eof10", 0, "close-delimited origin, HTTP/1.0 client" },
		{ "/k-dechunk10", 0, "chunked origin de-chunked for an HTTP/1.0 "
		    "client" },
	};

	plan(21 + 5 + 2 * 5 + 1 + 4 + 2 * ORIGIN_FINISH_TESTS +
	    2 * (HARNESS_STOP_TESTS + HARNESS_END_TESTS));
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		bail_out("curl_global_init failed");

	{
		static char bad[200 * 1024];
		static const char tail[] = "\r\nzz\r\nsmuggled\r\n0\r\n\r\n";

		n = (size_t)snprintf(bad, 128, "HTTP/1.1 200 OK\r\n"
		    "Transfer-Encoding: chunked\r\n\r\n%x\r\n", BAD_CHUNK);
		harness_pattern(bad + n, 0, BAD_CHUNK);
		n += BAD_CHUNK;
		memcpy(bad + n, tail, sizeof(tail) - 1);
		n += sizeof(tail) - 1;
		for (i = 0; i < NSTEPS; i++)
			if (strcmp(steps[i].expect, "GET /chunk-bad") == 0) {
				steps[i].body = bad;
				steps[i].body_len = n;
			}
	}
	o = origin_start(steps, NSTEPS);
	oport = origin_port(o);
	harness_init(&h, 1);
	/*
	 * Only /cache-eof goes through the cache: the others take the
	 * zero-copy path (chunk framing around spliced bytes) once their
	 * buffer is empty.
	 */
	harness_conf(&h,
	    "cache_dir lmdb %DIR%/cache 64\n"
	    "acl stored url_regex /(cache-eof|cf-broken)$\n"
	    "cache allow stored\n"
	    "cache deny all\n"
	    "debug_options ALL,2\n"
	    "http_access allow localhost\n"
	    "http_access deny all\n");
	if (harness_start(&h) == -1)
		bail_out("sluice did not start");

	/* 1. A close-delimited body, whole: chunked, then keep-alive. */
	{
		struct raw c;
		struct raw_resp rr;
		char req[512];

		if (raw_open(&c, h.port[0]) == -1)
			bail_out("cannot connect to sluice");
		snprintf(req, sizeof(req), "GET http://127.0.0.1:%d/eof-ok "
		    "HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n", oport, oport);
		raw_sends(&c, req);
		memset(&rr, 0, sizeof(rr));
		is_int(raw_read_resp(&c, &rr, 0, 10000), 200,
		    "close-delimited origin, HTTP/1.1 client: 200");
		is_str(raw_resp_header(&rr, "Transfer-Encoding"), "chunked",
		    "close-delimited origin: the HTTP/1.1 client gets it "
		    "chunked (RFC 9112 §7.1)");
		ok(rr.complete && rr.body_len == EOF_LEN &&
		    rr.body_hash == harness_pattern_hash(EOF_LEN),
		    "close-delimited origin: whole and byte-exact, ended by "
		    "the last chunk (%zu bytes)", rr.body_len);
		ok(harness_file_count(h.cache_log, "splicing a body of unknown") >= 1,
	    "close-delimited origin: the body went through splice(2), "
	    "framed around the spliced bytes");
	ok(raw_resp_header(&rr, "Connection") == NULL ||
		    strcmp(raw_resp_header(&rr, "Connection"), "close") != 0,
		    "close-delimited origin: the client connection stays open "
		    "(the body is self-delimited now)");
		raw_resp_free(&rr);
		snprintf(req, sizeof(req), "GET http://127.0.0.1:%d/after "
		    "HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n", oport, oport);
		raw_sends(&c, req);
		memset(&rr, 0, sizeof(rr));
		is_int(raw_read_resp(&c, &rr, 0, 10000), 200,
		    "close-delimited origin: the next request on the same "
		    "client connection is answered");
		is_str(rr.body, "after", "... with its own body");
		raw_resp_free(&rr);
		raw_close(&c);
	}

	/* 2. The origin resets mid-body. */
	raw_get(&h, "/eof-reset11", 1, &s);
	ok(has_line(&s, "Transfer-Encoding: chunked\r\n") &&
	    dechunk(&s, &n, &hash) == 0 && n < CUT_LEN,
	    "origin reset mid-body, HTTP/1.1: no last chunk (%zu of %d "
	    "bytes)", n, CUT_LEN);
	is_int(s.end, 1, "origin reset mid-body, HTTP/1.1: the client "
	    "connection is reset");
	free(s.buf);
	raw_get(&h, "/eof-reset10", 0, &s);
	ok(s.body != NULL && s.body_len < CUT_LEN && !has_line(&s,
	    "Transfer-Encoding"), "origin reset mid-body, HTTP/1.0: "
	    "close-delimited, short (%zu bytes)", s.body_len);
	is_int(s.end, 1, "origin reset mid-body, HTTP/1.0: the client "
	    "connection is reset, not closed as if the body were whole");
	free(s.buf);

	/* 3. A Content-Length body cut short by a clean close. */
	raw_get(&h, "/cl-short", 1, &s);
	ok(has_line(&s, "Content-Length: 100000\r\n") && s.body_len == 16,
	    "short Content-Length body: the bytes that came (%zu)",
	    s.body_len);
	is_int(s.end, 1, "short Content-Length body: then a reset");
	free(s.buf);

	/* 4. Chunked framing broken mid-body. */
	raw_get(&h, "/chunk-bad", 1, &s);
	ok(has_line(&s, "HTTP/1.1 200 OK\r\n") && dechunk(&s, &n, &hash) ==
	    0 && n <= BAD_CHUNK && (s.body == NULL || memmem(s.body,
	    s.body_len, "smuggled", 8) == NULL),
	    "chunked framing broken mid-body: the head went out, then the "
	    "good chunk or part of it (%zu bytes), no last chunk, nothing "
	    "after the fault", n);
	is_int(s.end, 1, "chunked framing broken mid-body: then a reset");
	free(s.buf);
	raw_get(&h, "/chunk-cut10", 0, &s);
	ok(s.body != NULL && s.body_len == 10 &&
	    memcmp(s.body, "0123456789", 10) == 0,
	    "chunked origin closing mid-chunk, HTTP/1.0 client: the data "
	    "that came, de-chunked");
	is_int(s.end, 1, "chunked origin closing mid-chunk, HTTP/1.0 client: "
	    "then a reset");
	free(s.buf);
	snprintf(u, sizeof(u), "http://127.0.0.1:%d/eof-reset10", oport);
	line = harness_log_wait(&h, "TCP_MISS_ABORTED/200", u, NULL);
	ok(line != NULL, "access log: a body cut short is "
	    "TCP_MISS_ABORTED/200");
	free(line);

	/* 5. The cache stores the origin's bytes, not our chunk framing. */
	raw_get(&h, "/cache-eof", 1, &s);
	ok(has_line(&s, "Transfer-Encoding: chunked\r\n") &&
	    dechunk(&s, &n, &hash) == 1 && n == CACHE_LEN &&
	    hash == harness_pattern_hash(CACHE_LEN) && s.end == 0,
	    "cacheable close-delimited body: chunked, whole, then a FIN");
	free(s.buf);
	raw_get(&h, "/cache-eof", 1, &s);
	ok(has_line(&s, "Content-Length: 100000\r\n") &&
	    s.body_len == CACHE_LEN && harness_hash(0, s.body, s.body_len) ==
	    harness_pattern_hash(CACHE_LEN), "the second GET is served from "
	    "the cache with Content-Length and the origin's bytes");
	ok(has_line(&s, "Cache-Status: sluice; hit"), "... as a hit "
	    "(Cache-Status)");
	free(s.buf);

	/*
	 * 6. A client following a fetch (collapsed forwarding) that breaks
	 * off after their heads went out: both get a reset.
	 */
	{
		struct raw lc, fc;
		struct raw_resp lr, fr;
		struct seen ls, fs;

		if (raw_open(&lc, h.port[0]) == -1 ||
		    raw_open(&fc, h.port[0]) == -1)
			bail_out("cannot connect to sluice");
		send_get(&lc, "/cf-broken", 1);
		memset(&lr, 0, sizeof(lr));
		memset(&fr, 0, sizeof(fr));
		is_int(raw_read_head(&lc, &lr, 10000), 200,
		    "a stored fetch under way: the first client's head");
		/* The fetch is under way: this one follows it. */
		send_get(&fc, "/cf-broken", 1);
		is_int(raw_read_head(&fc, &fr, 10000), 200,
		    "a second client follows it (collapsed forwarding)");
		ok(fr.head != NULL && strstr(fr.head, "collapsed") != NULL,
		    "... marked collapsed in Cache-Status");
		read_end(&lc, &ls);
		read_end(&fc, &fs);
		ok(ls.end == 1 && ls.len < CUT_LEN, "the fetch breaks off: the "
		    "first client is reset after part of the body (%zu)",
		    ls.len);
		ok(fs.end == 1 && fs.len < CUT_LEN, "the follower is reset "
		    "too, never given a complete-looking body (%zu)", fs.len);
		raw_resp_free(&lr);
		raw_resp_free(&fr);
		free(ls.buf);
		free(fs.buf);
		raw_close(&lc);
		raw_close(&fc);
	}

	/* 7. SIGKILL of the worker mid-body: every framing gives it away. */
	for (i = 0; i < (int)(sizeof(kills) / sizeof(kills[0])); i++) {
		rc = kill_mid_body(&h, kills[i].path, kills[i].minor, &got,
		    err);
		ok(rc != CURLE_OK, "worker SIGKILLed mid-body, %s: libcurl "
		    "reports an error (%d: %s)", kills[i].what, (int)rc,
		    err[0] != '\0' ? err : curl_easy_strerror(rc));
		ok(got > 0 && got < KILL_LEN, "worker SIGKILLed mid-body, %s: "
		    "part of the body came (%zu of %d)", kills[i].what, got,
		    KILL_LEN);
	}
	is_int(harness_workers(&h, w, 8), 1, "a new worker serves after the "
	    "kills");
	origin_finish(o);
	harness_stop(&h);
	harness_end(&h);
	origin_free(o);

	/* 8. read_timeout and shutdown_lifetime mid-body, HTTP/1.0. */
	o2 = origin_start(steps2, 2);
	oport = origin_port(o2);
	harness_init(&h2, 1);
	harness_conf(&h2,
	    "read_timeout 1 second\n"
	    "shutdown_lifetime 1 second\n"
	    "http_access allow localhost\n"
	    "http_access deny all\n");
	if (harness_start(&h2) == -1)
		bail_out("sluice did not start");
	raw_get(&h2, "/t-timeout10", 0, &s);
	ok(s.body != NULL && s.body_len > 0 && s.body_len <= CUT_LEN / 2,
	    "read_timeout mid-body, HTTP/1.0: part of the body came (%zu)",
	    s.body_len);
	is_int(s.end, 1, "read_timeout mid-body, HTTP/1.0: then a reset");
	free(s.buf);
	{
		struct raw c;
		struct pollfd p;
		char req[256], buf[65536];
		size_t total = 0;
		ssize_t k;
		int end = -1;

		if (raw_open(&c, h2.port[0]) == -1)
			bail_out("cannot connect to sluice");
		snprintf(req, sizeof(req), "GET http://127.0.0.1:%d/t-stop10 "
		    "HTTP/1.0\r\n\r\n", oport);
		raw_sends(&c, req);
		/* Once bytes flow, stop sluice: the drain outlasts them. */
		for (i = 0; i < 1000 && end == -1; ) {
			k = read(c.fd, buf, sizeof(buf));
			if (k > 0) {
				if (total == 0)
					harness_signal(&h2, SIGTERM);
				total += (size_t)k;
				continue;
			}
			if (k == 0)
				end = 0;
			else if (errno == ECONNRESET)
				end = 1;
			else if (errno != EAGAIN && errno != EINTR)
				break;
			p.fd = c.fd;
			p.events = POLLIN;
			if (poll(&p, 1, 20) == 0)
				i++;
		}
		raw_close(&c);
		ok(total > 0 && total < CUT_LEN, "stopped mid-body, HTTP/1.0: "
		    "part of the body came (%zu)", total);
		is_int(end, 1, "stopped mid-body: at the end of "
		    "shutdown_lifetime the client connection is reset");
	}
	harness_wait_exit(&h2);
	origin_finish(o2);
	harness_end(&h2);
	origin_free(o2);
	curl_global_cleanup();
	return exit_status();
}
