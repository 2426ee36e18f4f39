/* result: the result record and its JSON form. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>

#include "result.h"
#include "xmalloc.h"

void
result_fail(struct result *r, enum errclass ec, const char *fmt, ...)
{
	va_list ap;

	r->ok = false;
	r->error_class = ec;
	va_start(ap, fmt);
	vsnprintf(r->error, sizeof(r->error), fmt, ap);
	va_end(ap);
}

static json_t *
str_or_null(const char *s)
{
	return s && *s ? json_string(s) : json_null();
}

json_t *
result_to_json(const struct result *r)
{
	json_t *o = json_object();

	json_object_set_new(o, "check", json_string(r->check));
	json_object_set_new(o, "kind", json_string(r->kind));
	json_object_set_new(o, "service", str_or_null(r->service));
	json_object_set_new(o, "layer", str_or_null(r->layer));
	json_object_set_new(o, "provider", str_or_null(r->provider));
	json_object_set_new(o, "url", str_or_null(r->url));
	json_object_set_new(o, "agent", json_string(r->agent));
	json_object_set_new(o, "region", str_or_null(r->region));
	json_object_set_new(o, "seq", json_integer(r->seq));
	json_object_set_new(o, "ts", json_integer(r->ts_ms));
	json_object_set_new(o, "ok", json_boolean(r->ok));
	json_object_set_new(o, "error_class",
	    r->ok ? json_null() : json_string(errclass_name(r->error_class)));
	json_object_set_new(o, "error", r->ok ? json_null() : json_string(r->error));
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
