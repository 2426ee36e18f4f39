/* bc_ingest: results through the collector's real HTTP path.
 *
 *   ingest  N agents (threads) each POST their signed batches back to
 *           back over one keep-alive connection: results/s stored
 *   feed    a steady trickle: every --every, each region's agent sends
 *           the runs its series made since the last send (the load of a
 *           real fleet, 1000 series x 30 s = about 33 results/s) */
#include "config.h"

#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "bc.h"
#include "timeutil.h"
#include "xmalloc.h"

/* What the collector said about one batch. */
static void
count_answer(const struct bc_membuf *mb, int64_t *stored, int64_t *dups,
    int64_t *rejected)
{
	json_t *o = json_loadb(mb->p ? mb->p : "", mb->len, 0, NULL);

	*stored += json_integer_value(json_object_get(o, "stored"));
	*dups += json_integer_value(json_object_get(o, "duplicates"));
	*rejected += (int64_t)json_array_size(json_object_get(o, "rejected"));
	json_decref(o);
}

/* ---- ingest: agents sending back to back ---- */

struct agent_job {
	int		 idx;
	const char	*url;
	struct bc_key	*key;
	char		 region[32];
	char		**bodies;
	size_t		*lens;
	int		 nbatches;
	pthread_barrier_t *bar;
	/* out */
	double		*lat_ms;	/* per batch (its successful try) */
	int64_t		 stored, dups, rejected;
	int		 ok, busy, errors;
	double		 end;
	char		 first_error[256];
};

static void *
agent_main(void *arg)
{
	struct agent_job *j = arg;
	struct bc_membuf mb = { 0 };
	char ebuf[CURL_ERROR_SIZE];
	CURL *h = bc_curl_new(&mb, ebuf, 60L);

	pthread_barrier_wait(j->bar);
	for (int b = 0; b < j->nbatches; b++) {
		/* a 503 (busy) is retried after 100 ms, at most 50 times */
		for (int attempt = 0; attempt < 50; attempt++) {
			double t0 = bc_mono_s();
			long code = bc_post_batch(h, j->url, j->key, j->bodies[b],
			    j->lens[b], &mb, ebuf);

			j->lat_ms[b] = (bc_mono_s() - t0) * 1000.0;
			if (code == 200) {
				count_answer(&mb, &j->stored, &j->dups, &j->rejected);
				j->ok++;
				break;
			}
			if (code == 503) {
				j->busy++;
				bc_sleep_s(0.1);
				continue;
			}
			j->errors++;
			if (j->first_error[0] == '\0')
				snprintf(j->first_error, sizeof(j->first_error), "%s",
				    code == 0 ? ebuf : mb.p ? mb.p : "?");
			break;
		}
	}
	j->end = bc_mono_s();
	curl_easy_cleanup(h);
	free(mb.p);
	return NULL;
}

/* Build one agent's batches: seqs seq_base+1.., checks round-robin, ts
 * spread evenly over the span_ms before now (and a little jitter). */
static void
build_batches(struct agent_job *j, const struct bc_fleet *f, int batch,
    int64_t seq_base, int64_t now, int64_t span_ms, double *gen_bytes)
{
	int64_t total = (int64_t)j->nbatches * batch;
	size_t cap = (size_t)batch * (BC_REC_MAX + 1) + 1024;
	struct bc_rng r = { bc_hash64((uint64_t)j->idx + 17) };
	char *rec = xmalloc(BC_REC_MAX);

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
			    (int64_t)(bc_rng_next(&r) % 500);
			struct bc_sample s;
			size_t n;

			bc_fleet_sample(f, ci, j->idx % f->nregions, ts, &r, &s);
			n = bc_result_json(rec, BC_REC_MAX, &f->checks[ci], j->key->id,
			    j->region, seq_base + k + 1, ts, &s);
			if (len + n + 4 > cap)
				bc_die("batch buffer too small");
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

int
bc_cmd_ingest(int argc, char **argv)
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
		{ "label", required_argument, NULL, 'l' },
		{ NULL, 0, NULL, 0 }
	};
	const char *url = NULL, *keys_file = NULL, *label = "ingest";
	int nagents = 8, batch = 500, nb = 20, nchecks = 200, nregions = 5, nkeys, ch;
	double fail = 0.02, gen_bytes = 0, t0, t1, tgen, wall, *lat;
	int64_t seq_base = 0, stored = 0, dups = 0, rejected = 0, now = time_now_ms();
	int busy = 0, errors = 0, okreq = 0;
	struct bc_key *keys;
	struct agent_job *jobs;
	pthread_t *th;
	pthread_barrier_t bar;
	struct bc_fleet f;
	size_t nlat = 0;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'u': url = optarg; break;
		case 'a': nagents = bc_arg_int(optarg); break;
		case 'b': batch = bc_arg_int(optarg); break;
		case 'n': nb = bc_arg_int(optarg); break;
		case 'k': keys_file = optarg; break;
		case 'c': nchecks = bc_arg_int(optarg); break;
		case 'r': nregions = bc_arg_int(optarg); break;
		case 'f': fail = bc_arg_double(optarg); break;
		case 's': seq_base = bc_arg_int64(optarg); break;
		case 'l': label = optarg; break;
		default: return 2;
		}
	}
	if (url == NULL || keys_file == NULL || nagents < 1 || batch < 1 || nb < 1 ||
	    nchecks < 1 || nregions < 1 || nregions > 8 || seq_base < 0)
		bc_die("ingest: need --url and --keys-file; positive --agents, --batch, "
		    "--batches-per-agent; --regions 1..8");
	keys = bc_read_keys(keys_file, &nkeys);
	if (nkeys < nagents)
		bc_die("ingest: %s has %d keys, need %d", keys_file, nkeys, nagents);
	bc_fleet_init(&f, nchecks, nregions, fail, now, now);	/* --fail only */
	jobs = xcalloc((size_t)nagents, sizeof(*jobs));
	th = xcalloc((size_t)nagents, sizeof(*th));
	pthread_barrier_init(&bar, NULL, (unsigned)nagents + 1);
	tgen = bc_mono_s();
	for (int i = 0; i < nagents; i++) {
		struct agent_job *j = &jobs[i];

		j->idx = i;
		j->url = url;
		j->key = &keys[i];
		snprintf(j->region, sizeof(j->region), "r%d", i % nregions);
		j->nbatches = nb;
		j->bar = &bar;
		j->lat_ms = xcalloc((size_t)nb, sizeof(double));
		build_batches(j, &f, batch, seq_base, now, 4 * BC_MIN_MS, &gen_bytes);
	}
	tgen = bc_mono_s() - tgen;
	fprintf(stderr, "ingest: %d agents x %d batches x %d results built in %.1f s "
	    "(%.0f bytes/batch)\n", nagents, nb, batch, tgen,
	    gen_bytes / ((double)nagents * nb));
	for (int i = 0; i < nagents; i++)
		if (pthread_create(&th[i], NULL, agent_main, &jobs[i]) != 0)
			bc_die("pthread_create failed");
	pthread_barrier_wait(&bar);
	t0 = bc_mono_s();
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
		double p50 = bc_pctl(lat, nlat, 50), p99 = bc_pctl(lat, nlat, 99);
		double mx = lat[nlat - 1];

		printf("ingest %s: %d agents, %d batches of %d, %.2f s wall\n", label,
		    nagents, nagents * nb, batch, wall);
		printf("ingest %s: stored %" PRId64 " (duplicates %" PRId64 ", rejected %"
		    PRId64 "), %d ok requests, %d busy (503) retries, %d errors\n",
		    label, stored, dups, rejected, okreq, busy, errors);
		printf("ingest %s: %.0f results/s stored, %.1f batches/s, request "
		    "latency p50 %.1f ms, p99 %.1f ms, max %.1f ms\n", label,
		    (double)stored / wall, (double)okreq / wall, p50, p99, mx);
		printf("RESULT ingest label=%s results_per_s=%.0f batches_per_s=%.1f "
		    "p50_ms=%.1f p99_ms=%.1f max_ms=%.1f stored=%" PRId64 " dups=%"
		    PRId64 " rejected=%" PRId64 " wall_s=%.2f errors=%d busy=%d "
		    "bytes_per_batch=%.0f\n", label, (double)stored / wall,
		    (double)okreq / wall, p50, p99, mx, stored, dups, rejected, wall,
		    errors, busy, gen_bytes / ((double)nagents * nb));
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
	bc_fleet_free(&f);
	pthread_barrier_destroy(&bar);
	return errors > 0 ? 1 : 0;
}

/* ---- feed: a real fleet's steady load ---- */

/* The body of agent k's batch: every run of its series with ts in [from,
 * to). The number of runs in *nruns; NULL when there are none. */
static char *
feed_body(const struct bc_fleet *f, const struct bc_key *k, int region,
    int64_t interval, int64_t from, int64_t to, int64_t *seq, size_t *len,
    int *nruns)
{
	size_t cap = 4096, n;
	char *body = xmalloc(cap), rec[BC_REC_MAX], reg[32];

	snprintf(reg, sizeof(reg), "r%d", region);
	*nruns = 0;
	*len = (size_t)snprintf(body, cap, "{\"agent\":\"%s\",\"region\":\"%s\","
	    "\"provider\":\"bench-cloud\",\"version\":\"%s\",\"outbox_depth\":0,"
	    "\"oldest_unshipped\":0,\"results\":[", k->id, reg, PACKAGE_VERSION);
	for (int ci = 0; ci < f->nchecks; ci++) {
		int64_t ph = bc_series_phase(ci, region, interval);

		for (int64_t ts = bc_first_at_or_after(from, ph, interval); ts < to;
		    ts += interval) {
			struct bc_rng r = { bc_hash64((uint64_t)ts ^
			    ((uint64_t)(ci * f->nregions + region) << 44)) };
			struct bc_sample s;

			bc_fleet_sample(f, ci, region, ts, &r, &s);
			n = bc_result_json(rec, sizeof(rec), &f->checks[ci], k->id, reg,
			    ++*seq, ts, &s);
			while (*len + n + 4 > cap) {
				cap *= 2;
				body = xreallocarray(body, cap, 1);
			}
			if (*nruns > 0)
				body[(*len)++] = ',';
			memcpy(body + *len, rec, n);
			*len += n;
			(*nruns)++;
		}
	}
	memcpy(body + *len, "]}", 3);
	*len += 2;
	if (*nruns == 0) {
		free(body);
		return NULL;
	}
	return body;
}

int
bc_cmd_feed(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "url", required_argument, NULL, 'u' },
		{ "keys-file", required_argument, NULL, 'k' },
		{ "checks", required_argument, NULL, 'c' },
		{ "regions", required_argument, NULL, 'r' },
		{ "interval", required_argument, NULL, 'i' },
		{ "every", required_argument, NULL, 'e' },
		{ "for", required_argument, NULL, 'F' },
		{ "fail", required_argument, NULL, 'f' },
		{ "seq-base", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 }
	};
	const char *url = NULL, *keys_file = NULL;
	int nchecks = 200, nregions = 5, nkeys, ch, batches = 0, errors = 0;
	int64_t interval = 30000, every = 15000, dur = 60000, seq_base = -1;
	int64_t runs = 0, stored = 0, dups = 0, rejected = 0, last, *seqs;
	double fail = 0.002, t_end, *lat = NULL;
	size_t nlat = 0, alat = 0;
	struct bc_membuf mb = { 0 };
	char ebuf[CURL_ERROR_SIZE], first_error[256] = "";
	struct bc_key *keys;
	struct bc_fleet f;
	CURL *h;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'u': url = optarg; break;
		case 'k': keys_file = optarg; break;
		case 'c': nchecks = bc_arg_int(optarg); break;
		case 'r': nregions = bc_arg_int(optarg); break;
		case 'i': interval = bc_arg_duration("--interval", optarg); break;
		case 'e': every = bc_arg_duration("--every", optarg); break;
		case 'F': dur = bc_arg_duration("--for", optarg); break;
		case 'f': fail = bc_arg_double(optarg); break;
		case 's': seq_base = bc_arg_int64(optarg); break;
		default: return 2;
		}
	}
	if (url == NULL || keys_file == NULL || nchecks < 1 || nregions < 1 ||
	    nregions > 8 || interval < 1000 || every < 100 || dur < 1 ||
	    dur > 3600000)
		bc_die("feed: need --url and --keys-file; --regions 1..8; --interval "
		    ">= 1s; --every >= 100ms; --for up to 1h");
	keys = bc_read_keys(keys_file, &nkeys);
	if (nkeys < nregions)
		bc_die("feed: %s has %d keys, need one per region (%d)", keys_file,
		    nkeys, nregions);
	/* seqs rise across runs of the benchmark: start from the clock */
	if (seq_base < 0)
		seq_base = time_now_ms();
	seqs = xcalloc((size_t)nregions, sizeof(*seqs));
	for (int k = 0; k < nregions; k++)
		seqs[k] = seq_base;
	bc_fleet_init(&f, nchecks, nregions, fail, 0, 0);
	h = bc_curl_new(&mb, ebuf, 30L);
	last = time_now_ms();
	t_end = bc_mono_s() + (double)dur / 1000.0;
	while (bc_mono_s() < t_end) {
		int64_t now;

		bc_sleep_s((double)every / 1000.0);
		now = time_now_ms();
		for (int k = 0; k < nregions; k++) {
			size_t len;
			int n;
			char *body = feed_body(&f, &keys[k], k, interval, last, now,
			    &seqs[k], &len, &n);
			double t0 = bc_mono_s();
			long code;

			if (body == NULL)
				continue;
			code = bc_post_batch(h, url, &keys[k], body, len, &mb, ebuf);
			if (nlat == alat) {
				alat = alat ? 2 * alat : 64;
				lat = xreallocarray(lat, alat, sizeof(*lat));
			}
			lat[nlat++] = (bc_mono_s() - t0) * 1000.0;
			runs += n;
			batches++;
			if (code == 200)
				count_answer(&mb, &stored, &dups, &rejected);
			else {
				errors++;
				if (first_error[0] == '\0')
					snprintf(first_error, sizeof(first_error),
					    "HTTP %ld: %.200s", code, code == 0 ? ebuf :
					    mb.p ? mb.p : "?");
			}
			free(body);
		}
		last = now;
	}
	if (first_error[0])
		fprintf(stderr, "feed: first error: %s\n", first_error);
	{
		/* bc_pctl sorts lat: the max is last only after it */
		double p50 = nlat ? bc_pctl(lat, nlat, 50) : 0.0;
		double mx = nlat ? lat[nlat - 1] : 0.0;

		printf("RESULT feed batches=%d runs=%" PRId64 " stored=%" PRId64
		    " dups=%" PRId64 " rejected=%" PRId64 " errors=%d every_ms=%"
		    PRId64 " post_p50_ms=%.1f post_max_ms=%.1f\n", batches, runs,
		    stored, dups, rejected, errors, every, p50, mx);
	}
	curl_easy_cleanup(h);
	free(mb.p);
	free(lat);
	free(seqs);
	free(keys);
	bc_fleet_free(&f);
	return errors > 0 ? 1 : 0;
}
