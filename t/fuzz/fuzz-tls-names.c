/*
 * fuzz-tls-names.c -- libFuzzer target: the TLS input sluice reads
 * itself (OpenSSL parses the rest of a ClientHello): the ALPN list walk
 * of tls_alpn_select(), tls_host_same() on an SNI and a CONNECT host, and
 * the host-name check of minting (tls_mint_host()).  The first byte picks
 * the function; the checks are the invariants each one promises.
 *
 * Build: clang -g -O1 -fsanitize=fuzzer,address,undefined -Iworker
 *	-Iworker/core t/fuzz/fuzz-tls-names.c -lssl -lcrypto
 * (tls.c and tls_mint.c are included, to reach their static helpers).
 * Runs nowhere in production: a test tool for worker/tls.c.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../worker/tls.c"
#include "../../worker/tls_mint.c"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(c)	do { if (!(c)) abort(); } while (0)

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static SSL_CTX *ctx;
	static SSL *ssl;
	char a[512], b[512], out[TLS_HOST_MAX + 1];
	const unsigned char *sel = NULL;
	unsigned char len = 0;
	const char *nul;
	size_t n, i;
	int rc;

	if (size < 1 || size > 500)
		return 0;
	n = size - 1;
	switch (data[0] % 3) {
	case 0:
		/* The client's ALPN list, as OpenSSL hands it over. */
		if (ctx == NULL && ((ctx = SSL_CTX_new(TLS_server_method())) ==
		    NULL || (ssl = SSL_new(ctx)) == NULL))
			abort();
		rc = tls_alpn_select(ssl, &sel, &len, data + 1, (unsigned)n,
		    NULL);
		if (rc == SSL_TLSEXT_ERR_OK) {
			/* Inside the input, and http/1.1. */
			FUZZ_CHECK(sel >= data + 1 && sel + len <= data + size);
			FUZZ_CHECK(len == 8 && memcmp(sel, "http/1.1", 8) == 0);
		}
		break;
	case 1:
		/* Two names split at the first NUL. */
		memcpy(a, data + 1, n);
		a[n] = '\0';
		nul = memchr(data + 1, '\0', n);
		if (nul == NULL)
			break;
		i = (size_t)(nul - (const char *)(data + 1));
		memcpy(b, data + 2 + i, n - i - 1);
		b[n - i - 1] = '\0';
		rc = tls_host_same(a, b);
		/* Symmetric, and a name is itself unless empty (or too long). */
		FUZZ_CHECK(rc == tls_host_same(b, a));
		if (strlen(a) <= TLS_HOST_MAX)
			FUZZ_CHECK(tls_host_same(a, a) == (a[0] != '\0' &&
			    strcmp(a, ".") != 0));
		break;
	default:
		memcpy(a, data + 1, n);
		a[n] = '\0';
		rc = tls_mint_host(a, out, sizeof(out));
		if (rc == 1) {
			/* A lower-case LDH name, no empty label, no dot
			   at either end. */
			FUZZ_CHECK(out[0] != '\0' && out[0] != '.' &&
			    out[strlen(out) - 1] != '.' &&
			    strstr(out, "..") == NULL);
			for (i = 0; out[i] != '\0'; i++)
				FUZZ_CHECK((out[i] >= 'a' && out[i] <= 'z') ||
				    (out[i] >= '0' && out[i] <= '9') ||
				    out[i] == '-' || out[i] == '.');
			FUZZ_CHECK(tls_host_same(a, out));
		} else if (rc == 2) {
			FUZZ_CHECK(tls_host_ip(out, NULL, NULL) &&
			    out[0] != '[' && tls_host_same(a, out));
		}
		break;
	}
	return 0;
}
