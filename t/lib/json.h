/*
 * json.h -- a strict JSON checker for the tests (RFC 8259), so that a
 * JSON-lines log can be checked line by line without a JSON library.
 *
 * Runs in the test process.  Pure: no allocation.
 *
 * Caveats:
 *  - Strings must be valid UTF-8 (RFC 8259 §8.1) and escapes well formed
 *    (\uXXXX with four hex digits; surrogates are not paired up).
 *  - Nesting is limited to 32 levels.
 */
#ifndef SLUICE_JSON_H
#define SLUICE_JSON_H

#include <stddef.h>

/**
 * @brief Is @p s[0..n) exactly one JSON value, blanks around allowed?
 * @param[out] nmembers  when not NULL and the value is an object, its
 *	member count (else -1).
 * @return 1 valid, 0 not.
 */
int	json_valid(const char *s, size_t n, int *nmembers);

/**
 * @brief The raw text of member @p key of the object @p s[0..n) ("200",
 *	"null", "\"a\\\"b\"" with its quotes and escapes as written).
 * @param[out] out  receives it, NUL-terminated, cut to @p size - 1.
 * @return @p out, or NULL when @p s is not a valid object or has no
 *	such member (compared byte for byte with the key as written).
 */
char	*json_member(const char *s, size_t n, const char *key, char *out,
	    size_t size);

#endif
