/*
 * priv.c -- the one privilege drop (see priv.h).
 * Runs in the children of the master, right after fork().
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/prctl.h>

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "priv.h"

int
priv_drop(const char *user, const char *who, char *err, size_t errlen)
{
	struct passwd *pw;

	if (geteuid() != 0)
		return 0;
	if (user == NULL)
		user = "nobody";
	errno = 0;
	if ((pw = getpwnam(user)) == NULL) {
		snprintf(err, errlen, "%s: no user %s%s%s", who, user,
		    errno ? ": " : "", errno ? strerror(errno) : "");
		return -1;
	}
	/* Groups first: setgroups needs the rights the uid change drops. */
	if (setgroups(1, &pw->pw_gid) == -1 ||
	    setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) == -1 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) == -1) {
		snprintf(err, errlen, "%s: cannot drop privileges to %s: %s",
		    who, user, strerror(errno));
		return -1;
	}
	/* set*id cleared it: a crashing child should still leave a core. */
	(void)prctl(PR_SET_DUMPABLE, 1);
	return 0;
}
