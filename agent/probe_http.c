/* probe_http: the http kind: fill an easy handle, then judge the answer. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/crypto.h>

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "cache.h"
#include "expect.h"
#include "probe.h"
#include "redact.h"
#include "timeutil.h"
#include "xmalloc.h"

/* Record the cache status the final answer's headers reveal (cache,
 * cache_raw and, when an Age header came, age_s). */
static void
record_cache(struct probe_run *run, struct result *r)
{
	struct cache_info ci;

	cache_normalise(run->headers.data, run->headers.len, &ci);
	result_set_extra(r, "cache", json_string(cache_status_name(ci.status)));
	result_set_extra(r, "cache_raw", ci.raw[0] ?
	    result_text_json(ci.raw, strlen(ci.raw)) : json_null());
	if (ci.has_age)
		result_set_extra(r, "age_s", json_integer((json_int_t)ci.age_s));
}

/* Read the leaf certificate's notAfter while the connection is alive. */
static void
grab_cert_expiry(struct probe_run *run)
{
	struct curl_tlssessioninfo *ti = NULL;
	X509 *cert;
	struct tm tm;

	if (curl_easy_getinfo(run->easy, CURLINFO_TLS_SSL_PTR, &ti) != CURLE_OK ||
	    ti == NULL || ti->backend != CURLSSLBACKEND_OPENSSL || ti->internals == NULL)
		return;
	cert = SSL_get1_peer_certificate((SSL *)ti->internals);
	if (cert == NULL)
		return;
	if (ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm) == 1)
		run->cert_not_after = (int64_t)timegm(&tm);
	X509_free(cert);
}

/* Does the check send a secret (an env:/file: header)? Then it never
 * follows a redirect to another host, whatever its policy: libcurl sends
 * the check's headers to wherever a redirect points. */
static bool
has_secret_headers(const struct check_config *cc)
{
	for (size_t i = 0; i < cc->nheaders; i++)
		if (cc->headers[i].secret != NULL)
			return true;
	return false;
}

/* Would following loc (a Location value, maybe relative) from the
 * transfer's current URL stay on the same host name? */
static bool
same_host(CURL *e, const char *loc)
{
	CURLU *u = curl_url();
	char *base = NULL, *h1 = NULL, *h2 = NULL;
	bool same = false;

	if (u != NULL &&
	    curl_easy_getinfo(e, CURLINFO_EFFECTIVE_URL, &base) == CURLE_OK && base &&
	    curl_url_set(u, CURLUPART_URL, base, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &h1, 0) == CURLUE_OK &&
	    curl_url_set(u, CURLUPART_URL, loc, CURLU_ALLOW_SPACE) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &h2, 0) == CURLUE_OK)
		same = strcasecmp(h1, h2) == 0;
	curl_free(h1);
	curl_free(h2);
	curl_url_cleanup(u);
	return same;
}

/* A Location header of a 3xx answer: may the transfer follow it? If not,
 * note it and return false (the transfer stops). */
static bool
redirect_allowed(struct probe_run *run, const char *data, size_t len)
{
	const struct check_config *cc = run->conf;
	char loc[2048], *shown;
	size_t vl;

	if (run->hdr_status < 300 || run->hdr_status > 399 || run->hdr_status == 304 ||
	    len < 9 || strncasecmp(data, "Location:", 9) != 0)
		return true;
	if (cc->redirect == REDIRECT_NONE || (cc->redirect == REDIRECT_ANY &&
	    !has_secret_headers(cc)))
		return true;
	data += 9;
	len -= 9;
	while (len > 0 && (*data == ' ' || *data == '\t')) {
		data++;
		len--;
	}
	while (len > 0 && (data[len - 1] == '\r' || data[len - 1] == '\n' ||
	    data[len - 1] == ' ' || data[len - 1] == '\t'))
		len--;
	vl = len < sizeof(loc) - 1 ? len : sizeof(loc) - 1;
	memcpy(loc, data, vl);
	loc[vl] = '\0';
	if (len < sizeof(loc) && memchr(loc, '\0', vl) == NULL &&
	    same_host(run->easy, loc))
		return true;
	run->redirect_refused = run->hdr_status;
	shown = redact_url(loc, cc->redact, cc->nredact);
	result_echo(run->redirect_to, sizeof(run->redirect_to), shown, strlen(shown));
	free(shown);
	return false;
}

static size_t
on_header(char *data, size_t size, size_t n, void *arg)
{
	struct probe_run *run = arg;
	size_t len = size * n;

	if (len >= 5 && memcmp(data, "HTTP/", 5) == 0) {
		const char *sp = memchr(data, ' ', len);

		/* a new response (redirect hop or final): start over */
		buf_reset(&run->headers);
		run->hdr_status = 0;
		if (sp != NULL && (size_t)(sp - data) + 4 <= len)
			run->hdr_status = strtol(sp + 1, NULL, 10);
		if (run->cert_not_after == 0)
			grab_cert_expiry(run);
	} else if (!redirect_allowed(run, data, len))
		return 0;	/* stop: the transfer fails with a write error */
	/* always kept (capped at 64 KiB): the cache status comes from them */
	buf_append(&run->headers, data, len);
	return len;
}

static size_t
on_body(char *data, size_t size, size_t n, void *arg)
{
	struct probe_run *run = arg;
	size_t len = size * n, room;

	room = (size_t)run->conf->expect.max_body - (size_t)run->bytes;
	if (len > room) {
		/* read at most max_body: keep what fits, then stop the transfer */
		if (run->keep_body)
			buf_append(&run->body, data, room);
		run->bytes += (int64_t)room;
		run->truncated = true;
		return 0;
	}
	if (run->keep_body)
		buf_append(&run->body, data, len);
	run->bytes += (int64_t)len;
	return len;
}

#define SETOPT(opt, val) do {						\
	CURLcode _c = curl_easy_setopt(e, opt, val);			\
	if (_c != CURLE_OK) {						\
		snprintf(err, errlen, "%s: %s", #opt, curl_easy_strerror(_c)); \
		return -1;						\
	}								\
} while (0)

int
probe_http_start(struct probe_run *run, char *err, size_t errlen)
{
	const struct check_config *cc = run->conf;
	CURL *e = run->easy;
	bool fresh = !cc->reuse_connections;

	SETOPT(CURLOPT_URL, cc->url);
	SETOPT(CURLOPT_PRIVATE, run);
	SETOPT(CURLOPT_ERRORBUFFER, run->errbuf);
	SETOPT(CURLOPT_NOSIGNAL, 1L);
	SETOPT(CURLOPT_TIMEOUT_MS, (long)cc->timeout_ms);
	SETOPT(CURLOPT_CONNECTTIMEOUT_MS, (long)cc->timeout_ms);
	SETOPT(CURLOPT_PROTOCOLS_STR, "http,https");
	SETOPT(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	SETOPT(CURLOPT_USERAGENT, "vantage-agent/" PACKAGE_VERSION);
	SETOPT(CURLOPT_WRITEFUNCTION, on_body);
	SETOPT(CURLOPT_WRITEDATA, run);
	SETOPT(CURLOPT_HEADERFUNCTION, on_header);
	SETOPT(CURLOPT_HEADERDATA, run);
	/* fresh connection per run: DNS, connect and TLS times are real */
	SETOPT(CURLOPT_FRESH_CONNECT, fresh ? 1L : 0L);
	SETOPT(CURLOPT_FORBID_REUSE, fresh ? 1L : 0L);
	SETOPT(CURLOPT_DNS_CACHE_TIMEOUT, fresh ? 0L : 60L);
	SETOPT(CURLOPT_SSL_SESSIONID_CACHE, fresh ? 0L : 1L);
	SETOPT(CURLOPT_FOLLOWLOCATION, cc->redirect != REDIRECT_NONE ? 1L : 0L);
	SETOPT(CURLOPT_MAXREDIRS, 10L);
	SETOPT(CURLOPT_IPRESOLVE, cc->ip == CHECK_IP_V4 ? CURL_IPRESOLVE_V4 :
	    cc->ip == CHECK_IP_V6 ? CURL_IPRESOLVE_V6 : CURL_IPRESOLVE_WHATEVER);
	SETOPT(CURLOPT_SSL_VERIFYPEER, cc->insecure ? 0L : 1L);
	SETOPT(CURLOPT_SSL_VERIFYHOST, cc->insecure ? 0L : 2L);
	for (size_t i = 0; i < cc->nheaders; i++) {
		const struct check_header *h = &cc->headers[i];
		struct curl_slist *l;
		char *line;

		if (h->value == NULL) {
			snprintf(err, errlen, "header %s: secret %s not resolved", h->name,
			    h->secret ? h->secret : "?");
			return -1;
		}
		/* an empty value removes a header libcurl would send itself */
		line = xasprintf("%s: %s", h->name, h->value);
		l = curl_slist_append(run->req_headers, line);
		OPENSSL_cleanse(line, strlen(line));
		free(line);
		if (l == NULL) {
			snprintf(err, errlen, "out of memory building headers");
			return -1;
		}
		run->req_headers = l;
	}
	if (probe_add_correlation(run, &run->req_headers) < 0) {
		snprintf(err, errlen, "out of memory building headers");
		return -1;
	}
	if (run->req_headers)
		SETOPT(CURLOPT_HTTPHEADER, run->req_headers);
	if (strcmp(cc->method, "HEAD") == 0)
		SETOPT(CURLOPT_NOBODY, 1L);
	else if (strcmp(cc->method, "GET") != 0 || cc->body)
		SETOPT(CURLOPT_CUSTOMREQUEST, cc->method);
	if (cc->body) {
		SETOPT(CURLOPT_POSTFIELDSIZE, (long)strlen(cc->body));
		SETOPT(CURLOPT_POSTFIELDS, cc->body);
	}
	return 0;
}

void
probe_http_finish(struct probe_run *run, CURLcode code)
{
	CURL *e = run->easy;
	struct result *r = &run->res;
	struct http_response resp;
	long status = 0, ver = 0;
	char *ip = NULL;
	int64_t own_us = time_mono_us() - run->attempt_start_us;

	probe_fill_phases(r, e);
	if (r->total_us == 0 || code == CURLE_OPERATION_TIMEDOUT)
		r->total_us = own_us;
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(e, CURLINFO_HTTP_VERSION, &ver);
	if (curl_easy_getinfo(e, CURLINFO_PRIMARY_IP, &ip) == CURLE_OK && ip)
		snprintf(r->ip, sizeof(r->ip), "%s", ip);
	r->status = status;
	if (status > 0)
		snprintf(r->http_version, sizeof(r->http_version), "%s",
		    ver == CURL_HTTP_VERSION_1_0 ? "1.0" :
		    ver == CURL_HTTP_VERSION_1_1 ? "1.1" :
		    ver == CURL_HTTP_VERSION_2_0 ? "2" :
		    ver == CURL_HTTP_VERSION_3 ? "3" : "");
	r->bytes = run->bytes;
	r->truncated = run->truncated;
	r->cert_not_after = run->cert_not_after;
	if (run->probe_header != NULL && *run->probe_header != '\0')
		result_set_extra(r, "probe_id", json_string(run->probe_id));
	record_cache(run, r);
	r->ok = true;
	r->error_class = ERRCLASS_NONE;
	r->error[0] = '\0';

	if (code == CURLE_WRITE_ERROR && run->truncated)
		code = CURLE_OK;	/* we stopped reading at max_body */
	if (code == CURLE_WRITE_ERROR && run->redirect_refused) {
		r->status = run->redirect_refused;
		result_fail(r, ERRCLASS_HTTP_STATUS, "HTTP status %ld: redirect to "
		    "another host not followed (%s): %s", run->redirect_refused,
		    run->conf->redirect == REDIRECT_SAME_HOST ?
		    "redirect_policy is same-host" : "the check sends secret headers",
		    run->redirect_to);
		return;
	}
	if (code != CURLE_OK) {
		probe_fail_transfer(r, e, code, run->errbuf);
		return;
	}
	resp.status = status;
	resp.headers = run->headers.data;
	resp.headers_len = run->headers.len;
	resp.body = run->body.data;
	resp.body_len = run->body.len;
	resp.total_us = r->total_us;
	expect_eval(&run->conf->expect, &resp, run->conf->redact,
	    run->conf->nredact, r);
}
