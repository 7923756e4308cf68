/*
 * fuzz-request-head.c -- libFuzzer target: http_head_end() fed in two
 * pieces (split point from the first input byte) must agree with one
 * call; http_request_parse() and http_request_framing() must return a
 * documented code and keep every pointer inside the buffer.
 *
 * Build: clang -g -O1 -fsanitize=fuzzer,address,undefined -Iworker
 *	t/fuzz/fuzz-request-head.c worker/http_parse.c
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
fuzz_head_check(const char *buf, size_t len)
{
	size_t i;

	FUZZ_CHECK(h.head_len <= len);
	FUZZ_CHECK(h.nfields <= HTTP_MAX_FIELDS);
	FUZZ_CHECK(h.version == 10 || h.version == 11);
	for (i = 0; i < h.nfields; i++) {
		FUZZ_CHECK(h.fields[i].name_len > 0);
		FUZZ_CHECK(fuzz_in(buf, h.head_len, h.fields[i].name,
		    h.fields[i].name_len));
		FUZZ_CHECK(fuzz_in(buf, h.head_len, h.fields[i].value,
		    h.fields[i].value_len));
		/* OWS is stripped from both ends (RFC 9112 §5.1). */
		if (h.fields[i].value_len > 0) {
			FUZZ_CHECK(h.fields[i].value[0] != ' ' &&
			    h.fields[i].value[0] != '\t');
			FUZZ_CHECK(h.fields[i].value[h.fields[i].value_len -
			    1] != ' ');
		}
		FUZZ_CHECK(memchr(h.fields[i].value, '\r',
		    h.fields[i].value_len) == NULL);
		FUZZ_CHECK(memchr(h.fields[i].value, '\n',
		    h.fields[i].value_len) == NULL);
	}
}

static void
fuzz_request(const char *buf, size_t len)
{
	enum http_body_mode mode;
	uint64_t length;
	const char *why;
	int rc;

	rc = http_request_parse(buf, len, &h, &why);
	FUZZ_CHECK(rc == 0 || rc == 400 || rc == 431 || rc == 505);
	if (rc != 0) {
		FUZZ_CHECK(why != NULL);
		return;
	}
	fuzz_head_check(buf, len);
	FUZZ_CHECK(h.method_len > 0 && h.target_len > 0);
	FUZZ_CHECK(fuzz_in(buf, h.head_len, h.method, h.method_len));
	FUZZ_CHECK(fuzz_in(buf, h.head_len, h.target, h.target_len));
	FUZZ_CHECK(memchr(h.target, ' ', h.target_len) == NULL);
	rc = http_request_framing(&h, &mode, &length, &why);
	FUZZ_CHECK(rc == 0 || rc == 400 || rc == 501);
	if (rc != 0) {
		FUZZ_CHECK(why != NULL);
		return;
	}
	FUZZ_CHECK(mode == HTTP_BODY_NONE || mode == HTTP_BODY_LENGTH ||
	    mode == HTTP_BODY_CHUNKED);
	FUZZ_CHECK(mode == HTTP_BODY_LENGTH || length == 0);
	FUZZ_CHECK(length <= (UINT64_C(1) << 62));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_head_scan s1, s2;
	size_t end1, end2, split;
	char *buf;

	if (size < 1)
		return 0;
	split = data[0];
	data++;
	size--;
	/* A copy of exactly size bytes, so ASan sees any overread. */
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
	FUZZ_CHECK(s1.first_line_done == s2.first_line_done);

	if (end1 > 0) {
		fuzz_request(buf, end1);
		/* Via http_head_end, a parsed head is exactly that long. */
		if (h.head_len != 0)
			FUZZ_CHECK(h.head_len == end1);
	}
	/* The parser must also cope with a length no scan produced. */
	fuzz_request(buf, size);
	free(buf);
	return 0;
}
