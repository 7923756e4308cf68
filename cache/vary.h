/*
 * vary.h -- secondary cache keys from Vary (RFC 9111 §4.1), as pure
 * functions.  Runs in the workers (cache_req.c); no I/O, no allocation.
 *
 * A response's Vary becomes a "spec": the field names it varies on, in
 * lower case, sorted, without duplicates, joined by ','.  The spec is
 * stored per URL (store_vary_put); a request's values of those fields
 * become the secondary key of the variant (store_lookup's skey):
 * "name=value\n" per name, "name!\n" when the request lacks the field.
 *
 * Values are normalised so that trivial differences do not split the
 * cache (§4.1 allows "normalizing both header values in a way that is
 * known to have identical semantics"):
 *   - every line of the field is joined with ',' (RFC 9110 §5.3);
 *   - whitespace around list commas and at the ends is dropped, and runs
 *     of whitespace become one space;
 *   - Accept-Encoding becomes "gzip" when the request accepts gzip
 *     (gzip, x-gzip or "*" with a q above 0, gzip not refused: RFC 9110
 *     §12.5.3), "identity" otherwise, a missing field included.  The
 *     cache asks origins with exactly that value (cache_accept_encoding
 *     in cache.h), so a variant stored under "gzip" is gzip or identity,
 *     never a coding another client cannot read; one stored copy serves
 *     every client that takes gzip, and clients that do not are served
 *     from it too, inflated (cache.h: the hit's gunzip);
 *   - Accept-Language becomes the sorted set of its elements, in lower
 *     case without whitespace (q parameters kept).
 *
 * Caveats:
 *  - Vary: * never matches (§4.1): vary_spec() says so and the response
 *    is not stored.
 *  - At most VARY_NAMES_MAX names and STORE_VARY_MAX bytes of spec; more
 *    is refused (not stored) rather than cut.
 */
#ifndef SLUICE_VARY_H
#define SLUICE_VARY_H

#include <stddef.h>

struct http_head;

#define VARY_NAMES_MAX	32

/** vary_spec() results. */
#define VARY_OK		0
#define VARY_STAR	(-1)	/* Vary: * (never matches) */
#define VARY_TOOBIG	(-2)	/* too many names or bytes */

/**
 * @brief The spec of response @p h (every Vary line).
 * @param[out] out  the spec, NUL-terminated; empty when there is no Vary.
 * @return VARY_OK, VARY_STAR or VARY_TOOBIG.
 */
int	vary_spec(const struct http_head *h, char *out, size_t outsz);

/**
 * @brief A compact copy of the request's fields for vary_key():
 *	"lowercase-name:value\n" per field line, in order.
 * @return the length, or (size_t)-1 when @p outsz is too small.
 */
size_t	vary_fields(const struct http_head *rq, char *out, size_t outsz);

/**
 * @brief The secondary key of a request (its fields as vary_fields()
 *	gave them) under @p spec.
 * @return the key length (NUL-terminated in @p out), or (size_t)-1 when
 *	@p outsz is too small.
 */
size_t	vary_key(const char *spec, const char *rqf, size_t rqflen, char *out,
	    size_t outsz);
/**
 * @brief vary_key() with the Accept-Encoding value @p ae ("gzip" or
 *	"identity") instead of the request's (NULL: the request's): the key
 *	of the gzip variant for a client that does not take gzip.
 */
size_t	vary_key_ae(const char *spec, const char *rqf, size_t rqflen,
	    const char *ae, char *out, size_t outsz);
/**
 * @brief Does an Accept-Encoding value (lines joined) accept gzip?
 *	(gzip, x-gzip or "*" with q above 0, and gzip not refused.)
 */
int	vary_ae_gzip(const char *v, size_t n);
/** @brief vary_ae_gzip() of request @p rq's Accept-Encoding (none: 0). */
int	vary_request_gzip(const struct http_head *rq);

/**
 * @brief Normalise one field value (already joined) into @p out.
 *	Accept-Encoding as described above, others by whitespace.
 * @return the length (NUL-terminated), or (size_t)-1 when it does not fit.
 */
size_t	vary_normalise(const char *name, const char *v, size_t n, char *out,
	    size_t outsz);

#endif
