/*
 * accesslog_fmt.c -- the logformat compiler and renderer (see
 * accesslog_fmt.h).  Compiled in the master at config load; rendered in
 * the workers, once per request and log.  Pure: no I/O, no clock (the
 * entry brings the times), no printf family on the render path.
 *
 * A compiled format is an array of tokens: literal text, or a code with
 * its encoding and widths.  Each token also knows how much room the
 * tokens after it need at the least (its reserve): a value is cut so
 * that every later literal still fits, so a long URL can shorten a line
 * but never take its closing quote or its newline away.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "accesslog_fmt.h"

#define LF_WIDTH_MAX	1024		/* largest min or max width */
#define LF_FIXED_MAX	4096		/* room a format needs at the least */
#define LF_ALL		((size_t)-1)	/* header slot: every field */
#define LF_NUM_MIN	26		/* room for any number we write */

enum lf_code {
	LF_LITERAL,
	LF_CLIENT_ADDR, LF_CLIENT_PORT, LF_LOCAL_ADDR, LF_LOCAL_PORT,
	LF_SERVER_ADDR, LF_SERVER_NAME, LF_SERVER_PORT,
	LF_TIME_SEC, LF_TIME_MSEC, LF_TIME_START, LF_TIME_LOCAL, LF_TIME_GMT,
	LF_TIME_RESP,
	LF_USER, LF_USER_EXT,
	LF_METHOD, LF_URL, LF_PATH, LF_VERSION, LF_SCHEME, LF_HOST, LF_PORT,
	LF_REQ_HDR, LF_REP_HDR,
	LF_STATUS, LF_STATUS_IN, LF_TYPE,
	LF_BYTES_ALL, LF_BYTES_IN, LF_BYTES_OUT, LF_HEAD_IN,
	LF_RESULT, LF_HIER, LF_SEQ, LF_ERR, LF_RULE
};

/* What a code's value is, which decides its default encoding. */
enum lf_kind {
	LF_K_NUM,	/* a number */
	LF_K_OWN,	/* text sluice made (addresses, codes, times): no
			   control byte, no blank where one would matter */
	LF_K_NET,	/* text that came from the network */
};

enum lf_enc {
	LF_ENC_DEFAULT,	/* the code's own */
	LF_ENC_NONE,	/* sluice's own text (addresses, codes): copied */
	LF_ENC_PLAIN,	/* ' (and own text): controls as %XX */
	LF_ENC_PURL,	/* pass-through URL encoding */
	LF_ENC_QUOTE,	/* " */
	LF_ENC_MIME,	/* [ */
	LF_ENC_URL,	/* # */
	LF_ENC_SHELL,	/* / */
	LF_ENC_JSON,	/* = (sluice) */
};

struct lf_def {
	const char	*name;
	unsigned char	 code;
	unsigned char	 kind;
	unsigned char	 arg;		/* takes an optional {arg} */
	unsigned char	 http;		/* accepts the http:: prefix */
	unsigned	 need;		/* LOGFMT_NEED_* */
};

static const struct lf_def lf_defs[] = {
	{ ">a", LF_CLIENT_ADDR, LF_K_OWN, 0, 0, 0 },
	{ ">A", LF_CLIENT_ADDR, LF_K_OWN, 0, 0, 0 },
	{ ">p", LF_CLIENT_PORT, LF_K_NUM, 0, 0, 0 },
	{ ">la", LF_LOCAL_ADDR, LF_K_OWN, 0, 0, LOGFMT_NEED_LOCAL },
	{ ">lp", LF_LOCAL_PORT, LF_K_NUM, 0, 0, LOGFMT_NEED_LOCAL },
	{ "la", LF_LOCAL_ADDR, LF_K_OWN, 0, 0, LOGFMT_NEED_LOCAL },
	{ "lp", LF_LOCAL_PORT, LF_K_NUM, 0, 0, LOGFMT_NEED_LOCAL },
	{ "<a", LF_SERVER_ADDR, LF_K_OWN, 0, 0, 0 },
	{ "<A", LF_SERVER_NAME, LF_K_NET, 0, 0, 0 },
	{ "<p", LF_SERVER_PORT, LF_K_NUM, 0, 0, 0 },
	{ "ts", LF_TIME_SEC, LF_K_NUM, 0, 0, 0 },
	{ "tu", LF_TIME_MSEC, LF_K_NUM, 0, 0, 0 },
	{ "tS", LF_TIME_START, LF_K_NUM, 0, 0, 0 },
	{ "tl", LF_TIME_LOCAL, LF_K_OWN, 1, 0, 0 },
	{ "tg", LF_TIME_GMT, LF_K_OWN, 1, 0, 0 },
	{ "tr", LF_TIME_RESP, LF_K_NUM, 0, 0, 0 },
	{ "un", LF_USER, LF_K_NET, 0, 0, 0 },
	{ "ul", LF_USER, LF_K_NET, 0, 0, 0 },
	{ "ue", LF_USER_EXT, LF_K_NET, 0, 0, 0 },
	{ "rm", LF_METHOD, LF_K_NET, 0, 1, 0 },
	{ ">rm", LF_METHOD, LF_K_NET, 0, 1, 0 },
	{ "<rm", LF_METHOD, LF_K_NET, 0, 1, 0 },
	{ "ru", LF_URL, LF_K_NET, 0, 1, 0 },
	{ ">ru", LF_URL, LF_K_NET, 0, 1, 0 },
	{ "<ru", LF_URL, LF_K_NET, 0, 1, 0 },
	{ "rp", LF_PATH, LF_K_NET, 0, 1, 0 },
	{ ">rp", LF_PATH, LF_K_NET, 0, 1, 0 },
	{ "<rp", LF_PATH, LF_K_NET, 0, 1, 0 },
	{ "rv", LF_VERSION, LF_K_OWN, 0, 1, 0 },
	{ ">rv", LF_VERSION, LF_K_OWN, 0, 1, 0 },
	{ ">rs", LF_SCHEME, LF_K_OWN, 0, 1, 0 },
	{ ">rd", LF_HOST, LF_K_NET, 0, 1, 0 },
	{ ">rP", LF_PORT, LF_K_NUM, 0, 1, 0 },
	{ ">h", LF_REQ_HDR, LF_K_NET, 1, 1, LOGFMT_NEED_REQ_HDR },
	{ "<h", LF_REP_HDR, LF_K_NET, 1, 1, LOGFMT_NEED_REP_HDR },
	{ ">Hs", LF_STATUS, LF_K_NUM, 0, 1, 0 },
	{ "Hs", LF_STATUS, LF_K_NUM, 0, 1, 0 },
	{ "<Hs", LF_STATUS_IN, LF_K_NUM, 0, 1, LOGFMT_NEED_STATUS_IN },
	{ "mt", LF_TYPE, LF_K_NET, 0, 1, LOGFMT_NEED_TYPE },
	{ "st", LF_BYTES_ALL, LF_K_NUM, 0, 1, 0 },
	{ ">st", LF_BYTES_IN, LF_K_NUM, 0, 1, 0 },
	{ "<st", LF_BYTES_OUT, LF_K_NUM, 0, 1, 0 },
	{ ">sh", LF_HEAD_IN, LF_K_NUM, 0, 1, 0 },
	{ "Ss", LF_RESULT, LF_K_OWN, 0, 0, 0 },
	{ "Sh", LF_HIER, LF_K_OWN, 0, 0, 0 },
	{ "sn", LF_SEQ, LF_K_NUM, 0, 0, 0 },
	{ "err_code", LF_ERR, LF_K_OWN, 0, 0, 0 },
	/* The config file's path may hold anything: encoded by default. */
	{ "sluice::rule", LF_RULE, LF_K_NET, 0, 0, 0 },
};
#define LF_NDEFS	(sizeof(lf_defs) / sizeof(lf_defs[0]))

/* Squid's codes sluice does not measure: refused by name, not "unknown". */
static const char *const lf_unsupported[] = {
	"dt", "<pt", "<tt", "busy_time", ">eui", ">qos", ">nfmark", "<la",
	"<lp", "<qos", "<nfmark", "et", "ea", "credentials", "note", "<bs",
	"<sH", "<sS", "<sh", "ha", ">ha", "request_attempts", "err_detail",
	"master_xaction", "byte", ">handshake", "<rs", "<rd", "<rP", "<rv",
	"ssl::", "adapt::", "icap::", "proxy_protocol::", "transport::",
};

static const char lf_tl_default[] = "%d/%b/%Y:%H:%M:%S %z";
static const char lf_tg_default[] = "%d/%b/%Y:%H:%M:%S";

struct lf_tok {
	unsigned char	 code;
	unsigned char	 kind;
	unsigned char	 enc;		/* resolved: never LF_ENC_DEFAULT */
	unsigned char	 left;
	unsigned char	 zero;
	int		 wmin;		/* 0: none */
	int		 wmax;		/* -1: none */
	size_t		 slot;		/* header slot, LF_ALL: every field */
	char		*s;		/* literal text, or the strftime arg */
	size_t		 n;
	size_t		 reserve;	/* least room the later tokens need */
};

struct logfmt {
	char		*name;
	struct lf_tok	*tok;
	size_t		 ntok;
	size_t		 fixed;		/* least room of a whole line */
};

/*
 * Byte classes of the %XX encodings: nonzero means "%XX".  Built once
 * (logfmt_compile() runs before any render, in the master before fork).
 */
static unsigned char	lf_esc_plain[256], lf_esc_purl[256], lf_esc_url[256];
static unsigned char	lf_esc_mime[256];
static int		lf_tables_done;

static const char lf_hex_up[] = "0123456789ABCDEF";
static const char lf_hex_lo[] = "0123456789abcdef";

static void
lf_tables_init(void)
{
	const char *p;
	unsigned c;

	if (lf_tables_done)
		return;
	for (c = 0; c < 256; c++) {
		lf_esc_plain[c] = c < 0x20 || c == 0x7f;
		/* RFC 3986 §2: what no URI holds (controls, SP, 8-bit...). */
		lf_esc_purl[c] = c <= 0x20 || c >= 0x7f;
		/*
		 * Squid's mime blob: controls, 8-bit, % [ ]; sluice adds SP
		 * and " so that the value is one token of a blank-separated
		 * line, even for parsers that look for quotes.
		 */
		lf_esc_mime[c] = (c < 0x20 && c != '\r' && c != '\n') ||
		    c >= 0x7f || c == ' ' || c == '"' || c == '%' || c == '[' ||
		    c == ']';
	}
	for (p = "\"<>\\^`{|}"; *p != '\0'; p++)
		lf_esc_purl[(unsigned char)*p] = 1;
	memcpy(lf_esc_url, lf_esc_purl, sizeof(lf_esc_url));
	lf_esc_url['%'] = 1;
	lf_tables_done = 1;
}

/* --------------------------------------------------------- encoding */

/* Bytes of the valid UTF-8 sequence at s (RFC 3629 §4), or 0. */
static size_t
lf_utf8_len(const unsigned char *s, size_t n)
{
	unsigned c = s[0], lo = 0x80, hi = 0xbf;
	size_t len, i;

	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		if (c == 0xe0)
			lo = 0xa0;	/* no overlong forms */
		else if (c == 0xed)
			hi = 0x9f;	/* no surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;	/* nothing above U+10FFFF */
	} else
		return 0;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

/*
 * %XX for the bytes @esc marks.  The hot path of every log line: runs of
 * plain bytes are found first and copied at once.
 */
static size_t
lf_enc_pct(const unsigned char *esc, const unsigned char *s, size_t n,
    char *o, size_t room)
{
	size_t i = 0, j, w = 0, run;
	unsigned c;

	while (i < n) {
		/* Four bytes a step while they are plain, then one by one. */
		for (j = i; j + 4 <= n && !(esc[s[j]] | esc[s[j + 1]] |
		    esc[s[j + 2]] | esc[s[j + 3]]); j += 4)
			continue;
		for (; j < n && !esc[s[j]]; j++)
			continue;
		run = j - i;
		if (run > room - w)
			run = room - w;
		memcpy(o + w, s + i, run);
		w += run;
		i += run;
		if (i < j || i == n)
			break;
		if (w + 3 > room)
			break;
		c = s[i++];
		o[w++] = '%';
		o[w++] = lf_hex_up[c >> 4];
		o[w++] = lf_hex_up[c & 15];
	}
	return w;
}

/*
 * The escape of byte @p c in encoding @p enc into @p e: its length, or 0
 * when @p c goes out as it is.
 *  - MIME (squid's mime blob, [): %XX for lf_esc_mime's bytes, and
 *    \r \n \\ as two bytes;
 *  - QUOTE, SHELL: \" \\ \r \n \t, other controls as \xHH, and for QUOTE
 *    bytes above 0x7e too (Apache's mod_log_config does the same);
 *  - JSON (RFC 8259 §7): \" \\ \n \r \t \b \f, other controls and bytes
 *    above 0x7e as \u00XX (a byte read as Latin-1: valid UTF-8 never
 *    comes here, lf_enc_esc() copies it).
 */
static size_t
lf_esc1(int enc, unsigned c, char e[6])
{
	char b;

	if (enc == LF_ENC_MIME) {
		if (lf_esc_mime[c]) {
			e[0] = '%';
			e[1] = lf_hex_up[c >> 4];
			e[2] = lf_hex_up[c & 15];
			return 3;
		}
		b = c == '\r' ? 'r' : c == '\n' ? 'n' : c == '\\' ? '\\' : 0;
	} else {
		b = c == '"' ? '"' : c == '\\' ? '\\' : c == '\r' ? 'r' :
		    c == '\n' ? 'n' : c == '\t' ? 't' : 0;
		if (b == 0 && enc == LF_ENC_JSON)
			b = c == '\b' ? 'b' : c == '\f' ? 'f' : 0;
	}
	if (b != 0) {
		e[0] = '\\';
		e[1] = b;
		return 2;
	}
	if (enc == LF_ENC_MIME || (c >= 0x20 && c < 0x7f) ||
	    (enc == LF_ENC_SHELL && c > 0x7f))
		return 0;
	if (enc == LF_ENC_JSON) {
		memcpy(e, "\\u00", 4);
		e[4] = lf_hex_lo[c >> 4];
		e[5] = lf_hex_lo[c & 15];
		return 6;
	}
	e[0] = '\\';
	e[1] = 'x';
	e[2] = lf_hex_lo[c >> 4];
	e[3] = lf_hex_lo[c & 15];
	return 4;
}

/*
 * @p s escaped as lf_esc1() says for @p enc, at most @p room bytes (an
 * escape that does not fit whole ends it).  JSON copies valid UTF-8
 * sequences (RFC 3629) as they are, so the line stays valid UTF-8 and
 * valid JSON whatever the client sent.
 */
static size_t
lf_enc_esc(int enc, const unsigned char *s, size_t n, char *o, size_t room)
{
	size_t i, w = 0, len, k;
	char e[6];

	for (i = 0; i < n; i += len) {
		if (enc == LF_ENC_JSON && s[i] >= 0x80 &&
		    (len = lf_utf8_len(s + i, n - i)) > 0) {
			if (w + len > room)
				break;
			memcpy(o + w, s + i, len);
			w += len;
			continue;
		}
		len = 1;
		if ((k = lf_esc1(enc, s[i], e)) == 0) {
			if (w == room)
				break;
			o[w++] = (char)s[i];
		} else {
			if (w + k > room)
				break;
			memcpy(o + w, e, k);
			w += k;
		}
	}
	return w;
}

static size_t
lf_encode(int enc, const char *str, size_t n, char *o, size_t room)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t w;

	switch (enc) {
	case LF_ENC_PURL:
		return lf_enc_pct(lf_esc_purl, s, n, o, room);
	case LF_ENC_URL:
		return lf_enc_pct(lf_esc_url, s, n, o, room);
	case LF_ENC_MIME:
	case LF_ENC_QUOTE:
		return lf_enc_esc(enc, s, n, o, room);
	case LF_ENC_SHELL:
		/* Squid's strwordquote(): a word with a blank is quoted. */
		if (memchr(s, ' ', n) == NULL)
			return lf_enc_esc(enc, s, n, o, room);
		/* FALLTHROUGH */
	case LF_ENC_JSON:
		/* A JSON string has its quotes. */
		if (room < 2)
			return 0;
		w = lf_enc_esc(enc, s, n, o + 1, room - 2);
		o[0] = '"';
		o[w + 1] = '"';
		return w + 2;
	case LF_ENC_NONE:
		w = n < room ? n : room;
		memcpy(o, s, w);
		return w;
	case LF_ENC_PLAIN:
	default:
		return lf_enc_pct(lf_esc_plain, s, n, o, room);
	}
}

/* ---------------------------------------------------------- numbers */

/* Decimal digits of @v into @o (room for 20), no terminator. */
static size_t
lf_u64(char *o, uint64_t v)
{
	char tmp[20];
	size_t n = 0, i;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	for (i = 0; i < n; i++)
		o[i] = tmp[n - 1 - i];
	return n;
}

/* Pad @len bytes at @o to @t's min width (room was reserved). */
static size_t
lf_pad_slow(const struct lf_tok *t, char *o, size_t len, char fill)
{
	size_t pad;

	pad = (size_t)t->wmin - len;
	if (t->left) {
		memset(o + len, ' ', pad);
	} else {
		memmove(o + pad, o, len);
		memset(o, fill, pad);
	}
	return len + pad;
}

static inline size_t
lf_pad(const struct lf_tok *t, char *o, size_t len, char fill)
{
	if (t->wmin <= 0 || (size_t)t->wmin <= len)
		return len;
	return lf_pad_slow(t, o, len, fill);
}

static size_t
lf_num_out(const struct lf_tok *t, int have, int64_t v, char *o)
{
	uint64_t u;
	size_t n = 0;
	int neg = v < 0;

	if (!have) {
		if (t->enc == LF_ENC_JSON) {
			memcpy(o, "null", 4);
			return 4;
		}
		o[0] = '-';
		return lf_pad(t, o, 1, ' ');
	}
	u = neg ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	if (neg)
		o[n++] = '-';
	n += lf_u64(o + n, u);
	if (t->enc == LF_ENC_JSON)
		return n;
	/* Squid's %03tu: zero padding (not for a negative number). */
	return lf_pad(t, o, n, t->zero && !t->left && !neg ? '0' : ' ');
}

/* ------------------------------------------------------------ times */

/*
 * strftime() once per second per format: the result is kept in a few
 * slots keyed by the spec (a pointer into the compiled format) and the
 * second.  Worker-local: each process has its own copy after fork.
 */
#define LF_TCACHE	4

static struct {
	const char	*spec;
	int		 gmt;
	int64_t		 sec;
	size_t		 n;
	char		 out[128];
} lf_tcache[LF_TCACHE];
static unsigned		lf_tcache_next;

static struct logfmt_str
lf_time_text(const char *spec, int gmt, int64_t sec)
{
	struct logfmt_str v = { NULL, 0 };
	struct tm tm;
	time_t t = (time_t)sec;
	unsigned i;

	for (i = 0; i < LF_TCACHE; i++)
		if (lf_tcache[i].spec == spec && lf_tcache[i].gmt == gmt &&
		    lf_tcache[i].sec == sec)
			goto found;
	i = lf_tcache_next++ % LF_TCACHE;
	lf_tcache[i].spec = spec;
	lf_tcache[i].gmt = gmt;
	lf_tcache[i].sec = sec;
	lf_tcache[i].n = 0;
	if ((gmt ? gmtime_r(&t, &tm) : localtime_r(&t, &tm)) != NULL)
		lf_tcache[i].n = strftime(lf_tcache[i].out,
		    sizeof(lf_tcache[i].out), spec, &tm);
found:
	if (lf_tcache[i].n > 0) {
		v.p = lf_tcache[i].out;
		v.n = lf_tcache[i].n;
	}
	return v;
}

/* ----------------------------------------------------------- render */

static void
lf_cstr(struct logfmt_str *v, const char *s)
{
	if (s != NULL && *s != '\0') {
		v->p = s;
		v->n = strlen(s);
	}
}

static size_t
lf_str_out(const struct lf_tok *t, struct logfmt_str v, char *o, size_t room)
{
	size_t cap = room, w;

	if (cap > LOGFMT_VALUE_MAX)
		cap = LOGFMT_VALUE_MAX;
	if (t->wmax >= 0 && cap > (size_t)t->wmax && t->enc != LF_ENC_JSON)
		cap = (size_t)t->wmax;
	if (v.p == NULL || v.n == 0) {
		if (t->enc == LF_ENC_JSON) {
			memcpy(o, "null", 4);
			return 4;
		}
		if (cap == 0)
			return lf_pad(t, o, 0, ' ');
		o[0] = '-';
		return lf_pad(t, o, 1, ' ');
	}
	w = lf_encode(t->enc, v.p, v.n, o, cap);
	if (t->enc == LF_ENC_JSON)
		return w;
	return lf_pad(t, o, w, ' ');
}

/* A header value, or absent without a capture. */
static struct logfmt_str
lf_hdr(const struct lf_tok *t, const struct logfmt_capture *cap, int req)
{
	struct logfmt_str none = { NULL, 0 };

	if (cap == NULL)
		return none;
	if (t->slot == LF_ALL)
		return req ? cap->req_all : cap->rep_all;
	if ((req ? cap->req : cap->rep) == NULL)
		return none;
	return req ? cap->req[t->slot] : cap->rep[t->slot];
}

/* One code token into @o, at most @room bytes (at least its minimum). */
static size_t
lf_tok_render(const struct lf_tok *t, const struct logfmt_entry *e, char *o,
    size_t room)
{
	struct logfmt_str v = { NULL, 0 };
	char tmp[128];
	int64_t num = 0;
	int isnum = 1, have = 1;
	size_t n;

	switch (t->code) {
	case LF_CLIENT_PORT:
		num = e->client_port;
		break;
	case LF_LOCAL_PORT:
		num = e->local_port;
		have = e->local_port != 0;
		break;
	case LF_SERVER_PORT:
		num = e->server_port;
		have = e->server_port != 0 && e->peer != NULL;
		break;
	case LF_TIME_SEC:
		num = e->now_sec;
		break;
	case LF_TIME_MSEC:
		num = e->now_usec / 1000;
		break;
	case LF_TIME_RESP:
		num = e->elapsed_ms;
		break;
	case LF_STATUS:
		num = e->status;
		break;
	case LF_STATUS_IN:
		have = e->cap != NULL && e->cap->status_in >= 0;
		num = have ? e->cap->status_in : 0;
		break;
	case LF_BYTES_ALL:
		num = (int64_t)(e->bytes_in + e->bytes_out);
		break;
	case LF_BYTES_IN:
		num = (int64_t)e->bytes_in;
		break;
	case LF_BYTES_OUT:
		num = (int64_t)e->bytes_out;
		break;
	case LF_HEAD_IN:
		num = (int64_t)e->head_in;
		break;
	case LF_PORT:
		num = e->port;
		have = e->port != 0;
		break;
	case LF_SEQ:
		num = (int64_t)e->seq;
		break;
	case LF_TIME_START:
		/* seconds.milliseconds, a number (JSON too). */
		n = lf_u64(tmp, e->start_sec < 0 ? 0 : (uint64_t)e->start_sec);
		tmp[n++] = '.';
		tmp[n++] = (char)('0' + e->start_usec / 100000 % 10);
		tmp[n++] = (char)('0' + e->start_usec / 10000 % 10);
		tmp[n++] = (char)('0' + e->start_usec / 1000 % 10);
		memcpy(o, tmp, n);
		return t->enc == LF_ENC_JSON ? n : lf_pad(t, o, n, ' ');
	default:
		isnum = 0;
		break;
	}
	if (isnum)
		return lf_num_out(t, have, num, o);

	switch (t->code) {
	case LF_CLIENT_ADDR:
		lf_cstr(&v, e->client);
		break;
	case LF_LOCAL_ADDR:
		lf_cstr(&v, e->local);
		break;
	case LF_SERVER_ADDR:
		lf_cstr(&v, e->peer);
		break;
	case LF_SERVER_NAME:
		if (e->peer != NULL)
			lf_cstr(&v, e->server);
		break;
	case LF_TIME_LOCAL:
	case LF_TIME_GMT:
		v = lf_time_text(t->s, t->code == LF_TIME_GMT, e->now_sec);
		break;
	case LF_USER:
		lf_cstr(&v, e->user);
		break;
	case LF_USER_EXT:
		break;		/* no external acl helpers */
	case LF_METHOD:
		lf_cstr(&v, e->method);
		break;
	case LF_URL:
		lf_cstr(&v, e->url);
		break;
	case LF_PATH:
		lf_cstr(&v, e->path);
		break;
	case LF_VERSION:
		if (e->version > 0) {
			tmp[0] = (char)('0' + e->version / 10 % 10);
			tmp[1] = '.';
			tmp[2] = (char)('0' + e->version % 10);
			v.p = tmp;
			v.n = 3;
		}
		break;
	case LF_SCHEME:
		lf_cstr(&v, e->scheme);
		break;
	case LF_HOST:
		lf_cstr(&v, e->host);
		break;
	case LF_REQ_HDR:
		v = lf_hdr(t, e->cap, 1);
		break;
	case LF_REP_HDR:
		v = lf_hdr(t, e->cap, 0);
		break;
	case LF_TYPE:
		lf_cstr(&v, e->type);
		break;
	case LF_RESULT:
		/* TCP_MISS + _ABORTED: joined without a copy when possible. */
		lf_cstr(&v, e->code);
		if (v.p != NULL && e->code_sfx != NULL) {
			n = strlen(e->code_sfx);
			if (v.n + n <= sizeof(tmp)) {
				memcpy(tmp, v.p, v.n);
				memcpy(tmp + v.n, e->code_sfx, n);
				v.p = tmp;
				v.n += n;
			}
		}
		break;
	case LF_HIER:
		lf_cstr(&v, e->hier);
		break;
	case LF_ERR:
		lf_cstr(&v, e->err);
		break;
	case LF_RULE:
		lf_cstr(&v, e->rule);
		break;
	default:
		break;
	}
	return lf_str_out(t, v, o, room);
}

size_t
logfmt_render(const struct logfmt *f, const struct logfmt_entry *e,
    char *out, size_t size)
{
	const struct lf_tok *t;
	size_t pos = 0, i;

	if (size > LOGFMT_LINE_MAX)
		size = LOGFMT_LINE_MAX;
	if (size < f->fixed)
		return 0;
	for (i = 0; i < f->ntok; i++) {
		t = &f->tok[i];
		if (t->code == LF_LITERAL) {
			/* Mostly one blank or one '/': no call for those. */
			if (t->n == 1)
				out[pos] = t->s[0];
			else
				memcpy(out + pos, t->s, t->n);
			pos += t->n;
			continue;
		}
		/* Invariant: size - pos >= this token's minimum + reserve. */
		pos += lf_tok_render(t, e, out + pos, size - pos - t->reserve);
	}
	out[pos++] = '\n';
	return pos;
}

/* ---------------------------------------------------------- compile */

static int
lf_err(char *err, size_t errlen, const char *what, const char *at)
{
	size_t n = 0, k;

	/* No printf here either: "what" then, when given, "'at...'". */
	k = strlen(what);
	if (k >= errlen)
		k = errlen - 1;
	memcpy(err, what, k);
	n = k;
	if (at != NULL && n + 4 < errlen) {
		err[n++] = ' ';
		err[n++] = '\'';
		for (k = 0; at[k] != '\0' && k < 24 && n + 2 < errlen; k++)
			err[n++] = at[k];
		err[n++] = '\'';
	}
	err[n] = '\0';
	return -1;
}

/* In the compiler, where err and errlen are in scope. */
#define LF_ERR(what, at)	lf_err(err, errlen, (what), (at))

static int
lf_tok_add(struct logfmt *f, const struct lf_tok *t)
{
	struct lf_tok *nt;

	if ((nt = realloc(f->tok, (f->ntok + 1) * sizeof(*nt))) == NULL)
		return -1;
	f->tok = nt;
	f->tok[f->ntok++] = *t;
	return 0;
}

/* Literal text, merged with a literal just before it. */
static int
lf_literal_add(struct logfmt *f, const char *s, size_t n)
{
	struct lf_tok t, *last;
	char *ns;

	if (f->ntok > 0 && (last = &f->tok[f->ntok - 1])->code == LF_LITERAL) {
		if ((ns = realloc(last->s, last->n + n + 1)) == NULL)
			return -1;
		memcpy(ns + last->n, s, n);
		last->s = ns;
		last->n += n;
		ns[last->n] = '\0';
		return 0;
	}
	memset(&t, 0, sizeof(t));
	t.code = LF_LITERAL;
	if ((t.s = malloc(n + 1)) == NULL)
		return -1;
	memcpy(t.s, s, n);
	t.s[n] = '\0';
	t.n = n;
	if (lf_tok_add(f, &t) == -1) {
		free(t.s);
		return -1;
	}
	return 0;
}

/* The slot of header @name in @names, added when new; -1 out of memory. */
static long
lf_caps_slot(char ***names, size_t *n, const char *name, size_t len)
{
	char **nn, *s;
	size_t i;

	for (i = 0; i < *n; i++)
		if (strlen((*names)[i]) == len &&
		    strncasecmp((*names)[i], name, len) == 0)
			return (long)i;
	if ((s = malloc(len + 1)) == NULL)
		return -1;
	memcpy(s, name, len);
	s[len] = '\0';
	if ((nn = realloc(*names, (*n + 1) * sizeof(*nn))) == NULL) {
		free(s);
		return -1;
	}
	*names = nn;
	nn[*n] = s;
	return (long)(*n)++;
}

/* RFC 9110 §5.6.2 tchar. */
static int
lf_tchar(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || (c != '\0' && strchr("!#$%&'*+-.^_`|~",
	    c) != NULL);
}

/* The longest code at @p (after any http:: prefix). */
static const struct lf_def *
lf_lookup(const char *p, size_t *len)
{
	const struct lf_def *best = NULL;
	size_t i, n, bn = 0;

	for (i = 0; i < LF_NDEFS; i++) {
		n = strlen(lf_defs[i].name);
		if (n > bn && strncmp(p, lf_defs[i].name, n) == 0) {
			best = &lf_defs[i];
			bn = n;
		}
	}
	*len = bn;
	return best;
}

static int
lf_unsupported_code(const char *p)
{
	size_t i;

	for (i = 0; i < sizeof(lf_unsupported) / sizeof(lf_unsupported[0]);
	    i++)
		if (strncmp(p, lf_unsupported[i], strlen(lf_unsupported[i])) ==
		    0)
			return 1;
	return 0;
}

/* The least room token @t takes. */
static size_t
lf_tok_min(const struct lf_tok *t)
{
	size_t m;

	if (t->code == LF_LITERAL)
		return t->n;
	m = t->kind == LF_K_NUM || t->code == LF_TIME_START ? LF_NUM_MIN :
	    t->enc == LF_ENC_JSON ? 4 : 1;
	if (t->wmin > 0 && (size_t)t->wmin > m)
		m = (size_t)t->wmin;
	return m;
}

/* An optional {arg} at *pp: sets *arg / *argn, moves *pp past it. */
static int
lf_arg(const char **pp, const char **arg, size_t *argn)
{
	const char *p = *pp, *close;

	if (*p != '{')
		return 0;
	if ((close = strchr(p + 1, '}')) == NULL)
		return -1;
	*arg = p + 1;
	*argn = (size_t)(close - p - 1);
	*pp = close + 1;
	return 1;
}

/* One % code at @p (just after the '%'); returns the bytes taken or -1. */
static long
lf_code_parse(struct logfmt *f, const char *p0, struct logfmt_caps *caps,
    char *err, size_t errlen)
{
	const char *p = p0, *arg = NULL;
	const struct lf_def *d;
	struct lf_tok t;
	size_t len, argn = 0, i;
	long slot;
	int http = 0, enc = LF_ENC_DEFAULT, rc;

	memset(&t, 0, sizeof(t));
	t.wmax = -1;
	switch (*p) {
	case '"': enc = LF_ENC_QUOTE; p++; break;
	case '[': enc = LF_ENC_MIME; p++; break;
	case '#': enc = LF_ENC_URL; p++; break;
	case '/': enc = LF_ENC_SHELL; p++; break;
	case '\'': enc = LF_ENC_PLAIN; p++; break;
	case '=': enc = LF_ENC_JSON; p++; break;
	default: break;
	}
	if (*p == '-') {
		t.left = 1;
		p++;
	}
	if (*p == '0') {
		t.zero = 1;
		p++;
	}
	for (; *p >= '0' && *p <= '9'; p++) {
		t.wmin = t.wmin * 10 + (*p - '0');
		if (t.wmin > LF_WIDTH_MAX)
			return LF_ERR("width above 1024 at", p0 - 1);
	}
	if (*p == '.') {
		if (*++p < '0' || *p > '9')
			return LF_ERR("digits expected after '.' in",
			    p0 - 1);
		for (t.wmax = 0; *p >= '0' && *p <= '9'; p++) {
			t.wmax = t.wmax * 10 + (*p - '0');
			if (t.wmax > LF_WIDTH_MAX)
				return LF_ERR("width above 1024 at",
				    p0 - 1);
		}
	}
	if ((rc = lf_arg(&p, &arg, &argn)) == -1)
		return LF_ERR("'{' without '}' in", p0 - 1);
	if (strncmp(p, "http::", 6) == 0) {
		http = 1;
		p += 6;
	}
	d = lf_lookup(p, &len);
	if (d == NULL || (http && !d->http)) {
		if (lf_unsupported_code(p))
			return LF_ERR("code not supported by sluice:",
			    p0 - 1);
		return LF_ERR("unknown code at", p0 - 1);
	}
	p += len;
	/* The argument may follow the code instead (Squid: not both). */
	if (d->arg && arg == NULL &&
	    (rc = lf_arg(&p, &arg, &argn)) == -1)
		return LF_ERR("'{' without '}' in", p0 - 1);
	if (arg != NULL && !d->arg)
		return LF_ERR("this code takes no {argument}:",
		    p0 - 1);
	t.code = d->code;
	t.kind = d->kind;
	t.enc = (unsigned char)(enc != LF_ENC_DEFAULT ? enc :
	    d->kind == LF_K_NET ? LF_ENC_PURL : LF_ENC_NONE);
	t.slot = LF_ALL;
	caps->need |= d->need;
	if (d->code == LF_REQ_HDR || d->code == LF_REP_HDR) {
		if (arg == NULL) {
			if (d->code == LF_REQ_HDR)
				caps->req_all = 1;
			else
				caps->rep_all = 1;
		} else {
			if (argn == 0)
				return LF_ERR("empty header name in",
				    p0 - 1);
			for (i = 0; i < argn; i++) {
				if (arg[i] == ':')
					return LF_ERR("header "
					    "element selection (Name:element) "
					    "is not supported:", p0 - 1);
				if (!lf_tchar((unsigned char)arg[i]))
					return LF_ERR("bad header "
					    "name in", p0 - 1);
			}
			slot = d->code == LF_REQ_HDR ?
			    lf_caps_slot(&caps->req, &caps->nreq, arg, argn) :
			    lf_caps_slot(&caps->rep, &caps->nrep, arg, argn);
			if (slot < 0)
				return LF_ERR("out of memory", NULL);
			t.slot = (size_t)slot;
		}
	}
	if (d->code == LF_TIME_LOCAL || d->code == LF_TIME_GMT) {
		if (arg != NULL) {
			if (argn == 0 || argn > 100)
				return LF_ERR("time format must be "
				    "1..100 bytes:", p0 - 1);
			if ((t.s = malloc(argn + 1)) == NULL)
				return LF_ERR("out of memory", NULL);
			memcpy(t.s, arg, argn);
			t.s[argn] = '\0';
			t.n = argn;
		}
	}
	if (lf_tok_add(f, &t) == -1) {
		free(t.s);
		return LF_ERR("out of memory", NULL);
	}
	return p - p0;
}

int
logfmt_compile(const char *name, const char *spec, struct logfmt_caps *caps,
    struct logfmt **out, char *err, size_t errlen)
{
	struct logfmt *f;
	const char *p, *q;
	size_t i, r;
	long n;

	lf_tables_init();
	if ((f = calloc(1, sizeof(*f))) == NULL ||
	    (f->name = strdup(name)) == NULL) {
		free(f);
		return LF_ERR("out of memory", NULL);
	}
	for (p = spec; *p != '\0'; ) {
		if (*p != '%') {
			if ((q = strchr(p, '%')) == NULL)
				q = p + strlen(p);
			if (lf_literal_add(f, p, (size_t)(q - p)) == -1)
				goto oom;
			p = q;
			continue;
		}
		if (p[1] == '%') {
			if (lf_literal_add(f, "%", 1) == -1)
				goto oom;
			p += 2;
			continue;
		}
		if (p[1] == '\0') {
			LF_ERR("a format cannot end with '%'", NULL);
			goto fail;
		}
		if ((n = lf_code_parse(f, p + 1, caps, err, errlen)) < 0)
			goto fail;
		p += 1 + n;
	}
	if (f->ntok == 0) {
		LF_ERR("empty format", NULL);
		goto fail;
	}
	/* Times: the default spec's pointer is the cache key. */
	for (i = 0; i < f->ntok; i++)
		if ((f->tok[i].code == LF_TIME_LOCAL ||
		    f->tok[i].code == LF_TIME_GMT) && f->tok[i].s == NULL)
			f->tok[i].s = (char *)(f->tok[i].code == LF_TIME_LOCAL ?
			    lf_tl_default : lf_tg_default);
	/* Reserves, from the end: the newline, then each token's least. */
	for (r = 1, i = f->ntok; i-- > 0; ) {
		f->tok[i].reserve = r;
		r += lf_tok_min(&f->tok[i]);
	}
	f->fixed = r;
	if (f->fixed > LF_FIXED_MAX) {
		LF_ERR("format too long (its fixed part is over "
		    "4096 bytes)", NULL);
		goto fail;
	}
	*out = f;
	return 0;
oom:
	LF_ERR("out of memory", NULL);
fail:
	logfmt_free(f);
	return -1;
}

void
logfmt_free(struct logfmt *f)
{
	size_t i;

	if (f == NULL)
		return;
	for (i = 0; i < f->ntok; i++)
		if (f->tok[i].s != lf_tl_default &&
		    f->tok[i].s != lf_tg_default)
			free(f->tok[i].s);
	free(f->tok);
	free(f->name);
	free(f);
}

void
logfmt_caps_free(struct logfmt_caps *caps)
{
	size_t i;

	for (i = 0; i < caps->nreq; i++)
		free(caps->req[i]);
	for (i = 0; i < caps->nrep; i++)
		free(caps->rep[i]);
	free(caps->req);
	free(caps->rep);
	memset(caps, 0, sizeof(*caps));
}

const char *
logfmt_name(const struct logfmt *f)
{
	return f->name;
}

/*
 * The built-in formats.  squid, common, referrer and useragent are
 * Squid's definitions (cf.data.pre); combined quotes the two header
 * fields as Apache does (Squid's own combined writes them raw); json is
 * sluice's.
 */
static const struct {
	const char	*name;
	const char	*spec;
} lf_builtins[] = {
	{ "squid", "%ts.%03tu %6tr %>a %Ss/%03>Hs %<st %rm %ru %[un "
	    "%Sh/%<a %mt" },
	{ "common", "%>a - %[un [%tl] \"%rm %ru HTTP/%rv\" %>Hs %<st "
	    "%Ss:%Sh" },
	{ "combined", "%>a - %[un [%tl] \"%rm %ru HTTP/%rv\" %>Hs %<st "
	    "\"%\"{Referer}>h\" \"%\"{User-Agent}>h\" %Ss:%Sh" },
	{ "referrer", "%ts.%03tu %>a %{Referer}>h %ru" },
	{ "useragent", "%>a [%tl] \"%{User-Agent}>h\"" },
	{ "json", "{\"time\":%ts.%03tu,\"elapsed_ms\":%tr,"
	    "\"client\":%=>a,\"client_port\":%=>p,\"result\":%=Ss,"
	    "\"status\":%=>Hs,\"bytes\":%=<st,\"bytes_in\":%=>st,"
	    "\"method\":%=rm,\"url\":%=ru,\"version\":%=rv,\"user\":%=un,"
	    "\"hierarchy\":%=Sh,\"server\":%=<a,\"type\":%=mt,"
	    "\"referer\":%={Referer}>h,\"user_agent\":%={User-Agent}>h,"
	    "\"error\":%=err_code,\"denied_by\":%=sluice::rule}" },
};

const char *
logfmt_builtin(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(lf_builtins) / sizeof(lf_builtins[0]); i++)
		if (strcmp(lf_builtins[i].name, name) == 0)
			return lf_builtins[i].spec;
	return NULL;
}
