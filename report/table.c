/* table: text, Markdown and CSV rendering of a table of strings. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "table.h"
#include "xmalloc.h"

struct table {
	size_t	  ncols;
	char	**head;
	char	 *align;
	char	***rows;	/* nrows x ncols, NULL cells empty */
	size_t	  nrows, arows;
	size_t	  cur;		/* next cell of the last row */
};

struct table *
table_new(size_t ncols, const char *const *headers, const char *align)
{
	struct table *t = xcalloc(1, sizeof(*t));

	t->ncols = ncols;
	t->head = xcalloc(ncols, sizeof(*t->head));
	t->align = xcalloc(ncols + 1, 1);
	for (size_t i = 0; i < ncols; i++) {
		t->head[i] = xstrdup(headers[i]);
		t->align[i] = align && align[i] == 'r' ? 'r' : 'l';
	}
	return t;
}

void
table_row(struct table *t)
{
	if (t->nrows == t->arows) {
		t->arows = t->arows ? t->arows * 2 : 16;
		t->rows = xreallocarray(t->rows, t->arows, sizeof(*t->rows));
	}
	t->rows[t->nrows++] = xcalloc(t->ncols, sizeof(char *));
	t->cur = 0;
}

void
table_cell(struct table *t, const char *s)
{
	if (t->nrows == 0)
		table_row(t);
	if (t->cur < t->ncols)
		t->rows[t->nrows - 1][t->cur] = xstrdup(s ? s : "");
	t->cur++;
}

void
table_cellf(struct table *t, const char *fmt, ...)
{
	char *s = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		abort();	/* out of memory: tier one */
	table_cell(t, s);
	free(s);
}

size_t
table_nrows(const struct table *t)
{
	return t->nrows;
}

/* Display width: code points, so UTF-8 names line up. */
static size_t
width(const char *s)
{
	size_t w = 0;

	for (; s && *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}

static const char *
cell(const struct table *t, size_t r, size_t c)
{
	const char *s = t->rows[r][c];

	return s ? s : "";
}

static void
pad(struct buf *out, size_t n)
{
	while (n-- > 0)
		buf_append(out, " ", 1);
}

/* Drop blanks at the end of out (back to the last newline). */
static void
rtrim(struct buf *out)
{
	while (out->len > 0 && out->data[out->len - 1] == ' ')
		out->data[--out->len] = '\0';
}

static void
text_line(struct buf *out, const struct table *t, const size_t *w,
    const char *const *cells)
{
	for (size_t c = 0; c < t->ncols; c++) {
		size_t cw = width(cells[c]);

		if (c > 0)
			pad(out, 2);
		if (t->align[c] == 'r')
			pad(out, w[c] - cw);
		for (const char *p = cells[c]; *p; p++)	/* one line per row */
			buf_append(out, *p == '\n' || *p == '\r' ? " " : p, 1);
		if (t->align[c] != 'r')
			pad(out, w[c] - cw);
	}
	rtrim(out);
	buf_append(out, "\n", 1);
}

static void
render_text(const struct table *t, struct buf *out)
{
	size_t *w = xcalloc(t->ncols, sizeof(*w));
	const char **cells = xcalloc(t->ncols, sizeof(*cells));
	char **rules = xcalloc(t->ncols, sizeof(*rules));

	for (size_t c = 0; c < t->ncols; c++) {
		w[c] = width(t->head[c]);
		for (size_t r = 0; r < t->nrows; r++)
			if (width(cell(t, r, c)) > w[c])
				w[c] = width(cell(t, r, c));
	}
	text_line(out, t, w, (const char *const *)t->head);
	for (size_t c = 0; c < t->ncols; c++) {
		rules[c] = xcalloc(w[c] + 1, 1);
		memset(rules[c], '-', w[c]);
		cells[c] = rules[c];
	}
	text_line(out, t, w, cells);
	for (size_t c = 0; c < t->ncols; c++)
		free(rules[c]);
	free(rules);
	for (size_t r = 0; r < t->nrows; r++) {
		for (size_t c = 0; c < t->ncols; c++)
			cells[c] = cell(t, r, c);
		text_line(out, t, w, cells);
	}
	free(cells);
	free(w);
}

/* A Markdown cell: pipes escaped, line breaks as spaces. */
static void
md_cell(struct buf *out, const char *s)
{
	buf_append(out, " ", 1);
	for (; *s; s++) {
		if (*s == '|')
			buf_append(out, "\\|", 2);
		else if (*s == '\n' || *s == '\r')
			buf_append(out, " ", 1);
		else
			buf_append(out, s, 1);
	}
	buf_append(out, " |", 2);
}

static void
render_markdown(const struct table *t, struct buf *out)
{
	buf_append(out, "|", 1);
	for (size_t c = 0; c < t->ncols; c++)
		md_cell(out, t->head[c]);
	buf_append(out, "\n|", 2);
	for (size_t c = 0; c < t->ncols; c++)
		buf_printf(out, " %s |", t->align[c] == 'r' ? "---:" : "---");
	buf_append(out, "\n", 1);
	for (size_t r = 0; r < t->nrows; r++) {
		buf_append(out, "|", 1);
		for (size_t c = 0; c < t->ncols; c++)
			md_cell(out, cell(t, r, c));
		buf_append(out, "\n", 1);
	}
}

void
table_csv_field(struct buf *out, const char *s)
{
	if (s == NULL || strpbrk(s, ",\"\r\n") == NULL) {
		if (s)
			buf_append(out, s, strlen(s));
		return;
	}
	buf_append(out, "\"", 1);
	for (; *s; s++) {
		if (*s == '"')
			buf_append(out, "\"", 1);
		buf_append(out, s, 1);
	}
	buf_append(out, "\"", 1);
}

static void
render_csv(const struct table *t, struct buf *out)
{
	for (size_t c = 0; c < t->ncols; c++) {
		if (c > 0)
			buf_append(out, ",", 1);
		table_csv_field(out, t->head[c]);
	}
	buf_append(out, "\r\n", 2);
	for (size_t r = 0; r < t->nrows; r++) {
		for (size_t c = 0; c < t->ncols; c++) {
			if (c > 0)
				buf_append(out, ",", 1);
			table_csv_field(out, cell(t, r, c));
		}
		buf_append(out, "\r\n", 2);
	}
}

void
table_render(const struct table *t, enum table_style style, struct buf *out)
{
	switch (style) {
	case TABLE_TEXT: render_text(t, out); break;
	case TABLE_MARKDOWN: render_markdown(t, out); break;
	case TABLE_CSV: render_csv(t, out); break;
	}
}

void
table_free(struct table *t)
{
	if (t == NULL)
		return;
	for (size_t r = 0; r < t->nrows; r++) {
		for (size_t c = 0; c < t->ncols; c++)
			free(t->rows[r][c]);
		free(t->rows[r]);
	}
	for (size_t c = 0; c < t->ncols; c++)
		free(t->head[c]);
	free(t->rows);
	free(t->head);
	free(t->align);
	free(t);
}
