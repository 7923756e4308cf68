/*
 * auth_file.c -- the built-in `basic_file` helper (see auth.h): checks
 * squid helper lines against an htpasswd file with crypt(3).
 *
 * Runs in a child of a worker (forked, no exec), with blocking I/O on
 * fds 0 and 1: the point of the separate process is that bcrypt's CPU
 * cost never blocks the worker's event loop.
 *
 * File format: one "user:hash" per line; blank lines and lines starting
 * with '#' are skipped; a trailing ":comment" field after the hash is
 * ignored (htpasswd -C writes none, some tools do).  Hashes understood
 * (libxcrypt): bcrypt $2y$ $2b$ $2a$, SHA-crypt $5$ $6$, yescrypt $y$.
 * Others (DES, $1$ MD5, $apr1$, {SHA}) are logged once per load and never
 * match.  The file is read again when its mtime, size or inode changes
 * (checked before each request).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/stat.h>

#include <crypt.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth.h"
#include "log.h"

#define AUTH_FILE_MAX		(16 * 1024 * 1024)
#define AUTH_FILE_LINE		4096

struct auth_file_user {
	char	*name;
	char	*hash;		/* NULL: unsupported format */
};

static struct auth_file_user	*af_users;
static size_t			 af_nusers;
static char			*af_data;
static struct stat		 af_st;
static int			 af_loaded;

static int
auth_file_hash_ok(const char *h)
{
	static const char *const pfx[] = {
		"$2y$", "$2b$", "$2a$", "$5$", "$6$", "$y$", NULL
	};
	size_t i;

	for (i = 0; pfx[i] != NULL; i++)
		if (strncmp(h, pfx[i], strlen(pfx[i])) == 0)
			return 1;
	return 0;
}

static void
auth_file_free(void)
{
	free(af_users);
	free(af_data);
	af_users = NULL;
	af_data = NULL;
	af_nusers = 0;
}

/* (Re)load @p path when it changed.  A missing file means no users. */
static void
auth_file_load(const char *path)
{
	struct stat st;
	FILE *fp;
	size_t cap = 0, len, lineno = 0;
	char *p, *nl, *colon, *end;
	struct auth_file_user *nu;
	int last;

	if (stat(path, &st) == -1) {
		if (af_loaded != -1)
			log_warn("basic_file %s", path);
		auth_file_free();
		af_loaded = -1;
		return;
	}
	if (af_loaded == 1 && st.st_mtim.tv_sec == af_st.st_mtim.tv_sec &&
	    st.st_mtim.tv_nsec == af_st.st_mtim.tv_nsec &&
	    st.st_size == af_st.st_size && st.st_ino == af_st.st_ino)
		return;
	auth_file_free();
	af_loaded = -1;
	if (st.st_size > AUTH_FILE_MAX) {
		log_warnx("basic_file %s: larger than %d bytes, ignored", path,
		    AUTH_FILE_MAX);
		return;
	}
	if ((fp = fopen(path, "re")) == NULL) {
		log_warn("basic_file %s", path);
		return;
	}
	af_data = malloc((size_t)st.st_size + 1);
	len = af_data == NULL ? 0 : fread(af_data, 1, (size_t)st.st_size, fp);
	fclose(fp);
	if (af_data == NULL) {
		log_warnx("basic_file %s: out of memory", path);
		return;
	}
	af_data[len] = '\0';
	for (p = af_data; *p != '\0'; p = nl + 1) {
		lineno++;
		if ((nl = strchr(p, '\n')) == NULL)
			nl = p + strlen(p);
		last = *nl == '\0';
		end = nl;
		if (end > p && end[-1] == '\r')
			end--;
		*end = '\0';
		if (*p == '\0' || *p == '#') {
			if (last)
				break;
			continue;
		}
		colon = strchr(p, ':');
		if (colon == NULL || colon == p) {
			log_warnx("basic_file %s:%zu: not user:hash", path,
			    lineno);
		} else {
			*colon = '\0';
			if (strchr(colon + 1, ':') != NULL)
				*strchr(colon + 1, ':') = '\0';
			if (af_nusers == cap) {
				cap = cap ? cap * 2 : 64;
				nu = realloc(af_users, cap * sizeof(*nu));
				if (nu == NULL) {
					log_warnx("basic_file %s: out of memory",
					    path);
					auth_file_free();
					return;
				}
				af_users = nu;
			}
			af_users[af_nusers].name = p;
			af_users[af_nusers].hash = colon + 1;
			if (!auth_file_hash_ok(colon + 1)) {
				log_warnx("basic_file %s:%zu: user %s: "
				    "unsupported hash format (use bcrypt, "
				    "SHA-crypt or yescrypt); never matches",
				    path, lineno, p);
				af_users[af_nusers].hash = NULL;
			}
			af_nusers++;
		}
		if (last)
			break;
	}
	af_st = st;
	af_loaded = 1;
	log_info("basic_file %s: %zu users", path, af_nusers);
}

/* rfc1738 %XX decoding in place. */
static void
auth_file_unescape(char *s)
{
	char *o = s;
	unsigned v;

	for (; *s != '\0'; s++) {
		if (s[0] == '%' && sscanf(s + 1, "%2x", &v) == 1 &&
		    s[1] != '\0' && s[2] != '\0') {
			*o++ = (char)v;
			s += 2;
		} else
			*o++ = *s;
	}
	*o = '\0';
}

/* Constant-time comparison of two NUL-terminated strings. */
static int
auth_file_same(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i;
	unsigned char d = la != lb;

	for (i = 0; i < la && i < lb; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return d == 0;
}

static int
auth_file_verify(const char *user, const char *pass)
{
	static struct crypt_data cd;
	const char *out;
	size_t i;

	for (i = 0; i < af_nusers; i++) {
		if (strcmp(af_users[i].name, user) != 0)
			continue;
		if (af_users[i].hash == NULL)
			return 0;
		memset(&cd, 0, sizeof(cd));
		out = crypt_r(pass, af_users[i].hash, &cd);
		/* libxcrypt's failure tokens start with '*'. */
		return out != NULL && out[0] != '*' &&
		    auth_file_same(out, af_users[i].hash);
	}
	return 0;
}

int
auth_file_main(const char *path, int concurrency)
{
	char line[AUTH_FILE_LINE], *p, *user, *pass, *sp, *chan = NULL;
	int ok;

	setvbuf(stdout, NULL, _IOLBF, 0);
	while (fgets(line, sizeof(line), stdin) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		p = line;
		if (concurrency) {
			chan = p;
			if ((sp = strchr(p, ' ')) == NULL)
				continue;
			*sp = '\0';
			p = sp + 1;
		}
		user = p;
		if ((sp = strchr(p, ' ')) == NULL)
			pass = p + strlen(p);	/* no password: never OK */
		else {
			*sp = '\0';
			pass = sp + 1;
		}
		auth_file_unescape(user);
		auth_file_unescape(pass);
		auth_file_load(path);
		ok = *pass != '\0' && auth_file_verify(user, pass);
		if (concurrency)
			printf("%s %s\n", chan, ok ? "OK" : "ERR");
		else
			printf("%s\n", ok ? "OK" : "ERR");
		explicit_bzero(line, sizeof(line));
		if (ferror(stdout))
			return 1;
	}
	return 0;
}
