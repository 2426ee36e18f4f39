/* conf: reading a JSON config file with jansson and collecting every error
 * as "file:line:column: key: what is wrong", all at once. */
#ifndef VANTAGE_CONF_H
#define VANTAGE_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define CONF_PATH_MAX 512

struct jsonpos;

struct confctx {
	const char	*file;		/* name shown in messages */
	char		*text;		/* the file's bytes (owned) */
	size_t		 textlen;
	struct jsonpos	*pos;		/* built on the first error */
	char		**errs;		/* collected messages (owned) */
	size_t		 nerrs;
};

/* Read and parse file into *root (caller json_decref's it). Duplicate keys
 * are errors. A file readable by group or others is read, with a warning
 * logged. Returns 0, or -1 with one error added to c. c must be zeroed
 * first; release it with conf_ctx_free. */
int conf_load_file(struct confctx *c, const char *file, json_t **root);
/* Same, from a string already in memory (name is used in messages). */
int conf_load_string(struct confctx *c, const char *name, const char *text, json_t **root);
/* Like conf_load_file (text NULL) or conf_load_string (text given), but the
 * array that is the value of top-level key defer is not built: it reads as
 * an empty list and its text span goes to *start, *end (both 0 when there
 * is no such array) for conf_each_element. Big check lists then never
 * exist as one jansson tree. */
int conf_load_deferred(struct confctx *c, const char *file, const char *text,
    const char *defer, json_t **root, size_t *start, size_t *end);
/* Parse the elements of the array at c->text[start, end) one at a time,
 * calling fn (if not NULL) with each (borrowed, freed after fn). Returns the
 * number of elements, or -1 with an error added for a syntax error. */
long conf_each_element(struct confctx *c, const char *path, size_t start,
    size_t end, void (*fn)(void *arg, size_t i, json_t *elem), void *arg);
/* Add an error at byte offset off of the text. */
void conf_error_at(struct confctx *c, size_t off, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Add an error at path (e.g. "checks[2].timeout"); the message is prefixed
 * with file:line:column and the path. */
void conf_error(struct confctx *c, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Write every collected error, one per line, to stderr. */
void conf_print_errors(const struct confctx *c);
/* Release what c holds (not c itself). */
void conf_ctx_free(struct confctx *c);

/* Build "parent.key" (or "key" at the top) into out (CONF_PATH_MAX). */
char *conf_path(char *out, const char *parent, const char *key);
/* Build "parent[i]" into out (CONF_PATH_MAX). */
char *conf_path_idx(char *out, const char *parent, size_t i);

/* Report every key of obj not in the NULL-terminated list allowed. */
void conf_only_keys(struct confctx *c, const char *path, json_t *obj,
    const char *const *allowed);
/* Require obj at path to be an object; returns it or NULL (error added). */
json_t *conf_object(struct confctx *c, const char *path, json_t *v);

/* Typed getters: if key is absent, *out is left alone and 0 is returned
 * (or an error if required). On a wrong type or bad value an error is
 * added and -1 returned. Strings are copied (caller frees). */
int conf_get_string(struct confctx *c, const char *path, json_t *obj,
    const char *key, bool required, char **out);
int conf_get_bool(struct confctx *c, const char *path, json_t *obj,
    const char *key, bool *out);
int conf_get_int(struct confctx *c, const char *path, json_t *obj,
    const char *key, int64_t min, int64_t max, int64_t *out);
/* A duration string ("10s") in milliseconds, between min_ms and max_ms. */
int conf_get_duration(struct confctx *c, const char *path, json_t *obj,
    const char *key, int64_t min_ms, int64_t max_ms, int64_t *out_ms);
/* A string that must be one of the NULL-terminated choices; *out gets the
 * index of the match. */
int conf_get_enum(struct confctx *c, const char *path, json_t *obj,
    const char *key, const char *const *choices, int *out);

#endif
