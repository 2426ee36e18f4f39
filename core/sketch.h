/* sketch: a mergeable log-bucket latency sketch (after DDSketch): values
 * fall in buckets whose bounds grow by gamma = (1+a)/(1-a), so any quantile
 * is answered within relative error a = 1 %. Merging is adding counts, so
 * per-minute sketches merge across minutes, agents and regions exactly. */
#ifndef VANTAGE_SKETCH_H
#define VANTAGE_SKETCH_H

#include <stddef.h>
#include <stdint.h>

#define SKETCH_ALPHA	0.01
/* buckets cover 1 us .. about 36 hours; larger values go in the last one */
#define SKETCH_NBUCKETS	1280

/* A sketch is its bucket counts and nothing else, so sketches add and
 * subtract exactly (the SLO engine slides windows by subtracting the
 * minutes that leave them), whatever the order. */
struct sketch {
	uint64_t	zero;		/* values < 1 (0 us) */
	uint64_t	count;
	int		lo, hi;		/* used bucket range (a superset); lo > hi: empty */
	uint64_t	*b;		/* SKETCH_NBUCKETS counts, allocated lazily */
};

/* Start an empty sketch (no allocation). */
void sketch_init(struct sketch *s);
/* Release the counts; s is empty and reusable. NULL-safe. */
void sketch_free(struct sketch *s);
/* Add one value (microseconds); negative values count as 0. */
void sketch_add(struct sketch *s, double v);
/* Add n occurrences of value v. */
void sketch_add_n(struct sketch *s, double v, uint64_t n);
/* dst += src. */
void sketch_merge(struct sketch *dst, const struct sketch *src);
/* dst -= src, where src was merged into dst before (counts never go below
 * zero; a count that would is set to 0). */
void sketch_sub(struct sketch *dst, const struct sketch *src);
/* The q-quantile (0 <= q <= 1): the representative of the bucket that
 * holds the value of rank floor(q * (count - 1)), within 1 % of that value;
 * 0 when empty. */
double sketch_quantile(const struct sketch *s, double q);
/* How many values are <= v, as far as buckets tell: exact for values in
 * other buckets; those in v's own bucket count if that bucket's
 * representative is <= v. Additive: count_le(a + b) = count_le(a) +
 * count_le(b). Exact latency counts come from the rollups' thresholds. */
uint64_t sketch_count_le(const struct sketch *s, double v);
/* The bucket index of v, and the value that represents a bucket. */
int sketch_index(double v);
double sketch_value(int index);

/* Compact binary form for SQLite: a version byte (2), the zero count, then
 * varint pairs (index delta, count). Returns a malloc'd buffer (caller
 * frees) and its size in *len. Version 1 (which also carried min, max and
 * sum as doubles) is still read. */
unsigned char *sketch_encode(const struct sketch *s, size_t *len);
/* The encoding of a sketch of n values (microseconds), built without the
 * dense counts (a rollup group holds a few values). Caller frees. */
unsigned char *sketch_encode_values(const int64_t *v, size_t n, size_t *len);
/* The encoding of the union of two encoded sketches (NULL or empty: no
 * values), without the dense counts. Caller frees; NULL when either is
 * malformed. */
unsigned char *sketch_merge_encoded(const unsigned char *a, size_t alen,
    const unsigned char *b, size_t blen, size_t *len);
/* Call fn for each (bucket index, count) of an encoded sketch, in index
 * order; its zero count in *zero (may be NULL). 0, or -1 when malformed
 * (fn may have been called for a prefix). */
int sketch_encoded_each(const unsigned char *data, size_t len,
    void (*fn)(int idx, uint64_t n, void *arg), void *arg, uint64_t *zero);
/* sketch_count_le of an encoded sketch, without decoding it; -1 when
 * malformed. */
int64_t sketch_encoded_count_le(const unsigned char *data, size_t len, double v);
/* Add an encoded sketch into s. Returns 0, or -1 if data is malformed
 * (s is then unchanged). */
int sketch_decode_merge(struct sketch *s, const unsigned char *data, size_t len);

#endif
