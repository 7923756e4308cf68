/*
 * buf.h -- fixed-size byte buffers from a per-process freelist.
 *
 * Runs in the workers.  A buffer never grows: data lives in [pos, last)
 * within [start, end); readers advance pos, writers advance last, and
 * buf_compact() moves the data down only when room at the end is needed.
 * A connection holds buffers only while it has bytes in flight; an idle
 * keep-alive connection gives them back.
 *
 * Sizes: every size asked for is served from a power-of-two class from
 * 4 KiB to 1 MiB (b->size is the class's, at least what was asked);
 * larger buffers are malloc'd and freed each time.  A class keeps at most
 * BUF_KEEP_BYTES of free buffers (BUF_KEEP_MIN at least) and frees the
 * rest, so a burst of connections does not pin its memory; buf_trim()
 * (an idle timer of the worker) gives freed memory back to the system.
 *
 * Caveats:
 *  - Not thread-safe: the loop's thread only (the cache's writer thread
 *    reads buffers it is handed, and hands them back to the loop).
 *  - buf_get() returns NULL only when malloc fails; callers answer 503
 *    or close.
 */
#ifndef SLUICE_BUF_H
#define SLUICE_BUF_H

#include <stddef.h>

#define BUF_SMALL		16384
#define BUF_CLASS_MIN_SHIFT	12		/* 4 KiB */
#define BUF_CLASS_MAX_SHIFT	20		/* 1 MiB */
#define BUF_KEEP_BYTES		(2u << 20)	/* free bytes a class keeps */
#define BUF_KEEP_MIN		2
#define BUF_TRIM_BYTES		(4u << 20)	/* freed bytes worth a trim */

struct buf {
	char		*start;
	char		*end;
	char		*pos;		/* first unread byte */
	char		*last;		/* one past the last byte */
	size_t		 size;
	struct buf	*next;		/* freelist link */
};

/** @brief A buffer of at least @p size bytes, empty.  Partner: buf_put(). */
struct buf	*buf_get(size_t size);
/** @brief Give @p b back (NULL ignored): kept for reuse, or freed. */
void		 buf_put(struct buf *b);
/** @brief Free buffers kept, and their bytes. */
void		 buf_stats(size_t *kept, size_t *kept_bytes);
/**
 * @brief Give freed memory back to the system when enough was freed
 *	since the last call (malloc_trim).  Call it when idle.
 * @return 1 when it trimmed, 0 when there was too little to bother.
 */
int		 buf_trim(void);
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
