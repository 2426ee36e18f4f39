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

struct sketch {
	uint64_t	zero;		/* values < 1 (0 us) */
	uint64_t	count;
	int		lo, hi;		/* used bucket range; lo > hi: empty */
	uint64_t	*b;		/* SKETCH_NBUCKETS counts, allocated lazily */
	double		 min, max, sum;
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
/* The q-quantile (0 <= q <= 1), within 1 % of an exact rank's value;
 * 0 when empty. */
double sketch_quantile(const struct sketch *s, double q);
/* How many values are <= v (exact for values in other buckets; values in
 * v's own bucket count if that bucket's representative is <= v). */
uint64_t sketch_count_le(const struct sketch *s, double v);
/* The bucket index of v, and the value that represents a bucket. */
int sketch_index(double v);
double sketch_value(int index);

/* Compact binary form for SQLite: varint pairs (index delta, count).
 * Returns a malloc'd buffer (caller frees) and its size in *len. */
unsigned char *sketch_encode(const struct sketch *s, size_t *len);
/* Add an encoded sketch into s. Returns 0, or -1 if data is malformed
 * (s may then hold part of it). */
int sketch_decode_merge(struct sketch *s, const unsigned char *data, size_t len);

#endif
