/* jschema: a small JSON Schema (2020-12) validator for the keywords the
 * project's schemas use: type, enum, const, properties, required,
 * additionalProperties, items, minItems, minimum, maximum, oneOf, anyOf,
 * allOf and local $ref ("#/$defs/NAME"). Annotations ($schema, $id,
 * title, description, $comment, default, examples, format) are ignored.
 * Any other keyword is an error, so an unsupported schema never passes
 * silently. */
#ifndef VANTAGE_JSCHEMA_H
#define VANTAGE_JSCHEMA_H

#include <stddef.h>

#include <jansson.h>

/* Validate doc against schema (root, for $ref). Returns 0, or -1 with the
 * first problem ("at /slos/0/good: want integer") in err. */
int jschema_validate(const json_t *schema, const json_t *doc, char *err,
    size_t errlen);

#endif
