/*
 * str.h -- small string helpers for length-delimited bytes.
 * Used by every process; header only.
 */
#ifndef SLUICE_STR_H
#define SLUICE_STR_H

#include <stddef.h>
#include <strings.h>

/** @brief ASCII lower case, whatever the locale. */
static inline char
str_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
}

/** @brief Case-insensitive equality of p[0..n) and the C string @p s. */
static inline int
str_ieq(const char *p, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] == '\0')
			return 0;
		if (str_lower(p[i]) != str_lower(s[i]))
			return 0;
	}
	return s[n] == '\0';
}

/** @brief Does p[0..n) start with @p s, ignoring case? */
static inline int
str_iprefix(const char *p, size_t n, const char *s)
{
	size_t l = strlen(s);

	return n >= l && strncasecmp(p, s, l) == 0;
}

#define STR_LIT_LEN(s)	(sizeof(s) - 1)

#endif
