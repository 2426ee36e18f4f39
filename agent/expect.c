/* expect: status, header, body, JSON and latency expectations. */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "expect.h"
#include "redact.h"

bool
expect_needs_body(const struct http_expect *e)
{
	return e->body_contains || e->body_regex || e->njson > 0;
}

bool
expect_needs_headers(const struct http_expect *e)
{
	return e->nheaders > 0;
}

int
expect_header_value(const char *headers, size_t len, const char *name,
    int n, char *out, size_t outlen)
{
	size_t nlen = strlen(name);
	const char *p = headers, *end = headers + len;

	if (headers == NULL || outlen == 0)
		return -1;
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *le = eol ? eol : end;

		if ((size_t)(le - p) > nlen && p[nlen] == ':' &&
		    strncasecmp(p, name, nlen) == 0 && n-- == 0) {
			const char *v = p + nlen + 1;
			size_t vl;

			while (v < le && (*v == ' ' || *v == '\t'))
				v++;
			vl = (size_t)(le - v);
			while (vl > 0 && isspace((unsigned char)v[vl - 1]))
				vl--;
			if (vl >= outlen)
				vl = outlen - 1;
			memcpy(out, v, vl);
			out[vl] = '\0';
			return 0;
		}
		p = le + 1;
	}
	return -1;
}

json_t *
expect_json_path(json_t *doc, const char *path)
{
	char part[256];
	const char *p = path;

	while (doc && *p) {
		size_t n = strcspn(p, ".");
		char *end;

		if (n >= sizeof(part))
			return NULL;
		memcpy(part, p, n);
		part[n] = '\0';
		if (json_is_object(doc))
			doc = json_object_get(doc, part);
		else if (json_is_array(doc)) {
			/* digits only: strtoul would also take " 1", "+1", "-1" */
			unsigned long i = strtoul(part, &end, 10);
			doc = (*end == '\0' && n > 0 && strspn(part, "0123456789") == n) ?
			    json_array_get(doc, i) : NULL;
		} else
			doc = NULL;
		p += n;
		if (*p == '.')
			p++;
	}
	return doc;
}

/* Equal JSON values; 1 and 1.0 are the same number. Two integers compare
 * exactly (as doubles, 2^53 + 1 would equal 2^53). */
static bool
json_same(json_t *a, json_t *b)
{
	if (json_is_integer(a) && json_is_integer(b))
		return json_integer_value(a) == json_integer_value(b);
	if (json_is_number(a) && json_is_number(b))
		return json_number_value(a) == json_number_value(b);
	return json_equal(a, b);
}

/* v as compact JSON, cut at RESULT_ECHO_MAX bytes. */
static void
json_short(json_t *v, char *out, size_t outlen)
{
	char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);

	if (s == NULL)
		snprintf(out, outlen, "?");
	else
		result_echo(out, outlen, s, strlen(s));
	free(s);
}

/* The last part of a dotted JSON path ("checks.token" -> "token"). */
static const char *
json_leaf(const char *path)
{
	const char *dot = strrchr(path, '.');

	return dot ? dot + 1 : path;
}

static int
eval_headers(const struct http_expect *e, const struct http_response *resp,
    char *const *redact, size_t nredact, struct result *r)
{
	for (size_t i = 0; i < e->nheaders; i++) {
		const struct header_expect *h = &e->headers[i];
		char val[8192], shown[RESULT_ECHO_MAX + 4];
		bool found = false, matched = false;
		bool secret = redact_name(h->name, strlen(h->name), redact, nredact,
		    true);

		for (int n = 0; expect_header_value(resp->headers, resp->headers_len,
		    h->name, n, val, sizeof(val)) == 0; n++) {
			found = true;
			if (h->op == HEADER_EQUALS && strcmp(val, h->value) == 0)
				matched = true;
			if (h->op == HEADER_REGEX && regexec(&h->re, val, 0, NULL, 0) == 0)
				matched = true;
		}
		/* what the message may show of the value */
		if (found && secret)
			snprintf(shown, sizeof(shown), "%s", REDACTED);
		switch (h->op) {
		case HEADER_PRESENT:
			if (!found) {
				result_fail(r, ERRCLASS_ASSERTION, "header %s missing", h->name);
				return -1;
			}
			break;
		case HEADER_ABSENT:
			if (found) {
				if (!secret)
					result_echo(shown, sizeof(shown), val, strlen(val));
				result_fail(r, ERRCLASS_ASSERTION,
				    "header %s present (\"%s\"), expected absent", h->name,
				    shown);
				return -1;
			}
			break;
		case HEADER_EQUALS:
		case HEADER_REGEX:
			if (!found) {
				result_fail(r, ERRCLASS_ASSERTION, "header %s missing "
				    "(expected %s \"%s\")", h->name,
				    h->op == HEADER_EQUALS ? "equal to" : "matching",
				    secret ? REDACTED : h->value);
				return -1;
			}
			if (!matched) {
				expect_header_value(resp->headers, resp->headers_len,
				    h->name, 0, val, sizeof(val));
				if (!secret)
					result_echo(shown, sizeof(shown), val, strlen(val));
				result_fail(r, ERRCLASS_ASSERTION, "header %s is \"%s\", "
				    "expected %s \"%s\"", h->name, shown,
				    h->op == HEADER_EQUALS ? "equal to" : "matching",
				    secret ? REDACTED : h->value);
				return -1;
			}
			break;
		}
	}
	return 0;
}

static int
eval_json(const struct http_expect *e, const struct http_response *resp,
    char *const *redact, size_t nredact, struct result *r)
{
	json_error_t je;
	json_t *doc;
	int rc = 0;

	doc = json_loadb(resp->body ? resp->body : "", resp->body_len,
	    JSON_DECODE_ANY, &je);
	if (doc == NULL) {
		char why[RESULT_ECHO_MAX + 4];

		/* jansson's text may quote the body: cut it like any echo */
		result_echo(why, sizeof(why), je.text, strlen(je.text));
		result_fail(r, ERRCLASS_BODY, "body is not JSON (line %d: %s)",
		    je.line, why);
		return -1;
	}
	for (size_t i = 0; i < e->njson && rc == 0; i++) {
		json_t *got = expect_json_path(doc, e->json[i].path);
		const char *leaf = json_leaf(e->json[i].path);
		bool secret = redact_name(leaf, strlen(leaf), redact, nredact, false);
		char want[RESULT_ECHO_MAX + 4], have[RESULT_ECHO_MAX + 4];

		if (secret)
			snprintf(want, sizeof(want), "%s", REDACTED);
		else
			json_short(e->json[i].value, want, sizeof(want));
		if (got == NULL) {
			result_fail(r, ERRCLASS_BODY, "JSON %s missing (expected %s)",
			    e->json[i].path, want);
			rc = -1;
		} else if (!json_same(got, e->json[i].value)) {
			if (secret)
				snprintf(have, sizeof(have), "%s", REDACTED);
			else
				json_short(got, have, sizeof(have));
			result_fail(r, ERRCLASS_BODY, "JSON %s is %s, expected %s",
			    e->json[i].path, have, want);
			rc = -1;
		}
	}
	json_decref(doc);
	return rc;
}

int
expect_eval(const struct http_expect *e, const struct http_response *resp,
    char *const *redact, size_t nredact, struct result *r)
{
	if (!checkconf_status_ok(e, resp->status)) {
		char want[128] = "";
		size_t off = 0;

		for (size_t i = 0; i < e->nstatus && off < sizeof(want); i++) {
			int n = e->status[i].lo == e->status[i].hi ?
			    snprintf(want + off, sizeof(want) - off, "%s%d",
				i ? ", " : "", e->status[i].lo) :
			    snprintf(want + off, sizeof(want) - off, "%s%d-%d",
				i ? ", " : "", e->status[i].lo, e->status[i].hi);
			if (n < 0)
				break;
			off += (size_t)n;
		}
		result_fail(r, ERRCLASS_HTTP_STATUS, "HTTP status %ld, expected %s",
		    resp->status, want);
		return -1;
	}
	if (e->nheaders > 0 && eval_headers(e, resp, redact, nredact, r) < 0)
		return -1;
	if (e->body_contains && (resp->body == NULL ||
	    memmem(resp->body, resp->body_len, e->body_contains,
	    strlen(e->body_contains)) == NULL)) {
		result_fail(r, ERRCLASS_BODY, "body does not contain \"%s\"",
		    e->body_contains);
		return -1;
	}
	if (e->body_regex && regexec(&e->body_re, resp->body ? resp->body : "",
	    0, NULL, 0) != 0) {
		result_fail(r, ERRCLASS_BODY, "body does not match /%s/", e->body_regex);
		return -1;
	}
	if (e->njson > 0 && eval_json(e, resp, redact, nredact, r) < 0)
		return -1;
	if (e->max_latency_ms > 0 && resp->total_us > e->max_latency_ms * 1000) {
		result_fail(r, ERRCLASS_ASSERTION, "took %lld ms, max_latency is %lld ms",
		    (long long)(resp->total_us / 1000), (long long)e->max_latency_ms);
		return -1;
	}
	return 0;
}
