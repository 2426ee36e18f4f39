/* deliver: sends queued notifications (the deliveries table) to their
 * receivers on its own curl multi loop, off the request path: per-receiver
 * timeout, retries with exponential backoff and jitter for 5xx, timeouts
 * and 429 (Retry-After honoured), no retry on other 4xx, at most once per
 * transition per receiver (a delivery is claimed, "sending", in one
 * transaction before its request starts), every attempt recorded. The
 * queue is read and written through the store (core/store_alerts.h), on
 * its one write connection. */
#ifndef VANTAGE_DELIVER_H
#define VANTAGE_DELIVER_H

#include <stddef.h>
#include <stdint.h>

#include "notify.h"

struct collector;
struct deliverer;

/* Start the thread on c's store (c->st, open read-write). Deliveries a
 * previous run left "sending" are marked failed, never resent (at most
 * once). NULL with a message in err. Stop and free with deliver_stop. */
struct deliverer *deliver_start(struct collector *c, char *err, size_t errlen);
/* Look at the queue now (after new transitions). Thread-safe. */
void deliver_wake(struct deliverer *d);
/* Stop: transfers in flight finish (bounded by their timeouts). NULL-safe. */
void deliver_stop(struct deliverer *d);

/* Retry delay after `attempts` failed attempts: exponential from 1 s, capped
 * at 5 min, with jitter in [delay/2, delay]; retry_after_s (> 0) wins. */
int64_t deliver_backoff_ms(int attempts, int64_t retry_after_s, unsigned *seed);
/* Fill n from a stored notification payload (strings borrowed from o). */
void deliver_notification(json_t *o, struct notification *n);
/* Send a clearly marked test notification to rc now (blocking) and write a
 * one-line outcome to out. Returns 0 if the receiver accepted it (2xx). */
int deliver_test(const struct receiver_config *rc, char *out, size_t outlen);

#endif
