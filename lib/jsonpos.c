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

	if (jp->n == jp->alloc) {
		jp->alloc = jp->alloc ? jp->alloc * 2 : 64;
		jp->v = xreallocarray(jp->v, jp->alloc, sizeof(*jp->v));
	}
	jp->v[jp->n].path = xstrdup(path);
	jp->v[jp->n].line = line;
	jp->v[jp->n].col = col;
	jp->n++;
}

/* Read a string token at sc->i (which is '"'), appending its text to out. */
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
			default: break;
			}
		}
		if (out)
			buf_append(out, &c, 1);
		adv(sc);
	}
	adv(sc);
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
		skip_ws(sc);
		if (sc->i >= sc->len || sc->s[sc->i] == ']')
			break;
		if (sc->s[sc->i] == ',') {
			adv(sc);
			continue;
		}
		snprintf(path + plen, JSONPOS_MAX_PATH - plen, "[%zu]", idx++);
		record(sc, path, sc->line, sc->col);
		scan_value(sc, path, strlen(path), depth + 1);
		path[plen] = '\0';
	}
	adv(sc);	/* ] */
}

static void
scan_value(struct scan *sc, char *path, size_t plen, int depth)
{
	skip_ws(sc);
	if (sc->i >= sc->len || depth > JSONPOS_MAX_DEPTH)
		return;
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
