/*
 * gunzip.h -- a bounded, streaming gzip decoder (zlib) for serving a
 * stored gzip variant to a client that does not take gzip (RFC 9110
 * §8.4.1.3).  Runs in the workers; no I/O.
 *
 * The caller feeds compressed bytes as it reads them and takes the
 * output in pieces no larger than the room it gives: memory is the zlib
 * state (about 45 KB, allocated at gunzip_init(), given back at
 * gunzip_free()) whatever the ratio.  The total output is bounded too:
 * past @c max bytes the stream is an error (GUNZIP_TOOBIG), so a
 * decompression bomb costs a bounded amount of work, never memory.
 *
 * Several gzip members in a row are one stream (RFC 1952 §2.2, as gzip(1)
 * reads them).  Bytes after the end of the last member, a bad header or
 * checksum, or input that ends inside a member are errors: the caller
 * must not make a truncated body look complete.
 */
#ifndef SLUICE_GUNZIP_H
#define SLUICE_GUNZIP_H

#include <stddef.h>
#include <stdint.h>

/** gunzip_run() results. */
#define GUNZIP_MORE	0	/* give more input (or more room) */
#define GUNZIP_END	1	/* the whole stream is out */
#define GUNZIP_ERROR	(-1)	/* not gzip, corrupt, or trailing bytes */
#define GUNZIP_TOOBIG	(-2)	/* more output than the bound */
#define GUNZIP_NOMEM	(-3)

struct gunzip;

/**
 * @brief A decoder whose output may total at most @p max bytes.
 * @return the decoder, or NULL (no memory).  Partner: gunzip_free().
 */
struct gunzip	*gunzip_new(uint64_t max);
/** @brief Give the decoder back (NULL ignored). */
void		 gunzip_free(struct gunzip *g);
/**
 * @brief Decode from @p in (@p inlen bytes; @p last: no more input after
 *	these) into @p out (room @p outlen).
 * @param[out] used      input bytes taken
 * @param[out] produced  output bytes written
 * @return GUNZIP_MORE (call again with the rest, more input or more
 *	room), GUNZIP_END, or an error code (the stream is unusable).
 */
int		 gunzip_run(struct gunzip *g, const void *in, size_t inlen,
		    int last, void *out, size_t outlen, size_t *used,
		    size_t *produced);
/** @brief Output bytes so far. */
uint64_t	 gunzip_total(const struct gunzip *g);
/** @brief What went wrong, for cache_log. */
const char	*gunzip_error(const struct gunzip *g);

#endif
