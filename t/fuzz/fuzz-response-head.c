/*
 * fuzz-response-head.c -- libFuzzer target: http_head_end() in two pieces
 * (split from the first input byte) agrees with one call;
 * http_response_parse() and http_response_framing() (HEAD or not, from
 * the second byte) return a documented code and keep every pointer
 * inside the buffer.
 *
 * Build: clang -g -O1 -fsanitize=fuzzer,address,undefined -Iworker
 *	t/fuzz/fuzz-response-head.c worker/http_parse.c
 * Runs nowhere in production: a test tool for the worker's parser.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http_parse.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct http_head h;

#define FUZZ_CHECK(c)	do { if (!(c)) abort(); } while (0)

static int
fuzz_in(const char *buf, size_t len, const char *p, size_t n)
{
	return p >= buf && n <= len && (size_t)(p - buf) <= len - n;
}

static void
fuzz_response(const char *buf, size_t len, int is_head)
{
	enum http_body_mode mode;
	uint64_t length;
	const char *why;
	size_t i;
	int rc;

	rc = http_response_parse(buf, len, &h, &why);
	FUZZ_CHECK(rc == 0 || rc == -1);
	if (rc != 0) {
		FUZZ_CHECK(why != NULL);
		return;
	}
	FUZZ_CHECK(h.head_len <= len && h.head_len >= 16);
	FUZZ_CHECK(h.nfields <= HTTP_MAX_FIELDS);
	FUZZ_CHECK(h.version == 10 || h.version == 11);
	FUZZ_CHECK(h.status >= 100 && h.status <= 599);
	FUZZ_CHECK(h.reason != NULL && fuzz_in(buf, h.head_len, h.reason,
	    h.reason_len));
	for (i = 0; i < h.nfields; i++) {
		FUZZ_CHECK(h.fields[i].name_len > 0);
		FUZZ_CHECK(fuzz_in(buf, h.head_len, h.fields[i].name,
		    h.fields[i].name_len));
		FUZZ_CHECK(fuzz_in(buf, h.head_len, h.fields[i].value,
		    h.fields[i].value_len));
		FUZZ_CHECK(memchr(h.fields[i].value, '\n',
		    h.fields[i].value_len) == NULL);
	}
	rc = http_response_framing(&h, is_head, &mode, &length, &why);
	FUZZ_CHECK(rc == 0 || rc == -1);
	if (rc != 0) {
		FUZZ_CHECK(why != NULL);
		return;
	}
	FUZZ_CHECK(mode == HTTP_BODY_NONE || mode == HTTP_BODY_LENGTH ||
	    mode == HTTP_BODY_CHUNKED || mode == HTTP_BODY_EOF);
	/* RFC 9112 §6.3 item 1: these never have a body. */
	if (is_head || h.status < 200 || h.status == 204 || h.status == 304)
		FUZZ_CHECK(mode == HTTP_BODY_NONE);
	FUZZ_CHECK(mode == HTTP_BODY_LENGTH || length == 0);
	FUZZ_CHECK(length <= (UINT64_C(1) << 62));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_head_scan s1, s2;
	size_t end1, end2, split;
	int is_head;
	char *buf;

	if (size < 2)
		return 0;
	split = data[0];
	is_head = data[1] & 1;
	data += 2;
	size -= 2;
	buf = malloc(size + 1);
	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);

	memset(&s1, 0, sizeof(s1));
	end1 = http_head_end(buf, size, &s1);
	FUZZ_CHECK(end1 <= size);
	memset(&s2, 0, sizeof(s2));
	split = split < size ? split : size;
	end2 = http_head_end(buf, split, &s2);
	if (end2 == 0)
		end2 = http_head_end(buf, size, &s2);
	FUZZ_CHECK(end1 == end2);

	if (end1 > 0) {
		fuzz_response(buf, end1, is_head);
		if (h.head_len != 0)
			FUZZ_CHECK(h.head_len == end1);
	}
	fuzz_response(buf, size, is_head);
	free(buf);
	return 0;
}
