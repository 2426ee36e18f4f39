/* result: one run of one check by one agent, and its JSON form (the
 * record in DESIGN.md: --once output, outbox row, ingest element). */
#ifndef VANTAGE_RESULT_H
#define VANTAGE_RESULT_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "errclass.h"

struct result {
	/* the check and its labels (borrowed from the check config) */
	const char	*check, *kind, *service, *layer, *provider, *url;
	/* who ran it (borrowed) */
	const char	*agent, *region;
	int64_t		 seq;		/* assigned when stored */
	int64_t		 ts_ms;		/* start, Unix ms UTC */
	bool		 ok;
	enum errclass	 error_class;
	char		 error[256];	/* human message; "" when ok */
	long		 status;	/* HTTP status, 0 if none */
	char		 http_version[12];
	char		 ip[48];
	int64_t		 bytes;		/* body bytes read */
	bool		 truncated;	/* body cut at max_body */
	int64_t		 dns_us, connect_us, tls_us, processing_us, transfer_us;
	int64_t		 total_us;
	int		 attempts;
	int64_t		 cert_not_after;	/* Unix s; 0 = none */
	bool		 inconclusive;	/* failed while the agent's own network
					 * was down (reference targets failed) */
	json_t		*extra;		/* owned: kind-specific fields (tls_version,
					 * answers, details, ...) merged into the
					 * record; NULL for none */
};

/* Set the failure fields: ok=false, class and a formatted message. */
void result_fail(struct result *r, enum errclass ec, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Release what r owns (its extra fields), not r. NULL-safe. */
void result_release(struct result *r);
/* Set kind-specific field key of r to v (reference stolen; NULL v: null),
 * creating r->extra as needed. */
void result_set_extra(struct result *r, const char *key, json_t *v);
/* A JSON string for n bytes of outside text (a banner, a header): bytes that
 * are not UTF-8, and control characters other than tab, CR and LF, become
 * '?'. New reference. */
json_t *result_text_json(const char *s, size_t n);
/* Values a target sent (a header, a JSON value, a banner) are quoted in
 * error messages up to this many bytes, then cut with "...". */
#define RESULT_ECHO_MAX	64
/* Copy n bytes of outside text s into out (outlen bytes, at least
 * RESULT_ECHO_MAX + 4) for quoting in a message: at most RESULT_ECHO_MAX
 * bytes, cut between characters and ended with "..." when longer; bytes
 * that are not UTF-8 and control characters become '?'. Returns out. */
char *result_echo(char *out, size_t outlen, const char *s, size_t n);
/* Build the JSON record; caller json_decref's it. */
json_t *result_to_json(const struct result *r);
/* Serialise to one compact line (no newline); caller frees. */
char *result_to_line(const struct result *r);

#endif
