/* store_results: raw results, the newest result per series, recent
 * outcomes and agents, read back as records. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"
#include "store_results.h"
#include "xmalloc.h"

static const char sql_latest_one[] =
    "SELECT " RESULT_COLS ", fail_streak, ok_streak FROM latest WHERE series = ?1";
static const char sql_latest_key[] =
    "SELECT ts, seq FROM latest WHERE series = ?1";
/* newest first along the primary key (series, ts, seq) */
static const char sql_result_keys[] =
    "SELECT ts, seq FROM results WHERE series = ?1 AND ts >= ?2 AND ts < ?3 "
    "ORDER BY ts DESC, seq DESC";
static const char sql_result_keys_ok[] =
    "SELECT ts, seq FROM results WHERE series = ?1 AND ts >= ?2 AND ts < ?3 "
    "AND (flags & 1) = ?4 ORDER BY ts DESC, seq DESC";
static const char sql_result_one[] =
    "SELECT " RESULT_COLS " FROM results WHERE series = ?1 AND ts = ?2 AND "
    "seq = ?3";
static const char sql_outcomes[] =
    "SELECT ts, seq, flags, error_class, total_us FROM results WHERE series = ?1 "
    "ORDER BY ts DESC, seq DESC LIMIT ?2";
static const char sql_runs[] =
    "SELECT ts, seq, flags, error_class, total_us FROM results WHERE series = ?1 "
    "AND ts >= ?2 AND ts < ?3 ORDER BY ts, seq";
static const char sql_runs_first[] =
    "SELECT ts FROM results WHERE series = ?1 ORDER BY ts LIMIT 1";
#define AGENT_COLS "id, region, provider, version, first_seen, last_seen, " \
    "last_seq, outbox_depth, oldest_unshipped"
static const char sql_agent_one[] =
    "SELECT " AGENT_COLS " FROM agents WHERE id = ?1";
static const char sql_agent_all[] =
    "SELECT " AGENT_COLS " FROM agents ORDER BY id";
static const char sql_snap_begin[] = "BEGIN";
static const char sql_snap_end[] = "COMMIT";

/* Hold one read snapshot on c across several statements, unless a read
 * transaction of the caller's (store_read_begin) already does. 0 or -1;
 * *began says whether snap_end must end it. */
static int
snap_begin(struct store_conn *c, bool *began, char *err, size_t errlen)
{
	sqlite3_stmt *s;
	int rc;

	*began = false;
	if (c->in_read)
		return 0;
	if ((s = conn_stmt(c, sql_snap_begin, err, errlen)) == NULL)
		return -1;
	if ((rc = stmt_done(s)) != SQLITE_DONE) {
		conn_fail(c, rc, "BEGIN", err, errlen);
		return -1;
	}
	*began = true;
	return 0;
}

static void
snap_end(struct store_conn *c, bool began)
{
	char err[128];
	sqlite3_stmt *s;

	if (began && (s = conn_stmt(c, sql_snap_end, err, sizeof(err))) != NULL)
		stmt_done(s);
}

void
stored_result_clear(struct stored_result *r)
{
	if (r == NULL)
		return;
	for (int t = 0; t < RT_COUNT; t++)
		free(r->owned[t]);
	memset(r, 0, sizeof(*r));
}

int
results_row_read(struct store_conn *c, sqlite3_stmt *s, int first,
    const struct store_series *ser, struct stored_result *out, char *err,
    size_t errlen)
{
	struct record *r = &out->rec;
	int k = first + 1;	/* the series column is known */
	int flags;

	memset(out, 0, sizeof(*out));
	out->series = ser;
	r->check = ser->check;
	r->agent = ser->agent;
	r->region = ser->region;
	r->service = ser->service;
	r->layer = ser->layer;
	r->provider = ser->provider;
	r->ts = sqlite3_column_int64(s, k++);
	r->seq = sqlite3_column_int64(s, k++);
	flags = sqlite3_column_int(s, k++);
	r->ok = flags & 1;
	r->truncated = (flags & 2) != 0;
	r->inconclusive = (flags & 4) != 0;
	if (sqlite3_column_type(s, k) == SQLITE_NULL || r->ok)
		r->error_class = ERRCLASS_NONE;
	else {
		int ec = sqlite3_column_int(s, k);
		r->error_class = ec > ERRCLASS_NONE && ec < ERRCLASS_COUNT ?
		    (enum errclass)ec : ERRCLASS_INTERNAL;
	}
	k++;
	r->present = (uint32_t)sqlite3_column_int64(s, k++) ^ RECORD_USUAL;
	r->total_us = sqlite3_column_int64(s, k++);
	r->dns_us = sqlite3_column_int64(s, k++);
	r->connect_us = sqlite3_column_int64(s, k++);
	r->tls_us = sqlite3_column_int64(s, k++);
	r->processing_us = sqlite3_column_int64(s, k++);
	r->transfer_us = sqlite3_column_int64(s, k++);
	r->has_status = sqlite3_column_type(s, k) != SQLITE_NULL;
	r->status = sqlite3_column_int64(s, k++);
	r->bytes = sqlite3_column_int64(s, k++);
	r->attempts = sqlite3_column_int64(s, k++);
	r->has_cert = sqlite3_column_type(s, k) != SQLITE_NULL;
	r->cert_not_after = sqlite3_column_int64(s, k++);
	r->age_s = sqlite3_column_int64(s, k++);
	for (int t = 0; t < RT_COUNT; t++, k++) {
		int64_t id = sqlite3_column_int64(s, k);

		if (sqlite3_column_type(s, k) == SQLITE_NULL || id == 0)
			continue;
		if ((out->owned[t] = text_value(c, id, &r->text_len[t], err,
		    errlen)) == NULL)
			return -1;
		r->text[t] = out->owned[t];
	}
	return 0;
}

struct latest_item {
	const struct store_series	*s;
};

static int
cmp_item(const void *pa, const void *pb)
{
	const struct latest_item *a = pa, *b = pb;
	int r;

	if ((r = strcmp(a->s->check, b->s->check)) != 0)
		return r;
	if ((r = strcmp(a->s->agent, b->s->agent)) != 0)
		return r;
	return a->s->id < b->s->id ? -1 : a->s->id > b->s->id;
}

/* The (ts, seq) of the newest result of series id: 1 found, 0 none, -1. */
static int
latest_key(struct store_conn *c, int64_t id, int64_t *ts, int64_t *seq,
    char *err, size_t errlen)
{
	sqlite3_stmt *s = conn_stmt(c, sql_latest_key, err, errlen);
	int rc;

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		*ts = sqlite3_column_int64(s, 0);
		*seq = sqlite3_column_int64(s, 1);
		sqlite3_reset(s);
		return 1;
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		conn_fail(c, rc, "latest", err, errlen);
		return -1;
	}
	return 0;
}

/* Read the latest row of series ser and pass it to fn: 0 (*stop set by
 * fn's answer), or -1. */
static int
latest_one(struct store_conn *c, const struct store_series *ser,
    int (*fn)(const struct stored_result *, void *), void *arg, int *stop,
    char *err, size_t errlen)
{
	sqlite3_stmt *s = conn_stmt(c, sql_latest_one, err, errlen);
	struct stored_result r;
	int step, rc = 0;

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, ser->id);
	if ((step = sqlite3_step(s)) == SQLITE_ROW) {
		if (results_row_read(c, s, 0, ser, &r, err, errlen) < 0)
			rc = -1;
		else {
			r.fail_streak = sqlite3_column_int64(s, RESULT_NCOLS);
			r.ok_streak = sqlite3_column_int64(s, RESULT_NCOLS + 1);
			sqlite3_reset(s);
			*stop = fn(&r, arg);
		}
		stored_result_clear(&r);
	} else if (step != SQLITE_DONE)
		rc = conn_fail(c, step, "latest", err, errlen);
	sqlite3_reset(s);
	return rc;
}

/* store_latest_each and store_latest_current_each. */
static int
latest_walk(struct store *st, const struct selector *sel, bool current,
    int (*fn)(const struct stored_result *r, void *arg), void *arg,
    char *err, size_t errlen)
{
	int64_t *ids;
	size_t n = store_series_match(st, sel, &ids);
	struct latest_item *items = xcalloc(n + 1, sizeof(*items));
	struct store_conn *c = store_conn_get(st);
	bool began = false;
	int rc = 0, stop = 0;

	for (size_t i = 0; i < n; i++)
		items[i].s = store_series_get(st, ids[i]);
	qsort(items, n, sizeof(*items), cmp_item);
	if (current)
		rc = snap_begin(c, &began, err, errlen);
	for (size_t i = 0; i < n && rc == 0 && !stop;) {
		size_t j = i + 1, best = i;

		if (current) {
			int64_t bts = 0, bseq = 0;
			bool found = false;

			while (j < n && strcmp(items[j].s->check, items[i].s->check) == 0 &&
			    strcmp(items[j].s->agent, items[i].s->agent) == 0)
				j++;
			for (size_t k = i; j - i > 1 && k < j && rc == 0; k++) {
				int64_t ts, seq;
				int got = latest_key(c, items[k].s->id, &ts, &seq, err,
				    errlen);

				if (got < 0)
					rc = -1;
				else if (got > 0 && (!found || ts > bts ||
				    (ts == bts && seq > bseq))) {
					found = true;
					bts = ts;
					bseq = seq;
					best = k;
				}
			}
			if (rc < 0)
				break;
		}
		rc = latest_one(c, items[best].s, fn, arg, &stop, err, errlen);
		i = j;
	}
	snap_end(c, began);
	store_conn_put(st, c);
	free(items);
	free(ids);
	return rc;
}

int
store_latest_each(struct store *st, const struct selector *sel,
    int (*fn)(const struct stored_result *r, void *arg), void *arg,
    char *err, size_t errlen)
{
	return latest_walk(st, sel, false, fn, arg, err, errlen);
}

int
store_latest_current_each(struct store *st, const struct selector *sel,
    int (*fn)(const struct stored_result *r, void *arg), void *arg,
    char *err, size_t errlen)
{
	return latest_walk(st, sel, true, fn, arg, err, errlen);
}

/* ---- raw results ---- */

/* One raw result's key, as kept while choosing the newest. */
struct rkey {
	int64_t	ts, seq, series;
};

/* a newer than b: ts, then seq, then series */
static bool
newer(const struct rkey *a, const struct rkey *b)
{
	if (a->ts != b->ts)
		return a->ts > b->ts;
	if (a->seq != b->seq)
		return a->seq > b->seq;
	return a->series > b->series;
}

static int
cmp_newest_first(const void *pa, const void *pb)
{
	const struct rkey *a = pa, *b = pb;

	return newer(a, b) ? -1 : newer(b, a) ? 1 : 0;
}

/* A min-heap (the oldest on top) of the newest keys seen so far. */
struct rheap {
	struct rkey	*v;
	size_t		 n, cap;
};

static void
heap_down(struct rheap *h, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		struct rkey t;

		if (l < h->n && newer(&h->v[m], &h->v[l]))
			m = l;
		if (r < h->n && newer(&h->v[m], &h->v[r]))
			m = r;
		if (m == i)
			return;
		t = h->v[i];
		h->v[i] = h->v[m];
		h->v[m] = t;
		i = m;
	}
}

/* Offer k: false when the heap is full and k is not newer than its
 * oldest (so nothing older from the same series can get in either). */
static bool
heap_offer(struct rheap *h, const struct rkey *k)
{
	if (h->n < h->cap) {
		size_t i = h->n++;

		h->v[i] = *k;
		while (i > 0 && newer(&h->v[(i - 1) / 2], &h->v[i])) {
			struct rkey t = h->v[i];

			h->v[i] = h->v[(i - 1) / 2];
			h->v[(i - 1) / 2] = t;
			i = (i - 1) / 2;
		}
		return true;
	}
	if (!newer(k, &h->v[0]))
		return false;
	h->v[0] = *k;
	heap_down(h, 0);
	return true;
}

/* Offer the keys of one series, newest first, until one cannot get in. */
static int
keys_of_series(struct store_conn *c, const struct results_filter *f,
    int64_t series, struct rheap *h, char *err, size_t errlen)
{
	sqlite3_stmt *s = conn_stmt(c, f->ok < 0 ? sql_result_keys :
	    sql_result_keys_ok, err, errlen);
	int rc;

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, series);
	sqlite3_bind_int64(s, 2, f->from);
	sqlite3_bind_int64(s, 3, f->to);
	if (f->ok >= 0)
		sqlite3_bind_int(s, 4, f->ok ? 1 : 0);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct rkey k = { sqlite3_column_int64(s, 0),
		    sqlite3_column_int64(s, 1), series };

		if (!heap_offer(h, &k))
			break;
	}
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		conn_fail(c, rc, "results", err, errlen);
		return -1;
	}
	return 0;
}

int
store_results_each(struct store *st, const struct results_filter *f,
    int (*fn)(const struct stored_result *r, void *arg), void *arg,
    char *err, size_t errlen)
{
	struct selector sel;
	struct rheap h;
	struct store_conn *c;
	int64_t *ids;
	size_t nids;
	bool began = false;
	int rc = 0, stop = 0;

	if (f->limit < 1 || f->limit > STORE_RESULTS_MAX) {
		snprintf(err, errlen, "results: a limit of 1 to %d", STORE_RESULTS_MAX);
		return -1;
	}
	if (f->to <= f->from)
		return 0;
	memset(&sel, 0, sizeof(sel));
	sel.check = (char *)(uintptr_t)f->check;
	sel.region = (char *)(uintptr_t)f->region;
	nids = store_series_match(st, &sel, &ids);
	memset(&h, 0, sizeof(h));
	h.cap = f->limit;
	h.v = xcalloc(h.cap, sizeof(*h.v));
	c = store_conn_get(st);
	rc = snap_begin(c, &began, err, errlen);
	for (size_t i = 0; i < nids && rc == 0; i++) {
		const struct store_series *ser = store_series_get(st, ids[i]);

		if (ser == NULL || (f->agent && strcmp(ser->agent, f->agent) != 0))
			continue;
		rc = keys_of_series(c, f, ids[i], &h, err, errlen);
	}
	if (rc == 0 && h.n > 1)
		qsort(h.v, h.n, sizeof(*h.v), cmp_newest_first);
	for (size_t i = 0; i < h.n && rc == 0 && !stop; i++) {
		const struct store_series *ser = store_series_get(st, h.v[i].series);
		sqlite3_stmt *s = conn_stmt(c, sql_result_one, err, errlen);
		struct stored_result r;
		int step;

		if (s == NULL) {
			rc = -1;
			break;
		}
		sqlite3_bind_int64(s, 1, h.v[i].series);
		sqlite3_bind_int64(s, 2, h.v[i].ts);
		sqlite3_bind_int64(s, 3, h.v[i].seq);
		if ((step = sqlite3_step(s)) == SQLITE_ROW) {
			if (results_row_read(c, s, 0, ser, &r, err, errlen) < 0)
				rc = -1;
			else {
				sqlite3_reset(s);
				stop = fn(&r, arg);
			}
			stored_result_clear(&r);
		} else if (step != SQLITE_DONE)
			rc = conn_fail(c, step, "results", err, errlen);
		sqlite3_reset(s);
	}
	snap_end(c, began);
	store_conn_put(st, c);
	free(h.v);
	free(ids);
	return rc;
}

/* The outcome of the current row of s (ts, seq, flags, error_class,
 * total_us). */
static void
outcome_of(sqlite3_stmt *s, int64_t series, struct stored_outcome *o)
{
	int flags = sqlite3_column_int(s, 2);

	o->series = series;
	o->ts = sqlite3_column_int64(s, 0);
	o->seq = sqlite3_column_int64(s, 1);
	o->ok = flags & 1;
	o->inconclusive = (flags & 4) != 0;
	o->total_us = sqlite3_column_int64(s, 4);
	if (o->ok || sqlite3_column_type(s, 3) == SQLITE_NULL)
		o->error_class = ERRCLASS_NONE;
	else {
		int ec = sqlite3_column_int(s, 3);

		o->error_class = ec > ERRCLASS_NONE && ec < ERRCLASS_COUNT ?
		    (enum errclass)ec : ERRCLASS_INTERNAL;
	}
}

int
store_runs_each(struct store *st, const int64_t *series, size_t nseries,
    int64_t from_ms, int64_t to_ms, int (*fn)(const struct stored_outcome *o,
    void *arg), void *arg, char *err, size_t errlen)
{
	struct store_conn *c;
	bool began = false;
	int rc, stop = 0;

	if (nseries == 0 || to_ms <= from_ms)
		return 0;
	c = store_conn_get(st);
	rc = snap_begin(c, &began, err, errlen);
	for (size_t i = 0; i < nseries && rc == 0 && !stop; i++) {
		sqlite3_stmt *s = conn_stmt(c, sql_runs, err, errlen);
		int step = SQLITE_DONE;

		if (s == NULL) {
			rc = -1;
			break;
		}
		sqlite3_bind_int64(s, 1, series[i]);
		sqlite3_bind_int64(s, 2, from_ms);
		sqlite3_bind_int64(s, 3, to_ms);
		while (!stop && (step = sqlite3_step(s)) == SQLITE_ROW) {
			struct stored_outcome o;

			outcome_of(s, series[i], &o);
			stop = fn(&o, arg);
		}
		if (!stop && step != SQLITE_DONE)
			rc = conn_fail(c, step, "results", err, errlen);
		sqlite3_reset(s);
	}
	snap_end(c, began);
	store_conn_put(st, c);
	return rc < 0 ? -1 : 0;
}

int
store_runs_first(struct store *st, int64_t *first, char *err, size_t errlen)
{
	int64_t *ids;
	size_t n = store_series_match(st, NULL, &ids);
	struct store_conn *c = store_conn_get(st);
	int rc = 0;

	*first = INT64_MAX;
	for (size_t i = 0; i < n && rc == 0; i++) {
		sqlite3_stmt *s = conn_stmt(c, sql_runs_first, err, errlen);
		int step;

		if (s == NULL) {
			rc = -1;
			break;
		}
		sqlite3_bind_int64(s, 1, ids[i]);
		if ((step = sqlite3_step(s)) == SQLITE_ROW) {
			if (sqlite3_column_int64(s, 0) < *first)
				*first = sqlite3_column_int64(s, 0);
		} else if (step != SQLITE_DONE)
			rc = conn_fail(c, step, "results", err, errlen);
		sqlite3_reset(s);
	}
	store_conn_put(st, c);
	free(ids);
	return rc < 0 ? -1 : 0;
}

int
store_recent_outcomes(struct store *st, const int64_t *series, size_t nseries,
    size_t n, int (*fn)(const struct stored_outcome *o, void *arg), void *arg,
    char *err, size_t errlen)
{
	struct store_conn *c;
	bool began = false;
	int rc, stop = 0;

	if (nseries == 0 || n == 0)
		return 0;
	c = store_conn_get(st);
	rc = snap_begin(c, &began, err, errlen);
	for (size_t i = 0; i < nseries && rc == 0 && !stop; i++) {
		sqlite3_stmt *s = conn_stmt(c, sql_outcomes, err, errlen);
		int step = SQLITE_DONE;

		if (s == NULL) {
			rc = -1;
			break;
		}
		sqlite3_bind_int64(s, 1, series[i]);
		sqlite3_bind_int64(s, 2, (int64_t)n);
		while (!stop && (step = sqlite3_step(s)) == SQLITE_ROW) {
			struct stored_outcome o;

			outcome_of(s, series[i], &o);
			stop = fn(&o, arg);
		}
		if (!stop && step != SQLITE_DONE)
			rc = conn_fail(c, step, "results", err, errlen);
		sqlite3_reset(s);
	}
	snap_end(c, began);
	store_conn_put(st, c);
	return rc < 0 ? -1 : 0;
}

/* ---- agents ---- */

static const char *
col_text(sqlite3_stmt *s, int i)
{
	return (const char *)sqlite3_column_text(s, i);
}

static void
agent_row_read(sqlite3_stmt *s, struct agent_row *a)
{
	a->id = col_text(s, 0);
	a->region = col_text(s, 1);
	a->provider = col_text(s, 2);
	a->version = col_text(s, 3);
	a->first_seen = sqlite3_column_int64(s, 4);
	a->last_seen = sqlite3_column_int64(s, 5);
	a->last_seq = sqlite3_column_int64(s, 6);
	a->outbox_depth = sqlite3_column_int64(s, 7);
	a->oldest_unshipped = sqlite3_column_int64(s, 8);
}

int
store_agent_get(struct store *st, const char *id,
    int (*fn)(const struct agent_row *a, void *arg), void *arg,
    char *err, size_t errlen)
{
	struct store_conn *c = store_conn_get(st);
	sqlite3_stmt *s = conn_stmt(c, sql_agent_one, err, errlen);
	int rc = -1;

	if (s != NULL) {
		sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
		if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
			struct agent_row a;

			agent_row_read(s, &a);
			if (fn != NULL)
				fn(&a, arg);
			rc = 1;
		} else if (rc == SQLITE_DONE)
			rc = 0;
		else
			rc = conn_fail(c, rc, "agents", err, errlen);
		sqlite3_reset(s);
	}
	store_conn_put(st, c);
	return rc < 0 ? -1 : rc;
}

int
store_agents_each(struct store *st,
    int (*fn)(const struct agent_row *a, void *arg), void *arg,
    char *err, size_t errlen)
{
	struct store_conn *c = store_conn_get(st);
	sqlite3_stmt *s = conn_stmt(c, sql_agent_all, err, errlen);
	int rc = -1, stop = 0;

	if (s != NULL) {
		while (!stop && (rc = sqlite3_step(s)) == SQLITE_ROW) {
			struct agent_row a;

			agent_row_read(s, &a);
			stop = fn(&a, arg);
		}
		if (stop || rc == SQLITE_DONE)
			rc = 0;
		else
			rc = conn_fail(c, rc, "agents", err, errlen);
		sqlite3_reset(s);
	}
	store_conn_put(st, c);
	return rc < 0 ? -1 : 0;
}
