/* cache: what an HTTP answer says about the CDN cache that served it.
 * One enum with one string table (shared by the agent, which normalises
 * the response headers, and the collector, which counts the statuses in
 * its rollups), and the normaliser: a table of header rules for the
 * headers the common CDNs send (README, "Cache status"). Pure functions. */
#ifndef VANTAGE_CACHE_H
#define VANTAGE_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The order is the rollups' column order (cache_hit .. cache_unknown). */
enum cache_status {
	CACHE_HIT = 0,		/* served from the cache */
	CACHE_MISS,		/* not in the cache: fetched from the origin */
	CACHE_EXPIRED,		/* in the cache but stale: revalidated/refetched */
	CACHE_STALE,		/* served stale from the cache (origin not waited for) */
	CACHE_BYPASS,		/* the cache was told not to look */
	CACHE_DYNAMIC,		/* not eligible for caching */
	CACHE_UNKNOWN,		/* no header said, or a value we do not know */
	CACHE_NSTATUS
};

#define CACHE_RAW_MAX	256	/* raw header value kept, with its NUL */

struct cache_info {
	enum cache_status	 status;
	char			 raw[CACHE_RAW_MAX];	/* "Name: value" that decided; "" none */
	bool			 has_age;
	int64_t			 age_s;		/* Age header, when has_age */
};

/* The wire name ("hit", "miss", ...). */
const char *cache_status_name(enum cache_status s);
/* Parse a wire name; unknown names (and NULL) give CACHE_UNKNOWN. */
enum cache_status cache_status_parse(const char *s);
/* Does s count as a hit in the hit ratio (hit and stale: answered from the
 * cache without waiting for the origin)? */
bool cache_status_is_hit(enum cache_status s);
/* Does s count as a lookup (every status but unknown)? */
bool cache_status_is_lookup(enum cache_status s);

/* Normalise a raw response header block (lines "Name: value", CRLF or LF,
 * a status line is skipped; NULL/0 allowed) into *out. Never fails: no
 * cache header gives CACHE_UNKNOWN with raw "". */
void cache_normalise(const char *headers, size_t len, struct cache_info *out);

#endif
