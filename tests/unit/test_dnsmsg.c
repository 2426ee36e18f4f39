/* test_dnsmsg: the DNS wire format (lib/dnsmsg.h): queries byte for byte,
 * answers of every type the dns kind asks for, compression, damaged
 * messages, the name tables and resolv.conf. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "dnsmsg.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* ---- building queries ---- */

START_TEST(test_query_bytes)
{
	static const uint8_t want[] = {
		0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		5, 'm', 'i', 'c', 'r', 'o', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e',
		3, 'c', 'o', 'm', 0,
		0x00, 0x01, 0x00, 0x01,
	};
	uint8_t buf[512];
	int n = dnsmsg_build_query(buf, sizeof(buf), 0x1234, "micro.example.com", 1,
	    false);

	ck_assert_int_eq(n, (int)sizeof(want));
	ck_assert_mem_eq(buf, want, sizeof(want));
	/* a trailing dot is the same name */
	n = dnsmsg_build_query(buf, sizeof(buf), 0x1234, "micro.example.com.", 1, false);
	ck_assert_int_eq(n, (int)sizeof(want));
	ck_assert_mem_eq(buf, want, sizeof(want));
}
END_TEST

START_TEST(test_query_edns)
{
	static const uint8_t opt[] = {
		0x00, 0x00, 0x29, 0x04, 0xd0, 0, 0, 0, 0, 0x00, 0x00
	};
	uint8_t buf[512];
	int n = dnsmsg_build_query(buf, sizeof(buf), 7, "a.b", DNS_TYPE_TXT, true);

	ck_assert_int_eq(n, 12 + 5 + 4 + 11);
	ck_assert_int_eq(buf[11], 1);			/* ARCOUNT */
	ck_assert_int_eq(buf[12 + 5 + 1], DNS_TYPE_TXT);
	ck_assert_mem_eq(buf + 12 + 5 + 4, opt, sizeof(opt));	/* 1232 bytes */
}
END_TEST

START_TEST(test_query_refused)
{
	uint8_t buf[512];
	char longlabel[80];

	memset(longlabel, 'a', 64);
	strcpy(longlabel + 64, ".com");
	ck_assert_int_eq(dnsmsg_build_query(buf, sizeof(buf), 1, "a..b", 1, false), -1);
	ck_assert_int_eq(dnsmsg_build_query(buf, sizeof(buf), 1, "", 1, false), -1);
	ck_assert_int_eq(dnsmsg_build_query(buf, sizeof(buf), 1, longlabel, 1, false), -1);
	ck_assert_int_eq(dnsmsg_build_query(buf, 10, 1, "a.b", 1, false), -1);
}
END_TEST

/* ---- parsing answers ---- */

/* A response to micro.example.com with the given answer records (each a
 * type, TTL and rdata, owner a pointer to the question). */
struct rec {
	int		 type;
	uint32_t	 ttl;
	const uint8_t	*rd;
	size_t		 rdlen;
};

static size_t
response(uint8_t *out, uint16_t id, int rcode, bool tc, int qtype,
    const struct rec *rr, size_t n)
{
	size_t o = 0;
	static const uint8_t qname[] = {
		5, 'm', 'i', 'c', 'r', 'o', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e',
		3, 'c', 'o', 'm', 0
	};

	out[o++] = (uint8_t)(id >> 8);
	out[o++] = (uint8_t)id;
	out[o++] = (uint8_t)(0x81 | (tc ? 0x02 : 0));	/* QR, RD (+TC) */
	out[o++] = (uint8_t)(0x80 | rcode);		/* RA */
	out[o++] = 0; out[o++] = 1;
	out[o++] = 0; out[o++] = (uint8_t)n;
	out[o++] = 0; out[o++] = 0;
	out[o++] = 0; out[o++] = 0;
	memcpy(out + o, qname, sizeof(qname));
	o += sizeof(qname);
	out[o++] = 0; out[o++] = (uint8_t)qtype;
	out[o++] = 0; out[o++] = 1;
	for (size_t i = 0; i < n; i++) {
		out[o++] = 0xc0; out[o++] = 12;		/* the question's name */
		out[o++] = (uint8_t)(rr[i].type >> 8); out[o++] = (uint8_t)rr[i].type;
		out[o++] = 0; out[o++] = 1;
		out[o++] = (uint8_t)(rr[i].ttl >> 24); out[o++] = (uint8_t)(rr[i].ttl >> 16);
		out[o++] = (uint8_t)(rr[i].ttl >> 8); out[o++] = (uint8_t)rr[i].ttl;
		out[o++] = (uint8_t)(rr[i].rdlen >> 8); out[o++] = (uint8_t)rr[i].rdlen;
		memcpy(out + o, rr[i].rd, rr[i].rdlen);
		o += rr[i].rdlen;
	}
	return o;
}

START_TEST(test_parse_a_aaaa)
{
	static const uint8_t a1[] = { 192, 0, 2, 1 }, a2[] = { 192, 0, 2, 2 };
	static const uint8_t six[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	const struct rec rr[] = {
		{ DNS_TYPE_A, 60, a1, 4 }, { DNS_TYPE_A, 300, a2, 4 },
		{ DNS_TYPE_AAAA, 0x80000001u, six, 16 },
	};
	uint8_t msg[512];
	size_t len = response(msg, 0xbeef, 0, false, DNS_TYPE_A, rr, NELEM(rr));
	struct dnsmsg_answer a;
	char err[160];

	ck_assert_msg(dnsmsg_parse(msg, len, &a, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(a.id, 0xbeef);
	ck_assert_int_eq(a.rcode, DNS_RCODE_NOERROR);
	ck_assert(a.qr && a.ra && !a.tc && !a.aa);
	ck_assert_str_eq(a.qname, "micro.example.com");
	ck_assert_int_eq(a.qtype, DNS_TYPE_A);
	ck_assert_uint_eq(a.nan, 3);
	ck_assert_uint_eq(a.nan_total, 3);
	ck_assert_str_eq(a.an[0].name, "micro.example.com");
	ck_assert_str_eq(a.an[0].data, "192.0.2.1");
	ck_assert_uint_eq(a.an[0].ttl, 60);
	ck_assert_str_eq(a.an[1].data, "192.0.2.2");
	ck_assert_uint_eq(a.an[1].ttl, 300);
	ck_assert_str_eq(a.an[2].data, "2001:db8::1");
	ck_assert_uint_eq(a.an[2].ttl, 0);	/* top bit set: RFC 2181 says 0 */
}
END_TEST

START_TEST(test_parse_cname_ns_txt_mx)
{
	/* CNAME www.example.com, NS with a pointer into the question */
	static const uint8_t cname[] = {
		3, 'w', 'w', 'w', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0
	};
	static const uint8_t ns[] = { 3, 'n', 's', '1', 0xc0, 18 };
	static const uint8_t txt[] = {
		6, 'v', '=', 's', 'p', 'f', '1', 8, ' ', '-', 'a', 'l', 'l', 0, 'x', 'y'
	};
	static const uint8_t mx[] = { 0, 10, 2, 'm', 'x', 0xc0, 18 };
	static const uint8_t other[] = { 1, 2, 3 };
	const struct rec rr[] = {
		{ DNS_TYPE_CNAME, 3600, cname, sizeof(cname) },
		{ DNS_TYPE_NS, 86400, ns, sizeof(ns) },
		{ DNS_TYPE_TXT, 120, txt, sizeof(txt) },
		{ DNS_TYPE_MX, 120, mx, sizeof(mx) },
		{ 99, 5, other, sizeof(other) },
	};
	uint8_t msg[512];
	size_t len = response(msg, 1, 0, false, DNS_TYPE_CNAME, rr, NELEM(rr));
	struct dnsmsg_answer a;
	char err[160];

	ck_assert_msg(dnsmsg_parse(msg, len, &a, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(a.nan, 5);
	ck_assert_str_eq(a.an[0].data, "www.example.com");
	ck_assert_str_eq(a.an[1].data, "ns1.example.com");
	ck_assert_str_eq(a.an[2].data, "v=spf1 -all?xy");	/* strings joined */
	ck_assert_str_eq(a.an[3].data, "10 mx.example.com");
	ck_assert_str_eq(a.an[4].data, "\\# 3 010203");
}
END_TEST

START_TEST(test_parse_nxdomain_ext_rcode_tc)
{
	uint8_t msg[512];
	size_t len = response(msg, 9, DNS_RCODE_NXDOMAIN, true, DNS_TYPE_A, NULL, 0);
	struct dnsmsg_answer a;
	char err[160];

	ck_assert_msg(dnsmsg_parse(msg, len, &a, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(a.rcode, DNS_RCODE_NXDOMAIN);
	ck_assert(a.tc);
	ck_assert_uint_eq(a.nan, 0);
	/* an OPT record with extended rcode 1: BADVERS (16) */
	msg[11] = 1;
	memcpy(msg + len, (const uint8_t[]){ 0, 0, 41, 0x04, 0xd0, 1, 0, 0, 0, 0, 0 }, 11);
	msg[3] = 0x80;	/* low bits 0 */
	ck_assert_msg(dnsmsg_parse(msg, len + 11, &a, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(a.rcode, 16);
}
END_TEST

START_TEST(test_parse_many_answers_counted)
{
	static const uint8_t addr[] = { 10, 0, 0, 1 };
	struct rec rr[40];
	uint8_t msg[2048];
	struct dnsmsg_answer a;
	char err[160];
	size_t len;

	for (size_t i = 0; i < NELEM(rr); i++)
		rr[i] = (struct rec){ DNS_TYPE_A, 60, addr, 4 };
	len = response(msg, 1, 0, false, DNS_TYPE_A, rr, NELEM(rr));
	ck_assert_msg(dnsmsg_parse(msg, len, &a, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(a.nan, DNSMSG_MAX_ANSWERS);
	ck_assert_uint_eq(a.nan_total, 40);
}
END_TEST

/* The good message of test_parse_damaged: header 0-11, question name
 * 12-30, type and class 31-34; the answer: pointer 35-36, type 37-38,
 * class 39-40, TTL 41-44, length 45-46, address 47-50. */
static const struct {
	const char	*name;
	size_t		 cut;		/* bytes kept (0: all 51) */
	size_t		 off;		/* byte to change (0: none) */
	uint8_t		 val;
	const char	*want;
} damaged[] = {
	{ "shorter than a header", 7, 0, 0, "shorter than a header" },
	{ "not a response", 0, 2, 0x01, "not a response (QR bit clear)" },
	{ "answer cut off", 50, 0, 0, "answer 1: record data runs past the end" },
	{ "record header cut off", 40, 0, 0, "answer 1: record header cut off" },
	{ "pointer to itself", 0, 36, 35, "answer 1: bad compression pointer" },
	{ "forward pointer", 0, 36, 40, "answer 1: bad compression pointer" },
	{ "A of 3 bytes", 0, 46, 3, "answer 1: A record of 3 bytes" },
	{ "two questions", 0, 5, 2, "2 questions in the response" },
	{ "label type 0x40", 0, 12, 0x45, "question: unknown label type 0x45" },
	{ "label past the end", 20, 0, 0, "question: label runs past the end" },
};

START_TEST(test_parse_damaged)
{
	static const uint8_t addr[] = { 192, 0, 2, 1 };
	const struct rec rr[] = { { DNS_TYPE_A, 60, addr, 4 } };
	uint8_t msg[512];
	size_t len = response(msg, 1, 0, false, DNS_TYPE_A, rr, 1);
	struct dnsmsg_answer a;
	char err[160] = "";

	ck_assert_uint_eq(len, 51);
	if (damaged[_i].cut)
		len = damaged[_i].cut;
	if (damaged[_i].off)
		msg[damaged[_i].off] = damaged[_i].val;
	ck_assert_msg(dnsmsg_parse(msg, len, &a, err, sizeof(err)) < 0,
	    "[%s] parsed", damaged[_i].name);
	ck_assert_msg(strstr(err, damaged[_i].want) != NULL, "[%s] error \"%s\", want "
	    "\"%s\"", damaged[_i].name, err, damaged[_i].want);
}
END_TEST

/* ---- tables ---- */

START_TEST(test_names)
{
	char b[16];

	ck_assert_int_eq(dnsmsg_type_parse("A"), DNS_TYPE_A);
	ck_assert_int_eq(dnsmsg_type_parse("aaaa"), DNS_TYPE_AAAA);
	ck_assert_int_eq(dnsmsg_type_parse("CNAME"), DNS_TYPE_CNAME);
	ck_assert_int_eq(dnsmsg_type_parse("TXT"), DNS_TYPE_TXT);
	ck_assert_int_eq(dnsmsg_type_parse("NS"), DNS_TYPE_NS);
	ck_assert_int_eq(dnsmsg_type_parse("MX"), -1);		/* not asked for */
	ck_assert_int_eq(dnsmsg_type_parse("OPT"), -1);
	ck_assert_str_eq(dnsmsg_type_name(DNS_TYPE_SOA, b, sizeof(b)), "SOA");
	ck_assert_str_eq(dnsmsg_type_name(65, b, sizeof(b)), "TYPE65");
	ck_assert_int_eq(dnsmsg_rcode_parse("nxdomain"), DNS_RCODE_NXDOMAIN);
	ck_assert_int_eq(dnsmsg_rcode_parse("REFUSED"), DNS_RCODE_REFUSED);
	ck_assert_int_eq(dnsmsg_rcode_parse("BOGUS"), -1);
	ck_assert_str_eq(dnsmsg_rcode_name(DNS_RCODE_SERVFAIL, b, sizeof(b)), "SERVFAIL");
	ck_assert_str_eq(dnsmsg_rcode_name(16, b, sizeof(b)), "RCODE16");
}
END_TEST

START_TEST(test_valid_names)
{
	static const struct { const char *s; bool ok; } cases[] = {
		{ "example.com", true }, { "example.com.", true }, { ".", true },
		{ "_dmarc.example.com", true }, { "xn--bcher-kva.example", true },
		{ "a", true }, { "", false }, { "a..b", false }, { ".a", false },
		{ "a b.com", false }, { "a\\.b", false }, { "example.com..", false },
	};
	char big[300];

	for (size_t i = 0; i < NELEM(cases); i++)
		ck_assert_msg(dnsmsg_valid_name(cases[i].s) == cases[i].ok, "\"%s\"",
		    cases[i].s);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	for (size_t i = 60; i < sizeof(big) - 1; i += 60)
		big[i] = '.';
	ck_assert(!dnsmsg_valid_name(big));	/* over 253 */
	ck_assert(dnsmsg_name_eq("Example.COM.", "example.com"));
	ck_assert(!dnsmsg_name_eq("example.com", "example.co"));
}
END_TEST

START_TEST(test_resolv_conf)
{
	char out[64];

	ck_assert_int_eq(dnsmsg_resolv_conf("# generated\nsearch example\n"
	    "nameserver 10.0.0.2\nnameserver 10.0.0.3\n", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "10.0.0.2");
	ck_assert_int_eq(dnsmsg_resolv_conf("  nameserver\tfe80::1%eth0\n", out,
	    sizeof(out)), 0);
	ck_assert_str_eq(out, "fe80::1");
	ck_assert_int_eq(dnsmsg_resolv_conf("nameserver dns.example\nnameserver "
	    "::1", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "::1");
	ck_assert_int_eq(dnsmsg_resolv_conf("#nameserver 1.1.1.1\noptions "
	    "ndots:2\n", out, sizeof(out)), -1);
	ck_assert_int_eq(dnsmsg_resolv_conf("", out, sizeof(out)), -1);
}
END_TEST

static Suite *
dnsmsg_suite(void)
{
	Suite *s = suite_create("dnsmsg");
	TCase *tq = tcase_create("query");
	TCase *tp = tcase_create("parse");
	TCase *tt = tcase_create("tables");

	tcase_add_test(tq, test_query_bytes);
	tcase_add_test(tq, test_query_edns);
	tcase_add_test(tq, test_query_refused);
	suite_add_tcase(s, tq);
	tcase_add_test(tp, test_parse_a_aaaa);
	tcase_add_test(tp, test_parse_cname_ns_txt_mx);
	tcase_add_test(tp, test_parse_nxdomain_ext_rcode_tc);
	tcase_add_test(tp, test_parse_many_answers_counted);
	tcase_add_loop_test(tp, test_parse_damaged, 0, (int)NELEM(damaged));
	suite_add_tcase(s, tp);
	tcase_add_test(tt, test_names);
	tcase_add_test(tt, test_valid_names);
	tcase_add_test(tt, test_resolv_conf);
	suite_add_tcase(s, tt);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(dnsmsg_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
