/* reload: swap in a new collector config on SIGHUP. */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "alert.h"
#include "alertconf.h"
#include "collector.h"
#include "conf.h"
#include "deliver.h"
#include "engine.h"
#include "log.h"
#include "reload.h"

static bool
same(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

/* What only a restart can change: the sockets and the DB. */
static const char *
needs_restart(const struct collector_config *a, const struct collector_config *b)
{
	if (a->nlisten != b->nlisten)
		return "listen";
	for (size_t i = 0; i < a->nlisten; i++)
		if (!same(a->listen[i], b->listen[i]))
			return "listen";
	if (!same(a->tls_cert, b->tls_cert) || !same(a->tls_key, b->tls_key))
		return "tls";
	if (!same(a->db, b->db))
		return "db";
	return NULL;
}

int
reload_config(struct collector *c, const char *file, char *err, size_t errlen)
{
	struct confctx ctx = { 0 };
	struct collector_config *cc = collconf_load_ctx(&ctx, file, NULL), *old;
	int64_t thr[STORE_MAX_THRESHOLDS];
	size_t nthr;
	const char *what;

	if (cc == NULL) {
		for (size_t i = 0; i < ctx.nerrs; i++)
			log_error("reload: %s", ctx.errs[i]);
		snprintf(err, errlen, "%s has %zu error%s; the running config stays",
		    file, ctx.nerrs, ctx.nerrs == 1 ? "" : "s");
		conf_ctx_free(&ctx);
		return -1;
	}
	conf_ctx_free(&ctx);
	collector_conf_read(c);
	what = needs_restart(c->conf, cc);
	collector_conf_done(c);
	if (what != NULL) {
		snprintf(err, errlen, "%s: \"%s\" changed, which needs a restart; the "
		    "running config stays", file, what);
		collconf_free(cc);
		return -1;
	}
	nthr = collconf_thresholds(cc, thr, STORE_MAX_THRESHOLDS);
	if (store_set_thresholds(c->st, thr, nthr, err, errlen) < 0) {
		collconf_free(cc);
		return -1;
	}
	/* every reader lets go of the old config before it is swapped */
	pthread_rwlock_wrlock(&c->conf_lock);
	old = c->conf;
	c->conf = cc;
	pthread_rwlock_unlock(&c->conf_lock);
	collconf_free(old);
	if (c->eng)
		engine_reconfigure(c->eng);
	if (c->deliver)
		deliver_wake(c->deliver);
	log_info("reloaded %s: %zu agents, %zu checks, %zu SLOs, %zu alert rules",
	    file, cc->nagents, cc->nchecks, cc->nslos,
	    cc->alerts ? cc->alerts->nrules : (size_t)0);
	return 0;
}
