/* probe: one run of one check on an easy handle, and the table of probe
 * kinds. Probe modules only fill the handle and judge the finished
 * transfer; the scheduler (sched.c) owns the multi handle and the loop. */
#ifndef VANTAGE_PROBE_H
#define VANTAGE_PROBE_H

#include <stdbool.h>
#include <stdint.h>

#include <curl/curl.h>

#include "buf.h"
#include "checkconf.h"
#include "result.h"

struct probe_run {
	const struct check_config	*conf;
	const struct probe_kind		*kind;
	CURL				*easy;		/* set while in flight */
	struct curl_slist		*req_headers;
	char				 errbuf[CURL_ERROR_SIZE];
	struct buf			 body;		/* kept only if needed */
	struct buf			 headers;	/* kept only if needed */
	bool				 keep_body, keep_headers;
	int64_t				 bytes;		/* body bytes seen */
	bool				 truncated;	/* stopped at max_body */
	int				 attempt;	/* 1-based */
	int64_t				 attempt_start_us; /* monotonic */
	int64_t				 cert_not_after;
	struct result			 res;
	void				*owner;		/* the scheduler's check */
};

struct probe_kind {
	const char	*name;
	/* Fill run->easy for one attempt. 0, or -1 with a message in err. */
	int	(*start)(struct probe_run *run, char *err, size_t errlen);
	/* Judge the finished attempt: fill run->res (ok, class, phases...). */
	void	(*finish)(struct probe_run *run, CURLcode code);
};

/* The kind named name, or NULL. */
const struct probe_kind *probe_kind_find(const char *name);
/* The one mapping from a transfer's CURLcode to an error class. */
enum errclass probe_errclass(CURLcode code);

/* Prepare run for check conf (no allocation of the easy handle). */
void probe_run_init(struct probe_run *run, const struct check_config *conf);
/* Reset per-attempt state before a new attempt. */
void probe_run_reset_attempt(struct probe_run *run);
/* Release the buffers and header list run holds (not run). NULL-safe. */
void probe_run_clear(struct probe_run *run);

/* HTTP(S) probe (probe_http.c). */
int probe_http_start(struct probe_run *run, char *err, size_t errlen);
void probe_http_finish(struct probe_run *run, CURLcode code);

#endif
