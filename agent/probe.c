/* probe: the kind table, CURLcode mapping and run bookkeeping. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "probe.h"
#include "redact.h"

static const struct probe_kind probe_kinds[] = {
	{ "http", probe_http_start, probe_http_finish, NULL, NULL },
	{ "tls", probe_tls_start, probe_tls_finish, NULL, probe_tls_cleanup },
	{ "tcp", probe_tcp_start, NULL, probe_tcp_step, probe_tcp_cleanup },
	{ "dns", probe_dns_start, NULL, probe_dns_step, probe_dns_cleanup },
	{ "assets", probe_assets_start, NULL, probe_assets_step,
	    probe_assets_cleanup },
};

const struct probe_kind *
probe_kind_find(const char *name)
{
	for (size_t i = 0; i < sizeof(probe_kinds) / sizeof(probe_kinds[0]); i++)
		if (strcmp(probe_kinds[i].name, name) == 0)
			return &probe_kinds[i];
	return NULL;
}

enum errclass
probe_errclass(CURLcode code)
{
	switch (code) {
	case CURLE_OK:
		return ERRCLASS_NONE;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		return ERRCLASS_DNS;
	case CURLE_COULDNT_CONNECT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PROXY:
#if LIBCURL_VERSION_NUM >= 0x074500
	case CURLE_QUIC_CONNECT_ERROR:
#endif
		return ERRCLASS_CONNECT;
	case CURLE_OPERATION_TIMEDOUT:
		return ERRCLASS_TIMEOUT;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_SHUTDOWN_FAILED:
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_ENGINE_SETFAILED:
	case CURLE_SSL_ENGINE_INITFAILED:
	case CURLE_USE_SSL_FAILED:
#if LIBCURL_VERSION_NUM >= 0x074d00
	case CURLE_SSL_CLIENTCERT:
#endif
		return ERRCLASS_TLS;
	case CURLE_TOO_MANY_REDIRECTS:
	case CURLE_HTTP_RETURNED_ERROR:
		return ERRCLASS_HTTP_STATUS;
	case CURLE_PARTIAL_FILE:
	case CURLE_BAD_CONTENT_ENCODING:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
#if LIBCURL_VERSION_NUM >= 0x074200
	case CURLE_HTTP3:
#endif
	case CURLE_WEIRD_SERVER_REPLY:
		return ERRCLASS_BODY;
	default:
		return ERRCLASS_INTERNAL;
	}
}

enum errclass
probe_errclass_refine(CURLcode code, long status, bool sent, const char *curl_msg,
    char *out, size_t outlen)
{
	const char *m = curl_msg && *curl_msg ? curl_msg : curl_easy_strerror(code);

	/* libcurl reports a response that breaks its limits or its framing
	 * with the codes of a lost connection or of a failed allocation; once
	 * the request went out, say what happened to the response instead */
	if (code == CURLE_RECV_ERROR && status > 0) {
		if (strstr(m, "chunked") != NULL) {
			snprintf(out, outlen, "response body: bad chunked encoding (%s)", m);
			return ERRCLASS_BODY;
		}
		if (strstr(m, "header") != NULL) {
			snprintf(out, outlen, "response headers too large (%s; libcurl "
			    "reads at most 300 KiB of them)", m);
			return ERRCLASS_HTTP_STATUS;
		}
		snprintf(out, outlen, "connection lost while reading the response "
		    "(%s)", m);
		return ERRCLASS_BODY;
	}
	if (code == CURLE_OUT_OF_MEMORY && sent) {
		snprintf(out, outlen, "response %s longer than libcurl's limit of 100 "
		    "KiB for one line", status > 0 ? "header line" :
		    "status line or header");
		return ERRCLASS_HTTP_STATUS;
	}
	snprintf(out, outlen, "%s", m);
	return probe_errclass(code);
}

void
probe_fail_transfer(struct result *r, CURL *e, CURLcode code, const char *errbuf)
{
	char msg[sizeof(r->error)];
	long status = 0, reqsize = 0;
	enum errclass ec;

	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(e, CURLINFO_REQUEST_SIZE, &reqsize);
	ec = probe_errclass_refine(code, status, reqsize > 0, errbuf, msg, sizeof(msg));
	result_fail(r, ec, "%s", msg);
}

/* Redact the strings in v (the kind's extra fields: details, messages,
 * target URLs) in place. */
static void
redact_json(json_t *v, char *const *keys, size_t nkeys, int depth)
{
	const char *k;
	json_t *x;
	size_t i;
	void *tmp;

	if (depth > 8)
		return;
	if (json_is_object(v)) {
		json_object_foreach_safe(v, tmp, k, x) {
			if (json_is_string(x) &&
			    redact_text_needed(json_string_value(x), keys, nkeys)) {
				char *t = redact_text(json_string_value(x), keys, nkeys);
				json_object_set_new(v, k, json_string(t));
				free(t);
			} else
				redact_json(x, keys, nkeys, depth + 1);
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, x) {
			if (json_is_string(x) &&
			    redact_text_needed(json_string_value(x), keys, nkeys)) {
				char *t = redact_text(json_string_value(x), keys, nkeys);
				json_array_set_new(v, i, json_string(t));
				free(t);
			} else
				redact_json(x, keys, nkeys, depth + 1);
		}
	}
}

void
probe_redact_result(struct result *r, const struct check_config *cc)
{
	if (redact_text_needed(r->error, cc->redact, cc->nredact)) {
		char *t = redact_text(r->error, cc->redact, cc->nredact);

		snprintf(r->error, sizeof(r->error), "%s", t);
		free(t);
	}
	if (r->extra != NULL)
		redact_json(r->extra, cc->redact, cc->nredact, 0);
}

static int64_t
info_us(CURL *e, CURLINFO what)
{
	curl_off_t v = 0;

	if (curl_easy_getinfo(e, what, &v) != CURLE_OK || v < 0)
		return 0;
	return (int64_t)v;
}

static int64_t
nonneg(int64_t v)
{
	return v > 0 ? v : 0;
}

void
probe_fill_phases(struct result *r, CURL *e)
{
	int64_t dns = info_us(e, CURLINFO_NAMELOOKUP_TIME_T);
	int64_t conn = info_us(e, CURLINFO_CONNECT_TIME_T);
	int64_t app = info_us(e, CURLINFO_APPCONNECT_TIME_T);
	int64_t pre = info_us(e, CURLINFO_PRETRANSFER_TIME_T);
	int64_t first = info_us(e, CURLINFO_STARTTRANSFER_TIME_T);
	int64_t total = info_us(e, CURLINFO_TOTAL_TIME_T);
	int64_t sent;

	r->dns_us = dns;
	r->connect_us = conn > 0 ? nonneg(conn - dns) : 0;
	r->tls_us = app > 0 && conn > 0 ? nonneg(app - conn) : 0;
	sent = pre > app ? pre : app;
	if (sent < conn)
		sent = conn;
	r->processing_us = first > 0 ? nonneg(first - sent) : 0;
	r->transfer_us = first > 0 && total > first ? total - first : 0;
	r->total_us = total;
}

int
probe_add_correlation(struct probe_run *run, struct curl_slist **list)
{
	const char *h = run->probe_header;
	size_t hl;
	char line[512];
	struct curl_slist *l;

	if (h == NULL || *h == '\0')
		return 0;
	hl = strlen(h);
	for (size_t i = 0; i < run->conf->nheaders; i++)
		if (strlen(run->conf->headers[i].name) == hl &&
		    strncasecmp(run->conf->headers[i].name, h, hl) == 0)
			return 0;	/* the check's own value wins */
	snprintf(line, sizeof(line), "%s: %s/%s/%s", h, run->res.check,
	    run->res.agent ? run->res.agent : "", run->probe_id);
	if ((l = curl_slist_append(*list, line)) == NULL)
		return -1;
	*list = l;
	return 0;
}

void
probe_run_cleanup(struct probe_run *run)
{
	if (run->kind != NULL && run->kind->cleanup != NULL)
		run->kind->cleanup(run);
	run->priv = NULL;
	run->io_fd = -1;
	run->io_events = run->io_revents = 0;
	run->io_deadline_us = 0;
}

void
probe_run_init(struct probe_run *run, const struct check_config *conf)
{
	memset(run, 0, sizeof(*run));
	run->io_fd = -1;
	run->conf = conf;
	run->kind = probe_kind_find(conf->kind);
	run->keep_body = conf->expect.body_contains || conf->expect.body_regex ||
	    conf->expect.njson > 0;
	run->keep_headers = conf->expect.nheaders > 0;
	buf_init(&run->body, (size_t)conf->expect.max_body);
	buf_init(&run->headers, 64 * 1024);
}

void
probe_run_reset_attempt(struct probe_run *run)
{
	const struct check_config *conf = run->conf;
	const struct probe_kind *kind = run->kind;
	void *owner = run->owner;
	int attempt = run->attempt;
	struct result keep;

	probe_run_cleanup(run);
	result_release(&run->res);
	keep = run->res;
	buf_reset(&run->body);
	buf_reset(&run->headers);
	curl_slist_free_all(run->req_headers);
	run->req_headers = NULL;
	run->errbuf[0] = '\0';
	run->bytes = 0;
	run->truncated = false;
	run->cert_not_after = 0;
	run->hdr_status = 0;
	run->redirect_refused = 0;
	run->redirect_to[0] = '\0';
	memset(&run->res, 0, sizeof(run->res));
	/* labels survive across attempts */
	run->res.check = keep.check;
	run->res.kind = keep.kind;
	run->res.service = keep.service;
	run->res.layer = keep.layer;
	run->res.provider = keep.provider;
	run->res.url = keep.url;
	run->res.agent = keep.agent;
	run->res.region = keep.region;
	run->conf = conf;
	run->kind = kind;
	run->owner = owner;
	run->attempt = attempt;
	run->io_fd = -1;
}

void
probe_run_clear(struct probe_run *run)
{
	if (run == NULL)
		return;
	probe_run_cleanup(run);
	result_release(&run->res);
	buf_free(&run->body);
	buf_free(&run->headers);
	curl_slist_free_all(run->req_headers);
	run->req_headers = NULL;
}
