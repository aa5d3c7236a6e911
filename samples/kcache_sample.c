// SPDX-License-Identifier: GPL-2.0
/*
 * A sample in-kernel user of kcache. It uses only the exported API, so loading it proves
 * the exports work from a separate module: it memoises a slow computation (here: a fake
 * 2 ms lookup of a user name) in a cache named "sample", checks what it reads back and
 * refuses to load if anything is off.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/err.h>
#include <linux/module.h>
#include <linux/string.h>

#include "kcache.h"

static struct kcache *sample_cache;

static int sample_slow_lookup(u32 uid, char *name, size_t len)
{
	usleep_range(2000, 3000);
	return snprintf(name, len, "user%u", uid);
}

/* Cache-aside: a hit copies out; a miss computes and stores for a minute. */
static int sample_uid_name(u32 uid, char *name, u32 len)
{
	u32 vlen = len - 1;
	int ret, n;

	ret = kcache_get(sample_cache, &uid, sizeof(uid), name, &vlen, NULL);
	if (!ret) {
		name[vlen] = '\0';
		return 1;
	}
	if (ret != -ENOENT)
		return ret;
	n = sample_slow_lookup(uid, name, len);
	ret = kcache_set(sample_cache, &uid, sizeof(uid), name, n, 60 * NSEC_PER_SEC,
			 KCACHE_SET_IF_ABSENT, NULL);
	return ret == -EEXIST ? 0 : ret;
}

static int __init kcache_sample_init(void)
{
	struct kcache_config cfg = { .max_entries = 128, .policy = KCACHE_POLICY_TINYLFU };
	struct kcache_stats st;
	char name[32], want[32];
	int i, ret = 0, hits = 0;

	sample_cache = kcache_create("sample", &cfg);
	if (IS_ERR(sample_cache))
		return PTR_ERR(sample_cache);
	for (i = 0; i < 64 && ret >= 0; i++) {
		ret = sample_uid_name(1000 + i % 16, name, sizeof(name));
		if (ret > 0)
			hits++;
		snprintf(want, sizeof(want), "user%u", 1000 + i % 16);
		if (ret >= 0 && strcmp(name, want))
			ret = -EIO;
	}
	kcache_stats(sample_cache, &st);
	if (ret < 0 || hits != 48 || st.hits != 48 || st.misses != 16) {
		pr_err("unexpected: ret %d hits %d stats %llu/%llu\n", ret, hits, st.hits,
		       st.misses);
		kcache_destroy(sample_cache);
		kcache_put_ref(sample_cache);
		return ret < 0 ? ret : -EIO;
	}
	pr_info("memoised 16 names: %llu hits, %llu misses\n", st.hits, st.misses);
	return 0;
}

static void __exit kcache_sample_exit(void)
{
	kcache_destroy(sample_cache);
	kcache_put_ref(sample_cache);
}

module_init(kcache_sample_init);
module_exit(kcache_sample_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Sample user of the kcache kernel API");
