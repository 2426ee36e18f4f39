/* redact: userinfo, secret query values and sensitive headers out of text. */
#include "config.h"

#include <ctype.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "redact.h"
#include "xmalloc.h"

#define KEY_MAX	128	/* longer query keys are never a configured one */

static const char *const secret_headers[] = {
	"Authorization", "Proxy-Authorization", "Cookie", "Set-Cookie", NULL
};

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

bool
redact_name(const char *name, size_t namelen, char *const *keys, size_t nkeys,
    bool is_header)
{
	for (size_t i = 0; i < nkeys; i++)
		if (strlen(keys[i]) == namelen &&
		    strncasecmp(keys[i], name, namelen) == 0)
			return true;
	for (size_t i = 0; is_header && secret_headers[i]; i++)
		if (strlen(secret_headers[i]) == namelen &&
		    strncasecmp(secret_headers[i], name, namelen) == 0)
			return true;
	return false;
}

/* Is the query key k[0..n) (percent-encoded) one of keys? */
static bool
key_listed(const char *k, size_t n, char *const *keys, size_t nkeys)
{
	char dec[KEY_MAX + 1];
	size_t o = 0;

	if (nkeys == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = k[i];

		if (o == KEY_MAX)
			return false;
		if (c == '%' && i + 2 < n && hexval(k[i + 1]) >= 0 &&
		    hexval(k[i + 2]) >= 0) {
			c = (char)(hexval(k[i + 1]) * 16 + hexval(k[i + 2]));
			i += 2;
		}
		dec[o++] = c;
	}
	return redact_name(dec, o, keys, nkeys, false);
}

/* Length of the scheme ending just before s[at] == ':' of "://", or 0. */
static size_t
scheme_len(const char *s, size_t at)
{
	size_t i = at;

	while (i > 0 && (isalnum((unsigned char)s[i - 1]) || s[i - 1] == '+' ||
	    s[i - 1] == '-' || s[i - 1] == '.'))
		i--;
	while (i < at && !isalpha((unsigned char)s[i]))
		i++;		/* a scheme starts with a letter */
	return at - i;
}

/* Redact the URL s[0..n) into out (room for n * 9 + 16 bytes); returns the
 * bytes written (no NUL). */
static size_t
redact_span(const char *s, size_t n, char *const *keys, size_t nkeys, char *out)
{
	size_t o = 0, i = 0, q, end;
	const char *sep = NULL;

	/* scheme://userinfo@host */
	for (size_t k = 0; k + 2 < n; k++) {
		if (s[k] == '/' || s[k] == '?' || s[k] == '#')
			break;
		if (s[k] == ':' && s[k + 1] == '/' && s[k + 2] == '/') {
			sep = s + k;
			break;
		}
	}
	if (sep != NULL && scheme_len(s, (size_t)(sep - s)) > 0) {
		size_t auth = (size_t)(sep - s) + 3, alen = 0, at = SIZE_MAX;

		while (auth + alen < n && strchr("/?#", s[auth + alen]) == NULL)
			alen++;
		for (size_t k = auth; k < auth + alen; k++)
			if (s[k] == '@')
				at = k;
		memcpy(out, s, auth);
		o = auth;
		if (at != SIZE_MAX) {
			memcpy(out + o, REDACTED, strlen(REDACTED));
			o += strlen(REDACTED);
			i = at;		/* from the '@' on */
		} else
			i = auth;
	}
	/* the query, up to a fragment */
	for (q = i; q < n && s[q] != '?' && s[q] != '#'; q++)
		;
	memcpy(out + o, s + i, q - i);
	o += q - i;
	if (q >= n || s[q] == '#' || nkeys == 0) {
		memcpy(out + o, s + q, n - q);
		return o + n - q;
	}
	for (end = q + 1; end < n && s[end] != '#'; end++)
		;
	out[o++] = '?';
	for (size_t p = q + 1; p <= end; ) {
		size_t plen = 0, klen;

		while (p + plen < end && s[p + plen] != '&')
			plen++;
		for (klen = 0; klen < plen && s[p + klen] != '='; klen++)
			;
		if (klen < plen && key_listed(s + p, klen, keys, nkeys)) {
			memcpy(out + o, s + p, klen + 1);
			o += klen + 1;
			memcpy(out + o, REDACTED, strlen(REDACTED));
			o += strlen(REDACTED);
		} else {
			memcpy(out + o, s + p, plen);
			o += plen;
		}
		p += plen;
		if (p < end)
			out[o++] = '&';
		p++;
	}
	memcpy(out + o, s + end, n - end);
	return o + n - end;
}

char *
redact_url(const char *url, char *const *keys, size_t nkeys)
{
	size_t n, o;
	char *out;

	if (url == NULL)
		return NULL;
	n = strlen(url);
	out = xmalloc(n * 9 + 16);
	o = redact_span(url, n, keys, nkeys, out);
	out[o] = '\0';
	return out;
}

bool
redact_text_needed(const char *text, char *const *keys, size_t nkeys)
{
	if (text == NULL)
		return false;
	return strstr(text, "://") != NULL || (nkeys > 0 && strchr(text, '?'));
}

char *
redact_text(const char *text, char *const *keys, size_t nkeys)
{
	size_t n, o = 0, i = 0;
	char *out;
	const char *p;

	if (text == NULL)
		return NULL;
	n = strlen(text);
	out = xmalloc(n * 9 + 16);
	while ((p = strstr(text + i, "://")) != NULL) {
		size_t at = (size_t)(p - text), sl = scheme_len(text, at), start, end;

		if (sl == 0) {
			memcpy(out + o, text + i, at + 3 - i);
			o += at + 3 - i;
			i = at + 3;
			continue;
		}
		start = at - sl;
		end = at + 3;
		while (end < n && strchr(" \t\r\n\"'<>", text[end]) == NULL)
			end++;
		memcpy(out + o, text + i, start - i);
		o += start - i;
		o += redact_span(text + start, end - start, keys, nkeys, out + o);
		i = end;
	}
	memcpy(out + o, text + i, n - i);
	o += n - i;
	out[o] = '\0';
	return out;
}
