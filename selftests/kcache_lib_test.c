// SPDX-License-Identifier: GPL-2.0
/*
 * libkcache: every wrapper returns 0 (or an fd / count) or -errno, passes its results
 * back, and never changes errno.
 */
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kcache.h"

#include "kselftest_harness.h"

#define ERRNO_CANARY	12345

FIXTURE(lib) {
	int ctl;
	int fd;
	char name[64];
};

FIXTURE_SETUP(lib)
{
	self->ctl = kcache_ctl_open();
	ASSERT_LE(0, self->ctl);
	snprintf(self->name, sizeof(self->name), "lib-%d", getpid());
	self->fd = kcache_create(self->ctl, self->name, 0, 1 << 20, 0, KCACHE_POLICY_LRU_ABI,
				 0600);
	ASSERT_LE(0, self->fd);
	errno = ERRNO_CANARY;
}

FIXTURE_TEARDOWN(lib)
{
	kcache_destroy(self->ctl, self->name);
	close(self->fd);
	close(self->ctl);
}

TEST_F(lib, errors_are_returned_not_in_errno)
{
	uint32_t vl = 0;

	ASSERT_EQ(-ENOENT, kcache_get(self->fd, "x", 1, NULL, &vl, NULL));
	ASSERT_EQ(ERRNO_CANARY, errno);
	ASSERT_EQ(-EEXIST, kcache_create(self->ctl, self->name, 0, 1 << 20, 0, 0, 0600));
	ASSERT_EQ(ERRNO_CANARY, errno);
	ASSERT_EQ(-ENOENT, kcache_open(self->ctl, "lib-absent", KCACHE_OPEN_READ));
	ASSERT_EQ(-ENOENT, kcache_destroy(self->ctl, "lib-absent"));
	ASSERT_EQ(-EBADF, kcache_nop(-1));
	ASSERT_EQ(-ENOTTY, kcache_get(self->ctl, "x", 1, NULL, &vl, NULL));
	ASSERT_EQ(-EINVAL, kcache_get(self->fd, "x", 0, NULL, &vl, NULL));
	ASSERT_EQ(ERRNO_CANARY, errno);
}

TEST_F(lib, create_or_open_returns_own_cache)
{
	uint64_t ver;
	char v[4];
	uint32_t vl = sizeof(v);
	int fd;

	ASSERT_EQ(0, kcache_set(self->fd, "k", 1, "v", 1, 0, 0, &ver));
	/* the name exists and is ours: opened, same cache */
	fd = kcache_create_or_open(self->ctl, self->name, 0, 1 << 20, 0, 0, 0600,
				   KCACHE_OPEN_READ);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, kcache_get(fd, "k", 1, v, &vl, NULL));
	ASSERT_EQ(-EBADF, kcache_set(fd, "k", 1, "w", 1, 0, 0, NULL));
	close(fd);
	fd = kcache_open_owned(self->ctl, self->name, KCACHE_OPEN_READ, geteuid());
	ASSERT_LE(0, fd);
	close(fd);
	ASSERT_EQ(-EPERM, kcache_open_owned(self->ctl, self->name, KCACHE_OPEN_READ,
					    geteuid() + 1));
	ASSERT_EQ(-ENOENT, kcache_open_owned(self->ctl, "lib-absent", KCACHE_OPEN_READ, 0));
	ASSERT_EQ(ERRNO_CANARY, errno);
}

struct destroy_on_open {
	int listener;
	int ctl;
	const char *name;
	int opens;	/* OPEN calls stopped */
	int destroyed;	/* DESTROY's result */
};

/* Stops the first OPEN, destroys the cache, lets the OPEN go on; 10 s at most. */
static void *destroy_on_open(void *arg)
{
	struct destroy_on_open *r = arg;
	struct pollfd p = { .fd = r->listener, .events = POLLIN };
	struct seccomp_notif_resp resp;
	struct seccomp_notif req;

	if (poll(&p, 1, 10000) != 1)
		return NULL;
	memset(&req, 0, sizeof(req));
	if (ioctl(r->listener, SECCOMP_IOCTL_NOTIF_RECV, &req))
		return NULL;
	r->opens++;
	r->destroyed = kcache_destroy(r->ctl, r->name);
	memset(&resp, 0, sizeof(resp));
	resp.id = req.id;
	resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
	ioctl(r->listener, SECCOMP_IOCTL_NOTIF_SEND, &resp);
	return NULL;
}

/*
 * The cache is destroyed between CREATE's EEXIST and the OPEN (forced: a seccomp listener
 * holds the OPEN back while it destroys the cache): the name is free again, and
 * kcache_create_or_open() creates it rather than answering ENOENT.
 */
TEST_F(lib, create_or_open_creates_a_name_destroyed_meanwhile)
{
	struct sock_filter insns[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_ioctl, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		/* the low half of the command: the test runs on little-endian machines only */
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[1])),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, KCACHE_IOC_OPEN, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
	};
	struct sock_fprog prog = { .len = sizeof(insns) / sizeof(insns[0]), .filter = insns };
	struct destroy_on_open r = { .ctl = self->ctl, .name = self->name, .destroyed = 1 };
	uint32_t vl = 0;
	pthread_t t;
	int fd;

	if (__BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__)
		SKIP(return, "filter reads the low half of a 64-bit argument");
	ASSERT_EQ(0, kcache_set(self->fd, "k", 1, "v", 1, 0, 0, NULL));
	ASSERT_EQ(0, prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0));
	r.listener = syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER,
			     SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
	if (r.listener < 0)
		SKIP(return, "no seccomp user notification: %s", strerror(errno));
	ASSERT_EQ(0, pthread_create(&t, NULL, destroy_on_open, &r));
	fd = kcache_create_or_open(self->ctl, self->name, 0, 1 << 20, 0, 0, 0600,
				   KCACHE_OPEN_RDWR);
	ASSERT_EQ(0, pthread_join(t, NULL));
	close(r.listener);
	ASSERT_EQ(1, r.opens);
	ASSERT_EQ(0, r.destroyed);
	ASSERT_LE(0, fd);
	/* a new cache: the destroyed one's entry is not in it */
	ASSERT_EQ(-ENOENT, kcache_get(fd, "k", 1, NULL, &vl, NULL));
	ASSERT_EQ(0, kcache_set(fd, "k", 1, "w", 1, 0, 0, NULL));
	close(fd);
	ASSERT_EQ(ERRNO_CANARY, errno);
}

TEST_F(lib, long_name_einval_without_syscall)
{
	char n[200];

	memset(n, 'a', sizeof(n) - 1);
	n[sizeof(n) - 1] = 0;
	ASSERT_EQ(-EINVAL, kcache_open(self->ctl, n, KCACHE_OPEN_READ));
	ASSERT_EQ(-EINVAL, kcache_create(self->ctl, n, 0, 0, 0, 0, 0600));
	ASSERT_EQ(-EINVAL, kcache_destroy(self->ctl, NULL));
	/*
	 * The kernel refuses a long name with EINVAL too, and errno is restored either way:
	 * only a descriptor the kernel would refuse first (EBADF) shows that no call was made.
	 */
	ASSERT_EQ(-EINVAL, kcache_open(-1, n, KCACHE_OPEN_READ));
	ASSERT_EQ(-EINVAL, kcache_open_owned(-1, n, KCACHE_OPEN_READ, 0));
	ASSERT_EQ(-EINVAL, kcache_create(-1, n, 0, 0, 0, 0, 0600));
	ASSERT_EQ(-EINVAL, kcache_destroy(-1, n));
	ASSERT_EQ(-EINVAL, kcache_destroy(-1, NULL));
	ASSERT_EQ(ERRNO_CANARY, errno);
}

TEST_F(lib, version)
{
	struct kcache_version v;

	ASSERT_EQ(0, kcache_version(self->ctl, &v));
	ASSERT_EQ(KCACHE_ABI_VERSION, v.abi_version);
	ASSERT_NE(0, v.features & KCACHE_FEATURE_BATCH);
}

TEST_F(lib, single_key_ops)
{
	char buf[16];
	uint32_t vl = 2;
	uint64_t v1, v2, ctr;

	ASSERT_EQ(0, kcache_set(self->fd, "a", 1, "hello", 5, 0, 0, &v1));
	ASSERT_EQ(-EMSGSIZE, kcache_get(self->fd, "a", 1, buf, &vl, &v2));
	ASSERT_EQ(5, vl);
	ASSERT_EQ(v1, v2);
	vl = sizeof(buf);
	ASSERT_EQ(0, kcache_get(self->fd, "a", 1, buf, &vl, NULL));
	ASSERT_EQ(0, memcmp(buf, "hello", 5));
	ASSERT_EQ(-EEXIST, kcache_set(self->fd, "a", 1, "x", 1, KCACHE_SETF_IF_ABSENT, 0, NULL));
	ASSERT_EQ(-ESTALE, kcache_cas(self->fd, "a", 1, "y", 1, v1 + 99, 0, 0, NULL));
	ASSERT_EQ(0, kcache_cas(self->fd, "a", 1, "y", 1, v1, 0, 0, &v2));
	ASSERT_LT(v1, v2);
	ASSERT_EQ(0, kcache_add(self->fd, "n", 1, 40, 0, 0, &ctr));
	ASSERT_EQ(0, kcache_add(self->fd, "n", 1, 2, 0, 0, &ctr));
	ASSERT_EQ(42, ctr);
	ASSERT_EQ(0, kcache_del(self->fd, "a", 1));
	ASSERT_EQ(-ENOENT, kcache_del(self->fd, "a", 1));
	ASSERT_EQ(ERRNO_CANARY, errno);
}

TEST_F(lib, batches_stats_info_invalidate)
{
	struct kcache_batch_item it[3] = { { .key_len = 2, .val_len = 1 },
					   { .key_len = 2, .val_len = 2 },
					   { .key_len = 2, .val_len = 3 } };
	struct kcache_counters c;
	struct kcache_info_args in;
	char vals[16];
	uint32_t done;
	uint64_t removed;

	ASSERT_EQ(0, kcache_mset(self->fd, it, 3, "k1k2k3", "abbccc", 6, 0, 0, &done));
	ASSERT_EQ(3, done);
	memset(it, 0, sizeof(it));
	for (int j = 0; j < 3; j++)
		it[j].key_len = 2;
	ASSERT_EQ(0, kcache_mget(self->fd, it, 3, "k1zzk3", vals, sizeof(vals), &done));
	ASSERT_EQ(2, done);
	ASSERT_EQ(-ENOENT, it[1].status);
	ASSERT_EQ(0, memcmp(vals + it[2].val_off, "ccc", 3));
	ASSERT_EQ(0, kcache_stats(self->fd, &c));
	ASSERT_EQ(3, c.entries);
	ASSERT_EQ(2, c.hits);
	ASSERT_EQ(0, kcache_info(self->fd, &in));
	ASSERT_STREQ(self->name, in.name);
	ASSERT_EQ(KCACHE_POLICY_LRU_ABI, in.policy);
	ASSERT_EQ(0, kcache_invalidate_prefix(self->fd, "k1", 2, &removed));
	ASSERT_EQ(1, removed);
	ASSERT_EQ(0, kcache_invalidate(self->fd, &removed));
	ASSERT_EQ(2, removed);
	ASSERT_EQ(0, kcache_nop(self->fd));
}

TEST_F(lib, dump_and_list)
{
	char buf[4096], k[8];
	const struct kcache_dump_record *r;
	struct kcache_list_record recs[64];
	uint64_t cursor = 0;
	uint32_t nr = 0, needed, i;
	int done = 0, n, total = 0, found = 0;

	for (i = 0; i < 10; i++) {
		snprintf(k, sizeof(k), "e%u", i);
		ASSERT_EQ(0, kcache_set(self->fd, k, 2, k, 2, 0, 0, NULL));
	}
	ASSERT_EQ(-EMSGSIZE, kcache_dump(self->fd, buf, 4, &cursor, &done, &needed));
	ASSERT_EQ(24, needed);
	while (!done) {
		n = kcache_dump(self->fd, buf, 50, &cursor, &done, NULL);
		ASSERT_LE(0, n);
		for (i = 0, r = (const void *)buf; i < (uint32_t)n; i++, r = kcache_dump_next(r)) {
			ASSERT_EQ(2, r->key_len);
			ASSERT_EQ(0, memcmp(kcache_dump_key(r), kcache_dump_val(r), 2));
		}
		total += n;
	}
	ASSERT_EQ(10, total);
	ASSERT_EQ(-EMSGSIZE, kcache_list(self->ctl, recs, &nr));
	ASSERT_LE(1, nr);
	ASSERT_GE(64, nr);
	ASSERT_EQ(0, kcache_list(self->ctl, recs, &nr));
	for (i = 0; i < nr; i++)
		found += !strcmp(recs[i].name, self->name);
	ASSERT_EQ(1, found);
	ASSERT_EQ(ERRNO_CANARY, errno);
}

/*
 * A program linked when struct kcache_counters had no spare_bytes is bound to
 * kcache_stats@LIBKCACHE_1 and kcache_list@LIBKCACHE_1 and passes the first structs: bound
 * the same way here, those must write nothing past them.
 */
typedef int kc_stats_fn(int fd, void *counters);
typedef int kc_list_fn(int ctl_fd, void *recs, uint32_t *nr);
kc_stats_fn kcache_stats_linked_ver0;
kc_list_fn kcache_list_linked_ver0;
__asm__(".symver kcache_stats_linked_ver0,kcache_stats@LIBKCACHE_1");
__asm__(".symver kcache_list_linked_ver0,kcache_list@LIBKCACHE_1");

#define COUNTERS_SIZE_VER0	(KCACHE_STATS_ARGS_SIZE_VER0 - 8)
#define CANARY			0xa5

static int canary_intact(const unsigned char *p, size_t n)
{
	while (n--)
		if (*p++ != CANARY)
			return 0;
	return 1;
}

TEST_F(lib, first_structs_of_programs_linked_before_spare_bytes)
{
	unsigned char c[COUNTERS_SIZE_VER0 + 16], *recs = NULL;
	uint32_t nr, i, found = 0, tries;
	char name2[72];
	uint64_t entries;
	int fd2, ret = -EMSGSIZE;

	ASSERT_EQ(0, kcache_set(self->fd, "k", 1, "v", 1, 0, 0, NULL));
	memset(c, CANARY, sizeof(c));
	ASSERT_EQ(0, kcache_stats_linked_ver0(self->fd, c));
	memcpy(&entries, c + offsetof(struct kcache_counters, entries), sizeof(entries));
	ASSERT_EQ(1, entries);
	ASSERT_TRUE(canary_intact(c + COUNTERS_SIZE_VER0, sizeof(c) - COUNTERS_SIZE_VER0));

	/* two caches at least, so that a record of the wrong size shows at the second */
	snprintf(name2, sizeof(name2), "%s-b", self->name);
	fd2 = kcache_create(self->ctl, name2, 0, 1 << 20, 0, 0, 0600);
	ASSERT_LE(0, fd2);
	close(fd2);
	for (tries = 0; ret == -EMSGSIZE && tries < 10; tries++) {
		nr = 0;
		ASSERT_EQ(-EMSGSIZE, kcache_list_linked_ver0(self->ctl, NULL, &nr));
		free(recs);
		recs = malloc(nr * KCACHE_LIST_RECORD_SIZE_VER0 + 64);
		ASSERT_NE(NULL, recs);
		memset(recs, CANARY, nr * KCACHE_LIST_RECORD_SIZE_VER0 + 64);
		ret = kcache_list_linked_ver0(self->ctl, recs, &nr);
	}
	kcache_destroy(self->ctl, name2);
	ASSERT_EQ(0, ret);
	ASSERT_LE(2, nr);
	for (i = 0; i < nr; i++) {
		const char *n = (const char *)recs + i * KCACHE_LIST_RECORD_SIZE_VER0;

		EXPECT_NE(0, n[0]) TH_LOG("record %u has no name", i);
		found += !strcmp(n, self->name) + !strcmp(n, name2);
	}
	EXPECT_EQ(2, found);
	EXPECT_TRUE(canary_intact(recs + nr * KCACHE_LIST_RECORD_SIZE_VER0, 64));
	free(recs);
	ASSERT_EQ(ERRNO_CANARY, errno);
}

TEST_HARNESS_MAIN
