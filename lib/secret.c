/* secret: literal, env: and file: secrets. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "secret.h"
#include "xmalloc.h"

#define SECRET_MAX 4096

int
secret_resolve(const char *spec, char **out, char *err, size_t errlen)
{
	char buf[SECRET_MAX + 1];
	size_t n;

	*out = NULL;
	if (strncmp(spec, "env:", 4) == 0) {
		const char *v = getenv(spec + 4);
		if (spec[4] == '\0') {
			snprintf(err, errlen, "\"env:\" needs a variable name");
			return -1;
		}
		if (v == NULL || *v == '\0') {
			snprintf(err, errlen, "environment variable %s is not set", spec + 4);
			return -1;
		}
		*out = xstrdup(v);
		return 0;
	}
	if (strncmp(spec, "file:", 5) == 0) {
		FILE *fp = fopen(spec + 5, "r");
		if (fp == NULL) {
			snprintf(err, errlen, "cannot read %s: %s", spec + 5, strerror(errno));
			return -1;
		}
		n = fread(buf, 1, sizeof(buf), fp);
		fclose(fp);
		if (n > SECRET_MAX) {
			snprintf(err, errlen, "%s: secret longer than %d bytes", spec + 5,
			    SECRET_MAX);
			return -1;
		}
		while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
			n--;
		if (n == 0) {
			snprintf(err, errlen, "%s is empty", spec + 5);
			return -1;
		}
		*out = xstrndup(buf, n);
		return 0;
	}
	if (*spec == '\0') {
		snprintf(err, errlen, "empty secret");
		return -1;
	}
	*out = xstrdup(spec);
	return 0;
}
