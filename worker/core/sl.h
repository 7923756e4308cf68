/*
 * sl.h -- the result codes of I/O-driven functions (nginx's vocabulary).
 * Used by every process.
 */
#ifndef SLUICE_SL_H
#define SLUICE_SL_H

#define SL_OK		 0	/* done with this step, go on */
#define SL_ERROR	-1	/* failed; the caller decides */
#define SL_AGAIN	-2	/* an event or timer is armed: call me again */
#define SL_DONE		-3	/* finished or handed off: the object may be gone */
#define SL_DECLINED	-4	/* not mine */

/* Invariant checks kept in production (Varnish's AN/AZ).  Never on peer input. */
#include <stdlib.h>
#define AN(x)	do { if (!(x)) abort(); } while (0)
#define AZ(x)	do { if ((x)) abort(); } while (0)
#define CHECK_MAGIC(p, m)	do { if ((p) == NULL || (p)->magic != (m)) abort(); } while (0)

#endif
