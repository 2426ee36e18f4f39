/* reload: SIGHUP. Parse the config file again, validate it, and swap it in
 * for the running one without dropping a request in flight. */
#ifndef VANTAGE_RELOAD_H
#define VANTAGE_RELOAD_H

#include <stddef.h>

struct collector;

/* Make file the running config: checks, SLOs, alert rules, receivers,
 * agents and keys change at once (agents see a new ETag on their next pull;
 * the SLO engine reads its windows again). listen, tls and db need a
 * restart: a file that changes them is refused. Returns 0; -1 with the
 * reason in err (each config error is logged with file:line:column) and the
 * running config untouched. */
int reload_config(struct collector *c, const char *file, char *err,
    size_t errlen);

#endif
