/* test_record: the collector's typed result record (core/record.c):
 * record_parse then record_to_json gives back the record as it was sent,
 * field for field (every field type, nulls, absent fields, unknown
 * fields, a region that differs from the batch's), and every limit is
 * refused with a message naming the field. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <jansson.h>

#include "record.h"
#include "result.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_TS	2000000000000LL

/* Parse text as agent a1 of a batch in region, then turn it back into
 * JSON: the answer must equal the input. Returns the parsed record (its
 * strings borrow from *rec, which the caller releases). */
static void
round_trip(const char *text, const char *region, struct record *r, json_t **rec)
{
	char err[256] = "";
	json_t *back;
	char *a, *b;

	*rec = json_loads(text, 0, NULL);
	ck_assert_msg(*rec != NULL, "bad test JSON: %s", text);
	ck_assert_msg(record_parse(*rec, "a1", region, MAX_TS, r, err,
	    sizeof(err)) == 0, "%s: %s", text, err);
	back = record_to_json(r);
	ck_assert_ptr_nonnull(back);
	a = json_dumps(*rec, JSON_COMPACT | JSON_SORT_KEYS);
	b = json_dumps(back, JSON_COMPACT | JSON_SORT_KEYS);
	ck_assert_msg(json_equal(*rec, back), "round trip differs:\n sent %s\n back %s",
	    a, b);
	free(a);
	free(b);
	json_decref(back);
}

/* A record as vantage-agent writes it (lib/result.c), with kind-specific
 * extras of several JSON types. */
START_TEST(test_agent_record)
{
	struct result res;
	struct record r;
	json_t *o, *rec;
	char *txt;

	memset(&res, 0, sizeof(res));
	res.check = "micro-front-door";
	res.kind = "http";
	res.service = "micro";
	res.layer = "front_door";
	res.provider = "cloudflare";
	res.url = "https://micro.example.com/";
	res.agent = "a1";
	res.region = "eu-central";
	res.seq = 42;
	res.ts_ms = 1700000000123LL;
	res.status = 503;
	snprintf(res.http_version, sizeof(res.http_version), "2");
	snprintf(res.ip, sizeof(res.ip), "2606:4700::1");
	res.bytes = 512;
	res.dns_us = 1000;
	res.connect_us = 2000;
	res.tls_us = 3000;
	res.processing_us = 4000;
	res.transfer_us = 500;
	res.total_us = 10500;
	res.attempts = 2;
	res.cert_not_after = 1760000000;
	result_fail(&res, ERRCLASS_HTTP_STATUS, "HTTP status 503, expected 2xx");
	result_set_extra(&res, "cache", json_string("hit"));
	result_set_extra(&res, "cache_raw", json_string("cf-cache-status: HIT"));
	result_set_extra(&res, "age_s", json_integer(120));
	result_set_extra(&res, "tls_version", json_string("TLSv1.3"));
	result_set_extra(&res, "answers", json_pack("[s,s]", "192.0.2.1", "192.0.2.2"));
	result_set_extra(&res, "details", json_pack("{s:i,s:[b,n]}", "n", 3, "v",
	    1));
	result_set_extra(&res, "probe_id", json_string("p-1"));
	result_set_extra(&res, "ratio", json_real(0.25));
	o = result_to_json(&res);
	txt = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	round_trip(txt, "eu-central", &r, &rec);
	/* the typed part */
	ck_assert_str_eq(r.check, "micro-front-door");
	ck_assert_str_eq(r.agent, "a1");
	ck_assert_str_eq(r.region, "eu-central");
	ck_assert_str_eq(r.service, "micro");
	ck_assert_str_eq(r.layer, "front_door");
	ck_assert_str_eq(r.provider, "cloudflare");
	ck_assert_str_eq(r.text[RT_KIND], "http");
	ck_assert_str_eq(r.text[RT_URL], "https://micro.example.com/");
	ck_assert_str_eq(r.text[RT_ERROR], "HTTP status 503, expected 2xx");
	ck_assert_str_eq(r.text[RT_HTTP_VERSION], "2");
	ck_assert_str_eq(r.text[RT_IP], "2606:4700::1");
	ck_assert_str_eq(r.text[RT_CACHE], "hit");
	ck_assert_str_eq(r.text[RT_CACHE_RAW], "cf-cache-status: HIT");
	ck_assert_int_eq(r.seq, 42);
	ck_assert_int_eq(r.ts, 1700000000123LL);
	ck_assert(!r.ok);
	ck_assert_int_eq(r.error_class, ERRCLASS_HTTP_STATUS);
	ck_assert(r.has_status);
	ck_assert_int_eq(r.status, 503);
	ck_assert_int_eq(r.bytes, 512);
	ck_assert_int_eq(r.attempts, 2);
	ck_assert(r.has_cert);
	ck_assert_int_eq(r.cert_not_after, 1760000000);
	ck_assert_int_eq(r.age_s, 120);
	ck_assert_int_eq(r.dns_us, 1000);
	ck_assert_int_eq(r.connect_us, 2000);
	ck_assert_int_eq(r.tls_us, 3000);
	ck_assert_int_eq(r.processing_us, 4000);
	ck_assert_int_eq(r.transfer_us, 500);
	ck_assert_int_eq(r.total_us, 10500);
	/* only the kind's extras are left over */
	ck_assert_ptr_nonnull(r.text[RT_EXTRA]);
	ck_assert_ptr_null(strstr(r.text[RT_EXTRA], "\"check\""));
	ck_assert_ptr_nonnull(strstr(r.text[RT_EXTRA], "\"tls_version\""));
	ck_assert_ptr_nonnull(strstr(r.text[RT_EXTRA], "\"details\""));
	ck_assert_ptr_null(strstr(r.text[RT_EXTRA], "\"cache\""));
	/* a usual record stores nothing of its field set */
	ck_assert_uint_eq(r.present & RECORD_USUAL, RECORD_USUAL);
	record_clear(&r);
	json_decref(rec);
	free(txt);
	json_decref(o);
	result_release(&res);
}
END_TEST

/* Records that keep nulls, leave fields out, carry unknown fields or
 * values of an unexpected type: each comes back exactly as it was. */
START_TEST(test_round_trips)
{
	static const struct {
		const char	*json, *region;
	} cases[] = {
		/* the least a record may be */
		{ "{\"agent\":\"a1\",\"seq\":1,\"ts\":1000,\"check\":\"c\",\"ok\":true,"
		  "\"total_us\":5}", "eu" },
		/* no region in the batch either */
		{ "{\"agent\":\"a1\",\"seq\":1,\"ts\":1000,\"check\":\"c\",\"ok\":true,"
		  "\"total_us\":5}", NULL },
		/* nulls everywhere a null may be */
		{ "{\"check\":\"c\",\"kind\":null,\"service\":null,\"layer\":null,"
		  "\"provider\":null,\"url\":null,\"agent\":\"a1\",\"region\":null,"
		  "\"seq\":2,\"ts\":1000,\"ok\":true,\"error_class\":null,\"error\":null,"
		  "\"status\":null,\"http_version\":null,\"ip\":null,\"bytes\":null,"
		  "\"truncated\":null,\"dns_us\":null,\"connect_us\":null,\"tls_us\":null,"
		  "\"processing_us\":null,\"transfer_us\":null,\"total_us\":7,"
		  "\"attempts\":null,\"cert_not_after\":null,\"inconclusive\":null,"
		  "\"cache\":null,\"cache_raw\":null,\"age_s\":null}", NULL },
		/* the record's own region differs from its batch's */
		{ "{\"agent\":\"a1\",\"region\":\"us-east\",\"seq\":3,\"ts\":1000,"
		  "\"check\":\"c\",\"ok\":true,\"total_us\":5}", "eu" },
		/* the record names a region, the batch none */
		{ "{\"agent\":\"a1\",\"region\":\"us-east\",\"seq\":3,\"ts\":1000,"
		  "\"check\":\"c\",\"ok\":true,\"total_us\":5}", NULL },
		/* a null region in a batch that has one */
		{ "{\"agent\":\"a1\",\"region\":null,\"seq\":3,\"ts\":1000,"
		  "\"check\":\"c\",\"ok\":true,\"total_us\":5}", "eu" },
		/* unknown fields of every JSON type, from a newer agent */
		{ "{\"agent\":\"a1\",\"seq\":4,\"ts\":1000,\"check\":\"c\",\"ok\":false,"
		  "\"error_class\":\"dns\",\"error\":\"NXDOMAIN\",\"total_us\":0,"
		  "\"new_s\":\"x\",\"new_i\":-3,\"new_r\":1.5,\"new_b\":false,"
		  "\"new_n\":null,\"new_a\":[1,\"two\",{\"three\":3}],"
		  "\"new_o\":{\"k\":[]}}", "eu" },
		/* typed fields with values of another type stay as sent */
		{ "{\"agent\":\"a1\",\"seq\":5,\"ts\":1000,\"check\":\"c\",\"ok\":true,"
		  "\"total_us\":5,\"status\":\"200\",\"bytes\":1.5,\"truncated\":\"no\","
		  "\"attempts\":true,\"cert_not_after\":\"soon\",\"age_s\":[1],"
		  "\"cache\":7,\"cache_raw\":{},\"error\":5,\"http_version\":2,"
		  "\"ip\":false,\"url\":[\"u\"]}", "eu" },
		/* integers where they belong, zeros and booleans */
		{ "{\"agent\":\"a1\",\"seq\":9007199254740991,\"ts\":1,\"check\":\"c\","
		  "\"ok\":false,\"error_class\":\"consistency\",\"inconclusive\":true,"
		  "\"truncated\":true,\"bytes\":0,\"attempts\":0,\"status\":0,"
		  "\"cert_not_after\":0,\"age_s\":0,\"dns_us\":0,\"total_us\":86400000000}",
		  "eu" },
		/* an inconclusive false, an empty string label */
		{ "{\"agent\":\"a1\",\"seq\":6,\"ts\":1000,\"check\":\"c\",\"ok\":true,"
		  "\"total_us\":5,\"inconclusive\":false,\"service\":\"\",\"kind\":\"\"}",
		  "eu" },
		/* texts past their typed bound stay whole in the residual */
		{ NULL, "eu" },
	};
	char *long_error, *long_json;

	long_error = malloc(RECORD_TEXT_MAX + 2);
	memset(long_error, 'e', RECORD_TEXT_MAX + 1);
	long_error[RECORD_TEXT_MAX + 1] = '\0';
	long_json = malloc(RECORD_TEXT_MAX + 256);
	snprintf(long_json, RECORD_TEXT_MAX + 256, "{\"agent\":\"a1\",\"seq\":7,"
	    "\"ts\":1000,\"check\":\"c\",\"ok\":false,\"error_class\":\"body\","
	    "\"error\":\"%s\",\"total_us\":5}", long_error);
	for (size_t i = 0; i < NELEM(cases); i++) {
		struct record r;
		json_t *rec;

		round_trip(cases[i].json ? cases[i].json : long_json, cases[i].region,
		    &r, &rec);
		/* the series' region is always the batch's */
		if (cases[i].region == NULL)
			ck_assert_ptr_null(r.region);
		else
			ck_assert_str_eq(r.region, cases[i].region);
		if (cases[i].json == NULL)	/* not in the dictionary's bound */
			ck_assert_ptr_null(r.text[RT_ERROR]);
		record_clear(&r);
		json_decref(rec);
	}
	free(long_error);
	free(long_json);
}
END_TEST

/* Which fields are typed, and what a record's nulls and absences say. */
START_TEST(test_typed_values)
{
	struct record r;
	json_t *rec;

	round_trip("{\"agent\":\"a1\",\"seq\":3,\"ts\":1000,\"check\":\"c\",\"ok\":"
	    "false,\"error_class\":\"timeout\",\"status\":null,\"cert_not_after\":"
	    "null,\"inconclusive\":true,\"total_us\":5,\"region\":\"us\"}", "eu",
	    &r, &rec);
	ck_assert(!r.has_status);
	ck_assert(!r.has_cert);
	ck_assert(r.inconclusive);
	ck_assert_int_eq(r.error_class, ERRCLASS_TIMEOUT);
	ck_assert_str_eq(r.region, "eu");
	ck_assert_ptr_null(r.service);
	ck_assert_ptr_null(r.text[RT_KIND]);
	/* the record's own region is kept apart, to be served back */
	ck_assert_ptr_nonnull(r.text[RT_EXTRA]);
	ck_assert_ptr_nonnull(strstr(r.text[RT_EXTRA], "\"region\":\"us\""));
	ck_assert(!(r.present & (1u << RF_REGION)));
	record_clear(&r);
	json_decref(rec);

	/* a usual record keeps no residual at all */
	round_trip("{\"check\":\"c\",\"kind\":\"tcp\",\"service\":\"s\",\"layer\":"
	    "\"edge\",\"provider\":\"p\",\"url\":\"tcp://h:1\",\"agent\":\"a1\","
	    "\"region\":\"eu\",\"seq\":8,\"ts\":1000,\"ok\":true,\"error_class\":null,"
	    "\"error\":null,\"status\":null,\"http_version\":null,\"ip\":\"192.0.2.1\","
	    "\"bytes\":0,\"truncated\":false,\"dns_us\":1,\"connect_us\":2,\"tls_us\":0,"
	    "\"processing_us\":0,\"transfer_us\":0,\"total_us\":3,\"attempts\":1,"
	    "\"cert_not_after\":null}", "eu", &r, &rec);
	ck_assert_ptr_null(r.text[RT_EXTRA]);
	ck_assert_uint_eq(r.present ^ RECORD_USUAL, 0);
	record_clear(&r);
	json_decref(rec);
}
END_TEST

/* Every limit refuses the record with a message naming the field. */
START_TEST(test_limits)
{
	static const struct {
		const char	*json;	/* NULL: built below */
		const char	*err;
	} cases[] = {
		{ "[1]", "must be an object" },
		{ "{\"agent\":\"a2\",\"seq\":1,\"ts\":1000,\"check\":\"c\",\"ok\":true,"
		  "\"total_us\":5}", "agent: must be \"a1\", the signing agent" },
		{ "{\"seq\":1,\"ts\":1000,\"check\":\"c\",\"ok\":true,\"total_us\":5}",
		  "agent: must be \"a1\"" },
		{ "{\"agent\":\"a1\",\"seq\":0,\"ts\":1000,\"check\":\"c\",\"ok\":true,"
		  "\"total_us\":5}", "seq: must be an integer, 1 to 9007199254740991" },
		{ "{\"agent\":\"a1\",\"seq\":9007199254740992,\"ts\":1000,\"check\":\"c\","
		  "\"ok\":true,\"total_us\":5}", "seq: must be an integer, 1 to" },
		{ "{\"agent\":\"a1\",\"seq\":\"1\",\"ts\":1000,\"check\":\"c\",\"ok\":true,"
		  "\"total_us\":5}", "seq: must be an integer" },
		{ "{\"agent\":\"a1\",\"seq\":1,\"check\":\"c\",\"ok\":true,\"total_us\":5}",
		  "ts: must be an integer >= 1" },
		{ "{\"agent\":\"a1\",\"seq\":1,\"ts\":3000000000000,\"check\":\"c\","
		  "\"ok\":true,\"total_us\":5}", "ts: 3000000000000 is in the future" },
		{ "{\"agent\":\"a1\",\"seq\":1,\"ts\":1000,\"check\":\"c\",\"ok\":true}",
		  "total_us: missing" },
		{ "{\"agent\":\"a1\",\"seq\":1,\"ts\":1000,\"check\":\"c\",\"ok\":true,"
		  "\"total_us\":-1}", "total_us: must be an integer of microseconds, 0 to "
		  "86400000000 (a run lasts at most a day)" },
		{ "{\"agent\":\"a1\",\"seq\":1,\"ts\":1000,\"check\":\"c\",\"ok\":true,"
		  "\"total_us\":86400000001}", "total_us: must be an integer of "
		  "microseconds" },
		{ "{\"agent\":\"a1\",\"seq\":1,\"ts\":1000,\"check\":\"c\",\"ok\":true,"
		  "\"total_us\":5,\"dns_us\":1.5}", "dns_us: must be an integer" },
		{ "{\"agent\":\"a1\",\"seq\":1,\"ts\":1000,\"check\":\"c\",\"ok\":true,"
		  "\"total_us\":5,\"transfer_us\":86400000001}", "transfer_us: must be" },
		{ "{\"agent\":\"a1\",\"seq\":1,\"ts\":1000,\"ok\":true,\"total_us\":5}",
		  "check: missing" },
		{ "{\"agent\":\"a1\",\"seq\":1,\"ts\":1000,\"check\":\"\",\"ok\":true,"
		  "\"total_us\":5}", "check: missing" },
		{ "{\"agent\":\"a1\",\"seq\":1,\"ts\":1000,\"check\":7,\"ok\":true,"
		  "\"total_us\":5}", "check: must be a string (256 bytes at most) or null" },
		{ "{\"agent\":\"a1\",\"seq\":1,\"ts\":1000,\"check\":\"c\",\"ok\":true,"
		  "\"total_us\":5,\"layer\":[]}", "layer: must be a string" },
		{ "{\"agent\":\"a1\",\"seq\":1,\"ts\":1000,\"check\":\"c\",\"ok\":true,"
		  "\"total_us\":5,\"kind\":1}", "kind: must be a string (256 bytes at "
		  "most) or null" },
		{ "{\"agent\":\"a1\",\"seq\":1,\"ts\":1000,\"check\":\"c\",\"ok\":\"yes\","
		  "\"total_us\":5}", "ok: must be true or false" },
		{ "{\"agent\":\"a1\",\"seq\":1,\"ts\":1000,\"check\":\"c\",\"ok\":true,"
		  "\"error_class\":\"dns\",\"total_us\":5}", "error_class: must be null "
		  "when ok is true" },
		{ "{\"agent\":\"a1\",\"seq\":1,\"ts\":1000,\"check\":\"c\",\"ok\":false,"
		  "\"error_class\":\"weird\",\"total_us\":5}", "error_class: must be one of" },
		{ "{\"agent\":\"a1\",\"seq\":1,\"ts\":1000,\"check\":\"c\",\"ok\":false,"
		  "\"total_us\":5}", "error_class: must be one of" },
		{ "{\"agent\":\"a1\",\"seq\":1,\"ts\":1000,\"check\":\"c\",\"ok\":false,"
		  "\"error_class\":\"dns\",\"inconclusive\":1,\"total_us\":5}",
		  "inconclusive: must be true or false" },
		{ NULL, "check: must be a string (256 bytes at most) or null" },
		{ NULL, "kind: must be a string (256 bytes at most) or null" },
		{ NULL, "the record's other fields take more than 65536 bytes" },
	};
	size_t built = 0;

	for (size_t i = 0; i < NELEM(cases); i++) {
		char err[256] = "", *text = NULL;
		struct record r;
		json_t *rec;
		int rc;

		if (cases[i].json == NULL) {
			/* a label one byte too long, a kind too long, an unknown
			 * field past the residual's bound */
			size_t len = built == 2 ? RECORD_EXTRA_MAX : RECORD_LABEL_MAX + 1;
			char *big = malloc(len + 1);

			memset(big, 'x', len);
			big[len] = '\0';
			text = malloc(len + 256);
			snprintf(text, len + 256, built == 0 ?
			    "{\"agent\":\"a1\",\"seq\":1,\"ts\":1000,\"check\":\"%s\","
			    "\"ok\":true,\"total_us\":5}" : built == 1 ?
			    "{\"agent\":\"a1\",\"seq\":1,\"ts\":1000,\"check\":\"c\","
			    "\"kind\":\"%s\",\"ok\":true,\"total_us\":5}" :
			    "{\"agent\":\"a1\",\"seq\":1,\"ts\":1000,\"check\":\"c\","
			    "\"ok\":true,\"total_us\":5,\"blob\":\"%s\"}", big);
			free(big);
			built++;
		}
		rec = json_loads(text ? text : cases[i].json, JSON_DECODE_ANY, NULL);
		ck_assert_msg(rec != NULL, "case %zu: bad test JSON", i);
		rc = record_parse(rec, "a1", "eu", MAX_TS, &r, err, sizeof(err));
		ck_assert_msg(rc == -1 && strstr(err, cases[i].err) != NULL,
		    "case %zu: rc %d, err \"%s\", want \"%s\"", i, rc, err, cases[i].err);
		json_decref(rec);
		free(text);
	}

	/* just within every bound */
	{
		char *label = malloc(RECORD_LABEL_MAX + 1), *text;
		char err[256] = "";
		struct record r;
		json_t *rec;

		memset(label, 'l', RECORD_LABEL_MAX);
		label[RECORD_LABEL_MAX] = '\0';
		text = malloc(2 * RECORD_LABEL_MAX + 256);
		snprintf(text, 2 * RECORD_LABEL_MAX + 256, "{\"agent\":\"a1\",\"seq\":"
		    "9007199254740991,\"ts\":%lld,\"check\":\"%s\",\"kind\":\"%s\","
		    "\"ok\":true,\"total_us\":86400000000}", MAX_TS, label, label);
		rec = json_loads(text, 0, NULL);
		ck_assert_msg(record_parse(rec, "a1", "eu", MAX_TS, &r, err,
		    sizeof(err)) == 0, "%s", err);
		ck_assert_uint_eq(strlen(r.check), RECORD_LABEL_MAX);
		record_clear(&r);
		json_decref(rec);
		free(text);
		free(label);
	}
}
END_TEST

START_TEST(test_field_names)
{
	ck_assert_str_eq(record_field_name(RF_CHECK), "check");
	ck_assert_str_eq(record_field_name(RF_CERT_NOT_AFTER), "cert_not_after");
	ck_assert_str_eq(record_field_name(RF_CACHE_RAW), "cache_raw");
	ck_assert_ptr_null(record_field_name(RF_COUNT));
	for (int f = 0; f < RF_COUNT; f++)
		ck_assert_ptr_nonnull(record_field_name((enum record_field)f));
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("record");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_agent_record);
	tcase_add_test(tc, test_round_trips);
	tcase_add_test(tc, test_typed_values);
	tcase_add_test(tc, test_limits);
	tcase_add_test(tc, test_field_names);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
