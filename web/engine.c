/* engine: the SLO engine's thread, its snapshot, and retention. */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alertconf.h"
#include "collector.h"
#include "engine.h"
#include "log.h"
#include "timeutil.h"
#include "xmalloc.h"

#define PRUNE_EVERY_MS	60000
#define PRUNE_STEP	5000

struct engine {
	struct collector	*c;
	struct sloeng		*eng;
	bool			 reconfigure;
	pthread_t		 th;
	bool			 running;
	pthread_mutex_t		 mu;	/* stop, reconfigure, error */
	pthread_cond_t		 cv;
	int			 stop;
	volatile int		 abort;	/* cut an evaluation short */
	char			 error[512];
	int64_t			 error_at;
	int64_t			 last_prune;
};

static void
snapshot_free(struct slo_snapshot *s)
{
	if (s == NULL)
		return;
	slo_eval_free(s->ev);
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

int
engine_window(struct collector *c, const struct slo_config *slo,
    int64_t window_ms, int64_t *good, int64_t *total, int64_t *evaluated_at)
{
	struct slo_snapshot *s = engine_snapshot(c);
	const struct slo_result *r;
	int rc = -1;

	*good = *total = 0;
	*evaluated_at = 0;
	if (s != NULL && (r = slo_eval_find(s->ev, slo->name)) != NULL &&
	    slo_eval_window(s->ev, r, window_ms, good, total) == 0) {
		*evaluated_at = s->evaluated_at;
		rc = 0;
	}
	engine_snapshot_put(c, s);
	return rc;
}

int64_t *
engine_rule_windows(const struct collector *c, size_t *n)
{
	const struct alerts_config *ac = c->conf->alerts;
	int64_t *v = NULL;
	size_t k = 0;

	*n = 0;
	for (size_t i = 0; ac && i < ac->nrules; i++) {
		const struct alert_rule *r = &ac->rules[i];

		if (r->type != RULE_BURN_RATE || r->slo == NULL)
			continue;
		v = xreallocarray(v, k + 2 * r->npairs + 1, sizeof(*v));
		for (size_t p = 0; p < r->npairs; p++) {
			v[k++] = alertconf_scale(r->pairs[p].long_ms, r->slo->window_ms);
			v[k++] = alertconf_scale(r->pairs[p].short_ms, r->slo->window_ms);
		}
	}
	*n = k;
	return v;
}

/* (Re)build the SLO engine from the config. */
static void
build(struct engine *e)
{
	struct collector *c = e->c;
	struct sloeng_conf sc;
	size_t nx;
	int64_t *x = engine_rule_windows(c, &nx);

	sloeng_free(e->eng);
	sc.slos = c->conf->slos;
	sc.nslos = c->conf->nslos;
	sc.extra_windows = x;
	sc.nextra = nx;
	e->eng = sloeng_new(c->st, &sc, true);
	free(x);
}

struct engine *
engine_new(struct collector *c)
{
	struct engine *e = xcalloc(1, sizeof(*e));

	e->c = c;
	pthread_mutex_init(&e->mu, NULL);
	pthread_cond_init(&e->cv, NULL);
	build(e);
	return e;
}

void
engine_reconfigure(struct engine *e)
{
	pthread_mutex_lock(&e->mu);
	e->reconfigure = true;
	pthread_cond_signal(&e->cv);
	pthread_mutex_unlock(&e->mu);
}

void
engine_error(struct engine *e, char *out, size_t outlen, int64_t *at)
{
	pthread_mutex_lock(&e->mu);
	snprintf(out, outlen, "%s", e->error);
	*at = e->error_at;
	pthread_mutex_unlock(&e->mu);
}

int
engine_evaluate(struct collector *c, struct engine *e)
{
	struct slo_snapshot *s, *old;
	struct slo_eval *ev;
	int64_t now = time_now_ms();
	char err[512];
	bool rebuild;

	pthread_mutex_lock(&e->mu);
	rebuild = e->reconfigure;
	e->reconfigure = false;
	pthread_mutex_unlock(&e->mu);
	if (rebuild)
		build(e);
	log_debug("SLO engine: evaluating at %lld", (long long)now);
	if (sloeng_evaluate(e->eng, now, &e->abort, &ev, err, sizeof(err)) < 0) {
		if (!e->abort)
			log_error("SLO engine: %s", err);
		pthread_mutex_lock(&e->mu);
		snprintf(e->error, sizeof(e->error), "%s", err);
		e->error_at = now;
		pthread_mutex_unlock(&e->mu);
		return -1;
	}
	log_debug("SLO engine: %s evaluation of %zu SLOs in %lld ms (%lld rows, "
	    "%lld deltas)", ev->cold ? "cold" : "incremental", ev->nslos,
	    (long long)(ev->finished_at - now), (long long)ev->rows_read,
	    (long long)ev->deltas_applied);
	pthread_mutex_lock(&e->mu);
	e->error[0] = '\0';
	pthread_mutex_unlock(&e->mu);
	s = xcalloc(1, sizeof(*s));
	s->refs = 1;
	s->evaluated_at = now;
	s->finished_at = ev->finished_at;
	s->ev = ev;
	pthread_mutex_lock(&c->snap_mu);
	old = c->snap;
	c->snap = s;
	pthread_mutex_unlock(&c->snap_mu);
	engine_snapshot_put(c, old);
	return 0;
}

static void
prune(struct engine *e, int64_t now)
{
	const struct collector_config *cc = e->c->conf;
	int64_t removed = 0;
	char err[256];

	e->last_prune = now;
	if (store_prune(e->c->st, now, cc->keep_raw_ms, cc->keep_1m_ms,
	    cc->keep_1h_ms, cc->keep_1d_ms, PRUNE_STEP, &removed, err,
	    sizeof(err)) < 0)
		log_warn("retention: %s", err);
	else if (removed > 0)
		log_debug("retention: removed %lld rows", (long long)removed);
}

static void *
engine_main(void *arg)
{
	struct engine *e = arg;
	struct collector *c = e->c;
	struct timespec next;

	/* retention runs a minute after start, not in the way of the first
	 * evaluation */
	e->last_prune = time_now_ms();
	clock_gettime(CLOCK_REALTIME, &next);
	pthread_mutex_lock(&e->mu);
	while (!e->stop) {
		struct timespec now_ts;
		int64_t now;

		pthread_mutex_unlock(&e->mu);
		collector_conf_read(c);
		engine_evaluate(c, e);
		now = time_now_ms();
		if (now - e->last_prune >= PRUNE_EVERY_MS && !e->abort)
			prune(e, now);
		collector_conf_done(c);
		pthread_mutex_lock(&e->mu);
		/* at a fixed rate, so the snapshot is never older than the
		 * interval plus one evaluation; after a long one, at once */
		next.tv_sec += c->evaluate_every_ms / 1000;
		next.tv_nsec += (c->evaluate_every_ms % 1000) * 1000000;
		if (next.tv_nsec >= 1000000000) {
			next.tv_sec++;
			next.tv_nsec -= 1000000000;
		}
		clock_gettime(CLOCK_REALTIME, &now_ts);
		if (now_ts.tv_sec > next.tv_sec || (now_ts.tv_sec == next.tv_sec &&
		    now_ts.tv_nsec > next.tv_nsec))
			next = now_ts;
		while (!e->stop && !e->reconfigure &&
		    pthread_cond_timedwait(&e->cv, &e->mu, &next) != ETIMEDOUT)
			;
	}
	pthread_mutex_unlock(&e->mu);
	return NULL;
}

struct engine *
engine_start(struct collector *c, char *err, size_t errlen)
{
	struct engine *e = engine_new(c);

	if (pthread_create(&e->th, NULL, engine_main, e) != 0) {
		snprintf(err, errlen, "cannot start the SLO engine thread");
		engine_stop(e);
		return NULL;
	}
	e->running = true;
	return e;
}

void
engine_stop(struct engine *e)
{
	if (e == NULL)
		return;
	if (e->running) {
		pthread_mutex_lock(&e->mu);
		e->stop = 1;
		e->abort = 1;
		pthread_cond_signal(&e->cv);
		pthread_mutex_unlock(&e->mu);
		pthread_join(e->th, NULL);
	}
	sloeng_free(e->eng);
	pthread_mutex_destroy(&e->mu);
	pthread_cond_destroy(&e->cv);
	free(e);
}
