/* store_series: the series directory. Every series lives in memory (a few
 * thousand at most: labels are bounded and series capped), found by id
 * and by labels; the writer adds series inside its transaction and makes
 * them visible when it commits. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"
#include "xmalloc.h"

static const char sql_series_all[] =
    "SELECT id, check_name, agent, region, service, layer, provider, created_at "
    "FROM series ORDER BY id";
static const char sql_series_add[] =
    "INSERT INTO series (check_name, agent, region, service, layer, provider, "
    "created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";

static uint64_t
mix(uint64_t h, const char *s)
{
	/* FNV-1a, with a separator so ("ab", "c") and ("a", "bc") differ;
	 * NULL hashes apart from "" */
	if (s == NULL)
		return (h ^ 0xff) * 1099511628211ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return (h ^ 0xfe) * 1099511628211ULL;
}

static uint64_t
labels_hash(const char *check, const char *agent, const char *region,
    const char *service, const char *layer, const char *provider)
{
	uint64_t h = 1469598103934665603ULL;

	h = mix(h, check);
	h = mix(h, agent);
	h = mix(h, region);
	h = mix(h, service);
	h = mix(h, layer);
	return mix(h, provider);
}

static bool
same(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

static bool
labels_eq(const struct store_series *s, const char *check, const char *agent,
    const char *region, const char *service, const char *layer,
    const char *provider)
{
	return same(s->check, check) && same(s->agent, agent) &&
	    same(s->region, region) && same(s->service, service) &&
	    same(s->layer, layer) && same(s->provider, provider);
}

static char *
dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static struct store_series *
series_new(int64_t id, const char *check, const char *agent, const char *region,
    const char *service, const char *layer, const char *provider, int64_t created)
{
	struct store_series *s = xcalloc(1, sizeof(*s));

	s->id = id;
	s->check = xstrdup(check);
	s->agent = xstrdup(agent);
	s->region = dup_or_null(region);
	s->service = dup_or_null(service);
	s->layer = dup_or_null(layer);
	s->provider = dup_or_null(provider);
	s->created_at = created;
	return s;
}

static void
series_delete(struct store_series *s)
{
	if (s == NULL)
		return;
	free((void *)(uintptr_t)s->check);
	free((void *)(uintptr_t)s->agent);
	free((void *)(uintptr_t)s->region);
	free((void *)(uintptr_t)s->service);
	free((void *)(uintptr_t)s->layer);
	free((void *)(uintptr_t)s->provider);
	free(s);
}

static size_t
hash_of(const struct store_series *s)
{
	return (size_t)labels_hash(s->check, s->agent, s->region, s->service,
	    s->layer, s->provider);
}

static void
index_insert(struct series_dir *d, struct store_series *s)
{
	size_t i;

	if (2 * (d->count + 1) > d->nslot) {
		size_t nold = d->nslot, *old = d->slot;

		d->nslot = d->nslot ? 2 * d->nslot : 256;
		d->slot = xcalloc(d->nslot, sizeof(*d->slot));
		for (size_t k = 0; k < nold; k++) {
			struct store_series *o;

			if (old[k] == 0)
				continue;
			o = d->by_id[old[k] - 1];
			for (i = hash_of(o) & (d->nslot - 1); d->slot[i];
			    i = (i + 1) & (d->nslot - 1))
				;
			d->slot[i] = old[k];
		}
		free(old);
	}
	for (i = hash_of(s) & (d->nslot - 1); d->slot[i]; i = (i + 1) & (d->nslot - 1))
		;
	d->slot[i] = (size_t)s->id;
	d->count++;
}

/* Put s in the directory (its id is new). */
static void
dir_add(struct series_dir *d, struct store_series *s)
{
	size_t idx = (size_t)s->id - 1;

	if (idx >= d->aids) {
		size_t n = d->aids ? d->aids : 256;

		while (n <= idx)
			n *= 2;
		d->by_id = xreallocarray(d->by_id, n, sizeof(*d->by_id));
		memset(d->by_id + d->aids, 0, (n - d->aids) * sizeof(*d->by_id));
		d->aids = n;
	}
	d->by_id[idx] = s;
	if (idx + 1 > d->nids)
		d->nids = idx + 1;
	index_insert(d, s);
}

static struct store_series *
dir_find(const struct series_dir *d, const char *check, const char *agent,
    const char *region, const char *service, const char *layer,
    const char *provider)
{
	size_t i;

	if (d->nslot == 0)
		return NULL;
	for (i = (size_t)labels_hash(check, agent, region, service, layer, provider) &
	    (d->nslot - 1); d->slot[i]; i = (i + 1) & (d->nslot - 1)) {
		struct store_series *s = d->by_id[d->slot[i] - 1];

		if (labels_eq(s, check, agent, region, service, layer, provider))
			return s;
	}
	return NULL;
}

int
series_load(struct store *st, struct store_conn *c, char *err, size_t errlen)
{
	sqlite3_stmt *s = conn_stmt(c, sql_series_all, err, errlen);
	int rc;

	if (s == NULL)
		return -1;
	pthread_mutex_lock(&st->dir_mu);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *t[6];

		for (int i = 0; i < 6; i++)
			t[i] = (const char *)sqlite3_column_text(s, i + 1);
		if (t[0] == NULL || t[1] == NULL)
			continue;
		dir_add(&st->dir, series_new(sqlite3_column_int64(s, 0), t[0], t[1],
		    t[2], t[3], t[4], t[5], sqlite3_column_int64(s, 7)));
	}
	pthread_mutex_unlock(&st->dir_mu);
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return conn_fail(c, rc, "series", err, errlen);
	return 0;
}

int
series_get_or_add(struct store *st, const char *check, const char *agent,
    const char *region, const char *service, const char *layer,
    const char *provider, int64_t now_ms, int64_t *id, char *err, size_t errlen)
{
	struct series_dir *d = &st->dir;
	struct store_series *s;
	sqlite3_stmt *q;
	int rc;

	/* only the writer changes the directory, so it may read it unlocked */
	if ((s = dir_find(&st->dir, check, agent, region, service, layer,
	    provider)) != NULL) {
		*id = s->id;
		return 0;
	}
	for (size_t i = 0; i < d->npending; i++)
		if (labels_eq(d->pending[i], check, agent, region, service, layer,
		    provider)) {
			*id = d->pending[i]->id;
			return 0;
		}
	if ((q = conn_stmt(&st->w, sql_series_add, err, errlen)) == NULL)
		return -1;
	bind_text_or_null(q, 1, check);
	bind_text_or_null(q, 2, agent);
	bind_text_or_null(q, 3, region);
	bind_text_or_null(q, 4, service);
	bind_text_or_null(q, 5, layer);
	bind_text_or_null(q, 6, provider);
	sqlite3_bind_int64(q, 7, now_ms);
	if ((rc = stmt_done(q)) != SQLITE_DONE)
		return conn_fail(&st->w, rc, "series", err, errlen);
	*id = sqlite3_last_insert_rowid(st->w.db);
	if (d->npending == d->apending) {
		d->apending = d->apending ? 2 * d->apending : 16;
		d->pending = xreallocarray(d->pending, d->apending, sizeof(*d->pending));
	}
	d->pending[d->npending++] = series_new(*id, check, agent, region, service, layer,
	    provider, now_ms);
	return 0;
}

void
series_commit(struct store *st)
{
	struct series_dir *d = &st->dir;

	if (d->npending == 0)
		return;
	pthread_mutex_lock(&st->dir_mu);
	for (size_t i = 0; i < d->npending; i++)
		dir_add(d, d->pending[i]);
	pthread_mutex_unlock(&st->dir_mu);
	d->npending = 0;
}

void
series_rollback(struct store *st)
{
	struct series_dir *d = &st->dir;

	for (size_t i = 0; i < d->npending; i++)
		series_delete(d->pending[i]);
	d->npending = 0;
}

void
series_free(struct store *st)
{
	series_rollback(st);
	for (size_t i = 0; i < st->dir.nids; i++)
		series_delete(st->dir.by_id[i]);
	free(st->dir.by_id);
	free(st->dir.slot);
	free(st->dir.pending);
	memset(&st->dir, 0, sizeof(st->dir));
}

const struct store_series *
store_series_get(struct store *st, int64_t id)
{
	const struct store_series *s = NULL;

	pthread_mutex_lock(&st->dir_mu);
	if (id >= 1 && (size_t)id <= st->dir.nids)
		s = st->dir.by_id[id - 1];
	pthread_mutex_unlock(&st->dir_mu);
	return s;
}

size_t
store_series_match(struct store *st, const struct selector *sel, int64_t **ids)
{
	size_t n = 0, alloc = 0;
	int64_t *v = NULL;

	pthread_mutex_lock(&st->dir_mu);
	for (size_t i = 0; i < st->dir.nids; i++) {
		const struct store_series *s = st->dir.by_id[i];

		if (s == NULL || (sel && !selector_match(sel, s->service, s->layer,
		    s->provider, s->region, s->check)))
			continue;
		if (n == alloc) {
			alloc = alloc ? 2 * alloc : 64;
			v = xreallocarray(v, alloc, sizeof(*v));
		}
		v[n++] = s->id;
	}
	pthread_mutex_unlock(&st->dir_mu);
	*ids = v;
	return n;
}
