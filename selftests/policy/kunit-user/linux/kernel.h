/* SPDX-License-Identifier: GPL-2.0 */
/* Empty: kunit-user/kunit/test.h and kcache_policy_user.h provide what is used. */
