/*
 * unit-host.c -- acl_host_normalise(): every spelling of a host becomes
 * one, and spellings made to dodge rules are refused (RFC 3986 §3.2.2,
 * RFC 1035 §2.3.4, inet_aton(3) forms, WHATWG URL's IPv4 parser).
 *
 * Unit test: a table of inputs, the kind and text expected.
 */
#include <sys/socket.h>
#include <netinet/in.h>

#include <string.h>

#include "host.h"
#include "tap.h"

static const struct {
	const char	*in;
	int		 kind;		/* HOST_*, or -1 */
	const char	*out;		/* canonical text, or the reason */
	const char	*desc;
} cases[] = {
	{ "Example.COM", HOST_NAME, "example.com", "names are lower-cased" },
	{ "example.com.", HOST_NAME, "example.com",
	  "one trailing dot (the root) is dropped" },
	{ "example.com..", -1, "empty label", "two trailing dots are refused" },
	{ "2130706433", HOST_IPV4, "127.0.0.1", "a 32-bit decimal is IPv4" },
	{ "0x7f.1", HOST_IPV4, "127.0.0.1", "hex and a short form" },
	{ "0x7f000001", HOST_IPV4, "127.0.0.1", "one hex number" },
	{ "0177.0.0.1", HOST_IPV4, "127.0.0.1", "an octal part" },
	{ "127.1", HOST_IPV4, "127.0.0.1", "two parts" },
	{ "127.0.1", HOST_IPV4, "127.0.0.1", "three parts" },
	{ "0x7F.0.0.1", HOST_IPV4, "127.0.0.1", "upper-case hex" },
	{ "127.0.0.1.", HOST_IPV4, "127.0.0.1", "an address with a dot after" },
	{ "4294967296", -1, "bad IPv4", "past 32 bits is refused, not a name" },
	{ "256.1.1.1", -1, "bad IPv4", "a part over 255 is refused" },
	{ "1.2.3.4.5", -1, "bad IPv4", "five numeric parts are refused" },
	{ "08.1.1.1", -1, "bad IPv4", "a bad octal part is refused" },
	{ "::ffff:127.0.0.1", HOST_IPV4, "127.0.0.1",
	  "IPv4-mapped IPv6 is the IPv4 address" },
	{ "::FFFF:7f00:1", HOST_IPV4, "127.0.0.1", "... in hex and any case" },
	{ "2001:DB8:0:0::1", HOST_IPV6, "2001:db8::1",
	  "IPv6 in its RFC 5952 form" },
	{ "::1", HOST_IPV6, "::1", "the IPv6 loopback" },
	{ "fe80::1%eth0", -1, "zone", "a zone id is refused" },
	{ "fe80::1%25eth0", -1, "zone", "an encoded zone id is refused" },
	{ "127.0.0.%31", -1, "percent", "percent-encoding is refused" },
	{ "", -1, "empty", "an empty host is refused" },
	{ "a..b", -1, "empty label", "an empty label is refused" },
	{ ".example.com", -1, "empty label", "a leading dot is refused" },
	{ "exa mple.com", -1, "bad character", "a space is refused" },
	{ "ex\\ample.com", -1, "bad character", "a backslash is refused" },
	{ "ex@mple.com", -1, "bad character", "'@' is refused" },
	{ "caf\xc3\xa9.test", -1, "bad character",
	  "raw UTF-8 is refused (IDNA A-labels are the wire form)" },
	{ "xn--caf-dma.test", HOST_NAME, "xn--caf-dma.test",
	  "an A-label is a name" },
	{ "under_score.test", HOST_NAME, "under_score.test",
	  "underscores are accepted (real-world names)" },
	{ "1e100.net", HOST_NAME, "1e100.net",
	  "a name whose last label is not numeric" },
	{ "a.b.c.1d", HOST_NAME, "a.b.c.1d", "'1d' is not a number" },
	{ "a.123", -1, "bad IPv4",
	  "a name ending in a number must be an address" },
	{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  ".test", -1, "label over 63", "a label over 63 bytes is refused" },
};

int
main(void)
{
	struct sockaddr_storage ss;
	char out[256], big[400];
	const char *why;
	size_t i;
	int k;

	plan((int)(2 * sizeof(cases) / sizeof(cases[0])) + 3);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		why = NULL;
		memset(out, 0, sizeof(out));
		k = acl_host_normalise(cases[i].in, strlen(cases[i].in), out,
		    sizeof(out), &ss, &why);
		is_int(k, cases[i].kind, "%s ('%s')", cases[i].desc,
		    cases[i].in);
		if (cases[i].kind == -1)
			like(why, cases[i].out, "%s: says why", cases[i].desc);
		else
			is_str(out, cases[i].out, "%s: text", cases[i].desc);
	}
	k = acl_host_normalise("0x7f.1", 6, out, sizeof(out), &ss, &why);
	ok(k == HOST_IPV4 && ss.ss_family == AF_INET &&
	    ((struct sockaddr_in *)&ss)->sin_addr.s_addr == htonl(0x7f000001),
	    "the address comes back too");
	memset(big, 'a', sizeof(big));
	for (i = 60; i < sizeof(big); i += 61)
		big[i] = '.';
	is_int(acl_host_normalise(big, 300, out, sizeof(out), NULL, &why), -1,
	    "a host over 253 bytes is refused (RFC 1035 §2.3.4)");
	is_int(acl_host_normalise("exam\0ple.com", 12, out, sizeof(out), NULL,
	    &why), -1, "a NUL inside the host is refused");
	return exit_status();
}
