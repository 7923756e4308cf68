/*
 * fuzz-chunked.c -- libFuzzer target: http_chunked_scan() over the input
 * in one call and in pieces (sizes drawn from the first input byte), in
 * pass-through, decode and trailer-filter modes.  Every run must agree on
 * the bytes consumed, the done flag and the data (the walker is
 * resumable), and keep consumed <= given, out <= consumed, consumed <
 * given only when done (or, filtering, for a held trailer name of at most
 * 32 bytes, given again with the next piece as body_scan() does).  The
 * filtered message is itself valid chunked, and filtering it again
 * changes nothing.
 *
 * Build: clang -g -O1 -fsanitize=fuzzer,address,undefined -Iworker/core
 *	t/fuzz/fuzz-chunked.c worker/core/http_parse.c
 * Runs nowhere in production: a test tool for the worker's parser.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http_parse.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(c)	do { if (!(c)) abort(); } while (0)

struct fuzz_run {
	ssize_t		 consumed;	/* total, or -1 */
	int		 done;
	char		*data;		/* what the caller sees */
	size_t		 data_len;
};

/*
 * Feed in[0..n) in pieces: 0 means one piece, otherwise the piece sizes
 * cycle through 1..seed%31+1 driven by a small generator.
 */
static void
fuzz_feed(const uint8_t *in, size_t n, int decode, unsigned seed,
    struct fuzz_run *r)
{
	struct http_chunked c;
	size_t pos = 0, k, out;
	ssize_t rc;
	char *work;
	int done = 0;

	work = malloc(n + 1);
	r->data = malloc(n + 1);
	FUZZ_CHECK(work != NULL && r->data != NULL);
	memcpy(work, in, n);
	memset(&c, 0, sizeof(c));
	r->consumed = 0;
	r->data_len = 0;
	r->done = 0;
	do {
		if (seed == 0)
			k = n - pos;
		else {
			seed = seed * 1103515245u + 12345u;
			k = 1 + (seed >> 16) % ((seed & 31) + 1);
			if (k > n - pos)
				k = n - pos;
		}
		rc = http_chunked_scan(&c, work + pos, k, decode, &out, &done);
		if (rc == -1) {
			r->consumed = -1;
			break;
		}
		FUZZ_CHECK(rc >= 0 && (size_t)rc <= k);
		FUZZ_CHECK(out <= (size_t)rc);
		FUZZ_CHECK(decode || out == (size_t)rc);
		FUZZ_CHECK((size_t)rc == k || done);
		/* Decode never touches the bytes after what it consumed. */
		FUZZ_CHECK(memcmp(work + pos + rc, in + pos + rc,
		    k - (size_t)rc) == 0);
		memcpy(r->data + r->data_len, work + pos, out);
		r->data_len += out;
		r->consumed += rc;
		pos += k;
	} while (!done && pos < n);
	r->done = done;
	if (done) {
		/* Once done, nothing more is consumed. */
		rc = http_chunked_scan(&c, work, n, decode, &out, &done);
		FUZZ_CHECK(rc == 0 && out == 0 && done == 1);
	}
	free(work);
}

/*
 * The trailer filter, fed as body_scan() feeds it: each piece goes after
 * the bytes the walker gave back (a held trailer name).
 */
static void
fuzz_feed_filter(const uint8_t *in, size_t n, unsigned seed,
    struct fuzz_run *r)
{
	struct http_chunked c;
	size_t pos = 0, have = 0, k, out;
	ssize_t rc;
	char *work;
	int done = 0;

	work = malloc(n + 1);
	r->data = malloc(n + 1);
	FUZZ_CHECK(work != NULL && r->data != NULL);
	memset(&c, 0, sizeof(c));
	r->consumed = 0;
	r->data_len = 0;
	r->done = 0;
	do {
		if (seed == 0)
			k = n - pos;
		else {
			seed = seed * 1103515245u + 12345u;
			k = 1 + (seed >> 16) % ((seed & 31) + 1);
			if (k > n - pos)
				k = n - pos;
		}
		memcpy(work + have, in + pos, k);
		have += k;
		pos += k;
		rc = http_chunked_scan(&c, work, have, HTTP_CHUNKED_TRAILERS,
		    &out, &done);
		if (rc == -1) {
			r->consumed = -1;
			break;
		}
		FUZZ_CHECK((size_t)rc <= have && out <= (size_t)rc);
		FUZZ_CHECK(done || have - (size_t)rc <= 32);
		memcpy(r->data + r->data_len, work, out);
		r->data_len += out;
		r->consumed += rc;
		memmove(work, work + rc, have - (size_t)rc);
		have -= (size_t)rc;
	} while (!done && pos < n);
	r->done = done;
	free(work);
}

static void
fuzz_same(const struct fuzz_run *a, const struct fuzz_run *b)
{
	FUZZ_CHECK(a->consumed == b->consumed);
	if (a->consumed == -1)
		return;
	FUZZ_CHECK(a->done == b->done);
	FUZZ_CHECK(a->data_len == b->data_len);
	FUZZ_CHECK(memcmp(a->data, b->data, a->data_len) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_run p1, p2, d1, d2, f1, f2, f3;
	unsigned seed;

	if (size < 1)
		return 0;
	seed = data[0] | 1u;
	data++;
	size--;
	fuzz_feed(data, size, 0, 0, &p1);
	fuzz_feed(data, size, 0, seed, &p2);
	fuzz_feed(data, size, 1, 0, &d1);
	fuzz_feed(data, size, 1, seed, &d2);
	fuzz_feed_filter(data, size, 0, &f1);
	fuzz_feed_filter(data, size, seed, &f2);
	fuzz_same(&p1, &p2);
	fuzz_same(&d1, &d2);
	fuzz_same(&f1, &f2);
	/* The filter walks the same framing; what it passes on is chunked. */
	if (p1.done) {
		FUZZ_CHECK(f1.consumed != -1);
		FUZZ_CHECK(f1.done && f1.consumed == p1.consumed);
		FUZZ_CHECK(f1.data_len <= (size_t)f1.consumed);
		fuzz_feed_filter((const uint8_t *)f1.data, f1.data_len, 0, &f3);
		FUZZ_CHECK(f3.done && f3.consumed == (ssize_t)f1.data_len &&
		    f3.data_len == f1.data_len &&
		    memcmp(f3.data, f1.data, f1.data_len) == 0);
		free(f3.data);
	}
	/* Both modes walk the same framing. */
	FUZZ_CHECK(p1.consumed == d1.consumed);
	if (p1.consumed != -1) {
		FUZZ_CHECK(p1.done == d1.done);
		FUZZ_CHECK((size_t)p1.consumed <= size);
		FUZZ_CHECK(p1.done || (size_t)p1.consumed == size);
		FUZZ_CHECK(d1.data_len <= (size_t)d1.consumed);
		FUZZ_CHECK(memcmp(p1.data, data, p1.data_len) == 0);
	}
	free(p1.data);
	free(p2.data);
	free(d1.data);
	free(d2.data);
	free(f1.data);
	free(f2.data);
	return 0;
}
