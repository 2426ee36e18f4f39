/* sketch: log-bucket quantile sketch with 1 % relative error. */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sketch.h"
#include "xmalloc.h"

/* gamma = (1 + a) / (1 - a); log(gamma) computed once */
static double sketch_lg;

static double
lg(void)
{
	if (sketch_lg == 0)
		sketch_lg = log((1 + SKETCH_ALPHA) / (1 - SKETCH_ALPHA));
	return sketch_lg;
}

void
sketch_init(struct sketch *s)
{
	memset(s, 0, sizeof(*s));
	s->lo = SKETCH_NBUCKETS;
	s->hi = -1;
}

void
sketch_free(struct sketch *s)
{
	if (s == NULL)
		return;
	free(s->b);
	sketch_init(s);
}

int
sketch_index(double v)
{
	double i;

	if (v < 1)
		return -1;
	i = ceil(log(v) / lg());
	if (i >= SKETCH_NBUCKETS)
		return SKETCH_NBUCKETS - 1;
	return (int)i;
}

double
sketch_value(int index)
{
	double gamma = exp(lg());

	if (index < 0)
		return 0;
	if (index == 0)
		return 1;
	/* the point with equal relative distance to both bounds */
	return 2 * pow(gamma, index) / (gamma + 1);
}

void
sketch_add_n(struct sketch *s, double v, uint64_t n)
{
	int i;

	if (n == 0)
		return;
	if (v < 0 || isnan(v))
		v = 0;
	if (s->count == 0 || v < s->min)
		s->min = v;
	if (s->count == 0 || v > s->max)
		s->max = v;
	s->count += n;
	s->sum += v * (double)n;
	if ((i = sketch_index(v)) < 0) {
		s->zero += n;
		return;
	}
	if (s->b == NULL)
		s->b = xcalloc(SKETCH_NBUCKETS, sizeof(*s->b));
	s->b[i] += n;
	if (i < s->lo)
		s->lo = i;
	if (i > s->hi)
		s->hi = i;
}

void
sketch_add(struct sketch *s, double v)
{
	sketch_add_n(s, v, 1);
}

void
sketch_merge(struct sketch *dst, const struct sketch *src)
{
	if (src->count == 0)
		return;
	if (dst->count == 0 || src->min < dst->min)
		dst->min = src->min;
	if (dst->count == 0 || src->max > dst->max)
		dst->max = src->max;
	dst->count += src->count;
	dst->sum += src->sum;
	dst->zero += src->zero;
	if (src->b == NULL)
		return;
	if (dst->b == NULL)
		dst->b = xcalloc(SKETCH_NBUCKETS, sizeof(*dst->b));
	for (int i = src->lo; i <= src->hi; i++)
		dst->b[i] += src->b[i];
	if (src->lo < dst->lo)
		dst->lo = src->lo;
	if (src->hi > dst->hi)
		dst->hi = src->hi;
}

double
sketch_quantile(const struct sketch *s, double q)
{
	uint64_t rank, seen;
	double v;

	if (s->count == 0)
		return 0;
	if (q <= 0)
		return s->min;
	if (q >= 1)
		return s->max;
	/* the value of rank floor(q * (n - 1)) in sorted order, 0-based */
	rank = (uint64_t)floor(q * (double)(s->count - 1));
	if (rank < s->zero)
		return 0;
	seen = s->zero;
	for (int i = s->lo; i <= s->hi; i++) {
		seen += s->b[i];
		if (seen > rank) {
			v = sketch_value(i);
			/* never outside what was seen */
			if (v < s->min)
				v = s->min;
			if (v > s->max)
				v = s->max;
			return v;
		}
	}
	return s->max;
}

uint64_t
sketch_count_le(const struct sketch *s, double v)
{
	uint64_t n;

	if (s->count == 0 || v < 0)
		return 0;
	if (v >= s->max)
		return s->count;
	n = s->zero;
	for (int i = s->lo; i <= s->hi; i++)
		if (sketch_value(i) <= v)
			n += s->b[i];
	return n;
}

/* ---- encoding: header then (delta, count) varint pairs ---- */

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

static size_t
put_double(unsigned char *p, double d)
{
	memcpy(p, &d, sizeof(d));	/* both ends are the same program */
	return sizeof(d);
}

unsigned char *
sketch_encode(const struct sketch *s, size_t *len)
{
	size_t used = s->hi >= s->lo ? (size_t)(s->hi - s->lo + 1) : 0;
	unsigned char *out = xmalloc(1 + 3 * 8 + 10 + 10 + used * 20), *p = out;
	int prev = -1;

	*p++ = 1;	/* format version */
	p += put_double(p, s->min);
	p += put_double(p, s->max);
	p += put_double(p, s->sum);
	p += put_varint(p, s->zero);
	for (int i = s->lo; i <= s->hi; i++) {
		if (s->b[i] == 0)
			continue;
		p += put_varint(p, (uint64_t)(i - prev));
		p += put_varint(p, s->b[i]);
		prev = i;
	}
	*len = (size_t)(p - out);
	return out;
}

int
sketch_decode_merge(struct sketch *s, const unsigned char *data, size_t len)
{
	const unsigned char *p = data, *end = data + len;
	struct sketch t;
	uint64_t zero, delta, n;
	int idx = -1;

	if (len < 1 + 24 + 1 || *p++ != 1)
		return -1;
	sketch_init(&t);
	memcpy(&t.min, p, 8);
	memcpy(&t.max, p + 8, 8);
	memcpy(&t.sum, p + 16, 8);
	p += 24;
	if (get_varint(&p, end, &zero) < 0)
		return -1;
	t.zero = zero;
	t.count = zero;
	while (p < end) {
		if (get_varint(&p, end, &delta) < 0 || get_varint(&p, end, &n) < 0 ||
		    delta == 0 || delta > SKETCH_NBUCKETS ||
		    idx + (int64_t)delta >= SKETCH_NBUCKETS) {
			sketch_free(&t);
			return -1;
		}
		idx += (int)delta;
		if (t.b == NULL)
			t.b = xcalloc(SKETCH_NBUCKETS, sizeof(*t.b));
		t.b[idx] += n;
		t.count += n;
		if (idx < t.lo)
			t.lo = idx;
		if (idx > t.hi)
			t.hi = idx;
	}
	sketch_merge(s, &t);
	sketch_free(&t);
	return 0;
}
