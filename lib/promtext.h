/* promtext: helpers for the Prometheus text exposition format. */
#ifndef VANTAGE_PROMTEXT_H
#define VANTAGE_PROMTEXT_H

#include <stdbool.h>

#include "buf.h"

/* Append `# HELP name text` and `# TYPE name type`. */
void promtext_help(struct buf *b, const char *name, const char *type, const char *text);
/* Append name="value" (escaped), preceded by a comma unless first. */
void promtext_label(struct buf *b, const char *name, const char *value, bool first);

#endif
