/* assets: hashed asset references in HTML and Cache-Control judgement. */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "assets.h"
#include "result.h"
#include "timeutil.h"
#include "xmalloc.h"

#define ATTR_MAX	2048	/* longest attribute value looked at */

/* ---- hashed file names ---- */

/* Does s[0..n) look like a content hash? Letters, digits, '-' and '_'
 * (base64url); 6-64 long; a digit; and either only lower-case hex without
 * separators, or both cases of letters and at least 8 long. */
static bool
hash_like(const char *s, size_t n)
{
	bool digit = false, lower = false, upper = false, hex = true;

	if (n < 6 || n > 64 || s[0] == '-' || s[0] == '_')
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (isdigit(c))
			digit = true;
		else if (islower(c))
			lower = true;
		else if (isupper(c))
			upper = true;
		else if (c != '-' && c != '_')
			return false;
		if (!isdigit(c) && !(c >= 'a' && c <= 'f'))
			hex = false;
	}
	return digit && (hex || (lower && upper && n >= 8));
}

bool
assets_is_hashed(const char *path)
{
	size_t end = strcspn(path, "?#"), start = end, ext;

	while (start > 0 && path[start - 1] != '/')
		start--;
	/* the extension is not a candidate ("app.8d41e0.js": "js") */
	ext = end;
	while (ext > start && path[ext - 1] != '.')
		ext--;
	if (ext > start)
		end = ext - 1;
	/* each dot-separated part, each of its '-'/'_' suffixes ("index-
	 * BdX3k9aZ") and each token between separators */
	for (size_t ps = start; ps < end; ) {
		size_t pe = ps;

		while (pe < end && path[pe] != '.')
			pe++;
		for (size_t i = ps; i < pe; i++) {
			size_t te = i;

			if (i > ps && path[i - 1] != '-' && path[i - 1] != '_')
				continue;
			if (hash_like(path + i, pe - i))
				return true;
			while (te < pe && path[te] != '-' && path[te] != '_')
				te++;
			if (hash_like(path + i, te - i))
				return true;
		}
		ps = pe + 1;
	}
	return false;
}

/* ---- a small HTML tag scanner ---- */

static bool
name_is(const char *p, size_t n, const char *name)
{
	return strlen(name) == n && strncasecmp(p, name, n) == 0;
}

/* Decode the few entities that appear in URLs (&amp; &quot; &#39;). */
static void
decode_entities(char *s)
{
	static const struct { const char *ent; char c; } ents[] = {
		{ "&amp;", '&' }, { "&quot;", '"' }, { "&#39;", '\'' }, { "&#x27;", '\'' },
	};
	char *w = s;

	for (char *r = s; *r; ) {
		size_t i;

		for (i = 0; i < sizeof(ents) / sizeof(ents[0]); i++)
			if (strncasecmp(r, ents[i].ent, strlen(ents[i].ent)) == 0)
				break;
		if (i < sizeof(ents) / sizeof(ents[0])) {
			*w++ = ents[i].c;
			r += strlen(ents[i].ent);
		} else
			*w++ = *r++;
	}
	*w = '\0';
}

struct extract {
	CURLU	*base;
	char	*host, *port;	/* of the page */
	char	**out;
	size_t	 n, max, more;
};

/* Resolve one reference; keep it if same-host and hashed. */
static void
consider(struct extract *x, const char *raw)
{
	CURLU *u;
	char *host = NULL, *port = NULL, *path = NULL, *query = NULL, *full;
	bool same;

	while (isspace((unsigned char)*raw))
		raw++;
	if (*raw == '\0' || *raw == '#' || strncasecmp(raw, "data:", 5) == 0 ||
	    strncasecmp(raw, "javascript:", 11) == 0 || strncasecmp(raw, "blob:", 5) == 0)
		return;
	if ((u = curl_url_dup(x->base)) == NULL)
		return;
	if (curl_url_set(u, CURLUPART_URL, raw, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PATH, &path, 0) != CURLUE_OK)
		goto out;
	same = strcasecmp(host, x->host) == 0 && strcmp(port, x->port) == 0;
	if (!same || !assets_is_hashed(path))
		goto out;
	curl_url_get(u, CURLUPART_QUERY, &query, 0);
	full = query ? xasprintf("%s?%s", path, query) : xstrdup(path);
	for (size_t i = 0; i < x->n; i++)
		if (strcmp(x->out[i], full) == 0) {
			free(full);
			goto out;
		}
	if (x->n < x->max)
		x->out[x->n++] = full;
	else {
		x->more++;
		free(full);
	}
out:
	curl_free(host);
	curl_free(port);
	curl_free(path);
	curl_free(query);
	curl_url_cleanup(u);
}

/* srcset: "a.png 1x, b.png 2x" */
static void
consider_srcset(struct extract *x, char *v)
{
	char *p = v;

	while (*p) {
		size_t n;
		char save;

		while (isspace((unsigned char)*p) || *p == ',')
			p++;
		n = strcspn(p, " \t\r\n,");
		if (n == 0)
			break;
		save = p[n];
		p[n] = '\0';
		consider(x, p);
		p[n] = save;
		p += n;
		p += strcspn(p, ",");	/* skip the descriptor */
	}
}

/* Scan the attributes of a tag from p (after its name) to '>'; fill the
 * values of interest. Returns the position after the tag. */
static const char *
scan_attrs(const char *p, const char *end, char *src, char *href, char *srcset,
    char *rel)
{
	while (p < end && *p != '>') {
		const char *name;
		size_t nlen, vlen = 0;
		const char *val = NULL;
		char *dst;

		while (p < end && (isspace((unsigned char)*p) || *p == '/'))
			p++;
		if (p >= end || *p == '>')
			break;
		name = p;
		while (p < end && !isspace((unsigned char)*p) && *p != '=' && *p != '>' &&
		    *p != '/')
			p++;
		nlen = (size_t)(p - name);
		while (p < end && isspace((unsigned char)*p))
			p++;
		if (p < end && *p == '=') {
			p++;
			while (p < end && isspace((unsigned char)*p))
				p++;
			if (p < end && (*p == '"' || *p == '\'')) {
				char q = *p++;

				val = p;
				while (p < end && *p != q)
					p++;
				vlen = (size_t)(p - val);
				if (p < end)
					p++;
			} else {
				val = p;
				while (p < end && !isspace((unsigned char)*p) && *p != '>')
					p++;
				vlen = (size_t)(p - val);
			}
		}
		if (nlen == 0) {
			p++;
			continue;
		}
		dst = name_is(name, nlen, "src") ? src : name_is(name, nlen, "href") ?
		    href : name_is(name, nlen, "srcset") ? srcset :
		    name_is(name, nlen, "rel") ? rel : NULL;
		if (dst != NULL && val != NULL && vlen < ATTR_MAX) {
			memcpy(dst, val, vlen);
			dst[vlen] = '\0';
			decode_entities(dst);
		}
	}
	return p < end ? p + 1 : end;
}

/* Find "</name" (case-insensitive) from p; the position of '<' or end. */
static const char *
find_close(const char *p, const char *end, const char *name)
{
	size_t nl = strlen(name);

	for (; p + 2 + nl <= end; p++)
		if (p[0] == '<' && p[1] == '/' && strncasecmp(p + 2, name, nl) == 0)
			return p;
	return end;
}

size_t
assets_extract(const char *html, size_t len, const char *page_url,
    char **out, size_t max, size_t *more)
{
	struct extract x = { NULL, NULL, NULL, out, 0, max, 0 };
	const char *p = html, *end = html + len;
	char *src = xmalloc(ATTR_MAX), *href = xmalloc(ATTR_MAX);
	char *srcset = xmalloc(ATTR_MAX), *rel = xmalloc(ATTR_MAX);

	*more = 0;
	if ((x.base = curl_url()) == NULL ||
	    curl_url_set(x.base, CURLUPART_URL, page_url, 0) != CURLUE_OK ||
	    curl_url_get(x.base, CURLUPART_HOST, &x.host, 0) != CURLUE_OK ||
	    curl_url_get(x.base, CURLUPART_PORT, &x.port, CURLU_DEFAULT_PORT) != CURLUE_OK)
		goto out;
	while (p < end) {
		const char *name;
		size_t nlen;

		if ((p = memchr(p, '<', (size_t)(end - p))) == NULL)
			break;
		if (end - p >= 4 && memcmp(p, "<!--", 4) == 0) {
			const char *c = p + 4;

			while (c + 3 <= end && memcmp(c, "-->", 3) != 0)
				c++;
			p = c + 3 <= end ? c + 3 : end;
			continue;
		}
		name = ++p;
		while (p < end && isalnum((unsigned char)*p))
			p++;
		nlen = (size_t)(p - name);
		if (nlen == 0)
			continue;
		src[0] = href[0] = srcset[0] = rel[0] = '\0';
		p = scan_attrs(p, end, src, href, srcset, rel);
		if (name_is(name, nlen, "script")) {
			if (src[0])
				consider(&x, src);
			p = find_close(p, end, "script");	/* skip inline code */
		} else if (name_is(name, nlen, "style"))
			p = find_close(p, end, "style");
		else if (name_is(name, nlen, "link") && href[0])
			consider(&x, href);	/* stylesheet, modulepreload, preload, icon */
		else if (name_is(name, nlen, "img") || name_is(name, nlen, "source")) {
			if (src[0])
				consider(&x, src);
			if (srcset[0])
				consider_srcset(&x, srcset);
		}
	}
out:
	*more = x.more;
	curl_free(x.host);
	curl_free(x.port);
	curl_url_cleanup(x.base);
	free(src);
	free(href);
	free(srcset);
	free(rel);
	return x.n;
}

/* ---- Cache-Control ---- */

static int64_t
seconds(const char *v, size_t n)
{
	int64_t s = 0;

	if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
		v++;
		n -= 2;
	}
	if (n == 0 || n > 12)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)v[i]))
			return -1;
		s = s * 10 + (v[i] - '0');
	}
	return s;
}

void
assets_cache_parse(const char *value, struct cache_policy *p)
{
	const char *s = value;

	memset(p, 0, sizeof(*p));
	p->max_age = p->s_maxage = p->swr = -1;
	if (value == NULL)
		return;
	p->present = true;
	while (*s) {
		size_t n = strcspn(s, ","), nl;
		const char *d = s, *eq, *v = NULL;
		size_t vl = 0;

		s += n;
		if (*s == ',')
			s++;
		while (n > 0 && isspace((unsigned char)*d)) {
			d++;
			n--;
		}
		while (n > 0 && isspace((unsigned char)d[n - 1]))
			n--;
		eq = memchr(d, '=', n);
		nl = eq ? (size_t)(eq - d) : n;
		while (nl > 0 && isspace((unsigned char)d[nl - 1]))
			nl--;
		if (eq) {
			v = eq + 1;
			vl = n - (size_t)(v - d);
			while (vl > 0 && isspace((unsigned char)*v)) {
				v++;
				vl--;
			}
		}
		if (name_is(d, nl, "max-age") && v)
			p->max_age = seconds(v, vl);
		else if (name_is(d, nl, "s-maxage") && v)
			p->s_maxage = seconds(v, vl);
		else if (name_is(d, nl, "stale-while-revalidate") && v)
			p->swr = seconds(v, vl);
		else if (name_is(d, nl, "immutable"))
			p->immutable = true;
		else if (name_is(d, nl, "no-store"))
			p->no_store = true;
		else if (name_is(d, nl, "no-cache"))
			p->no_cache = true;
	}
}

int
assets_judge_index(const char *value, int64_t max_age_ms, char *why, size_t whylen)
{
	struct cache_policy p;
	char lim[32], shown[RESULT_ECHO_MAX + 4];
	int64_t eff;

	assets_cache_parse(value, &p);
	if (value != NULL)
		result_echo(shown, sizeof(shown), value, strlen(value));
	duration_format(max_age_ms, lim, sizeof(lim));
	if (!p.present) {
		snprintf(why, whylen, "no Cache-Control (want max-age at most %s)", lim);
		return -1;
	}
	if (p.no_store || p.no_cache)
		return 0;	/* revalidated every time: never stale */
	if (p.max_age < 0 && p.s_maxage < 0) {
		snprintf(why, whylen, "Cache-Control \"%s\" has no max-age (want at "
		    "most %s)", shown, lim);
		return -1;
	}
	/* a shared cache keeps it for s-maxage: the longer one counts */
	eff = p.max_age > p.s_maxage ? p.max_age : p.s_maxage;
	if (eff * 1000 > max_age_ms) {
		snprintf(why, whylen, "Cache-Control \"%s\": cached for %llds, want "
		    "at most %s", shown, (long long)eff, lim);
		return -1;
	}
	return 0;
}

int
assets_judge_asset(const char *value, int64_t min_age_ms, bool immutable,
    char *why, size_t whylen)
{
	struct cache_policy p;
	char lim[32], want[64], shown[RESULT_ECHO_MAX + 4];

	assets_cache_parse(value, &p);
	if (value != NULL)
		result_echo(shown, sizeof(shown), value, strlen(value));
	duration_format(min_age_ms, lim, sizeof(lim));
	snprintf(want, sizeof(want), "max-age >= %llds%s",
	    (long long)(min_age_ms / 1000), immutable ? " and immutable" : "");
	if (!p.present) {
		snprintf(why, whylen, "no Cache-Control (want %s)", want);
		return -1;
	}
	if (p.no_store || p.no_cache || p.max_age < 0 || p.max_age * 1000 < min_age_ms ||
	    (immutable && !p.immutable)) {
		snprintf(why, whylen, "Cache-Control \"%s\" (want %s)", shown, want);
		return -1;
	}
	return 0;
}
