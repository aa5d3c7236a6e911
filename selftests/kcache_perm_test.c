// SPDX-License-Identifier: GPL-2.0
/*
 * Cache permissions across users: root creates caches with various modes, a forked child
 * switches to an unprivileged uid/gid (setresgid/setresuid, which also drops every
 * capability) and checks what OPEN, DESTROY, LIST and inherited fds allow; the per-uid
 * quota of CREATE (module parameters max_caches_per_uid, max_bytes_per_uid), the name
 * squatting defence (KCACHE_OPEN_OWNER) and the mode of /dev/kcache.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/capability.h>
#include <linux/kcache.h>

#include "kselftest_harness.h"
#include "kcache.h"

#define USER1	1000
#define USER2	1001
#define GROUP1	1000

static void set_name(char *dst, const char *name)
{
	memset(dst, 0, KCACHE_NAME_BUF);
	memcpy(dst, name, strlen(name));
}

static int create_bytes(int ctl, const char *name, uint32_t mode, uint64_t max_bytes)
{
	struct kcache_create_args a = { .size = sizeof(a), .max_bytes = max_bytes,
					.mode = mode };

	set_name(a.name, name);
	return ioctl(ctl, KCACHE_IOC_CREATE, &a);
}

static int create(int ctl, const char *name, uint32_t mode)
{
	return create_bytes(ctl, name, mode, 1 << 20);
}

#define PARAM_DIR	"/sys/module/kcache/parameters/"

static long param_get(const char *name)
{
	char path[128], buf[32] = "";
	FILE *f;

	snprintf(path, sizeof(path), PARAM_DIR "%s", name);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = 0;
	fclose(f);
	return buf[0] ? atol(buf) : -1;
}

static int param_set(const char *name, long val)
{
	char path[128];
	FILE *f;
	int ret;

	snprintf(path, sizeof(path), PARAM_DIR "%s", name);
	f = fopen(path, "w");
	if (!f)
		return -1;
	ret = fprintf(f, "%ld\n", val) > 0 ? 0 : -1;
	return fclose(f) ? -1 : ret;
}

static int open_cache(int ctl, const char *name, uint32_t access)
{
	struct kcache_open_args a = { .size = sizeof(a), .flags = access };

	set_name(a.name, name);
	return ioctl(ctl, KCACHE_IOC_OPEN, &a);
}

static int destroy(int ctl, const char *name)
{
	struct kcache_destroy_args a = { .size = sizeof(a) };

	set_name(a.name, name);
	return ioctl(ctl, KCACHE_IOC_DESTROY, &a);
}

static int set1(int fd)
{
	struct kcache_set_args a = { .size = sizeof(a), .key = (uintptr_t)"k", .key_len = 1,
				     .val = (uintptr_t)"v", .val_len = 1 };

	return ioctl(fd, KCACHE_IOC_SET, &a);
}

static int get1(int fd)
{
	char v[8];
	struct kcache_get_args a = { .size = sizeof(a), .key = (uintptr_t)"k", .key_len = 1,
				     .val = (uintptr_t)v, .val_len = sizeof(v) };

	return ioctl(fd, KCACHE_IOC_GET, &a);
}

/* Is @name in the LIST answer? */
static int listed(int ctl, const char *name)
{
	static struct kcache_list_record r[KCACHE_LIST_MAX];
	struct kcache_list_args a = { .size = sizeof(a), .records = (uintptr_t)r,
				      .nr = KCACHE_LIST_MAX, .record_size = sizeof(r[0]) };
	uint32_t i;

	if (ioctl(ctl, KCACHE_IOC_LIST, &a))
		return -1;
	for (i = 0; i < a.nr; i++)
		if (!strcmp(r[i].name, name))
			return 1;
	return 0;
}

/* Become @uid/@gid with supplementary groups @groups; no capability left. */
static int become(uid_t uid, gid_t gid, int ngroups, const gid_t *groups)
{
	if (setgroups(ngroups, groups) || setresgid(gid, gid, gid) || setresuid(uid, uid, uid))
		return -1;
	return 0;
}

/*
 * Run @fn in a child as @uid/@gid; the child's checks use the harness's ASSERTs, whose
 * failure makes it exit non-zero.
 */
#define AS_USER(uid, gid, ngroups, groups, ...) do {						\
	pid_t _pid = fork();								\
	int _st;									\
	ASSERT_LE(0, _pid);								\
	if (!_pid) {									\
		if (become(uid, gid, ngroups, groups))					\
			_exit(99);							\
		__VA_ARGS__;								\
		_exit(_metadata->passed ? 0 : 1);					\
	}										\
	ASSERT_EQ(_pid, waitpid(_pid, &_st, 0));					\
	ASSERT_TRUE(WIFEXITED(_st));							\
	ASSERT_EQ(0, WEXITSTATUS(_st));							\
} while (0)

FIXTURE(perm) {
	int ctl;
	char name[64];
	char n2[64];
	long max_caches_per_uid;
	long max_bytes_per_uid;
	long max_stream_bytes_per_uid;
};

FIXTURE_SETUP(perm)
{
	if (geteuid())
		SKIP(return, "needs root");
	self->ctl = open("/dev/kcache", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->ctl);
	snprintf(self->name, sizeof(self->name), "perm-%d", getpid());
	snprintf(self->n2, sizeof(self->n2), "perm-%d-u", getpid());
	self->max_caches_per_uid = param_get("max_caches_per_uid");
	self->max_bytes_per_uid = param_get("max_bytes_per_uid");
	self->max_stream_bytes_per_uid = param_get("max_stream_bytes_per_uid");
	ASSERT_LT(0, self->max_caches_per_uid);
	ASSERT_LT(0, self->max_bytes_per_uid);
	ASSERT_LT(0, self->max_stream_bytes_per_uid);
}

FIXTURE_TEARDOWN(perm)
{
	char n[80];
	int i;

	destroy(self->ctl, self->name);
	destroy(self->ctl, self->n2);
	for (i = 0; i < 8; i++) {
		snprintf(n, sizeof(n), "%s-q%d", self->name, i);
		destroy(self->ctl, n);
	}
	param_set("max_caches_per_uid", self->max_caches_per_uid);
	param_set("max_bytes_per_uid", self->max_bytes_per_uid);
	param_set("max_stream_bytes_per_uid", self->max_stream_bytes_per_uid);
	close(self->ctl);
}

/* Create "<name>-q<i>" with @max_bytes; 0 or the errno. */
static int create_q(FIXTURE_DATA(perm) *self, int i, uint64_t max_bytes)
{
	char n[80];
	int fd;

	snprintf(n, sizeof(n), "%s-q%d", self->name, i);
	fd = create_bytes(self->ctl, n, 0600, max_bytes);
	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

static int destroy_q(FIXTURE_DATA(perm) *self, int i)
{
	char n[80];

	snprintf(n, sizeof(n), "%s-q%d", self->name, i);
	return destroy(self->ctl, n) ? errno : 0;
}

TEST_F(perm, private_cache_refused_to_others)
{
	int fd = create(self->ctl, self->name, 0600);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, set1(fd));
	AS_USER(USER1, GROUP1, 0, NULL, {
		ASSERT_EQ(-1, open_cache(self->ctl, self->name, KCACHE_OPEN_READ));
		ASSERT_EQ(EACCES, errno);
		ASSERT_EQ(-1, open_cache(self->ctl, self->name, KCACHE_OPEN_WRITE));
		ASSERT_EQ(EACCES, errno);
		ASSERT_EQ(-1, destroy(self->ctl, self->name));
		ASSERT_EQ(EPERM, errno);
		ASSERT_EQ(0, listed(self->ctl, self->name));
	});
	ASSERT_EQ(1, listed(self->ctl, self->name));
	close(fd);
}

TEST_F(perm, group_read_only)
{
	gid_t g = 0;
	int fd = create(self->ctl, self->name, 0640);	/* group: root's fsgid 0 */

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, set1(fd));
	/* in group 0 through a supplementary group */
	AS_USER(USER1, GROUP1, 1, &g, {
		int r = open_cache(self->ctl, self->name, KCACHE_OPEN_READ);

		ASSERT_LE(0, r);
		ASSERT_EQ(0, get1(r));
		ASSERT_EQ(-1, set1(r));
		ASSERT_EQ(EBADF, errno);
		ASSERT_EQ(-1, open_cache(self->ctl, self->name, KCACHE_OPEN_RDWR));
		ASSERT_EQ(EACCES, errno);
		ASSERT_EQ(1, listed(self->ctl, self->name));
	});
	/* not in the group */
	AS_USER(USER2, USER2, 0, NULL, {
		ASSERT_EQ(-1, open_cache(self->ctl, self->name, KCACHE_OPEN_READ));
		ASSERT_EQ(EACCES, errno);
	});
	close(fd);
}

TEST_F(perm, other_read_and_write)
{
	int fd = create(self->ctl, self->name, 0604);

	ASSERT_LE(0, fd);
	AS_USER(USER1, GROUP1, 0, NULL, {
		int r = open_cache(self->ctl, self->name, KCACHE_OPEN_READ);

		ASSERT_LE(0, r);
		ASSERT_EQ(-1, open_cache(self->ctl, self->name, KCACHE_OPEN_WRITE));
		ASSERT_EQ(EACCES, errno);
		ASSERT_EQ(-1, destroy(self->ctl, self->name));
		ASSERT_EQ(EPERM, errno);
	});
	close(fd);
	ASSERT_EQ(0, destroy(self->ctl, self->name));
	fd = create(self->ctl, self->name, 0602);
	ASSERT_LE(0, fd);
	AS_USER(USER1, GROUP1, 0, NULL, {
		int w = open_cache(self->ctl, self->name, KCACHE_OPEN_WRITE);

		ASSERT_LE(0, w);
		ASSERT_EQ(0, set1(w));
		ASSERT_EQ(-1, get1(w));
		ASSERT_EQ(EBADF, errno);
		ASSERT_EQ(-1, open_cache(self->ctl, self->name, KCACHE_OPEN_READ));
		ASSERT_EQ(EACCES, errno);
		/* write-only and not the owner: not listed */
		ASSERT_EQ(0, listed(self->ctl, self->name));
	});
	close(fd);
}

TEST_F(perm, owner_bits_apply_to_owner)
{
	/* a user's own cache: the owner bits decide, others are refused, root bypasses */
	AS_USER(USER1, GROUP1, 0, NULL, {
		int fd = create(self->ctl, self->n2, 0400);
		int r;

		ASSERT_LE(0, fd);
		r = open_cache(self->ctl, self->n2, KCACHE_OPEN_READ);
		ASSERT_LE(0, r);
		ASSERT_EQ(-1, open_cache(self->ctl, self->n2, KCACHE_OPEN_WRITE));
		ASSERT_EQ(EACCES, errno);
		/* the creating fd is read-write whatever the mode */
		ASSERT_EQ(0, set1(fd));
		ASSERT_EQ(1, listed(self->ctl, self->n2));
	});
	AS_USER(USER2, USER2, 0, NULL, {
		ASSERT_EQ(-1, open_cache(self->ctl, self->n2, KCACHE_OPEN_READ));
		ASSERT_EQ(EACCES, errno);
		ASSERT_EQ(-1, destroy(self->ctl, self->n2));
		ASSERT_EQ(EPERM, errno);
	});
	/* root: CAP_DAC_OVERRIDE opens, CAP_SYS_ADMIN destroys */
	{
		int fd = open_cache(self->ctl, self->n2, KCACHE_OPEN_RDWR);

		ASSERT_LE(0, fd);
		ASSERT_EQ(0, get1(fd));
		close(fd);
	}
	AS_USER(USER1, GROUP1, 0, NULL, {
		ASSERT_EQ(0, destroy(self->ctl, self->n2));
	});
}

TEST_F(perm, inherited_fd_keeps_its_rights)
{
	int rw = create(self->ctl, self->name, 0600);
	int ro = open_cache(self->ctl, self->name, KCACHE_OPEN_READ);

	ASSERT_LE(0, rw);
	ASSERT_LE(0, ro);
	ASSERT_EQ(0, set1(rw));
	AS_USER(USER1, GROUP1, 0, NULL, {
		/* opened by root: still usable after dropping privileges */
		ASSERT_EQ(0, get1(rw));
		ASSERT_EQ(0, set1(rw));
		ASSERT_EQ(0, get1(ro));
		ASSERT_EQ(-1, set1(ro));
		ASSERT_EQ(EBADF, errno);
		/* but a new open is refused */
		ASSERT_EQ(-1, open_cache(self->ctl, self->name, KCACHE_OPEN_READ));
		ASSERT_EQ(EACCES, errno);
	});
	close(rw);
	close(ro);
}

TEST_F(perm, unprivileged_user_bounded_by_quota_before_module_limits)
{
	AS_USER(USER1, GROUP1, 0, NULL, {
		struct kcache_create_args a = { .size = sizeof(a), .max_bytes = 1ULL << 62,
						.mode = 0600 };

		set_name(a.name, self->n2);
		ASSERT_EQ(-1, ioctl(self->ctl, KCACHE_IOC_CREATE, &a));
		ASSERT_EQ(EDQUOT, errno);
	});
	/* root is not bound by the quota, only by the module's max_total_bytes */
	{
		struct kcache_create_args a = { .size = sizeof(a), .max_bytes = 1ULL << 62,
						.mode = 0600 };

		set_name(a.name, self->n2);
		ASSERT_EQ(-1, ioctl(self->ctl, KCACHE_IOC_CREATE, &a));
		ASSERT_EQ(ENOMEM, errno);
	}
}

TEST_F(perm, cache_quota_exhausted_other_user_still_creates)
{
	ASSERT_EQ(0, param_set("max_caches_per_uid", 2));
	AS_USER(USER1, GROUP1, 0, NULL, {
		ASSERT_EQ(0, create_q(self, 0, 1 << 20));
		ASSERT_EQ(0, create_q(self, 1, 1 << 20));
		ASSERT_EQ(EDQUOT, create_q(self, 2, 1 << 20));
		/* the quota comes before the name: an existing name also gets EDQUOT */
		ASSERT_EQ(EDQUOT, create_q(self, 0, 1 << 20));
	});
	AS_USER(USER2, USER2, 0, NULL, {
		ASSERT_EQ(0, create_q(self, 3, 1 << 20));
		/* and cannot free user 1000's slots */
		ASSERT_EQ(EPERM, destroy_q(self, 0));
	});
	AS_USER(USER1, GROUP1, 0, NULL, {
		/* destroying gives the slot back at once */
		ASSERT_EQ(0, destroy_q(self, 0));
		ASSERT_EQ(0, create_q(self, 2, 1 << 20));
		ASSERT_EQ(EDQUOT, create_q(self, 4, 1 << 20));
	});
	/* a cache destroyed by root (CAP_SYS_ADMIN) gives its owner's slot back too */
	ASSERT_EQ(0, destroy_q(self, 1));
	AS_USER(USER1, GROUP1, 0, NULL, {
		ASSERT_EQ(0, create_q(self, 4, 1 << 20));
	});
	/* root: CAP_SYS_RESOURCE goes past the quota */
	ASSERT_EQ(0, create_q(self, 5, 1 << 20));
	ASSERT_EQ(0, create_q(self, 6, 1 << 20));
	ASSERT_EQ(0, create_q(self, 7, 1 << 20));
}

/*
 * A destroyed cache that a fd still holds keeps its memory (sketch, rings), and so its
 * slot and bytes: else create, destroy, keep the fd, create again would pin every byte of
 * max_total_bytes, beyond any quota.
 */
TEST_F(perm, destroyed_cache_held_open_keeps_its_quota)
{
	ASSERT_EQ(0, param_set("max_caches_per_uid", 1));
	ASSERT_EQ(0, param_set("max_bytes_per_uid", 2 << 20));
	AS_USER(USER1, GROUP1, 0, NULL, {
		char n[80];
		int fd;

		snprintf(n, sizeof(n), "%s-q0", self->name);
		fd = create_bytes(self->ctl, n, 0600, 2 << 20);
		ASSERT_LE(0, fd);
		ASSERT_EQ(0, destroy_q(self, 0));
		ASSERT_EQ(EDQUOT, create_q(self, 1, 1 << 20));
		close(fd);
		/* the last fd closed: the slot and the bytes come back */
		ASSERT_EQ(0, create_q(self, 1, 2 << 20));
	});
}

/*
 * The quota comes before the name, so a service that restarts at its quota gets -EDQUOT
 * for the cache it owns: kcache_create_or_open() opens it all the same, and answers
 * -EDQUOT only for a name that does not exist.
 */
TEST_F(perm, create_or_open_at_quota_opens_own_cache)
{
	ASSERT_EQ(0, param_set("max_bytes_per_uid", 1 << 20));
	AS_USER(USER1, GROUP1, 0, NULL, {
		char n[80];
		int fd, fd2;

		snprintf(n, sizeof(n), "%s-q0", self->name);
		fd = kcache_create_or_open(self->ctl, n, 0, 1 << 20, 0, 0, 0600,
					   KCACHE_OPEN_RDWR);
		ASSERT_LE(0, fd);
		ASSERT_EQ(0, set1(fd));
		fd2 = kcache_create_or_open(self->ctl, n, 0, 1 << 20, 0, 0, 0600,
					    KCACHE_OPEN_RDWR);
		ASSERT_LE(0, fd2);
		ASSERT_EQ(0, get1(fd2));
		snprintf(n, sizeof(n), "%s-q1", self->name);
		ASSERT_EQ(-EDQUOT, kcache_create_or_open(self->ctl, n, 0, 1 << 20, 0, 0, 0600,
							 KCACHE_OPEN_RDWR));
		close(fd2);
		close(fd);
	});
}

TEST_F(perm, byte_quota_exhausted_other_user_still_creates)
{
	ASSERT_EQ(0, param_set("max_bytes_per_uid", 3 << 20));
	AS_USER(USER1, GROUP1, 0, NULL, {
		ASSERT_EQ(0, create_q(self, 0, 2 << 20));
		ASSERT_EQ(EDQUOT, create_q(self, 1, (1 << 20) + 1));
		ASSERT_EQ(0, create_q(self, 1, 1 << 20));
		ASSERT_EQ(EDQUOT, create_q(self, 2, 1));
		/* max_bytes 0 takes the module's default, which is more than is left */
		ASSERT_EQ(EDQUOT, create_q(self, 2, 0));
	});
	AS_USER(USER2, USER2, 0, NULL, {
		ASSERT_EQ(0, create_q(self, 3, 3 << 20));
	});
	AS_USER(USER1, GROUP1, 0, NULL, {
		ASSERT_EQ(0, destroy_q(self, 0));
		ASSERT_EQ(0, create_q(self, 2, 2 << 20));
	});
}

static int subscribe_ring(int fd, uint32_t ring_size)
{
	struct kcache_subscribe_args a = { .size = sizeof(a), .format = KCACHE_STREAM_FORMAT_V1,
					   .ring_size = ring_size };

	return ioctl(fd, KCACHE_IOC_SUBSCRIBE, &a);
}

/*
 * A stream's ring counts against max_total_bytes: a user who may read a cache may not
 * take all of it with rings. Each fsuid's open streams hold at most
 * max_stream_bytes_per_uid; closing one gives its ring back, and so does the process's
 * end; root (CAP_SYS_RESOURCE) goes past it.
 */
TEST_F(perm, stream_rings_bounded_by_quota)
{
	int fd = create(self->ctl, self->name, 0644), s[4], i;

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, param_set("max_stream_bytes_per_uid", 3 << 20));
	AS_USER(USER1, GROUP1, 0, NULL, {
		int rfd = open_cache(self->ctl, self->name, KCACHE_OPEN_READ);

		ASSERT_LE(0, rfd);
		for (i = 0; i < 3; i++) {
			s[i] = subscribe_ring(rfd, 1 << 20);
			ASSERT_LE(0, s[i]);
		}
		ASSERT_EQ(-1, subscribe_ring(rfd, 1 << 20));
		ASSERT_EQ(EDQUOT, errno);
		ASSERT_EQ(0, close(s[0]));
		s[0] = subscribe_ring(rfd, 1 << 20);
		ASSERT_LE(0, s[0]);
		ASSERT_EQ(-1, subscribe_ring(rfd, 1 << 20));
		ASSERT_EQ(EDQUOT, errno);
	});
	/* user 1000's streams closed with its process: its quota is free again */
	AS_USER(USER1, GROUP1, 0, NULL, {
		int rfd = open_cache(self->ctl, self->name, KCACHE_OPEN_READ);

		ASSERT_LE(0, rfd);
		for (i = 0; i < 3; i++)
			ASSERT_LE(0, subscribe_ring(rfd, 1 << 20));
	});
	for (i = 0; i < 4; i++) {
		s[i] = subscribe_ring(fd, 1 << 20);
		ASSERT_LE(0, s[i]);
	}
	for (i = 0; i < 4; i++)
		close(s[i]);
	close(fd);
}

/* Read a stream until its SYNC record: its snapshot has been delivered then. */
static int read_to_sync(int sfd)
{
	static char buf[1 << 20];
	const struct kcache_stream_rec *r;
	struct kcache_stream_iter it;

	while (kcache_stream_read(sfd, buf, sizeof(buf), &it) > 0)
		while ((r = kcache_stream_next(&it)))
			if (r->type == KCACHE_REC_SYNC)
				return 0;
	return -1;
}

/*
 * A cache of 32 entries of about 64 KiB, with a stream quota that fits one snapshot of
 * it (2 MiB) and a ring, not two: the cache's fd, or -1.
 */
static int create_snapshot_sized(struct __test_metadata *_metadata, int ctl, const char *name)
{
	static char val[60 << 10];
	int fd = create_bytes(ctl, name, 0644, 8 << 20), i;
	char key[8];

	for (i = 0; fd >= 0 && i < 32; i++) {
		snprintf(key, sizeof(key), "k%02d", i);
		EXPECT_EQ(0, kcache_set(fd, key, 3, val, sizeof(val), 0, 0, NULL));
	}
	EXPECT_EQ(0, param_set("max_stream_bytes_per_uid", 3 << 20));
	return fd;
}

/*
 * A snapshot pins the entries it has not delivered, which outlive their removal while
 * the cache takes in as much again: a reader that never reads could hold a copy of the
 * cache per SUBSCRIBE. So an undelivered snapshot counts against the stream quota, and
 * reading it gives that back.
 */
TEST_F(perm, stream_snapshots_bounded_by_quota)
{
	/* one snapshot of the 2 MiB cache and its ring fit, a second does not */
	int fd = create_snapshot_sized(_metadata, self->ctl, self->name), i;

	ASSERT_LE(0, fd);
	ASSERT_TRUE(_metadata->passed);
	AS_USER(USER1, GROUP1, 0, NULL, {
		int rfd = open_cache(self->ctl, self->name, KCACHE_OPEN_READ);
		int s1, s2;

		ASSERT_LE(0, rfd);
		s1 = kcache_subscribe(rfd, NULL, 0, 0, NULL, NULL);
		ASSERT_LE(0, s1);
		ASSERT_EQ(-EDQUOT, kcache_subscribe(rfd, NULL, 0, 0, NULL, NULL));
		/* a stream without a snapshot, or with a smaller one (one key), fits */
		s2 = kcache_subscribe(rfd, NULL, 0, KCACHE_SUBSCRIBE_LIVE_ONLY, NULL, NULL);
		ASSERT_LE(0, s2);
		ASSERT_EQ(0, close(s2));
		s2 = kcache_subscribe(rfd, "k00", 3, 0, NULL, NULL);
		ASSERT_LE(0, s2);
		ASSERT_EQ(0, close(s2));
		/* delivered, the snapshot is given back: the ring alone stays charged */
		ASSERT_EQ(0, read_to_sync(s1));
		s2 = kcache_subscribe(rfd, NULL, 0, 0, NULL, NULL);
		ASSERT_LE(0, s2);
	});
	/* root (CAP_SYS_RESOURCE) goes past it */
	ASSERT_EQ(0, param_set("max_stream_bytes_per_uid", 1 << 20));
	i = kcache_subscribe(fd, NULL, 0, 0, NULL, NULL);
	ASSERT_LE(0, i);
	close(i);
	close(fd);
}

/* Raise or lower CAP_SYS_RESOURCE in the effective set; it stays permitted. */
static int cap_resource(int on)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d))
		return -1;
	if (on)
		d[0].effective |= 1U << CAP_SYS_RESOURCE;
	else
		d[0].effective &= ~(1U << CAP_SYS_RESOURCE);
	return syscall(SYS_capset, &h, d);
}

/*
 * Overflow @sfd's ring (a small one) with stores to another key, then read it: 1 if the
 * LAGGED record is followed by a resync (SYNC), 0 if by end of file, -1 otherwise.
 */
static int lag_then_resynced(int fd, int sfd)
{
	static char buf[1 << 20];
	const struct kcache_stream_rec *r;
	struct kcache_stream_iter it;
	char val[200] = "";
	bool lagged = false;
	ssize_t n;
	int i;

	for (i = 0; i < 1000; i++)
		if (kcache_set(fd, "churn", 5, val, sizeof(val), 0, 0, NULL))
			return -1;
	while ((n = kcache_stream_read(sfd, buf, sizeof(buf), &it)) > 0) {
		while ((r = kcache_stream_next(&it))) {
			lagged |= r->type == KCACHE_REC_LAGGED;
			if (lagged && r->type == KCACHE_REC_SYNC)
				return 1;
		}
	}
	return lagged && !n ? 0 : -1;
}

/*
 * A resync after LAGGED takes a new snapshot in the read() of whoever holds the stream
 * fd, which may have been passed on. Its charge is the subscriber's, and so is the
 * CAP_SYS_RESOURCE that exempts it: a privileged reader lends nothing to the subscriber,
 * and a subscriber's exemption holds in an unprivileged reader.
 */
TEST_F(perm, stream_resync_charged_as_subscriber)
{
	/* a stream that pins one snapshot: a second, of a resync, goes past the quota */
	int fd = create_snapshot_sized(_metadata, self->ctl, self->name), pin, sfd;
	uint32_t small = KCACHE_STREAM_RING_MIN;

	ASSERT_LE(0, fd);
	ASSERT_TRUE(_metadata->passed);
	ASSERT_EQ(0, cap_resource(0));
	pin = kcache_subscribe(fd, NULL, 0, 0, NULL, NULL);
	ASSERT_LE(0, pin);
	/* subscribed without the capability, read with it: the resync is refused */
	sfd = kcache_subscribe(fd, NULL, 0, KCACHE_SUBSCRIBE_LIVE_ONLY | KCACHE_SUBSCRIBE_RESYNC,
			       &small, NULL);
	ASSERT_LE(0, sfd);
	ASSERT_EQ(0, cap_resource(1));
	EXPECT_EQ(0, lag_then_resynced(fd, sfd));
	close(sfd);
	/* subscribed with it, read without it: the resync is exempt */
	sfd = kcache_subscribe(fd, NULL, 0, KCACHE_SUBSCRIBE_LIVE_ONLY | KCACHE_SUBSCRIBE_RESYNC,
			       &small, NULL);
	ASSERT_LE(0, sfd);
	ASSERT_EQ(0, cap_resource(0));
	EXPECT_EQ(1, lag_then_resynced(fd, sfd));
	ASSERT_EQ(0, cap_resource(1));
	close(sfd);
	close(pin);
	close(fd);
}

/*
 * The scenario: uid 1000 creates "sessions" world-readable before the service
 * does; the service's CREATE gets EEXIST. A plain OPEN would hand it the squatter's cache;
 * OPEN with KCACHE_OPEN_OWNER (kcache_create_or_open()) refuses it, and INFO shows the
 * owner to whoever opened it anyway.
 */
TEST_F(perm, name_squatting_refused_with_owner_check)
{
	struct kcache_info_args in = { .size = sizeof(in) };
	int fd;

	AS_USER(USER1, GROUP1, 0, NULL, {
		int s = create(self->ctl, self->n2, 0666);

		ASSERT_LE(0, s);
	});
	/* the root service's documented fallback */
	ASSERT_EQ(-1, create(self->ctl, self->n2, 0600));
	ASSERT_EQ(EEXIST, errno);
	ASSERT_EQ(-EPERM, kcache_open_owned(self->ctl, self->n2, KCACHE_OPEN_RDWR, 0));
	ASSERT_EQ(-EPERM, kcache_create_or_open(self->ctl, self->n2, 0, 1 << 20, 0, 0, 0600,
						KCACHE_OPEN_RDWR));
	/* detectable even without the flag */
	fd = kcache_open(self->ctl, self->n2, KCACHE_OPEN_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, kcache_info(fd, &in));
	ASSERT_EQ(USER1, in.uid);
	close(fd);
	/* the squatter's cache gone, the service gets its own, twice */
	ASSERT_EQ(0, destroy(self->ctl, self->n2));
	fd = kcache_create_or_open(self->ctl, self->n2, 0, 1 << 20, 0, 0, 0600,
				   KCACHE_OPEN_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, set1(fd));
	close(fd);
	fd = kcache_create_or_open(self->ctl, self->n2, 0, 1 << 20, 0, 0, 0600,
				   KCACHE_OPEN_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, get1(fd));
	close(fd);
	/* and user 1000, trying the same on the service's name, is refused too */
	AS_USER(USER1, GROUP1, 0, NULL, {
		ASSERT_EQ(-EPERM, kcache_open_owned(self->ctl, self->n2, KCACHE_OPEN_READ,
						    USER1));
		ASSERT_EQ(-EACCES, kcache_open(self->ctl, self->n2, KCACHE_OPEN_READ));
	});
}

/* LIST as an unprivileged user shows exactly the caches it owns or may read. */
TEST_F(perm, list_shows_nothing_the_caller_may_not_read)
{
	static const uint32_t modes[] = { 0600, 0640, 0604, 0602, 0660, 0606 };
	char n[80];
	int fds[6];
	unsigned int i;

	for (i = 0; i < 6; i++) {
		snprintf(n, sizeof(n), "%s-q%d", self->name, i);
		fds[i] = create(self->ctl, n, modes[i]);
		ASSERT_LE(0, fds[i]);
	}
	AS_USER(USER2, USER2, 0, NULL, {
		static struct kcache_list_record r[KCACHE_LIST_MAX];
		uint32_t nr = KCACHE_LIST_MAX, j;

		ASSERT_EQ(0, kcache_list(self->ctl, r, &nr));
		for (j = 0; j < nr; j++) {
			/* owned, or readable by the group 1001 is in, or by others */
			ASSERT_TRUE(r[j].uid == USER2 || (r[j].gid == USER2 && r[j].mode & 0040) ||
				    r[j].mode & 0004) TH_LOG("%s listed", r[j].name);
		}
		for (i = 0; i < 6; i++) {
			snprintf(n, sizeof(n), "%s-q%d", self->name, i);
			ASSERT_EQ(!!(modes[i] & 0004), listed(self->ctl, n)) TH_LOG("%s", n);
		}
	});
	for (i = 0; i < 6; i++)
		close(fds[i]);
}

/*
 * A control fd opened read-only may look (OPEN, LIST) but not create or destroy: an
 * administrator who makes the node readable to a group has given it no more. Root here,
 * so that only the open mode is tested.
 */
TEST_F(perm, read_only_control_fd_cannot_create_or_destroy)
{
	int ro, fd;

	fd = create(self->ctl, self->name, 0600);
	ASSERT_LE(0, fd);
	close(fd);
	ro = open("/dev/kcache", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, ro);
	EXPECT_EQ(-1, create(ro, self->n2, 0600));
	EXPECT_EQ(EBADF, errno);
	EXPECT_EQ(-1, destroy(ro, self->name));
	EXPECT_EQ(EBADF, errno);
	EXPECT_EQ(1, listed(ro, self->name));
	fd = open_cache(ro, self->name, KCACHE_OPEN_RDWR);
	EXPECT_LE(0, fd);
	if (fd >= 0) {
		EXPECT_EQ(0, set1(fd));
		close(fd);
	}
	close(ro);
	/* the cache is still there, and n2 was never created */
	EXPECT_EQ(0, destroy(self->ctl, self->name));
	EXPECT_EQ(-1, destroy(self->ctl, self->n2));
	EXPECT_EQ(ENOENT, errno);
}

/* Without the udev rule the device is root's alone: 0660 root:root. */
TEST_F(perm, device_mode_0660_others_cannot_open)
{
	struct stat st;

	ASSERT_EQ(0, stat("/dev/kcache", &st));
	ASSERT_TRUE(S_ISCHR(st.st_mode));
	ASSERT_EQ(0660, st.st_mode & 07777);
	AS_USER(USER1, GROUP1, 0, NULL, {
		ASSERT_EQ(-1, open("/dev/kcache", O_RDWR));
		ASSERT_EQ(EACCES, errno);
	});
	/* a member of the device's group (here: its gid, as the udev rule would set) */
	{
		gid_t g = st.st_gid;

		AS_USER(USER1, GROUP1, 1, &g, {
			int c = open("/dev/kcache", O_RDWR);

			ASSERT_LE(0, c);
			close(c);
		});
	}
}

TEST_HARNESS_MAIN
