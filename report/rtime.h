/* rtime: the report's clock and calendar: RFC 3339 times and dates in and
 * out, UTC calendar months, and the window a report covers. */
#ifndef VANTAGE_RTIME_H
#define VANTAGE_RTIME_H

#include <stddef.h>
#include <stdint.h>

#define RTIME_MIN_MS	60000LL
#define RTIME_HOUR_MS	3600000LL
#define RTIME_DAY_MS	86400000LL

/* Parse an RFC 3339 time ("2026-10-31T23:50:00Z", "...T23:50:00.250+01:00",
 * lower-case t/z and a space instead of T accepted) or a date
 * ("2026-10-31", midnight UTC) into Unix ms. Returns 0, or -1 with a
 * message in err. */
int rtime_parse(const char *s, int64_t *out_ms, char *err, size_t errlen);
/* Parse "YYYY-MM" into the UTC calendar month [*from_ms, *to_ms). 0 or -1
 * with a message in err. */
int rtime_month(const char *s, int64_t *from_ms, int64_t *to_ms, char *err,
    size_t errlen);
/* Format ms as RFC 3339 UTC ("2026-10-31T23:50:00Z"; ".250" only when the
 * time has milliseconds) into out (at least 32 bytes). Returns out. */
char *rtime_format(int64_t ms, char *out, size_t outlen);
/* Format ms as "2026-10-31 23:50" (seconds only when not 0) for tables.
 * Returns out (at least 32 bytes). */
char *rtime_short(int64_t ms, char *out, size_t outlen);
/* Format a duration for people, rounded to seconds: "90s" is "1m30s",
 * "0s" for less than a second. Returns out (at least 32 bytes). */
char *rtime_duration(int64_t ms, char *out, size_t outlen);
/* t rounded down to a multiple of w (also for negative t). The start the
 * SLO numbers really cover is core/rollup.h's rollup_window_start. */
int64_t rtime_floor(int64_t t, int64_t w);

#endif
