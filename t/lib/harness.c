/*
 * harness.c -- start, watch and stop a real sluice for a test (see
 * harness.h).  Runs in the test process, main thread.
 *
 * Readiness is read from the kernel rather than probed: the port is ready
 * when /proc/net/tcp{,6} shows it in LISTEN state (the master binds before
 * it forks) and the master has its workers.  Probing with connect() would
 * hand each worker an empty connection and could put a line in the access
 * log that the test did not ask for.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* nftw, dprintf, O_CLOEXEC */
#endif
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "tap.h"

#define HARNESS_START_TRIES	400	/* x 25 ms */
#define HARNESS_STOP_MS		15000
#define HARNESS_GONE_MS		5000
#define HARNESS_EXEC_MS		10000
#define HARNESS_MAX_ACTIVE	8
#define HARNESS_MAX_NEEDLES	8

/* Lines that fail a test unless it declares them (STYLE 5: [alert]+). */
static const char *const harness_bad_severity[] = {
	"[emerg]", "[alert]", "[crit]", NULL
};
/* Lines that always fail a test. */
static const char *const harness_bad_always[] = {
	"AddressSanitizer", "LeakSanitizer", "UndefinedBehaviorSanitizer",
	"runtime error:", NULL
};

/* The base configuration; a directive the snippet sets is left out. */
static const char *const harness_base[] = {
	"http_port 127.0.0.1:%PORT%",
	"pid_filename %DIR%/sluice.pid",
	"access_log %DIR%/access.log",
	"cache_log %DIR%/cache.log",
	"visible_hostname sluice-test",
	"workers 1",
	"connect_timeout 5 seconds",
	"read_timeout 10 seconds",
	"request_timeout 10 seconds",
	"client_idle_pconn_timeout 10 seconds",
	"shutdown_lifetime 5 seconds",
	"dns_timeout 5 seconds",
	NULL
};

static struct harness	*harness_active[HARNESS_MAX_ACTIVE];
static int		 harness_atexit_set;

void
harness_msleep(int ms)
{
	struct timespec ts;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (long)(ms % 1000) * 1000000;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static int64_t
harness_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* splitmix64: one 64-bit word of the pattern per 8 bytes of offset. */
static uint64_t
harness_mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

void
harness_pattern(void *p, uint64_t off, size_t n)
{
	unsigned char *q = p;
	uint64_t w = 0, wi = UINT64_MAX;
	size_t i;

	for (i = 0; i < n; i++, off++) {
		if ((off >> 3) != wi) {
			wi = off >> 3;
			w = harness_mix(wi);
		}
		q[i] = (unsigned char)(w >> ((off & 7) * 8));
	}
}

uint64_t
harness_hash(uint64_t h, const void *p, size_t n)
{
	const unsigned char *q = p;
	size_t i;

	if (h == 0)
		h = 0xcbf29ce484222325ULL;
	for (i = 0; i < n; i++) {
		h ^= q[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

uint64_t
harness_pattern_hash(size_t n)
{
	unsigned char buf[65536];
	uint64_t h = 0, off = 0;
	size_t k;

	while (n > 0) {
		k = n < sizeof(buf) ? n : sizeof(buf);
		harness_pattern(buf, off, k);
		h = harness_hash(h, buf, k);
		off += k;
		n -= k;
	}
	return h;
}

static void
harness_seen_add(struct harness *h, pid_t pid)
{
	int i;

	for (i = 0; i < h->nseen; i++)
		if (h->seen[i] == pid)
			return;
	if (h->nseen < HARNESS_MAX_PIDS)
		h->seen[h->nseen++] = pid;
}

static int
harness_rm_one(const char *path, const struct stat *st, int flag,
    struct FTW *ftw)
{
	(void)remove(path);
	return 0;
}

static void
harness_rmdir(const char *dir)
{
	if (dir[0] != '\0')
		(void)nftw(dir, harness_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Kill whatever is left of @p h, by PID, and reap what is ours. */
static void
harness_kill_all(struct harness *h)
{
	int i;

	if (h->pid > 0 && !h->exited) {
		(void)kill(h->pid, SIGKILL);
		(void)waitpid(h->pid, &h->status, 0);
		h->exited = 1;
	}
	for (i = 0; i < h->nseen; i++) {
		if (h->seen[i] == h->pid)
			continue;
		if (kill(h->seen[i], SIGKILL) == 0)
			(void)waitpid(h->seen[i], NULL, WNOHANG);
	}
}

static void
harness_atexit(void)
{
	int i;

	for (i = 0; i < HARNESS_MAX_ACTIVE; i++) {
		if (harness_active[i] == NULL)
			continue;
		harness_kill_all(harness_active[i]);
		if (!harness_active[i]->leave)
			harness_rmdir(harness_active[i]->dir);
		harness_active[i] = NULL;
	}
}

int
harness_free_port(void)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int fd, port;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd == -1)
		return -1;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) == -1) {
		close(fd);
		return -1;
	}
	port = ntohs(sin.sin_port);
	close(fd);
	return port;
}

void
harness_init(struct harness *h, int nports)
{
	struct sockaddr_in sin;
	socklen_t len;
	const char *tmp, *e;
	int fds[HARNESS_MAX_PORTS];
	int i;

	memset(h, 0, sizeof(*h));
	h->binary = getenv("SLUICE_BINARY");
	if (h->binary == NULL || h->binary[0] == '\0')
		h->binary = "./sluice";
	e = getenv("SLUICE_TEST_VERBOSE");
	h->verbose = e != NULL && e[0] != '\0' && strcmp(e, "0") != 0;
	e = getenv("SLUICE_TEST_LEAVE");
	h->leave = e != NULL && e[0] != '\0' && strcmp(e, "0") != 0;
	h->workers = 1;

	/* Workers orphaned by a dead master come to us, not to init. */
	(void)prctl(PR_SET_CHILD_SUBREAPER, 1);
	(void)signal(SIGPIPE, SIG_IGN);

	tmp = getenv("TMPDIR");
	if (tmp == NULL || tmp[0] == '\0')
		tmp = "/tmp";
	snprintf(h->dir, sizeof(h->dir), "%s/sluice-test.XXXXXX", tmp);
	if (mkdtemp(h->dir) == NULL)
		bail_out("mkdtemp %s: %s", h->dir, strerror(errno));
	/* Workers run as "nobody" under root: they must reach the dir. */
	if (chmod(h->dir, 0755) == -1)
		bail_out("chmod %s: %s", h->dir, strerror(errno));
	snprintf(h->conf, sizeof(h->conf), "%s/sluice.conf", h->dir);
	snprintf(h->access_log, sizeof(h->access_log), "%s/access.log",
	    h->dir);
	snprintf(h->cache_log, sizeof(h->cache_log), "%s/cache.log", h->dir);
	snprintf(h->stderr_log, sizeof(h->stderr_log), "%s/stderr.log",
	    h->dir);

	if (nports < 1 || nports > HARNESS_MAX_PORTS)
		bail_out("harness_init: %d ports", nports);
	/* Hold every socket open until all are bound: distinct ports. */
	for (i = 0; i < nports; i++) {
		fds[i] = socket(AF_INET, SOCK_STREAM, 0);
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		len = sizeof(sin);
		if (fds[i] == -1 ||
		    bind(fds[i], (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
		    getsockname(fds[i], (struct sockaddr *)&sin, &len) == -1)
			bail_out("reserving a loopback port: %s",
			    strerror(errno));
		h->port[i] = ntohs(sin.sin_port);
	}
	for (i = 0; i < nports; i++)
		close(fds[i]);
	h->nports = nports;

	for (i = 0; i < HARNESS_MAX_ACTIVE; i++)
		if (harness_active[i] == NULL) {
			harness_active[i] = h;
			break;
		}
	if (!harness_atexit_set) {
		atexit(harness_atexit);
		harness_atexit_set = 1;
	}
}

void
harness_set(struct harness *h, const char *name, const char *fmt, ...)
{
	struct harness_var *v = NULL;
	va_list ap;
	int i;

	for (i = 0; i < h->nvar; i++)
		if (strcmp(h->var[i].name, name) == 0)
			v = &h->var[i];
	if (v == NULL) {
		if (h->nvar == HARNESS_MAX_VARS)
			bail_out("harness_set: too many variables");
		v = &h->var[h->nvar++];
		snprintf(v->name, sizeof(v->name), "%s", name);
	}
	va_start(ap, fmt);
	vsnprintf(v->value, sizeof(v->value), fmt, ap);
	va_end(ap);
}

/* The value of placeholder @p name (len bytes), or NULL. */
static const char *
harness_lookup(struct harness *h, const char *name, size_t len, char *tmp,
    size_t tmpsz)
{
	int i;

	if (len == 4 && memcmp(name, "PORT", 4) == 0) {
		snprintf(tmp, tmpsz, "%d", h->port[0]);
		return tmp;
	}
	if (len == 5 && memcmp(name, "PORT", 4) == 0 && name[4] >= '0' &&
	    name[4] - '0' < h->nports) {
		snprintf(tmp, tmpsz, "%d", h->port[name[4] - '0']);
		return tmp;
	}
	if (len == 3 && memcmp(name, "DIR", 3) == 0)
		return h->dir;
	for (i = 0; i < h->nvar; i++)
		if (strlen(h->var[i].name) == len &&
		    memcmp(h->var[i].name, name, len) == 0)
			return h->var[i].value;
	return NULL;
}

/* @p in with placeholders replaced, malloc'd. */
static char *
harness_subst(struct harness *h, const char *in)
{
	char tmp[32], *out;
	const char *p, *q, *v;
	size_t cap, len = 0, n;

	cap = strlen(in) + 1;
	for (p = in; *p != '\0'; p++)
		if (*p == '%')
			cap += 256 + 8;
	out = malloc(cap);
	if (out == NULL)
		bail_out("out of memory");
	for (p = in; *p != '\0'; ) {
		if (*p == '%') {
			for (q = p + 1; isalnum((unsigned char)*q) ||
			    *q == '_'; q++)
				;
			if (*q == '%' && q > p + 1 &&
			    (v = harness_lookup(h, p + 1, (size_t)(q - p - 1),
			    tmp, sizeof(tmp))) != NULL) {
				n = strlen(v);
				memcpy(out + len, v, n);
				len += n;
				p = q + 1;
				continue;
			}
		}
		out[len++] = *p++;
	}
	out[len] = '\0';
	return out;
}

/* Does @p text have a line whose first word is @p word (len bytes)? */
static const char *
harness_find_directive(const char *text, const char *word, size_t len)
{
	const char *p = text;

	while (*p != '\0') {
		while (*p == ' ' || *p == '\t')
			p++;
		if (strncmp(p, word, len) == 0 &&
		    (p[len] == ' ' || p[len] == '\t'))
			return p + len;
		p = strchr(p, '\n');
		if (p == NULL)
			break;
		p++;
	}
	return NULL;
}

static int
harness_write_file(const char *path, const char *text)
{
	FILE *fp;
	int rc;

	fp = fopen(path, "w");
	if (fp == NULL) {
		diag("cannot write %s: %s", path, strerror(errno));
		return -1;
	}
	rc = fputs(text, fp) == EOF ? -1 : 0;
	if (fclose(fp) == EOF)
		rc = -1;
	if (rc == -1)
		diag("cannot write %s: %s", path, strerror(errno));
	return rc;
}

int
harness_write(struct harness *h, const char *name, const char *text,
    char *path)
{
	char full[300], *s;
	int rc;

	snprintf(full, sizeof(full), "%s/%s", h->dir, name);
	s = harness_subst(h, text);
	rc = harness_write_file(full, s);
	free(s);
	if (path != NULL)
		memcpy(path, full, sizeof(full));
	return rc;
}

int
harness_copy_program(struct harness *h, const char *src, char *path)
{
	char full[300], buf[65536];
	const char *base;
	ssize_t n;
	int in, out, rc = 0;

	base = strrchr(src, '/') != NULL ? strrchr(src, '/') + 1 : src;
	snprintf(full, sizeof(full), "%s/%s", h->dir, base);
	if ((in = open(src, O_RDONLY | O_CLOEXEC)) == -1) {
		diag("cannot read %s: %s", src, strerror(errno));
		return -1;
	}
	out = open(full, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	if (out == -1) {
		diag("cannot write %s: %s", full, strerror(errno));
		close(in);
		return -1;
	}
	while ((n = read(in, buf, sizeof(buf))) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 || write(out, buf, (size_t)n) != n) {
			diag("copying %s to %s: %s", src, full,
			    strerror(errno));
			rc = -1;
			break;
		}
	}
	close(in);
	/* The umask may have narrowed the mode: the workers' user runs it. */
	if (fchmod(out, 0755) == -1 || close(out) == -1) {
		diag("%s: %s", full, strerror(errno));
		rc = -1;
	}
	if (rc == 0 && path != NULL)
		memcpy(path, full, sizeof(full));
	return rc;
}

int
harness_conf(struct harness *h, const char *snippet)
{
	char *text, *s;
	const char *w;
	size_t cap, len, n;
	int i, rc;

	cap = strlen(snippet) + 2048;
	text = malloc(cap);
	if (text == NULL)
		bail_out("out of memory");
	len = (size_t)snprintf(text, cap, "# written by t/lib/harness.c\n");
	for (i = 0; harness_base[i] != NULL; i++) {
		n = strcspn(harness_base[i], " ");
		if (harness_find_directive(snippet, harness_base[i], n) != NULL)
			continue;
		len += (size_t)snprintf(text + len, cap - len, "%s\n",
		    harness_base[i]);
	}
	len += (size_t)snprintf(text + len, cap - len, "# test snippet\n%s%s",
	    snippet, snippet[0] != '\0' &&
	    snippet[strlen(snippet) - 1] != '\n' ? "\n" : "");
	w = harness_find_directive(text, "workers", 7);
	h->workers = w != NULL ? atoi(w) : 1;
	if (h->workers < 1)
		h->workers = 1;
	s = harness_subst(h, text);
	rc = harness_write_file(h->conf, s);
	free(s);
	free(text);
	return rc;
}

char *
harness_file_read(const char *path, size_t *lenp)
{
	char *buf, *nb;
	size_t len = 0, cap = 65536;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd == -1)
		return NULL;
	buf = malloc(cap);
	if (buf == NULL) {
		close(fd);
		return NULL;
	}
	for (;;) {
		if (cap - len < 4096) {
			nb = realloc(buf, cap * 2);
			if (nb == NULL) {
				free(buf);
				close(fd);
				return NULL;
			}
			buf = nb;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	if (lenp != NULL)
		*lenp = len;
	return buf;
}

/* Print the last @p max lines of @p path as diagnostics. */
static void
harness_diag_tail(const char *path, int max)
{
	char *text, *p, *nl;
	int lines = 0;

	text = harness_file_read(path, NULL);
	if (text == NULL)
		return;
	for (p = text + strlen(text); p > text; p--)
		if (p[-1] == '\n' && p[0] != '\0' && ++lines > max)
			break;
	diag("--- %s (tail)", path);
	while (*p != '\0') {
		nl = strchr(p, '\n');
		if (nl != NULL)
			*nl = '\0';
		diag("  %s", p);
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	free(text);
}

/* Is 127.0.0.1:port (or [::1]:port, or a wildcard) in LISTEN state? */
static int
harness_listening(int port)
{
	static const char *const files[] = { "/proc/net/tcp",
	    "/proc/net/tcp6", NULL };
	char line[512], local[128];
	unsigned lport, st;
	FILE *fp;
	int i, found = 0, readable = 0;

	for (i = 0; files[i] != NULL && !found; i++) {
		fp = fopen(files[i], "r");
		if (fp == NULL)
			continue;
		readable = 1;
		while (fgets(line, sizeof(line), fp) != NULL) {
			/* "  0: 0100007F:1F90 00000000:0000 0A ..." */
			if (sscanf(line, " %*u: %127[0-9A-Fa-f]:%x %*s %x",
			    local, &lport, &st) != 3)
				continue;
			if ((int)lport == port && st == 0x0A) {
				found = 1;
				break;
			}
		}
		fclose(fp);
	}
	if (!readable) {
		/* No /proc/net: fall back to a probe. */
		struct sockaddr_in sin;
		int fd;

		fd = socket(AF_INET, SOCK_STREAM, 0);
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_port = htons((uint16_t)port);
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		found = fd != -1 &&
		    connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0;
		if (fd != -1)
			close(fd);
	}
	return found;
}

/* Reap the master if it exited. @return 1 it has exited. */
static int
harness_reap(struct harness *h)
{
	pid_t r;

	if (h->pid <= 0 || h->exited)
		return 1;
	r = waitpid(h->pid, &h->status, WNOHANG);
	if (r == h->pid) {
		h->exited = 1;
		return 1;
	}
	return 0;
}

int
harness_start(struct harness *h)
{
	pid_t pid;
	int fd, i, n = -1, listening = 0;

	fd = open(h->stderr_log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
	    0644);
	if (fd == -1) {
		diag("open %s: %s", h->stderr_log, strerror(errno));
		return -1;
	}
	fflush(stdout);
	pid = fork();
	if (pid == -1) {
		diag("fork: %s", strerror(errno));
		close(fd);
		return -1;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);

		if (null != -1)
			(void)dup2(null, 0);
		(void)dup2(fd, 1);
		(void)dup2(fd, 2);
		(void)signal(SIGPIPE, SIG_DFL);
		execl(h->binary, h->binary, "-d", "-f", h->conf, (char *)NULL);
		dprintf(2, "harness: exec %s: %s\n", h->binary,
		    strerror(errno));
		_exit(127);
	}
	close(fd);
	h->pid = pid;
	h->exited = 0;
	h->status = 0;
	harness_seen_add(h, pid);

	for (i = 0; i < HARNESS_START_TRIES; i++) {
		if (harness_reap(h)) {
			diag("sluice exited during start-up (status %d)",
			    WIFEXITED(h->status) ? WEXITSTATUS(h->status) :
			    -WTERMSIG(h->status));
			harness_diag_tail(h->stderr_log, 20);
			h->pid = 0;
			return -1;
		}
		if (!listening)
			listening = harness_listening(h->port[0]);
		if (listening) {
			n = harness_workers(h, NULL, 0);
			if (n >= h->workers)
				return 0;
		}
		harness_msleep(25);
	}
	diag("sluice not ready after %d ms (listening %d, workers %d/%d)",
	    HARNESS_START_TRIES * 25, listening, n, h->workers);
	harness_diag_tail(h->stderr_log, 20);
	(void)kill(h->pid, SIGKILL);
	(void)waitpid(h->pid, &h->status, 0);
	h->exited = 1;
	harness_kill_all(h);
	h->pid = 0;
	return -1;
}

int
harness_exec(struct harness *h, const char *const *args, char **out)
{
	return harness_exec_user(h, NULL, args, out);
}

int
harness_exec_user(struct harness *h, const char *user,
    const char *const *args, char **out)
{
	char path[300];
	const char *argv[32];
	struct passwd *pw = NULL;
	const char *bin;
	int64_t until;
	pid_t pid;
	int fd, i, status = 0, done = 0;

	if (user != NULL && (pw = getpwnam(user)) == NULL) {
		diag("harness_exec_user: no user %s", user);
		return -1;
	}
	/* That user may not reach the build tree (/root is 0700). */
	if (user != NULL && h->binary_copy[0] == '\0' &&
	    harness_copy_program(h, h->binary, h->binary_copy) == -1)
		return -1;
	bin = user != NULL ? h->binary_copy : h->binary;

	argv[0] = bin;
	for (i = 0; args[i] != NULL && i < 30; i++)
		argv[i + 1] = args[i];
	argv[i + 1] = NULL;
	snprintf(path, sizeof(path), "%s/exec-%d.out", h->dir, ++h->nexec);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd == -1) {
		diag("open %s: %s", path, strerror(errno));
		return -1;
	}
	fflush(stdout);
	pid = fork();
	if (pid == -1) {
		close(fd);
		return -1;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);

		if (null != -1)
			(void)dup2(null, 0);
		(void)dup2(fd, 1);
		(void)dup2(fd, 2);
		(void)signal(SIGPIPE, SIG_DFL);
		if (pw != NULL && (setgroups(1, &pw->pw_gid) == -1 ||
		    setgid(pw->pw_gid) == -1 || setuid(pw->pw_uid) == -1)) {
			dprintf(2, "harness: cannot become %s: %s\n", user,
			    strerror(errno));
			_exit(127);
		}
		execv(bin, (char *const *)argv);
		dprintf(2, "harness: exec %s: %s\n", bin,
		    strerror(errno));
		_exit(127);
	}
	close(fd);
	until = harness_now() + HARNESS_EXEC_MS;
	while (!done) {
		if (waitpid(pid, &status, WNOHANG) == pid) {
			done = 1;
			break;
		}
		if (harness_now() > until)
			break;
		harness_msleep(10);
	}
	if (!done) {
		diag("%s did not exit within %d ms; stopping it", bin,
		    HARNESS_EXEC_MS);
		(void)kill(pid, SIGTERM);
		until = harness_now() + 5000;
		while (waitpid(pid, &status, WNOHANG) != pid) {
			if (harness_now() > until) {
				(void)kill(pid, SIGKILL);
				(void)waitpid(pid, &status, 0);
				break;
			}
			harness_msleep(10);
		}
	}
	if (out != NULL) {
		*out = harness_file_read(path, NULL);
		if (*out == NULL)
			*out = strdup("");
	}
	if (h->verbose) {
		diag("--- %s", path);
		harness_diag_tail(path, 50);
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int
harness_signal(struct harness *h, int sig)
{
	if (h->pid <= 0 || harness_reap(h))
		return -1;
	return kill(h->pid, sig);
}

/* Read "/proc/PID/stat": comm, state, ppid. @return 0 or -1. */
static int
harness_stat(pid_t pid, char *comm, size_t commsz, char *state, pid_t *ppid)
{
	char path[64], buf[1024], *l, *r;
	ssize_t n;
	int fd, pp;
	size_t clen;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	fd = open(path, O_RDONLY);
	if (fd == -1)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	l = strchr(buf, '(');
	r = strrchr(buf, ')');
	if (l == NULL || r == NULL || r < l)
		return -1;
	clen = (size_t)(r - l - 1);
	if (clen >= commsz)
		clen = commsz - 1;
	memcpy(comm, l + 1, clen);
	comm[clen] = '\0';
	if (sscanf(r + 1, " %c %d", state, &pp) != 2)
		return -1;
	*ppid = pp;
	return 0;
}

int
harness_workers(struct harness *h, pid_t *pids, int max)
{
	char mcomm[64], comm[64], state;
	struct dirent *de;
	pid_t pid, ppid;
	DIR *d;
	int n = 0;

	if (h->pid <= 0 || harness_reap(h))
		return -1;
	if (harness_stat(h->pid, mcomm, sizeof(mcomm), &state, &ppid) == -1)
		return -1;
	d = opendir("/proc");
	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		pid = (pid_t)atol(de->d_name);
		if (harness_stat(pid, comm, sizeof(comm), &state, &ppid) == -1)
			continue;
		if (ppid != h->pid || state == 'Z' || state == 'X')
			continue;
		if (strstr(comm, "worker") == NULL &&
		    strcmp(comm, mcomm) != 0)
			continue;
		harness_seen_add(h, pid);
		if (pids != NULL && n < max)
			pids[n] = pid;
		n++;
	}
	closedir(d);
	return n;
}

int
harness_wait_workers(struct harness *h, int n, const pid_t *gone,
    int ngone, int ms)
{
	pid_t pids[64];
	int64_t until = harness_now() + ms;
	int k, i, j, bad;

	for (;;) {
		k = harness_workers(h, pids, 64);
		bad = k != n;
		for (i = 0; !bad && i < k && i < 64; i++)
			for (j = 0; j < ngone; j++)
				if (pids[i] == gone[j])
					bad = 1;
		if (!bad)
			return 1;
		if (harness_now() > until)
			return 0;
		harness_msleep(20);
	}
}

/* Is @p pid still a live process (zombies of others count as gone)? */
static int
harness_alive(pid_t pid)
{
	char comm[64], state;
	pid_t ppid;

	(void)waitpid(pid, NULL, WNOHANG);	/* ours by subreaping? */
	if (kill(pid, 0) == -1 && errno == ESRCH)
		return 0;
	if (harness_stat(pid, comm, sizeof(comm), &state, &ppid) == -1)
		return 0;
	return state != 'Z' && state != 'X';
}

void
harness_stop(struct harness *h)
{
	if (h->pid > 0 && !harness_reap(h)) {
		(void)harness_workers(h, NULL, 0);
		(void)kill(h->pid, SIGTERM);
	}
	(void)harness_wait_exit(h);
}

int
harness_wait_exit(struct harness *h)
{
	int64_t until;
	int i, left, rc;

	if (h->pid <= 0) {
		ok(0, "sluice exits with status 0 after SIGTERM (not running)");
		ok(0, "every sluice process is gone (not running)");
		return -1;
	}
	(void)harness_workers(h, NULL, 0);
	until = harness_now() + HARNESS_STOP_MS;
	while (!harness_reap(h)) {
		if (harness_now() > until) {
			diag("sluice master %ld still running %d ms after "
			    "SIGTERM; killing it", (long)h->pid,
			    HARNESS_STOP_MS);
			(void)kill(h->pid, SIGKILL);
			(void)waitpid(h->pid, &h->status, 0);
			h->exited = 1;
			break;
		}
		harness_msleep(20);
	}
	rc = WIFEXITED(h->status) ? WEXITSTATUS(h->status) : -1;
	if (!is_int(rc, 0, "sluice master exits with status 0 after SIGTERM"))
		if (WIFSIGNALED(h->status))
			diag("master was killed by signal %d",
			    WTERMSIG(h->status));

	until = harness_now() + HARNESS_GONE_MS;
	for (;;) {
		left = 0;
		for (i = 0; i < h->nseen; i++)
			if (h->seen[i] != h->pid && harness_alive(h->seen[i]))
				left++;
		if (left == 0 || harness_now() > until)
			break;
		harness_msleep(20);
	}
	if (!ok(left == 0, "every sluice process started is gone "
	    "(master and %d workers seen)", h->nseen - 1)) {
		for (i = 0; i < h->nseen; i++)
			if (h->seen[i] != h->pid &&
			    harness_alive(h->seen[i])) {
				diag("pid %ld still alive; killing it",
				    (long)h->seen[i]);
				(void)kill(h->seen[i], SIGKILL);
			}
	}
	h->pid = 0;
	return rc;
}

/* Diagnose the lines of @p path that hold a forbidden string; count them. */
static int
harness_scan_log(struct harness *h, const char *path)
{
	char *text, *line, *nl;
	int i, found = 0, hit;

	text = harness_file_read(path, NULL);
	if (text == NULL)
		return 0;
	for (line = text; *line != '\0'; line = nl + 1) {
		nl = strchr(line, '\n');
		if (nl != NULL)
			*nl = '\0';
		hit = 0;
		for (i = 0; harness_bad_always[i] != NULL; i++)
			if (strstr(line, harness_bad_always[i]) != NULL)
				hit = 1;
		for (i = 0; !h->expect_alert &&
		    harness_bad_severity[i] != NULL; i++)
			if (strstr(line, harness_bad_severity[i]) != NULL)
				hit = 1;
		if (hit) {
			if (found++ < 20)
				diag("%s: %s", path, line);
		}
		if (nl == NULL)
			break;
	}
	free(text);
	return found;
}

static void
harness_diag_file(const char *path)
{
	char *text, *line, *nl;

	text = harness_file_read(path, NULL);
	if (text == NULL)
		return;
	diag("--- %s", path);
	for (line = text; *line != '\0'; line = nl + 1) {
		nl = strchr(line, '\n');
		if (nl != NULL)
			*nl = '\0';
		diag("  %s", line);
		if (nl == NULL)
			break;
	}
	free(text);
}

void
harness_end(struct harness *h)
{
	char path[300];
	int bad, i;

	if (h->pid > 0 && !harness_reap(h)) {
		diag("harness_end: sluice still running; killing it");
		harness_kill_all(h);
	}
	bad = harness_scan_log(h, h->stderr_log);
	bad += harness_scan_log(h, h->cache_log);
	for (i = 1; i <= h->nexec; i++) {
		snprintf(path, sizeof(path), "%s/exec-%d.out", h->dir, i);
		bad += harness_scan_log(h, path);
	}
	ok(bad == 0, "no %ssanitizer report in sluice's logs",
	    h->expect_alert ? "" : "[emerg], [alert] or [crit] line and no ");
	if (h->verbose) {
		harness_diag_file(h->stderr_log);
		harness_diag_file(h->cache_log);
		harness_diag_file(h->access_log);
	}
	if (h->leave)
		diag("temp dir kept: %s", h->dir);
	else
		harness_rmdir(h->dir);
	for (i = 0; i < HARNESS_MAX_ACTIVE; i++)
		if (harness_active[i] == h)
			harness_active[i] = NULL;
}

/* The first complete line of @p text holding every needle, malloc'd. */
static char *
harness_find_line(const char *text, const char *const *needles, int n)
{
	const char *line, *nl;
	char *copy;
	size_t len;
	int i, all;

	for (line = text; (nl = strchr(line, '\n')) != NULL; line = nl + 1) {
		len = (size_t)(nl - line);
		copy = malloc(len + 1);
		if (copy == NULL)
			return NULL;
		memcpy(copy, line, len);
		copy[len] = '\0';
		all = 1;
		for (i = 0; i < n && all; i++)
			if (strstr(copy, needles[i]) == NULL)
				all = 0;
		if (all)
			return copy;
		free(copy);
	}
	return NULL;
}

static char *
harness_file_vwait(const char *path, int ms, va_list ap)
{
	const char *needles[HARNESS_MAX_NEEDLES];
	const char *s;
	char *text, *line;
	int64_t until;
	int n = 0;

	while ((s = va_arg(ap, const char *)) != NULL)
		if (n < HARNESS_MAX_NEEDLES)
			needles[n++] = s;
	until = harness_now() + ms;
	for (;;) {
		text = harness_file_read(path, NULL);
		if (text != NULL) {
			line = harness_find_line(text, needles, n);
			free(text);
			if (line != NULL)
				return line;
		}
		if (harness_now() > until)
			return NULL;
		harness_msleep(20);
	}
}

char *
harness_file_wait(const char *path, int ms, ...)
{
	va_list ap;
	char *line;

	va_start(ap, ms);
	line = harness_file_vwait(path, ms, ap);
	va_end(ap);
	return line;
}

char *
harness_log_wait(struct harness *h, ...)
{
	va_list ap;
	char *line;

	va_start(ap, h);
	line = harness_file_vwait(h->access_log, 2000, ap);
	va_end(ap);
	return line;
}

int
harness_file_count(const char *path, const char *needle)
{
	char *text, *line, *nl;
	int n = 0;

	text = harness_file_read(path, NULL);
	if (text == NULL)
		return 0;
	for (line = text; (nl = strchr(line, '\n')) != NULL; line = nl + 1) {
		*nl = '\0';
		if (needle == NULL || strstr(line, needle) != NULL)
			n++;
	}
	free(text);
	return n;
}

char *
harness_field(const char *line, int n, char *buf, size_t size)
{
	const char *p = line, *e;
	size_t len;

	if (line == NULL)
		return NULL;
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0' || *p == '\n')
			return NULL;
		e = p + strcspn(p, " \t\n");
		if (n-- == 0) {
			len = (size_t)(e - p);
			if (len >= size)
				len = size - 1;
			memcpy(buf, p, len);
			buf[len] = '\0';
			return buf;
		}
		p = e;
	}
}

int
harness_file_wait_count(const char *path, const char *needle, int n, int ms)
{
	int64_t until = harness_now() + ms;
	int k;

	for (;;) {
		k = harness_file_count(path, needle);
		if (k >= n || harness_now() > until)
			return k;
		harness_msleep(20);
	}
}
