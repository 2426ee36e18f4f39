/* jsonpos: where each key and value of a JSON text starts (line, column),
 * so config errors can point at the offending spot. Jansson keeps no
 * positions, so we re-scan the (already validated) text. */
#ifndef VANTAGE_JSONPOS_H
#define VANTAGE_JSONPOS_H

#include <stddef.h>

struct jsonpos;

/* Index every value of text (len bytes). Paths look like
 * "checks[2].expect.status[1]"; an object member is placed at its key.
 * Returns a new index (free with jsonpos_free); never NULL. */
struct jsonpos *jsonpos_build(const char *text, size_t len);
/* Find path; returns 0 and sets line/col (1-based), or -1 if absent. */
int jsonpos_find(const struct jsonpos *jp, const char *path, int *line, int *col);
/* Where the value of top-level key of the JSON object text starts and ends
 * (byte offsets, end exclusive). Returns 0, or -1 if there is no such key.
 * Lenient: meant for text that is validated separately. */
int jsonpos_top_value(const char *text, size_t len, const char *key,
    size_t *start, size_t *end);
/* The end (exclusive) of the JSON value that starts at text[start]. */
size_t jsonpos_value_end(const char *text, size_t len, size_t start);
/* Line and column (1-based, columns in characters) of byte offset off. */
void jsonpos_linecol(const char *text, size_t off, int *line, int *col);
/* Free the index. NULL-safe. */
void jsonpos_free(struct jsonpos *jp);

#endif
