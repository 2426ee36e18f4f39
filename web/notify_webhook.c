/* notify_webhook: a generic JSON webhook for anything else (a ticket
 * system, a chat bridge, a script), POSTed to url:
 *   {"version": 1, "event": "trigger|update|reminder|resolve|test",
 *    "incident": {"id", "rule", "type", "severity", "status": "open|resolved",
 *      "title", "summary", "context", "service", "layer", "check", "slo",
 *      "agent", "started_at", "resolved_at"},
 *    "details": {...}, "sent_at"}
 * Every key is always present (null when unknown); times are ISO 8601 UTC.
 * A test notification's title starts with "[TEST] ".
 *
 * With a secret, the request is signed so the receiver can tell it came
 * from this collector and was not replayed long after:
 *   X-Vantage-Timestamp: UNIX_SECONDS
 *   X-Vantage-Signature: sha256=HEX
 * HEX = lowercase hex(HMAC-SHA256(secret, UNIX_SECONDS "." BODY)), BODY the
 * raw request body bytes. A receiver recomputes it over the body exactly as
 * received, compares in constant time and refuses timestamps more than a
 * few minutes old. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "notify.h"
#include "sign.h"
#include "xmalloc.h"

#define WEBHOOK_VERSION	1



static json_t *
time_or_null(int64_t ms)
{
	char iso[32];

	return ms > 0 ? json_string(notify_iso8601(ms, iso, sizeof(iso))) : json_null();
}

static int
webhook_build(const struct receiver_config *rc, const struct notification *n,
    struct notify_request *out, char *err, size_t errlen)
{
	char *title, *msg, sig[SIGN_HEX_LEN + 1];
	long long ts = (long long)(n->now / 1000);
	json_t *body, *inc;
	int rv;

	title = notify_is_test(n) ? xasprintf("[TEST] %s", n->title) :
	    xstrdup(n->title);
	inc = json_pack("{s:o, s:o, s:o, s:o, s:s, s:o, s:o, s:o, s:o, s:o, s:o, "
	    "s:o, s:o, s:o, s:o}",
	    "id", notify_jstr(n->incident_id),
	    "rule", notify_jstr(n->rule),
	    "type", notify_jstr(n->rule_type),
	    "severity", notify_jstr(n->severity),
	    "status", notify_is_resolve(n) ? "resolved" : "open",
	    "title", notify_jstr(title),
	    "summary", notify_jstr(n->summary),
	    "context", notify_jstr(n->context),
	    "service", notify_jstr(n->service),
	    "layer", notify_jstr(n->layer),
	    "check", notify_jstr(n->check),
	    "slo", notify_jstr(n->slo),
	    "agent", notify_jstr(n->agent),
	    "started_at", time_or_null(n->started_at),
	    "resolved_at", time_or_null(n->resolved_at));
	body = json_pack("{s:i, s:o, s:o, s:o, s:o}",
	    "version", WEBHOOK_VERSION,
	    "event", notify_jstr(n->event),
	    "incident", inc,
	    "details", json_is_object(n->details) ? json_copy(n->details) :
	    json_object(),
	    "sent_at", time_or_null(n->now));
	free(title);
	rv = notify_json_request(out, rc->url, body, err, errlen);
	json_decref(body);
	if (rv < 0 || rc->secret == NULL)
		return rv;
	msg = xasprintf("%lld.%s", ts, out->body);
	sign_hmac_sha256_hex(rc->secret, strlen(rc->secret), msg, strlen(msg), sig);
	free(msg);
	notify_request_header(out, "X-Vantage-Timestamp: %lld", ts);
	notify_request_header(out, "X-Vantage-Signature: sha256=%s", sig);
	return 0;
}

const struct notify_kind notify_kind_webhook = {
	.name = "webhook",
	.build = webhook_build,
};
