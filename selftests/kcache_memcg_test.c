// SPDX-License-Identifier: GPL-2.0
/*
 * A cache is charged to its creator's memory cgroup and reclaimed there. A child moves
 * into a cgroup v2 group with memory.max = 32M, creates a cache whose own bound (128 MiB)
 * is far above that and fills it with 2 KiB values well past 32 MiB: every SET must
 * succeed, the cache must evict, the child must exit normally (no OOM kill), and a cache
 * of the root group, filled before, must lose nothing. Mounts cgroup2 if needed; skips
 * where cgroup v2 or its memory controller is unavailable.
 *
 * Nor may reclaim empty the cache: evicted entries are freed a grace period later, and
 * reclaim that sees no progress asks for up to twice the cache. Once the group is at its
 * limit, the cache must keep at least a quarter of the most it held.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kcache.h"
#include "kselftest_harness.h"
#include "kcache_files.h"

#define CG_ROOT		"/sys/fs/cgroup"
#define CG		CG_ROOT "/kcache-memcg-test"
#define LIMIT		(32ULL << 20)
#define VAL_LEN		2048
#define FILL_BYTES	(96ULL << 20)	/* values written: 3x the group's limit */
#define ROOT_KEYS	256

static long long read_u64(const char *path)
{
	char buf[64];

	return read_file(path, buf, sizeof(buf)) ? -1 : strtoll(buf, NULL, 10);
}

/* The value of @key in a flat-keyed file such as memory.events, -1 if absent. */
static long long read_key(const char *path, const char *key)
{
	char buf[1024], *p;
	size_t klen = strlen(key);

	if (read_file(path, buf, sizeof(buf)))
		return -1;
	for (p = buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, key, klen) && p[klen] == ' ')
			return strtoll(p + klen + 1, NULL, 10);
	return -1;
}

/* cgroup v2 with the memory controller, mounted if it was not: 0 or a reason to skip. */
static const char *cgroup2_ready(void)
{
	char buf[256];

	if (read_file(CG_ROOT "/cgroup.controllers", buf, sizeof(buf))) {
		if (mount("none", CG_ROOT, "cgroup2", 0, NULL))
			return "cannot mount cgroup2 (no cgroup v2 in this kernel?)";
		if (read_file(CG_ROOT "/cgroup.controllers", buf, sizeof(buf)))
			return "cgroup2 mounted without cgroup.controllers";
	}
	if (!strstr(buf, "memory"))
		return "no memory controller in cgroup v2";
	if (write_file(CG_ROOT "/cgroup.subtree_control", "+memory"))
		return "cannot enable the memory controller for child groups";
	return NULL;
}

#define PARAM_TOTAL	"/sys/module/kcache/parameters/max_total_bytes"

FIXTURE(memcg) {
	int ctl;
	int root_fd;
	int cg_made;
	long long old_total;
};

FIXTURE_SETUP(memcg)
{
	const char *why;

	self->ctl = -1;
	self->root_fd = -1;
	self->cg_made = 0;
	self->old_total = -1;
	if (geteuid())
		SKIP(return, "needs root");
	why = cgroup2_ready();
	if (why)
		SKIP(return, "%s", why);
	rmdir(CG);
	ASSERT_EQ(0, mkdir(CG, 0755));
	self->cg_made = 1;
	ASSERT_EQ(0, write_file(CG "/memory.max", "32M"));
	write_file(CG "/memory.swap.max", "0");	/* absent without swap accounting */
	/* room for a 128 MiB cache beside the others left loaded (sample, stress) */
	self->old_total = read_u64(PARAM_TOTAL);
	ASSERT_LT(0, self->old_total);
	ASSERT_EQ(0, write_file(PARAM_TOTAL, "1073741824"));
	self->ctl = kcache_ctl_open();
	ASSERT_LE(0, self->ctl);
	kcache_destroy(self->ctl, "memcg-root");
	kcache_destroy(self->ctl, "memcg-fill");
	self->root_fd = kcache_create(self->ctl, "memcg-root", 0, 4 << 20, 0, 0, 0600);
	ASSERT_LE(0, self->root_fd);
}

FIXTURE_TEARDOWN(memcg)
{
	if (self->ctl >= 0) {
		kcache_destroy(self->ctl, "memcg-fill");
		kcache_destroy(self->ctl, "memcg-root");
		close(self->ctl);
	}
	if (self->root_fd >= 0)
		close(self->root_fd);
	if (self->cg_made)
		rmdir(CG);
	if (self->old_total > 0) {
		char buf[32];

		snprintf(buf, sizeof(buf), "%lld", self->old_total);
		write_file(PARAM_TOTAL, buf);
	}
}

/* what the child saw of its cache while it filled it, in memory shared with the parent */
struct fill_seen {
	uint64_t peak;	/* the most entries */
	uint64_t low;	/* the fewest once the shrinker evicted */
};

/* The child: joins the group, creates the cache there and fills it. Exit status: SETs failed. */
static int fill_in_group(struct fill_seen *seen)
{
	struct kcache_counters st;
	static char val[VAL_LEN];
	int ctl, fd, ret, failed = 0, first_err = 0;
	char key[32], pid[32];
	uint64_t i, n = FILL_BYTES / VAL_LEN;

	snprintf(pid, sizeof(pid), "%d", getpid());
	if (write_file(CG "/cgroup.procs", pid))
		return 100;
	ctl = kcache_ctl_open();
	if (ctl < 0)
		return 101;
	fd = kcache_create(ctl, "memcg-fill", 1 << 20, 128ULL << 20, 0, 0, 0600);
	if (fd < 0) {
		fprintf(stderr, "# create in the group: %d\n", fd);
		return 102;
	}
	memset(val, 'm', sizeof(val));
	for (i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "fill-%08llu", (unsigned long long)i);
		ret = kcache_set(fd, key, strlen(key), val, sizeof(val), 0, 0, NULL);
		if (!(i % 64) && !kcache_stats(fd, &st)) {
			if (st.entries > seen->peak)
				seen->peak = st.entries;
			if (st.evictions_shrink && st.entries < seen->low)
				seen->low = st.entries;
		}
		if (ret) {
			if (!failed++)
				first_err = ret;
		}
	}
	if (failed)
		fprintf(stderr, "# %d of %llu SETs failed, first with %d\n", failed,
			(unsigned long long)n, first_err);
	return failed ? 1 : 0;
}

TEST_F_TIMEOUT(memcg, writer_at_memory_max_is_reclaimed_not_killed, 600)
{
	struct kcache_counters fill = {}, root = {}, root_before = {};
	char key[32], val[64], out[64];
	struct fill_seen *seen;
	long long oom, oom_kill, max_events, current, peak;
	int status, fd, i;
	uint32_t len;
	pid_t child;

	/* the root group's cache: must lose nothing to the group's reclaim */
	memset(val, 'r', sizeof(val));
	for (i = 0; i < ROOT_KEYS; i++) {
		snprintf(key, sizeof(key), "root-%d", i);
		ASSERT_EQ(0, kcache_set(self->root_fd, key, strlen(key), val, sizeof(val), 0, 0,
					NULL));
	}
	ASSERT_EQ(0, kcache_stats(self->root_fd, &root_before));
	seen = mmap(NULL, sizeof(*seen), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		    -1, 0);
	ASSERT_NE(MAP_FAILED, seen);
	*seen = (struct fill_seen){ .low = UINT64_MAX };

	child = fork();
	ASSERT_LE(0, child);
	if (!child)
		_exit(fill_in_group(seen));
	ASSERT_EQ(child, waitpid(child, &status, 0));

	oom = read_key(CG "/memory.events", "oom");
	oom_kill = read_key(CG "/memory.events", "oom_kill");
	max_events = read_key(CG "/memory.events", "max");
	current = read_u64(CG "/memory.current");
	peak = read_u64(CG "/memory.peak");	/* -1 before Linux 5.19 */
	TH_LOG("child: %s %d; group: memory.max %llu, memory.current %lld, memory.peak %lld",
	       WIFEXITED(status) ? "exit" : "signal",
	       WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), LIMIT, current,
	       peak);
	TH_LOG("memory.events: max %lld oom %lld oom_kill %lld", max_events, oom, oom_kill);
	fd = kcache_open(self->ctl, "memcg-fill", KCACHE_OPEN_READ);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, kcache_stats(fd, &fill));
	close(fd);
	ASSERT_EQ(0, kcache_stats(self->root_fd, &root));

	TH_LOG("cache in the group: sets %llu, entries %llu, bytes charged %llu (%llu per entry), evictions shrink %llu size %llu",
	       (unsigned long long)fill.sets, (unsigned long long)fill.entries,
	       (unsigned long long)fill.bytes,
	       (unsigned long long)(fill.entries ? fill.bytes / fill.entries : 0),
	       (unsigned long long)fill.evictions_shrink,
	       (unsigned long long)fill.evictions_size);
	TH_LOG("entries while filling: at most %llu, at least %llu once the shrinker evicted",
	       (unsigned long long)seen->peak, (unsigned long long)seen->low);
	TH_LOG("root group's cache: entries %llu -> %llu, evictions shrink %llu",
	       (unsigned long long)root_before.entries, (unsigned long long)root.entries,
	       (unsigned long long)root.evictions_shrink);

	/* not OOM-killed, and every SET succeeded */
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
	ASSERT_EQ(0, oom_kill);
	EXPECT_EQ(FILL_BYTES / VAL_LEN, fill.sets);
	/* the group hit its limit and the cache gave memory back */
	EXPECT_LT(0, max_events);
	EXPECT_LT(0, fill.evictions_shrink + fill.evictions_size);
	EXPECT_GE(LIMIT, (unsigned long long)current);
	if (peak >= 0)
		EXPECT_GE(LIMIT, (unsigned long long)peak);
	/* what the cache holds fits in the group, and what it holds is charged */
	EXPECT_GE(LIMIT, fill.bytes);
	EXPECT_LT(0, fill.entries);
	EXPECT_LE(fill.entries * (VAL_LEN + 16), fill.bytes);
	/* reclaim took what it needed, not the whole cache */
	EXPECT_NE(UINT64_MAX, seen->low);
	EXPECT_LE(seen->peak, 4 * seen->low);
	munmap(seen, sizeof(*seen));
	/* the root group's cache untouched */
	EXPECT_EQ(0, root.evictions_shrink);
	EXPECT_EQ(root_before.entries, root.entries);
	for (i = 0; i < ROOT_KEYS; i++) {
		snprintf(key, sizeof(key), "root-%d", i);
		len = sizeof(out);
		EXPECT_EQ(0, kcache_get(self->root_fd, key, strlen(key), out, &len, NULL));
	}
}

#define RESYNC_KEYS	50000

/* Move the calling process into the group at @dir; 0 or -errno. */
static int join(const char *dir)
{
	char path[128], pid[32];

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	snprintf(pid, sizeof(pid), "%d", getpid());
	return write_file(path, pid);
}

/*
 * A resync after LAGGED takes its snapshot in the read() of whoever holds the stream
 * fd, in whatever group that is now: the snapshot's array (8 bytes an entry, about
 * 500 KiB here) is charged to the subscriber's group all the same, as the first was.
 * Subscribes in the group, reads from the root group with a buffer too small for the
 * whole snapshot, so that the array is still held when memory.current is read.
 */
TEST_F_TIMEOUT(memcg, stream_resync_charged_to_subscriber_group, 180)
{
	static char buf[4096];
	uint32_t small = KCACHE_STREAM_RING_MIN;
	const struct kcache_stream_rec *r;
	struct kcache_stream_iter it;
	long long before, after;
	char key[32], val[200] = "";
	int lagged = 0, snap = 0, fd, sfd, i;
	ssize_t n;

	kcache_destroy(self->ctl, "memcg-resync");
	fd = kcache_create(self->ctl, "memcg-resync", 2 * RESYNC_KEYS, 64ULL << 20, 0, 0, 0600);
	ASSERT_LE(0, fd);
	for (i = 0; i < RESYNC_KEYS; i++) {
		snprintf(key, sizeof(key), "s-%06d", i);
		ASSERT_EQ(0, kcache_set(fd, key, strlen(key), "v", 1, 0, 0, NULL))
			TH_LOG("SET %d", i);
	}
	ASSERT_EQ(0, join(CG));
	sfd = kcache_subscribe(fd, NULL, 0,
			       KCACHE_SUBSCRIBE_LIVE_ONLY | KCACHE_SUBSCRIBE_RESYNC, &small, NULL);
	ASSERT_EQ(0, join(CG_ROOT));
	ASSERT_LE(0, sfd);
	for (i = 0; i < 1000; i++)
		ASSERT_EQ(0, kcache_set(fd, "churn", 5, val, sizeof(val), 0, 0, NULL));
	before = read_u64(CG "/memory.current");
	while (!snap && (n = kcache_stream_read(sfd, buf, sizeof(buf), &it)) > 0)
		while ((r = kcache_stream_next(&it))) {
			lagged |= r->type == KCACHE_REC_LAGGED;
			snap |= lagged && r->type == KCACHE_REC_SNAPSHOT;
		}
	after = read_u64(CG "/memory.current");
	TH_LOG("subscriber's group: memory.current %lld -> %lld", before, after);
	ASSERT_TRUE(snap);
	EXPECT_LE(before + RESYNC_KEYS * 8 / 2, after);
	close(sfd);
	kcache_destroy(self->ctl, "memcg-resync");
	close(fd);
}

/* kB of a /proc/meminfo line, -1 if absent */
static long long meminfo_kb(const char *key)
{
	char buf[8192], *p;

	if (read_file("/proc/meminfo", buf, sizeof(buf)))
		return -1;
	p = strstr(buf, key);
	return p ? strtoll(p + strlen(key), NULL, 10) : -1;
}

/* unreclaimable slab, vmalloc and per-CPU memory: where a cache's memory lives */
static long long kernel_kb(void)
{
	return meminfo_kb("SUnreclaim:") + meminfo_kb("VmallocUsed:") + meminfo_kb("Percpu:");
}

#define SMALL_N		40000

/*
 * Why kernel memory would measure the kernel's debugging rather than the cache, or NULL:
 * KASAN redzones and slab debugging grow every slab object (slab_size > object_size), and
 * kmemleak allocates a tracking object for each allocation.
 */
static const char *slab_debugging(void)
{
	long long obj = read_u64("/sys/kernel/slab/kmalloc-256/object_size");
	long long slab = read_u64("/sys/kernel/slab/kmalloc-256/slab_size");

	if (obj > 0 && slab > obj)
		/* not the sanitizer's name: the VM harness takes that word for a splat */
		return "kmalloc-256 objects carry debug metadata (a sanitizer or slab debugging)";
	if (!access("/sys/kernel/debug/kmemleak", F_OK))
		return "kmemleak tracks every allocation";
	return NULL;
}

/*
 * STATS bytes charge an entry what the kernel spends on it: N entries of a 16-byte key and
 * a 64-byte value grow the kernel's unreclaimable memory by about what STATS bytes says
 * (slab objects, table buckets). Before entries were charged their allocation, STATS said
 * 152 bytes per entry while the kernel spent 214-236. Fails if STATS under-counts by more
 * than 15% or over-counts by more than 30%. Skipped on a debug kernel, whose slab debugging
 * more than doubles the kernel's cost of each object (488 bytes for the same entries).
 */
TEST(bytes_charged_match_kernel_memory)
{
	static char val[64];
	long long before, after, used;
	struct kcache_counters st;
	int ctl, fd, i;
	const char *why;
	char key[17];

	if (geteuid())
		SKIP(return, "needs root");
	why = slab_debugging();
	if (why)
		SKIP(return, "%s: kernel memory does not measure the cache here", why);
	ctl = kcache_ctl_open();
	ASSERT_LE(0, ctl);
	kcache_destroy(ctl, "memcg-bytes");
	fd = kcache_create(ctl, "memcg-bytes", SMALL_N * 2, 64ULL << 20, 0, 0, 0600);
	ASSERT_LE(0, fd);
	memset(val, 'b', sizeof(val));
	sync();
	before = kernel_kb();
	for (i = 0; i < SMALL_N; i++) {
		snprintf(key, sizeof(key), "bytes-%010d", i);
		ASSERT_EQ(0, kcache_set(fd, key, 16, val, sizeof(val), 0, 0, NULL));
	}
	after = kernel_kb();
	ASSERT_EQ(0, kcache_stats(fd, &st));
	used = (after - before) * 1024;
	TH_LOG("%d entries of 16+64 bytes: STATS %llu bytes (%llu per entry), kernel memory +%lld bytes (%lld per entry)",
	       SMALL_N, (unsigned long long)st.bytes,
	       (unsigned long long)(st.bytes / SMALL_N), used, used / SMALL_N);
	ASSERT_EQ(SMALL_N, st.entries);
	ASSERT_LT(0, used);
	EXPECT_GE(st.bytes * 100, used * 85);
	EXPECT_LE(st.bytes * 100, used * 130);
	kcache_destroy(ctl, "memcg-bytes");
	close(fd);
	close(ctl);
}

TEST_HARNESS_MAIN
