/*
 * mkman.c -- a build tool: copies a man page template from stdin to
 * stdout, putting the list of configuration directives in place of the
 * line ".\" @DIRECTIVES@".  Runs on the build host (make), never installed.
 *
 * The list comes from worker/core/conf_tbl.h, the table conf.c builds
 * the parser and `sluice -h` from, so sluice.conf(5) names the same
 * directives with the same defaults and the same one-line docs, in the
 * same order.  For each directive:
 *
 *	.TP
 *	.B name
 *	doc, escaped for roff
 *	.br
 *	Default: \fBvalue\fR		or "No default." (NULL in the table)
 *
 * t/install-man reads this shape back and compares it with `sluice -h`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MKMAN_MARKER	".\\\" @DIRECTIVES@"

struct mkman_directive {
	const char	*name;
	const char	*def;
	const char	*doc;
};

static const struct mkman_directive mkman_table[] = {
#define CONF_DIRECTIVE(name, min, max, set, field, def, doc)		\
	{ #name, def, doc },
#include "conf_tbl.h"
#undef CONF_DIRECTIVE
};

/*
 * Text as roff reads it (groff_man(7), man-pages(7)): a backslash is
 * "\e", a minus "\-" (options and ranges must copy and paste as ASCII),
 * a '.' or '\'' opening a line would be a request, "\&" defuses it.
 */
static void
mkman_escape(FILE *out, const char *s)
{
	if (*s == '.' || *s == '\'')
		fputs("\\&", out);
	for (; *s != '\0'; s++) {
		if (*s == '\\')
			fputs("\\e", out);
		else if (*s == '-')
			fputs("\\-", out);
		else if (*s == '\n')
			fputc(' ', out);	/* one line per doc */
		else
			fputc(*s, out);
	}
}

static void
mkman_directives(FILE *out)
{
	size_t i;

	for (i = 0; i < sizeof(mkman_table) / sizeof(mkman_table[0]); i++) {
		fprintf(out, ".TP\n.B %s\n", mkman_table[i].name);
		mkman_escape(out, mkman_table[i].doc);
		fputs("\n.br\n", out);
		if (mkman_table[i].def == NULL)
			fputs("No default.\n", out);
		else {
			fputs("Default: \\fB", out);
			mkman_escape(out, mkman_table[i].def);
			fputs("\\fR\n", out);
		}
	}
}

int
main(void)
{
	char line[4096];
	int found = 0;

	while (fgets(line, sizeof(line), stdin) != NULL) {
		if (strncmp(line, MKMAN_MARKER, strlen(MKMAN_MARKER)) == 0 &&
		    (line[strlen(MKMAN_MARKER)] == '\n' ||
		    line[strlen(MKMAN_MARKER)] == '\0')) {
			mkman_directives(stdout);
			found++;
			continue;
		}
		fputs(line, stdout);
	}
	if (ferror(stdin) || fflush(stdout) == EOF || ferror(stdout)) {
		fprintf(stderr, "mkman: read or write error\n");
		return 1;
	}
	if (found != 1) {
		fprintf(stderr, "mkman: the template must hold the line "
		    "'%s' once (found %d)\n", MKMAN_MARKER, found);
		return 1;
	}
	return 0;
}
