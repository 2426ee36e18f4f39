/* notify: the table of notification builders and the helpers every kind
 * shares (headline, facts, JSON request). */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "notify.h"
#include "timeutil.h"
#include "xmalloc.h"

static const struct notify_kind *const kinds[] = {
	&notify_kind_slack,
	&notify_kind_discord,
	&notify_kind_teams,
	&notify_kind_mattermost,
	&notify_kind_pagerduty,
	&notify_kind_opsgenie,
	&notify_kind_webhook,
	NULL
};

int
notify_build(const struct receiver_config *rc, const struct notification *n,
    struct notify_request *out, char *err, size_t errlen)
{
	for (size_t i = 0; rc->kind && kinds[i]; i++)
		if (strcmp(kinds[i]->name, rc->kind->name) == 0)
			return kinds[i]->build(rc, n, out, err, errlen);
	snprintf(err, errlen, "receiver %s: no such type", rc->name);
	return -1;
}

void
notify_request_clear(struct notify_request *r)
{
	if (r == NULL)
		return;
	free(r->url);
	curl_slist_free_all(r->headers);
	free(r->body);
	memset(r, 0, sizeof(*r));
}

char *
notify_iso8601(int64_t ms, char *out, size_t outlen)
{
	int64_t s = ms / 1000 - (ms % 1000 < 0);	/* floor */
	time_t t = (time_t)s;
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(out, outlen, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, outlen, "1970-01-01T00:00:00Z");
	return out;
}

int
notify_json_request(struct notify_request *r, const char *url, json_t *body,
    char *err, size_t errlen)
{
	/* 15 digits: 14.4 stays 14.4, not 14.400000000000000355 */
	char *s = json_dumps(body, JSON_COMPACT | JSON_REAL_PRECISION(15));

	if (s == NULL) {
		snprintf(err, errlen, "cannot encode the request body as JSON");
		return -1;
	}
	r->url = xstrdup(url);
	r->body = s;
	notify_request_header(r, "Content-Type: application/json");
	return 0;
}

void
notify_request_header(struct notify_request *r, const char *fmt, ...)
{
	struct curl_slist *l;
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if ((l = curl_slist_append(r->headers, line)) == NULL)
		abort();	/* out of memory */
	r->headers = l;
}

bool
notify_is_resolve(const struct notification *n)
{
	return strcmp(n->event, "resolve") == 0;
}

bool
notify_is_test(const struct notification *n)
{
	return strcmp(n->event, "test") == 0;
}

enum notify_tone
notify_tone(const struct notification *n)
{
	if (notify_is_test(n))
		return NOTIFY_TONE_TEST;
	if (notify_is_resolve(n))
		return NOTIFY_TONE_RESOLVED;
	if (strcmp(n->severity, "page") == 0)
		return NOTIFY_TONE_PAGE;
	if (strcmp(n->severity, "ticket") == 0)
		return NOTIFY_TONE_TICKET;
	return NOTIFY_TONE_INFO;
}

char *
notify_headline(const struct notification *n)
{
	static const struct {
		const char	*event, *label;
	} labels[] = {
		{ "trigger", "FIRING" },
		{ "update", "UPDATED" },
		{ "reminder", "STILL FIRING" },
		{ "resolve", "RESOLVED" },
		{ "test", "TEST" },
	};
	const char *label = "FIRING";

	for (size_t i = 0; i < sizeof(labels) / sizeof(labels[0]); i++)
		if (strcmp(n->event, labels[i].event) == 0)
			label = labels[i].label;
	return xasprintf("[%s] %s", label, n->title);
}

char *
notify_text(const struct notification *n)
{
	if (n->context == NULL || n->context[0] == '\0')
		return xstrdup(n->summary);
	if (n->summary[0] == '\0')
		return xstrdup(n->context);
	return xasprintf("%s\n\n%s", n->summary, n->context);
}

/* "2026-11-26 18:40:00 UTC": the facts are read by people. */
static void
human_time(int64_t ms, char *out, size_t outlen)
{
	char iso[32];

	notify_iso8601(ms, iso, sizeof(iso));
	iso[10] = ' ';
	iso[19] = '\0';
	snprintf(out, outlen, "%s UTC", iso);
}

static size_t
add_fact(struct notify_fact *f, size_t nf, size_t max, const char *name,
    const char *value)
{
	if (nf >= max || name[0] == '\0' || value == NULL || value[0] == '\0')
		return nf;
	f[nf].name = name;
	snprintf(f[nf].value, sizeof(f[nf].value), "%s", value);
	return nf + 1;
}

size_t
notify_facts(const struct notification *n, struct notify_fact *f, size_t max)
{
	char buf[NOTIFY_FACT_LEN], d[32];
	const char *key;
	size_t nf = 0;
	json_t *v;

	nf = add_fact(f, nf, max, "Severity", n->severity);
	nf = add_fact(f, nf, max, "Service", n->service);
	nf = add_fact(f, nf, max, "Layer", n->layer);
	nf = add_fact(f, nf, max, "Check", n->check);
	nf = add_fact(f, nf, max, "SLO", n->slo);
	nf = add_fact(f, nf, max, "Agent", n->agent);
	if (n->rule_type != NULL && n->rule_type[0] != '\0')
		snprintf(buf, sizeof(buf), "%s (%s)", n->rule, n->rule_type);
	else
		snprintf(buf, sizeof(buf), "%s", n->rule);
	nf = add_fact(f, nf, max, "Rule", buf);
	if (n->started_at > 0) {
		human_time(n->started_at, buf, sizeof(buf));
		nf = add_fact(f, nf, max, "Started", buf);
	}
	if (n->resolved_at > 0) {
		human_time(n->resolved_at, buf, sizeof(buf));
		nf = add_fact(f, nf, max, "Resolved", buf);
		if (n->started_at > 0 && n->resolved_at >= n->started_at) {
			/* whole seconds: "12m30s", not "12m30s417ms" */
			int64_t ms = (n->resolved_at - n->started_at + 500) / 1000 * 1000;
			nf = add_fact(f, nf, max, "Duration",
			    duration_format(ms, d, sizeof(d)));
		}
	}
	nf = add_fact(f, nf, max, "Incident", n->incident_id);
	if (json_is_object(n->details)) {
		json_object_foreach(n->details, key, v) {
			char *s;

			if (json_is_object(v) || json_is_array(v) || json_is_null(v))
				continue;
			s = notify_value_text(v);
			nf = add_fact(f, nf, max, key, s);
			free(s);
		}
	}
	return nf;
}

/* Length of the valid UTF-8 sequence at s (1-4), or 0 if it is not one. */
static size_t
utf8_len(const unsigned char *s)
{
	size_t n, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	for (i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	/* overlong, surrogates, above U+10FFFF */
	if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] > 0x9f) ||
	    (s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] > 0x8f))
		return 0;
	return n;
}

json_t *
notify_jstr(const char *s)
{
	const unsigned char *p;
	json_t *j;
	char *fix;
	size_t off = 0;

	if (s == NULL)
		return json_null();
	if ((j = json_string(s)) != NULL)
		return j;
	/* not UTF-8 (a probe's error text, say): replace the bad bytes */
	fix = xmalloc(strlen(s) * 3 + 1);
	for (p = (const unsigned char *)s; *p; ) {
		size_t n = utf8_len(p);

		if (n == 0) {
			memcpy(fix + off, "\xef\xbf\xbd", 3);
			off += 3;
			p++;
		} else {
			memcpy(fix + off, p, n);
			off += n;
			p += n;
		}
	}
	fix[off] = '\0';
	j = json_string(fix);
	free(fix);
	if (j == NULL)
		abort();
	return j;
}

char *
notify_truncate(const char *s, size_t maxchars)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t chars = 0, off = 0, cut = 0;

	if (maxchars == 0)
		return xstrdup("");
	while (p[off] != '\0') {
		size_t n = utf8_len(p + off);

		if (n == 0)
			n = 1;
		if (chars == maxchars - 1)
			cut = off;	/* room for the ellipsis */
		if (chars == maxchars)
			return xasprintf("%.*s\xe2\x80\xa6", (int)cut, s);
		chars++;
		off += n;
	}
	return xstrdup(s);
}

char *
notify_value_text(const json_t *v)
{
	char *s;

	switch (json_typeof(v)) {
	case JSON_STRING:
		return xstrdup(json_string_value(v));
	case JSON_INTEGER:
		return xasprintf("%lld", (long long)json_integer_value(v));
	case JSON_REAL:
		return xasprintf("%.6g", json_real_value(v));
	case JSON_TRUE:
		return xstrdup("true");
	case JSON_FALSE:
		return xstrdup("false");
	case JSON_NULL:
		return xstrdup("null");
	default:
		if ((s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY |
		    JSON_REAL_PRECISION(15))) == NULL)
			return xstrdup("");
		return s;
	}
}
