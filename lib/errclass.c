/* errclass: the one string table for error classes. */
#include "config.h"

#include <string.h>

#include "errclass.h"

static const char *const errclass_names[ERRCLASS_COUNT] = {
	[ERRCLASS_NONE] = NULL,
	[ERRCLASS_DNS] = "dns",
	[ERRCLASS_CONNECT] = "connect",
	[ERRCLASS_TLS] = "tls",
	[ERRCLASS_TIMEOUT] = "timeout",
	[ERRCLASS_HTTP_STATUS] = "http_status",
	[ERRCLASS_ASSERTION] = "assertion",
	[ERRCLASS_BODY] = "body",
	[ERRCLASS_INTERNAL] = "internal",
};

const char *
errclass_name(enum errclass ec)
{
	if ((int)ec < 0 || ec >= ERRCLASS_COUNT)
		return "internal";
	return errclass_names[ec];
}

int
errclass_parse(const char *s)
{
	for (int i = 1; i < ERRCLASS_COUNT; i++)
		if (strcmp(errclass_names[i], s) == 0)
			return i;
	return -1;
}
