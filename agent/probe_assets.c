/* probe_assets: the assets kind (deployed-asset consistency). A small state
 * machine of sub-transfers on the scheduler's multi handle:
 *   1. index.html from every target at once;
 *   2. the hashed assets the reference index references (the first target
 *      whose index came back; normally the front door), each from every
 *      target, ASSETS_PARALLEL at a time, hashed with SHA-256 as they
 *      stream (nothing but index.html is kept in memory);
 *   3. judge: index versions, missing and different assets, cache policy.
 * Every problem goes into the record's "details" (per target), and the
 * error message names target, asset and what is wrong. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "assets.h"
#include "buf.h"
#include "probe.h"
#include "timeutil.h"
#include "xmalloc.h"

#define ASSETS_PARALLEL		8			/* transfers at once */
#define ASSETS_INDEX_MAX	(2u * 1024 * 1024)	/* index.html kept */
#define ASSETS_BODY_MAX		(16LL * 1024 * 1024)	/* hashed per asset */

struct sub {
	CURL		*easy;		/* while running */
	size_t		 target;
	int		 asset;		/* -1: index.html */
	bool		 started, done;
	bool		 skipped;	/* its target's index did not come back */
	CURLcode	 code;
	enum errclass	 cls;		/* of a failed transfer */
	long		 status;
	char		 errbuf[CURL_ERROR_SIZE];	/* then its message */
	char		*cache_control;	/* of the last response; NULL none */
	struct buf	 hdr;		/* Cache-Control values seen */
	EVP_MD_CTX	*md;
	char		 sha256[65];	/* hex; "" until done */
	int64_t		 bytes;
	bool		 truncated;
	struct buf	 body;		/* index.html only */
	struct result	 ph;		/* phases (index of the reference) */
	char		 ip[48];
};

struct assets_state {
	struct sub		*subs;
	size_t			 nsubs, asubs, next, running;
	bool			 assets_phase;
	size_t			 ref;		/* the reference target */
	char			*refs[ASSETS_MAX_REFS];	/* of the reference index */
	size_t			 nrefs, more;
	char			**trefs[CHECK_ASSETS_MAX_TARGETS];	/* per target */
	size_t			 ntrefs[CHECK_ASSETS_MAX_TARGETS];
	struct curl_slist	*hdrs;		/* the correlation header */
	int64_t			 deadline_us;
};

static size_t
on_header(char *data, size_t size, size_t n, void *arg)
{
	struct sub *sb = arg;
	size_t len = size * n;

	if (len >= 5 && memcmp(data, "HTTP/", 5) == 0) {
		buf_reset(&sb->hdr);	/* a new response (after a redirect) */
		sb->hdr.truncated = false;
	} else if (len > 14 && strncasecmp(data, "cache-control:", 14) == 0) {
		const char *v = data + 14;
		size_t vl = len - 14;

		while (vl > 0 && (*v == ' ' || *v == '\t')) {
			v++;
			vl--;
		}
		while (vl > 0 && (v[vl - 1] == '\r' || v[vl - 1] == '\n' ||
		    v[vl - 1] == ' '))
			vl--;
		if (sb->hdr.len > 0)
			buf_append(&sb->hdr, ", ", 2);	/* repeated headers join */
		buf_append(&sb->hdr, v, vl);
		if (sb->hdr.data == NULL)
			buf_append(&sb->hdr, "", 0);
	}
	return len;
}

static size_t
on_body(char *data, size_t size, size_t n, void *arg)
{
	struct sub *sb = arg;
	size_t len = size * n;

	if (sb->bytes + (int64_t)len > ASSETS_BODY_MAX) {
		len = (size_t)(ASSETS_BODY_MAX - sb->bytes);
		sb->truncated = true;
	}
	EVP_DigestUpdate(sb->md, data, len);
	if (sb->asset < 0)
		buf_append(&sb->body, data, len);
	sb->bytes += (int64_t)len;
	return sb->truncated ? 0 : size * n;
}

/* The URL of path on target t (its scheme, host and port). */
static char *
target_url(const struct check_config *cc, size_t t, const char *path)
{
	CURLU *u = curl_url();
	char *s = NULL, *out;

	if (u == NULL)
		return NULL;
	if (curl_url_set(u, CURLUPART_URL, cc->assets.targets[t].url, 0) != CURLUE_OK ||
	    (path && curl_url_set(u, CURLUPART_URL, path, 0) != CURLUE_OK) ||
	    curl_url_get(u, CURLUPART_URL, &s, 0) != CURLUE_OK) {
		curl_url_cleanup(u);
		return NULL;
	}
	out = xstrdup(s);
	curl_free(s);
	curl_url_cleanup(u);
	return out;
}

static struct sub *
sub_add(struct assets_state *st, size_t target, int asset)
{
	struct sub *sb;

	if (st->nsubs == st->asubs) {
		st->asubs = st->asubs ? st->asubs * 2 : 16;
		st->subs = xreallocarray(st->subs, st->asubs, sizeof(*st->subs));
	}
	sb = &st->subs[st->nsubs++];
	memset(sb, 0, sizeof(*sb));
	sb->target = target;
	sb->asset = asset;
	buf_init(&sb->hdr, 4096);
	buf_init(&sb->body, asset < 0 ? ASSETS_INDEX_MAX : 0);
	return sb;
}

/* A sub that could not run: done with code. */
static void
sub_fail(struct sub *sb, CURLcode code, const char *msg)
{
	sb->done = true;
	sb->code = code;
	sb->cls = probe_errclass(code);
	snprintf(sb->errbuf, sizeof(sb->errbuf), "%s", msg);
}

#define SETOPT(opt, val) do {						\
	if (curl_easy_setopt(e, opt, val) != CURLE_OK)			\
		goto fail;						\
} while (0)

/* Start sub i on its own easy handle. */
static void
sub_start(struct probe_run *run, struct sub *sb)
{
	struct assets_state *st = run->priv;
	const struct check_config *cc = run->conf;
	int64_t left = (st->deadline_us - time_mono_us()) / 1000;
	char *url;
	CURL *e;

	sb->started = true;
	if (left <= 0) {
		sub_fail(sb, CURLE_OPERATION_TIMEDOUT, "not started: the check's "
		    "timeout passed");
		return;
	}
	url = target_url(cc, sb->target, sb->asset < 0 ? NULL : st->refs[sb->asset]);
	if (url == NULL || (e = run->host->easy_get(run->host->ctx)) == NULL) {
		free(url);
		sub_fail(sb, CURLE_OUT_OF_MEMORY, "cannot set up the request");
		return;
	}
	if ((sb->md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(sb->md, EVP_sha256(), NULL) != 1)
		goto fail;
	SETOPT(CURLOPT_URL, url);
	SETOPT(CURLOPT_PRIVATE, run);
	SETOPT(CURLOPT_ERRORBUFFER, sb->errbuf);
	SETOPT(CURLOPT_NOSIGNAL, 1L);
	SETOPT(CURLOPT_TIMEOUT_MS, (long)left);
	SETOPT(CURLOPT_CONNECTTIMEOUT_MS, (long)left);
	SETOPT(CURLOPT_PROTOCOLS_STR, "http,https");
	SETOPT(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	SETOPT(CURLOPT_FOLLOWLOCATION, 1L);
	SETOPT(CURLOPT_MAXREDIRS, 5L);
	SETOPT(CURLOPT_USERAGENT, "vantage-agent/" PACKAGE_VERSION);
	SETOPT(CURLOPT_WRITEFUNCTION, on_body);
	SETOPT(CURLOPT_WRITEDATA, sb);
	SETOPT(CURLOPT_HEADERFUNCTION, on_header);
	SETOPT(CURLOPT_HEADERDATA, sb);
	/* the index fetches measure something: fresh; the assets may share */
	SETOPT(CURLOPT_FRESH_CONNECT, sb->asset < 0 ? 1L : 0L);
	SETOPT(CURLOPT_SSL_VERIFYPEER, cc->insecure ? 0L : 1L);
	SETOPT(CURLOPT_SSL_VERIFYHOST, cc->insecure ? 0L : 2L);
	SETOPT(CURLOPT_IPRESOLVE, cc->ip == CHECK_IP_V4 ? CURL_IPRESOLVE_V4 :
	    cc->ip == CHECK_IP_V6 ? CURL_IPRESOLVE_V6 : CURL_IPRESOLVE_WHATEVER);
	if (st->hdrs)
		SETOPT(CURLOPT_HTTPHEADER, st->hdrs);
	free(url);
	if (run->host->easy_add(run->host->ctx, run, e) < 0) {
		sub_fail(sb, CURLE_FAILED_INIT, "cannot add the transfer to the loop");
		return;
	}
	sb->easy = e;
	st->running++;
	return;
fail:
	free(url);
	curl_easy_cleanup(e);
	sub_fail(sb, CURLE_FAILED_INIT, "cannot set up the request");
}

/* Start queued subs while there is room. */
static void
pump(struct probe_run *run)
{
	struct assets_state *st = run->priv;

	while (st->next < st->nsubs && st->running < ASSETS_PARALLEL) {
		struct sub *sb = &st->subs[st->next++];

		if (!sb->done)
			sub_start(run, sb);
	}
}

int
probe_assets_start(struct probe_run *run, char *err, size_t errlen)
{
	const struct check_config *cc = run->conf;
	struct assets_state *st = xcalloc(1, sizeof(*st));

	run->priv = st;
	st->deadline_us = run->attempt_start_us + cc->timeout_ms * 1000;
	if (probe_add_correlation(run, &st->hdrs) < 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t t = 0; t < cc->assets.ntargets; t++)
		sub_add(st, t, -1);
	pump(run);
	run->io_deadline_us = st->deadline_us;	/* a bound on the whole run */
	return 0;
}

/* Collect what a finished transfer says. */
static void
sub_finish(struct sub *sb, CURL *e, CURLcode code)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	char *ip = NULL;

	sb->done = true;
	sb->easy = NULL;
	sb->code = code == CURLE_WRITE_ERROR && sb->truncated ? CURLE_OK : code;
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &sb->status);
	if (sb->code != CURLE_OK) {
		char msg[CURL_ERROR_SIZE];
		long sent = 0;

		curl_easy_getinfo(e, CURLINFO_REQUEST_SIZE, &sent);
		sb->cls = probe_errclass_refine(sb->code, sb->status, sent > 0,
		    sb->errbuf, msg, sizeof(msg));
		snprintf(sb->errbuf, sizeof(sb->errbuf), "%s", msg);
	}
	if (curl_easy_getinfo(e, CURLINFO_PRIMARY_IP, &ip) == CURLE_OK && ip)
		snprintf(sb->ip, sizeof(sb->ip), "%s", ip);
	probe_fill_phases(&sb->ph, e);
	if (sb->hdr.data != NULL)
		sb->cache_control = xstrdup(sb->hdr.data);
	if (sb->md && EVP_DigestFinal_ex(sb->md, md, &mdlen) == 1)
		for (unsigned i = 0; i < mdlen && i < 32; i++)
			snprintf(sb->sha256 + 2 * i, 3, "%02x", md[i]);
}

static bool
sub_ok(const struct sub *sb)
{
	return sb->done && sb->code == CURLE_OK && sb->status >= 200 && sb->status < 300;
}

/* All indexes are in: pick the reference, read every index's assets and
 * queue the reference's assets from every target. */
static void
start_assets(struct probe_run *run)
{
	struct assets_state *st = run->priv;
	const struct check_config *cc = run->conf;
	size_t nt = cc->assets.ntargets;

	st->assets_phase = true;
	st->ref = SIZE_MAX;
	for (size_t t = 0; t < nt; t++) {
		struct sub *sb = &st->subs[t];
		size_t more = 0;

		if (!sub_ok(sb) || sb->body.data == NULL)
			continue;
		st->trefs[t] = xcalloc(ASSETS_MAX_REFS, sizeof(char *));
		st->ntrefs[t] = assets_extract(sb->body.data, sb->body.len,
		    cc->assets.targets[t].url, st->trefs[t], ASSETS_MAX_REFS, &more);
		if (st->ref == SIZE_MAX) {
			st->ref = t;
			st->more = more;
		}
	}
	if (st->ref == SIZE_MAX)
		return;		/* no index anywhere: nothing to compare */
	for (size_t i = 0; i < st->ntrefs[st->ref]; i++)
		st->refs[st->nrefs++] = xstrdup(st->trefs[st->ref][i]);
	/* (subs may move here: none is running between the two phases) */
	for (size_t a = 0; a < st->nrefs; a++)
		for (size_t t = 0; t < nt; t++) {
			struct sub *sb = sub_add(st, t, (int)a);

			/* a target that did not answer at all is reported once, for
			 * its index, not once more for every asset */
			if (st->subs[t].code != CURLE_OK)
				sb->done = sb->skipped = true;
		}
	pump(run);
}

/* ---- judging ---- */

struct verdict {
	json_t		*targets;	/* details: one object per target */
	struct buf	 msg;		/* the error message */
	size_t		 nproblems, shown;
	enum errclass	 cls;		/* first non-consistency class, or
					 * consistency */
};

static const char *
short_path(const char *p)
{
	const char *s = strrchr(p, '/');

	return s && s[1] ? s + 1 : p;
}

/* Record a problem of target t; cls is its class. */
static void
problem(struct verdict *v, const struct check_config *cc, size_t t,
    enum errclass cls, json_t *detail, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

static void
problem(struct verdict *v, const struct check_config *cc, size_t t,
    enum errclass cls, json_t *detail, const char *fmt, ...)
{
	json_t *tobj = json_array_get(v->targets, t);
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	json_object_set_new(detail, "message", json_string(line));
	json_array_append_new(json_object_get(tobj, "problems"), detail);
	if (v->nproblems == 0 || (v->cls == ERRCLASS_CONSISTENCY &&
	    cls != ERRCLASS_CONSISTENCY))
		v->cls = cls;
	v->nproblems++;
	/* the message: as many problems as fit in a result's error field */
	if (v->msg.len + strlen(cc->assets.targets[t].name) + strlen(line) + 4 < 200) {
		buf_printf(&v->msg, "%s%s: %s", v->msg.len ? "; " : "",
		    cc->assets.targets[t].name, line);
		v->shown++;
	}
}

static enum errclass
transfer_class(const struct sub *sb)
{
	if (sb->code != CURLE_OK)
		return sb->cls;
	return ERRCLASS_HTTP_STATUS;
}

static void
transfer_error(const struct sub *sb, char *out, size_t len)
{
	if (sb->code != CURLE_OK)
		snprintf(out, len, "%s", sb->errbuf);
	else
		snprintf(out, len, "HTTP status %ld", sb->status);
}

/* Is ref in the list? */
static bool
has_ref(char **list, size_t n, const char *ref)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i], ref) == 0)
			return true;
	return false;
}

/* Append the file name of path to a ", "-separated list. */
static void
list_add(char *list, size_t len, const char *path)
{
	size_t off = strlen(list);

	snprintf(list + off, len - off, "%s%s", off ? ", " : "", short_path(path));
}

/* The index of target t against the reference: same hashed assets? */
static void
judge_index(struct verdict *v, struct probe_run *run, size_t t)
{
	struct assets_state *st = run->priv;
	const struct check_config *cc = run->conf;
	const struct sub *sb = &st->subs[t];
	const char *refname;
	char why[300], only_here[200] = "", only_ref[200] = "";
	size_t a = 0, b = 0;
	json_t *detail;

	if (!sub_ok(sb)) {
		transfer_error(sb, why, sizeof(why));
		problem(v, cc, t, transfer_class(sb), json_pack("{s:s,s:s}", "problem",
		    "index_unavailable", "asset", "index.html"), "index.html: %s", why);
		return;
	}
	if (assets_judge_index(sb->cache_control, cc->assets.index_max_age_ms, why,
	    sizeof(why)) < 0)
		problem(v, cc, t, ERRCLASS_CONSISTENCY, json_pack("{s:s,s:s,s:o}",
		    "problem", "cache_policy", "asset", "index.html", "cache_control",
		    sb->cache_control ? json_string(sb->cache_control) : json_null()),
		    "index.html %s", why);
	if (t == st->ref || st->ref == SIZE_MAX)
		return;
	refname = cc->assets.targets[st->ref].name;
	for (size_t i = 0; i < st->ntrefs[t]; i++)
		if (!has_ref(st->refs, st->nrefs, st->trefs[t][i]) && a++ < 3)
			list_add(only_here, sizeof(only_here), st->trefs[t][i]);
	for (size_t i = 0; i < st->nrefs; i++)
		if (!has_ref(st->trefs[t], st->ntrefs[t], st->refs[i]) && b++ < 3)
			list_add(only_ref, sizeof(only_ref), st->refs[i]);
	if (a == 0 && b == 0)
		return;		/* other bytes, same assets: same version */
	detail = json_pack("{s:s,s:s,s:s,s:s}", "problem", "index_version", "asset",
	    "index.html", "index_sha256", st->subs[t].sha256, "reference_sha256",
	    st->subs[st->ref].sha256);
	if (a > 0 && b > 0)
		problem(v, cc, t, ERRCLASS_CONSISTENCY, detail, "serves another "
		    "index.html (sha256 %.12s) referencing %s instead of %s (as on %s)",
		    st->subs[t].sha256, only_here, only_ref, refname);
	else if (a > 0)
		problem(v, cc, t, ERRCLASS_CONSISTENCY, detail, "serves another "
		    "index.html (sha256 %.12s) also referencing %s (not on %s)",
		    st->subs[t].sha256, only_here, refname);
	else
		problem(v, cc, t, ERRCLASS_CONSISTENCY, detail, "serves another "
		    "index.html (sha256 %.12s) without %s (as on %s)",
		    st->subs[t].sha256, only_ref, refname);
}

/* Asset a on every target. */
static void
judge_asset(struct verdict *v, struct probe_run *run, size_t a)
{
	struct assets_state *st = run->priv;
	const struct check_config *cc = run->conf;
	size_t nt = cc->assets.ntargets, first = SIZE_MAX;
	const struct sub *row = &st->subs[nt + a * nt];
	const char *path = st->refs[a], *want = NULL;
	char why[300];

	/* the digest to match: the reference target's, else the first seen */
	if (sub_ok(&row[st->ref]))
		first = st->ref;
	for (size_t t = 0; t < nt && first == SIZE_MAX; t++)
		if (sub_ok(&row[t]))
			first = t;
	if (first != SIZE_MAX)
		want = row[first].sha256;
	for (size_t t = 0; t < nt; t++) {
		const struct sub *sb = &row[t];

		if (sb->skipped)
			continue;
		if (sb->done && sb->code == CURLE_OK && !sub_ok(sb)) {
			problem(v, cc, t, ERRCLASS_CONSISTENCY, json_pack("{s:s,s:s,s:I}",
			    "problem", "missing", "asset", path, "status",
			    (json_int_t)sb->status), "%s missing (HTTP %ld)", path,
			    sb->status);
			continue;
		}
		if (!sub_ok(sb)) {
			transfer_error(sb, why, sizeof(why));
			problem(v, cc, t, transfer_class(sb), json_pack("{s:s,s:s}",
			    "problem", "unavailable", "asset", path), "%s: %s", path, why);
			continue;
		}
		if (want != NULL && strcmp(sb->sha256, want) != 0)
			problem(v, cc, t, ERRCLASS_CONSISTENCY, json_pack("{s:s,s:s,s:s,s:s,s:s}",
			    "problem", "different", "asset", path, "sha256", sb->sha256,
			    "reference_sha256", want, "reference", cc->assets.targets[first].name),
			    "%s differs (sha256 %.12s, %s has %.12s)", path, sb->sha256,
			    cc->assets.targets[first].name, want);
		if (assets_judge_asset(sb->cache_control, cc->assets.asset_min_age_ms,
		    cc->assets.immutable, why, sizeof(why)) < 0)
			problem(v, cc, t, ERRCLASS_CONSISTENCY, json_pack("{s:s,s:s,s:o}",
			    "problem", "cache_policy", "asset", path, "cache_control",
			    sb->cache_control ? json_string(sb->cache_control) : json_null()),
			    "%s %s", path, why);
	}
}

static void
judge(struct probe_run *run)
{
	struct assets_state *st = run->priv;
	const struct check_config *cc = run->conf;
	struct result *r = &run->res;
	size_t nt = cc->assets.ntargets;
	struct verdict v = { json_array(), { 0 }, 0, 0, ERRCLASS_NONE };
	json_t *refs = json_array();
	int64_t bytes = 0;

	buf_init(&v.msg, 1024);
	for (size_t t = 0; t < nt; t++) {
		const struct assets_target *at = &cc->assets.targets[t];
		const struct sub *sb = &st->subs[t];
		json_t *list = json_array();

		for (size_t i = 0; i < st->ntrefs[t]; i++)
			json_array_append_new(list, json_string(st->trefs[t][i]));
		json_array_append_new(v.targets, json_pack("{s:s,s:s,s:s?,s:s?,s:o,s:o,"
		    "s:o,s:o,s:o}", "target", at->name, "url", at->url, "layer", at->layer,
		    "provider", at->provider,
		    "index_status", sb->status ? json_integer(sb->status) : json_null(),
		    "index_sha256", sb->sha256[0] ? json_string(sb->sha256) : json_null(),
		    "index_cache_control", sb->cache_control ?
			json_string(sb->cache_control) : json_null(),
		    "assets", list, "problems", json_array()));
	}
	for (size_t i = 0; i < st->nsubs; i++)
		bytes += st->subs[i].bytes;
	for (size_t i = 0; i < st->nrefs; i++)
		json_array_append_new(refs, json_string(st->refs[i]));
	if (st->ref != SIZE_MAX) {
		const struct sub *rs = &st->subs[st->ref];

		r->dns_us = rs->ph.dns_us;
		r->connect_us = rs->ph.connect_us;
		r->tls_us = rs->ph.tls_us;
		r->processing_us = rs->ph.processing_us;
		r->transfer_us = rs->ph.transfer_us;
		r->status = rs->status;
		snprintf(r->ip, sizeof(r->ip), "%s", rs->ip);
	}
	r->bytes = bytes;
	r->total_us = time_mono_us() - run->attempt_start_us;
	r->ok = true;
	r->error_class = ERRCLASS_NONE;
	for (size_t t = 0; t < nt; t++)
		judge_index(&v, run, t);
	for (size_t a = 0; a < st->nrefs; a++)
		judge_asset(&v, run, a);
	result_set_extra(r, "assets", refs);
	result_set_extra(r, "assets_skipped", json_integer((json_int_t)st->more));
	result_set_extra(r, "details", v.targets);
	if (run->probe_header != NULL && *run->probe_header != '\0')
		result_set_extra(r, "probe_id", json_string(run->probe_id));
	if (v.nproblems > 0)
		result_fail(r, v.cls, "%s%s", v.msg.data ? v.msg.data : "",
		    v.nproblems > v.shown ? " (and more: see details)" : "");
	else if (st->ref != SIZE_MAX && st->nrefs == 0)
		result_fail(r, ERRCLASS_CONSISTENCY, "%s: index.html references no "
		    "content-hashed assets to compare", cc->assets.targets[st->ref].name);
	buf_free(&v.msg);
}

bool
probe_assets_step(struct probe_run *run, enum probe_event ev, CURL *e, CURLcode code)
{
	struct assets_state *st = run->priv;

	if (ev == PROBE_EV_EASY) {
		for (size_t i = 0; i < st->nsubs; i++)
			if (st->subs[i].easy == e) {
				sub_finish(&st->subs[i], e, code);
				st->running--;
				break;
			}
		pump(run);
		if (st->running > 0 || st->next < st->nsubs)
			return false;
		if (!st->assets_phase) {
			start_assets(run);
			if (st->running > 0 || st->next < st->nsubs)
				return false;
		}
		judge(run);
		return true;
	}
	/* the whole run's timeout: what has not finished timed out */
	for (size_t i = 0; i < st->nsubs; i++)
		if (!st->subs[i].done)
			sub_fail(&st->subs[i], CURLE_OPERATION_TIMEDOUT, "the check's "
			    "timeout passed");
	judge(run);
	return true;
}

void
probe_assets_cleanup(struct probe_run *run)
{
	struct assets_state *st = run->priv;

	if (st == NULL)
		return;
	for (size_t i = 0; i < st->nsubs; i++) {
		EVP_MD_CTX_free(st->subs[i].md);
		free(st->subs[i].cache_control);
		buf_free(&st->subs[i].hdr);
		buf_free(&st->subs[i].body);
	}
	free(st->subs);
	for (size_t i = 0; i < st->nrefs; i++)
		free(st->refs[i]);
	for (size_t t = 0; t < CHECK_ASSETS_MAX_TARGETS; t++) {
		for (size_t i = 0; i < st->ntrefs[t]; i++)
			free(st->trefs[t][i]);
		free(st->trefs[t]);
	}
	curl_slist_free_all(st->hdrs);
	free(st);
	run->priv = NULL;
}
