/* errclass: why a check failed, as data (one enum, one string table). */
#ifndef VANTAGE_ERRCLASS_H
#define VANTAGE_ERRCLASS_H

enum errclass {
	ERRCLASS_NONE = 0,	/* the check passed */
	ERRCLASS_DNS,
	ERRCLASS_CONNECT,
	ERRCLASS_TLS,
	ERRCLASS_TIMEOUT,
	ERRCLASS_HTTP_STATUS,
	ERRCLASS_ASSERTION,
	ERRCLASS_BODY,
	ERRCLASS_INTERNAL,
	ERRCLASS_CONSISTENCY,	/* targets serve different versions (assets) */
	ERRCLASS_COUNT
};

/* The wire name ("dns", "timeout", ...); NULL for ERRCLASS_NONE. */
const char *errclass_name(enum errclass ec);
/* Parse a wire name; returns the class or -1. */
int errclass_parse(const char *s);
/* Every wire name, comma-separated ("dns, connect, ..."), for messages. */
const char *errclass_list(void);

#endif
