/* redact: keep credentials out of what the agent records, logs and ships:
 * the userinfo of URLs ("user:pass@"), the values of query keys a check
 * names in its "redact" list, and the values of sensitive headers. Pure
 * string functions. */
#ifndef VANTAGE_REDACT_H
#define VANTAGE_REDACT_H

#include <stdbool.h>
#include <stddef.h>

/* What a redacted part becomes. */
#define REDACTED	"REDACTED"

/* A copy of url (caller frees) with the userinfo of an absolute URL
 * ("scheme://user:pass@host") replaced by REDACTED, and the value of each
 * query parameter whose name (percent-decoded, case-insensitive) is one of
 * keys[0..nkeys) replaced by REDACTED. Text that is not an absolute URL
 * keeps its query redacted the same way. NULL gives NULL. */
char *redact_url(const char *url, char *const *keys, size_t nkeys);
/* A copy of text (caller frees) with every absolute URL in it (from the
 * scheme to the next space, quote or angle bracket) redacted as redact_url
 * does. For messages that may quote a URL (libcurl's, the config's, a
 * target's). NULL gives NULL. */
char *redact_text(const char *text, char *const *keys, size_t nkeys);
/* Could redact_text change text? false: surely not (a cheap test before
 * copying: it looks for "://", and for a query when keys are given). */
bool redact_text_needed(const char *text, char *const *keys, size_t nkeys);
/* Is name (a header name or query key) one whose values are never shown:
 * one of keys[0..nkeys), compared case-insensitively, or for headers
 * (is_header) one of Authorization, Proxy-Authorization, Cookie,
 * Set-Cookie? */
bool redact_name(const char *name, size_t namelen, char *const *keys,
    size_t nkeys, bool is_header);

#endif
