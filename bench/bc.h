/* bc: the parts bench_collector's subcommands share (bench/bc_*.c):
 * errors and options, clocks and statistics, the synthetic fleet and its
 * result records, agent keys and signed HTTP. bench/collector.sh runs
 * the subcommands; bench/README.md has the method and the results.
 *
 * The synthetic fleet: check i (0..nchecks-1) belongs to service
 * "svc-(i/10)", layer front_door/edge/central (i % 3), a provider that
 * depends on the layer, and is named "svc-S-LAYER-III". Region k is "rK",
 * probed by agent "bench-K". Latency is log-normal around a median that
 * depends on layer, region and check; failures are a small base rate plus
 * a few deterministic incidents per service. Series (check, region) runs
 * at phase + n * interval. */
#ifndef VANTAGE_BC_H
#define VANTAGE_BC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>

#include "errclass.h"

#define BC_MIN_MS	60000LL
#define BC_HOUR_MS	3600000LL
#define BC_DAY_MS	86400000LL
#define BC_INGEST_PATH	"/api/v1/ingest"
#define BC_REC_MAX	2048	/* bytes of one result record's JSON */

/* ---- errors, options, clocks, statistics (bc_common.c) ---- */

/* Print "bench_collector: message" to stderr and exit 1. */
void bc_die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
/* A whole option value (else bc_die). */
int64_t bc_arg_int64(const char *s);
int bc_arg_int(const char *s);
double bc_arg_double(const char *s);
/* A duration ("30s", "250ms") in ms (else bc_die naming opt). */
int64_t bc_arg_duration(const char *opt, const char *s);
/* Monotonic wall clock, this process's CPU time (every thread) and the
 * calling thread's CPU time, in seconds. */
double bc_mono_s(void);
double bc_cpu_s(void);
double bc_thread_cpu_s(void);
/* Sleep s seconds (fractions allowed). */
void bc_sleep_s(double s);
/* t rounded down to a multiple of w. */
int64_t bc_floor_to(int64_t t, int64_t w);
/* Nearest-rank percentile p (0..100) of v[0..n), which is sorted in
 * place; NaN when n is 0. */
double bc_pctl(double *v, size_t n, double p);

/* ---- random numbers (splitmix64: fast, seedable) ---- */

struct bc_rng {
	uint64_t	s;
};
uint64_t bc_rng_next(struct bc_rng *r);
/* Uniform in [0, 1). */
double bc_rng_unif(struct bc_rng *r);
/* About standard normal (Irwin-Hall of 4, rescaled). */
double bc_rng_norm(struct bc_rng *r);
/* A well-mixed 64-bit hash of x. */
uint64_t bc_hash64(uint64_t x);

/* ---- the synthetic fleet (bc_common.c) ---- */

struct bc_check {
	char		 name[48], service[16], url[96];
	const char	*layer, *provider;
	int		 layer_i, service_i;
	double		 factor;	/* latency factor of this check */
};

/* An outage: 30-60 minutes of one layer in one region (or all), during
 * which 35 % of the runs fail. */
struct bc_incident {
	int64_t	from, to;
	int	layer_i, region;	/* region -1: every region */
};

struct bc_fleet {
	struct bc_check		*checks;
	int			 nchecks, nregions;
	double			 base_fail;
	struct bc_incident	*inc;	/* 2 per service */
	int			 ninc;
};

/* One run's outcome. */
struct bc_sample {
	bool		ok;
	enum errclass	ec;
	int64_t		dns_us, connect_us, tls_us, processing_us, transfer_us, total_us;
	int		status;
};

/* The fleet of nchecks checks in nregions regions (1..8), failing at
 * base_fail, with 2 incidents per service placed in [from, to) (none when
 * to <= from). Free with bc_fleet_free. */
void bc_fleet_init(struct bc_fleet *f, int nchecks, int nregions, double base_fail,
    int64_t from, int64_t to);
void bc_fleet_free(struct bc_fleet *f);
/* The run of check ci from region at ts. */
void bc_fleet_sample(const struct bc_fleet *f, int ci, int region, int64_t ts,
    struct bc_rng *r, struct bc_sample *s);
/* Series (ci, region) runs at phase + n * interval; the first such time
 * at or after t. */
int64_t bc_series_phase(int ci, int region, int64_t interval);
int64_t bc_first_at_or_after(int64_t t, int64_t phase, int64_t interval);
/* One result as the JSON line lib/result.c emits (same fields and order)
 * into out; its length. bc_die if it does not fit outlen. */
size_t bc_result_json(char *out, size_t outlen, const struct bc_check *c,
    const char *agent, const char *region, int64_t seq, int64_t ts,
    const struct bc_sample *s);

/* ---- agents and HTTP (bc_common.c) ---- */

struct bc_key {
	char	id[65], key[256];
};
/* The "AGENT_ID KEY" lines of file (# comments); *n of them. Caller
 * frees. bc_die on a missing file. */
struct bc_key *bc_read_keys(const char *file, int *n);

/* A growable response buffer for libcurl (CURLOPT_WRITEFUNCTION). */
struct bc_membuf {
	char	*p;
	size_t	 len, cap;
};
size_t bc_membuf_write(char *data, size_t size, size_t nmemb, void *ud);
/* A keep-alive handle that writes answers into mb, timeout_s per request,
 * curl's error text in ebuf (CURL_ERROR_SIZE). bc_die on failure. */
CURL *bc_curl_new(struct bc_membuf *mb, char *ebuf, long timeout_s);
/* POST body as agent k, signed, to base + BC_INGEST_PATH on h. The HTTP
 * status, or 0 when the request failed (curl's reason in ebuf). */
long bc_post_batch(CURL *h, const char *base, const struct bc_key *k,
    const char *body, size_t len, struct bc_membuf *mb, char *ebuf);

/* ---- subcommands (bc_*.c) ---- */

int bc_cmd_ingest(int argc, char **argv);	/* bc_ingest.c */
int bc_cmd_feed(int argc, char **argv);		/* bc_ingest.c */
int bc_cmd_generate(int argc, char **argv);	/* bc_generate.c */
int bc_cmd_evaluate(int argc, char **argv);	/* bc_evaluate.c */
int bc_cmd_query(int argc, char **argv);	/* bc_query.c */
int bc_cmd_slo_age(int argc, char **argv);	/* bc_query.c */
int bc_cmd_dbsize(int argc, char **argv);	/* bc_dbsize.c */

/* ---- results into a store, as agents would send them (bc_generate.c) ---- */

struct store;

/* Store through store_ingest, in batches of 500 of agent "bench-K" of
 * region K (for every region of f), every run of every series with ts in
 * [from, to), record by record as the collector parses them
 * (record_parse). seqs[K] is the last seq of agent K, advanced. *results
 * and *stored (may be NULL) are increased by the runs made and stored. */
void bc_store_runs(struct store *st, const struct bc_fleet *f, int64_t interval,
    int64_t from, int64_t to, int64_t *seqs, int64_t *results, int64_t *stored);

#endif
