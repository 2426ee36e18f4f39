/* store_int: what the store's files (core/store*.c) share: the store
 * itself, connections with their prepared statements, the series
 * directory and the text dictionary. Not for code outside the store. */
#ifndef VANTAGE_STORE_INT_H
#define VANTAGE_STORE_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <sqlite3.h>

#include "record.h"
#include "store.h"

#define STORE_DAY_MS	86400000LL
/* results written in one group commit, at most (one batch is never cut) */
#define STORE_GROUP_MAX	20000

struct ingest_job;

/* A connection and the statements prepared on it, found by the address
 * of their SQL text (each statement is a static string of one file). */
struct stmt_slot {
	const char	*sql;
	sqlite3_stmt	*st;
};

struct store_conn {
	struct store		*st;
	sqlite3			*db;
	struct stmt_slot	*slots;
	size_t			 nslots;	/* a power of two */
	size_t			 used;
	volatile int		*stop;		/* store_conn_watch */
	bool			 in_read;	/* store_read_begin */
};

/* The series directory: every series, by id and by labels. */
struct series_dir {
	struct store_series	**by_id;	/* index id - 1; NULL for a hole */
	size_t			  nids, aids;
	size_t			 *slot;		/* open-addressing table of ids */
	size_t			  nslot, count;
	/* the writer's series made in its open transaction, not yet visible */
	struct store_series	**pending;
	size_t			  npending, apending;
};

/* The writer's cache of the text dictionary: value -> (id, used day). */
struct text_entry {
	char		*value;
	size_t		 len;
	uint64_t	 hash;
	int64_t		 id, used;
};

struct text_cache {
	struct text_entry	*e;
	size_t			 n, cap;	/* cap: a power of two */
};

struct store {
	bool			 readonly;
	char			*path;
	struct store_conn	 w;		/* the writer (not in readonly) */
	pthread_mutex_t		 wmu;		/* held around every write */
	struct store_conn	*readers;
	int			 nreaders, nfree;
	struct store_conn	**free_readers;
	pthread_mutex_t		 rmu;
	pthread_cond_t		 rcv;
	int64_t			 stored, dups, busy;

	/* series: written under wmu; read under dir_mu by any thread */
	pthread_mutex_t		 dir_mu;
	struct series_dir	 dir;
	struct text_cache	 texts;		/* writer only (wmu) */

	/* thresholds counted at ingest (sorted), and what the DB says about
	 * each threshold it knows (threshold_us, exact_from) */
	int64_t			 thr[STORE_MAX_THRESHOLDS];
	size_t			 nthr;
	int64_t			*known_thr, *known_from;
	size_t			 nknown;

	/* batches waiting to be written together (group commit) */
	pthread_mutex_t		 jq_mu;
	pthread_cond_t		 jq_cv;
	struct ingest_job	*jq;
	bool			 jq_writing;

	void			(*delta_fn)(void *, const struct rollup_delta *, size_t);
	void			*delta_arg;

	/* WAL checkpoints run in their own thread, not inside ingest COMMITs */
	sqlite3			*ckpt;
	pthread_t		 ckpt_th;
	pthread_mutex_t		 ckpt_mu;
	pthread_cond_t		 ckpt_cv;
	int			 ckpt_stop, ckpt_running;
};

/* The statement for sql on c, prepared on first use (persistent), reset
 * and with its bindings cleared. NULL with a message in err. */
sqlite3_stmt *conn_stmt(struct store_conn *c, const char *sql, char *err,
    size_t errlen);
/* Run a statement that returns no rows; rc of the step (SQLITE_DONE). */
int stmt_done(sqlite3_stmt *s);
/* Bind a string or NULL. */
int bind_text_or_null(sqlite3_stmt *s, int i, const char *v);
/* Bind the column value of a text id: NULL for 0. */
int bind_id_or_null(sqlite3_stmt *s, int i, int64_t id);
/* The message of the connection's last error, prefixed with what. -1, or
 * -2 when the DB was busy. */
int conn_fail(struct store_conn *c, int rc, const char *what, char *err,
    size_t errlen);
/* Borrow a reader when c is NULL (for functions taking an optional
 * connection); *borrowed says whether to give it back. */
struct store_conn *conn_or_borrow(struct store *st, struct store_conn *c,
    bool *borrowed);

/* Series directory (core/store_series.c). Load every series (at open). */
int series_load(struct store *st, struct store_conn *c, char *err, size_t errlen);
/* The id of the series with these labels, created (in the writer's open
 * transaction) if new; *created says so (its directory entry is then
 * pending until series_commit). 0 or -1. */
int series_get_or_add(struct store *st, const char *check, const char *agent,
    const char *region, const char *service, const char *layer,
    const char *provider, int64_t now_ms, int64_t *id, char *err, size_t errlen);
/* After COMMIT: make the series added since the last call visible. After
 * ROLLBACK: forget them. */
void series_commit(struct store *st);
void series_rollback(struct store *st);
void series_free(struct store *st);

/* Text dictionary (core/store_texts.c). The id of value (len bytes),
 * inserted in the writer's open transaction if new, its "used" day
 * brought to day. 0 or -1. */
int text_id(struct store *st, const char *value, size_t len, int64_t day,
    int64_t *id, char *err, size_t errlen);
/* The value of text id on c into a new string (caller frees; *len set).
 * NULL with a message in err when missing. */
char *text_value(struct store_conn *c, int64_t id, size_t *len, char *err,
    size_t errlen);
/* Forget the cached entries (after a ROLLBACK or a prune). */
void text_cache_flush(struct store *st);
void text_cache_free(struct store *st);

/* The columns of a results or latest row, in the order of RESULT_COLS
 * (core/store_results.c), from column `first` of s on, into out (texts
 * resolved on c, labels from ser). 0 or -1; out needs
 * stored_result_clear either way. */
#define RESULT_COLS "series, ts, seq, flags, error_class, fields, total_us, " \
	"dns_us, connect_us, tls_us, processing_us, transfer_us, status, bytes, " \
	"attempts, cert_not_after, age_s, kind, url, error, http_version, ip, " \
	"cache, cache_raw, extra"
#define RESULT_NCOLS 25
struct stored_result;
int results_row_read(struct store_conn *c, sqlite3_stmt *s, int first,
    const struct store_series *ser, struct stored_result *out, char *err,
    size_t errlen);


/* Write one record as a raw result (latest false) or as the newest result
 * of its series (with its streaks), in the writer's open transaction. 0,
 * -1 with a message in err. */
int result_put(struct store *st, bool latest, const struct record *r,
    int64_t series, int64_t day, int64_t fail_streak, int64_t ok_streak,
    char *err, size_t errlen);

/* Convert a version-5 DB's tables (core/store_upgrade.c); 0 or -1. */
int store_upgrade_v5(struct store *st, char *err, size_t errlen);

#endif
