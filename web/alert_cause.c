/* alert_cause: the cause line and the per-region lines of an incident,
 * from the newest runs of each layer of its service in each region. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert_cause.h"
#include "buf.h"
#include "selector.h"
#include "store.h"
#include "store_results.h"
#include "xmalloc.h"

/* Runs read per series to find CAUSE_RUNS conclusive ones among them. */
#define CAUSE_READ	8

static const char *const layer_names[CAUSE_NLAYERS] = {
	"front_door", "edge", "central"
};
/* In the region lines. */
static const char *const layer_short[CAUSE_NLAYERS] = {
	"front door", "edge", "central"
};
/* In the cause line. */
static const char *const layer_long[CAUSE_NLAYERS] = {
	"front door", "edge origin", "central origin"
};

int
alert_cause_layer(const char *layer)
{
	for (int i = 0; layer != NULL && i < CAUSE_NLAYERS; i++)
		if (strcmp(layer, layer_names[i]) == 0)
			return i;
	return -1;
}

/* The region named name in m, added (keeping m sorted by name) if new. */
static struct cause_region *
region_get(struct cause_matrix *m, const char *name)
{
	size_t lo = 0, hi = m->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(m->r[mid].region, name);

		if (c == 0)
			return &m->r[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (m->n == m->alloc) {
		m->alloc = m->alloc ? 2 * m->alloc : 8;
		m->r = xreallocarray(m->r, m->alloc, sizeof(*m->r));
	}
	memmove(&m->r[lo + 1], &m->r[lo], (m->n - lo) * sizeof(*m->r));
	m->n++;
	memset(&m->r[lo], 0, sizeof(m->r[lo]));
	m->r[lo].region = xstrdup(name);
	return &m->r[lo];
}

void
alert_cause_add(struct cause_matrix *m, const char *region, int layer,
    int64_t ts, bool ok)
{
	struct cause_cell *c;
	int k;

	if (layer < 0 || layer >= CAUSE_NLAYERS)
		return;
	c = &region_get(m, region ? region : "")->cell[layer];
	/* newest first: find its place, drop the oldest when full */
	for (k = 0; k < c->runs && c->ts[k] >= ts; k++)
		;
	if (k == CAUSE_KEEP)
		return;
	if (c->runs < CAUSE_KEEP)
		c->runs++;
	for (int j = c->runs - 1; j > k; j--) {
		c->ts[j] = c->ts[j - 1];
		c->ok[j] = c->ok[j - 1];
	}
	c->ts[k] = ts;
	c->ok[k] = ok;
}

void
alert_cause_clear(struct cause_matrix *m)
{
	if (m == NULL)
		return;
	for (size_t i = 0; i < m->n; i++)
		free(m->r[i].region);
	free(m->r);
	memset(m, 0, sizeof(*m));
}

/* What alert_cause_read's callback needs: the series in the order they
 * were asked for, with their region and layer. */
struct cause_scan {
	struct cause_matrix	*m;
	const int64_t		*ids;
	const char		**region;
	int			*layer;
	size_t			 n, cur;
	int64_t			 since;
};

static int
cause_run(const struct stored_outcome *o, void *arg)
{
	struct cause_scan *cs = arg;

	/* the series come in the order given */
	while (cs->cur < cs->n && cs->ids[cs->cur] != o->series)
		cs->cur++;
	if (cs->cur == cs->n)
		return 1;
	if (o->inconclusive || o->ts < cs->since)
		return 0;
	alert_cause_add(cs->m, cs->region[cs->cur], cs->layer[cs->cur], o->ts, o->ok);
	return 0;
}

int
alert_cause_read(struct store *st, const char *service, int64_t now,
    struct cause_matrix *m, char *err, size_t errlen)
{
	struct selector sel;
	struct cause_scan cs;
	int64_t *ids = NULL;
	size_t n, k = 0;
	int rc;

	memset(&sel, 0, sizeof(sel));
	sel.service = (char *)(uintptr_t)service;
	n = store_series_match(st, &sel, &ids);
	memset(&cs, 0, sizeof(cs));
	cs.m = m;
	cs.region = xcalloc(n + 1, sizeof(*cs.region));
	cs.layer = xcalloc(n + 1, sizeof(*cs.layer));
	/* only the three layers; ids is compacted to them in place */
	for (size_t i = 0; i < n; i++) {
		const struct store_series *s = store_series_get(st, ids[i]);
		int l = s ? alert_cause_layer(s->layer) : -1;

		if (l < 0)
			continue;
		ids[k] = ids[i];
		cs.region[k] = s->region ? s->region : "";
		cs.layer[k] = l;
		k++;
	}
	cs.ids = ids;
	cs.n = k;
	cs.since = now - CAUSE_STALE_MS;
	rc = store_recent_outcomes(st, ids, k, CAUSE_READ, cause_run, &cs, err,
	    errlen);
	if (rc < 0)
		alert_cause_clear(m);
	free(cs.region);
	free(cs.layer);
	free(ids);
	return rc;
}

enum cause_state
alert_cause_state(const struct cause_cell *c, int64_t cut, int *failed,
    int *runs)
{
	int f = 0, n = 0;

	for (int i = 0; i < c->runs && n < CAUSE_RUNS; i++) {
		if (c->ts[i] > cut)
			continue;
		n++;
		f += !c->ok[i];
	}
	if (failed)
		*failed = f;
	if (runs)
		*runs = n;
	if (n == 0)
		return CAUSE_NO_DATA;
	if (f >= CAUSE_FAILING)
		return CAUSE_FAILING_NOW;
	return f == 0 ? CAUSE_HEALTHY : CAUSE_MIXED;
}

static bool
failing(const struct cause_region *r, int layer, int64_t cut)
{
	return alert_cause_state(&r->cell[layer], cut, NULL, NULL) ==
	    CAUSE_FAILING_NOW;
}

static bool
has_data(const struct cause_region *r, int layer, int64_t cut)
{
	return alert_cause_state(&r->cell[layer], cut, NULL, NULL) != CAUSE_NO_DATA;
}

/* Where layer fails now in region r: the start of its newest failed run,
 * up to which the other layers are judged; INT64_MAX (now) elsewhere. */
static int64_t
cut_of(const struct cause_region *r, int layer)
{
	const struct cause_cell *c;

	if (layer < 0 || !failing(r, layer, INT64_MAX))
		return INT64_MAX;
	c = &r->cell[layer];
	for (int i = 0; i < c->runs && i < CAUSE_RUNS; i++)
		if (!c->ok[i])
			return c->ts[i];
	return INT64_MAX;
}

/* The front door fails in the regions of m marked in in[]: what did the
 * origins do there, up to cut[] of each region? */
static char *
front_door_line(const struct cause_matrix *m, const bool *in, const int64_t *cut)
{
	bool seen[CAUSE_NLAYERS] = { false }, bad[CAUSE_NLAYERS] = { false };
	bool down = false, any = false;

	for (size_t i = 0; i < m->n; i++) {
		if (!in[i])
			continue;
		for (int l = CAUSE_EDGE; l < CAUSE_NLAYERS; l++) {
			seen[l] |= has_data(&m->r[i], l, cut[i]);
			bad[l] |= failing(&m->r[i], l, cut[i]);
		}
	}
	for (int l = CAUSE_EDGE; l < CAUSE_NLAYERS; l++)
		any |= seen[l];
	if (!any)
		return NULL;
	/* the app is down where the front door and every origin the service
	 * has (with data in these regions) fail in one region together */
	for (size_t i = 0; i < m->n && !down; i++) {
		bool all = in[i];

		for (int l = CAUSE_EDGE; l < CAUSE_NLAYERS && all; l++)
			if (seen[l] && !failing(&m->r[i], l, cut[i]))
				all = false;
		down = all;
	}
	if (down)
		return xstrdup("front door and every origin failing: the app is down");
	if (!bad[CAUSE_EDGE] && !bad[CAUSE_CENTRAL])
		return xstrdup("front door failing, origins healthy: CDN problem");
	return xasprintf("front door failing, %s failing too: failover is not "
	    "covering it", bad[CAUSE_EDGE] && bad[CAUSE_CENTRAL] ? "both origins" :
	    layer_long[bad[CAUSE_EDGE] ? CAUSE_EDGE : CAUSE_CENTRAL]);
}

char *
alert_cause_line(const struct cause_matrix *m, int layer)
{
	bool *in, fd_seen = false, fd_bad = false, any = false;
	int64_t *cut;
	char *out = NULL;

	if (layer < 0 || layer >= CAUSE_NLAYERS || m->n == 0)
		return NULL;
	/* the regions where the incident's layer fails now, and its newest
	 * failure in each */
	in = xcalloc(m->n, sizeof(*in));
	cut = xcalloc(m->n, sizeof(*cut));
	for (size_t i = 0; i < m->n; i++) {
		any |= in[i] = failing(&m->r[i], layer, INT64_MAX);
		cut[i] = cut_of(&m->r[i], layer);
	}
	if (!any)
		goto out;
	if (layer == CAUSE_FRONT_DOOR) {
		out = front_door_line(m, in, cut);
		goto out;
	}
	/* an origin: was the front door failing there too? */
	for (size_t i = 0; i < m->n; i++) {
		if (!in[i])
			continue;
		fd_seen |= has_data(&m->r[i], CAUSE_FRONT_DOOR, cut[i]);
		fd_bad |= failing(&m->r[i], CAUSE_FRONT_DOOR, cut[i]);
	}
	if (!fd_seen)
		goto out;
	if (!fd_bad) {
		out = xasprintf("%s failing, front door healthy: failover working",
		    layer_long[layer]);
		goto out;
	}
	/* then the failure reaches users: said as for the front door, over
	 * the regions where both fail */
	for (size_t i = 0; i < m->n; i++)
		in[i] = in[i] && failing(&m->r[i], CAUSE_FRONT_DOOR, cut[i]);
	out = front_door_line(m, in, cut);
out:
	free(in);
	free(cut);
	return out;
}

json_t *
alert_cause_regions(const struct cause_matrix *m, int layer)
{
	bool shown[CAUSE_NLAYERS] = { false };
	json_t *arr = json_array();

	if (layer >= CAUSE_NLAYERS)
		layer = -1;
	for (size_t i = 0; i < m->n; i++)
		for (int l = 0; l < CAUSE_NLAYERS; l++)
			shown[l] |= m->r[i].cell[l].runs > 0;
	for (size_t i = 0; i < m->n; i++) {
		const struct cause_region *r = &m->r[i];
		int64_t cut = cut_of(r, layer);
		struct buf b;
		bool first = true;

		buf_init(&b, 4096);
		buf_printf(&b, "%s:", r->region[0] ? r->region : "(no region)");
		for (int l = 0; l < CAUSE_NLAYERS; l++) {
			int f, n;

			if (!shown[l])
				continue;
			buf_printf(&b, "%s %s", first ? "" : ",", layer_short[l]);
			first = false;
			switch (alert_cause_state(&r->cell[l], l == layer ? INT64_MAX :
			    cut, &f, &n)) {
			case CAUSE_NO_DATA:
				buf_printf(&b, " no recent runs");
				break;
			case CAUSE_HEALTHY:
				buf_printf(&b, " healthy");
				break;
			case CAUSE_MIXED:
				buf_printf(&b, " %d of %d runs failed", f, n);
				break;
			case CAUSE_FAILING_NOW:
				buf_printf(&b, " failing (%d of %d runs)", f, n);
				break;
			}
		}
		json_array_append_new(arr, json_pack("{s:s, s:s}", "region", r->region,
		    "line", b.data ? b.data : ""));
		buf_free(&b);
	}
	return arr;
}
