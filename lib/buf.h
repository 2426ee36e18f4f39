/* buf: a growable byte buffer that never grows past its cap. */
#ifndef VANTAGE_BUF_H
#define VANTAGE_BUF_H

#include <stdbool.h>
#include <stddef.h>

struct buf {
	char	*data;		/* always NUL-terminated when non-NULL */
	size_t	 len;
	size_t	 alloc;
	size_t	 cap;		/* most bytes ever held */
	bool	 truncated;	/* an append was cut at the cap */
};

/* Start an empty buffer holding at most cap bytes (no allocation yet). */
void buf_init(struct buf *b, size_t cap);
/* Append n bytes; stores what fits under the cap, sets truncated and
 * returns -1 if anything was cut, else 0. */
int buf_append(struct buf *b, const void *p, size_t n);
/* Append a formatted string under the cap; same return as buf_append. */
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Empty the buffer but keep its memory. */
void buf_reset(struct buf *b);
/* Release the memory; the buffer may be reused after buf_init. NULL-safe. */
void buf_free(struct buf *b);
/* Hand the data to the caller (who frees it) and empty the buffer. */
char *buf_steal(struct buf *b);

#endif
