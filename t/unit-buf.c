/*
 * unit-buf.c -- buffers and their freelists (worker/core/buf.c): every
 * size served from a class, a bounded number of free buffers kept per
 * class, the rest given back.
 *
 * Unit test: no sockets, no processes.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "tap.h"

#define N	600

int
main(void)
{
	static struct buf *bs[N];
	static const size_t sizes[] = { 1, 4096, 4097, BUF_SMALL,
	    BUF_SMALL + 512, 65536 + 1024, 3 * 65536 + 1024, 1 << 20 };
	struct buf *a, *b;
	size_t i, kept, bytes, s, kept0, bytes0;
	int ok_sizes = 1, reused = 1;

	plan(10);

	/* Every size asked for comes from a power-of-two class. */
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		a = buf_get(sizes[i]);
		if (a == NULL || a->size < sizes[i] ||
		    (a->size & (a->size - 1)) != 0 ||
		    buf_room(a) != a->size)
			ok_sizes = 0;
		s = a != NULL ? a->size : 0;
		buf_put(a);
		b = buf_get(sizes[i]);
		/* Its class's freelist serves the next one. */
		if (b != a || b->size != s)
			reused = 0;
		buf_put(b);
	}
	ok(ok_sizes, "every size asked for (1 B to 1 MiB, the header "
	    "limits and their sums) is served from a power-of-two class");
	ok(reused, "and a buffer given back serves the next request of "
	    "any size in its class (no malloc per use)");

	/* A burst: many buffers out at once, then all given back. */
	for (i = 0; i < N; i++)
		bs[i] = buf_get(BUF_SMALL);
	buf_stats(&kept0, &bytes0);
	is_int((long)kept0, (long)(sizeof(sizes) / sizeof(sizes[0]) - 2),
	    "while they are all in use, no 16 KiB buffer is kept free");
	for (i = 0; i < N; i++)
		buf_put(bs[i]);
	buf_stats(&kept, &bytes);
	ok(bytes - bytes0 <= BUF_KEEP_BYTES, "after a burst of %d buffers of "
	    "16 KiB the class keeps %zu bytes (at most %u)", N, bytes - bytes0,
	    BUF_KEEP_BYTES);
	ok(kept > kept0, "but some are kept for the next requests (%zu)",
	    kept - kept0);
	is_int(buf_trim(), 1, "the memory freed is worth a trim");
	is_int(buf_trim(), 0, "and only once");

	/* Larger than every class: malloc'd, freed, never kept. */
	a = buf_get((1 << 20) + 1);
	ok(a != NULL && a->size == (1 << 20) + 1, "a buffer larger than "
	    "the largest class has its own size");
	buf_put(a);
	buf_stats(&kept, &bytes);
	ok(bytes <= BUF_KEEP_BYTES + (size_t)BUF_SMALL * BUF_KEEP_MIN +
	    (1 << 20) * 2, "and is not kept");

	/* The arena: 8-aligned bump allocation, NULL when full. */
	a = buf_get(4096);
	b = NULL;
	for (i = 0; i < 4096 && buf_alloc(a, 24) != NULL; i++)
		;
	ok(i == 4096 / 24 && ((uintptr_t)a->last % 8) == 0 &&
	    buf_alloc(a, 24) == NULL, "buf_alloc bumps 8-aligned blocks and "
	    "refuses when full (%zu blocks of 24)", i);
	buf_put(a);
	(void)b;
	return exit_status();
}
