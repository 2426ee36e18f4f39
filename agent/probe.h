/* probe: one run of one check on an easy handle, and the table of probe
 * kinds. Probe modules only fill the handle and judge the finished
 * transfer; the scheduler (sched.c) owns the multi handle and the loop.
 * Kinds that need more than one transfer, or their own socket (tcp after
 * the connect, dns, assets), are "multi-step": they ask the scheduler for
 * easy handles through run->host and tell it which descriptor to poll
 * through run->io_*; the scheduler calls their step() for each event. */
#ifndef VANTAGE_PROBE_H
#define VANTAGE_PROBE_H

#include <stdbool.h>
#include <stdint.h>

#include <curl/curl.h>

#include "buf.h"
#include "checkconf.h"
#include "result.h"

struct probe_run;

/* What the scheduler offers a multi-step kind (sched.c fills it in). */
struct probe_host {
	void	*ctx;
	/* A reset easy handle (NULL: out of memory). */
	CURL	*(*easy_get)(void *ctx);
	/* Run e (filled by the kind, CURLOPT_PRIVATE set to run) on the loop.
	 * When it ends, the kind's step() is called with it, still attached
	 * (so CONNECT_ONLY sockets are still open), and the scheduler takes
	 * it back afterwards. 0, or -1 (then e is taken back already). */
	int	 (*easy_add)(void *ctx, struct probe_run *run, CURL *e);
};

enum probe_event {
	PROBE_EV_EASY,		/* a transfer of the run ended */
	PROBE_EV_IO,		/* run->io_fd is ready (run->io_revents) */
	PROBE_EV_TIMEOUT	/* run->io_deadline_us passed */
};

#define PROBE_MAX_EASY	16	/* transfers of one run at once */
#define PROBE_ID_LEN	40

struct probe_run {
	const struct check_config	*conf;
	const struct probe_kind		*kind;
	CURL				*easy;		/* set while in flight */
	struct curl_slist		*req_headers;
	char				 errbuf[CURL_ERROR_SIZE];
	struct buf			 body;		/* kept only if needed */
	struct buf			 headers;	/* http: always (cache status) */
	bool				 keep_body, keep_headers;
	int64_t				 bytes;		/* body bytes seen */
	bool				 truncated;	/* stopped at max_body */
	int				 attempt;	/* 1-based */
	int64_t				 attempt_start_us; /* monotonic */
	int64_t				 cert_not_after;
	/* http: the status of the response whose headers are coming, and a
	 * redirect the check's redirect_policy refused (its status and where
	 * it pointed, redacted and cut) */
	long				 hdr_status;
	long				 redirect_refused;
	char				 redirect_to[96];
	struct result			 res;
	void				*owner;		/* the scheduler's check */
	/* correlation header (agent.probe_header; NULL: off) and the run id
	 * it carries: "<ts_ms>-<attempt>" of this attempt */
	const char			*probe_header;
	char				 probe_id[PROBE_ID_LEN];
	/* multi-step kinds */
	const struct probe_host		*host;
	void				*priv;		/* the kind's attempt state */
	int				 io_fd;		/* -1: nothing to poll */
	short				 io_events;	/* POLLIN, POLLOUT */
	short				 io_revents;	/* set by the scheduler */
	int64_t				 io_deadline_us;	/* monotonic; 0: none */
	/* the run's transfers on the multi handle (kept by the scheduler) */
	CURL				*busy[PROBE_MAX_EASY];
	int				 nbusy;
};

struct probe_kind {
	const char	*name;
	/* Fill run->easy for one attempt. 0, or -1 with a message in err. */
	int	(*start)(struct probe_run *run, char *err, size_t errlen);
	/* Judge the finished attempt: fill run->res (ok, class, phases...).
	 * NULL for multi-step kinds. */
	void	(*finish)(struct probe_run *run, CURLcode code);
	/* Multi-step kinds (NULL otherwise): start() got no easy handle and
	 * set up what it waits for; step() is called for each event (e and
	 * code for PROBE_EV_EASY) and returns true once the attempt is over
	 * with run->res filled. */
	bool	(*step)(struct probe_run *run, enum probe_event ev, CURL *e,
		    CURLcode code);
	/* Release run->priv and close run->io_fd (NULL: nothing kept).
	 * Called when an attempt ends and when the run is reset or cleared. */
	void	(*cleanup)(struct probe_run *run);
};

/* The kind named name, or NULL. */
const struct probe_kind *probe_kind_find(const char *name);
/* The one mapping from a transfer's CURLcode to an error class. */
enum errclass probe_errclass(CURLcode code);
/* The class of a failed transfer, refined by what is known of the answer
 * (status: its status code, 0 if none came; sent: the request went out):
 * a broken chunked body is "body", headers past libcurl's limits are
 * "http_status" (libcurl says "receive error" and "out of memory"). Writes
 * the result's message into out: curl_msg (libcurl's error buffer; NULL or
 * "": its text for code), reworded where it would mislead. */
enum errclass probe_errclass_refine(CURLcode code, long status, bool sent,
    const char *curl_msg, char *out, size_t outlen);
/* Fill r's failure fields for transfer e that ended with code (errbuf:
 * its CURLOPT_ERRORBUFFER) through probe_errclass_refine. */
void probe_fail_transfer(struct result *r, CURL *e, CURLcode code,
    const char *errbuf);

/* Prepare run for check conf (no allocation of the easy handle). */
void probe_run_init(struct probe_run *run, const struct check_config *conf);
/* Reset per-attempt state before a new attempt. */
void probe_run_reset_attempt(struct probe_run *run);
/* Release the buffers and header list run holds (not run). NULL-safe. */
void probe_run_clear(struct probe_run *run);

/* Fill r's phases (dns_us ... total_us) from a finished transfer's
 * cumulative timers. */
void probe_fill_phases(struct result *r, CURL *e);
/* Append the correlation header ("X-Vantage-Probe: check/agent/id") to
 * *list, unless it is off or the check sets that header itself. 0 or -1
 * (out of memory). */
int probe_add_correlation(struct probe_run *run, struct curl_slist **list);
/* Keep credentials out of a finished result of check cc: every URL in
 * r->error and in the strings of r->extra loses its userinfo and the
 * values of cc's redact keys (r->url is cc->record_url already). */
void probe_redact_result(struct result *r, const struct check_config *cc);
/* Release what the kind keeps for the attempt (its cleanup). */
void probe_run_cleanup(struct probe_run *run);

/* HTTP(S) probe (probe_http.c). */
int probe_http_start(struct probe_run *run, char *err, size_t errlen);
void probe_http_finish(struct probe_run *run, CURLcode code);
/* TLS handshake and certificates (probe_tls.c). */
int probe_tls_start(struct probe_run *run, char *err, size_t errlen);
void probe_tls_finish(struct probe_run *run, CURLcode code);
void probe_tls_cleanup(struct probe_run *run);
/* TCP connect, send, banner (probe_tcp.c). */
int probe_tcp_start(struct probe_run *run, char *err, size_t errlen);
bool probe_tcp_step(struct probe_run *run, enum probe_event ev, CURL *e,
    CURLcode code);
void probe_tcp_cleanup(struct probe_run *run);
/* DNS question over UDP (probe_dns.c). */
int probe_dns_start(struct probe_run *run, char *err, size_t errlen);
bool probe_dns_step(struct probe_run *run, enum probe_event ev, CURL *e,
    CURLcode code);
void probe_dns_cleanup(struct probe_run *run);
/* Deployed-asset consistency across targets (probe_assets.c). */
int probe_assets_start(struct probe_run *run, char *err, size_t errlen);
bool probe_assets_step(struct probe_run *run, enum probe_event ev, CURL *e,
    CURLcode code);
void probe_assets_cleanup(struct probe_run *run);

#endif
