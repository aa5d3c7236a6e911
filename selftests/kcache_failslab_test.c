// SPDX-License-Identifier: GPL-2.0
/*
 * Allocation failures injected into our own syscalls (failslab with task-filter, debug
 * kernel only): every operation either works or fails with ENOMEM, and once injection
 * stops the cache's counters agree with what GET finds. Skips where failslab is absent.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kcache.h"
#include "kselftest_harness.h"
#include "kcache_files.h"

#define FS "/sys/kernel/debug/failslab/"

/* The write itself may meet an injected failure: retry, a bounded number of times. */
static int stop_failing(void)
{
	int i, ret = -EIO;

	for (i = 0; i < 1000 && ret; i++)
		ret = write_file("/proc/self/make-it-fail", "0");
	return ret;
}

FIXTURE(fs) {
	int ctl;
	int fd;
};

FIXTURE_SETUP(fs)
{
	if (access(FS "probability", W_OK))
		SKIP(return, "failslab not available (stock kernel)");
	self->ctl = kcache_ctl_open();
	ASSERT_LE(0, self->ctl);
	kcache_destroy(self->ctl, "failslab");
	self->fd = kcache_create(self->ctl, "failslab", 256, 0, 0, 0, 0600);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, write_file(FS "task-filter", "Y"));
	ASSERT_EQ(0, write_file(FS "probability", "20"));
	ASSERT_EQ(0, write_file(FS "interval", "1"));
	ASSERT_EQ(0, write_file(FS "times", "-1"));
	ASSERT_EQ(0, write_file(FS "verbose", "0"));
	ASSERT_EQ(0, write_file(FS "ignore-gfp-wait", "N"));
}

FIXTURE_TEARDOWN(fs)
{
	if (access(FS "probability", W_OK))
		return;
	stop_failing();
	write_file(FS "probability", "0");
	kcache_destroy(self->ctl, "failslab");
	close(self->fd);
	close(self->ctl);
}

TEST_F(fs, operations_fail_cleanly_under_slab_failures)
{
	unsigned long ok = 0, nomem = 0;
	struct kcache_counters st;
	char key[32], val[64];
	uint32_t vl;
	int i, ret, found = 0;

	/* the 6.1 harness runs the body even after SKIP() in the setup */
	if (access(FS "probability", W_OK))
		SKIP(return, "failslab not available (stock kernel)");
	memset(val, 'v', sizeof(val));
	ASSERT_EQ(0, write_file("/proc/self/make-it-fail", "1"));
	for (i = 0; i < 4000; i++) {
		snprintf(key, sizeof(key), "key-%d", i % 400);
		switch (i % 4) {
		case 0:
		case 1:
			ret = kcache_set(self->fd, key, strlen(key), val, 1 + i % 60, 0, 0, NULL);
			break;
		case 2:
			vl = sizeof(val);
			ret = kcache_get(self->fd, key, strlen(key), val, &vl, NULL);
			if (ret == -ENOENT)
				ret = 0;
			break;
		default:
			ret = kcache_del(self->fd, key, strlen(key));
			if (ret == -ENOENT)
				ret = 0;
			break;
		}
		if (ret == -ENOMEM)
			nomem++;
		else
			ASSERT_EQ(0, ret) TH_LOG("op %d on %s: %s", i % 4, key, strerror(-ret));
		if (!ret)
			ok++;
	}
	ASSERT_EQ(0, stop_failing());
	TH_LOG("%lu operations succeeded, %lu failed with ENOMEM", ok, nomem);
	EXPECT_LT(0, nomem);	/* injection reached our allocations */
	EXPECT_LT(0, ok);

	/* a full maintenance pass runs on the next write; then compare */
	ASSERT_EQ(0, kcache_set(self->fd, "sync", 4, "s", 1, 0, 0, NULL));
	for (i = 0; i < 400; i++) {
		snprintf(key, sizeof(key), "key-%d", i);
		vl = sizeof(val);
		ret = kcache_get(self->fd, key, strlen(key), val, &vl, NULL);
		ASSERT_TRUE(ret == 0 || ret == -ENOENT);
		found += !ret;
	}
	ASSERT_EQ(0, kcache_stats(self->fd, &st));
	EXPECT_EQ(found + 1, st.entries);
}

/*
 * A GET hit allocates nothing (design §3), up to the stack buffer's key length (256
 * bytes): with every allocation of this task failing, each such GET still hits. A key
 * one byte longer is copied to the heap, and fails: the injection reaches the GET path.
 */
TEST_F(fs, get_hit_allocates_nothing)
{
	static const uint32_t klens[] = { 1, 16, 63, 64, 65, 250, 255, 256 };
	char key[257], val[8];
	uint32_t vl, i;
	int mif, ret;

	if (access(FS "probability", W_OK))
		SKIP(return, "failslab not available (stock kernel)");
	memset(key, 'k', sizeof(key));
	for (i = 0; i < ARRAY_SIZE(klens); i++)
		ASSERT_EQ(0, kcache_set(self->fd, key, klens[i], "v", 1, 0, 0, NULL));
	ASSERT_EQ(0, kcache_set(self->fd, key, sizeof(key), "w", 1, 0, 0, NULL));
	ASSERT_EQ(0, write_file(FS "probability", "100"));
	/* opened before: with every allocation failing, no open() would succeed */
	mif = open("/proc/self/make-it-fail", O_WRONLY | O_CLOEXEC);
	ASSERT_LE(0, mif);
	ASSERT_EQ(1, write(mif, "1", 1));
	for (i = 0; i < ARRAY_SIZE(klens); i++) {
		vl = sizeof(val);
		ret = kcache_get(self->fd, key, klens[i], val, &vl, NULL);
		if (ret)
			break;
	}
	vl = sizeof(val);
	ret = ret ?: kcache_get(self->fd, key, sizeof(key), val, &vl, NULL);
	ASSERT_EQ(1, pwrite(mif, "0", 1, 0));
	close(mif);
	ASSERT_EQ(ARRAY_SIZE(klens), i) TH_LOG("%u-byte key: %s", klens[i], strerror(-ret));
	ASSERT_EQ(-ENOMEM, ret);
}

TEST_HARNESS_MAIN
