/* sched: one curl multi loop runs every check (after curl's hiperfifo and
 * multi-poll examples): perform -> info_read -> poll until the next due. */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "probe.h"
#include "sched.h"
#include "timeutil.h"
#include "xmalloc.h"

#define FLUSH_EVERY_US		200000	/* store at least this often */
#define FLUSH_BATCH		512	/* or when this many are waiting */
#define PENDING_CAP		100000	/* results held while the DB fails */
#define PRUNE_EVERY_US		(60LL * 1000000)
#define POOL_KEEP		64	/* idle easy handles kept */
#define POLL_MAX_MS		1000

static void apply_config(struct sched *s, struct agent_config *nc, const char *why);
static void finalize(struct sched *s, struct check *ck, int64_t now_us);
static CURL *host_easy_get(void *ctx);
static int host_easy_add(void *ctx, struct probe_run *run, CURL *e);

const double sched_lateness_bounds[SCHED_LATENESS_BUCKETS] = {
	0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25,
	0.5, 1, 2.5, 5, 10
};

/* ---- the due-time heap ---- */

static void
heap_swap(struct sched *s, size_t a, size_t b)
{
	struct check *t = s->heap[a];

	s->heap[a] = s->heap[b];
	s->heap[b] = t;
	s->heap[a]->heap_idx = a;
	s->heap[b]->heap_idx = b;
}

static void
heap_up(struct sched *s, size_t i)
{
	while (i > 0 && s->heap[(i - 1) / 2]->due_us > s->heap[i]->due_us) {
		heap_swap(s, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static void
heap_down(struct sched *s, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < s->nheap && s->heap[l]->due_us < s->heap[m]->due_us)
			m = l;
		if (r < s->nheap && s->heap[r]->due_us < s->heap[m]->due_us)
			m = r;
		if (m == i)
			return;
		heap_swap(s, i, m);
		i = m;
	}
}

static void
heap_push(struct sched *s, struct check *ck)
{
	s->heap[s->nheap] = ck;
	ck->heap_idx = s->nheap++;
	heap_up(s, ck->heap_idx);
}

static struct check *
heap_pop(struct sched *s)
{
	struct check *top = s->heap[0];

	heap_swap(s, 0, --s->nheap);
	heap_down(s, 0);
	top->heap_idx = SIZE_MAX;
	return top;
}

static void
heap_remove(struct sched *s, struct check *ck)
{
	size_t i = ck->heap_idx;

	if (i == SIZE_MAX)
		return;
	heap_swap(s, i, --s->nheap);
	if (i < s->nheap) {
		heap_down(s, i);
		heap_up(s, i);
	}
	ck->heap_idx = SIZE_MAX;
}

/* ---- easy handle pool ---- */

static CURL *
pool_get(struct sched *s)
{
	CURL *e;

	if (s->npool > 0) {
		e = s->pool[--s->npool];
		curl_easy_reset(e);
		return e;
	}
	return curl_easy_init();
}

static void
pool_put(struct sched *s, CURL *e)
{
	if (s->npool < POOL_KEEP)
		s->pool[s->npool++] = e;
	else
		curl_easy_cleanup(e);
}

/* ---- jitter ---- */

int64_t
sched_jitter_ms(const char *agent_id, const char *check, int64_t interval_ms)
{
	uint64_t h = 1469598103934665603ULL;	/* FNV-1a */
	const char *parts[2] = { agent_id ? agent_id : "", check };

	for (int p = 0; p < 2; p++) {
		for (const unsigned char *c = (const unsigned char *)parts[p]; *c; c++) {
			h ^= *c;
			h *= 1099511628211ULL;
		}
		h ^= '/';
		h *= 1099511628211ULL;
	}
	/* final avalanche so similar names spread evenly */
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return interval_ms > 0 ? (int64_t)(h % (uint64_t)interval_ms) : 0;
}

/* ---- checks ---- */

static struct check *
check_new(const struct check_config *cc)
{
	struct check *ck = xcalloc(1, sizeof(*ck));

	ck->conf = cc;
	ck->heap_idx = SIZE_MAX;
	ck->st.last_ok = -1;
	ck->st.last_ttl = -1;
	return ck;
}

static void
check_free(struct check *ck)
{
	if (ck == NULL)
		return;
	if (ck->run) {
		probe_run_clear(ck->run);
		free(ck->run);
	}
	free(ck);
}

/* The reference-target checks of the current config (s->mu held). */
static void
build_refs(struct sched *s, int64_t now_us)
{
	struct agent_config *ac = s->conf;

	s->refs = xcalloc(ac->nrefs + 1, sizeof(*s->refs));
	s->nrefs = ac->nrefs;
	for (size_t i = 0; i < ac->nrefs; i++) {
		s->refs[i] = check_new(&ac->refs[i]);
		s->refs[i]->ref = true;
	}
	/* the first round right away: /metrics knows the network at once (a
	 * round of the targets before a reload no longer counts) */
	s->ref_due_us = s->once ? INT64_MAX : now_us;
	s->ref_active = false;
	if (s->nverdict > 0)
		s->ref_want = true;
}

static void
build_checks(struct sched *s, int64_t now_us, bool jitter)
{
	struct agent_config *ac = s->conf;

	pthread_mutex_lock(&s->mu);	/* the HTTP thread may be reading */
	s->checks = xcalloc(ac->nchecks + 1, sizeof(*s->checks));
	s->nchecks = ac->nchecks;
	s->heap = xcalloc(ac->nchecks + 1, sizeof(*s->heap));
	s->nheap = 0;
	for (size_t i = 0; i < ac->nchecks; i++) {
		struct check *ck = check_new(&ac->checks[i]);

		ck->period_due_us = now_us + (jitter ? sched_jitter_ms(ac->id,
		    ck->conf->name, ck->conf->interval_ms) * 1000 : 0);
		ck->due_us = ck->period_due_us;
		s->checks[i] = ck;
		heap_push(s, ck);
	}
	build_refs(s, now_us);
	pthread_mutex_unlock(&s->mu);
}

struct sched *
sched_new(struct agent_config *conf, struct outbox *ob, int wake_fd,
    char *err, size_t errlen)
{
	struct sched *s = xcalloc(1, sizeof(*s));

	s->conf = conf;
	s->ob = ob;
	s->wake_fd = wake_fd;
	pthread_mutex_init(&s->mu, NULL);
	if ((s->multi = curl_multi_init()) == NULL) {
		snprintf(err, errlen, "curl_multi_init failed");
		s->conf = NULL;		/* still the caller's on failure */
		sched_free(s);
		return NULL;
	}
	s->pool = xcalloc(POOL_KEEP, sizeof(*s->pool));
	s->host.ctx = s;
	s->host.easy_get = host_easy_get;
	s->host.easy_add = host_easy_add;
	s->network = -1;
	s->pending = xcalloc(PENDING_CAP, sizeof(*s->pending));
	s->started_ms = time_now_ms();
	/* /healthz may be asked before the loop first goes round: not stalled */
	s->last_loop_ms = s->started_ms;
	s->rows = outbox_rows(ob);
	s->depth = outbox_depth(ob);
	return s;
}

/* ---- storing results ---- */

static void
flush_pending(struct sched *s)
{
	char err[512];
	size_t n = s->npending;
	int64_t oldest;

	if (n == 0)
		return;
	s->last_flush_us = time_mono_us();
	if (outbox_put(s->ob, s->pending, n, err, sizeof(err)) < 0) {
		pthread_mutex_lock(&s->mu);
		if (s->store_errors++ % 100 == 0)
			log_error("storing %zu results failed (will retry): %s", n, err);
		pthread_mutex_unlock(&s->mu);
		s->store_failed = true;
		if (!s->once && !s->stopping)
			return;		/* keep them and try again */
	}
	for (size_t i = 0; i < n; i++) {
		if (s->on_stored)
			s->on_stored(s->ctx, s->pending[i]);
		result_release(s->pending[i]);
		free(s->pending[i]);
	}
	s->npending = 0;
	oldest = outbox_oldest_unshipped_ms(s->ob);
	pthread_mutex_lock(&s->mu);
	s->rows = outbox_rows(s->ob);
	s->depth = outbox_depth(s->ob);
	s->oldest_unshipped_ms = oldest;
	pthread_mutex_unlock(&s->mu);
	/* configs replaced by a reload can go once nothing refers to them */
	if (s->nretired == 0 && s->nold > 0) {
		for (size_t i = 0; i < s->nold; i++)
			agentconf_free(s->old[i]);
		free(s->old);
		s->old = NULL;
		s->nold = 0;
	}
}

static void
prune(struct sched *s)
{
	struct outbox_prune_stats st = { 0, 0, 0 };
	char err[512];

	s->last_prune_us = time_mono_us();
	if (outbox_prune(s->ob, time_now_ms(), &s->conf->retention, &st,
	    err, sizeof(err)) < 0) {
		log_error("outbox retention failed: %s", err);
		return;
	}
	if (st.dropped > 0 || st.capped > 0)
		log_warn("OUTBOX FULL: removed %lld rows at the retention cap "
		    "(max_rows %lld), %lld of them never shipped; raise "
		    "agent.retention or fix shipping", (long long)st.capped,
		    (long long)s->conf->retention.max_rows, (long long)st.dropped);
	pthread_mutex_lock(&s->mu);
	s->expired_total += st.expired;
	s->dropped_total += st.dropped;
	s->capped_total += st.capped;
	s->rows = outbox_rows(s->ob);
	s->depth = outbox_depth(s->ob);
	s->oldest_unshipped_ms = outbox_oldest_unshipped_ms(s->ob);
	pthread_mutex_unlock(&s->mu);
}

static void
record_result(struct sched *s, struct check *ck, const struct result *r)
{
	struct check_stats *st = &ck->st;
	int was = st->last_ok;

	pthread_mutex_lock(&s->mu);
	st->runs++;
	if (r->inconclusive) {
		st->inconclusive++;
		s->inconclusive_total++;
	} else
		st->by_class[r->ok ? ERRCLASS_NONE : r->error_class]++;
	st->last_ok = r->ok;
	st->last_ts_ms = r->ts_ms;
	st->last_dns_us = r->dns_us;
	st->last_connect_us = r->connect_us;
	st->last_tls_us = r->tls_us;
	st->last_processing_us = r->processing_us;
	st->last_transfer_us = r->transfer_us;
	st->last_total_us = r->total_us;
	if (r->cert_not_after)
		st->last_cert_not_after = r->cert_not_after;
	if (r->extra != NULL) {
		json_t *v;

		if (json_is_integer(v = json_object_get(r->extra, "chain_not_after")))
			st->last_chain_not_after = json_integer_value(v);
		if ((v = json_object_get(r->extra, "ttl")) != NULL)
			st->last_ttl = json_is_integer(v) ? json_integer_value(v) : -1;
	}
	s->results_total++;
	pthread_mutex_unlock(&s->mu);
	/* log state transitions, not every check */
	if (!s->once && was != r->ok) {
		/* a first run that passes is not news: only say it at debug */
		if (r->ok && was < 0)
			log_debug("check %s: up (%lld ms)", r->check,
			    (long long)(r->total_us / 1000));
		else if (r->ok)
			log_info("check %s: up again (%lld ms)", r->check,
			    (long long)(r->total_us / 1000));
		else
			log_warn("check %s: down: %s: %s%s", r->check,
			    errclass_name(r->error_class), r->error, r->inconclusive ?
			    " (inconclusive: the agent's own network is down)" : "");
	}
	if (s->npending == PENDING_CAP) {
		/* the DB has been failing for a long time: lose the oldest, say so */
		result_release(s->pending[0]);
		free(s->pending[0]);
		memmove(s->pending, s->pending + 1, (PENDING_CAP - 1) * sizeof(*s->pending));
		s->npending--;
		pthread_mutex_lock(&s->mu);
		s->dropped_total++;
		pthread_mutex_unlock(&s->mu);
	}
	/* the copy takes over r's extra fields */
	s->pending[s->npending] = xmalloc(sizeof(struct result));
	*s->pending[s->npending++] = *r;
}

/* ---- runs in flight ---- */

static void
active_add(struct sched *s, struct probe_run *run)
{
	if (s->nactive == s->aactive) {
		s->aactive = s->aactive ? s->aactive * 2 : 64;
		s->active = xreallocarray(s->active, s->aactive, sizeof(*s->active));
	}
	s->active[s->nactive++] = run;
}

static void
active_remove(struct sched *s, struct probe_run *run)
{
	for (size_t i = 0; i < s->nactive; i++)
		if (s->active[i] == run) {
			s->active[i] = s->active[--s->nactive];
			return;
		}
}

static void
untrack_easy(struct probe_run *run, CURL *e)
{
	for (int i = 0; i < run->nbusy; i++)
		if (run->busy[i] == e) {
			run->busy[i] = run->busy[--run->nbusy];
			return;
		}
}

/* Take back every transfer the run still has on the multi handle. */
static void
drop_easies(struct sched *s, struct probe_run *run)
{
	while (run->nbusy > 0) {
		CURL *e = run->busy[--run->nbusy];

		curl_multi_remove_handle(s->multi, e);
		pool_put(s, e);
	}
	run->easy = NULL;
}

static CURL *
host_easy_get(void *ctx)
{
	return pool_get(ctx);
}

static int
host_easy_add(void *ctx, struct probe_run *run, CURL *e)
{
	struct sched *s = ctx;
	CURLMcode mc;

	if (run->nbusy == PROBE_MAX_EASY) {
		pool_put(s, e);
		return -1;
	}
	if ((mc = curl_multi_add_handle(s->multi, e)) != CURLM_OK) {
		log_error("curl_multi_add_handle: %s", curl_multi_strerror(mc));
		pool_put(s, e);
		return -1;
	}
	run->busy[run->nbusy++] = e;
	return 0;
}

/* ---- reference targets and the verdict on the agent's network ---- */

static void
verdict_remove(struct sched *s, struct check *ck)
{
	for (size_t i = 0; i < s->nverdict; i++)
		if (s->verdict[i] == ck) {
			memmove(s->verdict + i, s->verdict + i + 1,
			    (s->nverdict - i - 1) * sizeof(*s->verdict));
			s->nverdict--;
			return;
		}
}

/* A failed run waits for a round that started no earlier than its attempt. */
static void
verdict_wait(struct sched *s, struct check *ck)
{
	if (s->nverdict == s->averdict) {
		s->averdict = s->averdict ? s->averdict * 2 : 16;
		s->verdict = xreallocarray(s->verdict, s->averdict, sizeof(*s->verdict));
	}
	s->verdict[s->nverdict++] = ck;
	ck->state = CK_VERDICT;
	if (!(s->ref_active && s->ref_start_ms >= ck->run->res.ts_ms))
		s->ref_want = true;
}

static void start_attempt(struct sched *s, struct check *ck, int64_t now_us);

static void
ref_round_start(struct sched *s, int64_t now_us)
{
	s->ref_round++;
	s->ref_active = true;
	s->ref_want = false;
	s->ref_start_ms = time_now_ms();
	s->ref_left = s->nrefs;
	s->ref_failed = 0;
	s->ref_due_us = s->once ? INT64_MAX :
	    now_us + s->conf->ref_interval_ms * 1000;
	for (size_t i = 0; i < s->nrefs && s->ref_active; i++) {
		struct check *ck = s->refs[i];

		ck->ref_round = s->ref_round;
		if (ck->run == NULL)
			start_attempt(s, ck, now_us);
		else if (--s->ref_left == 0)	/* cannot happen: rounds do not overlap */
			s->ref_active = false;
	}
}

static void
ref_round_done(struct sched *s, int64_t now_us)
{
	bool down = s->ref_failed == s->nrefs;
	int was;
	size_t n = 0;
	struct check **ready;

	s->ref_active = false;
	s->ref_done_start_ms = s->ref_start_ms;
	pthread_mutex_lock(&s->mu);
	was = s->network;
	s->network = down ? 0 : 1;
	pthread_mutex_unlock(&s->mu);
	if (down && was != 0) {
		char why[512];
		size_t off = 0;

		why[0] = '\0';
		for (size_t i = 0; i < s->nrefs && off < sizeof(why); i++)
			off += (size_t)snprintf(why + off, sizeof(why) - off, "%s%s: %s",
			    i ? "; " : "", s->refs[i]->conf->name + strlen("reference "),
			    s->refs[i]->st.last_error);
		log_warn("NETWORK DOWN: every reference target failed (%s): failed "
		    "results are marked inconclusive until one answers", why);
	} else if (!down && was == 0)
		log_info("network back: a reference target answers again");
	/* release the failures this round speaks for */
	ready = xcalloc(s->nverdict + 1, sizeof(*ready));
	for (size_t i = 0; i < s->nverdict; ) {
		struct check *ck = s->verdict[i];

		if (ck->run->res.ts_ms <= s->ref_done_start_ms) {
			ready[n++] = ck;
			verdict_remove(s, ck);
		} else
			i++;
	}
	if (s->nverdict > 0)
		s->ref_want = true;
	for (size_t i = 0; i < n; i++)
		finalize(s, ready[i], now_us);
	free(ready);
}

/* A reference target's attempt is over. */
static void
ref_finished(struct sched *s, struct check *ck, const struct result *r,
    int64_t now_us)
{
	struct check_stats *st = &ck->st;

	pthread_mutex_lock(&s->mu);
	st->runs++;
	st->last_ok = r->ok;
	st->last_ts_ms = r->ts_ms;
	st->last_total_us = r->total_us;
	if (r->ok)
		snprintf(st->last_error, sizeof(st->last_error), "ok");
	else
		snprintf(st->last_error, sizeof(st->last_error), "%s, %.100s",
		    errclass_name(r->error_class), r->error);
	pthread_mutex_unlock(&s->mu);
	if (ck->retired || !s->ref_active || ck->ref_round != s->ref_round)
		return;		/* a round abandoned by a reload */
	if (!r->ok)
		s->ref_failed++;
	if (--s->ref_left == 0)
		ref_round_done(s, now_us);
}

/* Start a round when one is due or a failure waits for a verdict. */
static void
ref_tick(struct sched *s, int64_t now_us)
{
	if (s->nrefs == 0 || s->ref_active || s->stopping)
		return;
	if (s->ref_want || now_us >= s->ref_due_us)
		ref_round_start(s, now_us);
}

/* The run of ck is over (passed, or out of retries): store and reschedule. */
static void
finalize(struct sched *s, struct check *ck, int64_t now_us)
{
	struct probe_run *run = ck->run;

	run->res.attempts = run->attempt;
	/* before anything logs, stores or prints it */
	probe_redact_result(&run->res, ck->conf);
	if (ck->ref) {
		ref_finished(s, ck, &run->res, now_us);
		probe_run_clear(run);
		free(run);
		ck->run = NULL;
		ck->state = CK_IDLE;
		if (ck->retired) {
			check_free(ck);
			s->nretired--;
		}
		return;
	}
	if (!run->res.ok && s->nrefs > 0) {
		/* fresh: a round that started after this attempt has spoken */
		bool fresh = ck->state == CK_VERDICT ||
		    (s->ref_done_start_ms > 0 && s->ref_done_start_ms >= run->res.ts_ms);

		if (!fresh && !s->stopping) {
			verdict_wait(s, ck);
			return;
		}
		/* (when stopping, the last verdict is the best there is) */
		run->res.inconclusive = s->ref_done_start_ms > 0 && s->network == 0;
	}
	ck->state = CK_IDLE;
	record_result(s, ck, &run->res);
	run->res.extra = NULL;		/* the stored copy owns it now */
	probe_run_clear(run);
	free(run);
	ck->run = NULL;
	if (ck->retired) {
		check_free(ck);
		s->nretired--;
		return;
	}
	if (s->once) {
		s->once_left--;
		return;
	}
	ck->period_due_us += ck->conf->interval_ms * 1000;
	while (ck->period_due_us <= now_us) {
		ck->period_due_us += ck->conf->interval_ms * 1000;
		ck->st.skipped++;
	}
	ck->due_us = ck->period_due_us;
	heap_push(s, ck);
}

static void
note_lateness(struct sched *s, int64_t late_us)
{
	double late = (double)(late_us > 0 ? late_us : 0) / 1e6;
	int b = 0;

	while (b < SCHED_LATENESS_BUCKETS && late > sched_lateness_bounds[b])
		b++;
	pthread_mutex_lock(&s->mu);
	s->late_counts[b]++;
	s->late_sum += late;
	s->late_n++;
	pthread_mutex_unlock(&s->mu);
}

/* An attempt that never got going: record why and end the run. */
static void
start_failed(struct sched *s, struct check *ck, int64_t now_us)
{
	drop_easies(s, ck->run);
	probe_run_cleanup(ck->run);
	finalize(s, ck, now_us);
}

static void
start_attempt(struct sched *s, struct check *ck, int64_t now_us)
{
	struct probe_run *run = ck->run;
	char err[256];
	CURLMcode mc;

	if (run == NULL) {
		run = ck->run = xmalloc(sizeof(*run));
		probe_run_init(run, ck->conf);
		run->owner = ck;
		run->host = &s->host;
		run->res.check = ck->conf->name;
		run->res.kind = ck->conf->kind;
		run->res.service = ck->conf->service;
		run->res.layer = ck->conf->layer;
		run->res.provider = ck->conf->provider;
		run->res.url = ck->conf->record_url;
		run->res.agent = s->conf->id;
		run->res.region = s->conf->region;
		/* reference targets are someone else's servers: no header */
		run->probe_header = ck->ref ? NULL : s->conf->probe_header;
		if (!s->once && !ck->ref)
			note_lateness(s, now_us - ck->period_due_us);
	}
	run->attempt++;
	probe_run_reset_attempt(run);
	run->attempt_start_us = time_mono_us();
	run->res.ts_ms = time_now_ms();
	snprintf(run->probe_id, sizeof(run->probe_id), "%lld-%d",
	    (long long)run->res.ts_ms, run->attempt);
	ck->state = CK_RUNNING;
	if (run->kind == NULL) {
		result_fail(&run->res, ERRCLASS_INTERNAL, "cannot start %s check: "
		    "unknown kind", ck->conf->kind);
		start_failed(s, ck, now_us);
		return;
	}
	if (run->kind->step != NULL) {
		/* multi-step: the kind asks for handles and descriptors itself */
		if (run->kind->start(run, err, sizeof(err)) < 0) {
			result_fail(&run->res, ERRCLASS_INTERNAL, "cannot start %s check: %s",
			    ck->conf->kind, err);
			start_failed(s, ck, now_us);
			return;
		}
		if (run->nbusy == 0 && run->io_fd < 0 && run->io_deadline_us == 0) {
			result_fail(&run->res, ERRCLASS_INTERNAL, "%s check started "
			    "nothing", ck->conf->kind);
			start_failed(s, ck, now_us);
			return;
		}
	} else {
		run->easy = pool_get(s);
		if (run->easy == NULL) {
			result_fail(&run->res, ERRCLASS_INTERNAL, "curl_easy_init failed");
			start_failed(s, ck, now_us);
			return;
		}
		if (run->kind->start(run, err, sizeof(err)) < 0) {
			result_fail(&run->res, ERRCLASS_INTERNAL, "cannot start %s check: %s",
			    ck->conf->kind, err);
			pool_put(s, run->easy);
			run->easy = NULL;
			start_failed(s, ck, now_us);
			return;
		}
		if ((mc = curl_multi_add_handle(s->multi, run->easy)) != CURLM_OK) {
			result_fail(&run->res, ERRCLASS_INTERNAL, "curl_multi_add_handle: %s",
			    curl_multi_strerror(mc));
			pool_put(s, run->easy);
			run->easy = NULL;
			start_failed(s, ck, now_us);
			return;
		}
		run->busy[run->nbusy++] = run->easy;
	}
	active_add(s, run);
	pthread_mutex_lock(&s->mu);	/* /metrics reads it */
	s->inflight++;
	pthread_mutex_unlock(&s->mu);
}

/* The attempt of run is over (run->res filled): retry, or end the run. */
static void
attempt_over(struct sched *s, struct probe_run *run)
{
	struct check *ck = run->owner;
	int64_t now_us;

	drop_easies(s, run);
	probe_run_cleanup(run);		/* the kind's sockets close now */
	active_remove(s, run);
	pthread_mutex_lock(&s->mu);
	s->inflight--;
	pthread_mutex_unlock(&s->mu);
	now_us = time_mono_us();
	if (!run->res.ok && run->attempt <= ck->conf->retries && !s->stopping &&
	    !ck->retired && !ck->ref) {
		ck->state = CK_RETRY;
		ck->due_us = now_us + ck->conf->retry_delay_ms * 1000;
		heap_push(s, ck);
		return;
	}
	finalize(s, ck, now_us);
}

static void
finish_attempt(struct sched *s, CURL *e, CURLcode code)
{
	struct probe_run *run = NULL;

	curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&run);
	if (run->kind->step != NULL) {
		/* step sees the handle still attached (CONNECT_ONLY sockets) */
		bool done = run->kind->step(run, PROBE_EV_EASY, e, code);

		untrack_easy(run, e);
		curl_multi_remove_handle(s->multi, e);
		pool_put(s, e);
		if (done)
			attempt_over(s, run);
		return;
	}
	run->kind->finish(run, code);
	untrack_easy(run, e);
	curl_multi_remove_handle(s->multi, e);
	pool_put(s, e);
	run->easy = NULL;
	attempt_over(s, run);
}

/* Give multi-step runs their descriptor events and passed deadlines. */
static void
service_io(struct sched *s, int64_t now_us)
{
	size_t n = s->nactive;
	struct probe_run **snap;

	if (n == 0)
		return;
	snap = xcalloc(n, sizeof(*snap));
	memcpy(snap, s->active, n * sizeof(*snap));
	for (size_t i = 0; i < n; i++) {
		struct probe_run *run = snap[i];
		enum probe_event ev;
		bool still = false;

		for (size_t j = 0; j < s->nactive; j++)
			if (s->active[j] == run)
				still = true;
		if (!still || run->kind == NULL || run->kind->step == NULL)
			continue;	/* ended by an earlier step in this pass */
		if (run->io_fd >= 0 && run->io_revents != 0)
			ev = PROBE_EV_IO;
		else if (run->io_deadline_us > 0 && now_us >= run->io_deadline_us)
			ev = PROBE_EV_TIMEOUT;
		else
			continue;
		if (run->kind->step(run, ev, NULL, CURLE_OK)) {
			run->io_revents = 0;
			attempt_over(s, run);
		} else
			run->io_revents = 0;
	}
	free(snap);
}

static void
start_due(struct sched *s, int64_t now_us)
{
	while (s->nheap > 0 && s->heap[0]->due_us <= now_us &&
	    s->inflight < s->conf->max_inflight)
		start_attempt(s, heap_pop(s), now_us);
}

static void
read_done(struct sched *s)
{
	CURLMsg *m;
	int left;

	while ((m = curl_multi_info_read(s->multi, &left)) != NULL) {
		CURL *e = m->easy_handle;
		CURLcode code = m->data.result;

		if (m->msg != CURLMSG_DONE)
			continue;
		if (ship_owns(s->ship, e)) {
			curl_multi_remove_handle(s->multi, e);
			ship_done(s->ship, e, code);
		} else
			finish_attempt(s, e, code);
	}
}

/* Add whatever the shipper wants to start now (a batch, a check pull). */
static void
start_ship(struct sched *s, int64_t now_us)
{
	CURL *e;
	CURLMcode mc;

	while ((e = ship_next(s->ship, now_us, &s->ship_due_us)) != NULL) {
		if ((mc = curl_multi_add_handle(s->multi, e)) != CURLM_OK) {
			log_error("curl_multi_add_handle: %s", curl_multi_strerror(mc));
			ship_done(s->ship, e, CURLE_FAILED_INIT);
		}
	}
}

/* The probe descriptors of the poll set (wfds[1..nw) or [0..nw)): what
 * is ready, asked of poll(2) itself, since curl_multi_poll reports only
 * POLLIN/POLLOUT/POLLPRI and a socket with just an error (a UDP port
 * unreachable) would never look ready. */
static void
probe_revents(struct sched *s, size_t nw)
{
	struct pollfd pf[64];
	size_t first = s->wake_fd >= 0 ? 1 : 0;

	for (size_t i = first; i < nw; ) {
		size_t n = 0;

		for (; i < nw && n < 64; i++, n++) {
			pf[n].fd = s->wfds[i].fd;
			pf[n].events = s->wruns[i]->io_events;
			pf[n].revents = 0;
		}
		if (poll(pf, (nfds_t)n, 0) <= 0)
			continue;
		for (size_t k = 0; k < n; k++)
			s->wruns[i - n + k]->io_revents = pf[k].revents;
	}
}

/* Sleep in curl_multi_poll until a transfer needs us, a check is due, a
 * probe's own descriptor is ready, or a signal arrives on wake_fd. */
static void
wait_events(struct sched *s, int64_t now_us)
{
	long curl_ms = -1;
	int64_t ms = POLL_MAX_MS;
	size_t nw = 0;
	CURLMcode mc;

	if (s->awfds < s->nactive + 1) {
		s->awfds = s->nactive + 16;
		s->wfds = xreallocarray(s->wfds, s->awfds, sizeof(*s->wfds));
		s->wruns = xreallocarray(s->wruns, s->awfds, sizeof(*s->wruns));
	}
	if (s->wake_fd >= 0) {
		s->wfds[nw].fd = s->wake_fd;
		s->wfds[nw].events = CURL_WAIT_POLLIN;
		s->wfds[nw].revents = 0;
		s->wruns[nw++] = NULL;
	}
	for (size_t i = 0; i < s->nactive; i++) {
		struct probe_run *run = s->active[i];

		if (run->io_deadline_us > 0) {
			int64_t due = (run->io_deadline_us - now_us + 999) / 1000;
			if (due < ms)
				ms = due > 0 ? due : 0;
		}
		if (run->io_fd < 0)
			continue;
		s->wfds[nw].fd = run->io_fd;
		s->wfds[nw].events = (short)(((run->io_events & POLLIN) ? CURL_WAIT_POLLIN : 0) |
		    ((run->io_events & POLLOUT) ? CURL_WAIT_POLLOUT : 0));
		s->wfds[nw].revents = 0;
		s->wruns[nw++] = run;
	}
	if (s->nheap > 0 && s->inflight < s->conf->max_inflight) {
		int64_t due = (s->heap[0]->due_us - now_us + 999) / 1000;
		if (due < ms)
			ms = due > 0 ? due : 0;
	}
	if (s->nrefs > 0 && !s->ref_active && !s->stopping) {
		int64_t due = s->ref_want ? 0 : (s->ref_due_us - now_us + 999) / 1000;
		if (due < ms)
			ms = due > 0 ? due : 0;
	}
	if (s->npending > 0 && ms > FLUSH_EVERY_US / 1000)
		ms = FLUSH_EVERY_US / 1000;
	if (s->ship && !s->stopping && s->ship_due_us < INT64_MAX) {
		int64_t due = (s->ship_due_us - now_us + 999) / 1000;
		if (due < ms)
			ms = due > 0 ? due : 0;
	}
	if (curl_multi_timeout(s->multi, &curl_ms) == CURLM_OK && curl_ms >= 0 &&
	    curl_ms < ms)
		ms = curl_ms;
	mc = curl_multi_poll(s->multi, nw > 0 ? s->wfds : NULL, (unsigned)nw,
	    (int)ms, NULL);
	if (mc != CURLM_OK)
		log_error("curl_multi_poll: %s", curl_multi_strerror(mc));
	if (s->wake_fd >= 0 && (s->wfds[0].revents & CURL_WAIT_POLLIN)) {
		char drain[64];
		while (read(s->wake_fd, drain, sizeof(drain)) > 0)
			;
	}
	probe_revents(s, nw);
}

static void
loop_once(struct sched *s)
{
	int64_t now_us = time_mono_us();
	int running = 0;
	CURLMcode mc;

	if (!s->stopping)
		start_due(s, now_us);
	ref_tick(s, now_us);
	if ((mc = curl_multi_perform(s->multi, &running)) != CURLM_OK)
		log_error("curl_multi_perform: %s", curl_multi_strerror(mc));
	read_done(s);
	service_io(s, time_mono_us());
	now_us = time_mono_us();
	/* after read_done: a batch just acknowledged may want the next now */
	if (s->ship && !s->stopping)
		start_ship(s, now_us);
	if (s->npending >= FLUSH_BATCH ||
	    (s->npending > 0 && now_us - s->last_flush_us >= FLUSH_EVERY_US))
		flush_pending(s);
	pthread_mutex_lock(&s->mu);
	s->last_loop_ms = time_now_ms();
	pthread_mutex_unlock(&s->mu);
}

int
sched_run_once(struct sched *s)
{
	s->once = true;
	build_checks(s, time_mono_us(), false);
	s->once_left = s->nchecks;
	while (s->once_left > 0) {
		loop_once(s);
		if (s->once_left > 0)
			wait_events(s, time_mono_us());
	}
	flush_pending(s);
	return s->store_failed ? -1 : 0;
}

/* Stop: no new starts; a run waiting for its retry ends with its last
 * failed attempt, one waiting for a verdict with the last verdict known. */
/* Record every failure waiting for a verdict now, with the last one known
 * (stopping, or no reference targets any more). */
static void
verdict_release_all(struct sched *s, int64_t now_us)
{
	struct check **wait = xcalloc(s->nverdict + 1, sizeof(*wait));
	size_t nwait = s->nverdict;

	if (nwait > 0)
		memcpy(wait, s->verdict, nwait * sizeof(*wait));
	s->nverdict = 0;
	for (size_t i = 0; i < nwait; i++)
		finalize(s, wait[i], now_us);
	free(wait);
}

static void
begin_stop(struct sched *s)
{
	int64_t now_us = time_mono_us();

	s->stopping = true;
	verdict_release_all(s, now_us);
	for (size_t i = 0; i < s->nchecks; i++) {
		struct check *ck = s->checks[i];
		if (ck->run != NULL && ck->state == CK_RETRY) {
			heap_remove(s, ck);
			finalize(s, ck, now_us);
		}
	}
	log_info("stopping: waiting for %d checks in flight%s", s->inflight,
	    ship_busy(s->ship) ? " and a request to the collector" : "");
}

void
sched_set_ship(struct sched *s, struct ship *sh)
{
	s->ship = sh;
	s->ship_due_us = 0;
	if (sh)
		ship_attach(sh, s);
}

int
sched_run(struct sched *s, const struct sched_hooks *hooks)
{
	build_checks(s, time_mono_us(), true);
	prune(s);
	log_info("running %zu checks (max %lld in flight)", s->nchecks,
	    (long long)s->conf->max_inflight);
	for (;;) {
		if (*hooks->stop && !s->stopping)
			begin_stop(s);
		if (s->stopping && s->inflight == 0 && !ship_busy(s->ship))
			break;
		if (*hooks->reload && !s->stopping) {
			struct agent_config *nc;

			*hooks->reload = 0;
			log_info("SIGHUP: reloading the config");
			if ((nc = hooks->load(hooks->ctx)) == NULL) {
				pthread_mutex_lock(&s->mu);
				s->reloads_failed++;
				pthread_mutex_unlock(&s->mu);
				log_error("reload refused: the new config has errors "
				    "(above); still running the old one");
			} else
				sched_reload(s, nc);
		}
		loop_once(s);
		/* a pull that just finished may have brought new checks */
		if (s->ship && !s->stopping) {
			struct agent_config *nc = ship_take_config(s->ship);

			if (nc != NULL)
				apply_config(s, nc, "checks pulled from the collector");
		}
		if (!s->stopping && time_mono_us() - s->last_prune_us >= PRUNE_EVERY_US)
			prune(s);
		if (!(s->stopping && s->inflight == 0 && !ship_busy(s->ship)))
			wait_events(s, time_mono_us());
	}
	flush_pending(s);
	log_info("stopped: %lld results stored in all", (long long)s->results_total);
	return 0;
}

static int
cmp_check_name(const void *a, const void *b)
{
	const struct check *x = *(struct check *const *)a;
	const struct check *y = *(struct check *const *)b;

	return strcmp(x->conf->name, y->conf->name);
}

void
sched_reload(struct sched *s, struct agent_config *nc)
{
	struct agent_config *oc = s->conf;
	const struct agent_collector *a = oc->collector, *b = nc->collector;

	if (strcmp(oc->id, nc->id) != 0 || strcmp(oc->db, nc->db) != 0 ||
	    (oc->listen == NULL) != (nc->listen == NULL) ||
	    (oc->listen && strcmp(oc->listen, nc->listen) != 0))
		log_warn("reload: changes to agent.id, agent.db and agent.listen "
		    "take effect at the next restart");
	if ((a == NULL) != (b == NULL) || (a && (strcmp(a->url, b->url) != 0 ||
	    strcmp(a->key, b->key) != 0 || (a->ca_file == NULL) != (b->ca_file == NULL) ||
	    (a->ca_file && strcmp(a->ca_file, b->ca_file) != 0) ||
	    a->batch_max != b->batch_max || a->pull_every_ms != b->pull_every_ms ||
	    a->timeout_ms != b->timeout_ms)))
		log_warn("reload: changes to the collector section take effect at "
		    "the next restart");
	apply_config(s, nc, "reloaded");
	pthread_mutex_lock(&s->mu);
	s->reloads_ok++;
	pthread_mutex_unlock(&s->mu);
}

/* Swap in nc (owned): see sched_reload. why starts the log line. */
static void
apply_config(struct sched *s, struct agent_config *nc, const char *why)
{
	struct agent_config *oc = s->conf;
	struct check **old = s->checks, **byname, **oldrefs = s->refs;
	size_t nold = s->nchecks, kept = 0, changed = 0, noldrefs = s->nrefs;
	int64_t now_us = time_mono_us();
	bool old_in_use = false;

	flush_pending(s);	/* pending results point into the old config */
	if (s->npending > 0)
		old_in_use = true;	/* the DB is failing: they are still here */
	byname = xcalloc(nold + 1, sizeof(*byname));
	memcpy(byname, old, nold * sizeof(*byname));
	qsort(byname, nold, sizeof(*byname), cmp_check_name);

	pthread_mutex_lock(&s->mu);
	s->conf = nc;
	s->checks = xcalloc(nc->nchecks + 1, sizeof(*s->checks));
	s->nchecks = nc->nchecks;
	free(s->heap);
	s->heap = xcalloc(nc->nchecks + 1, sizeof(*s->heap));
	s->nheap = 0;
	for (size_t i = 0; i < nc->nchecks; i++) {
		struct check *ck = check_new(&nc->checks[i]);
		struct check key = { .conf = ck->conf }, *kp = &key, **hit;

		hit = bsearch(&kp, byname, nold, sizeof(*byname), cmp_check_name);
		if (hit && strcmp((*hit)->conf->fingerprint, ck->conf->fingerprint) == 0) {
			/* same check: keep its schedule and counters */
			ck->st = (*hit)->st;
			ck->period_due_us = (*hit)->period_due_us;
			kept++;
		} else {
			ck->period_due_us = now_us + sched_jitter_ms(nc->id,
			    ck->conf->name, ck->conf->interval_ms) * 1000;
			changed++;
		}
		ck->due_us = ck->period_due_us;
		s->checks[i] = ck;
		heap_push(s, ck);
	}
	build_refs(s, now_us);
	pthread_mutex_unlock(&s->mu);
	for (size_t i = 0; i < nold + noldrefs; i++) {
		struct check *ck = i < nold ? old[i] : oldrefs[i - nold];

		if (ck->run == NULL) {
			check_free(ck);
			continue;
		}
		/* its results refer to the old config: keep that until stored */
		ck->retired = true;
		s->nretired++;
		old_in_use = true;
		if (ck->state == CK_RETRY)	/* waiting to retry: record it now */
			finalize(s, ck, now_us);
		/* else in flight or waiting for a verdict: finishes with the old
		 * config, then is freed */
	}
	free(old);
	free(oldrefs);
	free(byname);
	/* build_refs dropped any round of the old targets and made a new one
	 * due now: the failures waiting for a verdict get it from that one,
	 * or, without reference targets any more, are recorded as they are */
	if (s->nrefs == 0)
		verdict_release_all(s, now_us);
	if (old_in_use) {
		s->old = xreallocarray(s->old, s->nold + 1, sizeof(*s->old));
		s->old[s->nold++] = oc;
	} else
		agentconf_free(oc);
	log_info("%s: %zu checks, %zu of them pulled (%zu unchanged, %zu new or "
	    "changed, %zu removed)", why, nc->nchecks, nc->nremote, kept, changed,
	    nold - kept);
}

void
sched_free(struct sched *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->nactive; i++) {
		struct probe_run *run = s->active[i];
		struct check *ck = run->owner;

		drop_easies(s, run);
		if (ck->retired)	/* in no list but this one */
			check_free(ck);
	}
	for (size_t i = 0; i < s->nverdict; i++)
		if (s->verdict[i]->retired)
			check_free(s->verdict[i]);
	free(s->active);
	free(s->verdict);
	free(s->wfds);
	free(s->wruns);
	for (size_t i = 0; i < s->nchecks; i++)
		check_free(s->checks[i]);
	for (size_t i = 0; i < s->nrefs; i++)
		check_free(s->refs[i]);
	free(s->checks);
	free(s->refs);
	free(s->heap);
	for (size_t i = 0; i < s->npool; i++)
		curl_easy_cleanup(s->pool[i]);
	free(s->pool);
	for (size_t i = 0; i < s->npending; i++) {
		result_release(s->pending[i]);
		free(s->pending[i]);
	}
	free(s->pending);
	if (s->ship)
		ship_abort(s->ship, s->multi);
	if (s->multi)
		curl_multi_cleanup(s->multi);
	for (size_t i = 0; i < s->nold; i++)
		agentconf_free(s->old[i]);
	free(s->old);
	agentconf_free(s->conf);
	pthread_mutex_destroy(&s->mu);
	free(s);
}
