/*
 * gunzip.c -- a bounded, streaming gzip decoder (see gunzip.h).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "gunzip.h"

enum gz_state {
	GZ_MEMBER,		/* inside a member */
	GZ_BETWEEN,		/* a member ended: another, or the end */
	GZ_DONE,
	GZ_FAILED,
};

struct gunzip {
	z_stream	 z;
	enum gz_state	 state;
	uint64_t	 max;
	uint64_t	 total;
	const char	*why;
};

struct gunzip *
gunzip_new(uint64_t max)
{
	struct gunzip *g;

	if ((g = calloc(1, sizeof(*g))) == NULL)
		return NULL;
	/* 16 + MAX_WBITS: a gzip wrapper only (RFC 1952), no zlib/raw. */
	if (inflateInit2(&g->z, 16 + MAX_WBITS) != Z_OK) {
		free(g);
		return NULL;
	}
	g->max = max;
	g->state = GZ_MEMBER;
	return g;
}

void
gunzip_free(struct gunzip *g)
{
	if (g == NULL)
		return;
	inflateEnd(&g->z);
	free(g);
}

static int
gunzip_fail(struct gunzip *g, const char *why, int rc)
{
	g->state = GZ_FAILED;
	g->why = why;
	return rc;
}

int
gunzip_run(struct gunzip *g, const void *in, size_t inlen, int last,
    void *out, size_t outlen, size_t *used, size_t *produced)
{
	const unsigned char *ip = in;
	unsigned char *op = out;
	size_t room;
	int rc;

	*used = *produced = 0;
	if (g->state == GZ_FAILED)
		return GUNZIP_ERROR;
	if (g->state == GZ_DONE)
		return inlen > 0 ? gunzip_fail(g, "bytes after the end of the "
		    "gzip data", GUNZIP_ERROR) : GUNZIP_END;
	for (;;) {
		if (g->state == GZ_BETWEEN) {
			if (inlen == *used) {
				if (!last)
					return GUNZIP_MORE;
				g->state = GZ_DONE;
				return GUNZIP_END;
			}
			/* Another member (RFC 1952 §2.2), or garbage. */
			if (ip[*used] != 0x1f)
				return gunzip_fail(g, "bytes after the end of "
				    "the gzip data", GUNZIP_ERROR);
			if (inflateReset(&g->z) != Z_OK)
				return gunzip_fail(g, "inflateReset",
				    GUNZIP_ERROR);
			g->state = GZ_MEMBER;
		}
		if (*produced == outlen)
			return GUNZIP_MORE;
		/* One byte over the bound is enough to know. */
		room = outlen - *produced;
		if (g->max - g->total < (uint64_t)room)
			room = (size_t)(g->max - g->total) + 1;
		if (room > UINT32_MAX)
			room = UINT32_MAX;
		g->z.next_in = (unsigned char *)(uintptr_t)(ip + *used);
		g->z.avail_in = inlen - *used > UINT32_MAX ? UINT32_MAX :
		    (uInt)(inlen - *used);
		g->z.next_out = op + *produced;
		g->z.avail_out = (uInt)room;
		rc = inflate(&g->z, Z_NO_FLUSH);
		*used = (size_t)(g->z.next_in - ip);
		room -= g->z.avail_out;
		*produced += room;
		g->total += room;
		if (g->total > g->max)
			return gunzip_fail(g, "inflated past the bound",
			    GUNZIP_TOOBIG);
		switch (rc) {
		case Z_STREAM_END:
			g->state = GZ_BETWEEN;
			continue;
		case Z_OK:
			continue;
		case Z_BUF_ERROR:
			/* No progress possible: more input or more room. */
			if (*used == inlen && last)
				return gunzip_fail(g, "the gzip data ends "
				    "early", GUNZIP_ERROR);
			return GUNZIP_MORE;
		case Z_MEM_ERROR:
			return gunzip_fail(g, "out of memory", GUNZIP_NOMEM);
		default:
			return gunzip_fail(g, g->z.msg != NULL ? g->z.msg :
			    "corrupt gzip data", GUNZIP_ERROR);
		}
	}
}

uint64_t
gunzip_total(const struct gunzip *g)
{
	return g->total;
}

const char *
gunzip_error(const struct gunzip *g)
{
	return g->why != NULL ? g->why : "no error";
}
