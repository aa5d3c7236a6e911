/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A tiny userspace stand-in for <kunit/test.h>: just what kmod/kcache_policy_test.c uses,
 * so that the suite also runs (kunit-run) on machines whose kernel lacks CONFIG_KUNIT.
 */
#ifndef _KUNIT_USER_TEST_H
#define _KUNIT_USER_TEST_H

#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include "kcache_policy_user.h"

struct kunit {
	const char *name;
	int failed;
	int skipped;
	jmp_buf abort;
};

struct kunit_case {
	void (*run_case)(struct kunit *test);
	const char *name;
};

struct kunit_suite {
	const char *name;
	struct kunit_case *test_cases;
};

#define KUNIT_CASE(fn)		{ .run_case = fn, .name = #fn }
#define GFP_KERNEL		0

static inline void *kunit_kzalloc(struct kunit *test, size_t size, int gfp)
{
	return calloc(1, size);	/* leaked on purpose: the process is short-lived */
}

static inline void *kunit_kcalloc(struct kunit *test, size_t n, size_t size, int gfp)
{
	return calloc(n, size);
}

#define kunit_skip(test, msg) do {					\
	printf("    # %s: SKIP %s\n", (test)->name, msg);		\
	(test)->skipped = 1;						\
	return;								\
} while (0)

#define KU_CHECK(test, cond, text, abort_on_fail) do {			\
	if (!(cond)) {							\
		printf("    # %s: %s:%d: %s\n", (test)->name, __FILE__,	\
		       __LINE__, text);					\
		(test)->failed = 1;					\
		if (abort_on_fail)					\
			longjmp((test)->abort, 1);			\
	}								\
} while (0)

#define KU_OP(test, a, op, b, ab) do {					\
	long long __a = (long long)(a), __b = (long long)(b);		\
	if (!(__a op __b))						\
		printf("    # %s:   %s = %lld, %s = %lld\n", (test)->name,	\
		       #a, __a, #b, __b);				\
	KU_CHECK(test, __a op __b, "expected " #a " " #op " " #b, ab);	\
} while (0)

#define KUNIT_EXPECT_EQ(t, a, b)	KU_OP(t, a, ==, b, 0)
#define KUNIT_EXPECT_LT(t, a, b)	KU_OP(t, a, <, b, 0)
#define KUNIT_EXPECT_LE(t, a, b)	KU_OP(t, a, <=, b, 0)
#define KUNIT_EXPECT_GT(t, a, b)	KU_OP(t, a, >, b, 0)
#define KUNIT_EXPECT_GE(t, a, b)	KU_OP(t, a, >=, b, 0)
#define KUNIT_ASSERT_EQ(t, a, b)	KU_OP(t, a, ==, b, 1)
#define KUNIT_ASSERT_GE(t, a, b)	KU_OP(t, a, >=, b, 1)
#define KUNIT_EXPECT_TRUE(t, c)		KU_CHECK(t, (c), "expected " #c, 0)
#define KUNIT_EXPECT_FALSE(t, c)	KU_CHECK(t, !(c), "expected !" #c, 0)
#define KUNIT_EXPECT_NULL(t, p)		KU_CHECK(t, (p) == NULL, "expected " #p " == NULL", 0)
#define KUNIT_EXPECT_NOT_NULL(t, p)	KU_CHECK(t, (p) != NULL, "expected " #p " != NULL", 0)
#define KUNIT_ASSERT_NOT_NULL(t, p)	KU_CHECK(t, (p) != NULL, "expected " #p " != NULL", 1)
#define KUNIT_EXPECT_PTR_EQ(t, a, b)	KU_CHECK(t, (a) == (b), "expected " #a " == " #b, 0)

#endif /* _KUNIT_USER_TEST_H */
