/* checkconf_kinds: per-kind check config parsers and the helpers they
 * share with checkconf.c. Private to lib/checkconf*.c. */
#ifndef VANTAGE_CHECKCONF_KINDS_H
#define VANTAGE_CHECKCONF_KINDS_H

#include <regex.h>

#include <jansson.h>

#include "checkconf.h"

struct confctx;

/* "any", "v4", "v6", NULL: the ip key's values. */
extern const char *const checkconf_ip_names[];

/* Compile src (POSIX ERE) into re; an error at path goes to c. 0 or -1. */
int checkconf_compile_regex(struct confctx *c, const char *path, const char *src,
    regex_t *re);
/* Report at path if url is not an http(s) URL with a host (the message
 * quotes url with its userinfo and the values of keys[0..nkeys) redacted). */
void checkconf_check_url(struct confctx *c, const char *path, const char *url,
    char *const *keys, size_t nkeys);
/* Parse the optional "redact" list of check o into cc (at most
 * CHECK_MAX_REDACT names). */
void checkconf_parse_redact(struct confctx *c, const char *path, json_t *o,
    struct check_config *cc);

/* Parse the kind's own keys of check o at path into cc; errors to c.
 * Return 0 (errors are counted in c). */
int checkconf_tls_parse(struct confctx *c, const char *path, json_t *o,
    struct check_config *cc);
int checkconf_tcp_parse(struct confctx *c, const char *path, json_t *o,
    struct check_config *cc);
int checkconf_dns_parse(struct confctx *c, const char *path, json_t *o,
    struct check_config *cc);
int checkconf_assets_parse(struct confctx *c, const char *path, json_t *o,
    struct check_config *cc);

#endif
