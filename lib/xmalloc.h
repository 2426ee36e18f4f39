/* xmalloc: allocation wrappers that abort on out-of-memory (tier one errors). */
#ifndef VANTAGE_XMALLOC_H
#define VANTAGE_XMALLOC_H

#include <stddef.h>

/* Allocate n bytes; never returns NULL (aborts on OOM). Free with free(). */
void *xmalloc(size_t n);
/* Allocate zeroed nmemb*size bytes, checking overflow; never NULL. */
void *xcalloc(size_t nmemb, size_t size);
/* Resize p to nmemb*size bytes, checking overflow; never NULL. */
void *xreallocarray(void *p, size_t nmemb, size_t size);
/* Duplicate s (NULL gives NULL); caller frees. */
char *xstrdup(const char *s);
/* Duplicate at most n bytes of s, NUL-terminated; caller frees. */
char *xstrndup(const char *s, size_t n);
/* printf into a new string; caller frees. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
