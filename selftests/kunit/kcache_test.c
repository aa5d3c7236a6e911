// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suites for kcache's internals. Runs on the debug kernel only (Debian's stock
 * kernel has no CONFIG_KUNIT).
 */

#include <kunit/test.h>
#include <linux/module.h>
#include <linux/string.h>

#include "kcache_internal.h"
#include "kcache_test.h"

struct kcache_name_case {
	const char *name;
	bool valid;
};

static const struct kcache_name_case kcache_name_cases[] = {
	{ "a", true },
	{ "sessions.v2_prod-1", true },
	{ "", false },
	{ "has space", false },
	{ "slash/name", false },
	/* the names no statistics file can have */
	{ ".", false },
	{ "..", false },
	{ "...", true },
	{ ".a", true },
	{ "a.", true },
	{ "nul\x01", false },
	{ "\xc3\xa9t\xc3\xa9", false },
	{ "0123456789012345678901234567890123456789012345678901234567890123", true },
	{ "01234567890123456789012345678901234567890123456789012345678901234", false },
};

static void kcache_name_case_desc(const struct kcache_name_case *t, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "\"%.20s\" len %zu", t->name, strlen(t->name));
}

KUNIT_ARRAY_PARAM(kcache_name, kcache_name_cases, kcache_name_case_desc);

static void name_valid_matches_rules(struct kunit *test)
{
	const struct kcache_name_case *t = test->param_value;

	KUNIT_EXPECT_EQ(test, kcache_name_valid(t->name), t->valid);
}

static struct kunit_case kcache_names_cases[] = {
	KUNIT_CASE_PARAM(name_valid_matches_rules, kcache_name_gen_params),
	{}
};

static struct kunit_suite kcache_names_suite = {
	.name = "kcache_names",
	.test_cases = kcache_names_cases,
};

kunit_test_suites(&kcache_names_suite, &kcache_core_suite, &kcache_policy_suite,
		  &kcache_mt_suite, &kcache_stream_suite, &kcache_load_suite);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("KUnit tests for kcache");
MODULE_IMPORT_NS(KCACHE_INTERNAL);
