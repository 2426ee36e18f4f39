/* errclass: the one string table for error classes. */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
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
	[ERRCLASS_CONSISTENCY] = "consistency",
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

static char errclass_all[256];
static pthread_once_t errclass_once = PTHREAD_ONCE_INIT;

static void
errclass_build_list(void)
{
	size_t off = 0;

	for (int i = 1; i < ERRCLASS_COUNT && off < sizeof(errclass_all); i++)
		off += (size_t)snprintf(errclass_all + off, sizeof(errclass_all) - off,
		    "%s%s", i > 1 ? ", " : "", errclass_names[i]);
}

const char *
errclass_list(void)
{
	pthread_once(&errclass_once, errclass_build_list);
	return errclass_all;
}
