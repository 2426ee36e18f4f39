/* record: one result record as the collector parses, stores and serves it.
 * An ingested JSON record becomes typed fields (labels, timings, texts)
 * plus, for anything the types cannot hold exactly (an unknown key, a null
 * where a number was expected), a residual JSON object; record_to_json
 * gives back every field of the record with the value it arrived with.
 * Pure: no I/O. The limits here are the ones ingest enforces. */
#ifndef VANTAGE_RECORD_H
#define VANTAGE_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "errclass.h"

#define RECORD_LABEL_MAX	256		/* bytes of a label or short text */
#define RECORD_TEXT_MAX		4096		/* bytes of error, url, cache_raw */
#define RECORD_US_MAX		86400000000LL	/* a run lasts at most a day */
#define RECORD_SEQ_MAX		((1LL << 53) - 1)
#define RECORD_EXTRA_MAX	65536		/* bytes of the residual object */

/* The fields the collector stores typed, in the order record_to_json
 * writes them. The first four are optional (a record usually lacks some);
 * the rest every agent sends. */
enum record_field {
	RF_CACHE = 0, RF_CACHE_RAW, RF_AGE_S, RF_INCONCLUSIVE,
	RF_CHECK, RF_KIND, RF_SERVICE, RF_LAYER, RF_PROVIDER, RF_URL, RF_AGENT,
	RF_REGION, RF_SEQ, RF_TS, RF_OK, RF_ERROR_CLASS, RF_ERROR, RF_STATUS,
	RF_HTTP_VERSION, RF_IP, RF_BYTES, RF_TRUNCATED, RF_DNS_US, RF_CONNECT_US,
	RF_TLS_US, RF_PROCESSING_US, RF_TRANSFER_US, RF_TOTAL_US, RF_ATTEMPTS,
	RF_CERT_NOT_AFTER,
	RF_COUNT
};

/* The fields of every record from a current agent (RF_CHECK on): stored
 * as present ^ RECORD_USUAL so a usual record stores a small number. */
#define RECORD_USUAL	(((1u << RF_COUNT) - 1) & ~((1u << RF_CHECK) - 1))

/* The texts a record holds, each stored once in the collector's text
 * dictionary. */
enum record_text {
	RT_KIND = 0, RT_URL, RT_ERROR, RT_HTTP_VERSION, RT_IP, RT_CACHE,
	RT_CACHE_RAW, RT_EXTRA, RT_COUNT
};

struct record {
	/* the series: who ran what, with which labels (strings borrowed) */
	const char	*check, *agent, *region, *service, *layer, *provider;
	/* texts (borrowed; NULL is JSON null); text[RT_EXTRA] is the residual
	 * object, owned when extra_owned */
	const char	*text[RT_COUNT];
	size_t		 text_len[RT_COUNT];
	bool		 extra_owned;
	int64_t		 seq, ts;
	bool		 ok, truncated, inconclusive;
	enum errclass	 error_class;	/* ERRCLASS_NONE when ok */
	bool		 has_status, has_cert;	/* else JSON null */
	int64_t		 status, bytes, attempts, cert_not_after, age_s;
	int64_t		 dns_us, connect_us, tls_us, processing_us, transfer_us, total_us;
	uint32_t	 present;	/* bit (1 << enum record_field) per field */
};

/* Parse one ingested record of agent (the signer; the record's "agent"
 * must name it) whose batch says region (NULL: none). The semantic checks
 * are the wire protocol's: check non-empty, ok boolean, error_class null
 * when ok and a known class when not, seq/ts/total_us present, every
 * timing 0..RECORD_US_MAX, ts at most max_ts, labels at most
 * RECORD_LABEL_MAX bytes. Strings in r borrow from rec (keep it alive);
 * the residual object, if any, is owned by r: release with record_clear.
 * 0, or -1 with a message naming the field in err (r then needs no
 * release). */
int record_parse(json_t *rec, const char *agent, const char *region,
    int64_t max_ts, struct record *r, char *err, size_t errlen);
/* The JSON record r describes: the typed fields present, then the
 * residual object's members. New reference, or NULL if the residual text
 * is not a JSON object (a damaged DB). */
json_t *record_to_json(const struct record *r);
/* Release what r owns (the residual text). NULL-safe. */
void record_clear(struct record *r);
/* Wire name of a field ("check", "dns_us", ...). */
const char *record_field_name(enum record_field f);

#endif
