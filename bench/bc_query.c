/* bc_query: the collector's read API under measurement.
 *
 *   query    GET one path n times on a keep-alive connection: latency
 *            percentiles (nearest rank)
 *   slo-age  poll /api/v1/slos for a while and say how old the served
 *            evaluation was (now - evaluated_at): max and median, and how
 *            often a new evaluation appeared */
#include "config.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "bc.h"
#include "timeutil.h"
#include "xmalloc.h"

int
bc_cmd_query(int argc, char **argv)
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
	struct bc_membuf mb = { 0 };
	double *lat, first = 0, bytes = 0;
	CURL *h;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'u': url = optarg; break;
		case 'n': n = bc_arg_int(optarg); break;
		case 'p': path = optarg; break;
		case 'w': warmup = bc_arg_int(optarg); break;
		case 'l': label = optarg; break;
		default: return 2;
		}
	}
	if (url == NULL || path == NULL || n < 1 || n > 1000000 || warmup < 0)
		bc_die("query: need --url, --path and a positive --n");
	if (label == NULL)
		label = path;
	snprintf(full, sizeof(full), "%s%s", url, path);
	h = bc_curl_new(&mb, ebuf, 30L);
	curl_easy_setopt(h, CURLOPT_URL, full);
	lat = xcalloc((size_t)n, sizeof(*lat));
	for (int i = -warmup; i < n; i++) {
		long code = 0;
		double t0 = bc_mono_s(), ms;
		CURLcode rc;

		mb.len = 0;
		ebuf[0] = '\0';
		rc = curl_easy_perform(h);
		ms = (bc_mono_s() - t0) * 1000.0;
		if (rc == CURLE_OK)
			curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
		if (rc != CURLE_OK || code != 200) {
			if (errors++ == 0)
				fprintf(stderr, "query %s: %s\n", path, rc != CURLE_OK ?
				    (ebuf[0] ? ebuf : curl_easy_strerror(rc)) :
				    mb.p ? mb.p : "?");
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
		double p50 = bc_pctl(lat, (size_t)n, 50), p99 = bc_pctl(lat, (size_t)n, 99);

		printf("query %s: n=%d (after %d warm-up), first %.2f ms, min %.2f, "
		    "median %.2f, p99 %.2f, max %.2f ms; %.0f bytes/answer; %d errors\n",
		    path, n, warmup, first, lat[0], p50, p99, lat[n - 1], bytes / n,
		    errors);
		printf("RESULT query label=%s n=%d min_ms=%.2f p50_ms=%.2f p99_ms=%.2f "
		    "max_ms=%.2f first_ms=%.2f bytes=%.0f errors=%d\n", label, n, lat[0],
		    p50, p99, lat[n - 1], first, bytes / n, errors);
	}
	free(lat);
	free(mb.p);
	return errors > 0 ? 1 : 0;
}

int
bc_cmd_slo_age(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "url", required_argument, NULL, 'u' },
		{ "for", required_argument, NULL, 'F' },
		{ "every", required_argument, NULL, 'e' },
		{ NULL, 0, NULL, 0 }
	};
	const char *url = NULL;
	int64_t dur = 45000, every = 100, prev_eval = 0;
	int ch, errors = 0, evals = 0;
	double *age = NULL, *gap = NULL, t_end, steady_max = -1;
	size_t nage = 0, aage = 0, ngap = 0, agap = 0;
	struct bc_membuf mb = { 0 };
	char full[2048], ebuf[CURL_ERROR_SIZE];
	CURL *h;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'u': url = optarg; break;
		case 'F': dur = bc_arg_duration("--for", optarg); break;
		case 'e': every = bc_arg_duration("--every", optarg); break;
		default: return 2;
		}
	}
	if (url == NULL || dur < 1 || dur > 3600000 || every < 10)
		bc_die("slo-age: need --url; --for up to 1h; --every >= 10ms");
	snprintf(full, sizeof(full), "%s/api/v1/slos", url);
	h = bc_curl_new(&mb, ebuf, 10L);
	curl_easy_setopt(h, CURLOPT_URL, full);
	t_end = bc_mono_s() + (double)dur / 1000.0;
	while (bc_mono_s() < t_end) {
		long code = 0;
		json_t *o;
		int64_t at, now;

		mb.len = 0;
		ebuf[0] = '\0';
		if (curl_easy_perform(h) == CURLE_OK)
			curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
		now = time_now_ms();
		o = code == 200 ? json_loadb(mb.p, mb.len, 0, NULL) : NULL;
		at = json_integer_value(json_object_get(o, "evaluated_at"));
		json_decref(o);
		if (at <= 0) {
			errors++;
		} else {
			if (nage == aage) {
				aage = aage ? 2 * aage : 256;
				age = xreallocarray(age, aage, sizeof(*age));
			}
			age[nage++] = (double)(now - at);
			/* once a second evaluation is served, the start-up's
			 * first one (with its first retention pass) is behind */
			if (evals > 0 && at == prev_eval && age[nage - 1] > steady_max)
				steady_max = age[nage - 1];
			if (at != prev_eval) {
				/* a new evaluation is served: how long since the last */
				if (prev_eval != 0) {
					if (ngap == agap) {
						agap = agap ? 2 * agap : 64;
						gap = xreallocarray(gap, agap, sizeof(*gap));
					}
					gap[ngap++] = (double)(at - prev_eval);
					evals++;
				}
				prev_eval = at;
			}
		}
		bc_sleep_s((double)every / 1000.0);
	}
	curl_easy_cleanup(h);
	free(mb.p);
	{
		double mx = 0, gmax = 0;
		char steady[32] = "none";

		for (size_t i = 0; i < nage; i++)
			if (age[i] > mx)
				mx = age[i];
		for (size_t i = 0; i < ngap; i++)
			if (gap[i] > gmax)
				gmax = gap[i];
		if (steady_max >= 0)
			snprintf(steady, sizeof(steady), "%.0f", steady_max);
		printf("slo-age: %zu samples over %.0f s (%d failed): age of the served "
		    "evaluation max %.0f ms (%s ms after the first new one), median "
		    "%.0f ms; %d new evaluations seen, at most %.0f ms apart\n", nage,
		    (double)dur / 1000.0, errors, mx, steady,
		    nage ? bc_pctl(age, nage, 50) : 0.0, evals, gmax);
		printf("RESULT slo_age samples=%zu failed=%d max_ms=%.0f "
		    "max_after_first_new_ms=%s p50_ms=%.0f new_evaluations=%d "
		    "max_period_ms=%.0f for_s=%.0f\n", nage, errors, mx, steady,
		    nage ? bc_pctl(age, nage, 50) : 0.0, evals, gmax,
		    (double)dur / 1000.0);
	}
	free(age);
	free(gap);
	return nage == 0 ? 1 : 0;
}
