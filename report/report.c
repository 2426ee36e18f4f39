/* report: sources, the view table, the JSON envelope and the four formats. */
#include "config.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "minutes.h"
#include "report.h"
#include "rtime.h"
#include "secret.h"
#include "store.h"
#include "store_results.h"
#include "timeutil.h"
#include "xmalloc.h"

#define API_BODY_MAX	(64u * 1024 * 1024)
#define API_TIMEOUT_MS	30000L

const struct report_view report_views[] = {
	{ "slo", false, view_slo_build, view_slo_render, view_slo_csv },
	{ "incidents", false, view_incidents_build, view_incidents_render,
	    view_incidents_csv },
	{ "failover", true, view_failover_build, view_failover_render,
	    view_failover_csv },
	{ "attribution", true, view_attribution_build, view_attribution_render,
	    view_attribution_csv },
	{ "checks", true, view_checks_build, view_checks_render, view_checks_csv },
	{ NULL, false, NULL, NULL, NULL }
};

static const char *const view_titles[] = {
	"SLO report", "Incidents", "Failover", "Attribution of failed front-door runs",
	"Checks"
};

const struct report_view *
report_view_find(const char *name)
{
	for (const struct report_view *v = report_views; v->name; v++)
		if (name && strcmp(v->name, name) == 0)
			return v;
	return NULL;
}

void
report_note(struct report_ctx *x, const char *fmt, ...)
{
	char *s = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		abort();	/* out of memory */
	json_array_append_new(x->notes, json_string(s));
	free(s);
}

void
report_note_minutes(struct report_ctx *x, const char *what)
{
	int64_t from = rtime_floor(x->from, RTIME_HOUR_MS);
	bool pruned = false;
	char t[32], err[256];

	if (x->st == NULL || x->minute_first < 0 || x->minute_first <= x->from)
		return;
	/* hour rollups older than the oldest minute: retention removed those
	 * minutes (no older data at all is no reason for a note) */
	if (store_rollup_exists(x->st, NULL, 0, STORE_1H, from,
	    rtime_floor(x->minute_first, RTIME_HOUR_MS), &pruned, err,
	    sizeof(err)) < 0)
		return;	/* only a note: the numbers stand without it */
	if (pruned)
		report_note(x, "minute rollups start at %s (retention.minute): %s "
		    "covers only the window from then on", rtime_format(x->minute_first,
		    t, sizeof(t)), what);
}

/* Where run resolution starts, from the oldest raw result and the oldest
 * minute rollup (see report_ctx.runs_from). */
static int64_t
runs_from_of(int64_t raw_first, int64_t minute_first)
{
	int64_t f;

	if (raw_first == INT64_MAX)
		return minute_first >= 0 ? INT64_MAX : INT64_MIN;
	f = rtime_floor(raw_first, RTIME_MIN_MS);
	/* no minute older than the oldest raw result: nothing was pruned */
	if (minute_first < 0 || minute_first >= f)
		return INT64_MIN;
	/* the minute holding the oldest raw result lost some of its runs */
	return f == raw_first ? f : f + RTIME_MIN_MS;
}

int64_t
report_runs_split(const struct report_ctx *x, int64_t from)
{
	if (x->st == NULL)
		return from;
	return x->runs_from > from ? x->runs_from : from;
}

const char *
report_resolution(const struct report_ctx *x, int64_t from, int64_t to)
{
	return to > from && report_runs_split(x, from) > from ? "minute" : "run";
}

void
report_set_resolution(struct report_ctx *x, json_t *doc, int64_t from, int64_t to)
{
	int64_t split = report_runs_split(x, from);
	const struct collector_config *cc = x->o->conf;
	char t[32], kept[64];

	json_object_set_new(doc, "resolution", json_string(report_resolution(x, from,
	    to)));
	if (strcmp(report_resolution(x, from, to), "run") == 0)
		return;
	if (split < to)
		json_object_set_new(doc, "runs_from", json_integer(split));
	if (cc && cc->keep_raw_ms % RTIME_DAY_MS == 0)
		snprintf(kept, sizeof(kept), "%lld day%s",
		    (long long)(cc->keep_raw_ms / RTIME_DAY_MS),
		    cc->keep_raw_ms == RTIME_DAY_MS ? "" : "s");
	else if (cc)
		duration_format(cc->keep_raw_ms, kept, sizeof(kept));
	else
		snprintf(kept, sizeof(kept), "retention.raw, 14 days by default");
	if (split == INT64_MAX)
		snprintf(x->resolution_line, sizeof(x->resolution_line),
		    "(minute resolution: no raw results left; raw results are kept %s)",
		    kept);
	else
		snprintf(x->resolution_line, sizeof(x->resolution_line),
		    "(minute resolution before %s: raw results are kept %s)",
		    rtime_short(split, t, sizeof(t)), kept);
}

/* ---- formatting helpers ---- */

char *
report_fmt_pct(const json_t *ratio, int decimals, char *out, size_t outlen)
{
	if (!json_is_number(ratio))
		snprintf(out, outlen, "-");
	else
		snprintf(out, outlen, "%.*f%%", decimals, json_number_value(ratio) * 100.0);
	return out;
}

char *
report_fmt_ms(const json_t *ms, char *out, size_t outlen)
{
	if (!json_is_number(ms))
		snprintf(out, outlen, "-");
	else
		snprintf(out, outlen, "%.1fms", json_number_value(ms));
	return out;
}

char *
report_fmt_time(const json_t *ms, char *out, size_t outlen)
{
	if (!json_is_integer(ms))
		snprintf(out, outlen, "-");
	else
		rtime_short(json_integer_value(ms), out, outlen);
	return out;
}

char *
report_fmt_utc(const json_t *ms, char *out, size_t outlen)
{
	if (!json_is_integer(ms))
		out[0] = '\0';
	else
		rtime_format(json_integer_value(ms), out, outlen);
	return out;
}

char *
report_fmt_num(const json_t *v, char *out, size_t outlen)
{
	if (json_is_integer(v))
		snprintf(out, outlen, "%lld", (long long)json_integer_value(v));
	else if (json_is_real(v))
		snprintf(out, outlen, "%.10g", json_real_value(v));
	else
		out[0] = '\0';
	return out;
}

char *
report_fmt_dur(const json_t *ms, char *out, size_t outlen)
{
	if (!json_is_integer(ms))
		snprintf(out, outlen, "-");
	else
		rtime_duration(json_integer_value(ms), out, outlen);
	return out;
}

char *
report_fmt_join(const json_t *arr, const char *sep, char *out, size_t outlen)
{
	size_t i, off = 0;
	json_t *v;

	out[0] = '\0';
	json_array_foreach(arr, i, v) {
		int n = snprintf(out + off, outlen - off, "%s%s", i ? sep : "",
		    json_is_string(v) ? json_string_value(v) : "?");
		if (n < 0 || (size_t)n >= outlen - off)
			break;	/* cut at the cap */
		off += (size_t)n;
	}
	return out;
}

/* ---- the collector API (--url) ---- */

struct fetch {
	struct buf	body;
};

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	struct fetch *f = arg;

	if (buf_append(&f->body, p, size * n) < 0)
		return 0;	/* over the cap: curl fails the transfer */
	return size * n;
}

int
report_api_get(const struct report_opts *o, const char *path, json_t **out,
    long *status, char *err, size_t errlen)
{
	struct curl_slist *hdr = NULL;
	struct fetch f;
	char url[2048], cerr[CURL_ERROR_SIZE] = "", *auth = NULL, *token = NULL;
	size_t blen = strlen(o->url);
	json_error_t jerr;
	CURLcode rc;
	CURL *h;
	int ret = REPORT_FAIL;

	*out = NULL;
	*status = 0;
	while (blen > 0 && o->url[blen - 1] == '/')
		blen--;
	snprintf(url, sizeof(url), "%.*s%s", (int)blen, o->url, path);
	if (o->token && secret_resolve(o->token, &token, err, errlen) < 0)
		return REPORT_USAGE;
	if ((h = curl_easy_init()) == NULL) {
		free(token);
		snprintf(err, errlen, "curl_easy_init failed");
		return REPORT_FAIL;
	}
	buf_init(&f.body, API_BODY_MAX);
	if (token) {
		auth = xasprintf("Authorization: Bearer %s", token);
		hdr = curl_slist_append(hdr, auth);
	}
	hdr = curl_slist_append(hdr, "Accept: application/json");
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &f);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, cerr);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, API_TIMEOUT_MS);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_USERAGENT, "vantage-report/" PACKAGE_VERSION);
	rc = curl_easy_perform(h);
	if (rc != CURLE_OK) {
		snprintf(err, errlen, "%s: %s", url, f.body.truncated ?
		    "answer too large" : cerr[0] ? cerr : curl_easy_strerror(rc));
		goto out;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
	if (*status != 200) {
		json_t *e = json_loads(f.body.data ? f.body.data : "", 0, NULL);
		const char *msg = json_string_value(json_object_get(e, "error"));

		snprintf(err, errlen, "%s: HTTP %ld%s%s%s", url, *status,
		    msg ? " (" : "", msg ? msg : "", msg ? ")" : "");
		json_decref(e);
		/* a refused token or an unknown name is the caller's to fix */
		ret = *status == 401 || *status == 403 || *status == 404 ?
		    REPORT_USAGE : REPORT_FAIL;
		goto out;
	}
	if ((*out = json_loads(f.body.data ? f.body.data : "", 0, &jerr)) == NULL) {
		snprintf(err, errlen, "%s: not JSON: %s", url, jerr.text);
		goto out;
	}
	ret = REPORT_OK;
out:
	curl_slist_free_all(hdr);
	curl_easy_cleanup(h);
	buf_free(&f.body);
	free(auth);
	free(token);
	return ret;
}

/* ---- running a report ---- */

static json_t *
window_json(const struct report_ctx *x)
{
	char a[32], b[32];

	return json_pack("{s:I,s:I,s:s,s:s,s:s?,s:b}",
	    "from", (json_int_t)x->from, "to", (json_int_t)x->to,
	    "from_utc", rtime_format(x->from, a, sizeof(a)),
	    "to_utc", rtime_format(x->to, b, sizeof(b)),
	    "label", x->o->window_set ? (x->o->window_label[0] ? x->o->window_label :
		NULL) : "30d",
	    "default", !x->o->window_set);
}

void
report_set_window(json_t *doc, int64_t from, int64_t to)
{
	json_t *w = json_object_get(doc, "window");
	char a[32];

	json_object_set_new(w, "from", json_integer(from));
	json_object_set_new(w, "to", json_integer(to));
	json_object_set_new(w, "from_utc", json_string(rtime_format(from, a, sizeof(a))));
	json_object_set_new(w, "to_utc", json_string(rtime_format(to, a, sizeof(a))));
}

/* "2026-10-02 02:00 .. 2026-11-01 02:00 UTC (30d)" */
static void
window_line(const json_t *doc, struct buf *out)
{
	json_t *w = json_object_get(doc, "window");
	const char *label = json_string_value(json_object_get(w, "label"));
	char a[32], b[32];

	if (json_is_true(json_object_get(w, "default")) &&
	    strcmp(json_string_value(json_object_get(doc, "view")), "slo") == 0) {
		json_t *lbl = json_object_get(doc, "slo_window");

		if (json_is_string(lbl))
			buf_printf(out, "%s .. %s UTC (%s, the SLOs' window)",
			    report_fmt_time(json_object_get(w, "from"), a, sizeof(a)),
			    report_fmt_time(json_object_get(w, "to"), b, sizeof(b)),
			    json_string_value(lbl));
		else
			buf_printf(out, "each SLO's own window, ending %s UTC",
			    report_fmt_time(json_object_get(w, "to"), b, sizeof(b)));
		return;
	}
	buf_printf(out, "%s .. %s UTC", report_fmt_time(json_object_get(w, "from"), a,
	    sizeof(a)), report_fmt_time(json_object_get(w, "to"), b, sizeof(b)));
	if (label)
		buf_printf(out, " (%s)", label);
}

static void
render_tables(const struct report_view *v, size_t vi, const json_t *doc,
    const char *resolution_line, enum table_style style, struct buf *out)
{
	json_t *notes = json_object_get(doc, "notes"), *n;
	size_t i;

	if (style == TABLE_MARKDOWN) {
		buf_printf(out, "## %s\n\n**Window:** ", view_titles[vi]);
		window_line(doc, out);
	} else {
		buf_printf(out, "%s: ", view_titles[vi]);
		window_line(doc, out);
	}
	if (resolution_line[0])
		buf_printf(out, "%s%s", style == TABLE_MARKDOWN ? "\n\n" : "\n",
		    resolution_line);
	buf_printf(out, "\n\n");
	v->render(doc, style, out);
	if (json_array_size(notes) > 0) {
		buf_printf(out, style == TABLE_MARKDOWN ? "\nNotes:\n\n" : "\nNotes:\n");
		json_array_foreach(notes, i, n)
			buf_printf(out, style == TABLE_MARKDOWN ? "- %s\n" : "  - %s\n",
			    json_string_value(n));
	}
}

int
report_run(const struct report_opts *o, struct buf *out, char *err, size_t errlen)
{
	const struct report_view *v = report_view_find(o->view);
	struct report_ctx x;
	json_t *doc = NULL;
	int64_t raw_first;
	char t[32];
	int rc = REPORT_USAGE;

	memset(&x, 0, sizeof(x));
	x.o = o;
	x.minute_first = -1;
	x.runs_from = INT64_MIN;
	if (v == NULL) {
		snprintf(err, errlen, "unknown view \"%s\" (slo, incidents, failover, "
		    "attribution or checks)", o->view ? o->view : "");
		return REPORT_USAGE;
	}
	if (o->url && v->db_only) {
		snprintf(err, errlen, "the %s view reads the collector DB: pass --db FILE "
		    "(--url serves only slo and incidents)", v->name);
		return REPORT_USAGE;
	}
	x.to = o->window_set ? o->to_ms : o->now_ms;
	x.from = o->window_set ? o->from_ms : o->now_ms - REPORT_DEFAULT_WINDOW_MS;
	if (x.from >= x.to) {
		snprintf(err, errlen, "the window is empty: %s is not before the end",
		    rtime_format(x.from, t, sizeof(t)));
		return REPORT_USAGE;
	}
	if (o->db) {
		if ((x.st = store_open_readonly(o->db, err, errlen)) == NULL) {
			enum store_layout l = store_file_layout(o->db);

			/* a DB the collector has to convert (or a newer one) is no
			 * usage error: running the right collector on it fixes it */
			return l == STORE_LAYOUT_OLDER || l == STORE_LAYOUT_NEWER ?
			    REPORT_FAIL : REPORT_USAGE;
		}
		if (minutes_first_bucket(x.st, &x.minute_first, err, errlen) < 0 ||
		    store_runs_first(x.st, &raw_first, err, errlen) < 0) {
			rc = REPORT_FAIL;
			goto out;
		}
		x.runs_from = runs_from_of(raw_first, x.minute_first);
	} else
		curl_global_init(CURL_GLOBAL_DEFAULT);
	x.notes = json_array();
	doc = json_pack("{s:i,s:s,s:s,s:I,s:o,s:b}", "schema_version",
	    REPORT_SCHEMA_VERSION, "view", v->name, "source", o->db ? "db" : "api",
	    "generated_at", (json_int_t)o->now_ms, "window", window_json(&x),
	    "no_data", 0);
	json_object_set(doc, "notes", x.notes);
	if ((rc = v->build(&x, doc, err, errlen)) != REPORT_OK)
		goto out;
	switch (o->format) {
	case RFMT_JSON: {
		char *s = json_dumps(doc, JSON_INDENT(2) | JSON_REAL_PRECISION(10));

		buf_printf(out, "%s\n", s);
		free(s);
		break;
	}
	case RFMT_CSV: {
		struct table *tb = v->csv(doc);

		table_render(tb, TABLE_CSV, out);
		table_free(tb);
		break;
	}
	case RFMT_TEXT:
	case RFMT_MARKDOWN:
		render_tables(v, (size_t)(v - report_views), doc, x.resolution_line,
		    o->format == RFMT_TEXT ? TABLE_TEXT : TABLE_MARKDOWN, out);
		break;
	}
	if (out->truncated) {
		snprintf(err, errlen, "the report is larger than %u bytes", REPORT_OUT_MAX);
		rc = REPORT_FAIL;
	}
out:
	json_decref(doc);
	json_decref(x.notes);
	if (x.st)
		store_close(x.st);
	else if (o->url)
		curl_global_cleanup();
	return rc;
}
