/* probe_tls: the tls kind: a TLS handshake on a CONNECT_ONLY easy handle,
 * then judgement of the certificates, protocol and cipher it showed.
 *
 * curl verifies nothing here (VERIFYPEER/VERIFYHOST off): an expired or
 * wrong certificate must still be read, so its days left and issuer are in
 * the record. OpenSSL still runs the chain verification against the CAs we
 * load (ca_file or the system store) and keeps the result; an info callback
 * on the per-connection SSL_CTX (CURLOPT_SSL_CTX_FUNCTION) copies everything
 * out when the handshake is done, since after a CONNECT_ONLY transfer ends
 * curl no longer hands out its SSL pointer. */
#include "config.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "probe.h"
#include "timeutil.h"
#include "xmalloc.h"

#define DAY_S	86400

/* What the handshake showed (run->priv). */
struct tls_seen {
	bool	 done;			/* the handshake completed */
	int	 version;		/* SSL_version: 0x0303, 0x0304 */
	char	 version_name[16];	/* "TLSv1.3" */
	char	 cipher[64];
	long	 verify;		/* X509_V_OK or the error */
	bool	 host_ok;		/* leaf matches server_name */
	int64_t	 leaf_not_after;	/* Unix s; 0 unknown */
	char	 leaf_names[160];	/* its CN and DNS names, for messages */
	char	 issuer[256];		/* leaf issuer, RFC 2253 */
	int64_t	 chain_not_after;	/* earliest in the chain */
	char	 chain_subject[128];	/* whose it is */
	char	 ca_err[128];		/* loading ca_file failed */
};

static int ex_index = -1;
static bool curl_openssl;	/* the SSL_CTX curl hands us is OpenSSL's */
static pthread_once_t ex_once = PTHREAD_ONCE_INIT;

static void
ex_init(void)
{
	const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);

	ex_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, NULL);
	curl_openssl = v != NULL && v->ssl_version != NULL &&
	    strncmp(v->ssl_version, "OpenSSL", 7) == 0;
}

static int64_t
asn1_unix(const ASN1_TIME *t)
{
	struct tm tm;

	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return 0;
	return (int64_t)timegm(&tm);
}

/* A name in RFC 2253 form ("CN=R3,O=Let's Encrypt,C=US"). */
static void
name_string(const X509_NAME *n, char *out, size_t len)
{
	BIO *b = BIO_new(BIO_s_mem());
	int k;

	out[0] = '\0';
	if (b == NULL)
		return;
	if (X509_NAME_print_ex(b, n, 0, XN_FLAG_RFC2253) >= 0 &&
	    (k = BIO_read(b, out, (int)len - 1)) > 0)
		out[k] = '\0';
	BIO_free(b);
}

/* "CN=x, DNS:a, DNS:b" of a certificate, for a mismatch message. */
static void
cert_names(const X509 *x, char *out, size_t len)
{
	GENERAL_NAMES *sans;
	char cn[128] = "";
	size_t off;

	X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, cn,
	    sizeof(cn));
	off = (size_t)snprintf(out, len, "CN=%s", cn[0] ? cn : "(none)");
	sans = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	for (int i = 0; sans && i < sk_GENERAL_NAME_num(sans) && off < len; i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(sans, i);
		const unsigned char *d;

		if (g->type == GEN_DNS) {
			d = ASN1_STRING_get0_data(g->d.dNSName);
			off += (size_t)snprintf(out + off, len - off, ", DNS:%.*s",
			    ASN1_STRING_length(g->d.dNSName), (const char *)d);
		} else if (g->type == GEN_IPADD && ASN1_STRING_length(g->d.iPAddress) == 4) {
			d = ASN1_STRING_get0_data(g->d.iPAddress);
			off += (size_t)snprintf(out + off, len - off, ", IP:%u.%u.%u.%u",
			    d[0], d[1], d[2], d[3]);
		}
	}
	GENERAL_NAMES_free(sans);
}

static bool
is_ip_literal(const char *s)
{
	unsigned char buf[16];

	return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

/* Copy what the finished handshake shows into run->priv. */
static void
on_info(const SSL *ssl, int where, int ret)
{
	struct probe_run *run;
	struct tls_seen *t;
	const char *sn;
	X509 *leaf;
	STACK_OF(X509) *chain;

	if (!(where & SSL_CB_HANDSHAKE_DONE))
		return;
	run = SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), ex_index);
	if (run == NULL || (t = run->priv) == NULL)
		return;
	t->done = true;
	t->version = SSL_version(ssl);
	snprintf(t->version_name, sizeof(t->version_name), "%s", SSL_get_version(ssl));
	snprintf(t->cipher, sizeof(t->cipher), "%s",
	    SSL_CIPHER_get_name(SSL_get_current_cipher(ssl)));
	t->verify = SSL_get_verify_result(ssl);
	sn = run->conf->tls.server_name;
	if ((leaf = SSL_get1_peer_certificate(ssl)) != NULL) {
		t->leaf_not_after = asn1_unix(X509_get0_notAfter(leaf));
		name_string(X509_get_issuer_name(leaf), t->issuer, sizeof(t->issuer));
		cert_names(leaf, t->leaf_names, sizeof(t->leaf_names));
		t->host_ok = sn != NULL && (is_ip_literal(sn) ?
		    X509_check_ip_asc(leaf, sn, 0) == 1 :
		    X509_check_host(leaf, sn, 0, 0, NULL) == 1);
		X509_free(leaf);
	}
	/* the verified chain reaches the trust anchor (whose expiry matters
	 * too); without one, what the server sent */
	chain = t->verify == X509_V_OK ? SSL_get0_verified_chain(ssl) : NULL;
	if (chain == NULL)
		chain = SSL_get_peer_cert_chain(ssl);
	for (int i = 0; chain && i < sk_X509_num(chain); i++) {
		X509 *x = sk_X509_value(chain, i);
		int64_t na = asn1_unix(X509_get0_notAfter(x));

		if (na > 0 && (t->chain_not_after == 0 || na < t->chain_not_after)) {
			t->chain_not_after = na;
			name_string(X509_get_subject_name(x), t->chain_subject,
			    sizeof(t->chain_subject));
		}
	}
	if (t->chain_not_after == 0)
		t->chain_not_after = t->leaf_not_after;
	(void)ret;
}

/* CURLOPT_SSL_CTX_FUNCTION: called with the connection's own SSL_CTX. */
static CURLcode
on_ssl_ctx(CURL *e, void *ctxp, void *arg)
{
	SSL_CTX *ctx = ctxp;
	struct probe_run *run = arg;
	struct tls_seen *t = run->priv;
	const char *ca = run->conf->tls.ca_file;

	if (ex_index < 0 || SSL_CTX_set_ex_data(ctx, ex_index, run) != 1)
		return CURLE_SSL_CERTPROBLEM;
	SSL_CTX_set_info_callback(ctx, on_info);
	if (ca != NULL) {
		if (SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1) {
			snprintf(t->ca_err, sizeof(t->ca_err), "cannot load ca_file %s",
			    ca);
			ERR_clear_error();
			return CURLE_SSL_CACERT_BADFILE;
		}
	} else
		SSL_CTX_set_default_verify_paths(ctx);
	return CURLE_OK;
}

#define SETOPT(opt, val) do {						\
	CURLcode _c = curl_easy_setopt(e, opt, val);			\
	if (_c != CURLE_OK) {						\
		snprintf(err, errlen, "%s: %s", #opt, curl_easy_strerror(_c)); \
		return -1;						\
	}								\
} while (0)

int
probe_tls_start(struct probe_run *run, char *err, size_t errlen)
{
	const struct check_config *cc = run->conf;
	const char *sn = cc->tls.server_name;
	bool v6 = strchr(cc->host, ':') != NULL;
	CURL *e = run->easy;
	char url[512], connect_to[600];

	pthread_once(&ex_once, ex_init);
	if (!curl_openssl) {
		snprintf(err, errlen, "the tls kind needs libcurl built with OpenSSL");
		return -1;
	}
	run->priv = xcalloc(1, sizeof(struct tls_seen));
	/* the URL names server_name (SNI); CONNECT_TO sends it to host */
	snprintf(url, sizeof(url), "https://%s%s%s:%d/", v6 && strcmp(sn, cc->host) == 0 ?
	    "[" : "", sn, v6 && strcmp(sn, cc->host) == 0 ? "]" : "", cc->port);
	SETOPT(CURLOPT_URL, url);
	if (strcmp(sn, cc->host) != 0) {
		snprintf(connect_to, sizeof(connect_to), "%s:%d:%s%s%s:%d", sn, cc->port,
		    v6 ? "[" : "", cc->host, v6 ? "]" : "", cc->port);
		run->req_headers = curl_slist_append(NULL, connect_to);
		if (run->req_headers == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		SETOPT(CURLOPT_CONNECT_TO, run->req_headers);
	}
	SETOPT(CURLOPT_PRIVATE, run);
	SETOPT(CURLOPT_ERRORBUFFER, run->errbuf);
	SETOPT(CURLOPT_NOSIGNAL, 1L);
	SETOPT(CURLOPT_CONNECT_ONLY, 1L);
	SETOPT(CURLOPT_PROXY, "");		/* the direct path is what we test */
	SETOPT(CURLOPT_PROTOCOLS_STR, "https");
	SETOPT(CURLOPT_TIMEOUT_MS, (long)cc->timeout_ms);
	SETOPT(CURLOPT_CONNECTTIMEOUT_MS, (long)cc->timeout_ms);
	SETOPT(CURLOPT_FRESH_CONNECT, 1L);
	SETOPT(CURLOPT_FORBID_REUSE, 1L);
	SETOPT(CURLOPT_DNS_CACHE_TIMEOUT, 0L);
	SETOPT(CURLOPT_SSL_SESSIONID_CACHE, 0L);
	SETOPT(CURLOPT_IPRESOLVE, cc->ip == CHECK_IP_V4 ? CURL_IPRESOLVE_V4 :
	    cc->ip == CHECK_IP_V6 ? CURL_IPRESOLVE_V6 : CURL_IPRESOLVE_WHATEVER);
	/* we verify (below), so that a bad certificate is still read */
	SETOPT(CURLOPT_SSL_VERIFYPEER, 0L);
	SETOPT(CURLOPT_SSL_VERIFYHOST, 0L);
	SETOPT(CURLOPT_SSL_CTX_FUNCTION, on_ssl_ctx);
	SETOPT(CURLOPT_SSL_CTX_DATA, run);
	return 0;
}

/* Whole days from now to t, towards zero: 4 for 4 days and some hours
 * left, -1 for a certificate that expired a day and some hours ago. */
static int64_t
days_left(int64_t t, int64_t now)
{
	return (t - now) / DAY_S;
}

static void
fmt_when(int64_t t, char *out, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, len, "%Y-%m-%d %H:%M UTC", &tm);
}

/* "expires in 4 days (...)" / "expired 2 days ago (...)". */
static void
fmt_expiry(int64_t t, int64_t now, char *out, size_t len)
{
	char when[40];
	int64_t d = days_left(t, now);

	fmt_when(t, when, sizeof(when));
	if (t >= now && d == 0)
		snprintf(out, len, "expires within a day (%s)", when);
	else if (t >= now)
		snprintf(out, len, "expires in %lld day%s (%s)", (long long)d,
		    d == 1 ? "" : "s", when);
	else if (d == 0)
		snprintf(out, len, "expired within the last day (%s)", when);
	else
		snprintf(out, len, "expired %lld day%s ago (%s)", (long long)-d,
		    d == -1 ? "" : "s", when);
}

void
probe_tls_finish(struct probe_run *run, CURLcode code)
{
	const struct check_config *cc = run->conf;
	const struct tls_check *x = &cc->tls;
	struct tls_seen *t = run->priv;
	struct result *r = &run->res;
	int64_t now = time_now_ms() / 1000;
	char *ip = NULL, a[96], e1[RESULT_ECHO_MAX + 4], e2[RESULT_ECHO_MAX + 4];

	probe_fill_phases(r, run->easy);
	if (r->total_us == 0 || code == CURLE_OPERATION_TIMEDOUT)
		r->total_us = time_mono_us() - run->attempt_start_us;
	if (curl_easy_getinfo(run->easy, CURLINFO_PRIMARY_IP, &ip) == CURLE_OK && ip)
		snprintf(r->ip, sizeof(r->ip), "%s", ip);
	r->ok = true;
	r->error_class = ERRCLASS_NONE;
	r->error[0] = '\0';
	if (t != NULL && t->done) {
		r->cert_not_after = t->leaf_not_after;
		result_set_extra(r, "tls_version", json_string(t->version_name));
		result_set_extra(r, "tls_cipher", json_string(t->cipher));
		result_set_extra(r, "cert_days_left", t->leaf_not_after ?
		    json_integer(days_left(t->leaf_not_after, now)) : NULL);
		result_set_extra(r, "chain_days_left", t->chain_not_after ?
		    json_integer(days_left(t->chain_not_after, now)) : NULL);
		result_set_extra(r, "chain_not_after", t->chain_not_after ?
		    json_integer(t->chain_not_after) : NULL);
		result_set_extra(r, "cert_issuer", result_text_json(t->issuer,
		    strlen(t->issuer)));
		result_set_extra(r, "cert_verify", json_string(t->verify == X509_V_OK ?
		    "ok" : X509_verify_cert_error_string(t->verify)));
		result_set_extra(r, "hostname_match", json_boolean(t->host_ok));
	}
	if (code != CURLE_OK) {
		result_fail(r, probe_errclass(code), "%s", t && t->ca_err[0] ? t->ca_err :
		    run->errbuf[0] ? run->errbuf : curl_easy_strerror(code));
		return;
	}
	if (t == NULL || !t->done) {
		result_fail(r, ERRCLASS_TLS, "no TLS handshake was seen");
		return;
	}
	if (!cc->insecure && t->verify != X509_V_OK) {
		result_fail(r, ERRCLASS_TLS, "certificate chain not valid: %s (%s, issued "
		    "by %s)", X509_verify_cert_error_string(t->verify),
		    result_echo(e1, sizeof(e1), t->leaf_names, strlen(t->leaf_names)),
		    result_echo(e2, sizeof(e2), t->issuer, strlen(t->issuer)));
		return;
	}
	if (!cc->insecure && !t->host_ok) {
		result_fail(r, ERRCLASS_TLS, "certificate does not match %s (it is for "
		    "%s)", x->server_name, result_echo(e1, sizeof(e1), t->leaf_names,
		    strlen(t->leaf_names)));
		return;
	}
	if (x->min_version > 0 && t->version < x->min_version) {
		result_fail(r, ERRCLASS_TLS, "negotiated %s, expected at least TLS %s",
		    t->version_name, x->min_version == 0x0304 ? "1.3" : "1.2");
		return;
	}
	if (x->min_days_left >= 0 &&
	    t->leaf_not_after - now < x->min_days_left * DAY_S) {
		fmt_expiry(t->leaf_not_after, now, a, sizeof(a));
		result_fail(r, ERRCLASS_TLS, "leaf certificate %s, expected at least "
		    "%lld days left", a, (long long)x->min_days_left);
		return;
	}
	if (x->min_chain_days_left >= 0 &&
	    t->chain_not_after - now < x->min_chain_days_left * DAY_S) {
		fmt_expiry(t->chain_not_after, now, a, sizeof(a));
		result_fail(r, ERRCLASS_TLS, "certificate %s in the chain %s, expected "
		    "at least %lld days left", result_echo(e1, sizeof(e1),
		    t->chain_subject, strlen(t->chain_subject)), a,
		    (long long)x->min_chain_days_left);
		return;
	}
	if (x->issuer_regex != NULL &&
	    regexec(&x->issuer_re, t->issuer, 0, NULL, 0) != 0) {
		result_fail(r, ERRCLASS_TLS, "issuer \"%s\" does not match /%s/",
		    result_echo(e2, sizeof(e2), t->issuer, strlen(t->issuer)),
		    x->issuer_regex);
		return;
	}
}

void
probe_tls_cleanup(struct probe_run *run)
{
	free(run->priv);
	run->priv = NULL;
}
