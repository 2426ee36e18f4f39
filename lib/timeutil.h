/* timeutil: clocks and the duration strings used in configs and flags. */
#ifndef VANTAGE_TIMEUTIL_H
#define VANTAGE_TIMEUTIL_H

#include <stddef.h>
#include <stdint.h>

/* Wall clock, Unix milliseconds UTC. */
int64_t time_now_ms(void);
/* Monotonic clock in microseconds (for deadlines and lateness). */
int64_t time_mono_us(void);
/* Monotonic clock in milliseconds. */
int64_t time_mono_ms(void);

/* Parse a duration such as "250ms", "10s", "5m", "1h", "30d" or "1h30m"
 * into milliseconds. Returns 0, or -1 with a message in err (errlen bytes). */
int duration_parse(const char *s, int64_t *out_ms, char *err, size_t errlen);
/* Format ms as the shortest exact duration string ("1h30m", "250ms") into
 * out (at least 32 bytes). Returns out. */
char *duration_format(int64_t ms, char *out, size_t outlen);

#endif
