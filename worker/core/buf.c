/*
 * buf.c -- fixed buffers and their freelists (see buf.h).
 * Runs in the workers (and in the master's config checks).
 *
 * Every size asked for is served from a power-of-two class between
 * BUF_CLASS_MIN and BUF_CLASS_MAX (a larger one is malloc'd and freed
 * outright).  A class keeps at most BUF_KEEP_BYTES of free buffers (and
 * at least BUF_KEEP_MIN); the rest is freed at once, so a burst of
 * connections does not pin its buffers after it is over.  What was freed
 * is given back to the system by buf_trim(), from an idle timer.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <malloc.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

#define BUF_NCLASSES	(BUF_CLASS_MAX_SHIFT - BUF_CLASS_MIN_SHIFT + 1)

static struct {
	struct buf	*free;
	size_t		 nfree;
} buf_class[BUF_NCLASSES];

static size_t	buf_freed;	/* bytes freed since the last buf_trim() */

/* The class of @p size, or -1 when it is larger than every class. */
static int
buf_class_of(size_t size)
{
	int i;

	for (i = 0; i < BUF_NCLASSES; i++)
		if (size <= ((size_t)1 << (BUF_CLASS_MIN_SHIFT + i)))
			return i;
	return -1;
}

/* Free buffers a class keeps: BUF_KEEP_BYTES of them, and a few at least. */
static size_t
buf_keep(int i)
{
	size_t n = BUF_KEEP_BYTES >> (BUF_CLASS_MIN_SHIFT + i);

	return n < BUF_KEEP_MIN ? BUF_KEEP_MIN : n;
}

struct buf *
buf_get(size_t size)
{
	struct buf *b;
	int i = buf_class_of(size);

	if (i >= 0) {
		size = (size_t)1 << (BUF_CLASS_MIN_SHIFT + i);
		if ((b = buf_class[i].free) != NULL) {
			buf_class[i].free = b->next;
			buf_class[i].nfree--;
			b->next = NULL;
			buf_reset(b);
			return b;
		}
	}
	/* Header and data in one allocation. */
	b = malloc(sizeof(*b) + size);
	if (b == NULL)
		return NULL;
	b->start = (char *)(b + 1);
	b->end = b->start + size;
	b->size = size;
	b->next = NULL;
	buf_reset(b);
	return b;
}

void
buf_put(struct buf *b)
{
	int i;

	if (b == NULL)
		return;
	i = buf_class_of(b->size);
	if (i < 0 || b->size != ((size_t)1 << (BUF_CLASS_MIN_SHIFT + i)) ||
	    buf_class[i].nfree >= buf_keep(i)) {
		buf_freed += b->size;
		free(b);
		return;
	}
	b->next = buf_class[i].free;
	buf_class[i].free = b;
	buf_class[i].nfree++;
}

void
buf_stats(size_t *kept, size_t *kept_bytes)
{
	int i;

	*kept = *kept_bytes = 0;
	for (i = 0; i < BUF_NCLASSES; i++) {
		*kept += buf_class[i].nfree;
		*kept_bytes += buf_class[i].nfree *
		    ((size_t)1 << (BUF_CLASS_MIN_SHIFT + i));
	}
}

int
buf_trim(void)
{
	if (buf_freed < BUF_TRIM_BYTES)
		return 0;
	buf_freed = 0;
	/* glibc gives free pages back, in the heap's middle too. */
	(void)malloc_trim(0);
	return 1;
}

void
buf_compact(struct buf *b)
{
	size_t n;

	if (b->pos == b->start)
		return;
	n = buf_len(b);
	if (n > 0)
		memmove(b->start, b->pos, n);
	b->pos = b->start;
	b->last = b->start + n;
}

int
buf_append(struct buf *b, const void *p, size_t n)
{
	if (buf_room(b) < n)
		return -1;
	memcpy(b->last, p, n);
	b->last += n;
	return 0;
}

void *
buf_alloc(struct buf *b, size_t n)
{
	void *p;

	n = (n + 7) & ~(size_t)7;
	if (b == NULL || buf_room(b) < n)
		return NULL;
	p = b->last;
	b->last += n;
	return p;
}

int
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	size_t room;
	int n;

	room = buf_room(b);
	va_start(ap, fmt);
	n = vsnprintf(b->last, room, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= room)
		return -1;
	b->last += n;
	return 0;
}
