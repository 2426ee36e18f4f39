/* Unit tests: the collector store (core/store*.c): idempotent ingest and
 * duplicates, the newest result of each series and its streaks, results
 * read back as the records that were sent, rollups equal to the raw rows
 * (tier by tier and through rollup_aggregate), exact latency-threshold
 * counts against a recount of the raw records, retention, agents, and
 * the one-time conversion of a version-5 DB. */
#include "config.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "record.h"
#include "rollup.h"
#include "sketch.h"
#include "store.h"
#include "store_results.h"
#include "timeutil.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define MIN_MS	60000LL
#define HOUR_MS	3600000LL
#define DAY_MS	86400000LL

static char dir[64];
static char path[128];

static void
setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/vantage-store-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/c.db", dir);
}

static void
teardown(void)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static struct store *
open_store(int nreaders)
{
	char err[256];
	struct store *st = store_open(path, nreaders, err, sizeof(err));

	ck_assert_msg(st != NULL, "%s", err);
	return st;
}

/* ---- batches: records as agents send them ---- */

static const char *const checks[] = { "fd-health", "edge-health", "central-health" };
static const char *const layers[] = { "front_door", "edge", "central" };
static const char *const caches[] = { "hit", "miss", "stale", "bypass", "a-new-one" };

/* One record as an agent sends it; ec NULL: it passed. Every few carry a
 * cache status or a kind-specific extra. */
static json_t *
mk_rec(const char *agent, const char *region, int64_t seq, int64_t ts,
    const char *check, const char *layer, const char *ec, int64_t total_us)
{
	json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s?,s:I,s:I,s:b,s:s?,"
	    "s:s?,s:o,s:s,s:s,s:I,s:b,s:I,s:I,s:I,s:I,s:I,s:I,s:i,s:I}",
	    "check", check, "kind", "http", "service", "micro", "layer", layer,
	    "provider", "p", "url", "https://micro.example/h", "agent", agent,
	    "region", region, "seq", (json_int_t)seq, "ts", (json_int_t)ts,
	    "ok", ec == NULL, "error_class", ec, "error", ec ? "it broke" : NULL,
	    "status", ec ? json_integer(503) : json_integer(200),
	    "http_version", "1.1", "ip", "192.0.2.7", "bytes", (json_int_t)42,
	    "truncated", 0, "dns_us", (json_int_t)(total_us / 10),
	    "connect_us", (json_int_t)(total_us / 9), "tls_us", (json_int_t)(total_us / 8),
	    "processing_us", (json_int_t)(total_us / 4), "transfer_us", (json_int_t)7,
	    "total_us", (json_int_t)total_us, "attempts", 1,
	    "cert_not_after", (json_int_t)(1760000000 + seq));

	ck_assert_ptr_nonnull(o);
	if (seq % 4 != 0)
		json_object_set_new(o, "cache", json_string(caches[seq % 5]));
	if (seq % 2 == 0) {
		char id[32];

		snprintf(id, sizeof(id), "p-%lld", (long long)seq);
		json_object_set_new(o, "probe_id", json_string(id));
	}
	return o;
}

struct batch {
	const char	*agent, *region;
	json_t		*arr;		/* the records as sent */
	struct record	*r;
	bool		*stored;
	size_t		 n;
};

static void
batch_init(struct batch *b, const char *agent, const char *region)
{
	memset(b, 0, sizeof(*b));
	b->agent = agent;
	b->region = region;
	b->arr = json_array();
}

static void
batch_add(struct batch *b, json_t *rec)
{
	json_array_append_new(b->arr, rec);
}

/* Parse every record (they must all be valid) and store the batch. */
static int
batch_ingest(struct store *st, struct batch *b, char *err, size_t errlen)
{
	struct agent_report rep = { b->agent, b->region, "hetzner", "0.1.0", 3, 0 };
	json_t *v;
	size_t i;

	b->n = json_array_size(b->arr);
	b->r = calloc(b->n + 1, sizeof(*b->r));
	b->stored = calloc(b->n + 1, sizeof(*b->stored));
	json_array_foreach(b->arr, i, v)
		ck_assert_msg(record_parse(v, b->agent, b->region, INT64_MAX, &b->r[i],
		    err, errlen) == 0, "record %zu: %s", i, err);
	return store_ingest(st, &rep, b->r, b->n, b->stored, 1000, err, errlen);
}

static void
batch_free(struct batch *b)
{
	for (size_t i = 0; b->r && i < b->n; i++)
		record_clear(&b->r[i]);
	free(b->r);
	free(b->stored);
	json_decref(b->arr);
	memset(b, 0, sizeof(*b));
}

/* Deterministic records: seq first.., every 30 s up to end_ms; every 7th
 * fails (timeout), latency grows with seq. */
static void
fill_batch(struct batch *b, int64_t first, size_t n, int64_t end_ms)
{
	for (size_t i = 0; i < n; i++) {
		int64_t seq = first + (int64_t)i;

		batch_add(b, mk_rec(b->agent, b->region, seq,
		    end_ms - (int64_t)(n - i) * 30000, checks[seq % 3], layers[seq % 3],
		    seq % 7 == 0 ? "timeout" : NULL, 1000 + (seq % 100) * 1000));
	}
}

/* Store n such records in batches of 500. */
static void
ingest_many(struct store *st, const char *agent, const char *region,
    int64_t first, size_t n, int64_t end_ms)
{
	char err[256];

	for (size_t off = 0; off < n; off += 500) {
		struct batch b;
		size_t k = n - off < 500 ? n - off : 500;

		batch_init(&b, agent, region);
		fill_batch(&b, first + (int64_t)off, k, end_ms - (int64_t)(n - off - k) *
		    30000);
		ck_assert_msg(batch_ingest(st, &b, err, sizeof(err)) == 0, "%s", err);
		batch_free(&b);
	}
}

/* ---- reading back ---- */

/* The raw rows of the store, as records and their JSON. */
struct raw {
	struct rawrow {
		int64_t		 series, ts, seq;
		struct record	 rec;		/* texts and labels dropped */
		int		 cache;		/* enum cache_status; -1 none */
		json_t		*json;
	}		*v;
	size_t		 n, alloc;
};

static int
raw_add(const struct stored_result *r, void *arg)
{
	struct raw *x = arg;
	struct rawrow *w;

	if (x->n == x->alloc) {
		x->alloc = x->alloc ? 2 * x->alloc : 256;
		x->v = realloc(x->v, x->alloc * sizeof(*x->v));
		ck_assert_ptr_nonnull(x->v);
	}
	w = &x->v[x->n++];
	w->series = r->series->id;
	w->ts = r->rec.ts;
	w->seq = r->rec.seq;
	w->rec = r->rec;
	/* the cache status, not its borrowed text */
	w->cache = r->rec.text[RT_CACHE] ?
	    (int)cache_status_parse(r->rec.text[RT_CACHE]) : -1;
	for (int t = 0; t < RT_COUNT; t++)
		w->rec.text[t] = NULL;
	w->rec.check = w->rec.agent = w->rec.region = NULL;
	w->rec.service = w->rec.layer = w->rec.provider = NULL;
	w->rec.extra_owned = false;
	w->json = record_to_json(&r->rec);
	ck_assert_ptr_nonnull(w->json);
	return 0;
}

static void
raw_load(struct store *st, const struct results_filter *f, struct raw *x)
{
	struct results_filter all = { 0, INT64_MAX, NULL, NULL, NULL, -1,
		STORE_RESULTS_MAX };
	char err[256];

	memset(x, 0, sizeof(*x));
	ck_assert_msg(store_results_each(st, f ? f : &all, raw_add, x, err,
	    sizeof(err)) == 0, "%s", err);
}

static void
raw_free(struct raw *x)
{
	for (size_t i = 0; i < x->n; i++)
		json_decref(x->v[i].json);
	free(x->v);
	memset(x, 0, sizeof(*x));
}

/* What a rollup row holds, recounted. */
struct sums {
	int64_t	total, good, inconclusive;
	int64_t	e[ERRCLASS_COUNT], ph[6], cache[CACHE_NSTATUS];
};

/* Count one raw row the way the rollups must: an inconclusive failure
 * is counted apart and is no event. */
static void
sums_add_raw(struct sums *s, const struct rawrow *w)
{
	const struct record *r = &w->rec;

	if (r->inconclusive && !r->ok) {
		s->inconclusive++;
		return;
	}
	s->total++;
	if (r->ok)
		s->good++;
	else
		s->e[r->error_class]++;
	if (w->cache >= 0)
		s->cache[w->cache]++;
	s->ph[0] += r->dns_us;
	s->ph[1] += r->connect_us;
	s->ph[2] += r->tls_us;
	s->ph[3] += r->processing_us;
	s->ph[4] += r->transfer_us;
	s->ph[5] += r->total_us;
}

static void
sums_add_row(struct sums *s, const struct rollup_row *r)
{
	s->total += r->total;
	s->good += r->good;
	s->inconclusive += r->inconclusive;
	for (int e = 0; e < ERRCLASS_COUNT; e++)
		s->e[e] += r->e[e];
	for (int p = 0; p < 6; p++)
		s->ph[p] += r->ph[p];
	for (int c = 0; c < CACHE_NSTATUS; c++)
		s->cache[c] += r->cache[c];
}

static void
sums_eq(const struct sums *a, const struct sums *b, const char *what)
{
	ck_assert_msg(a->total == b->total && a->good == b->good &&
	    a->inconclusive == b->inconclusive, "%s: total/good/inconclusive "
	    "%lld/%lld/%lld, want %lld/%lld/%lld", what, (long long)a->total,
	    (long long)a->good, (long long)a->inconclusive, (long long)b->total,
	    (long long)b->good, (long long)b->inconclusive);
	for (int e = 0; e < ERRCLASS_COUNT; e++)
		ck_assert_msg(a->e[e] == b->e[e], "%s: errors of class %d", what, e);
	for (int p = 0; p < 6; p++)
		ck_assert_msg(a->ph[p] == b->ph[p], "%s: phase %d sum %lld, want %lld",
		    what, p, (long long)a->ph[p], (long long)b->ph[p]);
	for (int c = 0; c < CACHE_NSTATUS; c++)
		ck_assert_msg(a->cache[c] == b->cache[c], "%s: cache status %d", what, c);
}

/* Every rollup row of a tier: per (series, bucket), and how many. */
struct rows {
	struct rowsum {
		int64_t		series, bucket;
		struct sums	s;
		uint64_t	sketch_count;
	}		*v;
	size_t		 n, alloc;
};

static int
rows_add(const struct rollup_row *r, void *arg)
{
	struct rows *x = arg;
	struct rowsum *w;
	struct sketch sk;

	if (x->n == x->alloc) {
		x->alloc = x->alloc ? 2 * x->alloc : 256;
		x->v = realloc(x->v, x->alloc * sizeof(*x->v));
		ck_assert_ptr_nonnull(x->v);
	}
	w = &x->v[x->n++];
	memset(w, 0, sizeof(*w));
	w->series = r->series;
	w->bucket = r->bucket;
	sums_add_row(&w->s, r);
	sketch_init(&sk);
	if (r->sketch != NULL)
		ck_assert_int_eq(sketch_decode_merge(&sk, r->sketch, r->sketch_len), 0);
	w->sketch_count = sk.count;
	sketch_free(&sk);
	return 0;
}

static void
rows_load(struct store *st, enum store_tier t, struct rows *x)
{
	int64_t *ids;
	size_t n = store_series_match(st, NULL, &ids);
	char err[256];

	memset(x, 0, sizeof(*x));
	for (size_t i = 0; i < n; i++)
		ck_assert_msg(store_rollup_scan(st, NULL, ids[i], t, INT64_MIN, INT64_MAX,
		    rows_add, x, err, sizeof(err)) == 0, "%s", err);
	free(ids);
}

static int64_t
floor_to(int64_t t, int64_t w)
{
	return t - ((t % w) + w) % w;
}

/* Each rollup row of tier t equals the recount of the raw rows of its
 * series and bucket, and no raw row is outside a row. */
static void
rollups_match_raw(struct store *st, const struct raw *raw, enum store_tier t)
{
	struct rows rows;
	struct sums all_rows, all_raw;
	char what[96];

	rows_load(st, t, &rows);
	memset(&all_rows, 0, sizeof(all_rows));
	memset(&all_raw, 0, sizeof(all_raw));
	for (size_t i = 0; i < rows.n; i++) {
		struct sums want;

		memset(&want, 0, sizeof(want));
		for (size_t j = 0; j < raw->n; j++)
			if (raw->v[j].series == rows.v[i].series &&
			    floor_to(raw->v[j].ts, store_tier_ms[t]) == rows.v[i].bucket)
				sums_add_raw(&want, &raw->v[j]);
		snprintf(what, sizeof(what), "tier %d, series %lld, bucket %lld", (int)t,
		    (long long)rows.v[i].series, (long long)rows.v[i].bucket);
		sums_eq(&rows.v[i].s, &want, what);
		ck_assert_msg(rows.v[i].sketch_count == (uint64_t)want.good,
		    "%s: the sketch holds %llu runs, %lld passed", what,
		    (unsigned long long)rows.v[i].sketch_count, (long long)want.good);
		all_rows.total += rows.v[i].s.total;
		all_rows.good += rows.v[i].s.good;
		all_rows.inconclusive += rows.v[i].s.inconclusive;
	}
	for (size_t j = 0; j < raw->n; j++)
		sums_add_raw(&all_raw, &raw->v[j]);
	ck_assert_msg(all_rows.total == all_raw.total && all_rows.good == all_raw.good &&
	    all_rows.inconclusive == all_raw.inconclusive,
	    "tier %d: the rows hold %lld runs, the raw table %lld", (int)t,
	    (long long)all_rows.total, (long long)all_raw.total);
	free(rows.v);
}

/* ---- ingest ---- */

START_TEST(test_idempotent)
{
	struct store *st = open_store(2);
	struct batch b;
	struct raw raw;
	int64_t now = time_now_ms(), stored, dups, busy;
	char err[256];

	batch_init(&b, "a1", "eu");
	fill_batch(&b, 1, 100, now);
	ck_assert_msg(batch_ingest(st, &b, err, sizeof(err)) == 0, "%s", err);
	for (size_t i = 0; i < b.n; i++)
		ck_assert(b.stored[i]);
	batch_free(&b);
	/* the same batch again: acknowledged, nothing stored twice */
	batch_init(&b, "a1", "eu");
	fill_batch(&b, 1, 100, now);
	ck_assert_msg(batch_ingest(st, &b, err, sizeof(err)) == 0, "%s", err);
	for (size_t i = 0; i < b.n; i++)
		ck_assert(!b.stored[i]);
	batch_free(&b);
	raw_load(st, NULL, &raw);
	ck_assert_uint_eq(raw.n, 100);
	store_counters(st, &stored, &dups, &busy);
	ck_assert_int_eq(stored, 100);
	ck_assert_int_eq(dups, 100);
	ck_assert_int_eq(busy, 0);
	rollups_match_raw(st, &raw, STORE_1M);
	rollups_match_raw(st, &raw, STORE_1D);
	raw_free(&raw);
	store_close(st);
}
END_TEST

/* An overlapping batch stores only what is new, says which, and the
 * rollups count each result once. A batch with duplicates inside counts
 * the second copy as a duplicate. */
START_TEST(test_duplicates)
{
	struct store *st = open_store(2);
	struct batch b;
	struct raw raw;
	int64_t now = time_now_ms(), stored, dups, busy;
	char err[256];

	batch_init(&b, "a1", "eu");
	fill_batch(&b, 1, 60, now - 60 * 30000);
	ck_assert_msg(batch_ingest(st, &b, err, sizeof(err)) == 0, "%s", err);
	batch_free(&b);
	/* 41..100: 41..60 were stored already (same ts: an honest replay) */
	batch_init(&b, "a1", "eu");
	fill_batch(&b, 41, 20, now - 60 * 30000);
	fill_batch(&b, 61, 40, now - 20 * 30000);
	/* and seq 100 twice in the same batch */
	batch_add(&b, json_copy(json_array_get(b.arr, 59)));
	ck_assert_msg(batch_ingest(st, &b, err, sizeof(err)) == 0, "%s", err);
	for (size_t i = 0; i < b.n; i++)
		ck_assert_msg(b.stored[i] == (i >= 20 && i < 60), "record %zu (seq %lld): "
		    "stored %d", i, (long long)b.r[i].seq, b.stored[i]);
	batch_free(&b);
	store_counters(st, &stored, &dups, &busy);
	ck_assert_int_eq(stored, 100);
	ck_assert_int_eq(dups, 21);
	raw_load(st, NULL, &raw);
	ck_assert_uint_eq(raw.n, 100);
	for (size_t i = 1; i < raw.n; i++)
		ck_assert(raw.v[i - 1].ts >= raw.v[i].ts);
	for (int t = 0; t < STORE_NTIERS; t++)
		rollups_match_raw(st, &raw, (enum store_tier)t);
	raw_free(&raw);
	store_close(st);
}
END_TEST

/* The results come back as the records that were sent, field for field:
 * unknown fields, a region of the record's own, nulls. */
START_TEST(test_records_served_back)
{
	struct store *st = open_store(2);
	struct batch b;
	struct raw raw;
	int64_t now = time_now_ms();
	json_t *odd;
	char err[256];

	batch_init(&b, "a1", "eu");
	fill_batch(&b, 1, 30, now);
	odd = mk_rec("a1", "us-east", 31, now - 1000, "c", "edge", "dns", 5);
	json_object_set_new(odd, "answers", json_pack("[s,s]", "192.0.2.1", "::1"));
	json_object_set_new(odd, "status", json_null());
	json_object_set_new(odd, "bytes", json_null());
	json_object_set_new(odd, "newer_field", json_pack("{s:[i,b]}", "x", 1, 1));
	batch_add(&b, odd);
	ck_assert_msg(batch_ingest(st, &b, err, sizeof(err)) == 0, "%s", err);
	raw_load(st, NULL, &raw);
	ck_assert_uint_eq(raw.n, 31);
	for (size_t i = 0; i < raw.n; i++) {
		json_t *sent = json_array_get(b.arr, (size_t)raw.v[i].seq - 1);
		char *a = json_dumps(sent, JSON_SORT_KEYS), *g = json_dumps(raw.v[i].json,
		    JSON_SORT_KEYS);

		ck_assert_msg(json_equal(sent, raw.v[i].json), "seq %lld:\n sent %s\n "
		    "back %s", (long long)raw.v[i].seq, a, g);
		free(a);
		free(g);
	}
	/* the series carries the batch's region, the record keeps its own */
	{
		const struct store_series *ser = store_series_get(st, raw.v[0].series);

		ck_assert_int_eq(raw.v[0].seq, 31);
		ck_assert_str_eq(ser->region, "eu");
		ck_assert_str_eq(ser->check, "c");
		ck_assert_str_eq(json_string_value(json_object_get(raw.v[0].json,
		    "region")), "us-east");
	}
	raw_free(&raw);
	batch_free(&b);
	store_close(st);
}
END_TEST

/* ---- the newest result per series ---- */

struct latest_seen {
	size_t		 n;
	int64_t		 seq[8], fail[8], okc[8];
	const char	*layer[8];
	bool		 inconclusive[8];
};

static int
latest_add(const struct stored_result *r, void *arg)
{
	struct latest_seen *x = arg;

	ck_assert_uint_lt(x->n, 8);
	x->seq[x->n] = r->rec.seq;
	x->fail[x->n] = r->fail_streak;
	x->okc[x->n] = r->ok_streak;
	x->layer[x->n] = r->series->layer;
	x->inconclusive[x->n] = r->rec.inconclusive;
	x->n++;
	return 0;
}

static void
latest_load(struct store *st, bool current, const struct selector *sel,
    struct latest_seen *x)
{
	char err[256];

	memset(x, 0, sizeof(*x));
	ck_assert_msg((current ? store_latest_current_each :
	    store_latest_each)(st, sel, latest_add, x, err, sizeof(err)) == 0, "%s",
	    err);
}

static void
ingest_one_batch(struct store *st, const char *agent, const char *region,
    const int64_t *seq, const char *const *ec, const bool *inconclusive,
    const char *layer, size_t n, int64_t base)
{
	struct batch b;
	char err[256];

	batch_init(&b, agent, region);
	for (size_t i = 0; i < n; i++) {
		json_t *o = mk_rec(agent, region, seq[i], base + seq[i] * 1000, "c",
		    layer, ec[i], 1000);

		if (inconclusive && inconclusive[i])
			json_object_set_new(o, "inconclusive", json_true());
		batch_add(&b, o);
	}
	ck_assert_msg(batch_ingest(st, &b, err, sizeof(err)) == 0, "%s", err);
	for (size_t i = 0; i < n; i++)
		ck_assert(b.stored[i]);
	batch_free(&b);
}

/* Streaks count conclusive results in seq order; an inconclusive one is
 * shown but leaves them alone; a late batch changes nothing. A label
 * change starts a new series, and the current one is the one with the
 * newest result. */
START_TEST(test_latest_streaks)
{
	struct store *st = open_store(2);
	int64_t base = time_now_ms() - HOUR_MS;
	struct latest_seen x;
	struct selector sel;

	{
		const int64_t seq[] = { 1, 2, 3, 5 };
		const char *const ec[] = { NULL, "timeout", "timeout", "timeout" };

		ingest_one_batch(st, "a1", "eu", seq, ec, NULL, "front_door", 4, base);
	}
	latest_load(st, false, NULL, &x);
	ck_assert_uint_eq(x.n, 1);
	ck_assert_int_eq(x.seq[0], 5);
	ck_assert_int_eq(x.fail[0], 3);
	ck_assert_int_eq(x.okc[0], 0);
	{
		const int64_t seq[] = { 6, 7 };
		const char *const ec[] = { NULL, "connect" };
		const bool inc[] = { false, true };

		ingest_one_batch(st, "a1", "eu", seq, ec, inc, "front_door", 2, base);
	}
	latest_load(st, false, NULL, &x);
	ck_assert_int_eq(x.seq[0], 7);
	ck_assert(x.inconclusive[0]);
	ck_assert_int_eq(x.fail[0], 0);
	ck_assert_int_eq(x.okc[0], 1);
	/* late: seq 4 arrives after 7 */
	{
		const int64_t seq[] = { 4 };
		const char *const ec[] = { "dns" };

		ingest_one_batch(st, "a1", "eu", seq, ec, NULL, "front_door", 1, base);
	}
	latest_load(st, false, NULL, &x);
	ck_assert_int_eq(x.seq[0], 7);
	ck_assert_int_eq(x.fail[0], 0);
	ck_assert_int_eq(x.okc[0], 1);

	/* the check moves to another layer: a new series */
	{
		const int64_t seq[] = { 8 };
		const char *const ec[] = { "timeout" };

		ingest_one_batch(st, "a1", "eu", seq, ec, NULL, "edge", 1, base);
	}
	latest_load(st, false, NULL, &x);
	ck_assert_uint_eq(x.n, 2);
	ck_assert_int_eq(x.seq[0] + x.seq[1], 7 + 8);
	latest_load(st, true, NULL, &x);
	ck_assert_uint_eq(x.n, 1);
	ck_assert_int_eq(x.seq[0], 8);
	ck_assert_str_eq(x.layer[0], "edge");
	ck_assert_int_eq(x.fail[0], 1);
	memset(&sel, 0, sizeof(sel));
	sel.layer = "front_door";
	latest_load(st, false, &sel, &x);
	ck_assert_uint_eq(x.n, 1);
	ck_assert_int_eq(x.seq[0], 7);
	/* and back: the first series is current again */
	{
		const int64_t seq[] = { 9 };
		const char *const ec[] = { NULL };

		ingest_one_batch(st, "a1", "eu", seq, ec, NULL, "front_door", 1, base);
	}
	latest_load(st, true, NULL, &x);
	ck_assert_uint_eq(x.n, 1);
	ck_assert_int_eq(x.seq[0], 9);
	ck_assert_str_eq(x.layer[0], "front_door");
	ck_assert_int_eq(x.okc[0], 2);
	/* another agent: its own line */
	{
		const int64_t seq[] = { 1 };
		const char *const ec[] = { NULL };

		ingest_one_batch(st, "a2", "us", seq, ec, NULL, "front_door", 1, base);
	}
	latest_load(st, true, NULL, &x);
	ck_assert_uint_eq(x.n, 2);
	store_close(st);
}
END_TEST

/* Inconclusive failures (the agent's own network was down) are stored and
 * counted, but are no events: not in total/good or the error counts, and
 * the check-down streaks stay where they were. A consistency failure has
 * its own count. */
START_TEST(test_inconclusive_and_consistency)
{
	struct store *st = open_store(2);
	int64_t now = time_now_ms();
	struct rollup_query q;
	struct rollup_agg *a;
	struct latest_seen x;
	struct batch b;
	struct raw raw;
	size_t n, ninc = 0;
	char err[256];

	batch_init(&b, "a1", "eu");
	for (int i = 0; i < 6; i++) {
		static const char *const ec[] = { NULL, "timeout", "connect", "connect",
			"connect", "consistency" };
		json_t *o = mk_rec("a1", "eu", i + 1, now - 60000 + i * 1000,
		    i < 5 ? "c" : "assets", "edge", ec[i], 1000);

		if (i >= 2 && i <= 4)
			json_object_set_new(o, "inconclusive", json_true());
		batch_add(&b, o);
	}
	ck_assert_msg(batch_ingest(st, &b, err, sizeof(err)) == 0, "%s", err);
	batch_free(&b);
	raw_load(st, NULL, &raw);
	for (size_t i = 0; i < raw.n; i++)
		ninc += raw.v[i].rec.inconclusive;
	ck_assert_uint_eq(ninc, 3);
	for (int t = 0; t < STORE_NTIERS; t++)
		rollups_match_raw(st, &raw, (enum store_tier)t);
	raw_free(&raw);
	memset(&q, 0, sizeof(q));
	q.from = now - HOUR_MS;
	q.to = now + 1;
	q.by = ROLLUP_BY_CHECK;
	ck_assert_msg(rollup_aggregate(st, NULL, &q, &a, &n, err, sizeof(err)) == 0,
	    "%s", err);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(a[0].check, "assets");
	ck_assert_int_eq(a[0].e[ERRCLASS_CONSISTENCY], 1);
	ck_assert_str_eq(a[1].check, "c");
	ck_assert_int_eq(a[1].total, 2);
	ck_assert_int_eq(a[1].good, 1);
	ck_assert_int_eq(a[1].inconclusive, 3);
	ck_assert_int_eq(a[1].e[ERRCLASS_TIMEOUT], 1);
	ck_assert_int_eq(a[1].e[ERRCLASS_CONNECT], 0);
	rollup_aggs_free(a, n);
	/* the newest result is shown; its streak is the timeout's */
	{
		struct selector sel;

		memset(&sel, 0, sizeof(sel));
		sel.check = "c";
		latest_load(st, false, &sel, &x);
	}
	ck_assert_uint_eq(x.n, 1);
	ck_assert_int_eq(x.seq[0], 5);
	ck_assert_int_eq(x.fail[0], 1);
	ck_assert_int_eq(x.okc[0], 0);
	store_close(st);
}
END_TEST

/* A first result that is inconclusive starts no streak either. */
START_TEST(test_inconclusive_first)
{
	struct store *st = open_store(1);
	struct latest_seen x;
	struct rows rows;
	const int64_t seq[] = { 1 };
	const char *const ec[] = { "dns" };
	const bool inc[] = { true };

	ingest_one_batch(st, "a1", "eu", seq, ec, inc, "edge", 1, time_now_ms() -
	    10000);
	latest_load(st, false, NULL, &x);
	ck_assert_uint_eq(x.n, 1);
	ck_assert_int_eq(x.fail[0] + x.okc[0], 0);
	rows_load(st, STORE_1M, &rows);
	ck_assert_uint_eq(rows.n, 1);
	ck_assert_int_eq(rows.v[0].s.total, 0);
	ck_assert_int_eq(rows.v[0].s.inconclusive, 1);
	free(rows.v);
	store_close(st);
}
END_TEST

/* ---- rollups against the raw rows ---- */

/* Three days of 30 s results from two agents: every rollup row of every
 * tier is the recount of its raw rows, and aggregates over many windows
 * (split into day, hour and minute pieces) equal a recount of the raw
 * rows in the widened window. */
START_TEST(test_rollups_match_raw)
{
	static const int64_t windows[] = {
		5 * MIN_MS, 30 * MIN_MS, HOUR_MS, 2 * HOUR_MS + 17 * MIN_MS, 6 * HOUR_MS,
		DAY_MS, DAY_MS + 5 * HOUR_MS + 3 * MIN_MS, 3 * DAY_MS
	};
	struct store *st = open_store(2);
	int64_t now = time_now_ms();
	size_t n = 3 * 2880 / 2;	/* a day and a half of 30 s results each */
	struct raw raw;
	char err[256];

	ingest_many(st, "a1", "eu", 1, n, now);
	ingest_many(st, "a2", "us", 1, n, now - 15000);
	raw_load(st, NULL, &raw);
	ck_assert_uint_eq(raw.n, 2 * n);
	for (int t = 0; t < STORE_NTIERS; t++)
		rollups_match_raw(st, &raw, (enum store_tier)t);
	for (size_t w = 0; w < NELEM(windows); w++) {
		struct rollup_query q;
		struct rollup_agg *a;
		size_t na;
		int64_t from = rollup_window_start(now - windows[w], now + 1);
		struct sums want;

		memset(&q, 0, sizeof(q));
		q.from = now - windows[w];
		q.to = now + 1;
		q.want_sketch = true;
		ck_assert_msg(rollup_aggregate(st, NULL, &q, &a, &na, err,
		    sizeof(err)) == 0, "%s", err);
		memset(&want, 0, sizeof(want));
		for (size_t i = 0; i < raw.n; i++)
			if (raw.v[i].ts >= from && raw.v[i].ts <= now)
				sums_add_raw(&want, &raw.v[i]);
		ck_assert_uint_eq(na, 1);
		ck_assert_msg(a[0].total == want.total && a[0].good == want.good,
		    "window %lld ms: rollups %lld/%lld, raw %lld/%lld",
		    (long long)windows[w], (long long)a[0].good, (long long)a[0].total,
		    (long long)want.good, (long long)want.total);
		for (int e = 0; e < ERRCLASS_COUNT; e++)
			ck_assert_int_eq(a[0].e[e], want.e[e]);
		for (int c = 0; c < CACHE_NSTATUS; c++)
			ck_assert_int_eq(a[0].cache[c], want.cache[c]);
		ck_assert_int_eq(a[0].ph[5], want.ph[5]);
		ck_assert_int_eq((int64_t)a[0].sk.count, want.good);
		rollup_aggs_free(a, na);
	}
	/* grouped: every breakdown sums to the whole */
	{
		int64_t good_all = 0;

		for (size_t i = 0; i < raw.n; i++)
			good_all += raw.v[i].rec.ok;
		static const unsigned bys[] = { ROLLUP_BY_LAYER, ROLLUP_BY_REGION,
			ROLLUP_BY_AGENT | ROLLUP_BY_CHECK, ROLLUP_BY_STEP };
		for (size_t k = 0; k < NELEM(bys); k++) {
			struct rollup_query q;
			struct rollup_agg *a;
			size_t na;
			int64_t total = 0, good = 0;

			memset(&q, 0, sizeof(q));
			q.from = now - 4 * DAY_MS;
			q.to = now + 1;
			q.by = bys[k];
			q.step_ms = HOUR_MS;
			ck_assert_msg(rollup_aggregate(st, NULL, &q, &a, &na, err,
			    sizeof(err)) == 0, "%s", err);
			ck_assert_uint_eq(na, bys[k] == ROLLUP_BY_LAYER ? 3 :
			    bys[k] == ROLLUP_BY_REGION ? 2 : bys[k] == ROLLUP_BY_STEP ?
			    na : 6);
			for (size_t i = 0; i < na; i++) {
				total += a[i].total;
				good += a[i].good;
			}
			ck_assert_int_eq(total, (int64_t)raw.n);
			ck_assert_int_eq(good, good_all);
			rollup_aggs_free(a, na);
		}
	}
	raw_free(&raw);
	store_close(st);
}
END_TEST

/* ---- latency thresholds ---- */

/* Runs at or under each configured threshold are counted at ingest and
 * agree with a recount of the raw records, exactly; a threshold that was
 * not counted, or rows from before a threshold was known, are answered
 * from the sketch and say so (approx_before). */
START_TEST(test_thresholds_exact)
{
	static const int64_t thr[] = { 50000, 75000, 200000 };
	const int64_t ask[] = { 50000, 75000, 200000, 123456 };
	struct store *st = open_store(2);
	int64_t now = time_now_ms();
	struct slo_config slo;
	struct rollup_query q;
	struct rollup_agg *a;
	struct raw raw;
	size_t n = 1500, na;
	char err[256];

	/* known before the first result: every row is exact */
	ck_assert_msg(store_set_thresholds(st, thr, NELEM(thr), err, sizeof(err)) == 0,
	    "%s", err);
	ck_assert_int_le(store_threshold_exact_from(st, 50000), now - 8 * DAY_MS);
	ck_assert_int_eq(store_threshold_exact_from(st, 123456), INT64_MAX);
	ingest_many(st, "a1", "eu", 1, n, now);
	raw_load(st, NULL, &raw);
	memset(&q, 0, sizeof(q));
	q.from = now - 2 * DAY_MS;
	q.to = now + 1;
	q.thr_us = ask;
	q.nthr = NELEM(ask);
	q.by = ROLLUP_BY_CHECK;
	ck_assert_msg(rollup_aggregate(st, NULL, &q, &a, &na, err, sizeof(err)) == 0,
	    "%s", err);
	ck_assert_uint_eq(na, 3);
	for (size_t g = 0; g < na; g++) {
		for (size_t t = 0; t < NELEM(ask); t++) {
			int64_t want = 0;

			for (size_t i = 0; i < raw.n; i++) {
				const struct store_series *ser =
				    store_series_get(st, raw.v[i].series);

				if (strcmp(ser->check, a[g].check) == 0 && raw.v[i].rec.ok &&
				    raw.v[i].rec.total_us <= ask[t])
					want++;
			}
			if (t < NELEM(thr)) {
				ck_assert_msg(a[g].thr_good[t] == want, "%s, %lld us: %lld "
				    "counted, %lld in the raw rows", a[g].check,
				    (long long)ask[t], (long long)a[g].thr_good[t],
				    (long long)want);
				ck_assert_int_eq(a[g].approx_before[t], INT64_MIN);
			} else {
				/* from the sketch: within its bucket, and marked */
				ck_assert_int_ne(a[g].approx_before[t], INT64_MIN);
				ck_assert_int_gt(a[g].approx_before[t], now - 2 * DAY_MS);
				ck_assert(llabs(a[g].thr_good[t] - want) <= a[g].good / 20 + 1);
			}
		}
		/* an SLO's good events are the threshold's count */
		memset(&slo, 0, sizeof(slo));
		slo.sli = SLI_LATENCY;
		slo.threshold_us = 75000;
		ck_assert_int_eq(rollup_good(&a[g], &q, &slo), a[g].thr_good[1]);
		slo.threshold_us = 1;
		ck_assert_int_eq(rollup_good(&a[g], &q, &slo), -1);
		slo.sli = SLI_AVAILABILITY;
		ck_assert_int_eq(rollup_good(&a[g], &q, &slo), a[g].good);
	}
	rollup_aggs_free(a, na);
	raw_free(&raw);
	store_close(st);
}
END_TEST

/* A threshold configured on a DB with results counts from the day after
 * its newest day on: what is stored until then answers from the sketch,
 * and says so. */
START_TEST(test_thresholds_new)
{
	static const int64_t thr[] = { 40000 };
	struct store *st = open_store(2);
	int64_t now = time_now_ms();
	struct rollup_query q;
	struct rollup_agg *a;
	size_t na;
	char err[256];

	ingest_many(st, "a1", "eu", 1, 100, now - 100 * 30000);
	ck_assert_msg(store_set_thresholds(st, thr, 1, err, sizeof(err)) == 0,
	    "%s", err);
	ck_assert_int_gt(store_threshold_exact_from(st, 40000), now);
	ingest_many(st, "a1", "eu", 101, 100, now);
	memset(&q, 0, sizeof(q));
	q.from = now - DAY_MS;
	q.to = now + 1;
	q.thr_us = thr;
	q.nthr = 1;
	ck_assert_msg(rollup_aggregate(st, NULL, &q, &a, &na, err, sizeof(err)) == 0,
	    "%s", err);
	ck_assert_uint_eq(na, 1);
	ck_assert_int_ne(a[0].approx_before[0], INT64_MIN);
	ck_assert_int_ge(a[0].approx_before[0], now - 60000);
	rollup_aggs_free(a, na);
	store_close(st);
}
END_TEST

/* ---- reading raw results ---- */

static bool
picks(const struct store_series *ser, const struct rawrow *w,
    const struct results_filter *f)
{
	return w->ts >= f->from && w->ts < f->to &&
	    (f->check == NULL || strcmp(ser->check, f->check) == 0) &&
	    (f->region == NULL || (ser->region && strcmp(ser->region, f->region) == 0)) &&
	    (f->agent == NULL || strcmp(ser->agent, f->agent) == 0) &&
	    (f->ok < 0 || w->rec.ok == (f->ok == 1));
}

/* Filters and limits give the newest matching rows, newest first, across
 * series, exactly as a filter of all the rows does. */
START_TEST(test_results_filters)
{
	struct store *st = open_store(2);
	int64_t now = time_now_ms();
	struct raw all;
	char err[256];
	const struct results_filter fs[] = {
		{ 0, INT64_MAX, "fd-health", NULL, NULL, -1, 100 },
		{ 0, INT64_MAX, "fd-health", "us", NULL, -1, 7 },
		{ 0, INT64_MAX, NULL, NULL, "a2", 0, 1000 },
		{ 0, INT64_MAX, "edge-health", NULL, NULL, 1, 5 },
		{ now - HOUR_MS, now - 10 * MIN_MS, NULL, NULL, NULL, -1, 1000 },
		{ now - HOUR_MS, INT64_MAX, NULL, "eu", "a1", 0, 3 },
		{ 0, INT64_MAX, "no-such-check", NULL, NULL, -1, 10 },
		{ 0, INT64_MAX, NULL, NULL, NULL, -1, 1 },
	};

	ingest_many(st, "a1", "eu", 1, 600, now);
	ingest_many(st, "a2", "us", 1, 600, now - 7000);
	ingest_many(st, "a3", "us", 1, 300, now - 3000);
	raw_load(st, NULL, &all);
	ck_assert_uint_eq(all.n, 1500);
	for (size_t i = 1; i < all.n; i++)
		ck_assert(all.v[i - 1].ts >= all.v[i].ts);
	for (size_t k = 0; k < NELEM(fs); k++) {
		struct raw got;
		size_t j = 0;

		raw_load(st, &fs[k], &got);
		for (size_t i = 0; i < all.n && j < got.n; i++) {
			const struct store_series *ser = store_series_get(st,
			    all.v[i].series);

			if (!picks(ser, &all.v[i], &fs[k]))
				continue;
			ck_assert_msg(got.v[j].series == all.v[i].series &&
			    got.v[j].seq == all.v[i].seq, "filter %zu, row %zu: series "
			    "%lld seq %lld, want series %lld seq %lld", k, j,
			    (long long)got.v[j].series, (long long)got.v[j].seq,
			    (long long)all.v[i].series, (long long)all.v[i].seq);
			j++;
		}
		ck_assert_uint_eq(j, got.n);
		/* as many as the limit allows, or all there are */
		{
			size_t want = 0;

			for (size_t i = 0; i < all.n; i++)
				want += picks(store_series_get(st, all.v[i].series),
				    &all.v[i], &fs[k]);
			ck_assert_uint_eq(got.n, want < fs[k].limit ? want : fs[k].limit);
		}
		raw_free(&got);
	}
	{
		struct results_filter bad = { 0, INT64_MAX, NULL, NULL, NULL, -1, 0 };
		struct raw got;

		memset(&got, 0, sizeof(got));
		ck_assert_int_eq(store_results_each(st, &bad, raw_add, &got, err,
		    sizeof(err)), -1);
		ck_assert_ptr_nonnull(strstr(err, "limit"));
	}
	raw_free(&all);
	store_close(st);
}
END_TEST

struct outcomes {
	struct stored_outcome	 v[256];
	size_t			 n;
};

static int
outcome_add(const struct stored_outcome *o, void *arg)
{
	struct outcomes *x = arg;

	ck_assert_uint_lt(x->n, NELEM(x->v));
	x->v[x->n++] = *o;
	return 0;
}

/* The newest n outcomes of each series, newest first. */
START_TEST(test_recent_outcomes)
{
	struct store *st = open_store(2);
	int64_t now = time_now_ms(), *ids;
	struct outcomes o;
	struct raw all;
	size_t nids, k = 0;
	char err[256];

	ingest_many(st, "a1", "eu", 1, 90, now);
	raw_load(st, NULL, &all);
	nids = store_series_match(st, NULL, &ids);
	ck_assert_uint_eq(nids, 3);
	memset(&o, 0, sizeof(o));
	ck_assert_msg(store_recent_outcomes(st, ids, nids, 20, outcome_add, &o, err,
	    sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(o.n, 60);
	for (size_t s = 0; s < nids; s++) {
		size_t j = 0;

		for (size_t i = 0; i < all.n && j < 20; i++) {
			if (all.v[i].series != ids[s])
				continue;
			ck_assert_int_eq(o.v[k].series, ids[s]);
			ck_assert_int_eq(o.v[k].seq, all.v[i].seq);
			ck_assert_int_eq(o.v[k].ts, all.v[i].ts);
			ck_assert(o.v[k].ok == all.v[i].rec.ok);
			ck_assert_int_eq(o.v[k].error_class, all.v[i].rec.error_class);
			k++;
			j++;
		}
		ck_assert_uint_eq(j, 20);
	}
	free(ids);
	raw_free(&all);
	store_close(st);
}
END_TEST

/* ---- agents ---- */

struct agent_copy {
	char	id[32], region[32], version[32];
	int64_t	last_seq, outbox_depth;
	int	n;
};

static int
agent_copy(const struct agent_row *a, void *arg)
{
	struct agent_copy *x = arg;

	snprintf(x->id, sizeof(x->id), "%s", a->id);
	snprintf(x->region, sizeof(x->region), "%s", a->region ? a->region : "-");
	snprintf(x->version, sizeof(x->version), "%s", a->version ? a->version : "-");
	x->last_seq = a->last_seq;
	x->outbox_depth = a->outbox_depth;
	x->n++;
	return 0;
}

START_TEST(test_agents)
{
	struct store *st = open_store(1);
	int64_t now = time_now_ms();
	struct agent_copy x;
	char err[256];

	ingest_many(st, "b2", "us", 1, 20, now);
	ingest_many(st, "a1", "eu", 1, 10, now);
	memset(&x, 0, sizeof(x));
	ck_assert_int_eq(store_agent_get(st, "b2", agent_copy, &x, err, sizeof(err)), 1);
	ck_assert_str_eq(x.region, "us");
	ck_assert_str_eq(x.version, "0.1.0");
	ck_assert_int_eq(x.last_seq, 20);
	ck_assert_int_eq(x.outbox_depth, 3);
	ck_assert_int_eq(store_agent_get(st, "nobody", agent_copy, &x, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(store_agent_get(st, "a1", NULL, NULL, err, sizeof(err)), 1);
	memset(&x, 0, sizeof(x));
	ck_assert_int_eq(store_agents_each(st, agent_copy, &x, err, sizeof(err)), 0);
	ck_assert_int_eq(x.n, 2);
	ck_assert_str_eq(x.id, "b2");	/* by id: the last one */
	store_close(st);
}
END_TEST

/* ---- retention ---- */

static size_t
count_rows(struct store *st, enum store_tier t, int64_t before)
{
	struct rows rows;
	size_t n = 0;

	rows_load(st, t, &rows);
	for (size_t i = 0; i < rows.n; i++)
		n += rows.v[i].bucket < before;
	free(rows.v);
	return n;
}

/* Raw rows and rollups past their retention go, in steps; the newest
 * result of each series stays, with its texts. */
START_TEST(test_prune)
{
	struct store *st = open_store(2);
	int64_t now = time_now_ms(), removed, total = 0;
	struct latest_seen x;
	struct raw raw;
	char err[256];
	int calls = 0;

	ingest_many(st, "a1", "eu", 1, 3 * 2880, now);
	/* a small step: several calls */
	do {
		ck_assert_msg(store_prune(st, now, DAY_MS, 2 * DAY_MS, 30 * DAY_MS,
		    365 * DAY_MS, 500, &removed, err, sizeof(err)) == 0, "%s", err);
		ck_assert_int_le(removed, 5 * 500);
		total += removed;
	} while (removed > 0 && ++calls < 100);
	ck_assert_int_gt(calls, 2);
	raw_load(st, NULL, &raw);
	ck_assert_uint_gt(raw.n, 2800);
	ck_assert_uint_lt(raw.n, 2890);
	for (size_t i = 0; i < raw.n; i++)
		ck_assert_int_ge(raw.v[i].ts, now - DAY_MS);
	ck_assert_int_ge(total, (int64_t)(3 * 2880 - raw.n));
	ck_assert_uint_eq(count_rows(st, STORE_1M, now - 2 * DAY_MS), 0);
	ck_assert_uint_gt(count_rows(st, STORE_1M, now - DAY_MS), 0);
	ck_assert_uint_gt(count_rows(st, STORE_1H, now - 2 * DAY_MS), 0);
	/* the newest results outlive the raw rows, texts and all */
	latest_load(st, false, NULL, &x);
	ck_assert_uint_eq(x.n, 3);
	raw_free(&raw);
	/* everything raw goes; the newest results stay readable */
	do {
		ck_assert_msg(store_prune(st, now + 10 * DAY_MS, DAY_MS, 2 * DAY_MS,
		    30 * DAY_MS, 365 * DAY_MS, 5000, &removed, err, sizeof(err)) == 0,
		    "%s", err);
	} while (removed > 0);
	raw_load(st, NULL, &raw);
	ck_assert_uint_eq(raw.n, 0);
	raw_free(&raw);
	{
		struct raw l;

		memset(&l, 0, sizeof(l));
		ck_assert_msg(store_latest_each(st, NULL, raw_add, &l, err,
		    sizeof(err)) == 0, "%s", err);
		ck_assert_uint_eq(l.n, 3);
		for (size_t i = 0; i < l.n; i++)
			ck_assert_str_eq(json_string_value(json_object_get(l.v[i].json,
			    "url")), "https://micro.example/h");
		raw_free(&l);
	}
	store_close(st);
}
END_TEST

/* ---- schema ---- */

extern const char *const collector_migrations[];
extern const size_t collector_migrations_count;

START_TEST(test_newer_schema_refused)
{
	char err[256];
	sqlite3 *db;

	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(db);
	ck_assert_ptr_null(store_open(path, 1, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "newer"));
}
END_TEST

/* A version-1 sketch (what a version-5 DB holds): min, max, sum, then
 * the buckets. */
static unsigned char *
sketch_v1(const int64_t *v, size_t n, size_t *len)
{
	struct sketch sk;
	unsigned char *out, *p;
	double mn = 0, mx = 0, sum = 0;
	int prev = -1;

	sketch_init(&sk);
	for (size_t i = 0; i < n; i++) {
		sketch_add(&sk, (double)v[i]);
		mn = i == 0 || v[i] < mn ? (double)v[i] : mn;
		mx = i == 0 || v[i] > mx ? (double)v[i] : mx;
		sum += (double)v[i];
	}
	p = out = malloc(1 + 24 + 10 + 20 * (n + 1));
	ck_assert_ptr_nonnull(out);
	*p++ = 1;
	memcpy(p, &mn, 8);
	memcpy(p + 8, &mx, 8);
	memcpy(p + 16, &sum, 8);
	p += 24;
#define PUT_VARINT(x) do { uint64_t u = (x); while (u >= 0x80) { \
	*p++ = (unsigned char)(u | 0x80); u >>= 7; } *p++ = (unsigned char)u; } while (0)
	PUT_VARINT(sk.zero);
	for (int i = sk.lo; sk.b && i <= sk.hi; i++) {
		if (sk.b[i] == 0)
			continue;
		PUT_VARINT((uint64_t)(i - prev));
		PUT_VARINT(sk.b[i]);
		prev = i;
	}
#undef PUT_VARINT
	sketch_free(&sk);
	*len = (size_t)(p - out);
	return out;
}

static void
must_exec(sqlite3 *db, const char *sql)
{
	char *msg = NULL;

	ck_assert_msg(sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK, "%s: %s",
	    sql, msg ? msg : "?");
}

/* One version-5 rollup row. */
struct v5_rollup {
	const char	*table, *check, *layer;
	int64_t		 bucket, total, good, e_timeout, inconclusive, cache_hit;
	int64_t		 total_us;
	int64_t		 lat[7];	/* the passed runs' latencies (good of them) */
};

/* A DB left by the version-5 collector (schema 001..005 applied as it
 * did, rows with JSON bodies) is converted when the store opens it: the
 * series from its labels, every raw and newest result served back field
 * for field, every rollup row in its series, the streaks kept. */
START_TEST(test_converts_v5)
{
	static const struct v5_rollup rollups[] = {
		{ "rollup_1m", "c1", "front_door", 1700000040000, 3, 2, 1, 0, 1, 30000,
		  { 10000, 20000 } },
		{ "rollup_1m", "c1", "edge", 1700000100000, 1, 1, 0, 1, 0, 9000,
		  { 9000 } },
		{ "rollup_1m", "c2", "central", 1700000040000, 2, 2, 0, 0, 2, 4000,
		  { 1000, 3000 } },
		{ "rollup_1h", "c1", "edge", 1699999200000, 4, 3, 1, 1, 1, 39000,
		  { 10000, 20000, 9000 } },
		{ "rollup_1h", "c2", "central", 1699999200000, 2, 2, 0, 0, 2, 4000,
		  { 1000, 3000 } },
		{ "rollup_1d", "c1", "edge", 1699920000000, 4, 3, 1, 1, 1, 39000,
		  { 10000, 20000, 9000 } },
		{ "rollup_1d", "gone", "front_door", 1690000000000 - 1690000000000 %
		  86400000, 7, 7, 0, 0, 0, 7000,
		  { 1000, 1000, 1000, 1000, 1000, 1000, 1000 } },
	};
	const int64_t base = 1700000040000;
	json_t *bodies = json_array(), *latest_bodies = json_array();
	char err[256], *sql;
	struct store *st;
	sqlite3 *db;
	sqlite3_stmt *q;
	struct raw raw;
	int64_t *ids;
	size_t nids;

	ck_assert_int_ge(collector_migrations_count, 6);
	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	for (int i = 0; i < 5; i++)
		must_exec(db, collector_migrations[i]);
	must_exec(db, "PRAGMA user_version = 5");
	must_exec(db, "INSERT INTO agents (id, region, provider, version, first_seen, "
	    "last_seen, last_seq, outbox_depth, oldest_unshipped) VALUES ('a1', 'eu', "
	    "'hetzner', '0.0.9', 1, 1700000200000, 13, 0, 0)");
	/* raw rows: c1 on the front door, then moved to the edge; c2; one whose
	 * record names another region; one no longer valid (a run of over a
	 * day) that is left out */
	for (int64_t seq = 1; seq <= 13; seq++) {
		const char *check = seq <= 6 || seq >= 11 ? "c1" : "c2";
		const char *layer = seq >= 11 ? "edge" : seq <= 6 ? "front_door" :
		    "central";
		const char *ec = seq == 4 ? "timeout" : NULL;
		json_t *o = mk_rec("a1", seq == 13 ? "us" : "eu", seq, base + seq * 1000,
		    check, layer, ec, seq == 12 ? 90000000000LL : 1000 * seq);
		char *body;

		if (seq == 5)
			json_object_set_new(o, "inconclusive", json_false());
		body = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
		ck_assert_int_eq(sqlite3_prepare_v2(db, "INSERT INTO results (agent, seq, "
		    "ts, check_name, kind, service, layer, provider, region, ok, "
		    "error_class, total_us, body, inconclusive) VALUES ('a1', ?1, ?2, ?3, "
		    "'http', 'micro', ?4, 'p', 'eu', ?5, ?6, ?7, ?8, 0)", -1, &q, NULL),
		    SQLITE_OK);
		sqlite3_bind_int64(q, 1, seq);
		sqlite3_bind_int64(q, 2, base + seq * 1000);
		sqlite3_bind_text(q, 3, check, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 4, layer, -1, SQLITE_STATIC);
		sqlite3_bind_int(q, 5, ec == NULL);
		if (ec)
			sqlite3_bind_text(q, 6, ec, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 7, json_integer_value(json_object_get(o,
		    "total_us")));
		sqlite3_bind_text(q, 8, body, -1, free);
		ck_assert_int_eq(sqlite3_step(q), SQLITE_DONE);
		sqlite3_finalize(q);
		if (seq != 12)
			json_array_append(bodies, o);
		/* the newest of each check x agent, with its streaks */
		if (seq == 10 || seq == 13) {
			body = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
			ck_assert_int_eq(sqlite3_prepare_v2(db, "INSERT INTO latest "
			    "(check_name, agent, ts, seq, ok, body, service, layer, provider, "
			    "region, fail_streak, ok_streak) VALUES (?1, 'a1', ?2, ?3, 1, ?4, "
			    "'micro', ?5, 'p', 'eu', ?6, ?7)", -1, &q, NULL), SQLITE_OK);
			sqlite3_bind_text(q, 1, check, -1, SQLITE_STATIC);
			sqlite3_bind_int64(q, 2, base + seq * 1000);
			sqlite3_bind_int64(q, 3, seq);
			sqlite3_bind_text(q, 4, body, -1, free);
			sqlite3_bind_text(q, 5, layer, -1, SQLITE_STATIC);
			sqlite3_bind_int64(q, 6, seq == 13 ? 0 : 2);
			sqlite3_bind_int64(q, 7, seq == 13 ? 9 : 0);
			ck_assert_int_eq(sqlite3_step(q), SQLITE_DONE);
			sqlite3_finalize(q);
			json_array_append(latest_bodies, o);
		}
		json_decref(o);
	}
	for (size_t i = 0; i < NELEM(rollups); i++) {
		const struct v5_rollup *r = &rollups[i];
		size_t len;
		unsigned char *sk = sketch_v1(r->lat, (size_t)r->good, &len);

		/* every column, as the version-5 collector wrote them (its hour
		 * and day tables have no defaults) */
		sql = sqlite3_mprintf("INSERT INTO %s (bucket, check_name, agent, service, "
		    "layer, provider, region, total, good, e_dns, e_connect, e_tls, "
		    "e_timeout, e_http_status, e_assertion, e_body, e_internal, dns_us, "
		    "connect_us, tls_us, processing_us, transfer_us, total_us, sketch, "
		    "e_consistency, inconclusive, cache_hit, cache_miss, cache_expired, "
		    "cache_stale, cache_bypass, cache_dynamic, cache_unknown) VALUES (?1, "
		    "?2, 'a1', 'micro', ?3, 'p', 'eu', ?4, ?5, 0, 0, 0, ?6, 0, 0, 0, 0, 11, "
		    "0, 0, 0, 0, ?7, ?8, 0, ?9, ?10, 0, 0, 0, 0, 0, 0)", r->table);
		ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &q, NULL), SQLITE_OK);
		sqlite3_free(sql);
		sqlite3_bind_int64(q, 1, r->bucket);
		sqlite3_bind_text(q, 2, r->check, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 3, r->layer, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 4, r->total);
		sqlite3_bind_int64(q, 5, r->good);
		sqlite3_bind_int64(q, 6, r->e_timeout);
		sqlite3_bind_int64(q, 7, r->total_us);
		sqlite3_bind_blob(q, 8, sk, (int)len, free);
		sqlite3_bind_int64(q, 9, r->inconclusive);
		sqlite3_bind_int64(q, 10, r->cache_hit);
		ck_assert_int_eq(sqlite3_step(q), SQLITE_DONE);
		sqlite3_finalize(q);
	}
	sqlite3_close(db);

	st = store_open(path, 2, err, sizeof(err));
	ck_assert_msg(st != NULL, "%s", err);
	/* the series: every label set any old row had */
	nids = store_series_match(st, NULL, &ids);
	ck_assert_uint_eq(nids, 4);
	for (size_t i = 0; i < nids; i++) {
		const struct store_series *s = store_series_get(st, ids[i]);

		ck_assert_str_eq(s->agent, "a1");
		ck_assert_str_eq(s->region, "eu");
		ck_assert_str_eq(s->service, "micro");
		ck_assert_str_eq(s->provider, "p");
		ck_assert(strcmp(s->check, "gone") == 0 ||
		    strcmp(s->check, "c1") == 0 || strcmp(s->check, "c2") == 0);
	}
	/* raw rows, field for field */
	raw_load(st, NULL, &raw);
	ck_assert_uint_eq(raw.n, 12);
	for (size_t i = 0; i < raw.n; i++) {
		json_t *want = NULL, *v;
		size_t k;

		json_array_foreach(bodies, k, v)
			if (json_integer_value(json_object_get(v, "seq")) == raw.v[i].seq)
				want = v;
		ck_assert_ptr_nonnull(want);
		ck_assert_msg(json_equal(want, raw.v[i].json), "seq %lld differs",
		    (long long)raw.v[i].seq);
		ck_assert_str_eq(store_series_get(st, raw.v[i].series)->layer,
		    json_string_value(json_object_get(want, "layer")));
	}
	raw_free(&raw);
	/* the newest results and their streaks */
	{
		struct raw l;
		struct latest_seen x;

		memset(&l, 0, sizeof(l));
		ck_assert_msg(store_latest_each(st, NULL, raw_add, &l, err,
		    sizeof(err)) == 0, "%s", err);
		ck_assert_uint_eq(l.n, 2);
		for (size_t i = 0; i < l.n; i++)
			ck_assert(json_equal(l.v[i].json, json_array_get(latest_bodies,
			    l.v[i].seq == 10 ? 0 : 1)));
		raw_free(&l);
		latest_load(st, false, NULL, &x);
		ck_assert_uint_eq(x.n, 2);
		ck_assert_int_eq(x.seq[0], 13);		/* c1 before c2 */
		ck_assert_int_eq(x.okc[0], 9);
		ck_assert_int_eq(x.seq[1], 10);
		ck_assert_int_eq(x.fail[1], 2);
	}
	/* every rollup row, in the series of its labels */
	for (size_t i = 0; i < NELEM(rollups); i++) {
		const struct v5_rollup *r = &rollups[i];
		enum store_tier t = r->table[8] == 'm' ? STORE_1M : r->table[8] == 'h' ?
		    STORE_1H : STORE_1D;
		size_t found = 0;

		for (size_t k = 0; k < nids; k++) {
			const struct store_series *s = store_series_get(st, ids[k]);
			struct rows rows;

			if (strcmp(s->check, r->check) != 0 || strcmp(s->layer, r->layer) != 0)
				continue;
			memset(&rows, 0, sizeof(rows));
			ck_assert_msg(store_rollup_scan(st, NULL, ids[k], t, r->bucket,
			    r->bucket + 1, rows_add, &rows, err, sizeof(err)) == 0, "%s", err);
			ck_assert_uint_eq(rows.n, 1);
			ck_assert_int_eq(rows.v[0].s.total, r->total);
			ck_assert_int_eq(rows.v[0].s.good, r->good);
			ck_assert_int_eq(rows.v[0].s.e[ERRCLASS_TIMEOUT], r->e_timeout);
			ck_assert_int_eq(rows.v[0].s.inconclusive, r->inconclusive);
			ck_assert_int_eq(rows.v[0].s.cache[CACHE_HIT], r->cache_hit);
			ck_assert_int_eq(rows.v[0].s.ph[0], 11);
			ck_assert_int_eq(rows.v[0].s.ph[5], r->total_us);
			ck_assert_uint_eq(rows.v[0].sketch_count, (uint64_t)r->good);
			free(rows.v);
			found++;
		}
		ck_assert_uint_eq(found, 1);
	}
	{
		struct rows rows;
		size_t n = 0;

		for (int t = 0; t < STORE_NTIERS; t++) {
			rows_load(st, (enum store_tier)t, &rows);
			n += rows.n;
			free(rows.v);
		}
		ck_assert_uint_eq(n, NELEM(rollups));
	}
	{
		struct agent_copy x;

		memset(&x, 0, sizeof(x));
		ck_assert_int_eq(store_agent_get(st, "a1", agent_copy, &x, err,
		    sizeof(err)), 1);
		ck_assert_int_eq(x.last_seq, 13);
	}
	free(ids);
	store_close(st);
	/* converted for good: vantage-report may read it now */
	st = store_open_readonly(path, err, sizeof(err));
	ck_assert_msg(st != NULL, "%s", err);
	store_close(st);
	json_decref(bodies);
	json_decref(latest_bodies);
}
END_TEST

/* A DB of schema version 1 is migrated and converted in one go. */
START_TEST(test_converts_v1)
{
	json_t *o = mk_rec("a1", "eu", 7, 1700000000000, "c", "edge", NULL, 5000);
	char err[256], *body = json_dumps(o, JSON_COMPACT);
	struct latest_seen x;
	struct store *st;
	struct raw raw;
	sqlite3 *db;
	sqlite3_stmt *q;

	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	must_exec(db, collector_migrations[0]);
	must_exec(db, "PRAGMA user_version = 1");
	ck_assert_int_eq(sqlite3_prepare_v2(db, "INSERT INTO latest (check_name, agent, "
	    "ts, seq, ok, body) VALUES ('c', 'a1', 1700000000000, 7, 1, ?1)", -1, &q,
	    NULL), SQLITE_OK);
	sqlite3_bind_text(q, 1, body, -1, SQLITE_STATIC);
	ck_assert_int_eq(sqlite3_step(q), SQLITE_DONE);
	sqlite3_finalize(q);
	ck_assert_int_eq(sqlite3_prepare_v2(db, "INSERT INTO results (agent, seq, ts, "
	    "check_name, kind, service, layer, provider, region, ok, total_us, body) "
	    "VALUES ('a1', 7, 1700000000000, 'c', 'http', 'micro', 'edge', 'p', 'eu', 1, "
	    "5000, ?1)", -1, &q, NULL), SQLITE_OK);
	sqlite3_bind_text(q, 1, body, -1, SQLITE_STATIC);
	ck_assert_int_eq(sqlite3_step(q), SQLITE_DONE);
	sqlite3_finalize(q);
	sqlite3_close(db);
	st = store_open(path, 1, err, sizeof(err));
	ck_assert_msg(st != NULL, "%s", err);
	latest_load(st, false, NULL, &x);
	ck_assert_uint_eq(x.n, 1);
	ck_assert_int_eq(x.seq[0], 7);
	ck_assert_int_eq(x.fail[0] + x.okc[0], 0);
	raw_load(st, NULL, &raw);
	ck_assert_uint_eq(raw.n, 1);
	ck_assert(json_equal(raw.v[0].json, o));
	raw_free(&raw);
	store_close(st);
	free(body);
	json_decref(o);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("store");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_idempotent);
	tcase_add_test(tc, test_duplicates);
	tcase_add_test(tc, test_records_served_back);
	tcase_add_test(tc, test_latest_streaks);
	tcase_add_test(tc, test_inconclusive_and_consistency);
	tcase_add_test(tc, test_inconclusive_first);
	tcase_add_test(tc, test_rollups_match_raw);
	tcase_add_test(tc, test_thresholds_exact);
	tcase_add_test(tc, test_thresholds_new);
	tcase_add_test(tc, test_results_filters);
	tcase_add_test(tc, test_recent_outcomes);
	tcase_add_test(tc, test_agents);
	tcase_add_test(tc, test_prune);
	tcase_add_test(tc, test_newer_schema_refused);
	tcase_add_test(tc, test_converts_v5);
	tcase_add_test(tc, test_converts_v1);
	tcase_set_timeout(tc, 300);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
