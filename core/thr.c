/* thr: threshold-count blobs (see thr.h). */
#include "config.h"

#include <stdlib.h>

#include "thr.h"
#include "xmalloc.h"

static size_t
put_varint(unsigned char *p, uint64_t v)
{
	size_t n = 0;

	while (v >= 0x80) {
		p[n++] = (unsigned char)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (unsigned char)v;
	return n;
}

static int
get_varint(const unsigned char **p, const unsigned char *end, uint64_t *v)
{
	int shift = 0;

	*v = 0;
	while (*p < end && shift < 64) {
		unsigned char c = *(*p)++;
		*v |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80))
			return 0;
		shift += 7;
	}
	return -1;
}

unsigned char *
thr_encode(const int64_t *us, const int64_t *count, size_t n, size_t *len)
{
	unsigned char *out = xmalloc(n * 20 + 1), *p = out;
	int64_t prev = 0;

	for (size_t i = 0; i < n; i++) {
		p += put_varint(p, (uint64_t)(us[i] - prev));
		p += put_varint(p, (uint64_t)(count[i] < 0 ? 0 : count[i]));
		prev = us[i];
	}
	*len = (size_t)(p - out);
	return out;
}

/* The next pair of a blob: 1, 0 at its end, -1 when malformed. */
static int
next_pair(const unsigned char **p, const unsigned char *end, int64_t *us,
    int64_t *count)
{
	uint64_t d, c;

	if (*p >= end)
		return 0;
	if (get_varint(p, end, &d) < 0 || get_varint(p, end, &c) < 0 || d == 0 ||
	    d > (uint64_t)INT64_MAX - (uint64_t)*us || c > (uint64_t)INT64_MAX)
		return -1;
	*us += (int64_t)d;
	*count = (int64_t)c;
	return 1;
}

int64_t
thr_lookup(const unsigned char *blob, size_t len, int64_t us)
{
	const unsigned char *p = blob, *end = blob + len;
	int64_t t = 0, c;
	int rc;

	if (blob == NULL)
		return -1;
	while ((rc = next_pair(&p, end, &t, &c)) == 1) {
		if (t == us)
			return c;
		if (t > us)
			break;
	}
	return -1;
}

unsigned char *
thr_merge(const unsigned char *a, size_t alen, const unsigned char *b,
    size_t blen, size_t *len)
{
	const unsigned char *pa = a, *ea = a + (a ? alen : 0);
	const unsigned char *pb = b, *eb = b + (b ? blen : 0);
	unsigned char *out = xmalloc(alen + blen + 1), *p = out;
	int64_t ta = 0, ca = 0, tb = 0, cb = 0, prev = 0;
	int ra, rb;

	if (a == NULL)
		pa = ea = NULL;
	if (b == NULL)
		pb = eb = NULL;
	ra = pa ? next_pair(&pa, ea, &ta, &ca) : 0;
	rb = pb ? next_pair(&pb, eb, &tb, &cb) : 0;
	while (ra == 1 || rb == 1) {
		int64_t t, c;

		if (rb != 1 || (ra == 1 && ta < tb)) {
			t = ta;
			c = ca;
			ra = next_pair(&pa, ea, &ta, &ca);
		} else if (ra != 1 || tb < ta) {
			t = tb;
			c = cb;
			rb = next_pair(&pb, eb, &tb, &cb);
		} else {
			t = ta;
			c = ca > INT64_MAX - cb ? INT64_MAX : ca + cb;
			ra = next_pair(&pa, ea, &ta, &ca);
			rb = next_pair(&pb, eb, &tb, &cb);
		}
		p += put_varint(p, (uint64_t)(t - prev));
		p += put_varint(p, (uint64_t)c);
		prev = t;
	}
	if (ra < 0 || rb < 0) {
		free(out);
		return NULL;
	}
	*len = (size_t)(p - out);
	return out;
}
