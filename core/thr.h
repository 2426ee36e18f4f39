/* thr: the threshold counts of a rollup row. For each latency threshold
 * configured when its results arrived, how many passed runs took at most
 * that long: varint pairs (threshold_us delta, count), thresholds
 * ascending. Pure functions. */
#ifndef VANTAGE_THR_H
#define VANTAGE_THR_H

#include <stddef.h>
#include <stdint.h>

/* Encode n (threshold, count) pairs, thresholds ascending and > 0, into a
 * new buffer (caller frees); its size in *len. */
unsigned char *thr_encode(const int64_t *us, const int64_t *count, size_t n,
    size_t *len);
/* The count for threshold us, or -1 when the blob has none (or is
 * malformed). */
int64_t thr_lookup(const unsigned char *blob, size_t len, int64_t us);
/* The union of two blobs (counts of a threshold in both are added) into a
 * new buffer (caller frees), or NULL when either is malformed. A NULL or
 * empty blob is an empty set. */
unsigned char *thr_merge(const unsigned char *a, size_t alen,
    const unsigned char *b, size_t blen, size_t *len);

#endif
