/* bc_dbsize: what a collector DB costs on disk per stored result: the
 * whole file (DB + WAL) over the raw results it holds (rollups, texts and
 * the rest included), and each table with its indexes alone, from SQLite's
 * dbstat (the pages the b-trees use, with the free space inside them). */
#include "config.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bc.h"
#include "store.h"

static int64_t
file_size(const char *path, const char *suffix)
{
	char p[4096];
	struct stat sb;

	snprintf(p, sizeof(p), "%s%s", path, suffix);
	return stat(p, &sb) == 0 ? (int64_t)sb.st_size : 0;
}

int
bc_cmd_dbsize(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "label", required_argument, NULL, 'l' },
		{ "check", no_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 }
	};
	static const char *const tables[] = { "results", "texts", "latest", "series",
	    "rollup_1m", "rollup_1h", "rollup_1d", "agents" };
	const char *path = NULL, *label = "db";
	struct store_table_size sz[sizeof(tables) / sizeof(tables[0])];
	int64_t file, wal, sum = 0;
	bool check = false;
	struct store *st;
	char err[512];
	int ch, rc = 0;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'd': path = optarg; break;
		case 'l': label = optarg; break;
		case 'c': check = true; break;
		default: return 2;
		}
	}
	if (path == NULL)
		bc_die("dbsize: need --db");
	file = file_size(path, "");
	wal = file_size(path, "-wal");
	if ((st = store_open_readonly(path, err, sizeof(err))) == NULL)
		bc_die("dbsize: %s", err);
	printf("dbsize %s: %s: %" PRId64 " bytes + %" PRId64 " bytes of WAL\n", label,
	    path, file, wal);
	printf("%-10s %12s %8s %12s %14s %10s\n", "table", "rows", "btrees", "pages",
	    "bytes", "bytes/row");
	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		if (store_table_size(st, tables[i], &sz[i], err, sizeof(err)) < 0) {
			/* no dbstat: say so, and report the file alone */
			printf("dbsize %s: %s: %s\n", label, tables[i], err);
			rc = 1;
			break;
		}
		sum += sz[i].bytes;
		printf("%-10s %12" PRId64 " %8d %12" PRId64 " %14" PRId64 " %10.1f\n",
		    tables[i], sz[i].rows, sz[i].btrees, sz[i].pages, sz[i].bytes,
		    sz[i].rows ? (double)sz[i].bytes / (double)sz[i].rows : 0.0);
	}
	if (rc == 0) {
		int64_t res = sz[0].rows;

		printf("dbsize %s: %" PRId64 " results; whole DB %.1f bytes/result; "
		    "results table with its indexes %.1f bytes/result; texts %.1f "
		    "bytes/result; tables above %" PRId64 " of %" PRId64 " bytes\n",
		    label, res, res ? (double)(file + wal) / (double)res : 0.0,
		    res ? (double)sz[0].bytes / (double)res : 0.0,
		    res ? (double)sz[1].bytes / (double)res : 0.0, sum, file + wal);
		printf("RESULT dbsize label=%s results=%" PRId64 " file_bytes=%" PRId64
		    " wal_bytes=%" PRId64 " per_result_total=%.1f results_bytes=%" PRId64
		    " results_btrees=%d per_result_table=%.1f texts_rows=%" PRId64
		    " texts_bytes=%" PRId64 " rollup_bytes=%" PRId64 " latest_bytes=%"
		    PRId64 "\n", label, res, file, wal,
		    res ? (double)(file + wal) / (double)res : 0.0, sz[0].bytes,
		    sz[0].btrees, res ? (double)sz[0].bytes / (double)res : 0.0,
		    sz[1].rows, sz[1].bytes, sz[4].bytes + sz[5].bytes + sz[6].bytes,
		    sz[2].bytes);
	}
	if (check) {
		int ok = store_quick_check(st, err, sizeof(err)) == 0;

		printf("dbsize %s: quick_check %s%s%s\n", label, ok ? "ok" : "FAILED",
		    ok ? "" : ": ", ok ? "" : err);
		printf("RESULT dbcheck label=%s ok=%d\n", label, ok);
		if (!ok)
			rc = 1;
	}
	store_close(st);
	return rc;
}
