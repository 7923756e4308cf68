/*
 * ca.h -- `sluice -C DIR [-N NAME]...`: make the operator's CA for
 * ssl-bump, once, and say how to use and trust it.
 *
 * Runs in the sluice command (the master's process, nothing forked),
 * never while serving.  Writes DIR/sluice-ca.key (EC P-256, PEM, mode
 * 0600, created with O_EXCL) and DIR/sluice-ca.pem (0644): a self-signed
 * X.509 v3 CA valid from an hour ago for CA_DAYS days, with
 * basicConstraints critical CA:TRUE, pathlen:0 (it signs leaves only),
 * keyUsage critical keyCertSign, cRLSign, a subject key identifier, and
 * with -N names a critical nameConstraints extension (RFC 5280 §4.2.1.10)
 * permitting only those DNS subtrees and no IP address, so the CA cannot
 * be used for any other site even if its key leaks.
 *
 * Caveats:
 *  - Existing files are never overwritten: remove them first to make a
 *    new CA (and trust the new certificate on every client).
 *  - DIR is created (mode 0755) when missing, not its parents.
 */
#ifndef SLUICE_CA_H
#define SLUICE_CA_H

#define CA_DAYS		1096	/* three years */

/**
 * @brief Make the CA in @p dir.
 * @param[in] names  @p nnames DNS names for nameConstraints, "host" or
 *	".domain" (both mean the name and every name below it); none: no
 *	constraint.
 * @return 0 (and the instructions printed on stdout), or -1 after an
 *	error on stderr.
 */
int	ca_create(const char *dir, char *const *names, int nnames);

#endif
