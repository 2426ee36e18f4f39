/* rtime: RFC 3339 times, calendar months, human durations. */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "rtime.h"

int64_t
rtime_floor(int64_t t, int64_t w)
{
	return t - ((t % w) + w) % w;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
 * days_from_civil): no time zone, no libc state. */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int
days_in_month(int64_t y, int m)
{
	static const int dm[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : dm[m - 1];
}

/* Read exactly n digits at *p into *v. */
static int
digits(const char **p, int n, int *v)
{
	*v = 0;
	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return -1;
		*v = *v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	return 0;
}

/* "YYYY-MM-DD" at *p. */
static int
parse_date(const char **p, int *y, int *m, int *d)
{
	if (digits(p, 4, y) < 0 || *(*p)++ != '-' || digits(p, 2, m) < 0 ||
	    *(*p)++ != '-' || digits(p, 2, d) < 0)
		return -1;
	if (*m < 1 || *m > 12 || *d < 1 || *d > days_in_month(*y, *m))
		return -1;
	return 0;
}

int
rtime_parse(const char *s, int64_t *out_ms, char *err, size_t errlen)
{
	const char *p = s;
	int y, mo, d, h = 0, mi = 0, sec = 0, ms = 0, off = 0;

	if (s == NULL || parse_date(&p, &y, &mo, &d) < 0)
		goto bad;
	if (*p != '\0') {
		if (*p != 'T' && *p != 't' && *p != ' ')
			goto bad;
		p++;
		if (digits(&p, 2, &h) < 0 || *p++ != ':' || digits(&p, 2, &mi) < 0 ||
		    *p++ != ':' || digits(&p, 2, &sec) < 0 || h > 23 || mi > 59 ||
		    sec > 60)
			goto bad;
		if (sec == 60)
			sec = 59;	/* a leap second: Unix time has none */
		if (*p == '.') {
			int scale = 100, n = 0;

			p++;
			while (isdigit((unsigned char)*p)) {
				ms += (*p - '0') * scale;
				scale /= 10;
				p++;
				n++;
			}
			if (n == 0)
				goto bad;
		}
		if (*p == 'Z' || *p == 'z')
			p++;
		else if (*p == '+' || *p == '-') {
			int sign = *p++ == '-' ? -1 : 1, oh, om;

			if (digits(&p, 2, &oh) < 0 || *p++ != ':' || digits(&p, 2, &om) < 0 ||
			    oh > 23 || om > 59)
				goto bad;
			off = sign * (oh * 60 + om);
		} else
			goto bad;	/* a time needs its offset */
		if (*p != '\0')
			goto bad;
	}
	*out_ms = ((days_from_civil(y, mo, d) * 24 + h) * 60 + mi - off) * 60000LL +
	    sec * 1000LL + ms;
	return 0;
bad:
	snprintf(err, errlen, "bad time \"%s\": want RFC 3339 (2026-10-31T23:50:00Z) "
	    "or a date (2026-10-31)", s ? s : "");
	return -1;
}

int
rtime_month(const char *s, int64_t *from_ms, int64_t *to_ms, char *err,
    size_t errlen)
{
	const char *p = s;
	int y, m;

	if (s == NULL || digits(&p, 4, &y) < 0 || *p++ != '-' || digits(&p, 2, &m) < 0 ||
	    *p != '\0' || m < 1 || m > 12) {
		snprintf(err, errlen, "bad month \"%s\": want YYYY-MM, e.g. 2026-10",
		    s ? s : "");
		return -1;
	}
	*from_ms = days_from_civil(y, m, 1) * RTIME_DAY_MS;
	*to_ms = m == 12 ? days_from_civil(y + 1, 1, 1) * RTIME_DAY_MS :
	    days_from_civil(y, m + 1, 1) * RTIME_DAY_MS;
	return 0;
}

static void
split(int64_t ms, struct tm *tm, int *frac)
{
	time_t t = (time_t)(rtime_floor(ms, 1000) / 1000);

	*frac = (int)(ms - rtime_floor(ms, 1000));
	gmtime_r(&t, tm);
}

char *
rtime_format(int64_t ms, char *out, size_t outlen)
{
	struct tm tm;
	int frac;

	split(ms, &tm, &frac);
	if (frac)
		snprintf(out, outlen, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		    tm.tm_min, tm.tm_sec, frac);
	else
		snprintf(out, outlen, "%04d-%02d-%02dT%02d:%02d:%02dZ",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		    tm.tm_min, tm.tm_sec);
	return out;
}

char *
rtime_short(int64_t ms, char *out, size_t outlen)
{
	struct tm tm;
	int frac;

	split(ms, &tm, &frac);
	if (tm.tm_sec || frac)
		snprintf(out, outlen, "%04d-%02d-%02d %02d:%02d:%02d",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		    tm.tm_min, tm.tm_sec);
	else
		snprintf(out, outlen, "%04d-%02d-%02d %02d:%02d",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		    tm.tm_min);
	return out;
}

char *
rtime_duration(int64_t ms, char *out, size_t outlen)
{
	int64_t s = (ms + 500) / 1000, d = s / 86400, h = s / 3600 % 24;
	int64_t m = s / 60 % 60, sec = s % 60;
	size_t off = 0;

	out[0] = '\0';
	if (ms < 500) {
		snprintf(out, outlen, "0s");
		return out;
	}
#define PART(v, u) do {							\
	if ((v) && off < outlen) {					\
		int n = snprintf(out + off, outlen - off, "%lld%s",	\
		    (long long)(v), u);					\
		off += n > 0 ? (size_t)n : 0;				\
	}								\
} while (0)
	PART(d, "d");
	PART(h, "h");
	PART(m, "m");
	PART(sec, "s");
#undef PART
	return out;
}
