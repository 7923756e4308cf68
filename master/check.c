/*
 * check.c -- what the running proxy will need from the file system,
 * checked before it runs (see check.h).
 *
 * Runs in the master (-t, start, reload) and in one short-lived child of
 * it, which makes the checks and exits with the number of problems: the
 * master's own first, then, after the same privilege drop as a worker's,
 * the children's.  Nothing is created or changed: the checks model what
 * config_prepare_files() and cache_manager_prepare() will do.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "log.h"
#include "priv.h"

#define CHECK_MAX_PROBLEMS	100	/* the child's exit status */

struct check {
	const struct conf *c;
	int		 root;		/* the master runs as root */
	char		 user[64];	/* U's name, for the messages */
	char		 mwho[80];	/* M for the messages: "user root" */
	int		 nproblems;
};

/* What the children's checks need from the master's (found, not missing). */
/* cache_log and the access_log files. */
#define CHECK_MAX_LOGS	33

struct check_log {
	const char	*what;		/* the directive */
	const char	*path;
	struct conf_where w;		/* its line */
};

struct check_state {
	int		 log_ok[CHECK_MAX_LOGS];	/* M's checks passed */
	int		 log_dir[CHECK_MAX_LOGS];	/* ... and the dir exists */
	int		 cdir_ok;	/* cache_dir passed M's checks */
	int		 cdir_exists;
};

static void __attribute__((format(printf, 3, 4)))
check_problem(struct check *k, struct conf_where w, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* conf_error()'s format, so operators and tests read one shape. */
	if (w.file != NULL)
		log_warnx("%s:%d: %s", w.file, w.line, msg);
	else
		log_warnx("%s: %s", k->c->path, msg);
	k->nproblems++;
}

/* The directory part of @p path: "/" for "/x", "." for "x". */
static void
check_dirname(const char *path, char *buf, size_t size)
{
	const char *slash = strrchr(path, '/');
	size_t n;

	if (slash == NULL) {
		snprintf(buf, size, ".");
		return;
	}
	n = slash == path ? 1 : (size_t)(slash - path);
	snprintf(buf, size, "%.*s", (int)n, path);
}

/* Copy @p s into @p buf, cut to fit. */
static void
check_copy(char *buf, size_t size, const char *s)
{
	size_t n = strlen(s);

	if (n >= size)
		n = size - 1;
	memcpy(buf, s, n);
	buf[n] = '\0';
}

/*
 * The first directory on the way to @p dir, @p dir included, that the
 * current identity cannot search (access() uses the real ids, which the
 * drop set).  @return 0 when there is none, else -1 with errno kept and
 * that directory in @p bad.
 */
static int
check_reach(const char *dir, char *bad, size_t size)
{
	char buf[PATH_MAX];
	size_t i, len = strlen(dir);
	char ch;

	if (len >= sizeof(buf)) {
		check_copy(bad, size, dir);
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(buf, dir, len + 1);
	for (i = 1; i <= len; i++) {
		if (i < len && buf[i] != '/')
			continue;
		ch = buf[i];
		buf[i] = '\0';
		if (access(buf, X_OK) == -1) {
			check_copy(bad, size, buf);
			return -1;
		}
		buf[i] = ch;
	}
	return 0;
}

/*
 * stat() @p path for @p what; a failure other than "does not exist" is a
 * problem, explained by the directory that cannot be searched when there
 * is one.  @return 0 found, 1 missing, -1 reported.
 */
static int
check_stat(struct check *k, struct conf_where w, const char *what,
    const char *path, struct stat *st, const char *who)
{
	char dir[PATH_MAX], bad[PATH_MAX];
	int saved;

	if (stat(path, st) == 0)
		return 0;
	if (errno == ENOENT)
		return 1;
	saved = errno;
	check_dirname(path, dir, sizeof(dir));
	if (saved == EACCES && check_reach(dir, bad, sizeof(bad)) == -1)
		check_problem(k, w, "%s %s: %s cannot search %s: %s", what,
		    path, who, bad, strerror(errno));
	else
		check_problem(k, w, "%s %s: %s", what, path, strerror(saved));
	return -1;
}

/*
 * A log file the master creates, with its directory when only that
 * level is missing (proc_prepare_file()).  As the master.
 */
static void
check_log_master(struct check *k, int i, const struct check_log *lg,
    struct check_state *cs)
{
	struct conf_where w = lg->w;
	const char *what = lg->what, *path = lg->path;
	char dir[PATH_MAX], parent[PATH_MAX];
	struct stat st;
	int rc;

	if ((rc = check_stat(k, w, what, path, &st, k->mwho)) == -1)
		return;
	if (rc == 0) {
		if (S_ISDIR(st.st_mode))
			check_problem(k, w, "%s %s is a directory", what, path);
		else if (access(path, W_OK) == -1)
			check_problem(k, w, "%s %s: cannot write it: %s", what,
			    path, strerror(errno));
		else
			cs->log_ok[i] = cs->log_dir[i] = 1;
		return;
	}
	check_dirname(path, dir, sizeof(dir));
	if ((rc = check_stat(k, w, what, dir, &st, k->mwho)) == -1)
		return;
	if (rc == 0) {
		if (!S_ISDIR(st.st_mode))
			check_problem(k, w, "%s %s: %s is not a directory",
			    what, path, dir);
		else if (access(dir, W_OK | X_OK) == -1)
			check_problem(k, w, "%s %s: cannot create it in %s: %s",
			    what, path, dir, strerror(errno));
		else
			cs->log_ok[i] = cs->log_dir[i] = 1;
		return;
	}
	check_dirname(dir, parent, sizeof(parent));
	if (stat(parent, &st) == -1 || !S_ISDIR(st.st_mode))
		check_problem(k, w, "%s %s: directory %s does not exist "
		    "(sluice creates only %s)", what, path, parent, dir);
	else if (access(parent, W_OK | X_OK) == -1)
		check_problem(k, w, "%s %s: cannot create %s: %s", what, path,
		    dir, strerror(errno));
	else
		cs->log_ok[i] = 1;
}

/* The workers reopen the log (SIGUSR1): they must reach its directory. */
static void
check_log_user(struct check *k, int i, const struct check_log *lg,
    const struct check_state *cs)
{
	const char *what = lg->what, *path = lg->path;
	char dir[PATH_MAX], reach[PATH_MAX], bad[PATH_MAX];

	if (!cs->log_ok[i])
		return;
	check_dirname(path, dir, sizeof(dir));
	/* A directory the master will make is the user's: its parent counts. */
	if (cs->log_dir[i])
		check_copy(reach, sizeof(reach), dir);
	else
		check_dirname(dir, reach, sizeof(reach));
	if (check_reach(reach, bad, sizeof(bad)) == -1)
		check_problem(k, lg->w, "%s %s: user %s "
		    "cannot search %s: %s (the workers write the file)", what,
		    path, k->user, bad, strerror(errno));
}

/* cache_dir as the master: it creates the last level, or writes in it. */
static void
check_cache_master(struct check *k, struct check_state *cs)
{
	static const char *const files[] = { "data.mdb", "lock.mdb" };
	struct conf_where w = conf_where(k->c, "cache_dir");
	const char *dir = k->c->cache_dir;
	char sub[PATH_MAX], parent[PATH_MAX];
	struct stat st;
	size_t i;
	int rc;

	if ((rc = check_stat(k, w, "cache_dir", dir, &st, k->mwho)) == -1)
		return;
	if (rc == 1) {
		check_dirname(dir, parent, sizeof(parent));
		if (stat(parent, &st) == -1 || !S_ISDIR(st.st_mode))
			check_problem(k, w, "cache_dir %s: directory %s does "
			    "not exist (sluice creates only the last level)",
			    dir, parent);
		else if (access(parent, W_OK | X_OK) == -1)
			check_problem(k, w, "cache_dir %s: cannot create it in "
			    "%s: %s", dir, parent, strerror(errno));
		else
			cs->cdir_ok = 1;
		return;
	}
	if (!S_ISDIR(st.st_mode)) {
		check_problem(k, w, "cache_dir %s is not a directory", dir);
		return;
	}
	if (access(dir, W_OK | X_OK) == -1) {
		check_problem(k, w, "cache_dir %s: cannot write in it: %s", dir,
		    strerror(errno));
		return;
	}
	cs->cdir_ok = cs->cdir_exists = 1;
	if (k->root)
		return;		/* the master gives what is inside to U */
	/* Not root: what is there already must be ours to use. */
	for (i = 0; i < 2; i++) {
		snprintf(sub, sizeof(sub), "%s/%s", dir, i ? "bodies" : "tmp");
		if (stat(sub, &st) == 0 && access(sub, W_OK | X_OK) == -1) {
			check_problem(k, w, "cache_dir %s: cannot write in %s: "
			    "%s", dir, sub, strerror(errno));
			cs->cdir_ok = 0;
		}
		snprintf(sub, sizeof(sub), "%s/%s", dir, files[i]);
		if (stat(sub, &st) == 0 && access(sub, R_OK | W_OK) == -1) {
			check_problem(k, w, "cache_dir %s: cannot read and "
			    "write %s: %s", dir, sub, strerror(errno));
			cs->cdir_ok = 0;
		}
	}
}

/*
 * cache_dir as the children's user: the master gives the directory to
 * the user, so its parent must be reachable and, as its owner, the user
 * needs read, write and search on it (the mode is not changed).
 */
static void
check_cache_user(struct check *k, const struct check_state *cs)
{
	struct conf_where w = conf_where(k->c, "cache_dir");
	const char *dir = k->c->cache_dir;
	char parent[PATH_MAX], bad[PATH_MAX];
	struct stat st;

	if (!cs->cdir_ok)
		return;
	check_dirname(dir, parent, sizeof(parent));
	if (check_reach(parent, bad, sizeof(bad)) == -1) {
		check_problem(k, w, "cache_dir %s: user %s cannot search %s: "
		    "%s (the workers and the cache manager open the cache as "
		    "that user)", dir, k->user, bad, strerror(errno));
		return;
	}
	if (cs->cdir_exists && stat(dir, &st) == 0 &&
	    (st.st_mode & S_IRWXU) != S_IRWXU)
		check_problem(k, w, "cache_dir %s: its mode %04o leaves its "
		    "owner (user %s once sluice starts) without read, write "
		    "and search", dir, (unsigned)(st.st_mode & 07777),
		    k->user);
}

/* pid_filename: written by the master, which does not make directories. */
static void
check_pidfile(struct check *k)
{
	struct conf_where w = conf_where(k->c, "pid_filename");
	const char *path = k->c->pid_file;
	char dir[PATH_MAX];
	struct stat st;
	int rc;

	if ((rc = check_stat(k, w, "pid_filename", path, &st, k->mwho)) == -1)
		return;
	if (rc == 0) {
		if (S_ISDIR(st.st_mode))
			check_problem(k, w, "pid_filename %s is a directory",
			    path);
		else if (access(path, W_OK) == -1)
			check_problem(k, w, "pid_filename %s: cannot write it: "
			    "%s", path, strerror(errno));
		return;
	}
	check_dirname(path, dir, sizeof(dir));
	if (stat(dir, &st) == -1 && errno == ENOENT) {
		/* The master makes the last directory (proc.c): its parent. */
		char parent[PATH_MAX];

		check_dirname(dir, parent, sizeof(parent));
		if (stat(parent, &st) == -1 || !S_ISDIR(st.st_mode))
			check_problem(k, w, "pid_filename %s: directory %s does "
			    "not exist", path, parent);
		else if (access(parent, W_OK | X_OK) == -1)
			check_problem(k, w, "pid_filename %s: cannot create %s: "
			    "%s", path, dir, strerror(errno));
		return;
	}
	if (!S_ISDIR(st.st_mode))
		check_problem(k, w, "pid_filename %s: %s is not a directory",
		    path, dir);
	else if (access(dir, W_OK | X_OK) == -1)
		check_problem(k, w, "pid_filename %s: cannot create it in %s: "
		    "%s", path, dir, strerror(errno));
}

/* auth_param basic program: run (or read, basic_file) by the user. */
static void
check_helper(struct check *k)
{
	struct conf_where w = k->c->auth_program_where;
	char **av = k->c->auth_program, who[80];
	struct stat st;
	int rc;

	snprintf(who, sizeof(who), "user %s", k->user);
	if (strcmp(av[0], "basic_file") == 0) {
		/* A missing file means no users (auth_file.c): not an error. */
		rc = check_stat(k, w, "auth_param basic program basic_file",
		    av[1], &st, who);
		if (rc == 0 && (S_ISDIR(st.st_mode) ||
		    access(av[1], R_OK) == -1))
			check_problem(k, w, "auth_param basic program "
			    "basic_file %s: user %s cannot read it: %s", av[1],
			    k->user, S_ISDIR(st.st_mode) ? "a directory" :
			    strerror(errno));
		return;
	}
	rc = check_stat(k, w, "auth_param basic program", av[0], &st, who);
	if (rc == 1)
		check_problem(k, w, "auth_param basic program %s does not "
		    "exist", av[0]);
	else if (rc == 0 && !S_ISREG(st.st_mode))
		check_problem(k, w, "auth_param basic program %s is not a "
		    "regular file", av[0]);
	else if (rc == 0 && access(av[0], X_OK) == -1)
		check_problem(k, w, "auth_param basic program %s: user %s "
		    "cannot execute it: %s", av[0], k->user, strerror(errno));
}

/* The children's one privilege drop (core/priv.c). */
static int
check_drop(struct check *k)
{
	char err[256];

	if (priv_drop(k->user, "cache_effective_user", err,
	    sizeof(err)) == -1) {
		check_problem(k, conf_where(k->c, "cache_effective_user"),
		    "%s", err);
		return -1;
	}
	return 0;
}

/*
 * The log files the master creates: cache_log, and each access_log line
 * that names a file (not none, syslog, nor a device or pipe under /dev).
 */
static int
check_logs(const struct conf *c, struct check_log *lg)
{
	const char *p;
	size_t i;
	int n = 0;

	if (c->cache_log != NULL) {
		lg[n].what = "cache_log";
		lg[n].path = c->cache_log;
		lg[n++].w = conf_where(c, "cache_log");
	}
	for (i = 0; i < c->naccess_log_lines && n < CHECK_MAX_LOGS; i++) {
		if (c->access_log_lines[i].argc < 2)
			continue;
		p = c->access_log_lines[i].argv[1];
		if (strncmp(p, "stdio:", 6) == 0)
			p += 6;
		if (p[0] != '/' || strncmp(p, "/dev/", 5) == 0)
			continue;
		lg[n].what = "access_log";
		lg[n].path = p;
		lg[n].w.file = c->access_log_lines[i].file;
		lg[n++].w.line = c->access_log_lines[i].line;
	}
	return n;
}

static void __attribute__((noreturn))
check_child(const struct conf *c)
{
	struct check_log logs[CHECK_MAX_LOGS];
	struct check_state cs;
	struct check k;
	struct passwd *pw;
	int i, nlogs;

	(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
	memset(&cs, 0, sizeof(cs));
	memset(&k, 0, sizeof(k));
	k.c = c;
	k.root = geteuid() == 0;
	if (k.root)
		snprintf(k.user, sizeof(k.user), "%s",
		    c->effective_user ? c->effective_user : "nobody");
	else if ((pw = getpwuid(geteuid())) != NULL)
		snprintf(k.user, sizeof(k.user), "%s", pw->pw_name);
	else
		snprintf(k.user, sizeof(k.user), "uid %ld", (long)geteuid());
	if (k.root)
		snprintf(k.mwho, sizeof(k.mwho), "user root");
	else
		snprintf(k.mwho, sizeof(k.mwho), "user %s", k.user);

	/* As the master: what it creates and writes itself. */
	nlogs = check_logs(c, logs);
	for (i = 0; i < nlogs; i++)
		check_log_master(&k, i, &logs[i], &cs);
	if (c->cache_dir != NULL)
		check_cache_master(&k, &cs);
	if (c->pid_file != NULL)
		check_pidfile(&k);

	/* As the children: what the workers and the cache manager open. */
	if (!k.root || check_drop(&k) == 0) {
		for (i = 0; i < nlogs; i++)
			if (k.root)
				check_log_user(&k, i, &logs[i], &cs);
		if (c->cache_dir != NULL && k.root)
			check_cache_user(&k, &cs);
		if (c->auth_program != NULL)
			check_helper(&k);
	}
	_exit(k.nproblems > CHECK_MAX_PROBLEMS ? CHECK_MAX_PROBLEMS :
	    k.nproblems);
}

int
config_check_access(const struct conf *c)
{
	struct timespec ts = { 0, 1000000 };	/* 1 ms between polls */
	int status, waited;
	pid_t pid, r;

	if (c->naccess_log_lines == 0 && c->cache_log == NULL &&
	    c->cache_dir == NULL && c->pid_file == NULL &&
	    c->auth_program == NULL)
		return 0;
	pid = fork();
	if (pid == -1) {
		log_warn("%s: cannot fork to check the paths", c->path);
		return -1;
	}
	if (pid == 0)
		check_child(c);
	for (waited = 0;; waited++) {
		r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			break;
		if (r == -1 && errno != EINTR) {
			log_warn("%s: waiting for the path checks", c->path);
			return -1;
		}
		if (waited >= CHECK_TIMEOUT_MS) {
			(void)kill(pid, SIGKILL);
			(void)waitpid(pid, &status, 0);
			log_warnx("%s: the path checks did not end within %d "
			    "ms (a file system that does not answer?)",
			    c->path, CHECK_TIMEOUT_MS);
			return -1;
		}
		nanosleep(&ts, NULL);
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFSIGNALED(status))
		log_warnx("%s: the path checks died with signal %d", c->path,
		    WTERMSIG(status));
	return -1;
}
