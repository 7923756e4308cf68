/*
 * range.h -- byte Range requests against a complete stored body
 * (RFC 9110 §14), as pure functions.
 *
 * No I/O, no allocation, no clock.  The worker (worker/cache_req.c, on a
 * cache hit) asks range_select() whether to answer the whole stored 200,
 * a 206 with one slice of it, or a 416; range_parse() and
 * range_if_range() are its two parts, exported for the unit test
 * (t/unit-cache-range.c).
 *
 * What is served:
 *   - exactly one byte range: "bytes=first-last", "bytes=first-",
 *     "bytes=-suffix" (§14.1.2), with a last-pos beyond the body clamped
 *     to its last byte and a suffix longer than the body meaning all of
 *     it (§14.1.1);
 *   - everything else is ignored and the whole 200 is served (§14.2: a
 *     server MAY ignore Range): another unit, a syntax error, an int-range
 *     whose last-pos is below its first-pos (§14.1.1: invalid), and MORE
 *     THAN ONE range (no multipart/byteranges; the 200 is a correct answer
 *     to any of them).
 *   - 416 (§15.5.17) when the one range does not overlap the body: a
 *     first-pos at or beyond the length, or a suffix of length 0.
 *
 * Caveats:
 *  - Syntax is strict where RFC 9110 is: the unit is a token followed at
 *    once by "=" (case-insensitive "bytes", §14.1), no whitespace inside
 *    a range-spec; OWS only around the commas of the list, and empty list
 *    elements are skipped (§5.6.1.2).
 *  - Numbers beyond 2^64-1 are read as 2^64-1: beyond any body, so a
 *    first-pos that large is unsatisfiable and a last-pos or suffix that
 *    large means "to the end".
 *  - A zero-length body: every int-range is unsatisfiable (416); a
 *    non-zero suffix is satisfiable (§14.1.1) but a 206 cannot describe
 *    an empty slice, so the (empty) 200 is served.
 *  - If-Range (§13.1.5) is evaluated only when there is a Range: an
 *    entity-tag must match the stored ETag by the STRONG comparison
 *    (§8.8.3.2: a weak tag on either side never matches); an HTTP-date
 *    must equal the stored Last-Modified (as instants, policy_date()).
 *    When the condition is false, the whole 200 is served.
 */
#ifndef SLUICE_RANGE_H
#define SLUICE_RANGE_H

#include <stddef.h>
#include <stdint.h>

struct http_head;

/** What to answer to a Range request. */
enum range_rc {
	RANGE_NONE = 0,		/* ignore the Range: the whole 200 */
	RANGE_OK,		/* 206 with bytes first..last */
	RANGE_UNSATISFIABLE,	/* 416: Content-Range gives the length */
};

/** The answer, and for RANGE_OK the slice (inclusive, first <= last). */
struct range {
	enum range_rc	rc;
	uint64_t	first;
	uint64_t	last;
};

/**
 * @brief Parse a Range field value against a complete body of @p length
 *	bytes (RFC 9110 §14.1.1-14.1.2).
 * @param[in] v, n  the field value (OWS around it is skipped).
 * @param[out] rg  rc set always; first and last when RANGE_OK.
 * @return rg->rc: RANGE_OK, RANGE_UNSATISFIABLE or RANGE_NONE.
 */
enum range_rc range_parse(const char *v, size_t n, uint64_t length,
	    struct range *rg);

/**
 * @brief Evaluate an If-Range value against the stored validators
 *	(RFC 9110 §13.1.5).
 * @param[in] etag, etag_len  the stored ETag value, or NULL.
 * @param[in] lm, lm_len  the stored Last-Modified value, or NULL.
 * @return 1 when the condition is true (the Range applies), 0 when not
 *	(a weak or non-matching entity-tag, a date that is not exactly
 *	Last-Modified, or a value that is neither).
 */
int	range_if_range(const char *v, size_t n, const char *etag,
	    size_t etag_len, const char *lm, size_t lm_len);

/**
 * @brief Decide how to answer request @p rq from the stored response
 *	@p resp, whose complete body is @p length bytes: the request's one
 *	Range field, gated by its If-Range (§13.2.2 step 5).  Only a stored
 *	200 is ranged; several Range or If-Range fields are ignored (200).
 * @note The caller keeps HEAD out (a HEAD is the plain 200 head) and
 *	evaluates If-None-Match / If-Modified-Since first (§13.2.2).
 * @return rg->rc, as range_parse().
 */
enum range_rc range_select(const struct http_head *rq,
	    const struct http_head *resp, uint64_t length, struct range *rg);

#endif
