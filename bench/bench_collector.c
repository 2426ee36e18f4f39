/* bench_collector: benchmarks of vantage-collector (see
 * bench/collector-results.md and bench/collector.sh).
 *
 *   ingest    8 simulated agents POST signed 500-result batches over HTTP
 *   generate  fill a collector DB with 30 days of rollups for a fleet
 *   query     GET one API path n times, latency percentiles
 *   evaluate  time sloeng_evaluate() for every SLO of a collector config
 *
 * Data model shared by `ingest` and `generate` (a synthetic fleet):
 * check i (0..nchecks-1) belongs to service "svc-(i/10)", layer
 * front_door/edge/central (i % 3), a provider that depends on the layer,
 * and is named "svc-S-LAYER-III". Region k is "rK"; in `generate` region k
 * is probed by agent "bench-K". Latency is log-normal around a median that
 * depends on layer, region and check; failures are a small base rate plus
 * a few deterministic incidents per service. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>
#include <sqlite3.h>

#include "collconf.h"
#include "errclass.h"
#include "sign.h"
#include "sketch.h"
#include "sloeng.h"
#include "store.h"
#include "timeutil.h"
#include "xmalloc.h"

#define MIN_MS		60000LL
#define HOUR_MS		3600000LL
#define DAY_MS		86400000LL
#define INGEST_PATH	"/api/v1/ingest"

static const char *prog = "bench_collector";

static void
die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void
die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* Whole-number and decimal options: the whole string must parse, else die. */
static int64_t
arg_int64(const char *s)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0')
		die("not a whole number: \"%s\"", s);
	return (int64_t)v;
}

static int
arg_int(const char *s)
{
	int64_t v = arg_int64(s);

	if (v < INT_MIN || v > INT_MAX)
		die("out of range: \"%s\"", s);
	return (int)v;
}

static double
arg_double(const char *s)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0')
		die("not a number: \"%s\"", s);
	return v;
}

static double
mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int64_t
floor_to(int64_t t, int64_t w)
{
	return t - ((t % w) + w) % w;
}

/* ---- statistics ---- */

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of v[0..n) (sorted in place). */
static double
pctl(double *v, size_t n, double p)
{
	size_t rank;

	if (n == 0)
		return NAN;
	qsort(v, n, sizeof(*v), cmp_double);
	rank = (size_t)ceil(p / 100.0 * (double)n);
	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return v[rank - 1];
}

/* ---- random numbers (splitmix64: fast, seedable, good enough) ---- */

struct rng {
	uint64_t s;
};

static uint64_t
rng_next(struct rng *r)
{
	uint64_t z = (r->s += 0x9E3779B97F4A7C15ULL);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

static double
rng_unif(struct rng *r)
{
	return (double)(rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

/* Approximately standard normal (Irwin-Hall of 4, rescaled): cheap. */
static double
rng_norm(struct rng *r)
{
	double s = rng_unif(r) + rng_unif(r) + rng_unif(r) + rng_unif(r);

	return (s - 2.0) * 1.7320508075688772;
}

static uint64_t
hash64(uint64_t x)
{
	struct rng r = { x };

	return rng_next(&r);
}

/* ---- the synthetic fleet ---- */

static const char *const layers[3] = { "front_door", "edge", "central" };
static const char *const providers[3][2] = {
	{ "cloudflare", "fastly" },
	{ "cloudflare-workers", "deno-deploy" },
	{ "aws", "gcp" },
};
static const double layer_median_ms[3] = { 35, 60, 180 };
static const double region_factor[8] = { 1.0, 1.3, 1.7, 2.2, 0.9, 1.1, 1.5, 1.2 };

struct fcheck {
	char		 name[48], service[16], url[96];
	const char	*layer, *provider;
	int		 layer_i, service_i;
	double		 factor;	/* latency factor of this check */
};

static struct fcheck *
fleet_checks(int n)
{
	struct fcheck *c = xcalloc((size_t)n, sizeof(*c));

	for (int i = 0; i < n; i++) {
		c[i].layer_i = i % 3;
		c[i].service_i = i / 10;
		c[i].layer = layers[c[i].layer_i];
		c[i].provider = providers[c[i].layer_i][(i / 3) % 2];
		snprintf(c[i].service, sizeof(c[i].service), "svc-%d", c[i].service_i);
		snprintf(c[i].name, sizeof(c[i].name), "svc-%d-%s-%03d", c[i].service_i,
		    c[i].layer, i);
		snprintf(c[i].url, sizeof(c[i].url), "https://%s.%s.example.com/healthz",
		    c[i].layer, c[i].service);
		c[i].factor = 0.8 + 0.5 * (double)(hash64((uint64_t)i * 7919) % 1000) / 1000.0;
	}
	return c;
}

/* Incidents: 2 per service over the data range; 30-60 minutes; one layer,
 * one region or all; failure probability 35 % while it lasts. */
struct incident {
	int64_t	from, to;
	int	layer_i, region;	/* region -1: every region */
};

struct fleet {
	struct fcheck	*checks;
	int		 nchecks, nregions;
	double		 base_fail;
	struct incident	*inc;
	int		 ninc;
};

static void
fleet_init(struct fleet *f, int nchecks, int nregions, double base_fail,
    int64_t from, int64_t to)
{
	int nserv = (nchecks + 9) / 10;

	f->checks = fleet_checks(nchecks);
	f->nchecks = nchecks;
	f->nregions = nregions;
	f->base_fail = base_fail;
	f->ninc = 0;
	f->inc = xcalloc((size_t)nserv * 2 + 1, sizeof(*f->inc));
	for (int s = 0; s < nserv && to > from; s++)
		for (int k = 0; k < 2; k++) {
			uint64_t h = hash64((uint64_t)s * 1000003 + (uint64_t)k);
			struct incident *in = &f->inc[f->ninc++];

			in->from = from + (int64_t)(h % (uint64_t)(to - from));
			in->to = in->from + (30 + (int64_t)((h >> 20) % 31)) * MIN_MS;
			in->layer_i = (int)((h >> 32) % 3);
			in->region = (h >> 40) % 2 ? -1 : (int)((h >> 44) % (uint64_t)nregions);
		}
}

struct sample {
	bool		ok;
	enum errclass	ec;
	int64_t		dns_us, connect_us, tls_us, processing_us, transfer_us, total_us;
	int		status;
};

static void
fleet_sample(const struct fleet *f, int ci, int region, int64_t ts, struct rng *r,
    struct sample *s)
{
	const struct fcheck *c = &f->checks[ci];
	double p_fail = f->base_fail, med, v, u;

	/* incidents 2s and 2s+1 belong to service s */
	for (int i = 2 * c->service_i; i < 2 * c->service_i + 2 && i < f->ninc; i++) {
		const struct incident *in = &f->inc[i];
		if (ts >= in->from && ts < in->to && in->layer_i == c->layer_i &&
		    (in->region < 0 || in->region == region))
			p_fail = 0.35;
	}
	memset(s, 0, sizeof(*s));
	med = layer_median_ms[c->layer_i] * region_factor[region % 8] * c->factor;
	v = med * exp(0.35 * rng_norm(r));
	if (rng_unif(r) < 0.01)
		v *= 3;		/* a slow tail */
	s->total_us = (int64_t)(v * 1000.0);
	u = rng_unif(r);
	s->ok = u >= p_fail;
	s->status = 200;
	if (!s->ok) {
		double w = rng_unif(r);
		if (w < 0.40) {
			s->ec = ERRCLASS_TIMEOUT;
			s->total_us = 10000000;
			s->status = 0;
		} else if (w < 0.60) {
			s->ec = ERRCLASS_CONNECT;
			s->total_us /= 4;
			s->status = 0;
		} else if (w < 0.90) {
			s->ec = ERRCLASS_HTTP_STATUS;
			s->status = 503;
		} else if (w < 0.95) {
			s->ec = ERRCLASS_TLS;
			s->total_us /= 2;
			s->status = 0;
		} else {
			s->ec = ERRCLASS_DNS;
			s->total_us /= 10;
			s->status = 0;
		}
	}
	if (s->status) {
		s->dns_us = rng_unif(r) < 0.2 ? s->total_us * 3 / 100 : 0;
		s->connect_us = s->total_us * 15 / 100;
		s->tls_us = s->total_us * 25 / 100;
		s->processing_us = s->total_us * 45 / 100;
		s->transfer_us = s->total_us - s->dns_us - s->connect_us - s->tls_us -
		    s->processing_us;
	} else if (s->ec == ERRCLASS_TLS) {
		s->connect_us = s->total_us / 3;
		s->tls_us = s->total_us - s->connect_us;
	} else if (s->ec == ERRCLASS_DNS) {
		s->dns_us = s->total_us;
	} else
		s->connect_us = s->total_us;
}

/* One result as the JSON line lib/result.c emits (same fields and order). */
static size_t
result_json(char *out, size_t outlen, const struct fcheck *c, const char *agent,
    const char *region, int64_t seq, int64_t ts, const struct sample *s)
{
	const char *ec = s->ok ? NULL : errclass_name(s->ec);
	char err[96], status[16];
	int n;

	if (s->ok)
		snprintf(err, sizeof(err), "null");
	else if (s->ec == ERRCLASS_TIMEOUT)
		snprintf(err, sizeof(err), "\"timed out after 10000 ms\"");
	else if (s->ec == ERRCLASS_HTTP_STATUS)
		snprintf(err, sizeof(err), "\"HTTP %d, expected 200\"", s->status);
	else if (s->ec == ERRCLASS_CONNECT)
		snprintf(err, sizeof(err), "\"connect: connection refused\"");
	else if (s->ec == ERRCLASS_TLS)
		snprintf(err, sizeof(err), "\"TLS handshake failed: certificate has expired\"");
	else
		snprintf(err, sizeof(err), "\"could not resolve host\"");
	if (s->status)
		snprintf(status, sizeof(status), "%d", s->status);
	else
		snprintf(status, sizeof(status), "null");
	n = snprintf(out, outlen,
	    "{\"check\":\"%s\",\"kind\":\"http\",\"service\":\"%s\",\"layer\":\"%s\","
	    "\"provider\":\"%s\",\"url\":\"%s\",\"agent\":\"%s\",\"region\":\"%s\","
	    "\"seq\":%" PRId64 ",\"ts\":%" PRId64 ",\"ok\":%s,\"error_class\":%s%s%s,"
	    "\"error\":%s,\"status\":%s,\"http_version\":%s,\"ip\":%s,\"bytes\":%d,"
	    "\"truncated\":false,\"dns_us\":%" PRId64 ",\"connect_us\":%" PRId64 ","
	    "\"tls_us\":%" PRId64 ",\"processing_us\":%" PRId64 ",\"transfer_us\":%"
	    PRId64 ",\"total_us\":%" PRId64 ",\"attempts\":%d,\"cert_not_after\":%s}",
	    c->name, c->service, c->layer, c->provider, c->url, agent, region, seq, ts,
	    s->ok ? "true" : "false", ec ? "\"" : "", ec ? ec : "null", ec ? "\"" : "",
	    err, status, s->status ? "\"2\"" : "null",
	    s->connect_us > 0 && s->ec != ERRCLASS_CONNECT ? "\"192.0.2.10\"" : "null",
	    s->status ? 1432 : 0, s->dns_us, s->connect_us, s->tls_us,
	    s->processing_us, s->transfer_us, s->total_us,
	    s->ok ? 1 : 2, s->tls_us > 0 ? "1767225600" : "null");
	if (n < 0 || (size_t)n >= outlen)
		die("result record does not fit %zu bytes", outlen);
	return (size_t)n;
}

/* ---- ingest: 8 agents over HTTP ---- */

struct keyent {
	char	id[65], key[256];
};

static struct keyent *
read_keys(const char *file, int *n)
{
	FILE *fp = fopen(file, "r");
	struct keyent *k = NULL;
	char line[512];
	int alloc = 0;

	if (fp == NULL)
		die("%s: %s", file, strerror(errno));
	*n = 0;
	while (fgets(line, sizeof(line), fp)) {
		char id[65], key[256];
		if (line[0] == '#' || sscanf(line, "%64s %255s", id, key) != 2)
			continue;
		if (*n == alloc) {
			alloc = alloc ? alloc * 2 : 8;
			k = xreallocarray(k, (size_t)alloc, sizeof(*k));
		}
		snprintf(k[*n].id, sizeof(k[*n].id), "%s", id);
		snprintf(k[*n].key, sizeof(k[*n].key), "%s", key);
		(*n)++;
	}
	fclose(fp);
	return k;
}

struct membuf {
	char	*p;
	size_t	 len, cap;
};

static size_t
membuf_write(char *data, size_t size, size_t nmemb, void *ud)
{
	struct membuf *b = ud;
	size_t n = size * nmemb;

	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->p = realloc(b->p, b->cap);
		if (b->p == NULL)
			return 0;
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = '\0';
	return n;
}

struct agent_job {
	int		 idx;
	const char	*url;
	struct keyent	*key;
	char		 region[16];
	char		**bodies;
	size_t		*lens;
	int		 nbatches;
	pthread_barrier_t *bar;
	/* out */
	double		*lat_ms;	/* per request (the successful try) */
	int64_t		 stored, dups, rejected;
	int		 ok, busy, errors;
	double		 end;
	char		 first_error[256];
};

static void *
agent_main(void *arg)
{
	struct agent_job *j = arg;
	struct membuf mb = { 0 };
	CURL *h = curl_easy_init();
	char url[512], auth[512], ebuf[CURL_ERROR_SIZE];

	if (h == NULL)
		die("curl_easy_init failed");
	snprintf(url, sizeof(url), "%s%s", j->url, INGEST_PATH);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, membuf_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &mb);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 60L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, ebuf);
	pthread_barrier_wait(j->bar);
	for (int b = 0; b < j->nbatches; b++) {
		for (int attempt = 0; attempt < 50; attempt++) {
			struct curl_slist *hdr = NULL;
			long code = 0;
			double t0;
			CURLcode rc;

			sign_header(j->key->id, j->key->key, strlen(j->key->key), "POST",
			    INGEST_PATH, time_now_ms() / 1000, j->bodies[b], j->lens[b],
			    auth, sizeof(auth));
			{
				char line[600];
				snprintf(line, sizeof(line), "Authorization: %s", auth);
				hdr = curl_slist_append(hdr, line);
			}
			hdr = curl_slist_append(hdr, "Content-Type: application/json");
			hdr = curl_slist_append(hdr, "Expect:");
			curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
			curl_easy_setopt(h, CURLOPT_POSTFIELDS, j->bodies[b]);
			curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
			    (curl_off_t)j->lens[b]);
			mb.len = 0;
			ebuf[0] = '\0';
			t0 = mono_s();
			rc = curl_easy_perform(h);
			j->lat_ms[b] = (mono_s() - t0) * 1000.0;
			curl_slist_free_all(hdr);
			if (rc == CURLE_OK)
				curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
			if (rc == CURLE_OK && code == 200) {
				json_t *o = json_loadb(mb.p, mb.len, 0, NULL);
				j->stored += json_integer_value(json_object_get(o, "stored"));
				j->dups += json_integer_value(json_object_get(o, "duplicates"));
				j->rejected += (int64_t)json_array_size(json_object_get(o,
				    "rejected"));
				json_decref(o);
				j->ok++;
				break;
			}
			if (rc == CURLE_OK && code == 503) {
				j->busy++;
				usleep(100000);
				continue;
			}
			j->errors++;
			if (j->first_error[0] == '\0')
				snprintf(j->first_error, sizeof(j->first_error), "%s",
				    rc != CURLE_OK ? (ebuf[0] ? ebuf : curl_easy_strerror(rc)) :
				    mb.p ? mb.p : "?");
			break;
		}
	}
	j->end = mono_s();
	curl_easy_cleanup(h);
	free(mb.p);
	return NULL;
}

/* Build one agent's batches: seqs seq_base+1.., checks round-robin, ts
 * spread evenly over the span_ms before now (and a little jitter). */
static void
build_batches(struct agent_job *j, const struct fleet *f, int batch, int64_t seq_base,
    int64_t now, int64_t span_ms, double *gen_bytes)
{
	int64_t total = (int64_t)j->nbatches * batch;
	size_t reclen = 2048, cap = (size_t)batch * 1100 + 1024;
	struct rng r = { hash64((uint64_t)j->idx + 17) };
	char *rec = xmalloc(reclen);

	j->bodies = xcalloc((size_t)j->nbatches, sizeof(*j->bodies));
	j->lens = xcalloc((size_t)j->nbatches, sizeof(*j->lens));
	for (int b = 0; b < j->nbatches; b++) {
		char *body = xmalloc(cap);
		size_t len;

		len = (size_t)snprintf(body, cap, "{\"agent\":\"%s\",\"region\":\"%s\","
		    "\"provider\":\"bench-cloud\",\"version\":\"%s\",\"outbox_depth\":%"
		    PRId64 ",\"oldest_unshipped\":0,\"results\":[", j->key->id, j->region,
		    PACKAGE_VERSION, total - (int64_t)b * batch);
		for (int i = 0; i < batch; i++) {
			int64_t k = (int64_t)b * batch + i;
			int ci = (int)(k % f->nchecks);
			int64_t ts = now - span_ms + k * span_ms / total +
			    (int64_t)(rng_next(&r) % 500);
			struct sample s;
			size_t n;

			fleet_sample(f, ci, j->idx % f->nregions, ts, &r, &s);
			n = result_json(rec, reclen, &f->checks[ci], j->key->id, j->region,
			    seq_base + k + 1, ts, &s);
			if (len + n + 4 > cap)
				die("batch buffer too small");
			if (i > 0)
				body[len++] = ',';
			memcpy(body + len, rec, n);
			len += n;
		}
		memcpy(body + len, "]}", 3);
		len += 2;
		j->bodies[b] = body;
		j->lens[b] = len;
		*gen_bytes += (double)len;
	}
	free(rec);
}

static int
cmd_ingest(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "url", required_argument, NULL, 'u' },
		{ "agents", required_argument, NULL, 'a' },
		{ "batch", required_argument, NULL, 'b' },
		{ "batches-per-agent", required_argument, NULL, 'n' },
		{ "keys-file", required_argument, NULL, 'k' },
		{ "checks", required_argument, NULL, 'c' },
		{ "regions", required_argument, NULL, 'r' },
		{ "fail", required_argument, NULL, 'f' },
		{ "seq-base", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 }
	};
	const char *url = NULL, *keys_file = NULL;
	int nagents = 8, batch = 500, nb = 20, nchecks = 200, nregions = 5, nkeys, ch;
	double fail = 0.02, gen_bytes = 0, t0, t1, tgen;
	int64_t seq_base = 0, stored = 0, dups = 0, rejected = 0, now = time_now_ms();
	int busy = 0, errors = 0, okreq = 0;
	struct keyent *keys;
	struct agent_job *jobs;
	pthread_t *th;
	pthread_barrier_t bar;
	struct fleet f;
	double *lat, wall;
	size_t nlat = 0;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'u': url = optarg; break;
		case 'a': nagents = arg_int(optarg); break;
		case 'b': batch = arg_int(optarg); break;
		case 'n': nb = arg_int(optarg); break;
		case 'k': keys_file = optarg; break;
		case 'c': nchecks = arg_int(optarg); break;
		case 'r': nregions = arg_int(optarg); break;
		case 'f': fail = arg_double(optarg); break;
		case 's': seq_base = arg_int64(optarg); break;
		default: return 2;
		}
	}
	if (url == NULL || keys_file == NULL || nagents < 1 || batch < 1 || nb < 1 ||
	    nchecks < 1 || nregions < 1 || nregions > 8)
		die("ingest: need --url and --keys-file; positive --agents, --batch, "
		    "--batches-per-agent; --regions 1..8");
	keys = read_keys(keys_file, &nkeys);
	if (nkeys < nagents)
		die("ingest: %s has %d keys, need %d", keys_file, nkeys, nagents);
	fleet_init(&f, nchecks, nregions, fail, now, now);	/* no incidents: --fail only */
	jobs = xcalloc((size_t)nagents, sizeof(*jobs));
	th = xcalloc((size_t)nagents, sizeof(*th));
	pthread_barrier_init(&bar, NULL, (unsigned)nagents + 1);
	tgen = mono_s();
	for (int i = 0; i < nagents; i++) {
		struct agent_job *j = &jobs[i];
		j->idx = i;
		j->url = url;
		j->key = &keys[i];
		snprintf(j->region, sizeof(j->region), "r%d", i % nregions);
		j->nbatches = nb;
		j->bar = &bar;
		j->lat_ms = xcalloc((size_t)nb, sizeof(double));
		build_batches(j, &f, batch, seq_base, now, 4 * MIN_MS, &gen_bytes);
	}
	tgen = mono_s() - tgen;
	fprintf(stderr, "ingest: %d agents x %d batches x %d results built in %.1f s "
	    "(%.0f bytes/batch)\n", nagents, nb, batch, tgen,
	    gen_bytes / ((double)nagents * nb));
	for (int i = 0; i < nagents; i++)
		if (pthread_create(&th[i], NULL, agent_main, &jobs[i]) != 0)
			die("pthread_create failed");
	pthread_barrier_wait(&bar);
	t0 = mono_s();
	t1 = t0;
	for (int i = 0; i < nagents; i++) {
		pthread_join(th[i], NULL);
		if (jobs[i].end > t1)
			t1 = jobs[i].end;
	}
	wall = t1 - t0;
	lat = xcalloc((size_t)nagents * (size_t)nb, sizeof(double));
	for (int i = 0; i < nagents; i++) {
		stored += jobs[i].stored;
		dups += jobs[i].dups;
		rejected += jobs[i].rejected;
		busy += jobs[i].busy;
		errors += jobs[i].errors;
		okreq += jobs[i].ok;
		for (int b = 0; b < nb; b++)
			lat[nlat++] = jobs[i].lat_ms[b];
		if (jobs[i].first_error[0])
			fprintf(stderr, "ingest: agent %s: first error: %.200s\n",
			    jobs[i].key->id, jobs[i].first_error);
	}
	{
		double p50 = pctl(lat, nlat, 50), p99 = pctl(lat, nlat, 99);
		double mx = lat[nlat - 1];

		printf("ingest: %d agents, %d batches of %d, %.2f s wall\n", nagents,
		    nagents * nb, batch, wall);
		printf("ingest: stored %" PRId64 " (duplicates %" PRId64 ", rejected %"
		    PRId64 "), %d ok requests, %d busy (503) retries, %d errors\n",
		    stored, dups, rejected, okreq, busy, errors);
		printf("ingest: %.0f results/s stored, %.1f batches/s, request latency "
		    "p50 %.1f ms, p99 %.1f ms, max %.1f ms\n", (double)stored / wall,
		    (double)okreq / wall, p50, p99, mx);
		printf("RESULT ingest results_per_s=%.0f batches_per_s=%.1f p50_ms=%.1f "
		    "p99_ms=%.1f max_ms=%.1f stored=%" PRId64 " wall_s=%.2f errors=%d "
		    "busy=%d bytes_per_batch=%.0f\n", (double)stored / wall,
		    (double)okreq / wall, p50, p99, mx, stored, wall, errors, busy,
		    gen_bytes / ((double)nagents * nb));
	}
	for (int i = 0; i < nagents; i++) {
		for (int b = 0; b < nb; b++)
			free(jobs[i].bodies[b]);
		free(jobs[i].bodies);
		free(jobs[i].lens);
		free(jobs[i].lat_ms);
	}
	free(lat);
	free(jobs);
	free(th);
	free(keys);
	free(f.checks);
	free(f.inc);
	pthread_barrier_destroy(&bar);
	return errors > 0 ? 1 : 0;
}

/* ---- generate: 30 days of rollups ---- */

/* One rollup row being built (same fields as store.c's group). */
struct acc {
	int64_t		bucket;
	int64_t		total, good, e[ERRCLASS_COUNT], ph[6];
	struct sketch	sk;
};

static void
acc_reset(struct acc *a, int64_t bucket)
{
	uint64_t *b = a->sk.b;
	int lo = a->sk.lo, hi = a->sk.hi;

	if (b && hi >= lo)
		memset(&b[lo], 0, (size_t)(hi - lo + 1) * sizeof(*b));
	memset(a, 0, sizeof(*a));
	sketch_init(&a->sk);
	a->sk.b = b;	/* keep the zeroed counts array */
	a->bucket = bucket;
}

static void
acc_add(struct acc *a, const struct sample *s)
{
	a->total++;
	if (s->ok) {
		a->good++;
		sketch_add(&a->sk, (double)s->total_us);
	} else
		a->e[s->ec]++;
	a->ph[0] += s->dns_us;
	a->ph[1] += s->connect_us;
	a->ph[2] += s->tls_us;
	a->ph[3] += s->processing_us;
	a->ph[4] += s->transfer_us;
	a->ph[5] += s->total_us;
}

/* dst += src (counts and sketch) */
static void
acc_merge(struct acc *dst, const struct acc *src)
{
	dst->total += src->total;
	dst->good += src->good;
	for (int i = 0; i < ERRCLASS_COUNT; i++)
		dst->e[i] += src->e[i];
	for (int i = 0; i < 6; i++)
		dst->ph[i] += src->ph[i];
	sketch_merge(&dst->sk, &src->sk);
}

struct gen {
	sqlite3		*db;
	sqlite3_stmt	*ins[3];
	struct fleet	 f;
	int64_t		 rows[3];
};

static void
exec_sql(sqlite3 *db, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		die("%s: %s", sql, msg ? msg : sqlite3_errmsg(db));
}

static void
write_row(struct gen *g, int tier, const struct fcheck *c, int region,
    const struct acc *a)
{
	sqlite3_stmt *s = g->ins[tier];
	char agent[16], reg[16];
	unsigned char *blob;
	size_t len;
	int k = 1;

	if (a->total == 0)
		return;
	snprintf(agent, sizeof(agent), "bench-%d", region);
	snprintf(reg, sizeof(reg), "r%d", region);
	sqlite3_bind_int64(s, k++, a->bucket);
	sqlite3_bind_text(s, k++, c->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, k++, agent, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, k++, c->service, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, k++, c->layer, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, k++, c->provider, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, k++, reg, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, k++, a->total);
	sqlite3_bind_int64(s, k++, a->good);
	for (int e = ERRCLASS_DNS; e <= ERRCLASS_INTERNAL; e++)
		sqlite3_bind_int64(s, k++, a->e[e]);
	for (int p = 0; p < 6; p++)
		sqlite3_bind_int64(s, k++, a->ph[p]);
	blob = sketch_encode(&a->sk, &len);
	sqlite3_bind_blob(s, k++, blob, (int)len, free);
	if (sqlite3_step(s) != SQLITE_DONE)
		die("insert into rollup tier %d: %s", tier, sqlite3_errmsg(g->db));
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	g->rows[tier]++;
}

/* Results of series (check ci, region) are at phase + k * interval. */
static int64_t
series_phase(int ci, int region, int64_t interval)
{
	return (int64_t)(hash64((uint64_t)ci * 131 + (uint64_t)region) % (uint64_t)interval);
}

static int64_t
first_at_or_after(int64_t t, int64_t phase, int64_t interval)
{
	return t + (((phase - t) % interval) + interval) % interval;
}

static int
cmp_row_ts(const void *a, const void *b)
{
	const struct ingest_row *x = a, *y = b;

	return x->ts < y->ts ? -1 : x->ts > y->ts;
}

static int
cmd_generate(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "days", required_argument, NULL, 'D' },
		{ "checks", required_argument, NULL, 'c' },
		{ "regions", required_argument, NULL, 'r' },
		{ "interval", required_argument, NULL, 'i' },
		{ "minute-days", required_argument, NULL, 'm' },
		{ "raw", required_argument, NULL, 'R' },
		{ "fail", required_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 }
	};
	const char *path = NULL;
	int days = 30, nchecks = 200, nregions = 5, ch;
	int64_t interval = 30000, minute_keep = 8 * DAY_MS, raw = HOUR_MS;
	double fail = 0.002, t_start = mono_s(), t_direct, t_real;
	char err[512];
	struct gen g;
	struct store *st;
	struct acc *am, *ah, *ad;	/* per series: minute, hour, day */
	int64_t now, start, t0, *seqs, nres_direct = 0, nres_real = 0, stored = 0;
	int nseries;

	memset(&g, 0, sizeof(g));
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'd': path = optarg; break;
		case 'D': days = arg_int(optarg); break;
		case 'c': nchecks = arg_int(optarg); break;
		case 'r': nregions = arg_int(optarg); break;
		case 'i':
			if (duration_parse(optarg, &interval, err, sizeof(err)) < 0)
				die("--interval: %s", err);
			break;
		case 'm':
			minute_keep = (int64_t)(arg_double(optarg) * (double)DAY_MS);
			break;
		case 'R':
			if (duration_parse(optarg, &raw, err, sizeof(err)) < 0)
				die("--raw: %s", err);
			break;
		case 'f': fail = arg_double(optarg); break;
		default: return 2;
		}
	}
	if (path == NULL || days < 1 || nchecks < 1 || nregions < 1 || nregions > 8 ||
	    interval < 1000 || raw < 0)
		die("generate: need --db; positive --days and --checks; --regions 1..8; "
		    "--interval >= 1s");
	if (access(path, F_OK) == 0)
		die("generate: %s exists; remove it first", path);
	now = time_now_ms();
	start = floor_to(now - (int64_t)days * DAY_MS, MIN_MS);
	t0 = floor_to(now - raw, MIN_MS);	/* direct rollups before, store_ingest after */
	fleet_init(&g.f, nchecks, nregions, fail, start, now);
	nseries = nchecks * nregions;

	/* 1. create the schema through the collector's own store_open */
	if ((st = store_open(path, 1, err, sizeof(err))) == NULL)
		die("store_open: %s", err);
	store_close(st);

	/* 2. bulk rollups for [start, t0) on a private connection */
	if (sqlite3_open(path, &g.db) != SQLITE_OK)
		die("%s: %s", path, sqlite3_errmsg(g.db));
	exec_sql(g.db, "PRAGMA journal_mode=DELETE; PRAGMA journal_mode=OFF; "
	    "PRAGMA synchronous=OFF; PRAGMA cache_size=-1048576; "
	    "PRAGMA temp_store=MEMORY; BEGIN");
	for (int t = 0; t < 3; t++) {
		static const char *const tbl[3] = { "rollup_1m", "rollup_1h", "rollup_1d" };
		char sql[1024];

		snprintf(sql, sizeof(sql), "INSERT INTO %s (bucket, check_name, agent, "
		    "service, layer, provider, region, total, good, e_dns, e_connect, "
		    "e_tls, e_timeout, e_http_status, e_assertion, e_body, e_internal, "
		    "dns_us, connect_us, tls_us, processing_us, transfer_us, total_us, "
		    "sketch) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
		    tbl[t]);
		if (sqlite3_prepare_v2(g.db, sql, -1, &g.ins[t], NULL) != SQLITE_OK)
			die("%s", sqlite3_errmsg(g.db));
	}
	am = xcalloc((size_t)nseries, sizeof(*am));
	ah = xcalloc((size_t)nseries, sizeof(*ah));
	ad = xcalloc((size_t)nseries, sizeof(*ad));
	seqs = xcalloc((size_t)nregions, sizeof(*seqs));
	for (int s = 0; s < nseries; s++) {
		sketch_init(&am[s].sk);
		sketch_init(&ah[s].sk);
		sketch_init(&ad[s].sk);
		acc_reset(&ah[s], floor_to(start, HOUR_MS));
		acc_reset(&ad[s], floor_to(start, DAY_MS));
	}
	fprintf(stderr, "generate: %d series; direct rollups for %lld min, then %lld "
	    "min through store_ingest\n", nseries, (long long)((t0 - start) / MIN_MS),
	    (long long)((now - t0) / MIN_MS));
	/* time-major, like real ingest: minute by minute, every series */
	for (int64_t m = start; m < t0; m += MIN_MS) {
		bool hour_end = floor_to(m + MIN_MS, HOUR_MS) != floor_to(m, HOUR_MS);
		bool day_end = floor_to(m + MIN_MS, DAY_MS) != floor_to(m, DAY_MS);
		bool keep_minute = m >= now - minute_keep;

		for (int s = 0; s < nseries; s++) {
			int ci = s / nregions, region = s % nregions;
			int64_t ph = series_phase(ci, region, interval);
			struct rng r = { hash64((uint64_t)s ^ ((uint64_t)m << 16)) };

			acc_reset(&am[s], m);
			for (int64_t ts = first_at_or_after(m, ph, interval); ts < m + MIN_MS;
			    ts += interval) {
				struct sample smp;

				fleet_sample(&g.f, ci, region, ts, &r, &smp);
				acc_add(&am[s], &smp);
				seqs[region]++;
				nres_direct++;
			}
			if (keep_minute)
				write_row(&g, 0, &g.f.checks[ci], region, &am[s]);
			acc_merge(&ah[s], &am[s]);
			if (hour_end) {
				write_row(&g, 1, &g.f.checks[ci], region, &ah[s]);
				acc_merge(&ad[s], &ah[s]);
				acc_reset(&ah[s], m + MIN_MS);
			}
			if (day_end) {
				write_row(&g, 2, &g.f.checks[ci], region, &ad[s]);
				acc_reset(&ad[s], m + MIN_MS);
			}
		}
		if (day_end)
			fprintf(stderr, "generate: day %lld of %d done (%.0f s, %lld 1m rows)\n",
			    (long long)((m - start) / DAY_MS + 1), days, mono_s() - t_start,
			    (long long)g.rows[0]);
	}
	/* the partial hour and day at t0: store_ingest merges the rest into them */
	for (int s = 0; s < nseries; s++) {
		int ci = s / nregions, region = s % nregions;

		acc_merge(&ad[s], &ah[s]);
		write_row(&g, 1, &g.f.checks[ci], region, &ah[s]);
		write_row(&g, 2, &g.f.checks[ci], region, &ad[s]);
		sketch_free(&am[s].sk);
		sketch_free(&ah[s].sk);
		sketch_free(&ad[s].sk);
	}
	for (int t = 0; t < 3; t++)
		sqlite3_finalize(g.ins[t]);
	exec_sql(g.db, "COMMIT; PRAGMA journal_mode=WAL");
	sqlite3_close(g.db);
	free(am);
	free(ah);
	free(ad);
	t_direct = mono_s() - t_start;
	fprintf(stderr, "generate: direct rollups: %lld results -> %lld 1m, %lld 1h, "
	    "%lld 1d rows in %.1f s\n", (long long)nres_direct, (long long)g.rows[0],
	    (long long)g.rows[1], (long long)g.rows[2], t_direct);

	/* 3. [t0, now) through the collector's real path: store_ingest, 500 per
	 * batch, one agent per region (raw results, rollups, latest, agents) */
	if ((st = store_open(path, 1, err, sizeof(err))) == NULL)
		die("store_open: %s", err);
	for (int region = 0; region < nregions && t0 < now; region++) {
		size_t cap = 1024, n = 0;
		struct ingest_row *rows = xcalloc(cap, sizeof(*rows));
		char agent[16], reg[16], rec[2048];
		struct agent_report rep;

		snprintf(agent, sizeof(agent), "bench-%d", region);
		snprintf(reg, sizeof(reg), "r%d", region);
		for (int ci = 0; ci < nchecks; ci++) {
			int64_t ph = series_phase(ci, region, interval);
			struct rng r = { hash64((uint64_t)(ci * nregions + region) ^ 0xfeed) };

			for (int64_t ts = first_at_or_after(t0, ph, interval); ts < now;
			    ts += interval) {
				struct sample smp;
				struct ingest_row *w;

				if (n == cap) {
					cap *= 2;
					rows = xreallocarray(rows, cap, sizeof(*rows));
				}
				w = &rows[n++];
				memset(w, 0, sizeof(*w));
				fleet_sample(&g.f, ci, region, ts, &r, &smp);
				w->ts = ts;
				w->check = g.f.checks[ci].name;
				w->kind = "http";
				w->service = g.f.checks[ci].service;
				w->layer = g.f.checks[ci].layer;
				w->provider = g.f.checks[ci].provider;
				w->ok = smp.ok;
				w->error_class = smp.ok ? ERRCLASS_NONE : smp.ec;
				w->dns_us = smp.dns_us;
				w->connect_us = smp.connect_us;
				w->tls_us = smp.tls_us;
				w->processing_us = smp.processing_us;
				w->transfer_us = smp.transfer_us;
				w->total_us = smp.total_us;
			}
		}
		qsort(rows, n, sizeof(*rows), cmp_row_ts);
		for (size_t i = 0; i < n; i++) {
			struct sample smp;
			const struct fcheck *c = NULL;

			for (int ci = 0; ci < nchecks; ci++)
				if (g.f.checks[ci].name == rows[i].check)
					c = &g.f.checks[ci];
			memset(&smp, 0, sizeof(smp));
			smp.ok = rows[i].ok;
			smp.ec = rows[i].error_class;
			smp.status = rows[i].ok ? 200 : rows[i].error_class ==
			    ERRCLASS_HTTP_STATUS ? 503 : 0;
			smp.dns_us = rows[i].dns_us;
			smp.connect_us = rows[i].connect_us;
			smp.tls_us = rows[i].tls_us;
			smp.processing_us = rows[i].processing_us;
			smp.transfer_us = rows[i].transfer_us;
			smp.total_us = rows[i].total_us;
			rows[i].seq = seqs[region] + (int64_t)i + 1;
			rows[i].body_len = result_json(rec, sizeof(rec), c, agent, reg,
			    rows[i].seq, rows[i].ts, &smp);
			rows[i].body = xstrdup(rec);
		}
		memset(&rep, 0, sizeof(rep));
		rep.id = agent;
		rep.region = reg;
		rep.provider = "bench-cloud";
		rep.version = PACKAGE_VERSION;
		for (size_t i = 0; i < n; i += 500) {
			size_t k = n - i < 500 ? n - i : 500;

			rep.outbox_depth = (int64_t)(n - i);
			if (store_ingest(st, &rep, rows + i, k, 5000, err, sizeof(err)) < 0)
				die("store_ingest: %s", err);
			for (size_t q = i; q < i + k; q++)
				stored += rows[q].stored;
		}
		nres_real += (int64_t)n;
		for (size_t i = 0; i < n; i++)
			free((void *)(uintptr_t)rows[i].body);
		free(rows);
	}
	store_close(st);
	t_real = mono_s() - t_start - t_direct;
	fprintf(stderr, "generate: store_ingest: %lld results (%lld stored) in %.1f s\n",
	    (long long)nres_real, (long long)stored, t_real);

	/* 4. sanity: every tier holds every result */
	{
		sqlite3 *db = store_open_readonly(path, err, sizeof(err));
		const char *q[4] = {
			"SELECT sum(total) FROM rollup_1d",
			"SELECT sum(total) FROM rollup_1h",
			"SELECT count(*) FROM rollup_1m",
			"SELECT count(*) FROM latest",
		};
		int64_t v[4];

		if (db == NULL)
			die("%s", err);
		for (int i = 0; i < 4; i++) {
			sqlite3_stmt *s;
			if (sqlite3_prepare_v2(db, q[i], -1, &s, NULL) != SQLITE_OK ||
			    sqlite3_step(s) != SQLITE_ROW)
				die("%s: %s", q[i], sqlite3_errmsg(db));
			v[i] = sqlite3_column_int64(s, 0);
			sqlite3_finalize(s);
		}
		sqlite3_close(db);
		printf("generate: %s: %d days, %d checks x %d regions at %llds: %lld "
		    "results (%lld as direct rollups, %lld via store_ingest)\n", path,
		    days, nchecks, nregions, (long long)(interval / 1000),
		    (long long)(nres_direct + nres_real), (long long)nres_direct,
		    (long long)nres_real);
		printf("generate: sum(total) rollup_1d %lld, rollup_1h %lld; rollup_1m "
		    "rows %lld; latest rows %lld; %.1f s\n", (long long)v[0],
		    (long long)v[1], (long long)v[2], (long long)v[3], mono_s() - t_start);
		if (v[0] != nres_direct + nres_real || v[1] != v[0])
			die("generate: rollup totals disagree with the results generated");
	}
	free(seqs);
	free(g.f.checks);
	free(g.f.inc);
	return 0;
}

/* ---- query: GET a path n times ---- */

static int
cmd_query(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "url", required_argument, NULL, 'u' },
		{ "n", required_argument, NULL, 'n' },
		{ "path", required_argument, NULL, 'p' },
		{ "warmup", required_argument, NULL, 'w' },
		{ "label", required_argument, NULL, 'l' },
		{ NULL, 0, NULL, 0 }
	};
	const char *url = NULL, *path = NULL, *label = NULL;
	int n = 200, warmup = 1, ch, errors = 0;
	char full[2048], ebuf[CURL_ERROR_SIZE];
	struct membuf mb = { 0 };
	double *lat, first = 0, bytes = 0;
	CURL *h;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'u': url = optarg; break;
		case 'n': n = arg_int(optarg); break;
		case 'p': path = optarg; break;
		case 'w': warmup = arg_int(optarg); break;
		case 'l': label = optarg; break;
		default: return 2;
		}
	}
	if (url == NULL || path == NULL || n < 1 || warmup < 0)
		die("query: need --url, --path and a positive --n");
	if (label == NULL)
		label = path;
	snprintf(full, sizeof(full), "%s%s", url, path);
	if ((h = curl_easy_init()) == NULL)
		die("curl_easy_init failed");
	curl_easy_setopt(h, CURLOPT_URL, full);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, membuf_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &mb);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, ebuf);
	lat = xcalloc((size_t)n, sizeof(*lat));
	for (int i = -warmup; i < n; i++) {
		long code = 0;
		double t0 = mono_s(), ms;
		CURLcode rc;

		mb.len = 0;
		rc = curl_easy_perform(h);
		ms = (mono_s() - t0) * 1000.0;
		if (rc == CURLE_OK)
			curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
		if (rc != CURLE_OK || code != 200) {
			if (errors++ == 0)
				fprintf(stderr, "query %s: %s\n", path, rc != CURLE_OK ?
				    ebuf : mb.p ? mb.p : "?");
		}
		if (i == -warmup)
			first = ms;
		if (i >= 0) {
			lat[i] = ms;
			bytes += (double)mb.len;
		}
	}
	curl_easy_cleanup(h);
	{
		double p50 = pctl(lat, (size_t)n, 50), p99 = pctl(lat, (size_t)n, 99);

		printf("query %s: n=%d (after %d warm-up), first %.2f ms, min %.2f, "
		    "median %.2f, p99 %.2f, max %.2f ms; %.0f bytes/answer; %d errors\n",
		    path, n, warmup, first, lat[0], p50, p99, lat[n - 1], bytes / n, errors);
		printf("RESULT query label=%s n=%d min_ms=%.2f p50_ms=%.2f p99_ms=%.2f "
		    "max_ms=%.2f first_ms=%.2f bytes=%.0f errors=%d\n", label, n, lat[0],
		    p50, p99, lat[n - 1], first, bytes / n, errors);
	}
	free(lat);
	free(mb.p);
	return errors > 0 ? 1 : 0;
}

/* ---- evaluate: the SLO engine's compute time, in process ---- */

/* What-if: the rollup reads of an engine that evaluates every SLO in one
 * pass: each distinct window (SLO windows and the burn-rate windows) read
 * once, grouped by check x region (selectors and breakdowns are then sums
 * over those ~1000 groups in memory, which costs next to nothing). Uses
 * the real sloeng_aggregate(). */
static void
onepass_whatif(sqlite3 *db, const struct collector_config *cc, double *cur,
    size_t ncur)
{
	int64_t w[64], now = time_now_ms();
	size_t nw = 0, groups = 0;
	double t0 = mono_s(), ms, cur50;
	char err[512];

	for (int i = 0; i < SLOENG_NWINDOWS; i++)
		w[nw++] = sloeng_windows[i].ms;
	for (size_t i = 0; i < cc->nslos && nw < 64; i++) {
		bool seen = false;
		for (size_t j = 0; j < nw; j++)
			seen |= w[j] == cc->slos[i].window_ms;
		if (!seen)
			w[nw++] = cc->slos[i].window_ms;
	}
	for (size_t j = 0; j < nw; j++) {
		struct rollup_agg *a;
		size_t na;

		if (sloeng_aggregate(db, NULL, now - w[j], now, "check_region", &a, &na,
		    err, sizeof(err)) < 0)
			die("onepass: %s", err);
		groups += na;
		sloeng_aggs_free(a, na);
	}
	ms = (mono_s() - t0) * 1000.0;
	cur50 = pctl(cur, ncur, 50);
	printf("what-if one-pass engine: %zu distinct windows read once each, grouped "
	    "by check x region (%zu groups): %.0f ms vs %.0f ms now (%.1fx)\n", nw,
	    groups, ms, cur50, cur50 / ms);
	printf("RESULT whatif_onepass windows=%zu ms=%.0f current_ms=%.0f speedup=%.1f\n",
	    nw, ms, cur50, cur50 / ms);
}

/* Count the SQL statements the engine runs and their VM steps (a proxy for
 * rows visited), without touching the engine: a profile trace callback. */
static int64_t trace_stmts, trace_steps, trace_ns;

static int
trace_cb(unsigned type, void *ctx, void *p, void *x)
{
	if (type == SQLITE_TRACE_PROFILE) {
		sqlite3_stmt *st = p;
		trace_stmts++;
		trace_ns += *(int64_t *)x;
		trace_steps += sqlite3_stmt_status(st, SQLITE_STMTSTATUS_VM_STEP, 0);
	}
	return 0;
}

static int
cmd_evaluate(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "config", required_argument, NULL, 'c' },
		{ "runs", required_argument, NULL, 'n' },
		{ "max-seconds", required_argument, NULL, 'm' },
		{ "detail", required_argument, NULL, 'D' },
		{ "slos", required_argument, NULL, 's' },
		{ "pragma", required_argument, NULL, 'p' },
		{ "onepass", no_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 }
	};
	const char *path = NULL, *cfg = NULL, *pragma = NULL;
	bool onepass = false;
	int runs = 20, detail = 1, ch, done = 0, only = 0;
	size_t nslos_all;
	double max_s = 120, t_begin;
	struct collector_config *cc;
	char err[512];
	sqlite3 *db;
	double *per, *tot, *chk;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'd': path = optarg; break;
		case 'c': cfg = optarg; break;
		case 'n': runs = arg_int(optarg); break;
		case 'm': max_s = arg_double(optarg); break;
		case 'D': detail = arg_int(optarg); break;
		case 's': only = arg_int(optarg); break;
		case 'p': pragma = optarg; break;
		case 'o': onepass = true; break;
		default: return 2;
		}
	}
	if (path == NULL || cfg == NULL || runs < 1)
		die("evaluate: need --db, --config and a positive --runs");
	if ((cc = collconf_load(cfg)) == NULL)
		return 2;
	if (cc->nslos == 0)
		die("evaluate: %s has no SLOs", cfg);
	if ((db = store_open_readonly(path, err, sizeof(err))) == NULL)
		die("%s", err);
	/* what-if experiments only: the collector's readers use the defaults */
	if (pragma) {
		char sql[512];
		snprintf(sql, sizeof(sql), "PRAGMA %s", pragma);
		exec_sql(db, sql);
		fprintf(stderr, "evaluate: applied %s (NOT what the collector does)\n", sql);
	}
	nslos_all = cc->nslos;
	if (only > 0 && (size_t)only < cc->nslos)
		cc->nslos = (size_t)only;	/* restored before collconf_free */
	sqlite3_trace_v2(db, SQLITE_TRACE_PROFILE, trace_cb, NULL);
	per = xcalloc((size_t)runs * cc->nslos, sizeof(*per));
	tot = xcalloc((size_t)runs, sizeof(*tot));
	chk = xcalloc((size_t)runs, sizeof(*chk));
	t_begin = mono_s();
	for (int r = 0; r < runs && (r == 0 || mono_s() - t_begin < max_s); r++) {
		int64_t now = time_now_ms();
		double t_run = mono_s();
		struct rollup_agg *a;
		size_t na;

		for (size_t i = 0; i < cc->nslos; i++) {
			double t0 = mono_s();
			json_t *o = sloeng_evaluate(db, &cc->slos[i], now, detail, err,
			    sizeof(err));

			if (o == NULL)
				die("SLO %s: %s", cc->slos[i].name, err);
			per[(size_t)r * cc->nslos + i] = (mono_s() - t0) * 1000.0;
			json_decref(o);
		}
		/* engine_evaluate also computes the 5-minute check x region ratios */
		{
			double t0 = mono_s();
			if (sloeng_aggregate(db, NULL, now - 5 * MIN_MS, now, "check_region",
			    &a, &na, err, sizeof(err)) < 0)
				die("check ratios: %s", err);
			sloeng_aggs_free(a, na);
			chk[r] = (mono_s() - t0) * 1000.0;
		}
		tot[r] = (mono_s() - t_run) * 1000.0;
		done++;
		fprintf(stderr, "evaluate: run %d: %.0f ms, %lld SQL statements, %lld VM "
		    "steps, %.0f ms inside sqlite3_step\n", r + 1, tot[r],
		    (long long)trace_stmts, (long long)trace_steps, (double)trace_ns / 1e6);
		/* the minute rollups read grow with the minutes past the hour */
		if (r == 0)
			printf("RESULT evaluate_sql run=1 statements=%lld vm_steps=%lld "
			    "sql_ms=%.0f minute_of_hour=%lld\n", (long long)trace_stmts,
			    (long long)trace_steps, (double)trace_ns / 1e6,
			    (long long)((now % HOUR_MS) / MIN_MS));
		trace_stmts = trace_steps = trace_ns = 0;
	}
	printf("evaluate: %zu SLOs (detail=%d), %d runs\n", cc->nslos, detail, done);
	printf("%-28s %-12s %10s %10s %10s\n", "slo", "sli", "median_ms", "p99_ms",
	    "max_ms");
	for (size_t i = 0; i < cc->nslos; i++) {
		double *v = xcalloc((size_t)done, sizeof(*v)), p50, p99;

		for (int r = 0; r < done; r++)
			v[r] = per[(size_t)r * cc->nslos + i];
		p50 = pctl(v, (size_t)done, 50);
		p99 = pctl(v, (size_t)done, 99);
		printf("%-28s %-12s %10.1f %10.1f %10.1f\n", cc->slos[i].name,
		    cc->slos[i].sli == SLI_LATENCY ? "latency" : "availability", p50, p99,
		    v[done - 1]);
		free(v);
	}
	{
		double c50 = pctl(chk, (size_t)done, 50);
		double t50 = pctl(tot, (size_t)done, 50), t99 = pctl(tot, (size_t)done, 99);

		printf("%-28s %-12s %10.1f\n", "(check ratios, 5m)", "-", c50);
		printf("%-28s %-12s %10.1f %10.1f %10.1f\n", "TOTAL (one evaluation)", "-",
		    t50, t99, tot[done - 1]);
		printf("RESULT evaluate slos=%zu detail=%d runs=%d total_p50_ms=%.1f "
		    "total_p99_ms=%.1f total_max_ms=%.1f per_slo_avg_ms=%.1f pragma=%s\n",
		    cc->nslos, detail, done, t50, t99, tot[done - 1],
		    t50 / (double)cc->nslos, pragma ? pragma : "none");
	}
	if (onepass)
		onepass_whatif(db, cc, tot, (size_t)done);
	free(per);
	free(tot);
	free(chk);
	sqlite3_close(db);
	cc->nslos = nslos_all;
	collconf_free(cc);
	return 0;
}

static void
usage(FILE *fp)
{
	fprintf(fp,
"usage: bench_collector ingest --url URL --keys-file F [--agents 8] [--batch 500]\n"
"                              [--batches-per-agent N] [--checks 200] [--regions 5]\n"
"                              [--fail 0.02] [--seq-base 0]\n"
"       bench_collector generate --db PATH [--days 30] [--checks 200] [--regions 5]\n"
"                              [--interval 30s] [--minute-days 8] [--raw 1h]\n"
"       bench_collector query --url URL --path P [--n 200] [--warmup 1]\n"
"       bench_collector evaluate --db PATH --config CFG [--runs 20]\n"
"                              [--max-seconds 120] [--detail 1] [--slos N]\n"
"                              [--onepass] (what-if: one read per distinct window)\n"
"                              [--pragma 'mmap_size=...'] (what-if only)\n"
"The keys file has one \"AGENT_ID KEY\" per line. See bench/collector-results.md.\n");
}

int
main(int argc, char **argv)
{
	int rc;

	if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (strcmp(argv[1], "ingest") == 0)
		rc = cmd_ingest(argc - 1, argv + 1);
	else if (strcmp(argv[1], "generate") == 0)
		rc = cmd_generate(argc - 1, argv + 1);
	else if (strcmp(argv[1], "query") == 0)
		rc = cmd_query(argc - 1, argv + 1);
	else if (strcmp(argv[1], "evaluate") == 0)
		rc = cmd_evaluate(argc - 1, argv + 1);
	else {
		usage(stderr);
		rc = 2;
	}
	curl_global_cleanup();
	return rc;
}
