/* record: the result record's typed form and its exact JSON round trip. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record.h"
#include "xmalloc.h"

static const char *const field_names[RF_COUNT] = {
	[RF_CACHE] = "cache", [RF_CACHE_RAW] = "cache_raw", [RF_AGE_S] = "age_s",
	[RF_INCONCLUSIVE] = "inconclusive", [RF_CHECK] = "check", [RF_KIND] = "kind",
	[RF_SERVICE] = "service", [RF_LAYER] = "layer", [RF_PROVIDER] = "provider",
	[RF_URL] = "url", [RF_AGENT] = "agent", [RF_REGION] = "region",
	[RF_SEQ] = "seq", [RF_TS] = "ts", [RF_OK] = "ok",
	[RF_ERROR_CLASS] = "error_class", [RF_ERROR] = "error",
	[RF_STATUS] = "status", [RF_HTTP_VERSION] = "http_version", [RF_IP] = "ip",
	[RF_BYTES] = "bytes", [RF_TRUNCATED] = "truncated", [RF_DNS_US] = "dns_us",
	[RF_CONNECT_US] = "connect_us", [RF_TLS_US] = "tls_us",
	[RF_PROCESSING_US] = "processing_us", [RF_TRANSFER_US] = "transfer_us",
	[RF_TOTAL_US] = "total_us", [RF_ATTEMPTS] = "attempts",
	[RF_CERT_NOT_AFTER] = "cert_not_after",
};

/* The field names, sorted (strcmp), for looking a key up. */
static const struct {
	const char		*name;
	enum record_field	 f;
} by_name[RF_COUNT] = {
	{ "age_s", RF_AGE_S },
	{ "agent", RF_AGENT },
	{ "attempts", RF_ATTEMPTS },
	{ "bytes", RF_BYTES },
	{ "cache", RF_CACHE },
	{ "cache_raw", RF_CACHE_RAW },
	{ "cert_not_after", RF_CERT_NOT_AFTER },
	{ "check", RF_CHECK },
	{ "connect_us", RF_CONNECT_US },
	{ "dns_us", RF_DNS_US },
	{ "error", RF_ERROR },
	{ "error_class", RF_ERROR_CLASS },
	{ "http_version", RF_HTTP_VERSION },
	{ "inconclusive", RF_INCONCLUSIVE },
	{ "ip", RF_IP },
	{ "kind", RF_KIND },
	{ "layer", RF_LAYER },
	{ "ok", RF_OK },
	{ "processing_us", RF_PROCESSING_US },
	{ "provider", RF_PROVIDER },
	{ "region", RF_REGION },
	{ "seq", RF_SEQ },
	{ "service", RF_SERVICE },
	{ "status", RF_STATUS },
	{ "tls_us", RF_TLS_US },
	{ "total_us", RF_TOTAL_US },
	{ "transfer_us", RF_TRANSFER_US },
	{ "truncated", RF_TRUNCATED },
	{ "ts", RF_TS },
	{ "url", RF_URL },
};

/* The typed field named key, or RF_COUNT: the names that start with the
 * same letter, then strcmp (called for every key of every record). */
static enum record_field
field_of(const char *key)
{
	size_t lo = 0, hi;

	/* by_name is sorted: find the run of names with key's first letter */
	while (lo < RF_COUNT && by_name[lo].name[0] < key[0])
		lo++;
	for (hi = lo; hi < RF_COUNT && by_name[hi].name[0] == key[0]; hi++)
		if (strcmp(by_name[hi].name + 1, key + 1) == 0)
			return by_name[hi].f;
	return RF_COUNT;
}

/* The text fields and where each lives in struct record. */
static const struct {
	enum record_field	f;
	enum record_text	t;
	size_t			max;
} text_fields[] = {
	{ RF_KIND, RT_KIND, RECORD_LABEL_MAX },
	{ RF_URL, RT_URL, RECORD_TEXT_MAX },
	{ RF_ERROR, RT_ERROR, RECORD_TEXT_MAX },
	{ RF_HTTP_VERSION, RT_HTTP_VERSION, RECORD_LABEL_MAX },
	{ RF_IP, RT_IP, RECORD_LABEL_MAX },
	{ RF_CACHE, RT_CACHE, RECORD_LABEL_MAX },
	{ RF_CACHE_RAW, RT_CACHE_RAW, RECORD_TEXT_MAX },
};

const char *
record_field_name(enum record_field f)
{
	return f < RF_COUNT ? field_names[f] : NULL;
}

static int64_t *
us_field(struct record *r, enum record_field f)
{
	switch (f) {
	case RF_DNS_US: return &r->dns_us;
	case RF_CONNECT_US: return &r->connect_us;
	case RF_TLS_US: return &r->tls_us;
	case RF_PROCESSING_US: return &r->processing_us;
	case RF_TRANSFER_US: return &r->transfer_us;
	case RF_TOTAL_US: return &r->total_us;
	default: return NULL;
	}
}

static const int64_t *
us_field_c(const struct record *r, enum record_field f)
{
	return us_field((struct record *)(uintptr_t)r, f);
}

/* A label: a string of at most RECORD_LABEL_MAX bytes, or null. */
static int
label(json_t *const *fv, enum record_field f, const char **out, struct record *r,
    char *err, size_t errlen)
{
	json_t *v = fv[f];

	*out = NULL;
	if (v == NULL)
		return 0;
	if (!json_is_null(v) && (!json_is_string(v) ||
	    json_string_length(v) > RECORD_LABEL_MAX)) {
		snprintf(err, errlen, "%s: must be a string (%d bytes at most) or null",
		    field_names[f], RECORD_LABEL_MAX);
		return -1;
	}
	*out = json_string_value(v);
	r->present |= 1u << f;
	return 0;
}

/* A timing: required or not, an integer 0..RECORD_US_MAX. Absent or null
 * counts as 0 (null is kept in the residual, so it is served back). */
static int
timing(json_t *const *fv, enum record_field f, bool required, struct record *r,
    char *err, size_t errlen)
{
	json_t *v = fv[f];
	int64_t *out = us_field(r, f);

	*out = 0;
	if (v == NULL || json_is_null(v)) {
		if (required) {
			snprintf(err, errlen, "%s: missing", field_names[f]);
			return -1;
		}
		return 0;
	}
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) > RECORD_US_MAX) {
		snprintf(err, errlen, "%s: must be an integer of microseconds, 0 to "
		    "%lld (a run lasts at most a day)", field_names[f],
		    (long long)RECORD_US_MAX);
		return -1;
	}
	*out = json_integer_value(v);
	r->present |= 1u << f;
	return 0;
}

/* An integer kept as it is when it is one (else it stays residual). */
static void
loose_int(json_t *const *fv, enum record_field f, int64_t *out, bool *is_null,
    struct record *r)
{
	json_t *v = fv[f];

	*out = 0;
	if (json_is_integer(v)) {
		*out = json_integer_value(v);
		if (is_null)
			*is_null = false;
		r->present |= 1u << f;
	} else if (json_is_null(v) && is_null != NULL) {
		*is_null = true;
		r->present |= 1u << f;
	}
}

static void
loose_bool(json_t *const *fv, enum record_field f, bool *out, struct record *r)
{
	json_t *v = fv[f];

	*out = false;
	if (json_is_boolean(v)) {
		*out = json_is_true(v);
		r->present |= 1u << f;
	}
}

int
record_parse(json_t *rec, const char *agent, const char *region,
    int64_t max_ts, struct record *r, char *err, size_t errlen)
{
	json_t *fv[RF_COUNT], *v, *rest;
	const char *a, *reg;
	bool null_unused = false;

	memset(r, 0, sizeof(*r));
	if (!json_is_object(rec)) {
		snprintf(err, errlen, "must be an object");
		return -1;
	}
	/* one pass over the keys: each typed field's value, or NULL */
	memset(fv, 0, sizeof(fv));
	{
		const char *key;
		json_t *val;

		json_object_foreach(rec, key, val) {
			enum record_field f = field_of(key);

			if (f < RF_COUNT)
				fv[f] = val;
		}
	}
	if (label(fv, RF_AGENT, &a, r, err, errlen) < 0)
		return -1;
	if (a == NULL || strcmp(a, agent) != 0) {
		snprintf(err, errlen, "agent: must be \"%s\", the signing agent", agent);
		return -1;
	}
	r->agent = agent;
	v = fv[RF_SEQ];
	if (!json_is_integer(v) || json_integer_value(v) < 1 ||
	    json_integer_value(v) > RECORD_SEQ_MAX) {
		snprintf(err, errlen, "seq: must be an integer, 1 to %lld",
		    (long long)RECORD_SEQ_MAX);
		return -1;
	}
	r->seq = json_integer_value(v);
	v = fv[RF_TS];
	if (!json_is_integer(v) || json_integer_value(v) < 1) {
		snprintf(err, errlen, "ts: must be an integer >= 1 (Unix ms)");
		return -1;
	}
	r->ts = json_integer_value(v);
	if (r->ts > max_ts) {
		snprintf(err, errlen, "ts: %lld is in the future (check the agent's clock)",
		    (long long)r->ts);
		return -1;
	}
	r->present |= (1u << RF_SEQ) | (1u << RF_TS);
	if (timing(fv, RF_TOTAL_US, true, r, err, errlen) < 0 ||
	    timing(fv, RF_DNS_US, false, r, err, errlen) < 0 ||
	    timing(fv, RF_CONNECT_US, false, r, err, errlen) < 0 ||
	    timing(fv, RF_TLS_US, false, r, err, errlen) < 0 ||
	    timing(fv, RF_PROCESSING_US, false, r, err, errlen) < 0 ||
	    timing(fv, RF_TRANSFER_US, false, r, err, errlen) < 0)
		return -1;
	if (label(fv, RF_CHECK, &r->check, r, err, errlen) < 0 ||
	    label(fv, RF_SERVICE, &r->service, r, err, errlen) < 0 ||
	    label(fv, RF_LAYER, &r->layer, r, err, errlen) < 0 ||
	    label(fv, RF_PROVIDER, &r->provider, r, err, errlen) < 0)
		return -1;
	if (r->check == NULL || *r->check == '\0') {
		snprintf(err, errlen, "check: missing");
		return -1;
	}
	/* the series' region is the batch's; a record that says otherwise
	 * keeps its own value in the residual */
	r->region = region;
	v = fv[RF_REGION];
	if (v != NULL) {
		reg = json_string_value(v);
		if ((json_is_null(v) && region == NULL) ||
		    (reg && region && strcmp(reg, region) == 0))
			r->present |= 1u << RF_REGION;
	}
	for (size_t i = 0; i < sizeof(text_fields) / sizeof(text_fields[0]); i++) {
		enum record_field f = text_fields[i].f;
		enum record_text t = text_fields[i].t;

		v = fv[f];
		if (json_is_string(v)) {
			if (json_string_length(v) > text_fields[i].max) {
				if (f == RF_KIND) {
					snprintf(err, errlen, "kind: must be a string (%d "
					    "bytes at most) or null", RECORD_LABEL_MAX);
					return -1;
				}
				continue;	/* kept whole in the residual */
			}
			r->text[t] = json_string_value(v);
			r->text_len[t] = json_string_length(v);
			r->present |= 1u << f;
		} else if (json_is_null(v))
			r->present |= 1u << f;
		else if (v != NULL && f == RF_KIND) {
			snprintf(err, errlen, "kind: must be a string (%d bytes at most) "
			    "or null", RECORD_LABEL_MAX);
			return -1;
		}
	}
	if (!json_is_boolean(v = fv[RF_OK])) {
		snprintf(err, errlen, "ok: must be true or false");
		return -1;
	}
	r->ok = json_is_true(v);
	r->present |= 1u << RF_OK;
	/* a failure while the agent's own network was down (README) */
	v = fv[RF_INCONCLUSIVE];
	if (v != NULL && !json_is_null(v) && !json_is_boolean(v)) {
		snprintf(err, errlen, "inconclusive: must be true or false");
		return -1;
	}
	loose_bool(fv, RF_INCONCLUSIVE, &r->inconclusive, r);
	loose_bool(fv, RF_TRUNCATED, &r->truncated, r);
	v = fv[RF_ERROR_CLASS];
	if (r->ok) {
		if (v && !json_is_null(v)) {
			snprintf(err, errlen, "error_class: must be null when ok is true");
			return -1;
		}
		r->error_class = ERRCLASS_NONE;
	} else {
		int ec = json_is_string(v) ? errclass_parse(json_string_value(v)) : -1;
		if (ec < 0) {
			snprintf(err, errlen, "error_class: must be one of %s",
			    errclass_list());
			return -1;
		}
		r->error_class = (enum errclass)ec;
	}
	if (v != NULL)
		r->present |= 1u << RF_ERROR_CLASS;
	loose_int(fv, RF_STATUS, &r->status, &null_unused, r);
	r->has_status = (r->present & (1u << RF_STATUS)) && !null_unused;
	null_unused = false;
	loose_int(fv, RF_CERT_NOT_AFTER, &r->cert_not_after, &null_unused, r);
	r->has_cert = (r->present & (1u << RF_CERT_NOT_AFTER)) && !null_unused;
	loose_int(fv, RF_BYTES, &r->bytes, NULL, r);
	loose_int(fv, RF_ATTEMPTS, &r->attempts, NULL, r);
	loose_int(fv, RF_AGE_S, &r->age_s, NULL, r);

	/* whatever the typed fields did not take, exactly as it came */
	rest = NULL;
	{
		const char *key;
		json_t *val;

		json_object_foreach(rec, key, val) {
			enum record_field f = field_of(key);

			if (f < RF_COUNT && (r->present & (1u << f)))
				continue;
			if (rest == NULL)
				rest = json_object();
			json_object_set(rest, key, val);
		}
	}
	if (rest != NULL) {
		char *txt = json_dumps(rest, JSON_COMPACT | JSON_PRESERVE_ORDER);
		json_free_t jfree;
		size_t len = txt ? strlen(txt) : 0;

		/* jansson's allocator made txt (it may be an arena's): keep a
		 * copy of our own */
		json_get_alloc_funcs(NULL, &jfree);
		json_decref(rest);
		if (txt == NULL || len > RECORD_EXTRA_MAX) {
			snprintf(err, errlen, "the record's other fields take more than "
			    "%d bytes", RECORD_EXTRA_MAX);
			if (txt)
				jfree(txt);
			return -1;
		}
		r->text[RT_EXTRA] = xstrdup(txt);
		r->text_len[RT_EXTRA] = len;
		r->extra_owned = true;
		jfree(txt);
	}
	return 0;
}

static json_t *
text_or_null(const struct record *r, enum record_text t)
{
	json_t *v;

	if (r->text[t] == NULL)
		return json_null();
	v = json_stringn(r->text[t], r->text_len[t]);
	return v ? v : json_null();
}

static json_t *
label_or_null(const char *s)
{
	json_t *v;

	if (s == NULL)
		return json_null();
	v = json_string(s);
	return v ? v : json_null();
}

json_t *
record_to_json(const struct record *r)
{
	json_t *o = json_object();

	for (int f = RF_CHECK; f < RF_COUNT; f++) {
		json_t *v = NULL;

		if (!(r->present & (1u << f)))
			continue;
		switch (f) {
		case RF_CHECK: v = label_or_null(r->check); break;
		case RF_SERVICE: v = label_or_null(r->service); break;
		case RF_LAYER: v = label_or_null(r->layer); break;
		case RF_PROVIDER: v = label_or_null(r->provider); break;
		case RF_AGENT: v = label_or_null(r->agent); break;
		case RF_REGION: v = label_or_null(r->region); break;
		case RF_KIND: v = text_or_null(r, RT_KIND); break;
		case RF_URL: v = text_or_null(r, RT_URL); break;
		case RF_ERROR: v = text_or_null(r, RT_ERROR); break;
		case RF_HTTP_VERSION: v = text_or_null(r, RT_HTTP_VERSION); break;
		case RF_IP: v = text_or_null(r, RT_IP); break;
		case RF_SEQ: v = json_integer(r->seq); break;
		case RF_TS: v = json_integer(r->ts); break;
		case RF_OK: v = json_boolean(r->ok); break;
		case RF_ERROR_CLASS:
			v = r->ok ? json_null() :
			    json_string(errclass_name(r->error_class));
			break;
		case RF_STATUS:
			v = r->has_status ? json_integer(r->status) : json_null();
			break;
		case RF_BYTES: v = json_integer(r->bytes); break;
		case RF_TRUNCATED: v = json_boolean(r->truncated); break;
		case RF_ATTEMPTS: v = json_integer(r->attempts); break;
		case RF_CERT_NOT_AFTER:
			v = r->has_cert ? json_integer(r->cert_not_after) : json_null();
			break;
		default:
			v = json_integer(*us_field_c(r, (enum record_field)f));
			break;
		}
		json_object_set_new(o, field_names[f], v ? v : json_null());
	}
	/* the optional fields after the usual ones, as agents write them */
	if (r->present & (1u << RF_INCONCLUSIVE))
		json_object_set_new(o, "inconclusive", json_boolean(r->inconclusive));
	if (r->present & (1u << RF_CACHE))
		json_object_set_new(o, "cache", text_or_null(r, RT_CACHE));
	if (r->present & (1u << RF_CACHE_RAW))
		json_object_set_new(o, "cache_raw", text_or_null(r, RT_CACHE_RAW));
	if (r->present & (1u << RF_AGE_S))
		json_object_set_new(o, "age_s", json_integer(r->age_s));
	if (r->text[RT_EXTRA] != NULL) {
		json_t *rest = json_loadb(r->text[RT_EXTRA], r->text_len[RT_EXTRA], 0,
		    NULL);
		const char *key;
		json_t *val;

		if (!json_is_object(rest)) {
			json_decref(rest);
			json_decref(o);
			return NULL;
		}
		json_object_foreach(rest, key, val)
			json_object_set(o, key, val);
		json_decref(rest);
	}
	return o;
}

void
record_clear(struct record *r)
{
	if (r == NULL)
		return;
	if (r->extra_owned)
		free((void *)(uintptr_t)r->text[RT_EXTRA]);
	r->text[RT_EXTRA] = NULL;
	r->extra_owned = false;
}
