/* bench_collector: benchmarks of vantage-collector, run by
 * bench/collector.sh (method and results: bench/README.md, "Collector
 * benchmarks"). One subcommand per file (bench/bc_*.c); they share
 * bench/bc.h. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <curl/curl.h>

#include "bc.h"

static const struct {
	const char	*name;
	int		(*run)(int, char **);
} commands[] = {
	{ "ingest", bc_cmd_ingest },
	{ "feed", bc_cmd_feed },
	{ "generate", bc_cmd_generate },
	{ "evaluate", bc_cmd_evaluate },
	{ "query", bc_cmd_query },
	{ "slo-age", bc_cmd_slo_age },
	{ "dbsize", bc_cmd_dbsize },
};

static void
usage(FILE *fp)
{
	fprintf(fp,
"usage: bench_collector ingest --url URL --keys-file F [--agents 8] [--batch 500]\n"
"                              [--batches-per-agent N] [--checks 200] [--regions 5]\n"
"                              [--fail 0.02] [--seq-base 0] [--label L]\n"
"       bench_collector feed --url URL --keys-file F [--every 15s] [--for 60s]\n"
"                              [--checks 200] [--regions 5] [--interval 30s]\n"
"                              [--seq-base NOW_MS]\n"
"       bench_collector generate --db PATH [--config CFG | --thresholds 200ms,...]\n"
"                              [--days 30] [--checks 200] [--regions 5]\n"
"                              [--interval 30s] [--minute-days 8] [--raw 1h]\n"
"       bench_collector evaluate --db PATH --config CFG [--runs 20] [--step 15s]\n"
"                              [--max-seconds 120] [--slos N] [--settle 600ms]\n"
"       bench_collector query --url URL --path P [--n 200] [--warmup 1] [--label L]\n"
"       bench_collector slo-age --url URL [--for 45s] [--every 100ms]\n"
"       bench_collector dbsize --db PATH [--label L] [--check]\n"
"The keys file has one \"AGENT_ID KEY\" per line; agent bench-K runs region rK.\n"
"Lines starting with RESULT are for bench/collector.sh. See bench/README.md.\n");
}

int
main(int argc, char **argv)
{
	int rc = -1;

	if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			rc = commands[i].run(argc - 1, argv + 1);
	if (rc < 0) {
		usage(stderr);
		rc = 2;
	}
	curl_global_cleanup();
	return rc;
}
