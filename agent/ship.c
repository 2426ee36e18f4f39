/* ship: batches from the outbox to the collector, and the check pull. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "conf.h"
#include "log.h"
#include "sched.h"
#include "ship.h"
#include "sign.h"
#include "timeutil.h"
#include "xmalloc.h"

#define SHIP_EVERY_US	1000000LL	/* new rows ship about this often */
#define ACK_CAP		(8u * 1024 * 1024)	/* the answer to a batch */
#define PULL_CAP	(8u * 1024 * 1024)	/* a pulled check set */
#define ETAG_MAX	256
#define LOG_EVERY_MS	60000	/* repeated failures are logged this often */
#define MERGE_LOG_MAX	20	/* errors of a refused check set logged */
#define INGEST_PATH	"/api/v1/ingest"
#define CHECKS_PATH	"/api/v1/agent/checks"

const char *const ship_error_names[SHIP_ERR_COUNT] = {
	"connect", "timeout", "http_5xx", "unauthorized", "too_large",
	"bad_request", "other"
};

/* One HTTP exchange with the collector, on an easy handle of its own. */
struct xfer {
	CURL			*easy;
	bool			 busy;		/* added to the multi */
	struct curl_slist	*headers;
	struct buf		 resp;		/* the answer's body (capped) */
	char			 errbuf[CURL_ERROR_SIZE];
	char			 etag[ETAG_MAX];	/* the answer's ETag */
};

struct ship {
	struct sched		*s;		/* borrowed; NULL until attached */
	struct outbox		*ob;		/* borrowed */
	char			*agent, *region, *provider;
	char			*url;		/* collector base URL */
	char			*key;
	size_t			 keylen;
	char			*ca_file;
	size_t			 batch_max;
	int64_t			 pull_every_ms, timeout_ms;
	char			*ingest_url, *ingest_path;
	char			*checks_url, *checks_path, *checks_source;

	struct xfer		 post, pull;
	struct ship_batch	 batch;		/* the batch in flight */
	size_t			 batch_cur;	/* halved on 413, regrows */
	unsigned		 failures, pull_failures;	/* in a row */
	enum ship_error		 last_reason;
	int64_t			 ship_due_us, pull_due_us;	/* monotonic */
	int64_t			 last_fail_log_ms, last_pull_log_ms;
	int64_t			 last_reject_log_ms, rejects_unlogged;
	uint64_t		 rng;

	char			*remote_body, *remote_etag;	/* last good set */
	bool			 remote_ok;	/* remote_body validated here */
	char			 refused[SIGN_HEX_LEN + 1];	/* hash of a bad set */
	struct agent_config	*pending;	/* built from a new set, not applied */
};

/* ---- batches ---- */

struct row {
	int64_t	 seq;
	char	*body;
	size_t	 len;
};

struct rows {
	struct row	*v;
	size_t		 n, bytes, max_bytes;
};

static int
collect_row(void *arg, int64_t seq, const char *body, size_t len)
{
	struct rows *rv = arg;

	rv->v[rv->n].seq = seq;
	rv->v[rv->n].body = xstrndup(body, len);
	rv->v[rv->n].len = len;
	rv->n++;
	rv->bytes += len + 1;
	return rv->bytes > rv->max_bytes ? 1 : 0;	/* no more can fit */
}

static void
rows_free(struct rows *rv)
{
	for (size_t i = 0; i < rv->n; i++)
		free(rv->v[i].body);
	free(rv->v);
}

/* The ts of a stored result record (its JSON body); 0 if it has none. */
static int64_t
body_ts(const char *body, size_t len)
{
	json_t *o = json_loadb(body, len, 0, NULL);
	int64_t ts = json_integer_value(json_object_get(o, "ts"));

	json_decref(o);
	return ts;
}

/* The start (Unix ms) of the oldest unshipped row a batch leaves behind,
 * 0 if none: the batch holds the ia oldest rows of old and the ib newest of
 * fresh (newest first), and left rows are not in it. -1 on a DB error. */
static int64_t
oldest_left(struct outbox *ob, const struct rows *old, size_t ia,
    const struct rows *fresh, size_t ib, int64_t left, char *err, size_t errlen)
{
	struct rows next = { 0 };
	int64_t ts = 0;

	if (left <= 0)
		return 0;
	if (ia < old->n)
		return body_ts(old->v[ia].body, old->v[ia].len);
	/* every row read from the oldest end went: the next one after them */
	next.v = xcalloc(2, sizeof(*next.v));
	next.max_bytes = SIZE_MAX;
	if (outbox_scan_unshipped(ob, false, ia ? old->v[ia - 1].seq : 0, 1,
	    collect_row, &next, err, errlen) < 0) {
		rows_free(&next);
		return -1;
	}
	if (next.n == 1 && (ib == 0 || next.v[0].seq < fresh->v[ib - 1].seq))
		ts = body_ts(next.v[0].body, next.v[0].len);
	rows_free(&next);
	return ts;
}

/* The batch's header fields, as `{...,"results":[` (caller frees). */
static char *
batch_prefix(const struct ship_ident *id, int64_t depth, int64_t oldest)
{
	json_t *o = json_pack("{s:s, s:s?, s:s?, s:s, s:I, s:I}",
	    "agent", id->agent, "region", id->region, "provider", id->provider,
	    "version", PACKAGE_VERSION, "outbox_depth", (json_int_t)depth,
	    "oldest_unshipped", (json_int_t)oldest);
	char *txt = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	char *out;

	json_decref(o);
	if (txt == NULL)
		return NULL;
	txt[strlen(txt) - 1] = '\0';	/* drop the closing brace */
	out = xasprintf("%s,\"results\":[", txt);
	free(txt);
	return out;
}

int
ship_batch_build(struct outbox *ob, const struct ship_ident *id, size_t max_rows,
    size_t max_bytes, struct ship_batch *b, char *err, size_t errlen)
{
	struct rows old = { 0 }, fresh = { 0 };
	const struct row **order = NULL;
	size_t nold_want, ia = 0, ib = 0, used, plen;
	int64_t depth = outbox_depth(ob), left, oldest;
	char *prefix = NULL;
	int rc = -1;

	memset(b, 0, sizeof(*b));
	if (max_rows == 0)
		max_rows = 1;
	/* sized with the whole backlog; the header sent (below) says what the
	 * batch leaves behind, which is never longer */
	if ((prefix = batch_prefix(id, depth, outbox_oldest_unshipped_ms(ob))) == NULL) {
		snprintf(err, errlen, "cannot encode the batch header");
		return -1;
	}
	plen = strlen(prefix);
	/* about 3/4 from the oldest end, the rest from the newest end: the
	 * backlog drains oldest first while fresh results still get through */
	nold_want = max_rows - max_rows / 4;
	old.v = xcalloc(nold_want + 1, sizeof(*old.v));
	old.max_bytes = max_bytes;
	if (outbox_scan_unshipped(ob, false, 0, nold_want, collect_row, &old,
	    err, errlen) < 0)
		goto out;
	fresh.v = xcalloc(max_rows - old.n + 1, sizeof(*fresh.v));
	fresh.max_bytes = max_bytes;
	/* fewer old rows than asked for and no byte cap hit: they are all */
	if ((old.n == nold_want || old.bytes > old.max_bytes) &&
	    outbox_scan_unshipped(ob, true,
	    old.n ? old.v[old.n - 1].seq : 0, max_rows - old.n, collect_row, &fresh,
	    err, errlen) < 0)
		goto out;

	/* interleave three old for each fresh one until either cap is hit */
	order = xcalloc(old.n + fresh.n + 1, sizeof(*order));
	used = plen + 2;	/* prefix and "]}" */
	while (b->n < max_rows && (ia < old.n || ib < fresh.n)) {
		bool take_old = ib >= fresh.n || (ia < old.n && ia < 3 * (ib + 1));
		const struct row *r = take_old ? &old.v[ia] : &fresh.v[ib];
		size_t add = r->len + (b->n > 0 ? 1 : 0);

		if (used + add > max_bytes && b->n > 0) {
			b->full = true;
			break;
		}
		used += add;
		order[b->n++] = r;
		if (take_old)
			ia++;
		else
			ib++;
	}
	if (b->n == max_rows)
		b->full = true;
	b->nold = ia;
	b->nnew = ib;

	/* the collector stores this batch: tell it what still waits after it
	 * (0 and 0 when the batch empties the outbox) */
	left = depth - (int64_t)b->n;
	if ((oldest = oldest_left(ob, &old, ia, &fresh, ib, left, err, errlen)) < 0)
		goto out;
	used -= plen;
	free(prefix);
	if ((prefix = batch_prefix(id, left > 0 ? left : 0, oldest)) == NULL) {
		snprintf(err, errlen, "cannot encode the batch header");
		goto out;
	}
	plen = strlen(prefix);
	used += plen;
	b->seqs = xcalloc(b->n + 1, sizeof(*b->seqs));
	buf_init(&b->body, used);
	buf_append(&b->body, prefix, plen);
	for (size_t i = 0; i < b->n; i++) {
		if (i > 0)
			buf_append(&b->body, ",", 1);
		buf_append(&b->body, order[i]->body, order[i]->len);
		b->seqs[i] = order[i]->seq;
	}
	buf_append(&b->body, "]}", 2);
	rc = 0;
out:
	free(order);
	rows_free(&old);
	rows_free(&fresh);
	free(prefix);
	if (rc < 0)
		ship_batch_free(b);
	return rc;
}

void
ship_batch_free(struct ship_batch *b)
{
	if (b == NULL)
		return;
	buf_free(&b->body);
	free(b->seqs);
	memset(b, 0, sizeof(*b));
}

/* ---- backoff ---- */

int64_t
ship_backoff_ms(unsigned failures, int64_t retry_after_ms, uint64_t rnd)
{
	int64_t ceiling = SHIP_BACKOFF_CAP_MS, d;

	if (failures < 1)
		failures = 1;
	if (failures - 1 < 20) {
		int64_t grown = (int64_t)SHIP_BACKOFF_BASE_MS << (failures - 1);
		if (grown < ceiling)
			ceiling = grown;
	}
	d = (int64_t)(rnd % (uint64_t)(ceiling + 1));
	if (retry_after_ms > 0) {
		if (retry_after_ms > SHIP_RETRY_AFTER_MAX_MS)
			retry_after_ms = SHIP_RETRY_AFTER_MAX_MS;
		if (d < retry_after_ms)
			d = retry_after_ms;
	}
	return d;
}

/* splitmix64: the jitter needs spread, not secrecy */
static uint64_t
next_rand(struct ship *sh)
{
	uint64_t z = (sh->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* ---- answers ---- */

int
ship_parse_ack(const char *body, size_t len, struct ship_ack *ack, char *err,
    size_t errlen)
{
	json_error_t je;
	json_t *root, *v, *x;
	size_t i;

	memset(ack, 0, sizeof(*ack));
	if ((root = json_loadb(body ? body : "", body ? len : 0, 0, &je)) == NULL) {
		snprintf(err, errlen, "not JSON (line %d, column %d: %s)", je.line,
		    je.column, je.text);
		return -1;
	}
	if (!json_is_object(root)) {
		snprintf(err, errlen, "not a JSON object");
		goto fail;
	}
	if (!json_is_array(v = json_object_get(root, "acked"))) {
		snprintf(err, errlen, "acked: missing or not a list");
		goto fail;
	}
	ack->acked = xcalloc(json_array_size(v) + 1, sizeof(*ack->acked));
	json_array_foreach(v, i, x) {
		if (!json_is_integer(x) || json_integer_value(x) < 1) {
			snprintf(err, errlen, "acked[%zu]: not a sequence number", i);
			goto fail;
		}
		ack->acked[ack->nacked++] = json_integer_value(x);
	}
	if ((v = json_object_get(root, "stored")) != NULL) {
		if (!json_is_integer(v) || json_integer_value(v) < 0) {
			snprintf(err, errlen, "stored: not a count");
			goto fail;
		}
		ack->stored = json_integer_value(v);
	}
	if ((v = json_object_get(root, "duplicates")) != NULL) {
		if (!json_is_integer(v) || json_integer_value(v) < 0) {
			snprintf(err, errlen, "duplicates: not a count");
			goto fail;
		}
		ack->duplicates = json_integer_value(v);
	}
	if ((v = json_object_get(root, "rejected")) != NULL) {
		if (!json_is_array(v)) {
			snprintf(err, errlen, "rejected: not a list");
			goto fail;
		}
		json_array_foreach(v, i, x) {
			json_t *seq = json_object_get(x, "seq"), *e = json_object_get(x, "error");

			if (!json_is_object(x)) {
				snprintf(err, errlen, "rejected[%zu]: not an object", i);
				goto fail;
			}
			if (i == 0) {
				ack->first_rejected_seq = json_is_integer(seq) ?
				    json_integer_value(seq) : 0;
				snprintf(ack->first_rejected, sizeof(ack->first_rejected),
				    "%s", json_is_string(e) ? json_string_value(e) :
				    "(no reason given)");
			}
			ack->nrejected++;
		}
	}
	json_decref(root);
	return 0;
fail:
	json_decref(root);
	ship_ack_free(ack);
	return -1;
}

void
ship_ack_free(struct ship_ack *ack)
{
	if (ack == NULL)
		return;
	free(ack->acked);
	memset(ack, 0, sizeof(*ack));
}

char *
ship_error_text(const char *body, size_t len, char *out, size_t outlen)
{
	json_t *root = body ? json_loadb(body, len, 0, NULL) : NULL, *e;
	size_t n = 0;

	if (json_is_string(e = json_object_get(root, "error"))) {
		snprintf(out, outlen, "%s", json_string_value(e));
	} else {
		/* not our JSON (a proxy's page?): its start, printable bytes only */
		for (size_t i = 0; body && i < len && n + 1 < outlen; i++)
			out[n++] = body[i] >= 0x20 && body[i] < 0x7f ? body[i] : ' ';
		while (n > 0 && out[n - 1] == ' ')
			n--;
		out[n] = '\0';
		if (n == 0)
			snprintf(out, outlen, "(no message)");
	}
	json_decref(root);
	return out;
}

/* ---- the shipper ---- */

/* merge ac with a pulled set, logging errors; NULL if refused */
static struct agent_config *
merge_logged(const struct agent_config *ac, const char *source, const char *body,
    size_t *nskipped)
{
	struct confctx c = { 0 };
	struct agent_config *m = agentconf_merge_remote(&c, ac, source, body, nskipped);

	for (size_t i = 0; m == NULL && i < c.nerrs && i < MERGE_LOG_MAX; i++)
		log_error("%s", c.errs[i]);
	if (m == NULL && c.nerrs > MERGE_LOG_MAX)
		log_error("%s: ... and %zu more errors", source, c.nerrs - MERGE_LOG_MAX);
	conf_ctx_free(&c);
	return m;
}

struct ship *
ship_new(const struct agent_config *ac, struct outbox *ob, char *err, size_t errlen)
{
	const struct agent_collector *co = ac->collector;
	struct ship *sh;
	char *body = NULL, *etag = NULL, dberr[256];
	int64_t fetched = 0;
	int rc;

	if (co == NULL) {
		snprintf(err, errlen, "no collector configured");
		return NULL;
	}
	sh = xcalloc(1, sizeof(*sh));
	sh->ob = ob;
	sh->agent = xstrdup(ac->id);
	sh->region = xstrdup(ac->region);
	sh->provider = xstrdup(ac->provider);
	sh->url = xstrdup(co->url);
	sh->key = xstrdup(co->key);
	sh->keylen = co->keylen;
	sh->ca_file = xstrdup(co->ca_file);
	sh->batch_max = sh->batch_cur = (size_t)co->batch_max;
	sh->pull_every_ms = co->pull_every_ms;
	sh->timeout_ms = co->timeout_ms;
	sh->ingest_url = xasprintf("%s%s", co->url, INGEST_PATH);
	sh->ingest_path = xasprintf("%s%s", co->path, INGEST_PATH);
	sh->checks_path = xasprintf("%s%s", co->path, CHECKS_PATH);
	sh->checks_source = xasprintf("%s%s", co->url, CHECKS_PATH);
	if (ac->region) {
		char *esc = curl_easy_escape(NULL, ac->region, 0);

		if (esc == NULL) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
		sh->checks_url = xasprintf("%s?region=%s", sh->checks_source, esc);
		curl_free(esc);
	} else
		sh->checks_url = xstrdup(sh->checks_source);
	buf_init(&sh->post.resp, ACK_CAP);
	buf_init(&sh->pull.resp, PULL_CAP);
	if ((sh->post.easy = curl_easy_init()) == NULL ||
	    (sh->pull.easy = curl_easy_init()) == NULL) {
		snprintf(err, errlen, "curl_easy_init failed");
		goto fail;
	}
	sh->rng = (uint64_t)time_mono_us() ^ ((uint64_t)getpid() << 32);

	/* the last good pulled set; ship_merge_config checks it still holds */
	rc = outbox_remote_get(ob, &body, &etag, &fetched, dberr, sizeof(dberr));
	if (rc < 0)
		log_warn("agent DB: %s", dberr);
	if (rc == 1) {
		sh->remote_body = body;
		sh->remote_etag = etag;
		body = etag = NULL;
	}
	free(body);
	free(etag);
	return sh;
fail:
	ship_free(sh);
	return NULL;
}

struct agent_config *
ship_merge_config(struct ship *sh, const struct agent_config *ac)
{
	struct agent_config *m;
	size_t skipped;
	char *src = sh->remote_ok ? xstrdup(sh->checks_source) :
	    xasprintf("%s (kept in the agent DB)", sh->checks_source);

	/* a set refused under the old config may hold under this one */
	sh->refused[0] = '\0';
	m = merge_logged(ac, src, sh->remote_body, &skipped);
	if (m == NULL && sh->remote_body != NULL && !sh->remote_ok) {
		/* kept by an older version or for other defaults: start without
		 * it, and do not let its ETag stop the next pull */
		log_warn("the checks kept from the last pull do not validate "
		    "(above): ignoring them until the next pull");
		free(sh->remote_body);
		free(sh->remote_etag);
		sh->remote_body = sh->remote_etag = NULL;
		m = merge_logged(ac, src, NULL, &skipped);
	}
	free(src);
	if (m != NULL) {
		sh->remote_ok = sh->remote_body != NULL;
		agentconf_free(sh->pending);
		sh->pending = NULL;
	}
	return m;
}

void
ship_attach(struct ship *sh, struct sched *s)
{
	sh->s = s;
	pthread_mutex_lock(&s->mu);
	s->ship_st.url = sh->url;
	pthread_mutex_unlock(&s->mu);
}

/* ---- transfers ---- */

static size_t
on_body(char *data, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;
	size_t len = size * n;

	/* past the cap: stop the transfer (CURLE_WRITE_ERROR) */
	return buf_append(&x->resp, data, len) == 0 ? len : 0;
}

static size_t
on_header(char *data, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;
	size_t len = size * n;

	if (len >= 5 && memcmp(data, "HTTP/", 5) == 0)
		x->etag[0] = '\0';
	else if (len > 5 && strncasecmp(data, "ETag:", 5) == 0) {
		const char *v = data + 5;
		size_t vl = len - 5;

		while (vl > 0 && (*v == ' ' || *v == '\t')) {
			v++;
			vl--;
		}
		while (vl > 0 && strchr(" \t\r\n", v[vl - 1]) != NULL)
			vl--;
		x->etag[0] = '\0';
		if (vl > 0 && vl < sizeof(x->etag)) {
			for (size_t i = 0; i < vl; i++)
				if (v[i] < 0x20 || v[i] > 0x7e)
					return len;	/* not a header-safe value */
			memcpy(x->etag, v, vl);
			x->etag[vl] = '\0';
		}
	}
	return len;
}

/* Add "name: value" ("name:" alone, with an empty value, turns off one
 * libcurl adds by itself). */
static int
add_header(struct xfer *x, const char *name, const char *v)
{
	char line[1024];
	struct curl_slist *l;

	snprintf(line, sizeof(line), "%s:%s%s", name, *v ? " " : "", v);
	if ((l = curl_slist_append(x->headers, line)) == NULL)
		return -1;
	x->headers = l;
	return 0;
}

#define SETOPT(opt, val) do {						\
	CURLcode _c = curl_easy_setopt(e, opt, val);			\
	if (_c != CURLE_OK) {						\
		snprintf(err, errlen, "%s: %s", #opt, curl_easy_strerror(_c)); \
		return -1;						\
	}								\
} while (0)

/* Fill x's handle for one signed request (body NULL: GET). */
static int
prepare(struct ship *sh, struct xfer *x, const char *url, const char *path,
    const char *body, size_t bodylen, const char *etag, char *err, size_t errlen)
{
	const char *method = body ? "POST" : "GET";
	char auth[512];
	CURL *e = x->easy;

	curl_easy_reset(e);
	buf_reset(&x->resp);
	x->errbuf[0] = '\0';
	x->etag[0] = '\0';
	curl_slist_free_all(x->headers);
	x->headers = NULL;
	if (sign_header(sh->agent, sh->key, sh->keylen, method, path,
	    time_now_ms() / 1000, body ? body : "", bodylen, auth, sizeof(auth)) < 0) {
		snprintf(err, errlen, "cannot sign the request");
		return -1;
	}
	if (add_header(x, "Authorization", auth) < 0 ||
	    add_header(x, "Accept", "application/json") < 0 ||
	    (body && add_header(x, "Content-Type", "application/json") < 0) ||
	    (body && add_header(x, "Expect", "") < 0) ||	/* no 100-continue wait */
	    (etag && add_header(x, "If-None-Match", etag) < 0)) {
		snprintf(err, errlen, "out of memory building headers");
		return -1;
	}
	SETOPT(CURLOPT_URL, url);
	SETOPT(CURLOPT_PRIVATE, x);
	SETOPT(CURLOPT_ERRORBUFFER, x->errbuf);
	SETOPT(CURLOPT_NOSIGNAL, 1L);
	SETOPT(CURLOPT_TIMEOUT_MS, (long)sh->timeout_ms);
	SETOPT(CURLOPT_CONNECTTIMEOUT_MS, (long)sh->timeout_ms);
	SETOPT(CURLOPT_PROTOCOLS_STR, "http,https");
	SETOPT(CURLOPT_USERAGENT, "vantage-agent/" PACKAGE_VERSION);
	SETOPT(CURLOPT_WRITEFUNCTION, on_body);
	SETOPT(CURLOPT_WRITEDATA, x);
	SETOPT(CURLOPT_HEADERFUNCTION, on_header);
	SETOPT(CURLOPT_HEADERDATA, x);
	SETOPT(CURLOPT_HTTPHEADER, x->headers);
	SETOPT(CURLOPT_SSL_VERIFYPEER, 1L);
	SETOPT(CURLOPT_SSL_VERIFYHOST, 2L);
	if (sh->ca_file)
		SETOPT(CURLOPT_CAINFO, sh->ca_file);
	if (body) {
		SETOPT(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)bodylen);
		SETOPT(CURLOPT_POSTFIELDS, body);
	}
	return 0;
}

static int64_t
depth_now(struct ship *sh)
{
	return outbox_depth(sh->ob);
}

/* Count a failed ship, log it (state changes and once a minute, not every
 * try) and schedule the next try after a backoff. */
static void
ship_failed(struct ship *sh, enum ship_error why, int64_t retry_after_ms,
    const char *msg)
{
	int64_t now_ms = time_now_ms(), delay;

	sh->failures++;
	delay = ship_backoff_ms(sh->failures, retry_after_ms, next_rand(sh));
	sh->ship_due_us = time_mono_us() + delay * 1000;
	pthread_mutex_lock(&sh->s->mu);
	sh->s->ship_st.errors[why]++;
	pthread_mutex_unlock(&sh->s->mu);
	if (sh->failures == 1 || why != sh->last_reason ||
	    now_ms - sh->last_fail_log_ms >= LOG_EVERY_MS) {
		char line[1536];

		snprintf(line, sizeof(line), "shipping to %s failed (%s, %u in a row): "
		    "%s; %lld results waiting, next try in %lld ms", sh->url,
		    ship_error_names[why], sh->failures, msg,
		    (long long)depth_now(sh), (long long)delay);
		/* a wrong key or a bad batch needs a person; the rest heals */
		if (why == SHIP_ERR_UNAUTHORIZED || why == SHIP_ERR_BAD_REQUEST)
			log_error("%s", line);
		else
			log_warn("%s", line);
		sh->last_fail_log_ms = now_ms;
	}
	sh->last_reason = why;
}

static int
cmp_seq(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* The batch was acknowledged: mark what the collector acked (and we sent). */
static void
ship_acked(struct ship *sh, const struct ship_ack *ack)
{
	struct ship_batch *b = &sh->batch;
	int64_t *sent = xcalloc(b->n + 1, sizeof(*sent));
	int64_t *mark = xcalloc(ack->nacked + 1, sizeof(*mark));
	int64_t marked = 0, now_ms = time_now_ms(), depth, oldest;
	size_t nmark = 0;
	char err[512];

	memcpy(sent, b->seqs, b->n * sizeof(*sent));
	qsort(sent, b->n, sizeof(*sent), cmp_seq);
	for (size_t i = 0; i < ack->nacked; i++)
		if (bsearch(&ack->acked[i], sent, b->n, sizeof(*sent), cmp_seq))
			mark[nmark++] = ack->acked[i];
	if (outbox_mark_shipped(sh->ob, mark, nmark, &marked, err, sizeof(err)) < 0) {
		/* they go again; the collector acknowledges duplicates */
		ship_failed(sh, SHIP_ERR_OTHER, 0, err);
		goto out;
	}
	if (sh->failures > 0)
		log_info("shipping to %s works again after %u failed tries; %lld "
		    "results waiting", sh->url, sh->failures, (long long)depth_now(sh));
	sh->failures = 0;
	if (sh->batch_cur < sh->batch_max)
		sh->batch_cur = sh->batch_cur * 2 < sh->batch_max ?
		    sh->batch_cur * 2 : sh->batch_max;
	if (ack->nrejected > 0) {
		sh->rejects_unlogged += (int64_t)ack->nrejected;
		if (now_ms - sh->last_reject_log_ms >= LOG_EVERY_MS) {
			log_warn("the collector rejected %lld results (they will not be "
			    "sent again); e.g. seq %lld: %s", (long long)sh->rejects_unlogged,
			    (long long)ack->first_rejected_seq, ack->first_rejected);
			sh->last_reject_log_ms = now_ms;
			sh->rejects_unlogged = 0;
		}
	}
	/* a full batch means a backlog: send the next one right away */
	sh->ship_due_us = time_mono_us() + (b->full && nmark == b->n ? 0 : SHIP_EVERY_US);
	depth = outbox_depth(sh->ob);
	oldest = outbox_oldest_unshipped_ms(sh->ob);
	pthread_mutex_lock(&sh->s->mu);
	sh->s->ship_st.batches++;
	sh->s->ship_st.shipped += marked;
	sh->s->ship_st.rejected += (int64_t)ack->nrejected;
	sh->s->ship_st.last_success_ms = now_ms;
	sh->s->depth = depth;
	sh->s->oldest_unshipped_ms = oldest;
	pthread_mutex_unlock(&sh->s->mu);
	log_debug("shipped %zu results (%zu old, %zu new; %lld stored, %lld "
	    "duplicates, %zu rejected); %lld waiting", b->n, b->nold, b->nnew,
	    (long long)ack->stored, (long long)ack->duplicates, ack->nrejected,
	    (long long)depth);
out:
	free(sent);
	free(mark);
}

static enum ship_error
classify(CURLcode code, long status)
{
	switch (code) {
	case CURLE_OK:
		break;
	case CURLE_OPERATION_TIMEDOUT:
		return SHIP_ERR_TIMEOUT;
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
		return SHIP_ERR_CONNECT;
	default:
		return SHIP_ERR_OTHER;
	}
	if (status == 401)
		return SHIP_ERR_UNAUTHORIZED;
	if (status == 413)
		return SHIP_ERR_TOO_LARGE;
	if (status == 400)
		return SHIP_ERR_BAD_REQUEST;
	if (status >= 500)
		return SHIP_ERR_HTTP_5XX;
	return SHIP_ERR_OTHER;
}

/* A human reason for a failed exchange on x into out. */
static const char *
describe(const struct xfer *x, CURLcode code, long status, char *out, size_t outlen)
{
	char text[300];

	if (code != CURLE_OK) {
		snprintf(out, outlen, "%s", x->errbuf[0] ? x->errbuf :
		    curl_easy_strerror(code));
		return out;
	}
	ship_error_text(x->resp.data, x->resp.len, text, sizeof(text));
	if (status == 401)
		snprintf(out, outlen, "401 Unauthorized: %s: the key or the clock is "
		    "wrong (collector.key must match this agent's entry in the "
		    "collector's agents[]; keep the clock synced with NTP)", text);
	else if (status == 404)
		snprintf(out, outlen, "404 Not Found: %s (is collector.url right?)", text);
	else if (status == 429)
		snprintf(out, outlen, "429 Too Many Requests: %s", text);
	else
		snprintf(out, outlen, "HTTP %ld: %s", status, text);
	return out;
}

static int
start_post(struct ship *sh, int64_t now_us)
{
	struct ship_ident id = { sh->agent, sh->region, sh->provider };
	char err[512];

	ship_batch_free(&sh->batch);
	if (ship_batch_build(sh->ob, &id, sh->batch_cur, SHIP_MAX_BODY, &sh->batch,
	    err, sizeof(err)) < 0) {
		ship_failed(sh, SHIP_ERR_OTHER, 0, err);
		return -1;
	}
	if (sh->batch.n == 0) {
		sh->ship_due_us = now_us + SHIP_EVERY_US;
		return -1;
	}
	if (prepare(sh, &sh->post, sh->ingest_url, sh->ingest_path,
	    sh->batch.body.data, sh->batch.body.len, NULL, err, sizeof(err)) < 0) {
		ship_failed(sh, SHIP_ERR_OTHER, 0, err);
		ship_batch_free(&sh->batch);
		return -1;
	}
	sh->post.busy = true;
	return 0;
}

static void
post_done(struct ship *sh, CURLcode code, long status, int64_t retry_after_ms)
{
	struct ship_ack ack;
	char msg[1024], err[512];

	if (code == CURLE_OK && status == 200) {
		if (ship_parse_ack(sh->post.resp.data, sh->post.resp.len, &ack, err,
		    sizeof(err)) < 0) {
			snprintf(msg, sizeof(msg), "the answer is not an acknowledgement: %s",
			    err);
			ship_failed(sh, SHIP_ERR_OTHER, 0, msg);
		} else
			ship_acked(sh, &ack);
		ship_ack_free(&ack);
	} else if (code == CURLE_OK && status == 413 && sh->batch_cur > 1) {
		sh->batch_cur /= 2;
		pthread_mutex_lock(&sh->s->mu);
		sh->s->ship_st.errors[SHIP_ERR_TOO_LARGE]++;
		pthread_mutex_unlock(&sh->s->mu);
		log_warn("shipping to %s: %zu results in %zu bytes were too large for "
		    "the collector (413): trying %zu per batch", sh->url, sh->batch.n,
		    sh->batch.body.len, sh->batch_cur);
		sh->ship_due_us = time_mono_us();
	} else if (code == CURLE_WRITE_ERROR && sh->post.resp.truncated) {
		ship_failed(sh, SHIP_ERR_OTHER, 0, "the answer is larger than 8 MiB");
	} else
		ship_failed(sh, classify(code, status), retry_after_ms,
		    describe(&sh->post, code, status, msg, sizeof(msg)));
	ship_batch_free(&sh->batch);
}

static int
start_pull(struct ship *sh, int64_t now_us)
{
	char err[512];

	if (prepare(sh, &sh->pull, sh->checks_url, sh->checks_path, NULL, 0,
	    sh->remote_etag, err, sizeof(err)) < 0) {
		log_error("pulling checks: %s", err);
		sh->pull_due_us = now_us + sh->pull_every_ms * 1000;
		return -1;
	}
	sh->pull.busy = true;
	return 0;
}

static void
pull_ok(struct ship *sh)
{
	if (sh->pull_failures > 0)
		log_info("pulling checks from %s works again", sh->url);
	sh->pull_failures = 0;
	sh->pull_due_us = time_mono_us() + sh->pull_every_ms * 1000;
	pthread_mutex_lock(&sh->s->mu);
	sh->s->ship_st.pull_last_success_ms = time_now_ms();
	pthread_mutex_unlock(&sh->s->mu);
}

static void
pull_failed(struct ship *sh, int64_t retry_after_ms, const char *msg, bool retry_soon)
{
	int64_t now_ms = time_now_ms(), delay = sh->pull_every_ms;

	sh->pull_failures++;
	if (retry_soon) {
		delay = ship_backoff_ms(sh->pull_failures, retry_after_ms, next_rand(sh));
		if (delay > sh->pull_every_ms)
			delay = sh->pull_every_ms;
	}
	sh->pull_due_us = time_mono_us() + delay * 1000;
	pthread_mutex_lock(&sh->s->mu);
	sh->s->ship_st.pull_errors++;
	pthread_mutex_unlock(&sh->s->mu);
	if (sh->pull_failures == 1 || now_ms - sh->last_pull_log_ms >= LOG_EVERY_MS) {
		log_warn("pulling checks from %s failed (%u in a row): %s; still "
		    "running the checks we have", sh->checks_url, sh->pull_failures, msg);
		sh->last_pull_log_ms = now_ms;
	}
}

/* A pulled set did not validate: count it (vantage_agent_checks_refused_total)
 * and try again at the next pull. */
static void
pull_refused(struct ship *sh, const char *msg)
{
	pthread_mutex_lock(&sh->s->mu);
	sh->s->ship_st.pull_refused++;
	pthread_mutex_unlock(&sh->s->mu);
	pull_failed(sh, 0, msg, false);
}

/* A 200 with a check set: validate, keep, and hand it to the scheduler. */
static void
pull_apply(struct ship *sh)
{
	const char *body = sh->pull.resp.data ? sh->pull.resp.data : "";
	const char *etag = sh->pull.etag[0] ? sh->pull.etag : NULL;
	struct agent_config *m;
	size_t skipped = 0;
	char err[512], hash[SIGN_HEX_LEN + 1];

	/* a refused set comes back until the collector's config changes:
	 * say what is wrong with it once */
	sign_sha256_hex(sh->pull.resp.data ? sh->pull.resp.data : "",
	    sh->pull.resp.len, hash);
	if (strcmp(hash, sh->refused) == 0) {
		pull_refused(sh, "the same refused check set again");
		return;
	}
	if (strlen(body) != sh->pull.resp.len) {
		memcpy(sh->refused, hash, sizeof(hash));
		log_error("%s: the check set holds a NUL byte: refused",
		    sh->checks_source);
		pull_refused(sh, "the pulled checks are not text: refused, the "
		    "previous set keeps running");
		return;
	}
	if (sh->remote_body && strcmp(body, sh->remote_body) == 0) {
		/* the same set (we had lost its ETag): nothing to apply */
		free(sh->remote_etag);
		sh->remote_etag = xstrdup(etag);
		if (outbox_remote_put(sh->ob, body, etag, time_now_ms(), err,
		    sizeof(err)) < 0)
			log_warn("agent DB: keeping the pulled checks: %s", err);
		pull_ok(sh);
		return;
	}
	memcpy(sh->refused, hash, sizeof(hash));
	if ((m = merge_logged(sh->s->conf, sh->checks_source, body, &skipped)) == NULL) {
		pull_refused(sh, "the pulled checks have errors (above): refused, "
		    "the previous set keeps running");
		return;
	}
	sh->refused[0] = '\0';
	if (outbox_remote_put(sh->ob, body, etag, time_now_ms(), err, sizeof(err)) < 0)
		log_warn("agent DB: keeping the pulled checks: %s (they run, but a "
		    "restart while the collector is down would not have them)", err);
	free(sh->remote_body);
	free(sh->remote_etag);
	sh->remote_body = xstrdup(body);
	sh->remote_etag = xstrdup(etag);
	sh->remote_ok = true;
	agentconf_free(sh->pending);
	sh->pending = m;
	log_info("pulled %zu checks from the collector%s", m->nremote,
	    skipped ? " (some skipped: see above)" : "");
	pull_ok(sh);
}

static void
pull_done(struct ship *sh, CURLcode code, long status, int64_t retry_after_ms)
{
	char msg[1024];

	if (code == CURLE_OK && status == 304)
		pull_ok(sh);
	else if (code == CURLE_OK && status == 200)
		pull_apply(sh);
	else if (code == CURLE_WRITE_ERROR && sh->pull.resp.truncated)
		pull_failed(sh, 0, "the check set is larger than 8 MiB", false);
	else
		pull_failed(sh, retry_after_ms, describe(&sh->pull, code, status, msg,
		    sizeof(msg)), true);
}

CURL *
ship_next(struct ship *sh, int64_t now_us, int64_t *next_us)
{
	*next_us = INT64_MAX;
	if (!sh->pull.busy && now_us >= sh->pull_due_us && start_pull(sh, now_us) == 0)
		return sh->pull.easy;
	if (!sh->post.busy && now_us >= sh->ship_due_us) {
		if (depth_now(sh) == 0)
			sh->ship_due_us = now_us + SHIP_EVERY_US;
		else if (start_post(sh, now_us) == 0)
			return sh->post.easy;
	}
	if (!sh->pull.busy && sh->pull_due_us < *next_us)
		*next_us = sh->pull_due_us;
	if (!sh->post.busy && sh->ship_due_us < *next_us)
		*next_us = sh->ship_due_us;
	return NULL;
}

bool
ship_owns(const struct ship *sh, CURL *e)
{
	return sh != NULL && e != NULL && (e == sh->post.easy || e == sh->pull.easy);
}

void
ship_done(struct ship *sh, CURL *e, CURLcode code)
{
	struct xfer *x = e == sh->post.easy ? &sh->post : &sh->pull;
	curl_off_t ra = -1;
	long status = 0;

	x->busy = false;
	if (code == CURLE_OK) {
		curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
		if (curl_easy_getinfo(e, CURLINFO_RETRY_AFTER, &ra) != CURLE_OK)
			ra = -1;
	}
	if (x == &sh->post)
		post_done(sh, code, status, ra > 0 ? (int64_t)ra * 1000 : 0);
	else
		pull_done(sh, code, status, ra > 0 ? (int64_t)ra * 1000 : 0);
}

bool
ship_busy(const struct ship *sh)
{
	return sh != NULL && (sh->post.busy || sh->pull.busy);
}

struct agent_config *
ship_take_config(struct ship *sh)
{
	struct agent_config *m = sh->pending;

	sh->pending = NULL;
	return m;
}

void
ship_abort(struct ship *sh, CURLM *multi)
{
	struct xfer *xs[2] = { &sh->post, &sh->pull };

	for (int i = 0; i < 2; i++) {
		if (xs[i]->busy && multi)
			curl_multi_remove_handle(multi, xs[i]->easy);
		xs[i]->busy = false;
	}
}

void
ship_free(struct ship *sh)
{
	struct xfer *xs[2];

	if (sh == NULL)
		return;
	xs[0] = &sh->post;
	xs[1] = &sh->pull;
	for (int i = 0; i < 2; i++) {
		if (xs[i]->easy)
			curl_easy_cleanup(xs[i]->easy);
		curl_slist_free_all(xs[i]->headers);
		buf_free(&xs[i]->resp);
	}
	ship_batch_free(&sh->batch);
	if (sh->key) {
		OPENSSL_cleanse(sh->key, sh->keylen);
		free(sh->key);
	}
	free(sh->agent);
	free(sh->region);
	free(sh->provider);
	free(sh->url);
	free(sh->ca_file);
	free(sh->ingest_url);
	free(sh->ingest_path);
	free(sh->checks_url);
	free(sh->checks_path);
	free(sh->checks_source);
	free(sh->remote_body);
	free(sh->remote_etag);
	agentconf_free(sh->pending);
	free(sh);
}
