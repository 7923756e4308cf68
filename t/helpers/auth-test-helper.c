/*
 * auth-test-helper.c -- a squid basic-auth helper for the tests, whose
 * misbehaviour is chosen on the command line.
 *
 * Runs as a child of a sluice worker: reads "[ID ]user password" lines
 * (rfc1738 %XX-escaped) on stdin, answers "[ID ]OK" or "[ID ]ERR
 * message=..." on stdout.
 *
 *	auth-test-helper [-c] [-l FILE] [-d N] [-H] [-s MS] [-x] USER:PASS...
 *	-c	concurrency: lines carry a channel id, echoed in the answer
 *	-l FILE	append "user\n" to FILE for each request (call counting)
 *	-d N	exit(3), without answering, when request N+1 arrives
 *	-H	hang: read requests, never answer
 *	-s MS	sleep MS milliseconds before each answer
 *	-x	exit(1) at once (a helper that cannot start)
 * The USER:PASS pairs are the user table (the password may hold ':').
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void
unescape(char *s)
{
	char *o = s;
	unsigned v;

	for (; *s != '\0'; s++) {
		if (s[0] == '%' && s[1] != '\0' && s[2] != '\0' &&
		    sscanf(s + 1, "%2x", &v) == 1) {
			*o++ = (char)v;
			s += 2;
		} else
			*o++ = *s;
	}
	*o = '\0';
}

int
main(int argc, char **argv)
{
	char line[4096], *p, *sp, *id = NULL, *user, *pass;
	const char *logf = NULL;
	int conc = 0, die_after = -1, hang = 0, sleep_ms = 0, n = 0, ch, i, ok;
	size_t ul;
	FILE *fp;
	struct timespec ts;

	while ((ch = getopt(argc, argv, "cl:d:Hs:x")) != -1) {
		switch (ch) {
		case 'c': conc = 1; break;
		case 'l': logf = optarg; break;
		case 'd': die_after = atoi(optarg); break;
		case 'H': hang = 1; break;
		case 's': sleep_ms = atoi(optarg); break;
		case 'x': return 1;
		default: return 2;
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	while (fgets(line, sizeof(line), stdin) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		p = line;
		if (conc) {
			id = p;
			if ((sp = strchr(p, ' ')) == NULL)
				continue;
			*sp = '\0';
			p = sp + 1;
		}
		user = p;
		if ((sp = strchr(p, ' ')) == NULL) {
			pass = p + strlen(p);
		} else {
			*sp = '\0';
			pass = sp + 1;
		}
		unescape(user);
		unescape(pass);
		if (logf != NULL && (fp = fopen(logf, "a")) != NULL) {
			fprintf(fp, "%s\n", user);
			fclose(fp);
		}
		if (die_after >= 0 && n >= die_after)
			exit(3);
		n++;
		if (hang)
			continue;
		if (sleep_ms > 0) {
			ts.tv_sec = sleep_ms / 1000;
			ts.tv_nsec = (long)(sleep_ms % 1000) * 1000000;
			nanosleep(&ts, NULL);
		}
		ok = 0;
		ul = strlen(user);
		for (i = optind; i < argc; i++)
			if (strncmp(argv[i], user, ul) == 0 &&
			    argv[i][ul] == ':' && strcmp(argv[i] + ul + 1, pass) == 0)
				ok = 1;
		if (conc)
			printf("%s ", id);
		printf(ok ? "OK\n" : "ERR message=\"wrong password\"\n");
	}
	return 0;
}
