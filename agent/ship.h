/* ship: the agent side of the wire protocol (DESIGN.md): signed batches
 * from the outbox to POST /api/v1/ingest, rows marked shipped only once
 * acknowledged, backoff with jitter while the collector is away, and the
 * pull of check definitions from GET /api/v1/agent/checks.
 *
 * The transfers run on the scheduler's CURLM; sched.c stays the one owner
 * of the loop. Each turn it asks ship_next() for a handle to add (and when
 * to ask again), hands every finished handle that ship_owns() to
 * ship_done(), and applies the config ship_take_config() returns. The
 * module's own easy handles (one for batches, one for pulls) are how its
 * transfers are told apart from probes. */
#ifndef VANTAGE_SHIP_H
#define VANTAGE_SHIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>

#include "agentconf.h"
#include "buf.h"
#include "outbox.h"

struct sched;
struct ship;

#define SHIP_MAX_BODY		(1024 * 1024)	/* one batch's JSON at most */
#define SHIP_BACKOFF_BASE_MS	1000
#define SHIP_BACKOFF_CAP_MS	60000
#define SHIP_RETRY_AFTER_MAX_MS	600000	/* a longer Retry-After is cut here */

/* Why a ship failed: the reason label of vantage_agent_ship_errors_total. */
enum ship_error {
	SHIP_ERR_CONNECT = 0,	/* refused, unreachable, TLS, reset */
	SHIP_ERR_TIMEOUT,	/* collector.timeout passed */
	SHIP_ERR_HTTP_5XX,	/* 5xx, including 503 busy */
	SHIP_ERR_UNAUTHORIZED,	/* 401: wrong key or clock */
	SHIP_ERR_TOO_LARGE,	/* 413 */
	SHIP_ERR_BAD_REQUEST,	/* 400 */
	SHIP_ERR_OTHER,		/* 429, other statuses, a malformed answer, DB */
	SHIP_ERR_COUNT
};
extern const char *const ship_error_names[SHIP_ERR_COUNT];

/* Shipping counters. They live in struct sched (as ship_st) and are
 * written and read under its mutex, like the scheduler's own. */
struct ship_stats {
	const char	*url;		/* collector base URL (ship's); NULL: none */
	int64_t		 batches;	/* batches acknowledged */
	int64_t		 shipped;	/* rows marked shipped */
	int64_t		 rejected;	/* results the collector rejected */
	int64_t		 errors[SHIP_ERR_COUNT];
	int64_t		 last_success_ms;	/* Unix ms; 0: never */
	int64_t		 pull_errors;
	int64_t		 pull_refused;	/* pulled sets that did not validate */
	int64_t		 pull_last_success_ms;	/* Unix ms; 0: never */
};

/* Who the batches come from. */
struct ship_ident {
	const char	*agent, *region, *provider;
};

/* One batch: the request body and the seqs in it. */
struct ship_batch {
	struct buf	 body;
	int64_t		*seqs;
	size_t		 n;
	size_t		 nold, nnew;	/* from the oldest / newest end */
	bool		 full;		/* stopped at max_rows or max_bytes */
};

/* Build a batch from ob's unshipped rows: at most max_rows, about 3/4 the
 * oldest and 1/4 the newest (no row twice), and a body of at most max_bytes
 * (a single row bigger than that still goes alone). Row bodies are copied
 * verbatim. The header's outbox_depth and oldest_unshipped are what the
 * batch leaves waiting (0 and 0 when it empties the outbox). b must be
 * zeroed or freed before; release with ship_batch_free. Returns 0 (b->n may
 * be 0), or -1 with a message in err. */
int ship_batch_build(struct outbox *ob, const struct ship_ident *id,
    size_t max_rows, size_t max_bytes, struct ship_batch *b, char *err,
    size_t errlen);
/* Release what b holds and zero it. NULL-safe. */
void ship_batch_free(struct ship_batch *b);

/* Delay before the next try after `failures` (>= 1) failures in a row:
 * full jitter, uniform in [0, min(cap, base * 2^(failures-1))] chosen by
 * rnd; at least retry_after_ms (the collector's Retry-After, <= 0: none,
 * bounded by SHIP_RETRY_AFTER_MAX_MS). */
int64_t ship_backoff_ms(unsigned failures, int64_t retry_after_ms, uint64_t rnd);

/* The collector's answer to a batch. */
struct ship_ack {
	int64_t	*acked;		/* seqs to mark shipped (owned) */
	size_t	 nacked;
	int64_t	 stored, duplicates;
	size_t	 nrejected;
	int64_t	 first_rejected_seq;	/* 0: none or unknown */
	char	 first_rejected[256];	/* its error text */
};

/* Parse a 200 answer {"acked":[...],"stored":n,"duplicates":n,
 * "rejected":[{"index":i,"seq":s,"error":"..."}]}. Returns 0 with ack
 * filled (free with ship_ack_free), or -1 with a message in err. */
int ship_parse_ack(const char *body, size_t len, struct ship_ack *ack,
    char *err, size_t errlen);
/* Release what ack holds. NULL-safe. */
void ship_ack_free(struct ship_ack *ack);

/* The "error" text of a JSON error answer {"error":"..."} into out, or the
 * start of the raw text if it is not one. Returns out. */
char *ship_error_text(const char *body, size_t len, char *out, size_t outlen);

/* Create the shipper for ac (which must have a collector; only copied
 * from) over ob (borrowed), with the last good pulled set read from ob.
 * Returns NULL with a message in err. Free with ship_free. */
struct ship *ship_new(const struct agent_config *ac, struct outbox *ob,
    char *err, size_t errlen);
/* The effective config for ac: ac plus the last good pulled set. Returns a
 * new config (caller frees; ac is untouched), or NULL with the errors
 * logged (the pulled set does not hold against ac's defaults: a reload is
 * refused). A set read from the DB that no longer validates is dropped
 * instead, with a warning, and ac's own checks are returned. Also drops a
 * pulled config not yet applied (the new one holds the same set). Used at
 * start and by SIGHUP reloads. */
struct agent_config *ship_merge_config(struct ship *sh, const struct agent_config *ac);
/* Bind to the scheduler (borrowed): counters, mutex and current config.
 * Called by sched_set_ship. */
void ship_attach(struct ship *sh, struct sched *s);

/* Anything to start now? Returns one easy handle to add to the multi (the
 * caller adds it, then asks again), or NULL; *next_us gets the monotonic
 * time (us) at which to ask again. If adding fails, pass the handle to
 * ship_done with CURLE_FAILED_INIT. */
CURL *ship_next(struct ship *sh, int64_t now_us, int64_t *next_us);
/* Is e one of the ship's handles? */
bool ship_owns(const struct ship *sh, CURL *e);
/* e (already removed from the multi) finished with code: read the answer,
 * mark rows, schedule the next try. */
void ship_done(struct ship *sh, CURL *e, CURLcode code);
/* Is a transfer in flight? (SIGTERM waits for it.) NULL-safe. */
bool ship_busy(const struct ship *sh);
/* A new effective config built from newly pulled checks, for the scheduler
 * to swap in (caller owns it), or NULL. */
struct agent_config *ship_take_config(struct ship *sh);
/* Remove in-flight handles from multi (before it is cleaned up). */
void ship_abort(struct ship *sh, CURLM *multi);
/* Free everything. NULL-safe. */
void ship_free(struct ship *sh);

#endif
