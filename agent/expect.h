/* expect: judge an HTTP response against a check's expectations. */
#ifndef VANTAGE_EXPECT_H
#define VANTAGE_EXPECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "checkconf.h"
#include "result.h"

struct http_response {
	long		 status;
	const char	*headers;	/* raw header block of the last response */
	size_t		 headers_len;
	const char	*body;		/* NUL-terminated; may be NULL if not kept */
	size_t		 body_len;
	int64_t		 total_us;
};

/* Does judging e need the body / the response headers kept? */
bool expect_needs_body(const struct http_expect *e);
bool expect_needs_headers(const struct http_expect *e);

/* Judge resp against e. On the first failed expectation fills r with the
 * class (http_status, assertion or body) and a message naming what was
 * expected and what came, and returns -1; else 0 and r is untouched. What
 * came is quoted up to RESULT_ECHO_MAX bytes; the value of a header named
 * in redact[0..nredact) (or a credential header: Authorization, Cookie,
 * ...) and of a JSON key so named is shown as "REDACTED". */
int expect_eval(const struct http_expect *e, const struct http_response *resp,
    char *const *redact, size_t nredact, struct result *r);

/* Find header name (case-insensitive) in a raw header block; returns the
 * n-th value (0-based) copied into out (outlen bytes), or -1 if absent. */
int expect_header_value(const char *headers, size_t len, const char *name,
    int n, char *out, size_t outlen);

/* Resolve a dotted path ("checks.db", "items.0.id") in doc; borrowed
 * reference or NULL. */
json_t *expect_json_path(json_t *doc, const char *path);

#endif
