/*
 * buf.c -- fixed buffers and their freelists (see buf.h).
 * Runs in the workers.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

/* A few size classes: the small buffer and the configured header limits. */
#define BUF_CLASSES	4

static struct {
	size_t		 size;
	struct buf	*free;
	size_t		 nfree;
} buf_class[BUF_CLASSES];

struct buf *
buf_get(size_t size)
{
	struct buf *b;
	int i;

	for (i = 0; i < BUF_CLASSES; i++) {
		if (buf_class[i].size == size && buf_class[i].free != NULL) {
			b = buf_class[i].free;
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
	int i, slot = -1;

	if (b == NULL)
		return;
	for (i = 0; i < BUF_CLASSES; i++) {
		if (buf_class[i].size == b->size) {
			slot = i;
			break;
		}
		if (slot == -1 && buf_class[i].size == 0)
			slot = i;
	}
	if (slot == -1 || buf_class[slot].nfree >= BUF_FREE_MAX) {
		free(b);
		return;
	}
	buf_class[slot].size = b->size;
	b->next = buf_class[slot].free;
	buf_class[slot].free = b;
	buf_class[slot].nfree++;
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
