/*
 * splice.c -- zero-copy relay through a pipe (splice.h).
 * Runs in the workers.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "splice.h"

/* One pipe buffer: what the kernel gives a pipe by default. */
#define SPIPE_CAP	65536

int
spipe_open(struct spipe *p)
{
	if (p->open)
		return 0;
	if (pipe2(p->fd, O_NONBLOCK | O_CLOEXEC) == -1)
		return -1;
	p->open = 1;
	p->len = 0;
	return 0;
}

void
spipe_close(struct spipe *p)
{
	if (!p->open)
		return;
	close(p->fd[0]);
	close(p->fd[1]);
	p->open = 0;
	p->len = 0;
}

int
spipe_pump(struct spipe *p, int sfd, int dfd, uint64_t max_in, uint64_t *in,
    uint64_t *out, int *src_eof, int *side)
{
	return spipe_pump_max(p, sfd, dfd, max_in, UINT64_MAX, in, out,
	    src_eof, side);
}

int
spipe_pump_max(struct spipe *p, int sfd, int dfd, uint64_t max_in,
    uint64_t max_out, uint64_t *in, uint64_t *out, int *src_eof, int *side)
{
	ssize_t n;
	size_t want, give;
	int progress;

	*in = *out = 0;
	do {
		progress = 0;
		give = p->len;
		if (give > max_out - *out)
			give = (size_t)(max_out - *out);
		if (give > 0) {
			n = splice(p->fd[0], NULL, dfd, NULL, give,
			    SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
			if (n > 0) {
				p->len -= (size_t)n;
				*out += (uint64_t)n;
				progress = 1;
			} else if (n == -1 && errno != EAGAIN && errno != EINTR) {
				*side = 'd';
				return -1;
			}
		}
		want = SPIPE_CAP - p->len;
		if (want > max_in - *in)
			want = (size_t)(max_in - *in);
		if (!*src_eof && want > 0) {
			n = splice(sfd, NULL, p->fd[1], NULL, want,
			    SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
			if (n > 0) {
				p->len += (size_t)n;
				*in += (uint64_t)n;
				progress = 1;
			} else if (n == 0) {
				*src_eof = 1;
				progress = 1;
			} else if (errno != EAGAIN && errno != EINTR) {
				*side = 's';
				return -1;
			}
		}
	} while (progress);
	return 0;
}
