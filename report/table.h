/* table: one table of text cells rendered three ways: aligned columns for a
 * terminal, a GitHub Markdown table, or CSV (RFC 4180: one header row,
 * CRLF line ends, fields quoted when they hold a comma, quote, CR or LF). */
#ifndef VANTAGE_TABLE_H
#define VANTAGE_TABLE_H

#include <stddef.h>

#include "buf.h"

enum table_style { TABLE_TEXT = 0, TABLE_MARKDOWN, TABLE_CSV };

struct table;

/* A table with ncols columns named by headers (copied); align holds one
 * letter per column, 'l' or 'r' (NULL: all left). Never NULL; free with
 * table_free. */
struct table *table_new(size_t ncols, const char *const *headers,
    const char *align);
/* Start a new row; its cells are added with table_cell (missing ones are
 * empty, extra ones dropped). */
void table_row(struct table *t);
/* Append one cell (copied; NULL is empty) to the current row. */
void table_cell(struct table *t, const char *s);
void table_cellf(struct table *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Rows added so far. */
size_t table_nrows(const struct table *t);
/* Append the table to out in style (TABLE_TEXT: header, a rule of dashes,
 * rows; trailing blanks trimmed). */
void table_render(const struct table *t, enum table_style style, struct buf *out);
/* Append one CSV field (quoted if needed) to out. */
void table_csv_field(struct buf *out, const char *s);
/* Release. NULL-safe. */
void table_free(struct table *t);

#endif
