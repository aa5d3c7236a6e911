// SPDX-License-Identifier: GPL-2.0
/*
 * Cache permissions across users: root creates caches with various modes, a forked child
 * switches to an unprivileged uid/gid (setresgid/setresuid, which also drops every
 * capability) and checks what OPEN, DESTROY, LIST and inherited fds allow.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/kcache.h>

#include "kselftest_harness.h"

#define USER1	1000
#define USER2	1001
#define GROUP1	1000

static void set_name(char *dst, const char *name)
{
	memset(dst, 0, KCACHE_NAME_BUF);
	memcpy(dst, name, strlen(name));
}

static int create(int ctl, const char *name, uint32_t mode)
{
	struct kcache_create_args a = { .size = sizeof(a), .max_bytes = 1 << 20, .mode = mode };

	set_name(a.name, name);
	return ioctl(ctl, KCACHE_IOC_CREATE, &a);
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
};

FIXTURE_SETUP(perm)
{
	if (geteuid())
		SKIP(return, "needs root");
	self->ctl = open("/dev/kcache", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->ctl);
	snprintf(self->name, sizeof(self->name), "perm-%d", getpid());
	snprintf(self->n2, sizeof(self->n2), "perm-%d-u", getpid());
}

FIXTURE_TEARDOWN(perm)
{
	destroy(self->ctl, self->name);
	destroy(self->ctl, self->n2);
	close(self->ctl);
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

TEST_F(perm, unprivileged_user_bounded_by_module_limits)
{
	AS_USER(USER1, GROUP1, 0, NULL, {
		struct kcache_create_args a = { .size = sizeof(a), .max_bytes = 1ULL << 62,
						.mode = 0600 };

		set_name(a.name, self->n2);
		ASSERT_EQ(-1, ioctl(self->ctl, KCACHE_IOC_CREATE, &a));
		ASSERT_EQ(ENOMEM, errno);
	});
}

TEST_HARNESS_MAIN
