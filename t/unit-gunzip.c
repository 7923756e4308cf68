/*
 * unit-gunzip.c -- the bounded streaming gzip decoder (worker/core/
 * gunzip.c): whole and split input and output, several members, and
 * what must never pass for a whole body: trailing bytes, a cut stream, a
 * bad checksum, not gzip at all; a decompression bomb stops at the bound
 * with its output never past it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "gunzip.h"
#include "tap.h"

/* gzip @p n bytes of @p in into a new buffer; @return its length. */
static size_t
gz(const void *in, size_t n, unsigned char **out)
{
	z_stream z;
	size_t cap = n + n / 100 + 64;

	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8,
	    Z_DEFAULT_STRATEGY) != Z_OK)
		bail_out("deflateInit2");
	if ((*out = malloc(cap)) == NULL)
		bail_out("malloc");
	z.next_in = (unsigned char *)(uintptr_t)in;
	z.avail_in = (uInt)n;
	z.next_out = *out;
	z.avail_out = (uInt)cap;
	if (deflate(&z, Z_FINISH) != Z_STREAM_END)
		bail_out("deflate");
	deflateEnd(&z);
	return cap - z.avail_out;
}

/*
 * Decode @p in in input pieces of @p inpiece and output room of
 * @p outpiece; @return the last gunzip_run() result, the output in
 * @p out (room @p outsz), its length in @p outlen.
 */
static int
run(const unsigned char *in, size_t n, size_t inpiece, size_t outpiece,
    uint64_t max, unsigned char *out, size_t outsz, size_t *outlen)
{
	struct gunzip *g = gunzip_new(max);
	size_t off = 0, used, prod, k, guard = 0;
	int rc = GUNZIP_MORE;

	*outlen = 0;
	if (g == NULL)
		bail_out("gunzip_new");
	while (rc == GUNZIP_MORE && guard++ < 50000000) {
		k = n - off < inpiece ? n - off : inpiece;
		rc = gunzip_run(g, in + off, k, off + k == n, out + *outlen,
		    outsz - *outlen < outpiece ? outsz - *outlen : outpiece,
		    &used, &prod);
		off += used;
		*outlen += prod;
		if (*outlen == outsz && rc == GUNZIP_MORE) {
			*outlen = 0;	/* a sink: start over in the buffer */
			continue;
		}
	}
	gunzip_free(g);
	return rc;
}

int
main(void)
{
	static unsigned char text[300000], out[400000];
	unsigned char *z, *z2, *two, *bomb, *zeros;
	size_t zn, z2n, n, i;
	int rc;

	plan(17);
	for (i = 0; i < sizeof(text); i++)	/* compressible, not trivial */
		text[i] = (unsigned char)("sluice caches packages "[i % 23] ^
		    (i / 1000 % 3));
	zn = gz(text, sizeof(text), &z);

	rc = run(z, zn, zn, sizeof(out), 1 << 30, out, sizeof(out), &n);
	ok(rc == GUNZIP_END && n == sizeof(text) &&
	    memcmp(out, text, n) == 0, "whole: %zu bytes from %zu", n, zn);
	rc = run(z, zn, 1, sizeof(out), 1 << 30, out, sizeof(out), &n);
	ok(rc == GUNZIP_END && n == sizeof(text) &&
	    memcmp(out, text, n) == 0, "input a byte at a time");
	rc = run(z, zn, zn, 7, 1 << 30, out, sizeof(out), &n);
	ok(rc == GUNZIP_END && n == sizeof(text) &&
	    memcmp(out, text, n) == 0, "output 7 bytes at a time");
	rc = run(z, zn, 3, 1, 1 << 30, out, sizeof(out), &n);
	ok(rc == GUNZIP_END && n == sizeof(text) &&
	    memcmp(out, text, n) == 0, "3 bytes in, 1 byte out");

	/* Two members are one stream (RFC 1952 §2.2). */
	z2n = gz("second member", 13, &z2);
	two = malloc(zn + z2n);
	memcpy(two, z, zn);
	memcpy(two + zn, z2, z2n);
	rc = run(two, zn + z2n, 1000, sizeof(out), 1 << 30, out, sizeof(out),
	    &n);
	ok(rc == GUNZIP_END && n == sizeof(text) + 13 &&
	    memcmp(out + sizeof(text), "second member", 13) == 0,
	    "two members: both, in order");

	/* Never a whole-looking body from a bad one. */
	memcpy(two + zn, "garbage", 7);
	rc = run(two, zn + 7, zn + 7, sizeof(out), 1 << 30, out, sizeof(out),
	    &n);
	is_int(rc, GUNZIP_ERROR, "bytes after the end: an error");
	rc = run(z, zn - 1, zn, sizeof(out), 1 << 30, out, sizeof(out), &n);
	is_int(rc, GUNZIP_ERROR, "cut one byte short: an error");
	rc = run(z, zn / 2, 100, sizeof(out), 1 << 30, out, sizeof(out), &n);
	is_int(rc, GUNZIP_ERROR, "cut in half: an error");
	ok(n < sizeof(text), "... after what the half held (%zu bytes)", n);
	memcpy(two, z, zn);
	two[zn - 6] ^= 0x55;	/* the CRC-32 (RFC 1952 §2.2) */
	rc = run(two, zn, zn, sizeof(out), 1 << 30, out, sizeof(out), &n);
	is_int(rc, GUNZIP_ERROR, "a bad CRC: an error");
	rc = run(text, 1000, 1000, sizeof(out), 1 << 30, out, sizeof(out), &n);
	is_int(rc, GUNZIP_ERROR, "not gzip: an error");
	rc = run((const unsigned char *)"", 0, 1, sizeof(out), 1 << 30, out,
	    sizeof(out), &n);
	is_int(rc, GUNZIP_ERROR, "nothing at all: an error");

	/* The bound: exactly max passes, one byte more does not. */
	rc = run(z, zn, zn, sizeof(out), sizeof(text), out, sizeof(out), &n);
	ok(rc == GUNZIP_END && n == sizeof(text), "output of exactly the "
	    "bound: whole");
	rc = run(z, zn, zn, sizeof(out), sizeof(text) - 1, out, sizeof(out),
	    &n);
	is_int(rc, GUNZIP_TOOBIG, "one byte over the bound: too big");

	/* A bomb: 256 MB of zeros in a few hundred KB. */
	zeros = calloc(1, 256 << 20);
	if (zeros == NULL)
		bail_out("calloc");
	zn = gz(zeros, 256 << 20, &bomb);
	free(zeros);
	ok(zn < 1 << 20, "a bomb: 256 MB in %zu bytes", zn);
	{
		struct gunzip *g = gunzip_new(10 << 20);
		size_t off = 0, used, prod;
		uint64_t total = 0;
		int guard = 0;

		rc = GUNZIP_MORE;
		while (rc == GUNZIP_MORE && guard++ < 100000) {
			rc = gunzip_run(g, bomb + off, zn - off, 1, out,
			    65536, &used, &prod);
			off += used;
			total += prod;
		}
		is_int(rc, GUNZIP_TOOBIG, "inflated with a 10 MB bound: too "
		    "big (%s)", gunzip_error(g));
		ok(total <= (10 << 20) + 1 && gunzip_total(g) == total,
		    "... having given out no more than the bound and a byte "
		    "(%llu)", (unsigned long long)total);
		gunzip_free(g);
	}
	free(bomb);
	free(z);
	free(z2);
	free(two);
	return exit_status();
}
