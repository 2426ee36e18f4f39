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
	s->count += n;
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
	dst->count += src->count;
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

static uint64_t
sub_sat(uint64_t a, uint64_t b)
{
	return a > b ? a - b : 0;
}

void
sketch_sub(struct sketch *dst, const struct sketch *src)
{
	if (src->count == 0)
		return;
	dst->count = sub_sat(dst->count, src->count);
	dst->zero = sub_sat(dst->zero, src->zero);
	if (src->b == NULL || dst->b == NULL)
		return;
	for (int i = src->lo; i <= src->hi; i++)
		dst->b[i] = sub_sat(dst->b[i], src->b[i]);
	/* the used range only ever grows: empty buckets at its ends are
	 * skipped by every reader */
}

double
sketch_quantile(const struct sketch *s, double q)
{
	uint64_t rank, seen;
	int last = -1;

	if (s->count == 0)
		return 0;
	if (q < 0)
		q = 0;
	if (q > 1)
		q = 1;
	/* the value of rank floor(q * (n - 1)) in sorted order, 0-based */
	rank = (uint64_t)floor(q * (double)(s->count - 1));
	if (rank < s->zero)
		return 0;
	seen = s->zero;
	for (int i = s->lo; i <= s->hi; i++) {
		if (s->b[i] == 0)
			continue;
		seen += s->b[i];
		last = i;
		if (seen > rank)
			return sketch_value(i);
	}
	return last >= 0 ? sketch_value(last) : 0;
}

uint64_t
sketch_count_le(const struct sketch *s, double v)
{
	uint64_t n;

	if (s->count == 0 || v < 0)
		return 0;
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

unsigned char *
sketch_encode(const struct sketch *s, size_t *len)
{
	size_t used = s->hi >= s->lo ? (size_t)(s->hi - s->lo + 1) : 0;
	unsigned char *out = xmalloc(1 + 10 + used * 20), *p = out;
	int prev = -1;

	*p++ = 2;	/* format version */
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

static int
cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

unsigned char *
sketch_encode_values(const int64_t *v, size_t n, size_t *len)
{
	int small[64], *idx = n <= 64 ? small : xcalloc(n, sizeof(*idx));
	unsigned char *out = xmalloc(1 + 10 + n * 20), *p = out;
	size_t nidx = 0, i;
	uint64_t zero = 0;
	int prev = -1;

	for (i = 0; i < n; i++) {
		int k = sketch_index((double)v[i]);
		if (k < 0)
			zero++;
		else
			idx[nidx++] = k;
	}
	qsort(idx, nidx, sizeof(*idx), cmp_int);
	*p++ = 2;
	p += put_varint(p, zero);
	for (i = 0; i < nidx;) {
		size_t j = i;

		while (j < nidx && idx[j] == idx[i])
			j++;
		p += put_varint(p, (uint64_t)(idx[i] - prev));
		p += put_varint(p, (uint64_t)(j - i));
		prev = idx[i];
		i = j;
	}
	if (idx != small)
		free(idx);
	*len = (size_t)(p - out);
	return out;
}

/* Walk an encoded sketch; with s NULL only check it. 0 or -1. */
static int
decode(struct sketch *s, const unsigned char *data, size_t len)
{
	const unsigned char *p = data, *end = data + len;
	uint64_t zero, delta, n;
	int idx = -1;

	if (len < 2 || (p[0] != 1 && p[0] != 2) || (p[0] == 1 && len < 1 + 24 + 1))
		return -1;
	/* version 1 also had min, max and sum (doubles), no longer used */
	p += *p == 1 ? 1 + 24 : 1;
	if (get_varint(&p, end, &zero) < 0)
		return -1;
	if (s) {
		s->zero += zero;
		s->count += zero;
	}
	while (p < end) {
		if (get_varint(&p, end, &delta) < 0 || get_varint(&p, end, &n) < 0 ||
		    delta == 0 || delta > SKETCH_NBUCKETS ||
		    idx + (int64_t)delta >= SKETCH_NBUCKETS)
			return -1;
		idx += (int)delta;
		if (s == NULL || n == 0)
			continue;
		if (s->b == NULL)
			s->b = xcalloc(SKETCH_NBUCKETS, sizeof(*s->b));
		s->b[idx] += n;
		s->count += n;
		if (idx < s->lo)
			s->lo = idx;
		if (idx > s->hi)
			s->hi = idx;
	}
	return 0;
}

/* A reader of an encoding's (index, count) pairs. */
struct pairs {
	const unsigned char	*p, *end;
	int			 idx;
};

/* Start reading data: its zero count in *zero. 0, -1 malformed. */
static int
pairs_open(struct pairs *r, const unsigned char *data, size_t len, uint64_t *zero)
{
	*zero = 0;
	r->idx = -1;
	r->p = r->end = NULL;
	if (data == NULL || len == 0)
		return 0;
	if (len < 2 || (data[0] != 1 && data[0] != 2) || (data[0] == 1 && len < 26))
		return -1;
	r->p = data + (data[0] == 1 ? 25 : 1);
	r->end = data + len;
	return get_varint(&r->p, r->end, zero);
}

/* The next pair: 1, 0 at the end, -1 malformed. */
static int
pairs_next(struct pairs *r, int *idx, uint64_t *n)
{
	uint64_t delta;

	if (r->p == NULL || r->p >= r->end)
		return 0;
	if (get_varint(&r->p, r->end, &delta) < 0 || get_varint(&r->p, r->end, n) < 0 ||
	    delta == 0 || delta > SKETCH_NBUCKETS || r->idx + (int64_t)delta >=
	    SKETCH_NBUCKETS)
		return -1;
	r->idx += (int)delta;
	*idx = r->idx;
	return 1;
}

unsigned char *
sketch_merge_encoded(const unsigned char *a, size_t alen, const unsigned char *b,
    size_t blen, size_t *len)
{
	struct pairs ra, rb;
	uint64_t za, zb, na = 0, nb = 0;
	unsigned char *out, *p;
	int ia = 0, ib = 0, ka, kb, prev = -1;

	if (pairs_open(&ra, a, alen, &za) < 0 || pairs_open(&rb, b, blen, &zb) < 0)
		return NULL;
	out = p = xmalloc(1 + 10 + alen + blen + 20);
	*p++ = 2;
	p += put_varint(p, za + zb);
	ka = pairs_next(&ra, &ia, &na);
	kb = pairs_next(&rb, &ib, &nb);
	while (ka == 1 || kb == 1) {
		int idx;
		uint64_t n;

		if (kb != 1 || (ka == 1 && ia < ib)) {
			idx = ia;
			n = na;
			ka = pairs_next(&ra, &ia, &na);
		} else if (ka != 1 || ib < ia) {
			idx = ib;
			n = nb;
			kb = pairs_next(&rb, &ib, &nb);
		} else {
			idx = ia;
			n = na + nb;
			ka = pairs_next(&ra, &ia, &na);
			kb = pairs_next(&rb, &ib, &nb);
		}
		if (n == 0)
			continue;
		p += put_varint(p, (uint64_t)(idx - prev));
		p += put_varint(p, n);
		prev = idx;
	}
	if (ka < 0 || kb < 0) {
		free(out);
		return NULL;
	}
	*len = (size_t)(p - out);
	return out;
}

int
sketch_encoded_each(const unsigned char *data, size_t len,
    void (*fn)(int idx, uint64_t n, void *arg), void *arg, uint64_t *zero)
{
	struct pairs r;
	uint64_t z, n;
	int idx, k;

	if (pairs_open(&r, data, len, &z) < 0)
		return -1;
	if (zero)
		*zero = z;
	while ((k = pairs_next(&r, &idx, &n)) == 1)
		if (n > 0)
			fn(idx, n, arg);
	return k < 0 ? -1 : 0;
}

int64_t
sketch_encoded_count_le(const unsigned char *data, size_t len, double v)
{
	struct pairs r;
	uint64_t z, n, total;
	int idx, k;

	if (pairs_open(&r, data, len, &z) < 0)
		return -1;
	if (v < 0)
		return 0;
	total = z;
	while ((k = pairs_next(&r, &idx, &n)) == 1)
		if (sketch_value(idx) <= v)
			total += n;
	return k < 0 ? -1 : (int64_t)total;
}

int
sketch_decode_merge(struct sketch *s, const unsigned char *data, size_t len)
{
	/* check first, so a malformed blob leaves s alone */
	if (decode(NULL, data, len) < 0)
		return -1;
	return decode(s, data, len);
}
