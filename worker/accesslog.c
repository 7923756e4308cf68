/*
 * accesslog.c -- access_log and logformat (see accesslog.h): the lines
 * are compiled in the master; the logs are opened, filled and flushed in
 * each worker.
 *
 * A worker keeps one struct al_out per access_log line, in file order:
 *	file	an O_APPEND descriptor and a buffer of whole lines
 *		[0, len) written at the end of the loop turn;
 *	syslog	a connected non-blocking AF_UNIX datagram socket, one
 *		datagram per line, never batched (a datagram is a message);
 *	none	nothing: a stop mark for the lines its acls match.
 * Rendering goes straight into the buffer (accesslog_fmt.h); a line is
 * never split between two writes.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "accesslog.h"
#include "accesslog_fmt.h"
#include "acl.h"
#include "conf.h"
#include "conn.h"
#include "errpage.h"
#include "ev.h"
#include "http_parse.h"
#include "log.h"
#include "sockaddr.h"

#define AL_SYSLOG_PATH		"/dev/log"
#define AL_SYSLOG_DEFAULT	(LOG_LOCAL4 | LOG_INFO)	/* Squid's */
#define AL_SYSLOG_HEAD		64	/* "<PRI>Mmm dd hh:mm:ss sluice[P]: " */
#define AL_RETRY_MS		1000	/* syslog reconnect, full pipe retry */

enum al_kind { AL_FILE, AL_SYSLOG, AL_NONE };

/* One access_log line, compiled (read-only in the workers). */
struct al_log {
	enum al_kind		 kind;
	char			*path;		/* file, or syslog socket */
	int			 pri;		/* syslog facility | priority */
	const struct logfmt	*fmt;
	struct acl_set		*acl;		/* NULL: every request */
	const char		*file;		/* where it was written */
	int			 line;
};

struct accesslog_conf {
	struct logfmt		**fmt;		/* formats the logs use */
	size_t			  nfmt;
	struct al_log		 *log;
	size_t			  nlog;
	struct logfmt_caps	  caps;		/* what those formats capture */
};

/* A log in this worker. */
struct al_out {
	const struct al_log	*log;
	int			 fd;
	int			 regular;	/* a regular file */
	char			*buf;		/* file: whole lines [0, len) */
	size_t			 len;
	uint64_t		 lines;		/* offered, dropped ones too */
	uint64_t		 writes;	/* writes, sends that worked */
	uint64_t		 dropped;	/* lines lost since it failed */
	uint64_t		 dropped_all;
	int			 failing;	/* a failure was logged */
	int64_t			 retry_at;	/* syslog: next connect */
};

static const struct accesslog_conf	*al_conf;
static struct ev_timer			 al_retry;	/* a pipe was full */
static struct al_out			*al_out;
static size_t				 al_nout;
static uint64_t				 al_seq;
static char		al_dgram[AL_SYSLOG_HEAD + LOGFMT_LINE_MAX];

/* ------------------------------------------------------------ compile */

static const struct {
	const char	*name;
	int		 value;
} al_facilities[] = {
	{ "auth", LOG_AUTH }, { "authpriv", LOG_AUTHPRIV },
	{ "cron", LOG_CRON }, { "daemon", LOG_DAEMON }, { "ftp", LOG_FTP },
	{ "kern", LOG_KERN }, { "lpr", LOG_LPR }, { "mail", LOG_MAIL },
	{ "news", LOG_NEWS }, { "syslog", LOG_SYSLOG }, { "user", LOG_USER },
	{ "uucp", LOG_UUCP }, { "local0", LOG_LOCAL0 },
	{ "local1", LOG_LOCAL1 }, { "local2", LOG_LOCAL2 },
	{ "local3", LOG_LOCAL3 }, { "local4", LOG_LOCAL4 },
	{ "local5", LOG_LOCAL5 }, { "local6", LOG_LOCAL6 },
	{ "local7", LOG_LOCAL7 },
}, al_priorities[] = {
	{ "emerg", LOG_EMERG }, { "alert", LOG_ALERT }, { "crit", LOG_CRIT },
	{ "err", LOG_ERR }, { "warning", LOG_WARNING },
	{ "notice", LOG_NOTICE }, { "info", LOG_INFO },
	{ "debug", LOG_DEBUG },
};

static int
al_syslog_word(const char *s, size_t n, int facility, int *out)
{
	size_t i, max;

	max = facility ? sizeof(al_facilities) / sizeof(al_facilities[0]) :
	    sizeof(al_priorities) / sizeof(al_priorities[0]);
	for (i = 0; i < max; i++) {
		const char *name = facility ? al_facilities[i].name :
		    al_priorities[i].name;

		if (strlen(name) == n && strncasecmp(name, s, n) == 0) {
			*out = facility ? al_facilities[i].value :
			    al_priorities[i].value;
			return 0;
		}
	}
	return -1;
}

/* "syslog", "syslog:FACILITY", "syslog:FACILITY.PRIORITY". */
static int
al_syslog_parse(const struct conf_line *l, const char *place, int *pri)
{
	const char *f, *dot;
	int fac = LOG_LOCAL4, prio = LOG_INFO;

	if (place[6] == '\0') {
		*pri = AL_SYSLOG_DEFAULT;
		return 0;
	}
	f = place + 7;
	dot = strchr(f, '.');
	if (al_syslog_word(f, dot ? (size_t)(dot - f) : strlen(f), 1,
	    &fac) == -1) {
		log_warnx("%s:%d: access_log: unknown syslog facility in "
		    "'%s' (auth authpriv cron daemon ftp kern lpr mail news "
		    "syslog user uucp local0..local7)", l->file, l->line,
		    place);
		return -1;
	}
	if (dot != NULL && al_syslog_word(dot + 1, strlen(dot + 1), 0,
	    &prio) == -1) {
		log_warnx("%s:%d: access_log: unknown syslog priority in "
		    "'%s' (emerg alert crit err warning notice info debug)",
		    l->file, l->line, place);
		return -1;
	}
	*pri = fac | prio;
	return 0;
}

/* The logformat line named @name, or NULL. */
static const struct conf_line *
al_format_line(const struct conf *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->nlogformat_lines; i++)
		if (strcmp(c->logformat_lines[i].argv[1], name) == 0)
			return &c->logformat_lines[i];
	return NULL;
}

static int
al_format_known(const struct conf *c, const char *name)
{
	return logfmt_builtin(name) != NULL || al_format_line(c, name) != NULL;
}

/*
 * The compiled format @name for a log, compiled into @ac (and its caps)
 * the first time a log uses it.
 */
static const struct logfmt *
al_format_get(const struct conf *c, struct accesslog_conf *ac,
    const struct conf_line *l, const char *name)
{
	const struct conf_line *fl;
	struct logfmt **nf, *f;
	const char *spec;
	char err[256];
	size_t i;

	for (i = 0; i < ac->nfmt; i++)
		if (strcmp(logfmt_name(ac->fmt[i]), name) == 0)
			return ac->fmt[i];
	if ((fl = al_format_line(c, name)) != NULL)
		spec = fl->argv[2];
	else if ((spec = logfmt_builtin(name)) == NULL) {
		log_warnx("%s:%d: access_log: unknown logformat '%s'", l->file,
		    l->line, name);
		return NULL;
	}
	if (logfmt_compile(name, spec, &ac->caps, &f, err, sizeof(err)) ==
	    -1) {
		/* A bad logformat line was reported on its own line. */
		if (fl == NULL)
			log_crit("built-in logformat %s: %s", name, err);
		return NULL;
	}
	if ((nf = realloc(ac->fmt, (ac->nfmt + 1) * sizeof(*nf))) == NULL) {
		logfmt_free(f);
		log_warnx("%s:%d: out of memory", l->file, l->line);
		return NULL;
	}
	ac->fmt = nf;
	ac->fmt[ac->nfmt++] = f;
	return f;
}

/* Check every logformat line, used or not (sluice -t shows them all). */
static int
al_formats_check(const struct conf *c)
{
	struct logfmt_caps scratch;
	const struct conf_line *l;
	struct logfmt *f;
	char err[256];
	const char *p;
	size_t i, j;
	int bad = 0;

	memset(&scratch, 0, sizeof(scratch));
	for (i = 0; i < c->nlogformat_lines; i++) {
		l = &c->logformat_lines[i];
		for (p = l->argv[1]; *p != '\0'; p++)
			if (!((*p >= 'a' && *p <= 'z') ||
			    (*p >= 'A' && *p <= 'Z') ||
			    (*p >= '0' && *p <= '9') || *p == '_' ||
			    *p == '-' || *p == '.'))
				break;
		if (*p != '\0') {
			log_warnx("%s:%d: logformat: bad name '%s' (letters, "
			    "digits, _ - .)", l->file, l->line, l->argv[1]);
			bad = 1;
			continue;
		}
		if (logfmt_builtin(l->argv[1]) != NULL) {
			log_warnx("%s:%d: logformat: '%s' is built in and "
			    "cannot be redefined", l->file, l->line,
			    l->argv[1]);
			bad = 1;
			continue;
		}
		for (j = 0; j < i; j++)
			if (strcmp(c->logformat_lines[j].argv[1],
			    l->argv[1]) == 0)
				break;
		if (j < i) {
			log_warnx("%s:%d: logformat: '%s' is already defined "
			    "at %s:%d", l->file, l->line, l->argv[1],
			    c->logformat_lines[j].file,
			    c->logformat_lines[j].line);
			bad = 1;
			continue;
		}
		if (logfmt_compile(l->argv[1], l->argv[2], &scratch, &f, err,
		    sizeof(err)) == -1) {
			log_warnx("%s:%d: logformat %s: %s", l->file, l->line,
			    l->argv[1], err);
			bad = 1;
			continue;
		}
		logfmt_free(f);
	}
	logfmt_caps_free(&scratch);
	return bad ? -1 : 0;
}

/* The acls of a log (@argv[0..n)) as one http_access-like rule. */
static int
al_acl_compile(const struct conf *c, const struct conf_line *l,
    char **argv, int n, struct acl_set **out)
{
	struct conf_line rule;
	unsigned char *quoted;
	char **av;
	int i, rc;

	*out = NULL;
	if (n == 0)
		return 0;
	av = calloc((size_t)n + 3, sizeof(*av));
	quoted = calloc((size_t)n + 2, 1);
	if (av == NULL || quoted == NULL) {
		free(av);
		free(quoted);
		log_warnx("%s:%d: out of memory", l->file, l->line);
		return -1;
	}
	av[0] = (char *)"access_log";
	av[1] = (char *)"allow";
	for (i = 0; i < n; i++)
		av[i + 2] = argv[i];
	rule = *l;
	rule.argc = n + 2;
	rule.argv = av;
	rule.quoted = quoted;
	rc = acl_set_compile_rules(c, &rule, 1, out);
	free(av);
	free(quoted);
	if (rc == -1)
		*out = NULL;
	return rc;
}

/* One access_log line into @lg. */
static int
al_log_compile(const struct conf *c, struct accesslog_conf *ac,
    const struct conf_line *l, struct al_log *lg)
{
	const char *place = l->argv[1], *fmtname = "squid", *q;
	const char *sock = NULL;
	int i = 2;

	lg->file = l->file;
	lg->line = l->line;
	if (strcmp(place, "none") == 0) {
		lg->kind = AL_NONE;
		return al_acl_compile(c, l, l->argv + 2, l->argc - 2, &lg->acl);
	}
	if (strcmp(place, "syslog") == 0 || strncmp(place, "syslog:", 7) == 0) {
		lg->kind = AL_SYSLOG;
		if (al_syslog_parse(l, place, &lg->pri) == -1)
			return -1;
	} else {
		lg->kind = AL_FILE;
		if (strncmp(place, "stdio:", 6) == 0)
			place += 6;
		else if (place[0] != '/') {
			/* "module:place" with a module name made of letters. */
			for (q = place; *q >= 'a' && *q <= 'z'; q++)
				continue;
			if (q != place && *q == ':') {
				log_warnx("%s:%d: access_log: module '%.*s' is "
				    "not supported (stdio, syslog)", l->file,
				    l->line, (int)(q - place), place);
				return -1;
			}
		}
		if (*place == '\0') {
			log_warnx("%s:%d: access_log needs a path", l->file,
			    l->line);
			return -1;
		}
	}
	/* Squid's old form: a format name right after the place. */
	if (i < l->argc && strchr(l->argv[i], '=') == NULL &&
	    al_format_known(c, l->argv[i]))
		fmtname = l->argv[i++];
	for (; i < l->argc && strchr(l->argv[i], '=') != NULL; i++) {
		if (strncmp(l->argv[i], "logformat=", 10) == 0)
			fmtname = l->argv[i] + 10;
		else if (strncmp(l->argv[i], "socket=", 7) == 0 &&
		    lg->kind == AL_SYSLOG && l->argv[i][7] == '/')
			sock = l->argv[i] + 7;
		else {
			log_warnx("%s:%d: access_log: option '%s' is not "
			    "supported (logformat=NAME; syslog: "
			    "socket=/PATH)", l->file, l->line, l->argv[i]);
			return -1;
		}
	}
	if (sock != NULL && strlen(sock) >= sizeof(((struct sockaddr_un *)
	    NULL)->sun_path)) {
		log_warnx("%s:%d: access_log: socket path too long", l->file,
		    l->line);
		return -1;
	}
	if ((lg->fmt = al_format_get(c, ac, l, fmtname)) == NULL)
		return -1;
	if ((lg->path = strdup(lg->kind == AL_FILE ? place :
	    sock != NULL ? sock : AL_SYSLOG_PATH)) == NULL) {
		log_warnx("%s:%d: out of memory", l->file, l->line);
		return -1;
	}
	return al_acl_compile(c, l, l->argv + i, l->argc - i, &lg->acl);
}

static void
al_conf_free(struct accesslog_conf *ac)
{
	size_t i;

	if (ac == NULL)
		return;
	for (i = 0; i < ac->nlog; i++) {
		free(ac->log[i].path);
		acl_set_free(ac->log[i].acl);
	}
	for (i = 0; i < ac->nfmt; i++)
		logfmt_free(ac->fmt[i]);
	free(ac->log);
	free(ac->fmt);
	logfmt_caps_free(&ac->caps);
	free(ac);
}

int
accesslog_compile(struct conf *c)
{
	struct accesslog_conf *ac;
	size_t i;
	int bad = 0;

	c->accesslog = NULL;
	if (al_formats_check(c) == -1)
		bad = 1;
	if (c->naccess_log_lines == 0)
		return bad ? -1 : 0;
	if ((ac = calloc(1, sizeof(*ac))) == NULL ||
	    (ac->log = calloc(c->naccess_log_lines, sizeof(*ac->log))) ==
	    NULL) {
		free(ac);
		log_warnx("%s: out of memory", c->path);
		return -1;
	}
	for (i = 0; i < c->naccess_log_lines; i++) {
		if (al_log_compile(c, ac, &c->access_log_lines[i],
		    &ac->log[i]) == -1)
			bad = 1;
		ac->nlog++;
	}
	if (bad) {
		al_conf_free(ac);
		return -1;
	}
	c->accesslog = ac;
	return 0;
}

void
accesslog_free(struct conf *c)
{
	al_conf_free(c->accesslog);
	c->accesslog = NULL;
}

const char *
accesslog_file(const struct conf *c, size_t i)
{
	const struct accesslog_conf *ac = c->accesslog;
	struct stat st;
	size_t k, n = 0;

	for (k = 0; ac != NULL && k < ac->nlog; k++) {
		if (ac->log[k].kind != AL_FILE)
			continue;
		/* A pipe or a terminal (/dev/stdout) is not ours to chown. */
		if (stat(ac->log[k].path, &st) == 0 && !S_ISREG(st.st_mode))
			continue;
		if (n++ == i)
			return ac->log[k].path;
	}
	return NULL;
}

/* ------------------------------------------------------------ outputs */

static int
al_file_open(struct al_out *o)
{
	struct stat st;
	int fd, fl;

	fd = open(o->log->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
	    0640);
	if (fd == -1)
		return -1;
	o->regular = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
	/* A pipe or a terminal must never stop the loop. */
	if (!o->regular && (fl = fcntl(fd, F_GETFL)) != -1)
		(void)fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	if (o->fd != -1)
		close(o->fd);
	o->fd = fd;
	return 0;
}

static void
al_syslog_connect(struct al_out *o)
{
	struct sockaddr_un sun;
	int fd;

	if (o->fd != -1) {
		close(o->fd);
		o->fd = -1;
	}
	o->retry_at = ev_now() + AL_RETRY_MS;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, o->log->path, strlen(o->log->path));
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		if (!o->failing)
			log_warn("access_log syslog %s: cannot connect; lines "
			    "are dropped until it works", o->log->path);
		o->failing = 1;
		close(fd);
		return;
	}
	o->fd = fd;
}

/* A line (or a batch) could not be written: say so once, count it. */
static void
al_lost(struct al_out *o, uint64_t lines, int err)
{
	if (!o->failing) {
		errno = err;
		log_warn("access_log %s: lines are being dropped",
		    o->log->path);
	}
	o->failing = 1;
	o->dropped += lines;
	o->dropped_all += lines;
}

/* It works again: report how much was lost. */
static void
al_recovered(struct al_out *o)
{
	if (!o->failing)
		return;
	log_notice("access_log %s: writing again, %llu lines were lost",
	    o->log->path, (unsigned long long)o->dropped);
	o->failing = 0;
	o->dropped = 0;
}

static uint64_t
al_count_lines(const char *p, size_t n)
{
	uint64_t k = 0;
	const char *e = p + n;

	while (p < e && (p = memchr(p, '\n', (size_t)(e - p))) != NULL) {
		k++;
		p++;
	}
	return k;
}

/*
 * Write the buffer of a file log.  A regular file takes it in one write
 * (O_APPEND keeps it whole against other workers); anything else takes
 * chunks of at most PIPE_BUF bytes ending at a newline, and what does not
 * go now waits for the next turn.
 */
static void
al_file_write(struct al_out *o)
{
	size_t off = 0, n;
	ssize_t w;
	const char *nl;

	while (off < o->len && o->fd != -1) {
		n = o->len - off;
		if (!o->regular && n > PIPE_BUF) {
			nl = memrchr(o->buf + off, '\n', PIPE_BUF);
			if (nl == NULL)	/* one line above PIPE_BUF: alone */
				nl = memchr(o->buf + off, '\n', n);
			n = (size_t)(nl - (o->buf + off)) + 1;
		}
		w = write(o->fd, o->buf + off, n);
		if (w > 0) {
			o->writes++;
			off += (size_t)w;
			al_recovered(o);
			continue;
		}
		if (w == -1 && errno == EINTR)
			continue;
		if (w == -1 && errno == EAGAIN && !o->regular)
			break;		/* the reader is slow: next turn */
		al_lost(o, al_count_lines(o->buf + off, o->len - off),
		    w == -1 ? errno : ENOSPC);
		off = o->len;
	}
	if (off < o->len)
		memmove(o->buf, o->buf + off, o->len - off);
	o->len -= off;
}

static void
al_file_line(struct al_out *o, const struct logfmt *f,
    const struct logfmt_entry *e)
{
	if (o->fd == -1)
		return;
	o->lines++;
	if (ACCESSLOG_BUF - o->len < LOGFMT_LINE_MAX) {
		al_file_write(o);
		if (ACCESSLOG_BUF - o->len < LOGFMT_LINE_MAX) {
			al_lost(o, 1, EAGAIN);	/* a pipe nobody drains */
			return;
		}
	}
	o->len += logfmt_render(f, e, o->buf + o->len, LOGFMT_LINE_MAX);
}

/* ------------------------------------------------------------- syslog */

/* "<PRI>Mmm dd hh:mm:ss sluice[PID]: ", made once per second. */
static size_t
al_syslog_head(char *o, int pri, int64_t sec)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	static int64_t cached_sec = -1;
	static int cached_pri = -1;
	static char cached[AL_SYSLOG_HEAD];
	static size_t cached_n;
	char num[24];
	struct tm tm;
	time_t t = (time_t)sec;
	size_t n = 0, k, i;
	long v;

	if (sec == cached_sec && pri == cached_pri)
		goto done;
	if (localtime_r(&t, &tm) == NULL)
		memset(&tm, 0, sizeof(tm));
	cached[n++] = '<';
	for (v = pri, k = 0; k == 0 || v > 0; v /= 10)
		num[k++] = (char)('0' + v % 10);
	while (k > 0)
		cached[n++] = num[--k];
	cached[n++] = '>';
	memcpy(cached + n, months + 3 * (tm.tm_mon % 12), 3);
	n += 3;
	cached[n++] = ' ';
	cached[n++] = tm.tm_mday >= 10 ? (char)('0' + tm.tm_mday / 10) : ' ';
	cached[n++] = (char)('0' + tm.tm_mday % 10);
	cached[n++] = ' ';
	for (i = 0; i < 3; i++) {
		v = i == 0 ? tm.tm_hour : i == 1 ? tm.tm_min : tm.tm_sec;
		cached[n++] = (char)('0' + v / 10);
		cached[n++] = (char)('0' + v % 10);
		cached[n++] = i < 2 ? ':' : ' ';
	}
	memcpy(cached + n, "sluice[", 7);
	n += 7;
	for (v = (long)getpid(), k = 0; k == 0 || v > 0; v /= 10)
		num[k++] = (char)('0' + v % 10);
	while (k > 0)
		cached[n++] = num[--k];
	memcpy(cached + n, "]: ", 3);
	n += 3;
	cached_n = n;
	cached_sec = sec;
	cached_pri = pri;
done:
	memcpy(o, cached, cached_n);
	return cached_n;
}

static void
al_syslog_line(struct al_out *o, const struct logfmt *f,
    const struct logfmt_entry *e)
{
	size_t h, n;
	int err;

	o->lines++;
	if (o->fd == -1) {
		if (ev_now() < o->retry_at) {
			al_lost(o, 1, ENOTCONN);
			return;
		}
		al_syslog_connect(o);
		if (o->fd == -1) {
			al_lost(o, 1, ENOTCONN);
			return;
		}
	}
	h = al_syslog_head(al_dgram, o->log->pri, e->now_sec);
	n = logfmt_render(f, e, al_dgram + h, LOGFMT_LINE_MAX);
	if (n > 0)
		n--;		/* a datagram is the line: no newline */
	if (send(o->fd, al_dgram, h + n, MSG_DONTWAIT | MSG_NOSIGNAL) != -1) {
		o->writes++;
		al_recovered(o);
		return;
	}
	err = errno;
	if (err != EAGAIN && err != ENOBUFS && err != EINTR) {
		/* The daemon went away (ECONNREFUSED): connect again later. */
		close(o->fd);
		o->fd = -1;
		o->retry_at = ev_now() + AL_RETRY_MS;
	}
	al_lost(o, 1, err);
}

/* ------------------------------------------------------------ runtime */

int
accesslog_open(const struct conf *c)
{
	struct al_out *o;
	size_t i;
	int rc = 0;

	al_conf = c->accesslog;
	if (al_conf == NULL || al_conf->nlog == 0)
		return 0;
	if ((al_out = calloc(al_conf->nlog, sizeof(*al_out))) == NULL) {
		log_warn("access_log");
		return -1;
	}
	al_nout = al_conf->nlog;
	for (i = 0; i < al_nout; i++) {
		o = &al_out[i];
		o->log = &al_conf->log[i];
		o->fd = -1;
		switch (o->log->kind) {
		case AL_FILE:
			if ((o->buf = malloc(ACCESSLOG_BUF)) == NULL ||
			    al_file_open(o) == -1) {
				log_warn("access_log %s", o->log->path);
				rc = -1;
			}
			break;
		case AL_SYSLOG:
			al_syslog_connect(o);
			break;
		case AL_NONE:
			break;
		}
	}
	ev_before_wait(accesslog_flush);
	return rc;
}

/* Nothing to do: the loop turn it causes runs accesslog_flush(). */
static void
al_retry_cb(struct ev_timer *t)
{
}

void
accesslog_flush(void)
{
	size_t i;
	int pending = 0;

	for (i = 0; i < al_nout; i++) {
		if (al_out[i].len > 0)
			al_file_write(&al_out[i]);
		pending |= al_out[i].len > 0;
	}
	/* A full pipe keeps lines back: try again within a second. */
	if (pending && al_retry.idx == 0)
		ev_timer_arm(&al_retry, AL_RETRY_MS, al_retry_cb, NULL);
}

int
accesslog_reopen(void)
{
	struct al_out *o;
	size_t i;
	int rc = 0;

	for (i = 0; i < al_nout; i++) {
		o = &al_out[i];
		if (o->log->kind == AL_FILE) {
			/* The old file gets what came before the signal. */
			al_file_write(o);
			if (!o->regular)
				continue;	/* a pipe is not rotated */
			if (al_file_open(o) == -1) {
				log_warn("access_log %s: reopen", o->log->path);
				rc = -1;
			}
		} else if (o->log->kind == AL_SYSLOG)
			al_syslog_connect(o);
	}
	return rc;
}

void
accesslog_close(void)
{
	struct al_out *o;
	size_t i;

	for (i = 0; i < al_nout; i++) {
		o = &al_out[i];
		if (o->log->kind == AL_NONE)
			continue;
		if (o->len > 0)
			al_file_write(o);
		if (o->len > 0)		/* a pipe still full: cannot wait */
			al_lost(o, al_count_lines(o->buf, o->len), EAGAIN);
		if (o->lines > 0)
			log_info("access_log %s: %llu lines in %llu writes, "
			    "%llu dropped", o->log->path,
			    (unsigned long long)o->lines,
			    (unsigned long long)o->writes,
			    (unsigned long long)o->dropped_all);
		if (o->fd != -1)
			close(o->fd);
		free(o->buf);
	}
	free(al_out);
	ev_timer_stop(&al_retry);
	al_out = NULL;
	al_nout = 0;
	al_conf = NULL;
}

/* ------------------------------------------------------------ entries */

/* Does the request of @c match @set (acls that cannot be decided: no)? */
static int
al_acl_match(struct conn *c, const struct acl_set *set)
{
	struct req *r = &c->r;
	struct acl_req ar;

	req_acl_fill(c, &ar, r->r_naddrs > 0 ?
	    (const struct sockaddr *)&r->r_addrs[0] :
	    (const struct sockaddr *)r->r_dst);
	/* A request refused before it was parsed has no method or host. */
	if (ar.method == NULL)
		ar.method = "NONE";
	if (ar.host == NULL)
		ar.host = "";
	if (ar.url == NULL)
		ar.url = "error:invalid-request";
	return acl_check(set, &ar, NULL) == ACL_ALLOW;
}

void
accesslog_log(struct conn *c)
{
	const struct al_log *lg;
	struct req *r = &c->r;
	struct logfmt_entry e;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char local[SOCKADDR_STRLEN];
	size_t i;

	if (al_nout == 0)
		return;
	memset(&e, 0, sizeof(e));
	e.start_sec = r->r_start_sec;
	e.start_usec = r->r_start_usec;
	if (r->r_start_ms != 0) {
		/* The end on the wall clock without a second clock read. */
		int64_t us;

		e.elapsed_ms = ev_now() - r->r_start_ms;
		us = r->r_start_usec + e.elapsed_ms * 1000;
		e.now_sec = r->r_start_sec + us / 1000000;
		e.now_usec = (int)(us % 1000000);
	} else
		ev_wallclock(&e.now_sec, &e.now_usec);
	e.client = c->c_peer_text;
	e.client_port = c->c_peer_port;
	if ((al_conf->caps.need & LOGFMT_NEED_LOCAL) &&
	    getsockname(c->c_io.fd, (struct sockaddr *)&ss, &sl) == 0) {
		e.local = sockaddr_ntop((struct sockaddr *)&ss, local,
		    sizeof(local));
		e.local_port = sockaddr_port((struct sockaddr *)&ss);
	}
	e.code = r->r_code;
	e.code_sfx = r->r_code_sfx;
	e.hier = r->r_hier;
	e.peer = r->r_peer[0] != '\0' ? r->r_peer : NULL;
	e.server = r->r_host;
	e.server_port = r->r_port;
	e.status = r->r_status;
	e.bytes_out = r->r_bytes_out;
	e.head_in = r->r_head_len;
	e.bytes_in = r->r_head_len + r->r_bytes_up;
	e.method = r->r_method != NULL ? r->r_method : "NONE";
	e.url = r->r_url != NULL ? r->r_url : "error:invalid-request";
	e.path = r->r_connect ? NULL : r->r_path;
	e.scheme = r->r_host == NULL || r->r_connect ? NULL : "http";
	e.host = r->r_host;
	e.port = r->r_host != NULL ? r->r_port : 0;
	e.version = r->r_version;
	e.user = r->r_user;
	e.type = r->r_ctype;
	e.rule = r->r_rule;
	e.err = r->r_err != ERRPAGE_COUNT ? errpage_name(r->r_err) : NULL;
	e.seq = ++al_seq;
	e.cap = r->r_logcap;
	for (i = 0; i < al_nout; i++) {
		lg = al_out[i].log;
		if (lg->acl != NULL && !al_acl_match(c, lg->acl))
			continue;
		if (lg->kind == AL_NONE)
			break;		/* Squid: no later log takes it */
		if (lg->kind == AL_FILE)
			al_file_line(&al_out[i], lg->fmt, &e);
		else
			al_syslog_line(&al_out[i], lg->fmt, &e);
	}
}

/* ------------------------------------------------------------ capture */

/* The request's capture record, made on first use (NULL: no room). */
static struct logfmt_capture *
al_cap(struct conn *c)
{
	const struct logfmt_caps *caps = &al_conf->caps;
	struct logfmt_capture *cap;

	if (c->r.r_logcap != NULL)
		return c->r.r_logcap;
	cap = req_alloc(c, sizeof(*cap) +
	    (caps->nreq + caps->nrep) * sizeof(struct logfmt_str));
	if (cap == NULL)
		return NULL;
	memset(cap, 0, sizeof(*cap) +
	    (caps->nreq + caps->nrep) * sizeof(struct logfmt_str));
	cap->req = (struct logfmt_str *)(void *)(cap + 1);
	cap->rep = cap->req + caps->nreq;
	cap->status_in = -1;
	c->r.r_logcap = cap;
	return cap;
}

static int
al_name_is(const struct http_field *f, const char *name)
{
	return f->name_len == strlen(name) &&
	    strncasecmp(f->name, name, f->name_len) == 0;
}

/*
 * The value of every field named @name in @h, joined by ", " (RFC 9110
 * §5.3), at most LOGFMT_VALUE_MAX bytes, copied into the arena.
 */
static struct logfmt_str
al_field_copy(struct conn *c, const struct http_head *h, const char *name)
{
	struct logfmt_str v = { NULL, 0 };
	size_t i, n = 0, k;
	char *p;

	for (i = 0; i < h->nfields; i++)
		if (al_name_is(&h->fields[i], name))
			n += (n > 0 ? 2 : 0) + h->fields[i].value_len;
	if (n == 0)
		return v;
	if (n > LOGFMT_VALUE_MAX)
		n = LOGFMT_VALUE_MAX;
	if ((p = req_alloc(c, n)) == NULL)
		return v;
	for (i = 0, k = 0; i < h->nfields && k < n; i++) {
		const struct http_field *f = &h->fields[i];
		size_t m;

		if (!al_name_is(f, name))
			continue;
		if (k > 0) {
			m = n - k < 2 ? n - k : 2;
			memcpy(p + k, ", ", m);
			k += m;
		}
		m = n - k < f->value_len ? n - k : f->value_len;
		memcpy(p + k, f->value, m);
		k += m;
	}
	v.p = p;
	v.n = k;
	return v;
}

/* Every field as "Name: value\r\n" lines, at most LOGFMT_VALUE_MAX bytes. */
static struct logfmt_str
al_fields_copy(struct conn *c, const struct http_head *h)
{
	struct logfmt_str v = { NULL, 0 };
	size_t i, n = 0, k = 0, m;
	char *p;

	for (i = 0; i < h->nfields; i++)
		n += h->fields[i].name_len + h->fields[i].value_len + 4;
	if (n == 0)
		return v;
	if (n > LOGFMT_VALUE_MAX)
		n = LOGFMT_VALUE_MAX;
	if ((p = req_alloc(c, n)) == NULL)
		return v;
	for (i = 0; i < h->nfields && k < n; i++) {
		const struct http_field *f = &h->fields[i];
		const struct logfmt_str part[4] = {
			{ f->name, f->name_len }, { ": ", 2 },
			{ f->value, f->value_len }, { "\r\n", 2 },
		};
		size_t j;

		for (j = 0; j < 4 && k < n; j++) {
			m = n - k < part[j].n ? n - k : part[j].n;
			memcpy(p + k, part[j].p, m);
			k += m;
		}
	}
	v.p = p;
	v.n = k;
	return v;
}

void
accesslog_capture_request(struct conn *c, const struct http_head *h)
{
	const struct logfmt_caps *caps;
	struct logfmt_capture *cap;
	size_t i;

	if (al_nout == 0 || !(al_conf->caps.need & LOGFMT_NEED_REQ_HDR))
		return;
	caps = &al_conf->caps;
	if ((cap = al_cap(c)) == NULL)
		return;
	for (i = 0; i < caps->nreq; i++)
		cap->req[i] = al_field_copy(c, h, caps->req[i]);
	if (caps->req_all)
		cap->req_all = al_fields_copy(c, h);
}

void
accesslog_capture_reply(struct conn *c, const struct http_head *h,
    int from_origin)
{
	const struct logfmt_caps *caps;
	struct logfmt_capture *cap;
	size_t i;

	if (al_nout == 0)
		return;
	caps = &al_conf->caps;
	/* %mt: the served head's Content-Type when nothing set one. */
	if ((caps->need & LOGFMT_NEED_TYPE) && c->r.r_ctype == NULL)
		for (i = 0; i < h->nfields; i++)
			if (al_name_is(&h->fields[i], "Content-Type")) {
				c->r.r_ctype = req_strdup(c, h->fields[i].value,
				    h->fields[i].value_len);
				break;
			}
	if (!(caps->need & (LOGFMT_NEED_REP_HDR | LOGFMT_NEED_STATUS_IN)) ||
	    (cap = al_cap(c)) == NULL)
		return;
	if (from_origin)
		cap->status_in = h->status;
	if (!(caps->need & LOGFMT_NEED_REP_HDR))
		return;
	for (i = 0; i < caps->nrep; i++)
		cap->rep[i] = al_field_copy(c, h, caps->rep[i]);
	if (caps->rep_all)
		cap->rep_all = al_fields_copy(c, h);
}
