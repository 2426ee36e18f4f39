/* report: vantage-report without its command line: the options, the
 * sources (the collector DB read-only, or its API), the views and their
 * output in four formats. main.c only parses flags into a report_opts. */
#ifndef VANTAGE_REPORT_H
#define VANTAGE_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "buf.h"
#include "collconf.h"
#include "store.h"
#include "table.h"

#define REPORT_SCHEMA_VERSION	1
#define REPORT_DEFAULT_WINDOW_MS (30LL * 86400000)
#define REPORT_OUT_MAX		(256u * 1024 * 1024)	/* bytes of output, at most */

/* Exit statuses (DESIGN.md). */
#define REPORT_OK	0
#define REPORT_FAIL	1	/* runtime: a query or a request failed, a DB the
				 * collector has to convert first */
#define REPORT_USAGE	2	/* bad arguments, unreadable DB, unknown SLO */

enum report_format { RFMT_TEXT = 0, RFMT_MARKDOWN, RFMT_JSON, RFMT_CSV };

/* What to report, as the command line says it. Strings are borrowed. */
struct report_opts {
	const char		*view;		/* slo, incidents, failover, attribution, checks */
	const char		*db, *url, *token;	/* exactly one of db, url */
	const char		*slo;		/* only this SLO (NULL: all) */
	const char		*by;		/* region, layer, provider, check (NULL) */
	const struct collector_config *conf;	/* -c; NULL: no SLOs */
	enum report_format	 format;
	int64_t			 now_ms;
	bool			 window_set;	/* --window, --from/--to or --month given */
	int64_t			 from_ms, to_ms;	/* the window when window_set */
	char			 window_label[32];	/* "30d", "2026-10" or "" */
	int			 top;		/* checks: rows per list */
};

/* What a view works with. */
struct report_ctx {
	const struct report_opts *o;
	struct store		*st;		/* the collector DB, read-only; NULL with --url */
	int64_t			 from, to;	/* window (30 d ending now by default) */
	int64_t			 minute_first;	/* earliest minute rollup, -1 none */
	/* per-run timelines (core/timeline.h) start here: INT64_MIN when the
	 * raw results reach back as far as any rollup, INT64_MAX when there
	 * are none (set by report_run; see report_runs_split) */
	int64_t			 runs_from;
	json_t			*notes;		/* array of strings for the output */
	char			 resolution_line[256];	/* "(minute resolution ...)" or "" */
};

/* One view: build its part of the JSON document (into doc, which already
 * holds the envelope), then render that document as tables. */
struct report_view {
	const char	*name;
	bool		 db_only;	/* cannot be served from --url */
	/* 0, or an exit status with a message in err */
	int		(*build)(struct report_ctx *x, json_t *doc, char *err,
			    size_t errlen);
	/* text or Markdown body (the title and window lines are done) */
	void		(*render)(const json_t *doc, enum table_style style,
			    struct buf *out);
	/* the one CSV table */
	struct table	*(*csv)(const json_t *doc);
};

/* The views, NULL-terminated by name; report_view_find gives one or NULL. */
extern const struct report_view report_views[];
const struct report_view *report_view_find(const char *name);

/* Run the report of o and append its output to out. Returns an exit
 * status; on 1 or 2 a one-line message is in err. */
int report_run(const struct report_opts *o, struct buf *out, char *err,
    size_t errlen);

/* Fetch path (with query) of the collector API at o->url with o->token as
 * Bearer. Returns 0 and a new reference in *out, or an exit status with a
 * message in err (404 sets *status for callers that expect it). */
int report_api_get(const struct report_opts *o, const char *path, json_t **out,
    long *status, char *err, size_t errlen);

/* Replace the window of doc's envelope (views whose window is not the
 * requested one: each SLO's own). */
void report_set_window(json_t *doc, int64_t from, int64_t to);
/* Add a note (a sentence shown under the output and in "notes"). */
void report_note(struct report_ctx *x, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* A note when minute rollups do not cover [from, to) of the window. */
void report_note_minutes(struct report_ctx *x, const char *what);
/* Where run resolution starts for a part of a window starting at from:
 * from itself when raw results cover it, else the first whole minute
 * after the oldest raw result (INT64_MAX without raw results). Before it
 * the timeline views fall back to the minute rollups. */
int64_t report_runs_split(const struct report_ctx *x, int64_t from);
/* "run" when [from, to) is all at run resolution, else "minute". */
const char *report_resolution(const struct report_ctx *x, int64_t from, int64_t to);
/* Mark doc with "resolution" for [from, to) (and "runs_from", where run
 * resolution starts, for a window that is partly minutes) and, when any
 * of it is at minute resolution, have the text and Markdown say so
 * ("(minute resolution before ...: raw results are kept N days)"). */
void report_set_resolution(struct report_ctx *x, json_t *doc, int64_t from,
    int64_t to);

/* Formatting helpers for renderers; each returns out. NULL or a JSON null
 * gives "-". */
char *report_fmt_pct(const json_t *ratio, int decimals, char *out, size_t outlen);
char *report_fmt_ms(const json_t *ms, char *out, size_t outlen);
char *report_fmt_time(const json_t *ms, char *out, size_t outlen);	/* "2026-10-31 23:50" */
char *report_fmt_utc(const json_t *ms, char *out, size_t outlen);	/* RFC 3339 */
char *report_fmt_num(const json_t *v, char *out, size_t outlen);	/* raw number for CSV */
char *report_fmt_dur(const json_t *ms, char *out, size_t outlen);	/* "1m30s" */
/* Join the strings of a JSON array with sep into out. */
char *report_fmt_join(const json_t *arr, const char *sep, char *out, size_t outlen);

/* The view modules. */
int view_slo_build(struct report_ctx *x, json_t *doc, char *err, size_t errlen);
void view_slo_render(const json_t *doc, enum table_style style, struct buf *out);
struct table *view_slo_csv(const json_t *doc);
int view_incidents_build(struct report_ctx *x, json_t *doc, char *err, size_t errlen);
void view_incidents_render(const json_t *doc, enum table_style style, struct buf *out);
struct table *view_incidents_csv(const json_t *doc);
int view_failover_build(struct report_ctx *x, json_t *doc, char *err, size_t errlen);
void view_failover_render(const json_t *doc, enum table_style style, struct buf *out);
struct table *view_failover_csv(const json_t *doc);
int view_attribution_build(struct report_ctx *x, json_t *doc, char *err, size_t errlen);
void view_attribution_render(const json_t *doc, enum table_style style, struct buf *out);
struct table *view_attribution_csv(const json_t *doc);
int view_checks_build(struct report_ctx *x, json_t *doc, char *err, size_t errlen);
void view_checks_render(const json_t *doc, enum table_style style, struct buf *out);
struct table *view_checks_csv(const json_t *doc);

#endif
