/* imetrics: per check x region counters and latency histograms of what was
 * ingested since the collector started, for /metrics (Prometheus counters
 * reset on restart, as counters may). */
#ifndef VANTAGE_IMETRICS_H
#define VANTAGE_IMETRICS_H

#include <stdbool.h>
#include <stdint.h>

#include "buf.h"
#include "cache.h"
#include "errclass.h"

struct ingest_metrics;

#define IMETRICS_NBOUNDS 12
extern const double imetrics_bounds[IMETRICS_NBOUNDS];	/* seconds */

struct ingest_metrics *imetrics_new(void);
/* Count one stored result. Thread-safe. */
void imetrics_add(struct ingest_metrics *im, const char *check, const char *region,
    const char *service, const char *layer, bool ok, enum errclass ec,
    int64_t total_us);
/* Count one stored inconclusive result (a failure while the agent's own
 * network was down): result="inconclusive", not in the histogram. */
void imetrics_add_inconclusive(struct ingest_metrics *im, const char *check,
    const char *region, const char *service, const char *layer);
/* Count the cache status of one stored (conclusive) http result. */
void imetrics_add_cache(struct ingest_metrics *im, const char *check,
    const char *region, const char *service, const char *layer,
    enum cache_status cs);
/* Append the Prometheus text of every series to out. */
void imetrics_write(struct ingest_metrics *im, struct buf *out);
void imetrics_free(struct ingest_metrics *im);

#endif
