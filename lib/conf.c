/* conf: JSON config reading with positioned, collected errors. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "conf.h"
#include "jsonpos.h"
#include "log.h"
#include "timeutil.h"
#include "xmalloc.h"

#define CONF_MAX_FILE (64u * 1024 * 1024)

static void
conf_add(struct confctx *c, char *msg)
{
	c->errs = xreallocarray(c->errs, c->nerrs + 1, sizeof(*c->errs));
	c->errs[c->nerrs++] = msg;
}

/* Parse c->text; with defer, the array value of that top-level key is
 * blanked out first (kept as "[ ... ]" of spaces and newlines, so every
 * position elsewhere stays the same) and its span returned. */
static int
conf_parse(struct confctx *c, const char *name, const char *defer,
    size_t *dstart, size_t *dend, json_t **root)
{
	json_error_t je;
	char *blank = NULL;
	size_t s, e;

	if (defer && dstart)
		*dstart = *dend = 0;
	if (defer && jsonpos_top_value(c->text, c->textlen, defer, &s, &e) == 0 &&
	    e > s + 1 && c->text[s] == '[' && c->text[e - 1] == ']') {
		blank = xstrndup(c->text, c->textlen);
		for (size_t i = s + 1; i < e - 1; i++)
			if (blank[i] != '\n')
				blank[i] = ' ';
		*dstart = s;
		*dend = e;
	}
	*root = json_loadb(blank ? blank : c->text, c->textlen,
	    JSON_REJECT_DUPLICATES, &je);
	free(blank);
	if (*root == NULL) {
		conf_add(c, xasprintf("%s:%d:%d: %s", name, je.line, je.column, je.text));
		return -1;
	}
	if (!json_is_object(*root)) {
		conf_add(c, xasprintf("%s:1:1: the top level must be a JSON object", name));
		json_decref(*root);
		*root = NULL;
		return -1;
	}
	return 0;
}

int
conf_load_string(struct confctx *c, const char *name, const char *text, json_t **root)
{
	return conf_load_deferred(c, name, text, NULL, root, NULL, NULL);
}

/* A config may hold keys, tokens and webhook URLs: say so (once per load)
 * when the file can be read by group or others. */
static void
warn_if_exposed(FILE *fp, const char *file)
{
	struct stat st;

	if (fstat(fileno(fp), &st) == 0 && S_ISREG(st.st_mode) &&
	    (st.st_mode & (S_IRGRP | S_IROTH)) != 0)
		log_warn("config file %s is readable by %s (mode %04o) and may "
		    "hold keys, tokens or webhook URLs: chmod 600 it", file,
		    (st.st_mode & S_IROTH) ? "others" : "its group",
		    (unsigned)(st.st_mode & 07777));
}

static int
read_file(struct confctx *c, const char *file)
{
	struct buf b;
	char chunk[65536];
	FILE *fp;
	size_t n;

	if ((fp = fopen(file, "rb")) == NULL) {
		conf_add(c, xasprintf("%s: cannot open: %s", file, strerror(errno)));
		return -1;
	}
	warn_if_exposed(fp, file);
	buf_init(&b, CONF_MAX_FILE);
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0) {
		if (buf_append(&b, chunk, n) < 0)
			break;
	}
	if (ferror(fp) || b.truncated) {
		conf_add(c, xasprintf("%s: %s", file, b.truncated ?
		    "file too large (64 MiB at most)" : strerror(errno)));
		fclose(fp);
		buf_free(&b);
		return -1;
	}
	fclose(fp);
	c->text = buf_steal(&b);
	c->textlen = strlen(c->text);
	return 0;
}

int
conf_load_file(struct confctx *c, const char *file, json_t **root)
{
	return conf_load_deferred(c, file, NULL, NULL, root, NULL, NULL);
}

int
conf_load_deferred(struct confctx *c, const char *file, const char *text,
    const char *defer, json_t **root, size_t *start, size_t *end)
{
	*root = NULL;
	c->file = file;
	if (text != NULL) {
		if (c->text != text) {
			free(c->text);
			c->text = xstrdup(text);
		}
		c->textlen = strlen(c->text);
	} else if (read_file(c, file) < 0)
		return -1;
	return conf_parse(c, file, defer, start, end, root);
}

void
conf_error_at(struct confctx *c, size_t off, const char *fmt, ...)
{
	char msg[1024];
	int line, col;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	jsonpos_linecol(c->text, off, &line, &col);
	conf_add(c, xasprintf("%s:%d:%d: %s", c->file ? c->file : "<config>",
	    line, col, msg));
}

static size_t
skip_space(const char *t, size_t i, size_t end)
{
	while (i < end && strchr(" \t\r\n", t[i]) != NULL)
		i++;
	return i;
}

long
conf_each_element(struct confctx *c, const char *path, size_t start, size_t end,
    void (*fn)(void *arg, size_t i, json_t *elem), void *arg)
{
	const char *t = c->text;
	size_t i = skip_space(t, start + 1, end), n = 0;

	if (start >= end || t[start] != '[')
		return -1;
	i = skip_space(t, i, end);
	if (i < end && t[i] == ']')
		return 0;
	while (i < end) {
		size_t e = jsonpos_value_end(t, end, i);

		if (fn != NULL) {
			json_error_t je;
			json_t *v = json_loadb(t + i, e - i, JSON_REJECT_DUPLICATES |
			    JSON_DECODE_ANY, &je);

			if (v == NULL) {
				conf_error_at(c, i + (je.position > 0 ? (size_t)je.position - 1 : 0),
				    "%s[%zu]: %s", path, n, je.text);
				return -1;
			}
			fn(arg, n, v);
			json_decref(v);
		}
		n++;
		i = skip_space(t, e, end);
		if (i < end && t[i] == ',') {
			i = skip_space(t, i + 1, end);
			continue;
		}
		if (i < end && t[i] == ']')
			return (long)n;
		conf_error_at(c, i, "%s: expected ',' or ']' after element %zu", path, n - 1);
		return -1;
	}
	conf_error_at(c, end, "%s: the list is not closed", path);
	return -1;
}

void
conf_error(struct confctx *c, const char *path, const char *fmt, ...)
{
	char msg[1024];
	int line = 0, col = 0;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (c->pos == NULL && c->text != NULL)
		c->pos = jsonpos_build(c->text, c->textlen);
	if (c->pos == NULL || jsonpos_find(c->pos, path, &line, &col) < 0) {
		/* a missing key: point at the nearest ancestor that exists */
		char parent[CONF_PATH_MAX];
		char *dot, *bra;

		line = col = 1;
		snprintf(parent, sizeof(parent), "%s", path);
		while (c->pos != NULL && parent[0] != '\0') {
			dot = strrchr(parent, '.');
			bra = strrchr(parent, '[');
			if (bra != NULL && (dot == NULL || bra > dot))
				dot = bra;
			if (dot)
				*dot = '\0';
			else
				parent[0] = '\0';
			if (jsonpos_find(c->pos, parent, &line, &col) == 0)
				break;
		}
	}
	conf_add(c, xasprintf("%s:%d:%d: %s: %s", c->file ? c->file : "<config>",
	    line, col, path[0] ? path : "(top level)", msg));
}

void
conf_print_errors(const struct confctx *c)
{
	for (size_t i = 0; i < c->nerrs; i++)
		fprintf(stderr, "%s\n", c->errs[i]);
}

void
conf_ctx_free(struct confctx *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->nerrs; i++)
		free(c->errs[i]);
	free(c->errs);
	free(c->text);
	jsonpos_free(c->pos);
	memset(c, 0, sizeof(*c));
}

char *
conf_path(char *out, const char *parent, const char *key)
{
	snprintf(out, CONF_PATH_MAX, "%s%s%s", parent, parent[0] ? "." : "", key);
	return out;
}

char *
conf_path_idx(char *out, const char *parent, size_t i)
{
	snprintf(out, CONF_PATH_MAX, "%s[%zu]", parent, i);
	return out;
}

/* Levenshtein distance, small strings only; for "did you mean". */
static size_t
edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), prev[64], cur[64];

	if (la >= 63 || lb >= 63)
		return 99;
	for (size_t j = 0; j <= lb; j++)
		prev[j] = j;
	for (size_t i = 1; i <= la; i++) {
		cur[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
			size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
			cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
		}
		memcpy(prev, cur, (lb + 1) * sizeof(size_t));
	}
	return prev[lb];
}

void
conf_only_keys(struct confctx *c, const char *path, json_t *obj,
    const char *const *allowed)
{
	const char *key;
	json_t *v;

	json_object_foreach(obj, key, v) {
		const char *best = NULL;
		size_t bestd = 3, i;
		char p[CONF_PATH_MAX];

		for (i = 0; allowed[i]; i++)
			if (strcmp(allowed[i], key) == 0)
				break;
		if (allowed[i])
			continue;
		for (i = 0; allowed[i]; i++) {
			size_t d = edit_distance(key, allowed[i]);
			if (d < bestd) {
				bestd = d;
				best = allowed[i];
			}
		}
		if (best)
			conf_error(c, conf_path(p, path, key),
			    "unknown key (did you mean \"%s\"?)", best);
		else
			conf_error(c, conf_path(p, path, key), "unknown key");
	}
}

json_t *
conf_object(struct confctx *c, const char *path, json_t *v)
{
	if (!json_is_object(v)) {
		conf_error(c, path, "must be an object");
		return NULL;
	}
	return v;
}

int
conf_get_string(struct confctx *c, const char *path, json_t *obj,
    const char *key, bool required, char **out)
{
	json_t *v = json_object_get(obj, key);
	char p[CONF_PATH_MAX];

	conf_path(p, path, key);
	if (v == NULL) {
		if (required) {
			conf_error(c, p, "required key is missing");
			return -1;
		}
		return 0;
	}
	if (!json_is_string(v)) {
		conf_error(c, p, "must be a string");
		return -1;
	}
	if (strlen(json_string_value(v)) != json_string_length(v)) {
		conf_error(c, p, "must not contain NUL characters");
		return -1;
	}
	if (required && json_string_length(v) == 0) {
		conf_error(c, p, "must not be empty");
		return -1;
	}
	free(*out);
	*out = xstrdup(json_string_value(v));
	return 0;
}

int
conf_get_bool(struct confctx *c, const char *path, json_t *obj,
    const char *key, bool *out)
{
	json_t *v = json_object_get(obj, key);
	char p[CONF_PATH_MAX];

	if (v == NULL)
		return 0;
	if (!json_is_boolean(v)) {
		conf_error(c, conf_path(p, path, key), "must be true or false");
		return -1;
	}
	*out = json_is_true(v);
	return 0;
}

int
conf_get_int(struct confctx *c, const char *path, json_t *obj,
    const char *key, int64_t min, int64_t max, int64_t *out)
{
	json_t *v = json_object_get(obj, key);
	char p[CONF_PATH_MAX];

	if (v == NULL)
		return 0;
	conf_path(p, path, key);
	if (!json_is_integer(v)) {
		conf_error(c, p, "must be an integer");
		return -1;
	}
	if (json_integer_value(v) < min || json_integer_value(v) > max) {
		conf_error(c, p, "must be between %lld and %lld",
		    (long long)min, (long long)max);
		return -1;
	}
	*out = json_integer_value(v);
	return 0;
}

int
conf_get_duration(struct confctx *c, const char *path, json_t *obj,
    const char *key, int64_t min_ms, int64_t max_ms, int64_t *out_ms)
{
	json_t *v = json_object_get(obj, key);
	char p[CONF_PATH_MAX], err[256], a[32], b[32];
	int64_t ms;

	if (v == NULL)
		return 0;
	conf_path(p, path, key);
	if (!json_is_string(v)) {
		conf_error(c, p, "must be a duration string such as \"10s\"");
		return -1;
	}
	if (duration_parse(json_string_value(v), &ms, err, sizeof(err)) < 0) {
		conf_error(c, p, "%s", err);
		return -1;
	}
	if (ms < min_ms || ms > max_ms) {
		conf_error(c, p, "must be between %s and %s",
		    duration_format(min_ms, a, sizeof(a)),
		    duration_format(max_ms, b, sizeof(b)));
		return -1;
	}
	*out_ms = ms;
	return 0;
}

int
conf_get_enum(struct confctx *c, const char *path, json_t *obj,
    const char *key, const char *const *choices, int *out)
{
	char p[CONF_PATH_MAX], list[256] = "";
	json_t *v = json_object_get(obj, key);
	size_t off = 0;

	if (v == NULL)
		return 0;
	conf_path(p, path, key);
	if (json_is_string(v)) {
		for (int i = 0; choices[i]; i++) {
			if (strcmp(choices[i], json_string_value(v)) == 0) {
				*out = i;
				return 0;
			}
		}
	}
	for (int i = 0; choices[i] && off < sizeof(list); i++)
		off += (size_t)snprintf(list + off, sizeof(list) - off, "%s%s",
		    i ? ", " : "", choices[i]);
	conf_error(c, p, "must be one of: %s", list);
	return -1;
}
