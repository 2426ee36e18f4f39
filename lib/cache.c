/* cache: CDN cache status from response headers (table of header rules). */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cache.h"

#define JOIN_MAX	1024	/* the joined values of one header, at most */

static const char *const status_names[CACHE_NSTATUS] = {
	"hit", "miss", "expired", "stale", "bypass", "dynamic", "unknown"
};

const char *
cache_status_name(enum cache_status s)
{
	return (unsigned)s < CACHE_NSTATUS ? status_names[s] : "unknown";
}

enum cache_status
cache_status_parse(const char *s)
{
	if (s != NULL)
		for (int i = 0; i < CACHE_NSTATUS; i++)
			if (strcmp(s, status_names[i]) == 0)
				return (enum cache_status)i;
	return CACHE_UNKNOWN;
}

bool
cache_status_is_hit(enum cache_status s)
{
	return s == CACHE_HIT || s == CACHE_STALE;
}

bool
cache_status_is_lookup(enum cache_status s)
{
	return (unsigned)s < CACHE_UNKNOWN;
}

/* One word a header may carry and what it means (compared without case). */
struct cache_word {
	const char		*word;
	enum cache_status	 status;
};

/* Cloudflare, CF-Cache-Status (developers.cloudflare.com, "Cloudflare cache
 * responses"). REVALIDATED: served from the cache after a 304 from the
 * origin; UPDATING: served stale while the cache updates. */
static const struct cache_word cf_words[] = {
	{ "HIT", CACHE_HIT }, { "MISS", CACHE_MISS }, { "EXPIRED", CACHE_EXPIRED },
	{ "STALE", CACHE_STALE }, { "BYPASS", CACHE_BYPASS },
	{ "DYNAMIC", CACHE_DYNAMIC }, { "REVALIDATED", CACHE_HIT },
	{ "UPDATING", CACHE_STALE }, { "NONE", CACHE_UNKNOWN },
	{ "UNKNOWN", CACHE_UNKNOWN }, { NULL, CACHE_UNKNOWN }
};

/* Vercel, X-Vercel-Cache. PRERENDER: served from the prerendered (static)
 * output; REVALIDATED: served from the cache after a background refresh. */
static const struct cache_word vercel_words[] = {
	{ "HIT", CACHE_HIT }, { "MISS", CACHE_MISS }, { "STALE", CACHE_STALE },
	{ "PRERENDER", CACHE_HIT }, { "REVALIDATED", CACHE_HIT },
	{ "BYPASS", CACHE_BYPASS }, { NULL, CACHE_UNKNOWN }
};

/* X-Cache: CloudFront ("Hit from cloudfront", "RefreshHit from cloudfront",
 * "Miss from cloudfront", "Error from cloudfront", "LimitExceeded ...",
 * "Redirect ..."), Fastly and Varnish ("HIT", "MISS", "HIT, MISS" along a
 * shield chain, "PASS"), Squid-style "TCP_HIT", nginx's $upstream_cache_status
 * ("HIT", "MISS", "EXPIRED", "STALE", "UPDATING", "REVALIDATED", "BYPASS").
 * The first word counts. */
static const struct cache_word xcache_words[] = {
	{ "HIT", CACHE_HIT }, { "MISS", CACHE_MISS }, { "REFRESHHIT", CACHE_HIT },
	{ "ERROR", CACHE_UNKNOWN }, { "PASS", CACHE_BYPASS },
	{ "HIT-STALE", CACHE_STALE }, { "TCP_HIT", CACHE_HIT },
	{ "TCP_MEM_HIT", CACHE_HIT }, { "TCP_MISS", CACHE_MISS },
	{ "TCP_REFRESH_HIT", CACHE_EXPIRED }, { "TCP_REFRESH_MISS", CACHE_EXPIRED },
	/* nginx's $upstream_cache_status, as "add_header X-Cache" sends it */
	{ "EXPIRED", CACHE_EXPIRED }, { "STALE", CACHE_STALE },
	{ "UPDATING", CACHE_STALE }, { "REVALIDATED", CACHE_HIT },
	{ "BYPASS", CACHE_BYPASS },
	{ NULL, CACHE_UNKNOWN }
};

/* RFC 9211 fwd= parameter values. */
static const struct cache_word fwd_words[] = {
	{ "bypass", CACHE_BYPASS }, { "method", CACHE_DYNAMIC },
	{ "uri-miss", CACHE_MISS }, { "vary-miss", CACHE_MISS },
	{ "miss", CACHE_MISS }, { "request", CACHE_BYPASS },
	{ "stale", CACHE_EXPIRED }, { "partial", CACHE_MISS },
	{ NULL, CACHE_UNKNOWN }
};

static enum cache_status
word_lookup(const struct cache_word *t, const char *w, size_t n)
{
	for (; t->word; t++)
		if (strlen(t->word) == n && strncasecmp(t->word, w, n) == 0)
			return t->status;
	return CACHE_UNKNOWN;
}

static bool
is_ows(char c)
{
	return c == ' ' || c == '\t';
}

/* The last member of a comma-separated list (commas inside quoted strings
 * do not split), trimmed: *len bytes from the returned pointer. */
static const char *
last_member(const char *v, size_t *len)
{
	const char *start = v, *p, *end;
	bool quoted = false;

	for (p = v; *p; p++) {
		if (*p == '"' && (p == v || p[-1] != '\\'))
			quoted = !quoted;
		else if (*p == ',' && !quoted)
			start = p + 1;
	}
	while (is_ows(*start))
		start++;
	end = p;
	while (end > start && is_ows(end[-1]))
		end--;
	*len = (size_t)(end - start);
	return start;
}

/* The first word (up to a space, tab or ';') of a member. */
static size_t
first_word(const char *m, size_t n)
{
	size_t i = 0;

	while (i < n && !is_ows(m[i]) && m[i] != ';')
		i++;
	return i;
}

static enum cache_status
judge_cf(const char *m, size_t n)
{
	return word_lookup(cf_words, m, first_word(m, n));
}

static enum cache_status
judge_vercel(const char *m, size_t n)
{
	return word_lookup(vercel_words, m, first_word(m, n));
}

static enum cache_status
judge_xcache(const char *m, size_t n)
{
	return word_lookup(xcache_words, m, first_word(m, n));
}

/* RFC 9211: "cache-name; hit", "cache-name; fwd=uri-miss; stored". A hit
 * parameter wins; else fwd= says why the cache went forward. */
static enum cache_status
judge_cache_status(const char *m, size_t n)
{
	enum cache_status st = CACHE_UNKNOWN;
	const char *p = m, *end = m + n;
	bool quoted = false;

	/* skip the cache's name (a token or a quoted string) */
	while (p < end && (quoted || *p != ';')) {
		if (*p == '"')
			quoted = !quoted;
		p++;
	}
	while (p < end) {
		const char *k, *val;
		size_t kl, vl = 0;

		p++;	/* the ';' */
		while (p < end && is_ows(*p))
			p++;
		k = p;
		while (p < end && *p != '=' && *p != ';' && !is_ows(*p))
			p++;
		kl = (size_t)(p - k);
		val = p;
		if (p < end && *p == '=') {
			val = ++p;
			if (p < end && *p == '"') {
				val = ++p;
				while (p < end && *p != '"')
					p++;
				vl = (size_t)(p - val);
				if (p < end)
					p++;
			} else {
				while (p < end && *p != ';' && !is_ows(*p))
					p++;
				vl = (size_t)(p - val);
			}
		}
		while (p < end && *p != ';')
			p++;
		if (kl == 3 && strncasecmp(k, "hit", 3) == 0 &&
		    (vl == 0 || (vl == 2 && strncmp(val, "?1", 2) == 0)))
			return CACHE_HIT;
		if (kl == 3 && strncasecmp(k, "fwd", 3) == 0)
			st = word_lookup(fwd_words, val, vl);
	}
	return st;
}

/* The header rules, in order of precedence: the first header present
 * decides. The vendor headers come first (they describe the CDN the check
 * is about); RFC 9211's Cache-Status next; X-Cache is generic enough that
 * origins and proxies behind the CDN send it too, so it comes last. For
 * every header the last list member counts: RFC 9211 and Fastly both put
 * the cache closest to the client last, and repeated header lines are one
 * list (RFC 9110, 5.3). */
static const struct header_rule {
	const char		*name;
	enum cache_status	(*judge)(const char *member, size_t n);
} header_rules[] = {
	{ "CF-Cache-Status", judge_cf },
	{ "X-Vercel-Cache", judge_vercel },
	{ "Cache-Status", judge_cache_status },
	{ "X-Cache", judge_xcache },
};
#define NRULES	(sizeof(header_rules) / sizeof(header_rules[0]))

/* Join the values of every `name` line of the block with ", " into out
 * (truncated at outlen). Returns whether any line had that name. */
static bool
header_join(const char *h, size_t len, const char *name, char *out, size_t outlen)
{
	size_t nlen = strlen(name), used = 0;
	const char *p = h, *end = h + len;
	bool found = false;

	out[0] = '\0';
	while (p != NULL && p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *le = eol ? eol : end, *v;
		size_t vl;

		if ((size_t)(le - p) > nlen && p[nlen] == ':' &&
		    strncasecmp(p, name, nlen) == 0) {
			v = p + nlen + 1;
			while (v < le && is_ows(*v))
				v++;
			vl = (size_t)(le - v);
			while (vl > 0 && isspace((unsigned char)v[vl - 1]))
				vl--;
			if (found && used + 2 < outlen) {
				memcpy(out + used, ", ", 2);
				used += 2;
			}
			if (used + vl >= outlen)
				vl = outlen - 1 - used;
			memcpy(out + used, v, vl);
			used += vl;
			out[used] = '\0';
			found = true;
		}
		p = eol ? eol + 1 : NULL;
	}
	return found;
}

void
cache_normalise(const char *headers, size_t len, struct cache_info *out)
{
	char v[JOIN_MAX];

	memset(out, 0, sizeof(*out));
	out->status = CACHE_UNKNOWN;
	if (headers == NULL)
		return;
	if (header_join(headers, len, "Age", v, sizeof(v))) {
		const char *m;
		size_t n;
		char num[24], *e;
		long long a;

		m = last_member(v, &n);
		if (n > 0 && n < sizeof(num) && isdigit((unsigned char)m[0])) {
			memcpy(num, m, n);
			num[n] = '\0';
			errno = 0;
			a = strtoll(num, &e, 10);
			if (*e == '\0' && errno == 0) {
				out->has_age = true;
				out->age_s = a;
			}
		}
	}
	for (size_t i = 0; i < NRULES; i++) {
		const char *m;
		size_t n;

		if (!header_join(headers, len, header_rules[i].name, v, sizeof(v)))
			continue;
		m = last_member(v, &n);
		out->status = header_rules[i].judge(m, n);
		/* "Name: value", the value cut to what fits */
		snprintf(out->raw, sizeof(out->raw), "%s: %.*s", header_rules[i].name,
		    (int)(sizeof(out->raw) - strlen(header_rules[i].name) - 3), v);
		return;
	}
	/* no cache header: an Age above 0 means a cache kept the answer */
	if (out->has_age) {
		out->status = out->age_s > 0 ? CACHE_HIT : CACHE_UNKNOWN;
		snprintf(out->raw, sizeof(out->raw), "Age: %lld", (long long)out->age_s);
	}
}
