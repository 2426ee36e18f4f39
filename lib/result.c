/* result: the result record and its JSON form. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "result.h"
#include "xmalloc.h"

/* Length of the well-formed UTF-8 sequence at s (n bytes left), 0 if the
 * bytes there are not one. */
static size_t
utf8_seq(const unsigned char *s, size_t n)
{
	unsigned char lo = 0x80, hi = 0xBF;
	size_t len;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xC2 && s[0] <= 0xDF)
		len = 2;
	else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
		len = 3;
		if (s[0] == 0xE0)
			lo = 0xA0;
		else if (s[0] == 0xED)
			hi = 0x9F;	/* no surrogates */
	} else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
		len = 4;
		if (s[0] == 0xF0)
			lo = 0x90;
		else if (s[0] == 0xF4)
			hi = 0x8F;
	} else
		return 0;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if ((s[i] & 0xC0) != 0x80)
			return 0;
	return len;
}

void
result_fail(struct result *r, enum errclass ec, const char *fmt, ...)
{
	va_list ap;
	int n;
	size_t len, i;

	r->ok = false;
	r->error_class = ec;
	va_start(ap, fmt);
	n = vsnprintf(r->error, sizeof(r->error), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n < sizeof(r->error))
		return;
	/* cut at the cap: drop a character split in two */
	len = strlen(r->error);
	i = len;
	while (i > 0 && len - i < 4 &&
	    ((unsigned char)r->error[i - 1] & 0xC0) == 0x80)
		i--;
	if (i > 0 && (unsigned char)r->error[i - 1] >= 0xC0 &&
	    utf8_seq((const unsigned char *)r->error + i - 1, len - i + 1) == 0)
		r->error[i - 1] = '\0';
}

/* A JSON string for s (null for NULL, and for "" when empty_null). Bytes
 * that are not UTF-8 (a server's header value quoted in a message) become
 * '?': json_string() refuses them, which would silently drop the field. */
static json_t *
str_json(const char *s, bool empty_null)
{
	json_t *v;
	char *copy;
	size_t len, i, k;

	if (s == NULL || (empty_null && *s == '\0'))
		return json_null();
	if ((v = json_string(s)) != NULL)
		return v;
	len = strlen(s);
	copy = xmalloc(len + 1);
	for (i = 0; i < len; i += k) {
		k = utf8_seq((const unsigned char *)s + i, len - i);
		if (k == 0) {
			copy[i] = '?';
			k = 1;
		} else
			memcpy(copy + i, s + i, k);
	}
	copy[len] = '\0';
	v = json_string(copy);
	free(copy);
	return v ? v : json_null();
}

json_t *
result_text_json(const char *s, size_t n)
{
	char *copy = xmalloc(n + 1);
	size_t i, k;
	json_t *v;

	for (i = 0; i < n; i += k) {
		k = utf8_seq((const unsigned char *)s + i, n - i);
		if (k == 0 || ((unsigned char)s[i] < 0x20 && s[i] != '\t' &&
		    s[i] != '\r' && s[i] != '\n') || s[i] == 0x7f) {
			copy[i] = '?';
			k = 1;
		} else
			memcpy(copy + i, s + i, k);
	}
	copy[n] = '\0';
	v = json_stringn(copy, n);
	free(copy);
	return v ? v : json_string("");
}

char *
result_echo(char *out, size_t outlen, const char *s, size_t n)
{
	size_t o = 0, i, k, cap = RESULT_ECHO_MAX;

	if (outlen == 0)
		return out;
	if (outlen < cap + 4)
		cap = outlen > 4 ? outlen - 4 : 0;
	for (i = 0; s != NULL && i < n; i += k) {
		const unsigned char *u = (const unsigned char *)s + i;

		k = utf8_seq(u, n - i);
		if (k == 0 || u[0] < 0x20 || u[0] == 0x7f)
			k = 1;
		if (o + k > cap)
			break;
		if (k == 1 && (u[0] < 0x20 || u[0] == 0x7f ||
		    utf8_seq(u, n - i) == 0))
			out[o++] = '?';
		else {
			memcpy(out + o, u, k);
			o += k;
		}
	}
	if (s != NULL && i < n && outlen >= o + 4) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
	return out;
}

void
result_release(struct result *r)
{
	if (r == NULL)
		return;
	json_decref(r->extra);
	r->extra = NULL;
}

void
result_set_extra(struct result *r, const char *key, json_t *v)
{
	if (r->extra == NULL)
		r->extra = json_object();
	json_object_set_new(r->extra, key, v ? v : json_null());
}

static json_t *
str_or_null(const char *s)
{
	return str_json(s, true);
}

json_t *
result_to_json(const struct result *r)
{
	const char *ec = errclass_name(r->error_class);
	json_t *o = json_object();

	json_object_set_new(o, "check", str_json(r->check, false));
	json_object_set_new(o, "kind", str_json(r->kind, false));
	json_object_set_new(o, "service", str_or_null(r->service));
	json_object_set_new(o, "layer", str_or_null(r->layer));
	json_object_set_new(o, "provider", str_or_null(r->provider));
	json_object_set_new(o, "url", str_or_null(r->url));
	json_object_set_new(o, "agent", str_json(r->agent, false));
	json_object_set_new(o, "region", str_or_null(r->region));
	json_object_set_new(o, "seq", json_integer(r->seq));
	json_object_set_new(o, "ts", json_integer(r->ts_ms));
	json_object_set_new(o, "ok", json_boolean(r->ok));
	/* a failure always has a class, even if a caller forgot to set one */
	json_object_set_new(o, "error_class",
	    r->ok ? json_null() : json_string(ec ? ec : "internal"));
	json_object_set_new(o, "error", r->ok ? json_null() : str_json(r->error, false));
	json_object_set_new(o, "status", r->status ? json_integer(r->status) : json_null());
	json_object_set_new(o, "http_version", str_or_null(r->http_version));
	json_object_set_new(o, "ip", str_or_null(r->ip));
	json_object_set_new(o, "bytes", json_integer(r->bytes));
	json_object_set_new(o, "truncated", json_boolean(r->truncated));
	json_object_set_new(o, "dns_us", json_integer(r->dns_us));
	json_object_set_new(o, "connect_us", json_integer(r->connect_us));
	json_object_set_new(o, "tls_us", json_integer(r->tls_us));
	json_object_set_new(o, "processing_us", json_integer(r->processing_us));
	json_object_set_new(o, "transfer_us", json_integer(r->transfer_us));
	json_object_set_new(o, "total_us", json_integer(r->total_us));
	json_object_set_new(o, "attempts", json_integer(r->attempts));
	json_object_set_new(o, "cert_not_after",
	    r->cert_not_after ? json_integer(r->cert_not_after) : json_null());
	/* only when true: a record of a healthy agent is unchanged */
	if (r->inconclusive)
		json_object_set_new(o, "inconclusive", json_true());
	/* a kind's own fields never replace the common ones */
	if (r->extra != NULL) {
		const char *key;
		json_t *v;

		json_object_foreach(r->extra, key, v)
			if (json_object_get(o, key) == NULL)
				json_object_set(o, key, v);
	}
	return o;
}

char *
result_to_line(const struct result *r)
{
	json_t *o = result_to_json(r);
	char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);

	json_decref(o);
	if (s == NULL)
		s = xstrdup("{}");
	return s;
}
