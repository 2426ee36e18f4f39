/* secret: keys and tokens in configs may be a literal, "env:NAME" (read from
 * the environment) or "file:/path" (the file's contents, trailing newline
 * removed), so secrets need not sit in the config file. */
#ifndef VANTAGE_SECRET_H
#define VANTAGE_SECRET_H

#include <stdbool.h>
#include <stddef.h>

/* Resolve spec into a new string (caller frees). Returns 0, or -1 with a
 * message in err (unset variable, unreadable file, empty secret, a file
 * with a NUL byte). A file readable by group or others is used, with a
 * warning logged. */
int secret_resolve(const char *spec, char **out, char *err, size_t errlen);
/* Is spec an "env:" or "file:" reference (rather than a literal)? */
bool secret_is_ref(const char *spec);
/* Check the form of a reference without resolving it: "env:" and a
 * variable name (letters, digits, '_', not starting with a digit), or
 * "file:" and an absolute path. 0, or -1 with a message in err. */
int secret_check_ref(const char *spec, char *err, size_t errlen);

#endif
