/* selector: which results an SLO, an alert rule or a query covers, by
 * their labels (service, layer, provider, region, check). */
#ifndef VANTAGE_SELECTOR_H
#define VANTAGE_SELECTOR_H

#include <stdbool.h>

#include <jansson.h>

struct confctx;

/* NULL fields match anything. */
struct selector {
	char	*service, *layer, *provider, *region, *check;
};

/* Parse a selector object at path into sel (fields copied; sel must be
 * zeroed). Errors go to c. 0, or -1 when the object had errors. Release
 * with selector_clear. */
int selector_parse(struct confctx *c, const char *path, json_t *v,
    struct selector *sel);
/* Does a result with these labels (any may be NULL) match sel? */
bool selector_match(const struct selector *sel, const char *service,
    const char *layer, const char *provider, const char *region,
    const char *check);
/* True when no field is set (the selector takes everything). */
bool selector_is_empty(const struct selector *sel);
/* The selector as a JSON object of the fields that are set; new reference. */
json_t *selector_json(const struct selector *sel);
/* Free the fields and zero sel (sel itself is the caller's). NULL-safe. */
void selector_clear(struct selector *sel);
/* Deep copy of src into dst (dst is overwritten, not cleared first). */
void selector_copy(struct selector *dst, const struct selector *src);

#endif
