/* sched: the agent's scheduler. Owns the one CURLM, the due-time heap,
 * retries, the batch of results waiting for the outbox, and the counters
 * that /healthz and /metrics read (under mu). The shipper's transfers
 * (ship.h) run on the same CURLM, started and finished through its hooks. */
#ifndef VANTAGE_SCHED_H
#define VANTAGE_SCHED_H

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>

#include "agentconf.h"
#include "errclass.h"
#include "outbox.h"
#include "probe.h"
#include "result.h"
#include "ship.h"

struct check_stats {
	int64_t	runs;
	int64_t	by_class[ERRCLASS_COUNT];	/* [ERRCLASS_NONE]: passed */
	int	last_ok;			/* -1 not run yet, 0, 1 */
	int64_t	last_ts_ms;
	int64_t	last_dns_us, last_connect_us, last_tls_us;
	int64_t	last_processing_us, last_transfer_us, last_total_us;
	int64_t	last_cert_not_after;
	int64_t	last_chain_not_after;		/* tls: earliest in the chain */
	int64_t	last_ttl;			/* dns: seconds; -1 none */
	int64_t	skipped;			/* periods missed while running */
	int64_t	inconclusive;			/* failures while the agent's
						 * network was down (not in
						 * by_class) */
	char	last_error[128];		/* reference targets: why down */
};

/* Where a check's run is (sched.c). */
enum check_state {
	CK_IDLE = 0,	/* no run */
	CK_RUNNING,	/* an attempt is in flight */
	CK_RETRY,	/* waiting for retry_delay */
	CK_VERDICT	/* failed; waiting for a reference round to say whether
			 * the agent's own network was down */
};

struct check {
	const struct check_config	*conf;	/* owned by the agent_config */
	struct check_stats		 st;
	int64_t				 period_due_us;	/* next periodic start */
	int64_t				 due_us;	/* heap key */
	size_t				 heap_idx;	/* SIZE_MAX: not queued */
	struct probe_run		*run;	/* running or awaiting retry */
	bool				 retired;	/* config reloaded away */
	bool				 ref;	/* a reference target */
	enum check_state		 state;
	int64_t				 ref_round;	/* round it ran in */
};

#define SCHED_LATENESS_BUCKETS 15
extern const double sched_lateness_bounds[SCHED_LATENESS_BUCKETS];

struct sched {
	CURLM			*multi;
	struct agent_config	*conf;		/* current config (owned) */
	struct agent_config	**old;		/* replaced configs still in use */
	size_t			 nold;
	struct check		**checks;
	size_t			 nchecks;
	size_t			 nretired;	/* retired checks still running */
	struct check		**heap;
	size_t			 nheap;
	CURL			**pool;		/* idle easy handles */
	size_t			 npool;
	struct result		**pending;	/* finished, not yet stored */
	size_t			 npending;
	struct outbox		*ob;
	struct ship		*ship;		/* NULL: standalone (borrowed) */
	int64_t			 ship_due_us;	/* when to ask ship_next again */
	int			 inflight;	/* probes (not ship transfers) */
	bool			 once, stopping;
	size_t			 once_left;
	int			 wake_fd;	/* read end of the signal pipe */
	struct probe_host	 host;		/* for multi-step probe kinds */
	struct probe_run	**active;	/* runs with an attempt in flight */
	size_t			 nactive, aactive;
	struct curl_waitfd	*wfds;		/* poll set: wake_fd + probe fds */
	struct probe_run	**wruns;	/* the run of each wfds[i > 0] */
	size_t			 awfds;
	/* reference targets (agent.reference_targets): a round probes all
	 * of them; the network is down when every one failed */
	struct check		**refs;
	size_t			 nrefs;
	int64_t			 ref_round;	/* id of the current/last round */
	bool			 ref_active;	/* a round is running */
	size_t			 ref_left, ref_failed;
	int64_t			 ref_start_ms;	/* wall clock start of the round */
	int64_t			 ref_due_us;	/* next periodic round */
	int64_t			 ref_done_start_ms;	/* start of the last
							 * completed round (0: none) */
	bool			 ref_want;	/* a failure needs a new round */
	struct check		**verdict;	/* checks in CK_VERDICT */
	size_t			 nverdict, averdict;
	int64_t			 last_flush_us, last_prune_us;
	bool			 store_failed;	/* a flush failed (for --once) */

	/* on_stored: called for each result once stored (seq set) */
	void	(*on_stored)(void *ctx, const struct result *r);
	void	*ctx;

	/* read by the HTTP thread under mu */
	pthread_mutex_t		 mu;
	int64_t			 started_ms, last_loop_ms;
	int64_t			 results_total, store_errors;
	int64_t			 rows, depth, oldest_unshipped_ms;
	int64_t			 expired_total, dropped_total, capped_total;
	int64_t			 reloads_ok, reloads_failed;
	int64_t			 late_counts[SCHED_LATENESS_BUCKETS + 1];
	double			 late_sum;
	int64_t			 late_n;
	int			 network;	/* -1 unknown, 0 down, 1 up */
	int64_t			 inconclusive_total;
	struct ship_stats	 ship_st;	/* written by ship.c under mu */
};

/* Create a scheduler for conf (taking ownership of conf on success) storing
 * into ob (borrowed). wake_fd: a descriptor that becomes readable when a
 * signal arrives (-1: none). Returns NULL with a message in err (conf is
 * then still the caller's). */
struct sched *sched_new(struct agent_config *conf, struct outbox *ob,
    int wake_fd, char *err, size_t errlen);
/* Run every check once (with retries, no jitter), storing results and
 * calling on_stored for each; returns 0, or -1 if results could not be
 * stored. */
int sched_run_once(struct sched *s);

struct sched_hooks {
	volatile sig_atomic_t	*stop;		/* set by SIGTERM/SIGINT */
	volatile sig_atomic_t	*reload;	/* set by SIGHUP */
	/* load the new config; NULL (errors already logged) keeps the old */
	struct agent_config	*(*load)(void *ctx);
	void			*ctx;
};

/* Run until *hooks->stop: schedule with jitter, retry, store in batches,
 * prune. On stop, waits for in-flight checks (bounded by their timeout),
 * stores them and returns 0. */
int sched_run(struct sched *s, const struct sched_hooks *hooks);
/* Swap in a new config (ownership taken): unchanged checks keep their
 * schedule and counters; running checks of the old config finish first.
 * Counted as a config reload (SIGHUP). */
void sched_reload(struct sched *s, struct agent_config *conf);
/* Ship results and pull checks through sh (borrowed; must outlive s's
 * loop): its transfers run on s's multi, and the configs it builds from
 * pulled checks are swapped in like a reload. Call before sched_run. */
void sched_set_ship(struct sched *s, struct ship *sh);
/* Deterministic first-run offset of a check in [0, interval) ms. */
int64_t sched_jitter_ms(const char *agent_id, const char *check, int64_t interval_ms);
/* Free everything (the config too; not the outbox). NULL-safe. */
void sched_free(struct sched *s);

#endif
