/* timeutil: clocks and duration strings. */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "timeutil.h"

int64_t
time_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
time_mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t
time_mono_ms(void)
{
	return time_mono_us() / 1000;
}

static const struct {
	const char	*unit;
	int64_t		 ms;
} duration_units[] = {
	{ "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 },
	{ "d", 86400000 },
};

#define DURATION_MAX_MS ((int64_t)3650 * 86400000)	/* ten years */

int
duration_parse(const char *s, int64_t *out_ms, char *err, size_t errlen)
{
	const char *p = s;
	int64_t total = 0;

	if (s == NULL || *s == '\0') {
		snprintf(err, errlen, "empty duration (use e.g. \"10s\")");
		return -1;
	}
	while (*p) {
		int64_t n = 0;
		size_t ulen = 0, i;

		if (!isdigit((unsigned char)*p)) {
			snprintf(err, errlen, "bad duration \"%s\": expected a number "
			    "followed by ms, s, m, h or d", s);
			return -1;
		}
		while (isdigit((unsigned char)*p)) {
			n = n * 10 + (*p - '0');
			if (n > DURATION_MAX_MS) {
				snprintf(err, errlen, "duration \"%s\" is too large", s);
				return -1;
			}
			p++;
		}
		while (isalpha((unsigned char)p[ulen]))
			ulen++;
		for (i = 0; i < sizeof(duration_units) / sizeof(duration_units[0]); i++)
			if (strlen(duration_units[i].unit) == ulen &&
			    strncmp(p, duration_units[i].unit, ulen) == 0)
				break;
		if (ulen == 0 || i == sizeof(duration_units) / sizeof(duration_units[0])) {
			snprintf(err, errlen, "bad duration \"%s\": unit must be one of "
			    "ms, s, m, h, d", s);
			return -1;
		}
		/* check before multiplying: "300000000000d" would overflow */
		if (n > (DURATION_MAX_MS - total) / duration_units[i].ms) {
			snprintf(err, errlen, "duration \"%s\" is too large", s);
			return -1;
		}
		total += n * duration_units[i].ms;
		p += ulen;
	}
	*out_ms = total;
	return 0;
}

char *
duration_format(int64_t ms, char *out, size_t outlen)
{
	static const int64_t steps[] = { 86400000, 3600000, 60000, 1000, 1 };
	static const char *const names[] = { "d", "h", "m", "s", "ms" };
	size_t off = 0;

	if (outlen == 0)
		return out;
	out[0] = '\0';
	if (ms <= 0) {
		snprintf(out, outlen, "0s");
		return out;
	}
	for (int i = 0; i < 5 && ms > 0; i++) {
		if (ms >= steps[i]) {
			int n = snprintf(out + off, outlen - off, "%lld%s",
			    (long long)(ms / steps[i]), names[i]);
			if (n < 0 || (size_t)n >= outlen - off) {
				out[off] = '\0';	/* no half-written part */
				break;
			}
			off += (size_t)n;
			ms %= steps[i];
		}
	}
	return out;
}
