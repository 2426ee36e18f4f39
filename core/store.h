/* store: the collector's SQLite DB. One write connection (ingest, pruning)
 * behind a mutex, and a small pool of read connections for the API and the
 * SLO engine (WAL lets them read while ingest writes). The only owner of
 * these sqlite3 handles. */
#ifndef VANTAGE_STORE_H
#define VANTAGE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "errclass.h"

struct store;

/* One validated result of an ingest batch. Strings are borrowed. */
struct ingest_row {
	int64_t		 seq, ts;
	const char	*check, *kind, *service, *layer, *provider;
	bool		 ok;
	bool		 inconclusive;	/* the agent's network was down: stored,
					 * counted, kept out of total/good and
					 * the check-down streaks */
	enum errclass	 error_class;
	bool		 has_cache;	/* the record had a cache field */
	int		 cache;		/* enum cache_status, when has_cache */
	int64_t		 dns_us, connect_us, tls_us, processing_us, transfer_us, total_us;
	const char	*body;		/* the record's JSON text */
	size_t		 body_len;
	bool		 stored;	/* out: true stored, false duplicate */
};

/* What an agent says about itself in each batch. */
struct agent_report {
	const char	*id, *region, *provider, *version;
	int64_t		 outbox_depth, oldest_unshipped;
};

/* Open (create, migrate) the DB at path with nreaders read connections.
 * Returns NULL with a message in err. Close with store_close. */
struct store *store_open(const char *path, int nreaders, char *err, size_t errlen);
/* Store rows in one transaction (results, rollups, agent row); sets each
 * row's stored flag. Returns 0; -1 with a message on error; -2 if the DB
 * stayed busy past busy_ms (nothing stored; the agent should retry). */
int store_ingest(struct store *st, const struct agent_report *rep,
    struct ingest_row *rows, size_t n, int busy_ms, char *err, size_t errlen);
/* Delete raw rows and rollups past their retention, at most `step` rows
 * per table per call; *removed gets the count. 0 or -1. */
int store_prune(struct store *st, int64_t now_ms, int64_t keep_raw_ms,
    int64_t keep_1m_ms, int64_t keep_1h_ms, int64_t keep_1d_ms, int step,
    int64_t *removed, char *err, size_t errlen);
/* Borrow a read connection (waits for a free one); give it back with
 * store_reader_put. The sketch SQL functions are registered on it. */
sqlite3 *store_reader(struct store *st);
void store_reader_put(struct store *st, sqlite3 *db);
/* Results stored / duplicates seen since start (for /metrics). */
void store_counters(struct store *st, int64_t *stored, int64_t *dups,
    int64_t *busy);
/* Close everything. NULL-safe. */
void store_close(struct store *st);

/* Open a DB read-only for vantage-report (sketch functions registered).
 * NULL with a message in err. Close with sqlite3_close. */
sqlite3 *store_open_readonly(const char *path, char *err, size_t errlen);

#endif
