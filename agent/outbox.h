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
/* Called by outbox_scan_unshipped for each row: body (len bytes, the JSON
 * record, NUL-terminated) is valid only during the call. Return 0 to go on,
 * 1 to stop. */
typedef int (*outbox_row_fn)(void *arg, int64_t seq, const char *body, size_t len);
/* Visit at most limit unshipped rows with seq > after_seq: oldest first, or
 * newest first when newest is true. Returns 0, or -1 with a message in err
 * (rows visited before the failure were seen by fn). */
int outbox_scan_unshipped(struct outbox *ob, bool newest, int64_t after_seq,
    size_t limit, outbox_row_fn fn, void *arg, char *err, size_t errlen);
/* Mark the rows with these n seqs shipped, in one transaction; seqs that
 * are already shipped or gone are skipped. *marked gets how many rows
 * changed. Returns 0, or -1 with a message in err (then nothing changed). */
int outbox_mark_shipped(struct outbox *ob, const int64_t *seqs, size_t n,
    int64_t *marked, char *err, size_t errlen);
/* The last good set of checks pulled from the collector: *body and *etag
 * (may be NULL) are new strings the caller frees. Returns 1 if there is
 * one, 0 if not, -1 with a message in err. */
int outbox_remote_get(struct outbox *ob, char **body, char **etag,
    int64_t *fetched_ms, char *err, size_t errlen);
/* Replace the kept set (etag may be NULL). 0, or -1 with a message in err. */
int outbox_remote_put(struct outbox *ob, const char *body, const char *etag,
    int64_t fetched_ms, char *err, size_t errlen);
/* Finalize statements and close. NULL-safe. */
void outbox_close(struct outbox *ob);

#endif
