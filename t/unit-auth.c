/*
 * unit-auth.c -- decoding of Basic credentials (RFC 7617 §2) from a
 * Proxy-Authorization value: the scheme is case-insensitive, the user-id
 * ends at the first colon (the password may hold more), and anything
 * malformed is refused rather than guessed at.
 *
 * Unit test: auth_basic_decode() only, no processes.
 */
#include <string.h>

#include "auth.h"
#include "tap.h"

static int
dec(const char *v, char *u, char *p)
{
	u[0] = p[0] = '\0';
	return auth_basic_decode(v, strlen(v), u, 256, p, 256);
}

int
main(void)
{
	char u[256], p[256], big[1200];
	size_t i;

	plan(13);
	/* "Aladdin:open sesame", RFC 7617 §2's example. */
	is_int(dec("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==", u, p), 0,
	    "RFC 7617's example decodes");
	is_str(u, "Aladdin", "user-id before the first colon");
	is_str(p, "open sesame", "password after it");
	is_int(dec("bAsIc QWxhZGRpbjpvcGVuIHNlc2FtZQ==", u, p), 0,
	    "the scheme is case-insensitive (RFC 9110 §11.1)");
	/* "a:b:c" */
	is_int(dec("Basic YTpiOmM=", u, p), 0, "a password with a colon");
	is_str(p, "b:c", "the password keeps its colons");
	is_int(dec("Digest username=\"a\"", u, p), -1, "another scheme is "
	    "refused");
	is_int(dec("Basic YWJj", u, p), -1, "no colon (\"abc\") is refused");
	is_int(dec("Basic OmFiYw==", u, p), -1, "an empty user-id (\":abc\") "
	    "is refused");
	is_int(dec("Basic YTpi*GM=", u, p), -1, "a byte outside base64 is "
	    "refused");
	is_int(dec("Basic YTpi=GM=", u, p), -1, "data after padding is "
	    "refused");
	/* "a\x01:b": a control character in the user-id. */
	is_int(dec("Basic YQE6Yg==", u, p), -1,
	    "a control character in the user-id is refused");
	strcpy(big, "Basic ");
	for (i = strlen(big); i < sizeof(big) - 1; i++)
		big[i] = 'Q';
	big[sizeof(big) - 1] = '\0';
	is_int(dec(big, u, p), -1, "credentials longer than the buffers are "
	    "refused");
	return exit_status();
}
