/* alert_cause: why an incident's layer fails, told from single runs. For a
 * service, the newest runs of each layer (front door, edge origin, central
 * origin) in each region give a state per region x layer; from those come
 * the incident's cause line ("front door failing, origins healthy: CDN
 * problem") and one line per region ("ap-south: front door failing (3 of 3
 * runs), edge healthy, central healthy"). The incident's layer is judged
 * on its newest runs; the other layers of a region where it fails on
 * their runs up to its newest failure there (what they did while it
 * failed, not after). Reading the runs (alert_cause_read) is apart from
 * judging them (alert_cause_line, alert_cause_regions), which are pure, so
 * tests drive them from run patterns. README, "Layer-aware context". */
#ifndef VANTAGE_ALERT_CAUSE_H
#define VANTAGE_ALERT_CAUSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct store;

#define CAUSE_RUNS	3	/* the newest conclusive runs judged per region x layer */
#define CAUSE_FAILING	2	/* failed runs among them that make it failing */
#define CAUSE_STALE_MS	(10 * 60000LL)	/* runs older than this are not "now" */
#define CAUSE_KEEP	8	/* the newest conclusive runs kept per region x layer */

/* The layers a cause speaks of, in the order of the region lines. */
enum cause_layer {
	CAUSE_FRONT_DOOR,
	CAUSE_EDGE,
	CAUSE_CENTRAL,
	CAUSE_NLAYERS
};

/* What the newest runs of one layer in one region say. */
enum cause_state {
	CAUSE_NO_DATA,		/* no conclusive run in the last CAUSE_STALE_MS */
	CAUSE_HEALTHY,		/* every one of its newest runs passed */
	CAUSE_MIXED,		/* one failed: not failing, not healthy either */
	CAUSE_FAILING_NOW	/* at least CAUSE_FAILING of its newest runs failed */
};

/* The newest CAUSE_KEEP conclusive runs of one layer in one region (of all
 * the series there: several agents, relabelled checks), newest first. */
struct cause_cell {
	int	 runs;			/* 0..CAUSE_KEEP */
	int64_t	 ts[CAUSE_KEEP];	/* start, Unix ms */
	bool	 ok[CAUSE_KEEP];
};

struct cause_region {
	char			*region;	/* "" when unlabelled */
	struct cause_cell	 cell[CAUSE_NLAYERS];
};

/* Every region of one service with a run of any of the three layers. */
struct cause_matrix {
	struct cause_region	*r;
	size_t			 n, alloc;
};

/* The cause layer of a layer label ("front_door", "edge", "central"); -1
 * for any other (or NULL). */
int alert_cause_layer(const char *layer);
/* Add one conclusive run of layer (enum cause_layer) in region, started at
 * ts: kept when it is among the CAUSE_KEEP newest of its cell. */
void alert_cause_add(struct cause_matrix *m, const char *region, int layer,
    int64_t ts, bool ok);
/* Fill the empty m from the store: the newest conclusive runs of every
 * series of service (front door, edge, central), inconclusive runs skipped
 * and runs that started before now - CAUSE_STALE_MS left out. 0, or -1
 * with a message in err (m is then cleared). */
int alert_cause_read(struct store *st, const char *service, int64_t now,
    struct cause_matrix *m, char *err, size_t errlen);
/* Free what m holds and empty it. NULL-safe. */
void alert_cause_clear(struct cause_matrix *m);

/* The state of one cell from its newest CAUSE_RUNS runs that started at or
 * before cut (INT64_MAX: now); the failed ones in *failed and how many
 * there were in *runs (either may be NULL). */
enum cause_state alert_cause_state(const struct cause_cell *c, int64_t cut,
    int *failed, int *runs);
/* The cause line of an incident on layer (enum cause_layer) from m, or
 * NULL when it cannot tell (the layer fails in no region now, or the
 * layers it is judged against have no data there). Caller frees. */
char *alert_cause_line(const struct cause_matrix *m, int layer);
/* One line per region of m, by region name, for an incident on layer (-1:
 * none; every layer then judged on its newest runs): a new JSON array of
 * {"region", "line"}; only the layers with data in some region appear in
 * the lines. Where the layer fails, the others are told as its cause line
 * judges them: up to its newest failure. Empty when m is. */
json_t *alert_cause_regions(const struct cause_matrix *m, int layer);

#endif
