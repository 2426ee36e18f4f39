/* bc_common: what bench_collector's subcommands share (see bc.h). */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bc.h"
#include "sign.h"
#include "timeutil.h"
#include "xmalloc.h"

/* ---- errors and options ---- */

void
bc_die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "bench_collector: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

int64_t
bc_arg_int64(const char *s)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0')
		bc_die("not a whole number: \"%s\"", s);
	return (int64_t)v;
}

int
bc_arg_int(const char *s)
{
	int64_t v = bc_arg_int64(s);

	if (v < INT_MIN || v > INT_MAX)
		bc_die("out of range: \"%s\"", s);
	return (int)v;
}

double
bc_arg_double(const char *s)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !isfinite(v))
		bc_die("not a number: \"%s\"", s);
	return v;
}

int64_t
bc_arg_duration(const char *opt, const char *s)
{
	char err[256];
	int64_t ms;

	if (duration_parse(s, &ms, err, sizeof(err)) < 0)
		bc_die("%s: %s", opt, err);
	return ms;
}

/* ---- clocks ---- */

static double
clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double
bc_mono_s(void)
{
	return clock_s(CLOCK_MONOTONIC);
}

double
bc_cpu_s(void)
{
	return clock_s(CLOCK_PROCESS_CPUTIME_ID);
}

double
bc_thread_cpu_s(void)
{
	return clock_s(CLOCK_THREAD_CPUTIME_ID);
}

void
bc_sleep_s(double s)
{
	struct timespec ts;

	if (s <= 0)
		return;
	ts.tv_sec = (time_t)s;
	ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

int64_t
bc_floor_to(int64_t t, int64_t w)
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

double
bc_pctl(double *v, size_t n, double p)
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

/* ---- random numbers ---- */

uint64_t
bc_rng_next(struct bc_rng *r)
{
	uint64_t z = (r->s += 0x9E3779B97F4A7C15ULL);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

double
bc_rng_unif(struct bc_rng *r)
{
	return (double)(bc_rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

double
bc_rng_norm(struct bc_rng *r)
{
	double s = bc_rng_unif(r) + bc_rng_unif(r) + bc_rng_unif(r) + bc_rng_unif(r);

	return (s - 2.0) * 1.7320508075688772;
}

uint64_t
bc_hash64(uint64_t x)
{
	struct bc_rng r = { x };

	return bc_rng_next(&r);
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

void
bc_fleet_init(struct bc_fleet *f, int nchecks, int nregions, double base_fail,
    int64_t from, int64_t to)
{
	int nserv = (nchecks + 9) / 10;

	memset(f, 0, sizeof(*f));
	f->checks = xcalloc((size_t)nchecks, sizeof(*f->checks));
	for (int i = 0; i < nchecks; i++) {
		struct bc_check *c = &f->checks[i];

		c->layer_i = i % 3;
		c->service_i = i / 10;
		c->layer = layers[c->layer_i];
		c->provider = providers[c->layer_i][(i / 3) % 2];
		snprintf(c->service, sizeof(c->service), "svc-%d", c->service_i);
		snprintf(c->name, sizeof(c->name), "svc-%d-%s-%03d", c->service_i,
		    c->layer, i);
		snprintf(c->url, sizeof(c->url), "https://%s.%s.example.com/healthz",
		    c->layer, c->service);
		c->factor = 0.8 + 0.5 * (double)(bc_hash64((uint64_t)i * 7919) % 1000) /
		    1000.0;
	}
	f->nchecks = nchecks;
	f->nregions = nregions;
	f->base_fail = base_fail;
	f->inc = xcalloc((size_t)nserv * 2 + 1, sizeof(*f->inc));
	for (int s = 0; s < nserv && to > from; s++)
		for (int k = 0; k < 2; k++) {
			uint64_t h = bc_hash64((uint64_t)s * 1000003 + (uint64_t)k);
			struct bc_incident *in = &f->inc[f->ninc++];

			in->from = from + (int64_t)(h % (uint64_t)(to - from));
			in->to = in->from + (30 + (int64_t)((h >> 20) % 31)) * BC_MIN_MS;
			in->layer_i = (int)((h >> 32) % 3);
			in->region = (h >> 40) % 2 ? -1 :
			    (int)((h >> 44) % (uint64_t)nregions);
		}
}

void
bc_fleet_free(struct bc_fleet *f)
{
	free(f->checks);
	free(f->inc);
	memset(f, 0, sizeof(*f));
}

void
bc_fleet_sample(const struct bc_fleet *f, int ci, int region, int64_t ts,
    struct bc_rng *r, struct bc_sample *s)
{
	const struct bc_check *c = &f->checks[ci];
	double p_fail = f->base_fail, med, v, u;

	/* incidents 2s and 2s+1 belong to service s (none without a range) */
	for (int i = 2 * c->service_i; i < 2 * c->service_i + 2 && i < f->ninc; i++) {
		const struct bc_incident *in = &f->inc[i];

		if (ts >= in->from && ts < in->to && in->layer_i == c->layer_i &&
		    (in->region < 0 || in->region == region))
			p_fail = 0.35;
	}
	memset(s, 0, sizeof(*s));
	med = layer_median_ms[c->layer_i] * region_factor[region % 8] * c->factor;
	v = med * exp(0.35 * bc_rng_norm(r));
	if (bc_rng_unif(r) < 0.01)
		v *= 3;		/* a slow tail */
	s->total_us = (int64_t)(v * 1000.0);
	u = bc_rng_unif(r);
	s->ok = u >= p_fail;
	s->status = 200;
	if (!s->ok) {
		double w = bc_rng_unif(r);

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
		s->dns_us = bc_rng_unif(r) < 0.2 ? s->total_us * 3 / 100 : 0;
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

int64_t
bc_series_phase(int ci, int region, int64_t interval)
{
	return (int64_t)(bc_hash64((uint64_t)ci * 131 + (uint64_t)region) %
	    (uint64_t)interval);
}

int64_t
bc_first_at_or_after(int64_t t, int64_t phase, int64_t interval)
{
	return t + (((phase - t) % interval) + interval) % interval;
}

size_t
bc_result_json(char *out, size_t outlen, const struct bc_check *c, const char *agent,
    const char *region, int64_t seq, int64_t ts, const struct bc_sample *s)
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
		bc_die("result record does not fit %zu bytes", outlen);
	return (size_t)n;
}

/* ---- agents and HTTP ---- */

struct bc_key *
bc_read_keys(const char *file, int *n)
{
	FILE *fp = fopen(file, "r");
	struct bc_key *k = NULL;
	char line[512];
	int alloc = 0;

	if (fp == NULL)
		bc_die("%s: %s", file, strerror(errno));
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

size_t
bc_membuf_write(char *data, size_t size, size_t nmemb, void *ud)
{
	struct bc_membuf *b = ud;
	size_t n = size * nmemb;

	if (b->len + n + 1 > b->cap) {
		char *p;

		b->cap = (b->len + n + 1) * 2;
		if ((p = realloc(b->p, b->cap)) == NULL)
			return 0;
		b->p = p;
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = '\0';
	return n;
}

CURL *
bc_curl_new(struct bc_membuf *mb, char *ebuf, long timeout_s)
{
	CURL *h = curl_easy_init();

	if (h == NULL)
		bc_die("curl_easy_init failed");
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, bc_membuf_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, mb);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, timeout_s);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, ebuf);
	return h;
}

long
bc_post_batch(CURL *h, const char *base, const struct bc_key *k, const char *body,
    size_t len, struct bc_membuf *mb, char *ebuf)
{
	struct curl_slist *hdr = NULL;
	char url[1024], auth[512], line[600];
	long code = 0;
	CURLcode rc;

	snprintf(url, sizeof(url), "%s%s", base, BC_INGEST_PATH);
	if (sign_header(k->id, k->key, strlen(k->key), "POST", BC_INGEST_PATH,
	    time_now_ms() / 1000, body, len, auth, sizeof(auth)) < 0)
		bc_die("agent id %s too long to sign", k->id);
	snprintf(line, sizeof(line), "Authorization: %s", auth);
	hdr = curl_slist_append(hdr, line);
	hdr = curl_slist_append(hdr, "Content-Type: application/json");
	hdr = curl_slist_append(hdr, "Expect:");
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	mb->len = 0;
	if (mb->p)
		mb->p[0] = '\0';
	ebuf[0] = '\0';
	rc = curl_easy_perform(h);
	curl_slist_free_all(hdr);
	if (rc != CURLE_OK) {
		if (ebuf[0] == '\0')
			snprintf(ebuf, CURL_ERROR_SIZE, "%s", curl_easy_strerror(rc));
		return 0;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	return code;
}
