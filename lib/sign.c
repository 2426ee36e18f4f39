/* sign: HMAC-SHA256 request signing and verification (OpenSSL libcrypto). */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "sign.h"

static void
to_hex(const unsigned char *d, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hex[d[i] >> 4];
		out[2 * i + 1] = hex[d[i] & 15];
	}
	out[2 * n] = '\0';
}

void
sign_sha256_hex(const void *data, size_t len, char *out)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
	to_hex(md, mdlen, out);
}

void
sign_hmac_sha256_hex(const void *key, size_t keylen, const void *data,
    size_t len, char *out)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;

	HMAC(EVP_sha256(), key, (int)keylen, data, len, mac, &maclen);
	to_hex(mac, maclen, out);
}

void
sign_compute(const char *key, size_t keylen, const char *method,
    const char *path, int64_t ts, const void *body, size_t bodylen, char *out)
{
	char bodyhash[SIGN_HEX_LEN + 1], msg[4096];
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	int n;

	sign_sha256_hex(body ? body : "", body ? bodylen : 0, bodyhash);
	n = snprintf(msg, sizeof(msg), "%s\n%s\n%lld\n%s", method, path,
	    (long long)ts, bodyhash);
	if (n < 0 || (size_t)n >= sizeof(msg))
		n = (int)sizeof(msg) - 1;	/* absurd path: still deterministic */
	HMAC(EVP_sha256(), key, (int)keylen, (const unsigned char *)msg,
	    (size_t)n, mac, &maclen);
	to_hex(mac, maclen, out);
}

int
sign_header(const char *agent, const char *key, size_t keylen,
    const char *method, const char *path, int64_t ts, const void *body,
    size_t bodylen, char *out, size_t outlen)
{
	char sig[SIGN_HEX_LEN + 1];
	int n;

	sign_compute(key, keylen, method, path, ts, body, bodylen, sig);
	n = snprintf(out, outlen, SIGN_SCHEME " agent=%s, ts=%lld, sig=%s",
	    agent, (long long)ts, sig);
	return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

int
sign_parse(const char *h, struct sign_auth *out, char *err, size_t errlen)
{
	size_t slen = strlen(SIGN_SCHEME);
	int have = 0;

	memset(out, 0, sizeof(*out));
	if (h == NULL) {
		snprintf(err, errlen, "missing Authorization header");
		return -1;
	}
	if (strncmp(h, SIGN_SCHEME, slen) != 0 || h[slen] != ' ') {
		snprintf(err, errlen, "Authorization must use the %s scheme", SIGN_SCHEME);
		return -1;
	}
	h += slen;
	while (*h) {
		const char *eq, *end;
		size_t klen, vlen;

		while (*h == ' ' || *h == ',')
			h++;
		if (*h == '\0')
			break;
		if ((eq = strchr(h, '=')) == NULL)
			break;
		klen = (size_t)(eq - h);
		end = eq + 1 + strcspn(eq + 1, ", ");
		vlen = (size_t)(end - eq - 1);
		if (klen == 5 && strncmp(h, "agent", 5) == 0 && vlen > 0 &&
		    vlen < sizeof(out->agent)) {
			memcpy(out->agent, eq + 1, vlen);
			have |= 1;
		} else if (klen == 2 && strncmp(h, "ts", 2) == 0 && vlen > 0 && vlen < 20) {
			char tmp[24], *e;
			memcpy(tmp, eq + 1, vlen);
			tmp[vlen] = '\0';
			out->ts = strtoll(tmp, &e, 10);
			if (*e == '\0' && isdigit((unsigned char)tmp[0]))
				have |= 2;
		} else if (klen == 3 && strncmp(h, "sig", 3) == 0 && vlen == SIGN_HEX_LEN) {
			memcpy(out->sig, eq + 1, vlen);
			have |= 4;
		}
		h = end;
	}
	if (have != 7) {
		snprintf(err, errlen, "malformed Authorization: want \"%s agent=ID, "
		    "ts=UNIX, sig=HEX\" (missing or bad %s)", SIGN_SCHEME,
		    !(have & 1) ? "agent" : !(have & 2) ? "ts" : "sig");
		return -1;
	}
	return 0;
}

int
sign_verify(const struct sign_auth *a, const char *key, size_t keylen,
    const char *method, const char *path, const void *body, size_t bodylen,
    int64_t now, char *err, size_t errlen)
{
	char want[SIGN_HEX_LEN + 1];
	int64_t skew = now - a->ts;

	if (skew > SIGN_MAX_SKEW_S || skew < -SIGN_MAX_SKEW_S) {
		snprintf(err, errlen, "timestamp %lld is %lld s off the collector's "
		    "clock (at most %d s allowed); check NTP on the agent",
		    (long long)a->ts, (long long)skew, SIGN_MAX_SKEW_S);
		return -1;
	}
	sign_compute(key, keylen, method, path, a->ts, body, bodylen, want);
	if (CRYPTO_memcmp(want, a->sig, SIGN_HEX_LEN) != 0) {
		snprintf(err, errlen, "bad signature");
		return -1;
	}
	return 0;
}
