/* sign: the agent -> collector request signature (DESIGN.md, wire protocol):
 *   Authorization: Vantage-HMAC-SHA256 agent=ID, ts=UNIX, sig=HEX
 * sig = hex(HMAC-SHA256(key, METHOD "\n" PATH "\n" TS "\n" hex(SHA-256(body)))) */
#ifndef VANTAGE_SIGN_H
#define VANTAGE_SIGN_H

#include <stddef.h>
#include <stdint.h>

#define SIGN_HEX_LEN	64		/* hex SHA-256 / HMAC-SHA256 */
#define SIGN_MAX_SKEW_S	300		/* timestamps further off are refused */
#define SIGN_SCHEME	"Vantage-HMAC-SHA256"

/* hex(SHA-256(data)) into out (SIGN_HEX_LEN + 1 bytes). */
void sign_sha256_hex(const void *data, size_t len, char *out);
/* hex(HMAC-SHA256(key, data)) into out (SIGN_HEX_LEN + 1 bytes). */
void sign_hmac_sha256_hex(const void *key, size_t keylen, const void *data,
    size_t len, char *out);
/* The signature of one request into out (SIGN_HEX_LEN + 1 bytes). */
void sign_compute(const char *key, size_t keylen, const char *method,
    const char *path, int64_t ts, const void *body, size_t bodylen, char *out);
/* The whole Authorization header value into out (outlen bytes, 256 is
 * plenty for a 64-byte agent id). Returns 0, or -1 if it does not fit. */
int sign_header(const char *agent, const char *key, size_t keylen,
    const char *method, const char *path, int64_t ts, const void *body,
    size_t bodylen, char *out, size_t outlen);

struct sign_auth {
	char	agent[65];
	int64_t	ts;
	char	sig[SIGN_HEX_LEN + 1];
};

/* Parse an Authorization header value. Returns 0, or -1 with a message
 * in err saying what is malformed. */
int sign_parse(const char *header, struct sign_auth *out, char *err, size_t errlen);
/* Check a parsed header against the request: timestamp within
 * SIGN_MAX_SKEW_S of now, signature equal (constant time). Returns 0, or
 * -1 with the reason in err ("timestamp ... off", "bad signature"). */
int sign_verify(const struct sign_auth *a, const char *key, size_t keylen,
    const char *method, const char *path, const void *body, size_t bodylen,
    int64_t now, char *err, size_t errlen);

#endif
