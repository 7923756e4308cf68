/*
 * accesslog.c -- Squid-native access log lines (see accesslog.h).
 * Runs in the workers.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "accesslog.h"
#include "log.h"

static int	 accesslog_fd = -1;
static char	*accesslog_path;

int
accesslog_open(const char *path)
{
	int fd;

	if (path == NULL)
		return 0;
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (fd == -1)
		return -1;
	if (accesslog_fd != -1)
		close(accesslog_fd);
	accesslog_fd = fd;
	if (accesslog_path != path) {
		free(accesslog_path);
		accesslog_path = strdup(path);
	}
	return 0;
}

int
accesslog_reopen(void)
{
	if (accesslog_path == NULL)
		return 0;
	return accesslog_open(accesslog_path);
}

/* URLs and methods come from the client: no blanks or controls in a field. */
static void
accesslog_field(char *out, size_t outlen, const char *s)
{
	size_t i, o = 0;

	if (s == NULL || *s == '\0')
		s = "-";
	for (i = 0; s[i] != '\0' && o + 4 < outlen; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch <= 0x20 || ch == 0x7f) {
			snprintf(out + o, outlen - o, "%%%02X", ch);
			o += 3;
		} else
			out[o++] = (char)ch;
	}
	out[o] = '\0';
}

void
accesslog_write(const struct accesslog_entry *e)
{
	char line[4096], url[2048], method[64], type[128], user[256];
	char rule[600];
	int n;

	if (accesslog_fd == -1)
		return;
	accesslog_field(url, sizeof(url), e->url);
	accesslog_field(method, sizeof(method), e->method);
	accesslog_field(type, sizeof(type), e->type);
	/* The user name comes from the client: escaped like the URL. */
	accesslog_field(user, sizeof(user), e->user);
	rule[0] = '\0';
	if (e->rule != NULL) {
		memcpy(rule, " rule=", 6);
		accesslog_field(rule + 6, sizeof(rule) - 6, e->rule);
	}
	n = snprintf(line, sizeof(line),
	    "%" PRId64 ".%03d %6" PRId64 " %s %s/%03d %" PRIu64 " %s %s %s %s/%s %s%s\n",
	    e->start_sec, e->start_msec, e->elapsed_ms, e->client, e->code,
	    e->status, e->bytes, method, url, user,
	    e->hier, e->peer ? e->peer : "-", type, rule);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line)) {
		n = sizeof(line) - 1;
		line[n - 1] = '\n';
	}
	if (write(accesslog_fd, line, (size_t)n) != n)
		log_warn("access log write failed");
}
