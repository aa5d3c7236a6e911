/* SPDX-License-Identifier: GPL-2.0 */
/* The KUnit suites linked into kcache_test.ko, listed in kcache_test.c. */
#ifndef _KCACHE_TEST_H
#define _KCACHE_TEST_H

#include <kunit/test.h>

extern struct kunit_suite kcache_core_suite;
extern struct kunit_suite kcache_policy_suite;
extern struct kunit_suite kcache_mt_suite;
extern struct kunit_suite kcache_stream_suite;
extern struct kunit_suite kcache_load_suite;

#endif /* _KCACHE_TEST_H */
