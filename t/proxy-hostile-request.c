/*
 * proxy-hostile-request.c -- hostile client requests over a raw socket:
 * framing conflicts, malformed Content-Length and Transfer-Encoding,
 * malformed heads, oversized heads, bad chunked bodies and pipelined
 * smuggling attempts (RFC 9110, RFC 9112).
 *
 * Integration test: a real sluice, the scripted origin (echoes every
 * request body) and a raw client.  For each refused request it checks the
 * status the client got, that sluice closed the connection after it (no
 * further byte parsed), and that the origin saw no request at all (or, for
 * a body that goes bad after its head was forwarded, at most that one
 * request: the smuggled one behind it never arrives).  For each accepted
 * one it checks what reached the origin.
 *
 * Caveat: the origin is not asserted by origin_finish(): how many
 * requests reach it is the point of each case, counted here instead.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "origin.h"
#include "raw.h"
#include "tap.h"

/* Every request that reaches the origin gets its body back. */
static const struct origin_step steps[] = {
	{ .expect = "", .status = 200, .flags = ORIGIN_ECHO | ORIGIN_REPEAT },
};

struct hcase {
	int		 want;		/* status the client must get */
	const char	*what;		/* description, with its RFC section */
	const char	*req;		/* "@" stands for 127.0.0.1:ORIGIN */
	size_t		 len;
};

#define C(w, d, s)	{ (w), (d), (s), sizeof(s) - 1 }
#define SMUGGLE		"GET http://@/smuggled HTTP/1.1\r\nHost: @\r\n\r\n"

/* Refused before anything is forwarded. */
static const struct hcase refused[] = {
	/* Framing conflicts (RFC 9112 §6.1, §6.3). */
	C(400, "TE then CL: 400 (RFC 9112 §6.1)",
	    "POST http://@/a HTTP/1.1\r\nHost: @\r\nTransfer-Encoding: chunked"
	    "\r\nContent-Length: 5\r\n\r\n0\r\n\r\n" SMUGGLE),
	C(400, "CL then TE: 400 (RFC 9112 §6.1)",
	    "POST http://@/a HTTP/1.1\r\nHost: @\r\nContent-Length: 5\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n" SMUGGLE),
	C(400, "two differing Content-Length fields: 400 (RFC 9112 §6.3 "
	    "item 5)",
	    "POST http://@/a HTTP/1.1\r\nHost: @\r\nContent-Length: 5\r\n"
	    "Content-Length: 6\r\n\r\nhello!" SMUGGLE),
	C(400, "two identical Content-Length fields: 400 (RFC 9110 §8.6 "
	    "allows refusing; forwarding both is not allowed)",
	    "POST http://@/a HTTP/1.1\r\nHost: @\r\nContent-Length: 5\r\n"
	    "Content-Length: 5\r\n\r\nhello" SMUGGLE),
	C(400, "Content-Length list \"5, 5\": 400 (RFC 9110 §8.6)",
	    "POST http://@/a HTTP/1.1\r\nHost: @\r\nContent-Length: 5, 5\r\n"
	    "\r\nhello" SMUGGLE),
	C(400, "Content-Length list with differing values: 400 (RFC 9110 §8.6)",
	    "POST http://@/a HTTP/1.1\r\nHost: @\r\nContent-Length: 5, 6\r\n"
	    "\r\nhello!"),
	C(400, "Content-Length with a sign: 400 (RFC 9110 §8.6)",
	    "POST http://@/a HTTP/1.1\r\nHost: @\r\nContent-Length: +5\r\n\r\n"
	    "hello"),
	C(400, "negative Content-Length: 400 (RFC 9110 §8.6)",
	    "POST http://@/a HTTP/1.1\r\nHost: @\r\nContent-Length: -1\r\n\r\n"),
	C(400, "hex Content-Length: 400 (RFC 9110 §8.6)",
	    "POST http://@/a HTTP/1.1\r\nHost: @\r\nContent-Length: 0x5\r\n\r\n"
	    "hello"),
	C(400, "space inside Content-Length: 400 (RFC 9110 §8.6)",
	    "POST http://@/a HTTP/1.1\r\nHost: @\r\nContent-Length: 1 0\r\n\r\n"
	    "0123456789"),
	C(400, "Content-Length of 2^64 (overflow): 400 (RFC 9110 §8.6)",
	    "POST http://@/a HTTP/1.1\r\nHost: @\r\n"
	    "Content-Length: 18446744073709551616\r\n\r\n"),
	C(400, "huge Content-Length (2^64+5 digits): 400 (RFC 9110 §8.6)",
	    "POST http://@/a HTTP/1.1\r\nHost: @\r\n"
	    "Content-Length: 99999999999999999999999999999\r\n\r\n"),
	C(400, "empty Content-Length: 400 (RFC 9110 §8.6)",
	    "POST http://@/a HTTP/1.1\r\nHost: @\r\nContent-Length:\r\n\r\n"),
	/* Transfer codings (RFC 9112 §6.1, §7). */
	C(400, "Transfer-Encoding: gzip alone (chunked not final): 400 "
	    "(RFC 9112 §6.3 item 4)",
	    "POST http://@/a HTTP/1.1\r\nHost: @\r\nTransfer-Encoding: gzip"
	    "\r\n\r\n" SMUGGLE),
	C(400, "Transfer-Encoding: chunked, gzip: 400 (RFC 9112 §6.3 item 4)",
	    "POST http://@/a HTTP/1.1\r\nHost: @\r\n"
	    "Transfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n" SMUGGLE),
	C(400, "Transfer-Encoding: identity: 400 (RFC 9112 §6.3 item 4)",
	    "POST http://@/a HTTP/1.1\r\nHost: @\r\n"
	    "Transfer-Encoding: identity\r\n\r\n" SMUGGLE),
	C(501, "Transfer-Encoding: gzip, chunked (unknown coding): 501 "
	    "(RFC 9112 §6.1)",
	    "POST http://@/a HTTP/1.1\r\nHost: @\r\n"
	    "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n" SMUGGLE),
	C(400, "chunked applied twice in one field: 400 (RFC 9112 §6.1)",
	    "POST http://@/a HTTP/1.1\r\nHost: @\r\n"
	    "Transfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n" SMUGGLE),
	C(400, "chunked twice in two fields (TE.TE): 400 (RFC 9112 §6.1)",
	    "POST http://@/a HTTP/1.1\r\nHost: @\r\nTransfer-Encoding: chunked"
	    "\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" SMUGGLE),
	C(400, "TE.TE: chunked then an obfuscated coding: 400 (RFC 9112 §6.3 "
	    "item 4)",
	    "POST http://@/a HTTP/1.1\r\nHost: @\r\nTransfer-Encoding: chunked"
	    "\r\nTransfer-Encoding: x\r\n\r\n0\r\n\r\n" SMUGGLE),
	C(400, "Transfer-Encoding: xchunked: 400 (RFC 9112 §6.3 item 4)",
	    "POST http://@/a HTTP/1.1\r\nHost: @\r\n"
	    "Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n" SMUGGLE),
	C(400, "Transfer-Encoding in an HTTP/1.0 request: 400 (RFC 9112 §6.1)",
	    "POST http://@/a HTTP/1.0\r\nHost: @\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n" SMUGGLE),
	C(400, "empty Transfer-Encoding: 400 (RFC 9112 §6.1)",
	    "POST http://@/a HTTP/1.1\r\nHost: @\r\nTransfer-Encoding:\r\n\r\n"
	    SMUGGLE),
	C(400, "Transfer-Encoding with a vertical tab before chunked: 400 "
	    "(RFC 9110 §5.5)",
	    "POST http://@/a HTTP/1.1\r\nHost: @\r\n"
	    "Transfer-Encoding:\x0b" "chunked\r\n\r\n0\r\n\r\n" SMUGGLE),
	C(400, "CL.TE smuggle with Transfer-Encoding folded onto a line: 400 "
	    "(RFC 9112 §5.2)",
	    "POST http://@/a HTTP/1.1\r\nHost: @\r\nContent-Length: 4\r\n"
	    "X: y\r\n Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n" SMUGGLE),
	/* Field syntax (RFC 9112 §5, RFC 9110 §5.5). */
	C(400, "whitespace before the colon: 400 (RFC 9112 §5.1)",
	    "GET http://@/a HTTP/1.1\r\nHost: @\r\nX-A : b\r\n\r\n"),
	C(400, "obs-fold: 400 (RFC 9112 §5.2)",
	    "GET http://@/a HTTP/1.1\r\nHost: @\r\nX-A: b\r\n\tc\r\n\r\n"),
	C(400, "bare CR in a field value: 400 (RFC 9112 §2.2)",
	    "GET http://@/a HTTP/1.1\r\nHost: @\r\nX-A: b\rX-B: c\r\n\r\n"),
	C(400, "bare LF line endings: 400 (RFC 9112 §2.2)",
	    "GET http://@/a HTTP/1.1\nHost: @\n\n"),
	C(400, "bare LF ending one field line: 400 (RFC 9112 §2.2)",
	    "GET http://@/a HTTP/1.1\r\nHost: @\nX-A: b\r\n\r\n"),
	C(400, "NUL in a field name: 400 (RFC 9110 §5.1)",
	    "GET http://@/a HTTP/1.1\r\nHost: @\r\nX-\0A: b\r\n\r\n"),
	C(400, "NUL in a field value: 400 (RFC 9110 §5.5)",
	    "GET http://@/a HTTP/1.1\r\nHost: @\r\nX-A: b\0c\r\n\r\n"),
	C(400, "control character (0x01) in a field value: 400 "
	    "(RFC 9110 §5.5)",
	    "GET http://@/a HTTP/1.1\r\nHost: @\r\nX-A: b\x01" "c\r\n\r\n"),
	C(400, "DEL in a field value: 400 (RFC 9110 §5.5)",
	    "GET http://@/a HTTP/1.1\r\nHost: @\r\nX-A: b\x7f" "c\r\n\r\n"),
	C(400, "field line without a colon: 400 (RFC 9112 §5)",
	    "GET http://@/a HTTP/1.1\r\nHost: @\r\nNoColonHere\r\n\r\n"),
	C(400, "empty field name: 400 (RFC 9112 §5)",
	    "GET http://@/a HTTP/1.1\r\nHost: @\r\n: b\r\n\r\n"),
	C(400, "whitespace before the first field: 400 (RFC 9112 §2.2)",
	    "GET http://@/a HTTP/1.1\r\n Host: @\r\n\r\n"),
	/* Request line (RFC 9112 §3). */
	C(400, "extra space in the request line: 400 (RFC 9112 §3)",
	    "GET  http://@/a HTTP/1.1\r\nHost: @\r\n\r\n"),
	C(400, "trailing space after the version: 400 (RFC 9112 §3)",
	    "GET http://@/a HTTP/1.1 \r\nHost: @\r\n\r\n"),
	C(400, "request line without a version: 400 (RFC 9112 §3)",
	    "GET http://@/a\r\nHost: @\r\n\r\n"),
	C(400, "lower-case http/1.1: 400 (RFC 9112 §2.3, case-sensitive)",
	    "GET http://@/a http/1.1\r\nHost: @\r\n\r\n"),
	C(400, "version HTTP/1.10: 400 (RFC 9112 §2.3, one digit each)",
	    "GET http://@/a HTTP/1.10\r\nHost: @\r\n\r\n"),
	C(505, "HTTP/2.0 on an HTTP/1 connection: 505 (RFC 9110 §15.6.6)",
	    "GET http://@/a HTTP/2.0\r\nHost: @\r\n\r\n"),
	C(400, "method with a non-token character: 400 (RFC 9112 §3.1)",
	    "G<E>T http://@/a HTTP/1.1\r\nHost: @\r\n\r\n"),
	C(400, "method with a byte above 0x7f: 400 (RFC 9112 §3.1)",
	    "G\xc3\xa9T http://@/a HTTP/1.1\r\nHost: @\r\n\r\n"),
	C(400, "tab as the request-line separator: 400 (RFC 9112 §3)",
	    "GET\thttp://@/a HTTP/1.1\r\nHost: @\r\n\r\n"),
	/* Host (RFC 9112 §3.2). */
	C(400, "HTTP/1.1 without Host: 400 (RFC 9112 §3.2)",
	    "GET http://@/a HTTP/1.1\r\nX-A: b\r\n\r\n"),
	C(400, "two Host fields: 400 (RFC 9112 §3.2)",
	    "GET http://@/a HTTP/1.1\r\nHost: @\r\nHost: evil.invalid\r\n\r\n"),
	/* Targets. */
	C(400, "origin-form request to a proxy: 400 (RFC 9112 §3.2.2)",
	    "GET /a HTTP/1.1\r\nHost: @\r\n\r\n"),
	C(400, "CONNECT with a path instead of authority-form: 400 "
	    "(RFC 9112 §3.2.3)",
	    "CONNECT http://@/ HTTP/1.1\r\nHost: @\r\n\r\n"),
	C(400, "CONNECT to port 0: 400 (RFC 9112 §3.2.3)",
	    "CONNECT 127.0.0.1:0 HTTP/1.1\r\nHost: 127.0.0.1:0\r\n\r\n"),
	C(400, "CONNECT to port 65536: 400 (RFC 9112 §3.2.3)",
	    "CONNECT 127.0.0.1:65536 HTTP/1.1\r\nHost: 127.0.0.1:65536\r\n\r\n"),
	C(400, "CONNECT without a port: 400 (RFC 9112 §3.2.3)",
	    "CONNECT 127.0.0.1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"),
};
#define NREFUSED	((int)(sizeof(refused) / sizeof(refused[0])))

/* A chunked body that goes bad after the head: at most one request. */
static const struct hcase badbody[] = {
	C(400, "chunk-size not hex: 400 (RFC 9112 §7.1)",
	    "zz\r\nhello\r\n0\r\n\r\n"),
	C(400, "chunk-size over 16 hex digits: 400 (RFC 9112 §7.1)",
	    "00000000000000005\r\nhello\r\n0\r\n\r\n"),
	C(400, "negative chunk-size: 400 (RFC 9112 §7.1)",
	    "-5\r\nhello\r\n0\r\n\r\n"),
	C(400, "chunk-size line without CRLF: 400 (RFC 9112 §7.1)",
	    "5hello\r\n0\r\n\r\n"),
	C(400, "chunk-size line ending in a bare LF: 400 (RFC 9112 §7.1)",
	    "5\nhello\r\n0\r\n\r\n"),
	C(400, "chunk data without its CRLF: 400 (RFC 9112 §7.1)",
	    "5\r\nhelloX\r\n0\r\n\r\n"),
	C(400, "chunk extension with a control byte: 400 (RFC 9112 §7.1.1)",
	    "5;a\x01=b\r\nhello\r\n0\r\n\r\n"),
	C(400, "whitespace after chunk-size without ';': 400 "
	    "(RFC 9112 §7.1.1)",
	    "5 \r\nhello\r\n0\r\n\r\n"),
	C(400, "last chunk without the final CRLF, a request after it: 400 "
	    "(RFC 9112 §7.1)",
	    "5\r\nhello\r\n0\r\n"),
	C(400, "chunk data longer than its size: 400 (RFC 9112 §7.1)",
	    "3\r\nhello\r\n0\r\n\r\n"),
	C(400, "trailer field with whitespace before the colon: 400 "
	    "(RFC 9112 §7.1.2)",
	    "5\r\nhello\r\n0\r\nX-T : v\r\n\r\n"),
};
#define NBADBODY	((int)(sizeof(badbody) / sizeof(badbody[0])))

/* Replace every '@' in s[0..n) with "127.0.0.1:port". */
static char *
subst(const char *s, size_t n, int port, size_t *outlen)
{
	char hp[32], *out;
	size_t i, o = 0, hl;

	hl = (size_t)snprintf(hp, sizeof(hp), "127.0.0.1:%d", port);
	out = malloc(n * hl + 1);
	if (out == NULL)
		bail_out("out of memory");
	for (i = 0; i < n; i++) {
		if (s[i] == '@') {
			memcpy(out + o, hp, hl);
			o += hl;
		} else
			out[o++] = s[i];
	}
	out[o] = '\0';
	*outlen = o;
	return out;
}

/*
 * Send @p req, expect @p want, the connection closed after it, and the
 * origin to get at most @p maxfwd more requests (none of them smuggled).
 */
static void
refuse(struct harness *h, struct origin *o, const char *req, size_t len,
    int want, int maxfwd, const char *what)
{
	struct raw c;
	struct raw_resp rr;
	int before, after, i;
	const struct origin_req *q;

	/*
	 * A request the previous case let through may still be on its way
	 * into the origin's log (it is recorded when its body ends or its
	 * connection closes): wait until the count holds still (bounded).
	 */
	for (before = origin_nreq(o), i = 0; i < 40; i++) {
		harness_msleep(25);
		after = origin_nreq(o);
		if (after == before)
			break;
		before = after;
	}
	if (raw_open(&c, h->port[0]) == -1)
		bail_out("cannot connect to sluice");
	raw_send(&c, req, len);
	is_int(raw_read_resp(&c, &rr, 0, 10000), want, "%s", what);
	raw_resp_free(&rr);
	ok(raw_wait_eof(&c, 10000), "%s: connection closed after it", what);
	raw_close(&c);
	/* Same wait: what this request let through is counted here. */
	for (after = origin_nreq(o), i = 0; i < 40; i++) {
		harness_msleep(25);
		if (origin_nreq(o) == after)
			break;
		after = origin_nreq(o);
	}
	for (i = before; i < after; i++)
		if ((q = origin_req(o, i)) != NULL &&
		    strstr(q->line, "smuggled") != NULL)
			after = 1000;
	ok(after - before <= maxfwd, "%s: %d request(s) reached the origin "
	    "(at most %d), none smuggled", what, after - before, maxfwd);
}

/* Send @p req, expect 200 with @p body echoed; return the origin's view. */
static const struct origin_req *
accept_req(struct harness *h, struct origin *o, const char *req,
    const char *body, const char *what)
{
	struct raw c;
	struct raw_resp rr;
	int before;

	before = origin_nreq(o);
	if (raw_open(&c, h->port[0]) == -1)
		bail_out("cannot connect to sluice");
	raw_sends(&c, req);
	is_int(raw_read_resp(&c, &rr, 0, 10000), 200, "%s: 200", what);
	is_str(rr.body, body, "%s: body relayed as sent", what);
	raw_resp_free(&rr);
	raw_close(&c);
	is_int(origin_nreq(o) - before, 1, "%s: exactly one request reached "
	    "the origin", what);
	return origin_req(o, before);
}

int
main(void)
{
	struct harness h;
	struct origin *o;
	const struct origin_req *q;
	char *req, *big, hv[128];
	size_t len;
	int oport, i, n;

	plan(3 * NREFUSED + 3 * NBADBODY + 3 * 5 + 4 * 3 + 2 + 4 +
	    HARNESS_STOP_TESTS + HARNESS_END_TESTS);

	o = origin_start(steps, 1);
	oport = origin_port(o);
	harness_init(&h, 1);
	harness_conf(&h,
	    "read_timeout 5 seconds\n"
	    "http_access allow localhost\n"
	    "http_access deny all\n");
	if (harness_start(&h) == -1)
		bail_out("sluice did not start");

	for (i = 0; i < NREFUSED; i++) {
		req = subst(refused[i].req, refused[i].len, oport, &len);
		refuse(&h, o, req, len, refused[i].want, 0, refused[i].what);
		free(req);
	}

	/* Bad chunked bodies: the head may have gone out, the rest never. */
	for (i = 0; i < NBADBODY; i++) {
		static const char head[] = "POST http://@/body HTTP/1.1\r\n"
		    "Host: @\r\nTransfer-Encoding: chunked\r\n\r\n";
		char *all;
		size_t hl;

		req = subst(head, sizeof(head) - 1, oport, &hl);
		all = malloc(hl + badbody[i].len + 200);
		if (all == NULL)
			bail_out("out of memory");
		memcpy(all, req, hl);
		memcpy(all + hl, badbody[i].req, badbody[i].len);
		free(req);
		req = subst(SMUGGLE, sizeof(SMUGGLE) - 1, oport, &len);
		memcpy(all + hl + badbody[i].len, req, len);
		free(req);
		refuse(&h, o, all, hl + badbody[i].len + len, badbody[i].want, 1,
		    badbody[i].what);
		free(all);
	}

	/* Limits (RFC 9112 §3, RFC 6585 §5); the default is 64 KB. */
	big = malloc(80 * 1024);
	if (big == NULL)
		bail_out("out of memory");
	/* A chunk extension over the 4096-byte bound (RFC 9112 §7.1.1). */
	n = snprintf(big, 300, "POST http://127.0.0.1:%d/body HTTP/1.1\r\n"
	    "Host: 127.0.0.1:%d\r\nTransfer-Encoding: chunked\r\n\r\n5;a=",
	    oport, oport);
	memset(big + n, 'x', 5000);
	n += 5000;
	n += snprintf(big + n, 300, "\r\nhello\r\n0\r\n\r\n"
	    "GET http://127.0.0.1:%d/smuggled HTTP/1.1\r\nHost: x\r\n\r\n",
	    oport);
	refuse(&h, o, big, (size_t)n, 400, 1,
	    "chunk extension over 4096 bytes: 400 (RFC 9112 §7.1.1)");
	n = snprintf(big, 200, "GET http://127.0.0.1:%d/", oport);
	memset(big + n, 'a', 70 * 1024);
	strcpy(big + n + 70 * 1024, " HTTP/1.1\r\nHost: x\r\n\r\n");
	refuse(&h, o, big, strlen(big), 414, 0,
	    "request line over 64 KB: 414 (RFC 9112 §3)");
	n = snprintf(big, 200, "GET http://127.0.0.1:%d/ HTTP/1.1\r\n"
	    "Host: x\r\nX-Big: ", oport);
	memset(big + n, 'a', 70 * 1024);
	strcpy(big + n + 70 * 1024, "\r\n\r\n");
	refuse(&h, o, big, strlen(big), 431, 0,
	    "header section over 64 KB: 431 (RFC 6585 §5)");
	n = snprintf(big, 200, "GET http://127.0.0.1:%d/ HTTP/1.1\r\n"
	    "Host: x\r\n", oport);
	for (i = 0; i < 200; i++)
		n += snprintf(big + n, 32, "X-F%d: v\r\n", i);
	strcpy(big + n, "\r\n");
	refuse(&h, o, big, strlen(big), 431, 0,
	    "200 header fields (over the 128 limit): 431 (RFC 6585 §5)");
	/* Userinfo in an absolute-form target (RFC 9110 §4.2.4). */
	n = snprintf(big, 300, "GET http://user:pw@127.0.0.1:%d/a HTTP/1.1\r\n"
	    "Host: 127.0.0.1:%d\r\n\r\n", oport, oport);
	refuse(&h, o, big, (size_t)n, 400, 0,
	    "userinfo in an absolute-form target: 400 (RFC 9110 §4.2.4)");
	free(big);

	/* Accepted, and forwarded with one clean framing. */
	req = malloc(1024);
	if (req == NULL)
		bail_out("out of memory");
	snprintf(req, 1024, "POST http://127.0.0.1:%d/ok1 HTTP/1.1\r\n"
	    "Host: 127.0.0.1:%d\r\nTransfer-Encoding: Chunked\r\n\r\n"
	    "5\r\nhello\r\n0\r\n\r\n", oport, oport);
	q = accept_req(&h, o, req, "hello",
	    "Transfer-Encoding: Chunked (codings are case-insensitive, "
	    "RFC 9112 §7)");
	(void)q;
	snprintf(req, 1024, "POST http://127.0.0.1:%d/ok3 HTTP/1.1\r\n"
	    "Host: 127.0.0.1:%d\r\n"
	    "Content-Length: 0000000000000000000000000000005\r\n\r\nhello",
	    oport, oport);
	accept_req(&h, o, req, "hello",
	    "Content-Length with many leading zeros is 1*DIGIT "
	    "(RFC 9110 §8.6)");
	snprintf(req, 1024, "POST http://127.0.0.1:%d/ok4 HTTP/1.1\r\n"
	    "Host: 127.0.0.1:%d\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "5;name=\"v\"\r\nhello\r\n0\r\nContent-Length: 999\r\n"
	    "Transfer-Encoding: gzip\r\n\r\n", oport, oport);
	q = accept_req(&h, o, req, "hello",
	    "trailer fields Content-Length/Transfer-Encoding do not affect "
	    "framing (RFC 9112 §7.1.2)");
	ok(q != NULL && origin_req_header(q, "Content-Length", hv,
	    sizeof(hv)) == NULL && strstr(q->head, "gzip") == NULL,
	    "trailer framing fields are not merged into the forwarded head "
	    "(RFC 9110 §6.5.1)");
	snprintf(req, 1024, "GET http://127.0.0.1:%d/ok5 HTTP/1.2\r\n"
	    "Host: 127.0.0.1:%d\r\n\r\n", oport, oport);
	q = accept_req(&h, o, req, "",
	    "HTTP/1.2 is handled as HTTP/1.1 (RFC 9110 §2.5)");
	ok(q != NULL && strstr(q->line, "HTTP/1.1") != NULL,
	    "HTTP/1.2: the origin gets an HTTP/1.1 request");
	free(req);

	/* Leading empty lines before the request line are allowed. */
	{
		struct raw c;
		struct raw_resp rr;

		if (raw_open(&c, h.port[0]) == -1)
			bail_out("cannot connect to sluice");
		req = malloc(512);
		if (req == NULL)
			bail_out("out of memory");
		snprintf(req, 512, "\r\n\r\nGET http://127.0.0.1:%d/ok6 "
		    "HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n", oport, oport);
		raw_sends(&c, req);
		is_int(raw_read_resp(&c, &rr, 0, 10000), 200,
		    "CRLFs before the request line are skipped (RFC 9112 §2.2)");
		raw_resp_free(&rr);
		raw_close(&c);
		/* Blank line that is whitespace: not an empty line. */
		snprintf(req, 512, " \r\nGET http://127.0.0.1:%d/a HTTP/1.1\r\n"
		    "Host: 127.0.0.1:%d\r\n\r\n", oport, oport);
		refuse(&h, o, req, strlen(req), 400, 0,
		    "whitespace line before the request line: 400 "
		    "(RFC 9112 §2.2)");
		free(req);
	}

	harness_stop(&h);
	harness_end(&h);
	origin_free(o);
	return exit_status();
}
