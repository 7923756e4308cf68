/*
 * notify.h -- tell the service manager what the master is doing: the
 * sd_notify protocol of systemd, spoken directly (no libsystemd).
 *
 * Runs in the master only.  The protocol (sd_notify(3), systemd 252):
 * one datagram per state change, sent to the AF_UNIX socket named by the
 * NOTIFY_SOCKET environment variable ("/path", or "@name" for a name in
 * the abstract namespace), holding newline-separated VAR=value lines:
 *
 *	READY=1			start-up (or a reload) is finished
 *	RELOADING=1		a reload began; READY=1 follows when it ends,
 *				MONOTONIC_USEC= (CLOCK_MONOTONIC, in us) with it
 *	STOPPING=1		a graceful stop began
 *	STATUS=text		one line for `systemctl status`
 *	MAINPID=pid		the process systemd should watch (ours)
 *
 * Without NOTIFY_SOCKET every call is a no-op, so the hooks need no
 * condition around them.
 *
 * Caveats:
 *  - Call notify_init() once, in the master, before anything is forked:
 *    it removes NOTIFY_SOCKET from the environment so that no child (nor
 *    an auth helper it execs) can speak for the service.
 *  - A message that cannot be sent is logged ([warn]) and dropped: the
 *    service manager is informed, never obeyed, and the proxy goes on.
 *  - Sending never waits more than NOTIFY_SEND_MS.
 */
#ifndef SLUICE_NOTIFY_H
#define SLUICE_NOTIFY_H

#define NOTIFY_SEND_MS	1000

/**
 * @brief Read (and unset) NOTIFY_SOCKET.
 * @return 1 when a service manager listens (sluice then stays in the
 *	foreground, as systemd's Type=notify expects), 0 when the variable
 *	is not set, -1 when it is unusable (logged; notifications off).
 */
int	notify_init(void);

/**
 * @brief Start-up is done: the first generation of workers is forked on
 *	sockets that are already listening.  Sends READY=1, STATUS=, MAINPID=.
 * @param[in] gen  the running generation (1 at start).
 * @param[in] workers  how many workers it has.
 */
void	notify_ready(unsigned gen, int workers);

/**
 * @brief A SIGHUP reload begins: RELOADING=1 and MONOTONIC_USEC=.
 * @note Partner: notify_reloaded(), always called after it.
 */
void	notify_reloading(const char *path);

/**
 * @brief A reload ended: READY=1 with a STATUS= saying whether the new
 *	generation runs (@p rc 0) or the reload was refused (@p rc -1) and
 *	the old generation goes on.
 * @param[in] rc  master_reload()'s result.
 */
void	notify_reloaded(int rc, unsigned gen, int workers);

/** @brief A graceful stop begins: STOPPING=1, STATUS=. */
void	notify_stopping(void);

#endif
