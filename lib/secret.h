/* secret: keys and tokens in configs may be a literal, "env:NAME" (read from
 * the environment) or "file:/path" (the file's contents, trailing newline
 * removed), so secrets need not sit in the config file. */
#ifndef VANTAGE_SECRET_H
#define VANTAGE_SECRET_H

#include <stddef.h>

/* Resolve spec into a new string (caller frees). Returns 0, or -1 with a
 * message in err (unset variable, unreadable file, empty secret). */
int secret_resolve(const char *spec, char **out, char *err, size_t errlen);

#endif
