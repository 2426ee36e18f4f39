/* secret: literal, env: and file: secrets. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/crypto.h>

#include "log.h"
#include "secret.h"
#include "xmalloc.h"

#define SECRET_MAX	4096
#define ENV_NAME_MAX	128

bool
secret_is_ref(const char *spec)
{
	return strncmp(spec, "env:", 4) == 0 || strncmp(spec, "file:", 5) == 0;
}

int
secret_check_ref(const char *spec, char *err, size_t errlen)
{
	if (strncmp(spec, "env:", 4) == 0) {
		const char *n = spec + 4;
		size_t len = strlen(n);

		if (len == 0 || len > ENV_NAME_MAX || isdigit((unsigned char)n[0]) ||
		    strspn(n, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		    "0123456789_") != len) {
			snprintf(err, errlen, "\"env:\" needs a variable name (letters, "
			    "digits and '_', e.g. \"env:API_TOKEN\")");
			return -1;
		}
		return 0;
	}
	if (strncmp(spec, "file:", 5) == 0) {
		if (spec[5] != '/' || strlen(spec) > 4096) {
			snprintf(err, errlen, "\"file:\" needs an absolute path (e.g. "
			    "\"file:/etc/vantage/token\")");
			return -1;
		}
		return 0;
	}
	snprintf(err, errlen, "not an \"env:\" or \"file:\" secret");
	return -1;
}

/* Warn when the secret file fp (path) can be read by group or others. */
static void
warn_if_exposed(FILE *fp, const char *path)
{
	struct stat st;

	if (fstat(fileno(fp), &st) == 0 && S_ISREG(st.st_mode) &&
	    (st.st_mode & (S_IRGRP | S_IROTH)) != 0)
		log_warn("secret file %s is readable by %s (mode %04o): "
		    "chmod 600 it", path,
		    (st.st_mode & S_IROTH) ? "others" : "its group",
		    (unsigned)(st.st_mode & 07777));
}

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
		int rc = -1;

		if (fp == NULL) {
			snprintf(err, errlen, "cannot read %s: %s", spec + 5, strerror(errno));
			return -1;
		}
		warn_if_exposed(fp, spec + 5);
		n = fread(buf, 1, sizeof(buf), fp);
		fclose(fp);
		while (n > 0 && n <= SECRET_MAX &&
		    (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
			n--;
		if (n > SECRET_MAX)
			snprintf(err, errlen, "%s: secret longer than %d bytes", spec + 5,
			    SECRET_MAX);
		else if (n == 0)
			snprintf(err, errlen, "%s is empty", spec + 5);
		else if (memchr(buf, '\0', n) != NULL)
			snprintf(err, errlen, "%s holds a NUL byte (a secret is text)",
			    spec + 5);
		else {
			*out = xstrndup(buf, n);
			rc = 0;
		}
		OPENSSL_cleanse(buf, sizeof(buf));
		return rc;
	}
	if (*spec == '\0') {
		snprintf(err, errlen, "empty secret");
		return -1;
	}
	*out = xstrdup(spec);
	return 0;
}
