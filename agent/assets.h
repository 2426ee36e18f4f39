/* assets: the pure parts of the assets kind (probe_assets.c): finding the
 * content-hashed asset references of an index.html, and judging
 * Cache-Control headers. No I/O. */
#ifndef VANTAGE_ASSETS_H
#define VANTAGE_ASSETS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ASSETS_MAX_REFS		32	/* hashed assets compared per run */

/* Is the file name at the end of path (query and fragment ignored) content
 * hashed? True when one of its dot-, dash- or underscore-separated parts
 * before the extension is 6-64 letters and digits with at least one digit,
 * and either all lower-case hexadecimal (webpack "app.8d41e0.js") or of
 * mixed case and at least 8 long (Vite "index-BdX3k9aZ.js"). */
bool assets_is_hashed(const char *path);

/* The hashed asset references of html (len bytes; <script src>, <link
 * href> of any rel, modulepreload included, <img src> and <img srcset>), in
 * document order, each once, as absolute paths with their query
 * ("/assets/app.8d41e0.js"), resolved against page_url. References to
 * another host than page_url's (a third-party CDN), data: and the like are
 * left out. At most max are stored in out (new strings; the caller frees
 * them); *more counts the hashed ones beyond max. Returns the count. */
size_t assets_extract(const char *html, size_t len, const char *page_url,
    char **out, size_t max, size_t *more);

/* A Cache-Control header, parsed. */
struct cache_policy {
	bool	 present;
	int64_t	 max_age, s_maxage;	/* seconds; -1 absent */
	int64_t	 swr;			/* stale-while-revalidate; -1 absent */
	bool	 immutable, no_store, no_cache;
};

/* Parse a Cache-Control value (NULL: header absent). Directive names are
 * case-insensitive; values may be quoted; unknown directives are ignored. */
void assets_cache_parse(const char *value, struct cache_policy *p);
/* index.html: no-store or no-cache, or max-age (and s-maxage) at most
 * max_age_ms; stale-while-revalidate is allowed. 0, or -1 with why. */
int assets_judge_index(const char *value, int64_t max_age_ms, char *why,
    size_t whylen);
/* A hashed asset: max-age at least min_age_ms, immutable if asked, and
 * neither no-store nor no-cache. 0, or -1 with why. */
int assets_judge_asset(const char *value, int64_t min_age_ms, bool immutable,
    char *why, size_t whylen);

#endif
