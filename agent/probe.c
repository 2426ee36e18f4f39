/* probe: the kind table, CURLcode mapping and run bookkeeping. */
#include "config.h"

#include <string.h>

#include "probe.h"

static const struct probe_kind probe_kinds[] = {
	{ "http", probe_http_start, probe_http_finish },
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

void
probe_run_init(struct probe_run *run, const struct check_config *conf)
{
	memset(run, 0, sizeof(*run));
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
	struct result keep = run->res;

	buf_reset(&run->body);
	buf_reset(&run->headers);
	curl_slist_free_all(run->req_headers);
	run->req_headers = NULL;
	run->errbuf[0] = '\0';
	run->bytes = 0;
	run->truncated = false;
	run->cert_not_after = 0;
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
}

void
probe_run_clear(struct probe_run *run)
{
	if (run == NULL)
		return;
	buf_free(&run->body);
	buf_free(&run->headers);
	curl_slist_free_all(run->req_headers);
	run->req_headers = NULL;
}
