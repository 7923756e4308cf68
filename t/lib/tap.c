/*
 * tap.c -- TAP output for the tests (see tap.h).  Runs in test processes.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"

static int	tap_planned = -1;
static int	tap_run;
static int	tap_failed;

static void
tap_vresult(int cond, const char *fmt, va_list ap)
{
	tap_run++;
	if (!cond)
		tap_failed++;
	printf("%sok %d - ", cond ? "" : "not ", tap_run);
	vprintf(fmt, ap);
	printf("\n");
	fflush(stdout);
}

void
plan(int n)
{
	tap_planned = n;
	printf("1..%d\n", n);
	fflush(stdout);
}

int
ok(int cond, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tap_vresult(cond, fmt, ap);
	va_end(ap);
	return cond;
}

int
is_int(long long got, long long want, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tap_vresult(got == want, fmt, ap);
	va_end(ap);
	if (got != want)
		diag("     got: %lld\n#     expected: %lld", got, want);
	return got == want;
}

int
is_str(const char *got, const char *want, const char *fmt, ...)
{
	va_list ap;
	int cond;

	cond = (got == NULL || want == NULL) ? got == want :
	    strcmp(got, want) == 0;
	va_start(ap, fmt);
	tap_vresult(cond, fmt, ap);
	va_end(ap);
	if (!cond)
		diag("     got: '%s'\n#     expected: '%s'",
		    got ? got : "(null)", want ? want : "(null)");
	return cond;
}

int
like(const char *got, const char *want, const char *fmt, ...)
{
	va_list ap;
	int cond;

	cond = got != NULL && strstr(got, want) != NULL;
	va_start(ap, fmt);
	tap_vresult(cond, fmt, ap);
	va_end(ap);
	if (!cond)
		diag("     '%.2000s'\n#     does not contain '%s'",
		    got ? got : "(null)", want);
	return cond;
}

int
unlike(const char *got, const char *want, const char *fmt, ...)
{
	va_list ap;
	int cond;

	cond = got == NULL || strstr(got, want) == NULL;
	va_start(ap, fmt);
	tap_vresult(cond, fmt, ap);
	va_end(ap);
	if (!cond)
		diag("     '%.2000s'\n#     contains '%s'", got, want);
	return cond;
}

void
diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

void
skip(int n, const char *why, ...)
{
	va_list ap;
	int i;

	for (i = 0; i < n; i++) {
		tap_run++;
		printf("ok %d # SKIP ", tap_run);
		va_start(ap, why);
		vprintf(why, ap);
		va_end(ap);
		printf("\n");
	}
	fflush(stdout);
}

void
bail_out(const char *fmt, ...)
{
	va_list ap;

	printf("Bail out! ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	exit(255);
}

int
exit_status(void)
{
	if (tap_planned >= 0 && tap_run != tap_planned) {
		diag("planned %d tests but ran %d", tap_planned, tap_run);
		return 1;
	}
	return tap_failed ? 1 : 0;
}
