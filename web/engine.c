/* engine: periodic SLO evaluation and retention. */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "collector.h"
#include "engine.h"
#include "log.h"
#include "slo.h"
#include "sloeng.h"
#include "timeutil.h"
#include "xmalloc.h"

#define PRUNE_EVERY_MS	60000
#define PRUNE_STEP	5000
#define STATUS_WINDOW_MS (5 * 60000)

struct engine {
	struct collector	*c;
	pthread_t		 th;
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	int			 stop;
};

static void
snapshot_free(struct slo_snapshot *s)
{
	if (s == NULL)
		return;
	json_decref(s->slos);
	json_decref(s->checks);
	free(s);
}

struct slo_snapshot *
engine_snapshot(struct collector *c)
{
	struct slo_snapshot *s;

	pthread_mutex_lock(&c->snap_mu);
	if ((s = c->snap) != NULL)
		s->refs++;
	pthread_mutex_unlock(&c->snap_mu);
	return s;
}

void
engine_snapshot_put(struct collector *c, struct slo_snapshot *s)
{
	int last;

	if (s == NULL)
		return;
	pthread_mutex_lock(&c->snap_mu);
	last = --s->refs == 0;
	pthread_mutex_unlock(&c->snap_mu);
	if (last)
		snapshot_free(s);
}

static json_t *
check_ratios(sqlite3 *db, int64_t now, char *err, size_t errlen)
{
	struct rollup_agg *a;
	size_t n;
	json_t *arr;

	if (sloeng_aggregate(db, NULL, now - STATUS_WINDOW_MS, now, "check_region",
	    &a, &n, err, errlen) < 0)
		return NULL;
	arr = json_array();
	for (size_t i = 0; i < n; i++) {
		char *sep = strchr(a[i].key, '\x1f');
		int64_t lookups = sloeng_cache_lookups(&a[i]);
		json_t *o;

		if (sep)
			*sep = '\0';
		o = json_pack("{s:s,s:s,s:I,s:I,s:o}",
		    "check", a[i].key, "region", sep ? sep + 1 : "",
		    "total", (json_int_t)a[i].total, "good", (json_int_t)a[i].good,
		    "ratio", sloeng_ratio(slo_availability(a[i].good, a[i].total)));
		/* only where answers revealed a cache status */
		if (lookups > 0)
			json_object_set_new(o, "cache_hit_ratio", json_real(
			    (double)sloeng_cache_hits(&a[i]) / (double)lookups));
		json_array_append_new(arr, o);
	}
	sloeng_aggs_free(a, n);
	return arr;
}

int
engine_evaluate(struct collector *c)
{
	struct slo_snapshot *s = xcalloc(1, sizeof(*s)), *old;
	sqlite3 *db = store_reader(c->st);
	int64_t now = time_now_ms();
	char err[512];
	int rc = 0;

	s->refs = 1;
	s->evaluated_at = now;
	s->slos = json_array();
	for (size_t i = 0; i < c->conf->nslos; i++) {
		json_t *o;

		if (c->stopping) {
			/* stopping: keep the last snapshot, do not finish this one */
			store_reader_put(c->st, db);
			snapshot_free(s);
			return -1;
		}
		o = sloeng_evaluate(db, &c->conf->slos[i], now, 1, err, sizeof(err));
		if (o == NULL) {
			log_error("SLO %s: %s", c->conf->slos[i].name, err);
			o = json_pack("{s:s,s:s}", "name", c->conf->slos[i].name,
			    "error", err);
			rc = -1;
		}
		json_array_append_new(s->slos, o);
	}
	if ((s->checks = check_ratios(db, now, err, sizeof(err))) == NULL) {
		log_error("check ratios: %s", err);
		s->checks = json_array();
		rc = -1;
	}
	store_reader_put(c->st, db);
	s->finished_at = time_now_ms();
	pthread_mutex_lock(&c->snap_mu);
	old = c->snap;
	c->snap = s;
	pthread_mutex_unlock(&c->snap_mu);
	engine_snapshot_put(c, old);
	return rc;
}

static void *
engine_main(void *arg)
{
	struct engine *e = arg;
	struct collector *c = e->c;
	int64_t last_prune = 0;

	pthread_mutex_lock(&e->mu);
	while (!e->stop) {
		struct timespec ts;
		int64_t now;

		pthread_mutex_unlock(&e->mu);
		engine_evaluate(c);
		now = time_now_ms();
		if (now - last_prune >= PRUNE_EVERY_MS) {
			const struct collector_config *cc = c->conf;
			int64_t removed = 0;
			char err[256];

			last_prune = now;
			if (store_prune(c->st, now, cc->keep_raw_ms, cc->keep_1m_ms,
			    cc->keep_1h_ms, cc->keep_1d_ms, PRUNE_STEP, &removed, err,
			    sizeof(err)) < 0)
				log_warn("retention: %s", err);
			else if (removed > 0)
				log_debug("retention: removed %lld rows", (long long)removed);
		}
		pthread_mutex_lock(&e->mu);
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += c->evaluate_every_ms / 1000;
		ts.tv_nsec += (c->evaluate_every_ms % 1000) * 1000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		while (!e->stop && pthread_cond_timedwait(&e->cv, &e->mu, &ts) != ETIMEDOUT)
			;
	}
	pthread_mutex_unlock(&e->mu);
	return NULL;
}

struct engine *
engine_start(struct collector *c, char *err, size_t errlen)
{
	struct engine *e = xcalloc(1, sizeof(*e));

	e->c = c;
	pthread_mutex_init(&e->mu, NULL);
	pthread_cond_init(&e->cv, NULL);
	if (pthread_create(&e->th, NULL, engine_main, e) != 0) {
		snprintf(err, errlen, "cannot start the SLO engine thread");
		free(e);
		return NULL;
	}
	return e;
}

void
engine_stop(struct engine *e)
{
	if (e == NULL)
		return;
	pthread_mutex_lock(&e->mu);
	e->stop = 1;
	pthread_cond_signal(&e->cv);
	pthread_mutex_unlock(&e->mu);
	pthread_join(e->th, NULL);
	pthread_mutex_destroy(&e->mu);
	pthread_cond_destroy(&e->cv);
	free(e);
}
