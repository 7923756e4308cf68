/*
 * splice.c -- zero-copy relay through a pipe (splice.h).
 * Runs in the workers.
 *
 * Measured on loopback with bench/connect (one worker pinned to a core,
 * curl and the origin on the other, 100 MiB):
 *  - TCP_NOTSENT_LOWAT on a tunnel's destination socket (spipe_dst_lowat)
 *    keeps the bytes in the pipe until the socket can send them at once:
 *    18% more throughput, the client's CPU per byte down by 30%, the
 *    whole path's (worker, origin, client) by 13-19%, the worker's about
 *    unchanged.
 *  - Pipes of 256 KiB or 1 MiB (F_SETPIPE_SZ) saved about 5% of the
 *    worker's CPU per byte and no throughput, and would exhaust the
 *    per-user pipe budget (fs.pipe-user-pages-soft) sooner, after which
 *    the kernel gives new pipes 8 KiB (1.5 to 1.7 times the worker's CPU
 *    per byte): pipes keep the default size.
 *  - SPLICE_F_MORE on the socket side holds segments back: throughput
 *    fell by more than half.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "splice.h"

/* One pipe buffer: what the kernel gives a pipe by default. */
#define SPIPE_CAP	65536

/*
 * Unsent bytes a tunnel's destination socket may hold (TCP_NOTSENT_LOWAT).
 * 4 to 128 KiB measured alike for throughput; from 64 KiB on, the worker's
 * CPU per byte rose (by half at 128 KiB), at 16 KiB it did not.
 */
#define SPIPE_LOWAT	16384

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
	p->lowat = 0;
}

int
spipe_dst_lowat(struct spipe *p, int dfd)
{
	int v = SPIPE_LOWAT;

	if (p->lowat != 0)
		return p->lowat;
	if (setsockopt(dfd, IPPROTO_TCP, TCP_NOTSENT_LOWAT, &v,
	    sizeof(v)) == -1)
		p->lowat = -1;
	else
		p->lowat = v;
	return p->lowat;
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
