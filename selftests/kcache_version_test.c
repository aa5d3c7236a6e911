// SPDX-License-Identifier: GPL-2.0
/*
 * KCACHE_IOC_VERSION on /dev/kcache: the answer, and each bad input alone.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/kcache.h>

#include "kselftest_harness.h"

FIXTURE(ctl) {
	int fd;
};

FIXTURE_SETUP(ctl)
{
	self->fd = open("/dev/kcache", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd) TH_LOG("open /dev/kcache: %s", strerror(errno));
}

FIXTURE_TEARDOWN(ctl)
{
	close(self->fd);
}

TEST_F(ctl, version_reports_abi)
{
	struct kcache_version v = { .size = sizeof(v) };

	ASSERT_EQ(0, ioctl(self->fd, KCACHE_IOC_VERSION, &v));
	EXPECT_EQ(KCACHE_ABI_VERSION, v.abi_version);
	EXPECT_NE(0, v.features & KCACHE_FEATURE_VERSION);
	EXPECT_EQ(sizeof(v), v.size);
	EXPECT_EQ(0, v.flags);
}

TEST_F(ctl, version_null_pointer_efault)
{
	ASSERT_EQ(-1, ioctl(self->fd, KCACHE_IOC_VERSION, NULL));
	ASSERT_EQ(EFAULT, errno);
}

TEST_F(ctl, version_unmapped_pointer_efault)
{
	void *p = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(-1, ioctl(self->fd, KCACHE_IOC_VERSION, p));
	ASSERT_EQ(EFAULT, errno);
	munmap(p, 4096);
}

TEST_F(ctl, version_kernel_pointer_efault)
{
	ASSERT_EQ(-1, ioctl(self->fd, KCACHE_IOC_VERSION, (void *)0xffffffff81000000UL));
	ASSERT_EQ(EFAULT, errno);
}

TEST_F(ctl, version_size_zero_einval)
{
	struct kcache_version v = { .size = 0 };

	ASSERT_EQ(-1, ioctl(self->fd, KCACHE_IOC_VERSION, &v));
	ASSERT_EQ(EINVAL, errno);
}

TEST_F(ctl, version_size_too_small_einval)
{
	struct kcache_version v = { .size = KCACHE_VERSION_SIZE_VER0 - 1 };

	ASSERT_EQ(-1, ioctl(self->fd, KCACHE_IOC_VERSION, &v));
	ASSERT_EQ(EINVAL, errno);
	v.size = 1;
	ASSERT_EQ(-1, ioctl(self->fd, KCACHE_IOC_VERSION, &v));
	ASSERT_EQ(EINVAL, errno);
}

TEST_F(ctl, version_larger_zero_tail_accepted)
{
	struct {
		struct kcache_version v;
		uint64_t tail[4];
	} big;

	memset(&big, 0, sizeof(big));
	big.v.size = sizeof(big);
	ASSERT_EQ(0, ioctl(self->fd, KCACHE_IOC_VERSION, &big));
	EXPECT_EQ(KCACHE_ABI_VERSION, big.v.abi_version);
	EXPECT_EQ(0, big.tail[0]);
}

/* a program built against a header whose struct grew, with the size in its command */
TEST_F(ctl, version_command_built_for_larger_struct)
{
	struct {
		struct kcache_version v;
		uint64_t tail[4];
	} big;

	memset(&big, 0, sizeof(big));
	big.v.size = sizeof(big);
	ASSERT_EQ(0, ioctl(self->fd, _IOWR(KCACHE_IOC_MAGIC, _IOC_NR(KCACHE_IOC_VERSION),
					   big), &big));
	EXPECT_EQ(KCACHE_ABI_VERSION, big.v.abi_version);
	big.tail[3] = 1;
	ASSERT_EQ(-1, ioctl(self->fd, _IOWR(KCACHE_IOC_MAGIC, _IOC_NR(KCACHE_IOC_VERSION),
					    big), &big));
	ASSERT_EQ(E2BIG, errno);
}

TEST_F(ctl, version_nonzero_tail_e2big)
{
	struct {
		struct kcache_version v;
		uint64_t tail;
	} big;

	memset(&big, 0, sizeof(big));
	big.v.size = sizeof(big);
	big.tail = 1;
	ASSERT_EQ(-1, ioctl(self->fd, KCACHE_IOC_VERSION, &big));
	ASSERT_EQ(E2BIG, errno);
}

TEST_F(ctl, version_page_plus_one_e2big)
{
	long page = sysconf(_SC_PAGESIZE);
	char *buf = calloc(1, page + 1);

	ASSERT_NE(NULL, buf);
	((struct kcache_version *)buf)->size = page + 1;
	ASSERT_EQ(-1, ioctl(self->fd, KCACHE_IOC_VERSION, buf));
	ASSERT_EQ(E2BIG, errno);
	free(buf);
}

TEST_F(ctl, version_flags_or_pad_einval)
{
	struct kcache_version v = { .size = sizeof(v), .flags = 1 };

	ASSERT_EQ(-1, ioctl(self->fd, KCACHE_IOC_VERSION, &v));
	ASSERT_EQ(EINVAL, errno);
	v.flags = 0;
	v.__pad = 1;
	ASSERT_EQ(-1, ioctl(self->fd, KCACHE_IOC_VERSION, &v));
	ASSERT_EQ(EINVAL, errno);
}

TEST_F(ctl, unknown_command_enotty)
{
	struct kcache_version v = { .size = sizeof(v) };

	ASSERT_EQ(-1, ioctl(self->fd, _IOWR(KCACHE_IOC_MAGIC, 0x7f, struct kcache_version), &v));
	ASSERT_EQ(ENOTTY, errno);
	ASSERT_EQ(-1, ioctl(self->fd, _IO('x', 1), 0));
	ASSERT_EQ(ENOTTY, errno);
}

TEST_HARNESS_MAIN
