/* jschema: a JSON Schema subset validator for the tests. */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jschema.h"

#define DEPTH_MAX 64

struct vctx {
	const json_t	*root;
	char		*err;
	size_t		 errlen;
};

static int validate(struct vctx *c, const json_t *s, const json_t *v,
    const char *path, int depth);

static int
fail(struct vctx *c, const char *path, const char *what, const char *detail)
{
	snprintf(c->err, c->errlen, "at %s: %s%s%s", path[0] ? path : "/", what,
	    detail ? " " : "", detail ? detail : "");
	return -1;
}

static bool
type_is(const char *t, const json_t *v)
{
	if (strcmp(t, "object") == 0)
		return json_is_object(v);
	if (strcmp(t, "array") == 0)
		return json_is_array(v);
	if (strcmp(t, "string") == 0)
		return json_is_string(v);
	if (strcmp(t, "integer") == 0)
		return json_is_integer(v);
	if (strcmp(t, "number") == 0)
		return json_is_number(v);
	if (strcmp(t, "boolean") == 0)
		return json_is_boolean(v);
	if (strcmp(t, "null") == 0)
		return json_is_null(v);
	return false;
}

static bool
equal(const json_t *a, const json_t *b)
{
	/* JSON Schema: 1 and 1.0 are equal */
	if (json_is_number(a) && json_is_number(b))
		return json_number_value(a) == json_number_value(b);
	return json_equal(a, b);
}

static const json_t *
resolve(struct vctx *c, const char *ref)
{
	const char *prefix = "#/$defs/";

	if (strncmp(ref, prefix, strlen(prefix)) != 0)
		return NULL;
	return json_object_get(json_object_get(c->root, "$defs"), ref + strlen(prefix));
}

static int
validate(struct vctx *c, const json_t *s, const json_t *v, const char *path, int depth)
{
	static const char *const annotations[] = {
		"$schema", "$id", "title", "description", "$comment", "default",
		"examples", "format", "$defs", NULL
	};
	const char *k;
	json_t *kv;
	char sub[512];

	if (depth > DEPTH_MAX)
		return fail(c, path, "schema nests too deep", NULL);
	if (json_is_true(s))
		return 0;
	if (!json_is_object(s))
		return fail(c, path, "schema is not an object", NULL);
	json_object_foreach((json_t *)(uintptr_t)s, k, kv) {
		bool known = false;

		for (int i = 0; annotations[i]; i++)
			known = known || strcmp(k, annotations[i]) == 0;
		if (known)
			continue;
		if (strcmp(k, "type") == 0) {
			bool ok = false;

			if (json_is_string(kv))
				ok = type_is(json_string_value(kv), v);
			else {
				size_t i;
				json_t *t;

				json_array_foreach(kv, i, t)
					ok = ok || type_is(json_string_value(t), v);
			}
			if (!ok) {
				char *want = json_dumps(kv, JSON_ENCODE_ANY | JSON_COMPACT);
				int r = fail(c, path, "want type", want);

				free(want);
				return r;
			}
		} else if (strcmp(k, "enum") == 0) {
			size_t i;
			json_t *e;
			bool ok = false;

			json_array_foreach(kv, i, e)
				ok = ok || equal(e, v);
			if (!ok)
				return fail(c, path, "not one of the enum values", NULL);
		} else if (strcmp(k, "const") == 0) {
			if (!equal(kv, v))
				return fail(c, path, "not the const value", NULL);
		} else if (strcmp(k, "properties") == 0) {
			const char *pk;
			json_t *ps;

			if (!json_is_object(v))
				continue;
			json_object_foreach(kv, pk, ps) {
				json_t *pv = json_object_get(v, pk);

				snprintf(sub, sizeof(sub), "%s/%s", path, pk);
				if (pv && validate(c, ps, pv, sub, depth + 1) < 0)
					return -1;
			}
		} else if (strcmp(k, "required") == 0) {
			size_t i;
			json_t *r;

			if (!json_is_object(v))
				continue;
			json_array_foreach(kv, i, r)
				if (json_object_get(v, json_string_value(r)) == NULL)
					return fail(c, path, "missing required key",
					    json_string_value(r));
		} else if (strcmp(k, "additionalProperties") == 0) {
			const char *vk;
			json_t *vv, *props = json_object_get(s, "properties");

			if (!json_is_object(v))
				continue;
			json_object_foreach((json_t *)(uintptr_t)v, vk, vv) {
				if (json_object_get(props, vk))
					continue;
				snprintf(sub, sizeof(sub), "%s/%s", path, vk);
				if (json_is_false(kv))
					return fail(c, sub, "key not allowed by the schema", NULL);
				if (validate(c, kv, vv, sub, depth + 1) < 0)
					return -1;
			}
		} else if (strcmp(k, "items") == 0) {
			size_t i;
			json_t *e;

			if (!json_is_array(v))
				continue;
			json_array_foreach(v, i, e) {
				snprintf(sub, sizeof(sub), "%s/%zu", path, i);
				if (validate(c, kv, e, sub, depth + 1) < 0)
					return -1;
			}
		} else if (strcmp(k, "minItems") == 0) {
			if (json_is_array(v) && (json_int_t)json_array_size(v) <
			    json_integer_value(kv))
				return fail(c, path, "too few items", NULL);
		} else if (strcmp(k, "minimum") == 0) {
			if (json_is_number(v) && json_number_value(v) < json_number_value(kv))
				return fail(c, path, "below the minimum", NULL);
		} else if (strcmp(k, "maximum") == 0) {
			if (json_is_number(v) && json_number_value(v) > json_number_value(kv))
				return fail(c, path, "above the maximum", NULL);
		} else if (strcmp(k, "$ref") == 0) {
			const json_t *t = resolve(c, json_string_value(kv));

			if (t == NULL)
				return fail(c, path, "unresolvable $ref", json_string_value(kv));
			if (validate(c, t, v, path, depth + 1) < 0)
				return -1;
		} else if (strcmp(k, "allOf") == 0 || strcmp(k, "anyOf") == 0 ||
		    strcmp(k, "oneOf") == 0) {
			size_t i, n = 0;
			json_t *b;
			char first[512] = "";

			json_array_foreach(kv, i, b) {
				if (validate(c, b, v, path, depth + 1) == 0)
					n++;
				else if (k[0] == 'a' && k[1] == 'l')
					return -1;
				else if (first[0] == '\0')
					snprintf(first, sizeof(first), "%s", c->err);
			}
			if (strcmp(k, "anyOf") == 0 && n == 0)
				return fail(c, path, "matches no anyOf branch; first:", first);
			if (strcmp(k, "oneOf") == 0 && n != 1) {
				if (n == 0)
					return fail(c, path, "matches no oneOf branch; first:", first);
				return fail(c, path, "matches more than one oneOf branch", NULL);
			}
		} else
			return fail(c, path, "unsupported schema keyword", k);
	}
	return 0;
}

int
jschema_validate(const json_t *schema, const json_t *doc, char *err, size_t errlen)
{
	struct vctx c = { schema, err, errlen };

	return validate(&c, schema, doc, "", 0);
}
