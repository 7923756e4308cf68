/*
 * listen.h -- the listening sockets of http_port and https_port.
 *
 * Each socket keeps its struct conf_listen (listen_set.addrs): kind
 * CONF_LISTEN_HTTPS marks an https_port, and with it the TLS context the
 * master built (conf_listen.tls_server); the workers get both arrays.  A
 * socket kept across a reload takes the new line's kind and context.
 *
 * Runs in the master, before fork and at reload.  A reload keeps the
 * socket of every address that did not change (the same fd, so nothing
 * queued on it is lost and no connection is refused), binds the new ones
 * and closes the ones no longer configured once the new workers run.
 */
#ifndef SLUICE_LISTEN_H
#define SLUICE_LISTEN_H

#include <stddef.h>

#include "conf.h"

struct listen_set {
	int			*fds;
	struct conf_listen	*addrs;	/* copies; their pointers belong to
					   the conf they came from */
	size_t			 n;
};

/**
 * @brief Open the sockets for @p c, taking unchanged ones from @p old.
 * @param[in] old  the running set, or NULL at start.
 * @param[out] out  the new set.
 * An IPv6 address the host cannot have (no IPv6 at all, EADDRNOTAVAIL or
 *	EAFNOSUPPORT) is skipped with a warning, as squid does.
 * @return 0, or -1 after logging "file:line: cannot listen on ADDR: why"
 *	(sockets bound by this call are closed again, @p old is untouched).
 */
int	listen_open(const struct conf *c, const struct listen_set *old,
	    struct listen_set *out);
/** @brief Close the sockets of @p old that @p keep does not use, free @p old. */
void	listen_retire(struct listen_set *old, const struct listen_set *keep);

#endif
