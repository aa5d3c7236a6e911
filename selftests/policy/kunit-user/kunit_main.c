// SPDX-License-Identifier: GPL-2.0
/*
 * Runs the kcache_policy KUnit suite in userspace (KTAP-like output). Exit 0 pass, 1 fail.
 */
#include <kunit/test.h>

extern struct kunit_suite kcache_policy_suite;

/* Separate frame so that longjmp() from a failed ASSERT clobbers no caller state. */
static void run_case(struct kunit_case *c, struct kunit *test)
{
	if (!setjmp(test->abort))
		c->run_case(test);
}

int main(void)
{
	struct kunit_suite *s = &kcache_policy_suite;
	struct kunit_case *c;
	int n = 0, failed = 0;

	for (c = s->test_cases; c->run_case; c++)
		n++;
	printf("KTAP version 1\n1..1\n    # Subtest: %s\n    1..%d\n", s->name, n);
	n = 0;
	for (c = s->test_cases; c->run_case; c++) {
		struct kunit test = { .name = c->name };

		run_case(c, &test);
		failed |= test.failed;
		printf("    %s %d %s%s\n", test.failed ? "not ok" : "ok", ++n, c->name,
		       test.skipped ? " # SKIP" : "");
	}
	printf("%s 1 %s\n", failed ? "not ok" : "ok", s->name);
	return failed;
}
