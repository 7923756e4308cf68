/*
 * buf.h -- fixed-size byte buffers from a per-process freelist.
 *
 * Runs in the workers.  A buffer never grows: data lives in [pos, last)
 * within [start, end); readers advance pos, writers advance last, and
 * buf_compact() moves the data down only when room at the end is needed.
 * A connection holds buffers only while it has bytes in flight; an idle
 * keep-alive connection gives them back.
 *
 * Caveats:
 *  - Buffers of one size share a freelist (at most BUF_FREE_MAX kept).
 *  - buf_get() returns NULL only when malloc fails; callers answer 503
 *    or close.
 */
#ifndef SLUICE_BUF_H
#define SLUICE_BUF_H

#include <stddef.h>

#define BUF_SMALL	16384
#define BUF_FREE_MAX	1024

struct buf {
	char		*start;
	char		*end;
	char		*pos;		/* first unread byte */
	char		*last;		/* one past the last byte */
	size_t		 size;
	struct buf	*next;		/* freelist link */
};

/** @brief A buffer of @p size bytes, empty.  Partner: buf_put(). */
struct buf	*buf_get(size_t size);
/** @brief Give @p b back (NULL ignored). */
void		 buf_put(struct buf *b);
/** @brief Bytes of data. */
static inline size_t
buf_len(const struct buf *b)
{
	return (size_t)(b->last - b->pos);
}
/** @brief Room after last. */
static inline size_t
buf_room(const struct buf *b)
{
	return (size_t)(b->end - b->last);
}
/** @brief Move the data to the start when that makes room. */
void		 buf_compact(struct buf *b);
/** @brief Empty the buffer. */
static inline void
buf_reset(struct buf *b)
{
	b->pos = b->last = b->start;
}
/**
 * @brief Append @p n bytes.
 * @return 0, or -1 (nothing appended) when they do not fit.
 */
int		 buf_append(struct buf *b, const void *p, size_t n);
/**
 * @brief Bump-allocate @p n bytes (8-aligned) in @p b used as an arena:
 *	the request's copies live there until the buffer is reset or put.
 * @return the memory, or NULL when @p b is NULL or too full.
 */
void		*buf_alloc(struct buf *b, size_t n);
/** @brief Append a formatted string. @return 0, or -1 (buffer unchanged) when it does not fit. */
int		 buf_printf(struct buf *b, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));

#endif
