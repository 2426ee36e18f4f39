/* selector: label selectors, parsed and matched in one place. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "checkconf.h"
#include "conf.h"
#include "selector.h"
#include "xmalloc.h"

int
selector_parse(struct confctx *c, const char *path, json_t *v,
    struct selector *sel)
{
	static const char *const keys[] = {
		"service", "layer", "provider", "region", "check", NULL
	};
	size_t before = c->nerrs;
	int layer;

	if (conf_object(c, path, v) == NULL)
		return -1;
	conf_only_keys(c, path, v, keys);
	conf_get_string(c, path, v, "service", false, &sel->service);
	if (conf_get_enum(c, path, v, "layer", checkconf_layers, &layer) == 0 &&
	    json_object_get(v, "layer"))
		sel->layer = xstrdup(checkconf_layers[layer]);
	conf_get_string(c, path, v, "provider", false, &sel->provider);
	conf_get_string(c, path, v, "region", false, &sel->region);
	conf_get_string(c, path, v, "check", false, &sel->check);
	return c->nerrs == before ? 0 : -1;
}

bool
selector_match(const struct selector *sel, const char *service,
    const char *layer, const char *provider, const char *region, const char *check)
{
#define M(f, v) (sel->f == NULL || ((v) != NULL && strcmp(sel->f, (v)) == 0))
	return M(service, service) && M(layer, layer) && M(provider, provider) &&
	    M(region, region) && M(check, check);
#undef M
}

bool
selector_is_empty(const struct selector *sel)
{
	return sel->service == NULL && sel->layer == NULL && sel->provider == NULL &&
	    sel->region == NULL && sel->check == NULL;
}

json_t *
selector_json(const struct selector *s)
{
	json_t *o = json_object();

	if (s->service)
		json_object_set_new(o, "service", json_string(s->service));
	if (s->layer)
		json_object_set_new(o, "layer", json_string(s->layer));
	if (s->provider)
		json_object_set_new(o, "provider", json_string(s->provider));
	if (s->region)
		json_object_set_new(o, "region", json_string(s->region));
	if (s->check)
		json_object_set_new(o, "check", json_string(s->check));
	return o;
}

void
selector_clear(struct selector *sel)
{
	if (sel == NULL)
		return;
	free(sel->service);
	free(sel->layer);
	free(sel->provider);
	free(sel->region);
	free(sel->check);
	memset(sel, 0, sizeof(*sel));
}

static char *
dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

void
selector_copy(struct selector *dst, const struct selector *src)
{
	dst->service = dup_or_null(src->service);
	dst->layer = dup_or_null(src->layer);
	dst->provider = dup_or_null(src->provider);
	dst->region = dup_or_null(src->region);
	dst->check = dup_or_null(src->check);
}
