/* vantage-report: command line. Everything else is in report.c and the
 * view_*.c modules (report/libvreport.a). */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collconf.h"
#include "report.h"
#include "rtime.h"
#include "timeutil.h"

static void
usage(FILE *fp)
{
	fprintf(fp,
"usage: vantage-report [VIEW] (--db FILE | --url URL [--token T]) [-c FILE]\n"
"                      [--window D | --from T [--to T] | --month YYYY-MM]\n"
"                      [--slo NAME] [--by DIM] [--format F] [options]\n"
"\n"
"Report SLOs, incidents, failover and attribution from the collector's DB\n"
"(read-only, safe while the collector runs) or its API.\n"
"\n"
"Views:\n"
"  slo           per SLO: objective, good/total, availability, error budget and\n"
"                what is left, longest bad stretch, p50/p90/p95/p99 (default)\n"
"  incidents     each incident: start, end, duration, severity, checks,\n"
"                regions, first failing layer, notifications sent\n"
"  failover      each origin outage and what the front door did meanwhile\n"
"  attribution   each bad front-door minute: the likely layer at fault and the\n"
"                share of the error budget each cause consumed\n"
"  checks        the checks with the worst availability and slowest p99\n"
"\n"
"  --db FILE             the collector DB (opened read-only)\n"
"  --url URL             the collector API (slo and incidents only)\n"
"  --token T             read token for --url: TOKEN, env:NAME or file:/path\n"
"  -c, --config FILE     the collector config: the SLOs (slos[]); needed by slo\n"
"      --check-config    validate -c FILE, print a summary, exit 0 or 2\n"
"  --slo NAME            only this SLO (attribution: use its error budget)\n"
"  --window D            the window ending now (--now) or at --to, e.g. 30d;\n"
"                        default 30d, and for slo each SLO's own window\n"
"  --from T, --to T      the window: RFC 3339 (2026-10-31T23:00:00Z) or a date\n"
"                        (2026-10-31 is 00:00 UTC); --to defaults to now\n"
"  --month YYYY-MM       a calendar month, UTC\n"
"  --by DIM              slo: one row per region, layer, provider or check\n"
"  --format F            text (default), markdown, json or csv\n"
"  --top N               checks: rows per list (default 10)\n"
"  --now T               take T (RFC 3339) as now, for reproducible reports\n"
"  -h, --help            this help\n"
"  -V, --version         print the version and exit\n"
"\n"
"Exit status: 0 ok (also for a window without data), 1 runtime failure,\n"
"2 bad arguments, bad config or unreadable DB.\n"
"Docs: man vantage-report; README.md (vantage-report); JSON schema:\n"
"report.schema.json (share/vantage/ when installed, dist/ in the source tree)\n");
}

static int bad(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Print "vantage-report: message" and give the usage exit status. */
static int
bad(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "vantage-report: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	return REPORT_USAGE;
}

int
main(int argc, char **argv)
{
	enum {
		O_DB = 256, O_URL, O_TOKEN, O_CHECK, O_SLO, O_WINDOW, O_FROM, O_TO,
		O_MONTH, O_BY, O_FORMAT, O_TOP, O_NOW
	};
	static const struct option opts[] = {
		{ "db", required_argument, NULL, O_DB },
		{ "url", required_argument, NULL, O_URL },
		{ "token", required_argument, NULL, O_TOKEN },
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", no_argument, NULL, O_CHECK },
		{ "slo", required_argument, NULL, O_SLO },
		{ "window", required_argument, NULL, O_WINDOW },
		{ "from", required_argument, NULL, O_FROM },
		{ "to", required_argument, NULL, O_TO },
		{ "month", required_argument, NULL, O_MONTH },
		{ "by", required_argument, NULL, O_BY },
		{ "format", required_argument, NULL, O_FORMAT },
		{ "top", required_argument, NULL, O_TOP },
		{ "now", required_argument, NULL, O_NOW },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	static const char *const formats[] = { "text", "markdown", "json", "csv", NULL };
	static const char *const dims[] = { "region", "layer", "provider", "check", NULL };
	const char *config = NULL, *window = NULL, *from = NULL, *to = NULL;
	const char *month = NULL, *now = NULL;
	struct collector_config *cc = NULL;
	struct report_opts o;
	struct buf out;
	bool check_only = false;
	int64_t wms = 0;
	char err[1024], *end;
	int ch, rc;

	memset(&o, 0, sizeof(o));
	o.view = "slo";
	o.top = 10;
	while ((ch = getopt_long(argc, argv, "c:hV", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': config = optarg; break;
		case O_CHECK: check_only = true; break;
		case O_DB: o.db = optarg; break;
		case O_URL: o.url = optarg; break;
		case O_TOKEN: o.token = optarg; break;
		case O_SLO: o.slo = optarg; break;
		case O_WINDOW: window = optarg; break;
		case O_FROM: from = optarg; break;
		case O_TO: to = optarg; break;
		case O_MONTH: month = optarg; break;
		case O_NOW: now = optarg; break;
		case O_BY:
			o.by = NULL;
			for (int i = 0; dims[i]; i++)
				if (strcmp(dims[i], optarg) == 0)
					o.by = dims[i];
			if (o.by == NULL)
				return bad("--by: want region, layer, provider or check, "
				    "not \"%s\"", optarg);
			break;
		case O_FORMAT: {
			int f = -1;

			for (int i = 0; formats[i]; i++)
				if (strcmp(formats[i], optarg) == 0)
					f = i;
			if (f < 0)
				return bad("--format: want text, markdown, json or csv, "
				    "not \"%s\"", optarg);
			o.format = (enum report_format)f;
			break;
		}
		case O_TOP: {
			long v;

			errno = 0;
			v = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || v < 1 || v > 1000)
				return bad("--top: want a number from 1 to 1000, not \"%s\"",
				    optarg);
			o.top = (int)v;
			break;
		}
		case 'h': usage(stdout); return 0;
		case 'V': printf("vantage-report %s\n", PACKAGE_VERSION); return 0;
		default: usage(stderr); return REPORT_USAGE;
		}
	}
	if (optind < argc)
		o.view = argv[optind++];
	if (optind < argc) {
		fprintf(stderr, "vantage-report: one view at a time; unexpected "
		    "argument \"%s\"\n", argv[optind]);
		usage(stderr);
		return REPORT_USAGE;
	}
	if (report_view_find(o.view) == NULL)
		return bad("unknown view \"%s\": slo, incidents, failover, attribution "
		    "or checks", o.view);
	if (check_only && config == NULL)
		return bad("--check-config needs -c FILE (the collector config)");
	if (config && (cc = collconf_load(config)) == NULL)
		return REPORT_USAGE;	/* every error is printed */
	if (check_only) {
		printf("%s: OK: %zu SLOs\n", config, cc->nslos);
		collconf_free(cc);
		return 0;
	}
	o.conf = cc;
	rc = REPORT_USAGE;
	if ((o.db == NULL) == (o.url == NULL)) {
		bad("%s", o.db ? "pass --db FILE or --url URL, not both" :
		    "pass --db FILE (the collector DB) or --url URL (its API)");
		goto out;
	}
	if (o.token && o.url == NULL) {
		bad("--token goes with --url");
		goto out;
	}
	if (o.slo && strcmp(o.view, "slo") != 0 && strcmp(o.view, "attribution") != 0) {
		bad("--slo applies to the slo and attribution views, not %s", o.view);
		goto out;
	}
	if (o.by && strcmp(o.view, "slo") != 0) {
		bad("--by applies to the slo view, not %s", o.view);
		goto out;
	}
	if (o.url && o.by && strcmp(o.by, "check") == 0) {
		bad("--by check needs --db (the API breaks SLOs down by region, layer "
		    "and provider)");
		goto out;
	}
	if (o.url && strcmp(o.view, "slo") == 0 && (window || from || to || month || now)) {
		bad("with --url the slo view shows each SLO's own window as the collector "
		    "last evaluated it; pass --db FILE for other windows");
		goto out;
	}
	o.now_ms = time_now_ms();
	if (now && rtime_parse(now, &o.now_ms, err, sizeof(err)) < 0) {
		bad("--now: %s", err);
		goto out;
	}
	if (month && (window || from || to)) {
		bad("--month is a window of its own: no --window, --from or --to with "
		    "it");
		goto out;
	}
	if (window && from) {
		bad("--window and --from both set the start: pass one");
		goto out;
	}
	if (month) {
		if (rtime_month(month, &o.from_ms, &o.to_ms, err, sizeof(err)) < 0) {
			bad("--month: %s", err);
			goto out;
		}
		snprintf(o.window_label, sizeof(o.window_label), "%s", month);
		o.window_set = true;
	} else if (window || from || to) {
		o.to_ms = o.now_ms;
		if (to && rtime_parse(to, &o.to_ms, err, sizeof(err)) < 0) {
			bad("--to: %s", err);
			goto out;
		}
		if (from && rtime_parse(from, &o.from_ms, err, sizeof(err)) < 0) {
			bad("--from: %s", err);
			goto out;
		}
		if (!from) {
			wms = REPORT_DEFAULT_WINDOW_MS;
			if (window && (duration_parse(window, &wms, err, sizeof(err)) < 0 ||
			    wms <= 0)) {
				bad("--window: %s", wms <= 0 ? "must be positive" : err);
				goto out;
			}
			o.from_ms = o.to_ms - wms;
			duration_format(wms, o.window_label, sizeof(o.window_label));
		}
		if (o.from_ms >= o.to_ms) {
			bad("the window is empty: --from %s is not before --to %s", from ?
			    from : "", to ? to : "(now)");
			goto out;
		}
		o.window_set = true;
	}
	buf_init(&out, REPORT_OUT_MAX);
	rc = report_run(&o, &out, err, sizeof(err));
	if (rc == REPORT_OK) {
		if (out.len > 0 && fwrite(out.data, 1, out.len, stdout) != out.len)
			rc = REPORT_FAIL;
		if (fflush(stdout) != 0)
			rc = REPORT_FAIL;
		if (rc != REPORT_OK)
			fprintf(stderr, "vantage-report: writing the report: %s\n",
			    strerror(errno));
	} else
		fprintf(stderr, "vantage-report: %s\n", err);
	buf_free(&out);
out:
	collconf_free(cc);
	return rc;
}
