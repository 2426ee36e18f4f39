/* outbox: the agent's SQLite DB: every result, in batches, with a per-agent
 * sequence number that survives restarts. The only owner of the sqlite3 *. */
#ifndef VANTAGE_OUTBOX_H
#define VANTAGE_OUTBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "result.h"

struct outbox;

struct outbox_retention {
	int64_t	shipped_ms;	/* shipped / local-only rows kept this long */
	int64_t	unshipped_ms;	/* unshipped rows older than this are dropped */
	int64_t	max_rows;	/* hard cap on rows; oldest go first */
};

struct outbox_prune_stats {
	int64_t	expired;	/* shipped rows past retention (quiet) */
	int64_t	dropped;	/* unshipped rows lost to a cap or age (loud) */
	int64_t	capped;		/* rows removed by max_rows */
};

/* Open (creating and migrating) the DB at path. standalone: there is no
 * collector, rows are stored as local-only (shipped = 1). Returns the
 * outbox or NULL with a message in err. Close with outbox_close. */
struct outbox *outbox_open(const char *path, bool standalone, char *err, size_t errlen);
/* Store n results in one transaction, giving each the next seq (written
 * into rs[i]->seq). On failure nothing is stored, seqs are reset to 0,
 * -1 is returned with a message in err. */
int outbox_put(struct outbox *ob, struct result *const *rs, size_t n,
    char *err, size_t errlen);
/* Apply retention in bounded steps; adds what it removed to st. 0 or -1. */
int outbox_prune(struct outbox *ob, int64_t now_ms,
    const struct outbox_retention *ret, struct outbox_prune_stats *st,
    char *err, size_t errlen);
/* Rows waiting to ship, and all rows (kept in memory, no query). */
int64_t outbox_depth(const struct outbox *ob);
int64_t outbox_rows(const struct outbox *ob);
/* Start time (Unix ms) of the oldest unshipped row, 0 if none. */
int64_t outbox_oldest_unshipped_ms(struct outbox *ob);
/* The next seq that will be given. */
int64_t outbox_next_seq(const struct outbox *ob);
/* Finalize statements and close. NULL-safe. */
void outbox_close(struct outbox *ob);

#endif
