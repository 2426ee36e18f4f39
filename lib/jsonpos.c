/* jsonpos: a small position-recording JSON scanner. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "jsonpos.h"
#include "xmalloc.h"

struct jsonpos_entry {
	char	*path;
	int	 line, col;
};

struct jsonpos {
	struct jsonpos_entry	*v;
	size_t			 n, alloc;
};

struct scan {
	const char	*s;
	size_t		 len, i;
	int		 line, col;
	struct jsonpos	*jp;
};

#define JSONPOS_MAX_DEPTH 64
#define JSONPOS_MAX_PATH 1024

static void
adv(struct scan *sc)
{
	if (sc->i >= sc->len)
		return;
	if (sc->s[sc->i] == '\n') {
		sc->line++;
		sc->col = 1;
	} else if (((unsigned char)sc->s[sc->i] & 0xC0) != 0x80)
		sc->col++;
	sc->i++;
}

static void
skip_ws(struct scan *sc)
{
	while (sc->i < sc->len && strchr(" \t\r\n", sc->s[sc->i]) != NULL)
		adv(sc);
}

static void
record(struct scan *sc, const char *path, int line, int col)
{
	struct jsonpos *jp = sc->jp;

	if (jp == NULL)
		return;		/* a span scan: nothing to record */
	if (jp->n == jp->alloc) {
		jp->alloc = jp->alloc ? jp->alloc * 2 : 64;
		jp->v = xreallocarray(jp->v, jp->alloc, sizeof(*jp->v));
	}
	jp->v[jp->n].path = xstrdup(path);
	jp->v[jp->n].line = line;
	jp->v[jp->n].col = col;
	jp->n++;
}

/* Read the four hex digits of a u-escape at sc->i; -1 if malformed. */
static long
scan_hex4(struct scan *sc)
{
	long v = 0;

	if (sc->len - sc->i < 4)
		return -1;
	for (int k = 0; k < 4; k++) {
		char h = sc->s[sc->i + (size_t)k];

		v <<= 4;
		if (h >= '0' && h <= '9')
			v |= h - '0';
		else if (h >= 'a' && h <= 'f')
			v |= h - 'a' + 10;
		else if (h >= 'A' && h <= 'F')
			v |= h - 'A' + 10;
		else
			return -1;
	}
	for (int k = 0; k < 4; k++)
		adv(sc);
	return v;
}

static void
put_utf8(struct buf *out, unsigned long cp)
{
	unsigned char u[4];
	size_t n;

	if (cp < 0x80) {
		u[0] = (unsigned char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (unsigned char)(0xC0 | (cp >> 6));
		u[1] = (unsigned char)(0x80 | (cp & 0x3F));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (unsigned char)(0xE0 | (cp >> 12));
		u[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
		u[2] = (unsigned char)(0x80 | (cp & 0x3F));
		n = 3;
	} else {
		u[0] = (unsigned char)(0xF0 | (cp >> 18));
		u[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
		u[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
		u[3] = (unsigned char)(0x80 | (cp & 0x3F));
		n = 4;
	}
	buf_append(out, u, n);
}

/* Decode a u-escape (sc->i just past the 'u'), joining surrogate pairs, so
 * an escaped key gets the same path as the UTF-8 key jansson hands out. */
static void
scan_unicode(struct scan *sc, struct buf *out)
{
	long hi = scan_hex4(sc), lo;

	if (hi < 0)
		return;	/* not valid JSON; the parser said so already */
	if (hi >= 0xD800 && hi <= 0xDBFF && sc->len - sc->i >= 6 &&
	    sc->s[sc->i] == '\\' && sc->s[sc->i + 1] == 'u') {
		size_t save_i = sc->i;
		int save_col = sc->col;

		adv(sc);
		adv(sc);
		lo = scan_hex4(sc);
		if (lo >= 0xDC00 && lo <= 0xDFFF) {
			if (out)
				put_utf8(out, 0x10000 + (((unsigned long)hi - 0xD800) << 10) +
				    ((unsigned long)lo - 0xDC00));
			return;
		}
		sc->i = save_i;	/* unpaired: leave the next escape alone */
		sc->col = save_col;
	}
	if (out)
		put_utf8(out, (unsigned long)hi);
}

/* Read a string token at sc->i (which is '"'), appending its decoded text
 * to out (if not NULL). */
static void
scan_string(struct scan *sc, struct buf *out)
{
	adv(sc);
	while (sc->i < sc->len && sc->s[sc->i] != '"') {
		char c = sc->s[sc->i];
		if (c == '\\' && sc->i + 1 < sc->len) {
			adv(sc);
			c = sc->s[sc->i];
			switch (c) {
			case 'n': c = '\n'; break;
			case 't': c = '\t'; break;
			case 'r': c = '\r'; break;
			case 'b': c = '\b'; break;
			case 'f': c = '\f'; break;
			case 'u':
				adv(sc);
				scan_unicode(sc, out);
				continue;
			default: break;
			}
		}
		if (out)
			buf_append(out, &c, 1);
		adv(sc);
	}
	adv(sc);
}

/* Step over one value without indexing it: nesting deeper than we record
 * (jansson accepts far deeper documents). */
static void
skip_value(struct scan *sc)
{
	size_t nest = 0;

	while (sc->i < sc->len) {
		char ch = sc->s[sc->i];

		if (ch == '"') {
			scan_string(sc, NULL);
			if (nest == 0)
				return;
			continue;
		}
		if (ch == '{' || ch == '[')
			nest++;
		else if (ch == '}' || ch == ']') {
			if (nest == 0)
				return;		/* the parent's closer */
			if (--nest == 0) {
				adv(sc);
				return;
			}
		} else if (nest == 0 && strchr(", \t\r\n", ch) != NULL)
			return;
		adv(sc);
	}
}

static void scan_value(struct scan *sc, char *path, size_t plen, int depth);

static void
scan_object(struct scan *sc, char *path, size_t plen, int depth)
{
	struct buf key;

	buf_init(&key, 256);
	adv(sc);	/* { */
	for (;;) {
		int line, col;

		skip_ws(sc);
		if (sc->i >= sc->len || sc->s[sc->i] == '}')
			break;
		if (sc->s[sc->i] == ',') {
			adv(sc);
			continue;
		}
		if (sc->s[sc->i] != '"')
			break;	/* not valid JSON; the parser said so already */
		line = sc->line;
		col = sc->col;
		buf_reset(&key);
		scan_string(sc, &key);
		snprintf(path + plen, JSONPOS_MAX_PATH - plen, "%s%s",
		    plen ? "." : "", key.data ? key.data : "");
		record(sc, path, line, col);
		skip_ws(sc);
		if (sc->i < sc->len && sc->s[sc->i] == ':')
			adv(sc);
		scan_value(sc, path, strlen(path), depth + 1);
		path[plen] = '\0';
	}
	adv(sc);	/* } */
	buf_free(&key);
}

static void
scan_array(struct scan *sc, char *path, size_t plen, int depth)
{
	size_t idx = 0;

	adv(sc);	/* [ */
	for (;;) {
		size_t before;

		skip_ws(sc);
		if (sc->i >= sc->len || sc->s[sc->i] == ']')
			break;
		if (sc->s[sc->i] == ',') {
			adv(sc);
			continue;
		}
		before = sc->i;
		snprintf(path + plen, JSONPOS_MAX_PATH - plen, "[%zu]", idx++);
		record(sc, path, sc->line, sc->col);
		scan_value(sc, path, strlen(path), depth + 1);
		path[plen] = '\0';
		if (sc->i == before)
			break;	/* not valid JSON (e.g. "[1}"): never spin */
	}
	adv(sc);	/* ] */
}

static void
scan_value(struct scan *sc, char *path, size_t plen, int depth)
{
	skip_ws(sc);
	if (sc->i >= sc->len)
		return;
	if (depth > JSONPOS_MAX_DEPTH) {
		skip_value(sc);
		return;
	}
	switch (sc->s[sc->i]) {
	case '{':
		scan_object(sc, path, plen, depth);
		break;
	case '[':
		scan_array(sc, path, plen, depth);
		break;
	case '"':
		scan_string(sc, NULL);
		break;
	default:
		while (sc->i < sc->len && strchr(",]} \t\r\n", sc->s[sc->i]) == NULL)
			adv(sc);
		break;
	}
}

struct jsonpos *
jsonpos_build(const char *text, size_t len)
{
	struct jsonpos *jp = xcalloc(1, sizeof(*jp));
	struct scan sc = { text, len, 0, 1, 1, jp };
	char path[JSONPOS_MAX_PATH] = "";

	skip_ws(&sc);
	record(&sc, "", sc.line, sc.col);
	scan_value(&sc, path, 0, 0);
	return jp;
}

int
jsonpos_find(const struct jsonpos *jp, const char *path, int *line, int *col)
{
	for (size_t i = 0; i < jp->n; i++) {
		if (strcmp(jp->v[i].path, path) == 0) {
			*line = jp->v[i].line;
			*col = jp->v[i].col;
			return 0;
		}
	}
	return -1;
}

void
jsonpos_free(struct jsonpos *jp)
{
	if (jp == NULL)
		return;
	for (size_t i = 0; i < jp->n; i++)
		free(jp->v[i].path);
	free(jp->v);
	free(jp);
}

size_t
jsonpos_value_end(const char *text, size_t len, size_t start)
{
	struct scan sc = { text, len, start, 1, 1, NULL };
	char path[JSONPOS_MAX_PATH] = "";

	scan_value(&sc, path, 0, 0);
	return sc.i;
}

int
jsonpos_top_value(const char *text, size_t len, const char *key,
    size_t *start, size_t *end)
{
	struct scan sc = { text, len, 0, 1, 1, NULL };
	char path[JSONPOS_MAX_PATH] = "";
	struct buf k;
	int found = -1;

	buf_init(&k, 4096);
	skip_ws(&sc);
	if (sc.i >= len || text[sc.i] != '{')
		goto out;
	adv(&sc);
	for (;;) {
		skip_ws(&sc);
		if (sc.i >= len || text[sc.i] != '"')
			break;
		buf_reset(&k);
		scan_string(&sc, &k);
		skip_ws(&sc);
		if (sc.i >= len || text[sc.i] != ':')
			break;
		adv(&sc);
		skip_ws(&sc);
		*start = sc.i;
		scan_value(&sc, path, 0, 1);
		*end = sc.i;
		if (k.data && strcmp(k.data, key) == 0) {
			found = 0;
			break;
		}
		skip_ws(&sc);
		if (sc.i < len && text[sc.i] == ',')
			adv(&sc);
		else
			break;
	}
out:
	buf_free(&k);
	return found;
}

void
jsonpos_linecol(const char *text, size_t off, int *line, int *col)
{
	*line = 1;
	*col = 1;
	for (size_t i = 0; i < off && text[i]; i++) {
		if (text[i] == '\n') {
			(*line)++;
			*col = 1;
		} else if (((unsigned char)text[i] & 0xC0) != 0x80)
			(*col)++;
	}
}
