/* test_sched: the scheduler's deterministic first-run jitter
 * (sched_jitter_ms in agent/sched.h). */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "sched.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

START_TEST(test_deterministic)
{
	char name[32];

	for (int i = 0; i < 200; i++) {
		snprintf(name, sizeof(name), "check-%d", i);
		ck_assert_int_eq(sched_jitter_ms("agent-a", name, 60000),
		    sched_jitter_ms("agent-a", name, 60000));
	}
	/* no hidden state: other calls in between change nothing */
	{
		int64_t first = sched_jitter_ms("eu-1", "micro-health", 30000);

		for (int i = 0; i < 50; i++)
			(void)sched_jitter_ms("other", "x", 1000 + i);
		ck_assert_int_eq(sched_jitter_ms("eu-1", "micro-health", 30000), first);
	}
}
END_TEST

static const int64_t intervals[] = {
	1, 2, 3, 7, 100, 999, 1000, 10000, 60000, 86400000, 3650LL * 86400000,
};

START_TEST(test_in_range)
{
	int64_t iv = intervals[_i];
	char name[32];

	for (int i = 0; i < 2000; i++) {
		int64_t j;

		snprintf(name, sizeof(name), "c%d", i);
		j = sched_jitter_ms(i % 2 ? "agent-a" : "agent-b", name, iv);
		ck_assert_msg(j >= 0 && j < iv, "jitter %lld outside [0, %lld)",
		    (long long)j, (long long)iv);
	}
}
END_TEST

START_TEST(test_degenerate_intervals)
{
	ck_assert_int_eq(sched_jitter_ms("a", "c", 1), 0);
	ck_assert_int_eq(sched_jitter_ms("a", "c", 0), 0);
	ck_assert_int_eq(sched_jitter_ms("a", "c", -5000), 0);
	ck_assert_int_eq(sched_jitter_ms("a", "", 0), 0);
}
END_TEST

/* 1000 checks on a 10 s interval over ten 1 s buckets: 100 expected in
 * each; every bucket must hold between 60 and 140. */
START_TEST(test_spread)
{
	int buckets[10] = { 0 };
	char name[32];

	for (int i = 0; i < 1000; i++) {
		int64_t j;

		snprintf(name, sizeof(name), "check-%d", i);
		j = sched_jitter_ms("agent-a", name, 10000);
		ck_assert_int_ge(j, 0);
		ck_assert_int_lt(j, 10000);
		buckets[j / 1000]++;
	}
	for (int b = 0; b < 10; b++)
		ck_assert_msg(buckets[b] >= 60 && buckets[b] <= 140,
		    "bucket %d holds %d checks (want 60-140)", b, buckets[b]);
}
END_TEST

/* The same spread for other agents and a finer grid. */
START_TEST(test_spread_other_agents)
{
	static const char *const agents[] = { "eu-central-1a", "us-east", "", "x" };
	char name[32];

	for (size_t a = 0; a < NELEM(agents); a++) {
		int buckets[20] = { 0 };

		for (int i = 0; i < 2000; i++) {
			snprintf(name, sizeof(name), "check-%d", i);
			buckets[sched_jitter_ms(agents[a], name, 60000) / 3000]++;
		}
		for (int b = 0; b < 20; b++)
			ck_assert_msg(buckets[b] >= 60 && buckets[b] <= 140,
			    "agent \"%s\": bucket %d holds %d (want 60-140)",
			    agents[a], b, buckets[b]);
	}
}
END_TEST

/* Agents probing the same check do not all fire at the same moment. */
START_TEST(test_agents_differ)
{
	char name[32];
	int differ = 0;

	for (int i = 0; i < 100; i++) {
		snprintf(name, sizeof(name), "check-%d", i);
		if (sched_jitter_ms("agent-a", name, 60000) !=
		    sched_jitter_ms("agent-b", name, 60000))
			differ++;
	}
	ck_assert_msg(differ >= 95, "only %d of 100 offsets differ", differ);
	ck_assert_int_ne(sched_jitter_ms("eu-1", "micro-health", 60000),
	    sched_jitter_ms("us-1", "micro-health", 60000));
}
END_TEST

/* The agent id and the check name are not simply concatenated. */
START_TEST(test_parts_kept_apart)
{
	int differ = 0;

	if (sched_jitter_ms("ab", "c", 1000000) != sched_jitter_ms("a", "bc", 1000000))
		differ++;
	if (sched_jitter_ms("agent", "x1", 1000000) != sched_jitter_ms("agentx", "1", 1000000))
		differ++;
	ck_assert_int_eq(differ, 2);
}
END_TEST

/* A missing agent id is the empty one, not a crash. */
START_TEST(test_null_agent)
{
	int64_t j = sched_jitter_ms(NULL, "check-1", 10000);

	ck_assert_int_ge(j, 0);
	ck_assert_int_lt(j, 10000);
	ck_assert_int_eq(j, sched_jitter_ms("", "check-1", 10000));
}
END_TEST

/* Similar names land far apart (no clustering for "check-1", "check-2"). */
START_TEST(test_neighbours_spread)
{
	char name[32];
	int64_t prev = -1;
	int close = 0;

	for (int i = 0; i < 200; i++) {
		int64_t j;

		snprintf(name, sizeof(name), "check-%d", i);
		j = sched_jitter_ms("agent-a", name, 100000);
		if (prev >= 0 && llabs((long long)(j - prev)) < 1000)
			close++;
		prev = j;
	}
	/* about 2% of neighbour pairs land within 1 s by chance */
	ck_assert_msg(close <= 15, "%d of 199 neighbours within 1 s", close);
}
END_TEST

static Suite *
sched_suite(void)
{
	Suite *s = suite_create("sched");
	TCase *tc = tcase_create("jitter");

	tcase_add_test(tc, test_deterministic);
	tcase_add_loop_test(tc, test_in_range, 0, (int)NELEM(intervals));
	tcase_add_test(tc, test_degenerate_intervals);
	tcase_add_test(tc, test_spread);
	tcase_add_test(tc, test_spread_other_agents);
	tcase_add_test(tc, test_agents_differ);
	tcase_add_test(tc, test_parts_kept_apart);
	tcase_add_test(tc, test_null_agent);
	tcase_add_test(tc, test_neighbours_spread);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(sched_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
