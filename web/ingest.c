/* ingest: signed, idempotent batches from agents. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "collector.h"
#include "imetrics.h"
#include "ingest.h"
#include "log.h"
#include "sign.h"
#include "store.h"
#include "timeutil.h"
#include "xmalloc.h"

#define INGEST_MAX_RESULTS	20000
#define INGEST_BUSY_MS		2000	/* then 503: the agent retries */
#define FUTURE_SLACK_MS		(SIGN_MAX_SKEW_S * 1000LL)

/* Verify the Authorization header; on failure fill resp (401) and return
 * NULL, else the agent's key entry. */
static const struct agent_key *
authenticate(struct collector *c, struct http_request *r, struct http_response *resp)
{
	struct sign_auth a;
	const struct agent_key *ak;
	char err[256];

	if (sign_parse(http_header(r, "Authorization"), &a, err, sizeof(err)) < 0) {
		http_error(resp, 401, "%s", err);
		return NULL;
	}
	if ((ak = collconf_agent(c->conf, a.agent)) == NULL) {
		http_error(resp, 401, "unknown agent \"%s\" (add it to the collector's "
		    "agents[])", a.agent);
		return NULL;
	}
	if (sign_verify(&a, ak->key, ak->keylen, r->method, r->path,
	    r->body.data, r->body.len, time_now_ms() / 1000, err, sizeof(err)) < 0) {
		http_error(resp, 401, "agent \"%s\": %s", a.agent, err);
		return NULL;
	}
	return ak;
}

static int
get_int(json_t *rec, const char *key, int64_t min, int64_t *out, bool required,
    char *err, size_t errlen)
{
	json_t *v = json_object_get(rec, key);

	if (v == NULL || json_is_null(v)) {
		if (required) {
			snprintf(err, errlen, "%s: missing", key);
			return -1;
		}
		*out = 0;
		return 0;
	}
	if (!json_is_integer(v) || json_integer_value(v) < min) {
		snprintf(err, errlen, "%s: must be an integer >= %lld", key, (long long)min);
		return -1;
	}
	*out = json_integer_value(v);
	return 0;
}

static int
get_label(json_t *rec, const char *key, const char **out, char *err, size_t errlen)
{
	json_t *v = json_object_get(rec, key);

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v) || json_string_length(v) > 256) {
		snprintf(err, errlen, "%s: must be a string (256 bytes at most) or null", key);
		return -1;
	}
	*out = json_string_value(v);
	return 0;
}

int
ingest_parse_result(json_t *rec, const char *agent, int64_t now_ms,
    struct ingest_row *row, char *err, size_t errlen)
{
	json_t *v;
	const char *a;

	memset(row, 0, sizeof(*row));
	if (!json_is_object(rec)) {
		snprintf(err, errlen, "must be an object");
		return -1;
	}
	if (get_label(rec, "agent", &a, err, errlen) < 0)
		return -1;
	if (a == NULL || strcmp(a, agent) != 0) {
		snprintf(err, errlen, "agent: must be \"%s\", the signing agent", agent);
		return -1;
	}
	if (get_int(rec, "seq", 1, &row->seq, true, err, errlen) < 0 ||
	    get_int(rec, "ts", 1, &row->ts, true, err, errlen) < 0 ||
	    get_int(rec, "total_us", 0, &row->total_us, true, err, errlen) < 0 ||
	    get_int(rec, "dns_us", 0, &row->dns_us, false, err, errlen) < 0 ||
	    get_int(rec, "connect_us", 0, &row->connect_us, false, err, errlen) < 0 ||
	    get_int(rec, "tls_us", 0, &row->tls_us, false, err, errlen) < 0 ||
	    get_int(rec, "processing_us", 0, &row->processing_us, false, err, errlen) < 0 ||
	    get_int(rec, "transfer_us", 0, &row->transfer_us, false, err, errlen) < 0)
		return -1;
	if (row->ts > now_ms + FUTURE_SLACK_MS) {
		snprintf(err, errlen, "ts: %lld is in the future (check the agent's clock)",
		    (long long)row->ts);
		return -1;
	}
	if (get_label(rec, "check", &row->check, err, errlen) < 0 ||
	    get_label(rec, "kind", &row->kind, err, errlen) < 0 ||
	    get_label(rec, "service", &row->service, err, errlen) < 0 ||
	    get_label(rec, "layer", &row->layer, err, errlen) < 0 ||
	    get_label(rec, "provider", &row->provider, err, errlen) < 0)
		return -1;
	if (row->check == NULL || *row->check == '\0') {
		snprintf(err, errlen, "check: missing");
		return -1;
	}
	if (!json_is_boolean(v = json_object_get(rec, "ok"))) {
		snprintf(err, errlen, "ok: must be true or false");
		return -1;
	}
	row->ok = json_is_true(v);
	/* a failure while the agent's own network was down (README) */
	v = json_object_get(rec, "inconclusive");
	if (v != NULL && !json_is_null(v) && !json_is_boolean(v)) {
		snprintf(err, errlen, "inconclusive: must be true or false");
		return -1;
	}
	row->inconclusive = json_is_true(v) && !row->ok;
	/* the CDN cache status (http results): lenient, an unknown value
	 * (a newer agent's) counts as "unknown" */
	v = json_object_get(rec, "cache");
	row->has_cache = v != NULL && !json_is_null(v);
	row->cache = (int)cache_status_parse(json_string_value(v));
	v = json_object_get(rec, "error_class");
	if (row->ok) {
		if (v && !json_is_null(v)) {
			snprintf(err, errlen, "error_class: must be null when ok is true");
			return -1;
		}
		row->error_class = ERRCLASS_NONE;
	} else {
		int ec = json_is_string(v) ? errclass_parse(json_string_value(v)) : -1;
		if (ec < 0) {
			snprintf(err, errlen, "error_class: must be one of %s",
			    errclass_list());
			return -1;
		}
		row->error_class = (enum errclass)ec;
	}
	return 0;
}

/* What the batch says about its agent. The region is the batch's "region",
 * else that of its first result that has one (every record carries it). */
static void
agent_report(json_t *root, const char *agent, struct agent_report *rep)
{
	json_t *v, *rec;
	size_t i;

	memset(rep, 0, sizeof(*rep));
	rep->id = agent;
	if (json_is_string(v = json_object_get(root, "region")))
		rep->region = json_string_value(v);
	json_array_foreach(json_object_get(root, "results"), i, rec) {
		if (rep->region != NULL)
			break;
		if (json_is_string(v = json_object_get(rec, "region")))
			rep->region = json_string_value(v);
	}
	if (json_is_string(v = json_object_get(root, "provider")))
		rep->provider = json_string_value(v);
	if (json_is_string(v = json_object_get(root, "version")))
		rep->version = json_string_value(v);
	if (json_is_integer(v = json_object_get(root, "outbox_depth")))
		rep->outbox_depth = json_integer_value(v);
	if (json_is_integer(v = json_object_get(root, "oldest_unshipped")))
		rep->oldest_unshipped = json_integer_value(v);
}

static void
count(struct collector *c, int64_t *field)
{
	pthread_mutex_lock(&c->stat_mu);
	(*field)++;
	pthread_mutex_unlock(&c->stat_mu);
}

void
ingest_handle(struct collector *c, struct http_request *r, struct http_response *resp)
{
	const struct agent_key *ak;
	struct agent_report rep;
	struct ingest_row *rows = NULL;
	json_t *root = NULL, *results, *rec, *acked, *rejected, *answer;
	json_error_t je;
	char err[512];
	size_t n, i, nrows = 0, *index = NULL;
	int64_t now = time_now_ms(), stored = 0;
	int rc;

	if ((ak = authenticate(c, r, resp)) == NULL) {
		count(c, &c->ingest_unauthorized);
		return;
	}
	root = json_loadb(r->body.data ? r->body.data : "", r->body.len, 0, &je);
	if (root == NULL || !json_is_object(root)) {
		count(c, &c->ingest_malformed);
		if (root == NULL)
			http_error(resp, 400, "malformed JSON at line %d, column %d: %s",
			    je.line, je.column, je.text);
		else
			http_error(resp, 400, "the batch must be a JSON object");
		goto out;
	}
	if (!json_is_array(results = json_object_get(root, "results"))) {
		count(c, &c->ingest_malformed);
		http_error(resp, 400, "results: missing or not a list");
		goto out;
	}
	if ((n = json_array_size(results)) > INGEST_MAX_RESULTS) {
		count(c, &c->ingest_malformed);
		http_error(resp, 413, "%zu results in one batch; at most %d", n,
		    INGEST_MAX_RESULTS);
		goto out;
	}
	if (json_object_get(root, "agent") && (!json_is_string(json_object_get(root,
	    "agent")) || strcmp(json_string_value(json_object_get(root, "agent")),
	    ak->id) != 0)) {
		count(c, &c->ingest_malformed);
		http_error(resp, 400, "agent: the batch says a different agent than "
		    "the signature (%s)", ak->id);
		goto out;
	}
	agent_report(root, ak->id, &rep);
	rows = xcalloc(n + 1, sizeof(*rows));
	index = xcalloc(n + 1, sizeof(*index));
	rejected = json_array();
	json_array_foreach(results, i, rec) {
		if (ingest_parse_result(rec, ak->id, now, &rows[nrows], err,
		    sizeof(err)) < 0) {
			json_t *seq = json_object_get(rec, "seq");
			json_array_append_new(rejected, json_pack("{s:I,s:O?,s:s}",
			    "index", (json_int_t)i, "seq", json_is_integer(seq) ? seq : NULL,
			    "error", err));
			continue;
		}
		rows[nrows].body = json_dumps(rec, JSON_COMPACT | JSON_PRESERVE_ORDER);
		rows[nrows].body_len = strlen(rows[nrows].body);
		index[nrows++] = i;
	}
	rc = nrows > 0 ? store_ingest(c->st, &rep, rows, nrows, INGEST_BUSY_MS, err,
	    sizeof(err)) : 0;
	if (rc == -2) {
		count(c, &c->ingest_busy);
		json_decref(rejected);
		resp->retry_after = 2;
		http_error(resp, 503, "database busy; nothing stored, retry later");
		goto out;
	}
	if (rc < 0) {
		log_error("ingest from %s: %s", ak->id, err);
		json_decref(rejected);
		http_error(resp, 500, "storing the batch failed; nothing stored: %s", err);
		goto out;
	}
	acked = json_array();
	for (i = 0; i < nrows; i++) {
		json_array_append_new(acked, json_integer(rows[i].seq));
		if (rows[i].stored) {
			stored++;
			if (rows[i].inconclusive)
				imetrics_add_inconclusive(c->im, rows[i].check, rep.region,
				    rows[i].service, rows[i].layer);
			else {
				imetrics_add(c->im, rows[i].check, rep.region, rows[i].service,
				    rows[i].layer, rows[i].ok, rows[i].error_class,
				    rows[i].total_us);
				if (rows[i].has_cache)
					imetrics_add_cache(c->im, rows[i].check, rep.region,
					    rows[i].service, rows[i].layer,
					    (enum cache_status)rows[i].cache);
			}
		}
	}
	/* rejected results are acknowledged too: resending cannot fix them */
	for (i = 0; i < json_array_size(rejected); i++) {
		json_t *seq = json_object_get(json_array_get(rejected, i), "seq");
		if (json_is_integer(seq))
			json_array_append(acked, seq);
	}
	if (json_array_size(rejected) > 0) {
		log_warn("ingest from %s: %zu of %zu results rejected (first: %s)",
		    ak->id, json_array_size(rejected), n, json_string_value(
		    json_object_get(json_array_get(rejected, 0), "error")));
		pthread_mutex_lock(&c->stat_mu);
		c->ingest_rejected += (int64_t)json_array_size(rejected);
		pthread_mutex_unlock(&c->stat_mu);
	}
	count(c, &c->ingest_ok);
	answer = json_pack("{s:o,s:I,s:I,s:o}", "acked", acked,
	    "stored", (json_int_t)stored, "duplicates", (json_int_t)(nrows - (size_t)stored),
	    "rejected", rejected);
	http_json(resp, 200, answer);
out:
	for (i = 0; rows && i < nrows; i++)
		free((void *)(uintptr_t)rows[i].body);
	free(rows);
	free(index);
	json_decref(root);
}

static bool
in_list(char **list, size_t n, const char *v)
{
	if (list == NULL)
		return true;
	for (size_t i = 0; v && i < n; i++)
		if (strcmp(list[i], v) == 0)
			return true;
	return false;
}

/* The region the agent reported in its batches, or NULL. */
static const char *
known_region(struct collector *c, const char *agent, char *out, size_t outlen)
{
	sqlite3 *db = store_reader(c->st);
	sqlite3_stmt *st;
	const char *found = NULL;

	if (sqlite3_prepare_v2(db, "SELECT region FROM agents WHERE id = ?", -1, &st,
	    NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, agent, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0)) {
			snprintf(out, outlen, "%s", (const char *)sqlite3_column_text(st, 0));
			found = out;
		}
		sqlite3_finalize(st);
	}
	store_reader_put(c->st, db);
	return found;
}

void
ingest_agent_checks(struct collector *c, struct http_request *r,
    struct http_response *resp)
{
	const struct agent_key *ak;
	const char *region = http_query(r, "region"), *inm;
	json_t *arr, *answer;
	char *txt, hash[SIGN_HEX_LEN + 1], known[128];

	if ((ak = authenticate(c, r, resp)) == NULL)
		return;
	arr = json_array();
	if (region == NULL)
		region = known_region(c, ak->id, known, sizeof(known));
	for (size_t i = 0; i < c->conf->nchecks; i++) {
		const struct remote_check *rc = &c->conf->rchecks[i];
		if (in_list(rc->agents, rc->nagents, ak->id) &&
		    (rc->regions == NULL || in_list(rc->regions, rc->nregions, region)))
			json_array_append(arr, rc->def);
	}
	answer = json_pack("{s:o}", "checks", arr);
	txt = json_dumps(answer, JSON_COMPACT | JSON_SORT_KEYS);
	sign_sha256_hex(txt ? txt : "", txt ? strlen(txt) : 0, hash);
	free(txt);
	snprintf(resp->etag, sizeof(resp->etag), "\"%.32s\"", hash);
	inm = http_header(r, "If-None-Match");
	if (inm && strcmp(inm, resp->etag) == 0) {
		json_decref(answer);
		resp->status = 304;
		resp->type = "application/json";
		buf_reset(&resp->body);
		return;
	}
	http_json(resp, 200, answer);
}
