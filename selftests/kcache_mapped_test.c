// SPDX-License-Identifier: GPL-2.0
/*
 * GET through pages shared with the kernel (KCACHE_IOC_GET_PAGE, mmap() of a cache fd):
 * hits, misses and versions as GET gives them; values that fill a page or do not fit;
 * keys on and off the kernel's stack buffer; every documented error of mmap() and of the
 * ioctl; closing the fd before unmapping; fork() (no mapping, no access in the child);
 * MADV_DONTNEED and userfaultfd on the mapping (a file mapping, not an anonymous one);
 * destroy; threads on pages of their own, with another thread scribbling over a page
 * while the kernel reads it.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/userfaultfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kcache.h"

#include "kselftest_harness.h"

#define NTHREADS	4
#define THREAD_KEYS	64

static size_t psize(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

static struct kcache_get_page *page_of(struct kcache_get_page *pages, unsigned int i)
{
	return (void *)((char *)pages + i * psize());
}

/* the raw ioctl on page @i, as -errno */
static int get_page(int fd, unsigned long i)
{
	return ioctl(fd, KCACHE_IOC_GET_PAGE, i) ? -errno : 0;
}

/* k = v in the cache, one page mapped, and key k written into it */
static int map_with_key_k(int fd, struct kcache_get_page **pages)
{
	int ret = kcache_set(fd, "k", 1, "v", 1, 0, 0, NULL) ?:
		  kcache_get_pages_map(fd, 1, pages);

	if (!ret) {
		(*pages)->key_len = 1;
		(*pages)->data[0] = 'k';
	}
	return ret;
}

FIXTURE(mapped) {
	int ctl;
	int fd;
	char name[64];
};

FIXTURE_SETUP(mapped)
{
	static int n;

	self->ctl = kcache_ctl_open();
	ASSERT_LE(0, self->ctl);
	snprintf(self->name, sizeof(self->name), "mapped-%d-%d", getpid(), n++);
	self->fd = kcache_create(self->ctl, self->name, 0, 16 << 20, 0, KCACHE_POLICY_LRU_ABI,
				 0600);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(mapped)
{
	kcache_destroy(self->ctl, self->name);
	close(self->fd);
	close(self->ctl);
}

TEST_F(mapped, feature_bit)
{
	struct kcache_version v;

	ASSERT_EQ(0, kcache_version(self->ctl, &v));
	EXPECT_NE(0, v.features & KCACHE_FEATURE_GET_PAGE);
}

TEST_F(mapped, hit_miss_version_and_counters)
{
	struct kcache_counters before, after;
	struct kcache_get_page *pages;
	uint64_t v_set, v_get, v_mapped = 0;
	const void *val;
	char buf[16];
	uint32_t len;

	ASSERT_EQ(0, kcache_set(self->fd, "key", 3, "value", 5, 0, 0, &v_set));
	ASSERT_EQ(0, kcache_get_pages_map(self->fd, 4, &pages));
	ASSERT_EQ(0, kcache_stats(self->fd, &before));
	ASSERT_EQ(0, kcache_get_mapped(self->fd, pages, 3, "key", 3, &val, &len, &v_mapped));
	EXPECT_EQ(5, len);
	EXPECT_EQ(0, memcmp(val, "value", 5));
	EXPECT_EQ((void *)page_of(pages, 3)->data, val);
	EXPECT_EQ(v_set, v_mapped);
	len = sizeof(buf);
	ASSERT_EQ(0, kcache_get(self->fd, "key", 3, buf, &len, &v_get));
	EXPECT_EQ(v_get, v_mapped);
	/* a miss writes nothing back: the key is still in the page, val_len as it was */
	page_of(pages, 0)->val_len = 777;
	EXPECT_EQ(-ENOENT, kcache_get_mapped(self->fd, pages, 0, "nokey", 5, &val, &len, NULL));
	EXPECT_EQ(0, memcmp(page_of(pages, 0)->data, "nokey", 5));
	EXPECT_EQ(777, page_of(pages, 0)->val_len);
	ASSERT_EQ(0, kcache_stats(self->fd, &after));
	/* counted as GETs are: the hit and the miss above, and the plain GET */
	EXPECT_EQ(before.hits + 2, after.hits);
	EXPECT_EQ(before.misses + 1, after.misses);
	/* the key may already lie in the page */
	memcpy(page_of(pages, 1)->data, "key", 3);
	ASSERT_EQ(0, kcache_get_mapped(self->fd, pages, 1, page_of(pages, 1)->data, 3, &val,
				       &len, NULL));
	EXPECT_EQ(0, memcmp(val, "value", 5));
	EXPECT_EQ(0, kcache_get_pages_unmap(pages, 4));
}

TEST_F(mapped, value_fills_the_page_or_emsgsize)
{
	size_t room = psize() - sizeof(struct kcache_get_page);
	struct kcache_get_page *pages;
	char *big = malloc(room + 1);
	const void *val;
	uint32_t len;

	ASSERT_NE(NULL, big);
	memset(big, 'v', room + 1);
	big[0] = 'a';
	big[room - 1] = 'z';
	ASSERT_EQ(0, kcache_set(self->fd, "full", 4, big, room, 0, 0, NULL));
	ASSERT_EQ(0, kcache_set(self->fd, "over", 4, big, room + 1, 0, 0, NULL));
	ASSERT_EQ(0, kcache_get_pages_map(self->fd, 1, &pages));
	ASSERT_EQ(0, kcache_get_mapped(self->fd, pages, 0, "full", 4, &val, &len, NULL));
	EXPECT_EQ(room, len);
	EXPECT_EQ(0, memcmp(val, big, room));
	len = 0;
	EXPECT_EQ(-EMSGSIZE, kcache_get_mapped(self->fd, pages, 0, "over", 4, &val, &len, NULL));
	EXPECT_EQ(room + 1, len);
	/* nothing of the value was copied: the key is still there */
	EXPECT_EQ(0, memcmp(pages->data, "over", 4));
	EXPECT_EQ(0, kcache_get_pages_unmap(pages, 1));
	free(big);
}

/* keys past the kernel's stack buffer (64 bytes), up to what a page holds */
TEST_F(mapped, long_keys_and_key_bounds)
{
	size_t room = psize() - sizeof(struct kcache_get_page);
	struct kcache_get_page *pages, *p;
	size_t lens[] = { 64, 65, 1000, room };
	char *key = malloc(room + 1);
	const void *val;
	uint32_t len;
	unsigned int i;

	ASSERT_NE(NULL, key);
	for (i = 0; i < room + 1; i++)
		key[i] = 'a' + i % 26;
	ASSERT_EQ(0, kcache_get_pages_map(self->fd, 1, &pages));
	p = pages;
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		ASSERT_EQ(0, kcache_set(self->fd, key, lens[i], &i, sizeof(i), 0, 0, NULL));
		ASSERT_EQ(0, kcache_get_mapped(self->fd, pages, 0, key, lens[i], &val, &len,
					       NULL));
		EXPECT_EQ(sizeof(i), len);
		EXPECT_EQ(0, memcmp(val, &i, sizeof(i)));
	}
	/* the library refuses a key that would run past the page */
	EXPECT_EQ(-E2BIG, kcache_get_mapped(self->fd, pages, 0, key, room + 1, &val, &len,
					    NULL));
	/* and the kernel a key_len written past the page, or above the key bound */
	p->key_len = room + 1;
	EXPECT_EQ(-E2BIG, get_page(self->fd, 0));
	p->key_len = KCACHE_KEY_LEN_MAX + 1;
	EXPECT_EQ(-E2BIG, get_page(self->fd, 0));
	p->key_len = 0;
	EXPECT_EQ(-EINVAL, get_page(self->fd, 0));
	EXPECT_EQ(0, kcache_get_pages_unmap(pages, 1));
	free(key);
}

TEST_F(mapped, ioctl_errors)
{
	int wfd = kcache_open(self->ctl, self->name, KCACHE_OPEN_WRITE);
	struct kcache_get_page *pages;

	ASSERT_LE(0, wfd);
	/* never mapped */
	EXPECT_EQ(-ENXIO, get_page(self->fd, 0));
	ASSERT_EQ(0, kcache_get_pages_map(self->fd, 2, &pages));
	pages->key_len = 1;
	pages->data[0] = 'x';
	EXPECT_EQ(-ENOENT, get_page(self->fd, 0));
	/* not a page of the fd */
	EXPECT_EQ(-EINVAL, get_page(self->fd, 2));
	EXPECT_EQ(-EINVAL, get_page(self->fd, ~0UL));
	/* the rights come first: a write-only fd can neither use nor map pages */
	EXPECT_EQ(-EBADF, get_page(wfd, 0));
	EXPECT_EQ(-EBADF, kcache_get_pages_map(wfd, 1, &pages));
	/* the fd's pages are its own: another fd of the same cache has none */
	close(wfd);
	wfd = kcache_open(self->ctl, self->name, KCACHE_OPEN_READ);
	ASSERT_LE(0, wfd);
	EXPECT_EQ(-ENXIO, get_page(wfd, 0));
	close(wfd);
	/* destroyed */
	ASSERT_EQ(0, kcache_destroy(self->ctl, self->name));
	EXPECT_EQ(-ESHUTDOWN, get_page(self->fd, 0));
	EXPECT_EQ(0, kcache_get_pages_unmap(pages, 2));
}

/*
 * The library refuses a page count the kernel would: before mmap(), so that a count
 * whose length wraps a 32-bit size_t (0x100001 pages) maps nothing rather than one page.
 */
TEST_F(mapped, lib_page_counts)
{
	struct kcache_get_page *pages = NULL;

	EXPECT_EQ(-EINVAL, kcache_get_pages_map(self->fd, 0, &pages));
	EXPECT_EQ(-EINVAL, kcache_get_pages_map(self->fd, KCACHE_GET_PAGES_MAX + 1, &pages));
	EXPECT_EQ(-EINVAL, kcache_get_pages_map(self->fd, 0x100001, &pages));
	EXPECT_EQ(NULL, pages);
	/* nothing was mapped: the fd has no pages yet */
	EXPECT_EQ(-ENXIO, get_page(self->fd, 0));
	ASSERT_EQ(0, kcache_get_pages_map(self->fd, 1, &pages));
	EXPECT_EQ(-EINVAL, kcache_get_pages_unmap(pages, 0));
	EXPECT_EQ(-EINVAL, kcache_get_pages_unmap(pages, KCACHE_GET_PAGES_MAX + 1));
	EXPECT_EQ(0, kcache_get_pages_unmap(pages, 1));
}

TEST_F(mapped, mmap_errors_and_second_mapping)
{
	size_t ps = psize();
	char *a, *b;

	EXPECT_EQ(MAP_FAILED, mmap(NULL, ps, PROT_READ | PROT_WRITE, MAP_PRIVATE, self->fd, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(MAP_FAILED, mmap(NULL, ps, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, ps));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(MAP_FAILED, mmap(NULL, (KCACHE_GET_PAGES_MAX + 1) * ps, PROT_READ,
				   MAP_SHARED, self->fd, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(MAP_FAILED, mmap(NULL, ps, PROT_READ | PROT_EXEC, MAP_SHARED, self->fd, 0));
	EXPECT_EQ(EPERM, errno);
	/* the first mapping decides how many pages the fd has */
	a = mmap(NULL, 2 * ps, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, a);
	EXPECT_EQ(MAP_FAILED, mmap(NULL, 3 * ps, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd,
				   0));
	EXPECT_EQ(EINVAL, errno);
	/* a second mapping shows the same pages */
	b = mmap(NULL, ps, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, b);
	strcpy(a + 100, "shared");
	EXPECT_STREQ("shared", b + 100);
	/* never executable, not even later */
	EXPECT_EQ(-1, mprotect(a, ps, PROT_READ | PROT_EXEC));
	EXPECT_EQ(EACCES, errno);
	/* and it does not grow */
	EXPECT_EQ(MAP_FAILED, mremap(b, ps, 2 * ps, MREMAP_MAYMOVE));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(0, munmap(a, 2 * ps));
	EXPECT_EQ(0, munmap(b, ps));
}

/*
 * Close the fd first, then use and unmap the mapping: the mapping pins the file, whose
 * release frees the pages at the munmap() (kmemleak and KASAN watch that on the debug
 * kernel).
 */
TEST_F(mapped, close_fd_then_unmap)
{
	struct kcache_get_page *pages;
	const void *val;
	uint32_t len;
	int fd = kcache_open(self->ctl, self->name, KCACHE_OPEN_READ);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, kcache_set(self->fd, "k", 1, "kept", 4, 0, 0, NULL));
	ASSERT_EQ(0, kcache_get_pages_map(fd, 1, &pages));
	ASSERT_EQ(0, kcache_get_mapped(fd, pages, 0, "k", 1, &val, &len, NULL));
	close(fd);
	EXPECT_EQ(0, memcmp(pages->data, "kept", 4));
	memset(pages->data, 0x5a, psize() - sizeof(*pages));
	EXPECT_EQ(0x5a, pages->data[psize() - sizeof(*pages) - 1]);
	EXPECT_EQ(0, kcache_get_pages_unmap(pages, 1));
}

/* The child of a process that mapped the pages: no mapping, no access, no pages of its own. */
TEST_F(mapped, fork_child_has_neither_mapping_nor_access)
{
	struct kcache_get_page *pages;
	unsigned char vec;
	int status;
	pid_t pid;

	ASSERT_EQ(0, map_with_key_k(self->fd, &pages));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int ret = 0;

		/* not inherited: the range is unmapped in the child */
		if (mincore(pages, psize(), &vec) != -1 || errno != ENOMEM)
			ret |= 1;
		if (get_page(self->fd, 0) != -EPERM)
			ret |= 2;
		if (mmap(NULL, psize(), PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, 0) !=
		    MAP_FAILED || errno != EPERM)
			ret |= 4;
		_exit(ret);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	/* the parent's are as they were */
	EXPECT_EQ(0, get_page(self->fd, 0));
	EXPECT_EQ(1, pages->val_len);
	EXPECT_EQ(0, kcache_get_pages_unmap(pages, 1));
}

/*
 * MADV_DOFORK takes VM_DONTCOPY off: the child then has the mapping, but touching it is
 * SIGBUS, and its calls are refused; the parent's pages are untouched.
 */
TEST_F(mapped, dofork_child_cannot_touch_the_pages)
{
	struct kcache_get_page *pages;
	int status;
	pid_t pid;

	ASSERT_EQ(0, map_with_key_k(self->fd, &pages));
	ASSERT_EQ(0, madvise(pages, psize(), MADV_DOFORK));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		if (get_page(self->fd, 0) != -EPERM)
			_exit(2);
		/* the child's page tables are empty: this faults, and the fault refuses */
		__atomic_store_n(&pages->key_len, 2, __ATOMIC_RELAXED);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFSIGNALED(status)) {
		TH_LOG("child exited with %d", WEXITSTATUS(status));
	}
	EXPECT_EQ(SIGBUS, WTERMSIG(status));
	EXPECT_EQ(1, pages->key_len);
	EXPECT_EQ(0, get_page(self->fd, 0));
	EXPECT_EQ(1, pages->val_len);
	EXPECT_EQ(0, kcache_get_pages_unmap(pages, 1));
}

/* MADV_DONTNEED drops the page table entries, not the pages: the next touch finds them */
TEST_F(mapped, dontneed_keeps_the_pages)
{
	struct kcache_get_page *pages;
	const void *val;
	uint32_t len;

	ASSERT_EQ(0, kcache_set(self->fd, "k", 1, "kept", 4, 0, 0, NULL));
	ASSERT_EQ(0, kcache_get_pages_map(self->fd, 2, &pages));
	strcpy((char *)page_of(pages, 1)->data, "written before");
	ASSERT_EQ(0, madvise(pages, 2 * psize(), MADV_DONTNEED));
	EXPECT_STREQ("written before", (char *)page_of(pages, 1)->data);
	ASSERT_EQ(0, kcache_get_mapped(self->fd, pages, 0, "k", 1, &val, &len, NULL));
	EXPECT_EQ(0, memcmp(val, "kept", 4));
	EXPECT_EQ(0, kcache_get_pages_unmap(pages, 2));
}

/* userfaultfd takes only anonymous, shmem and hugetlb ranges: this is none of them */
TEST_F(mapped, userfaultfd_refuses_the_mapping)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct kcache_get_page *pages;
	struct uffdio_register reg;
	int uffd;

	uffd = syscall(__NR_userfaultfd, O_CLOEXEC | UFFD_USER_MODE_ONLY);
	if (uffd < 0)
		SKIP(return, "userfaultfd: %s", strerror(errno));
	ASSERT_EQ(0, ioctl(uffd, UFFDIO_API, &api));
	ASSERT_EQ(0, kcache_get_pages_map(self->fd, 1, &pages));
	reg = (struct uffdio_register){ .range = { (uintptr_t)pages, psize() },
					.mode = UFFDIO_REGISTER_MODE_MISSING };
	EXPECT_EQ(-1, ioctl(uffd, UFFDIO_REGISTER, &reg));
	EXPECT_EQ(EINVAL, errno);
	close(uffd);
	EXPECT_EQ(0, kcache_get_pages_unmap(pages, 1));
}

struct reader {
	int fd;
	struct kcache_get_page *pages;
	unsigned int page;
	atomic_int *stop;
	int wrong;
	unsigned long calls;
};

/* thread @page reads its own keys "t<page>-<i>" through its own page */
static void *reader_fn(void *arg)
{
	struct reader *r = arg;
	char key[32], want[32];
	const void *val;
	unsigned int i;
	uint32_t len;
	int klen;

	while (!atomic_load(r->stop)) {
		i = r->calls++ % THREAD_KEYS;
		klen = snprintf(key, sizeof(key), "t%u-%u", r->page, i);
		snprintf(want, sizeof(want), "value of t%u-%u", r->page, i);
		if (kcache_get_mapped(r->fd, r->pages, r->page, key, klen, &val, &len, NULL) ||
		    len != strlen(want) || memcmp(val, want, len))
			r->wrong++;
	}
	return NULL;
}

/* random key lengths and bytes in a page while another thread makes the kernel read it */
static void *scribbler_fn(void *arg)
{
	struct reader *r = arg;
	struct kcache_get_page *p = page_of(r->pages, r->page);
	unsigned int seed = 1;

	while (!atomic_load(r->stop)) {
		p->key_len = rand_r(&seed) % 2 ? rand_r(&seed) : rand_r(&seed) % 80;
		p->data[rand_r(&seed) % 80] = rand_r(&seed);
	}
	return NULL;
}

static void *victim_fn(void *arg)
{
	struct reader *r = arg;
	int ret;

	while (!atomic_load(r->stop)) {
		ret = get_page(r->fd, r->page);
		/* whatever the page says: an answer or a documented error, never a crash */
		if (ret && ret != -ENOENT && ret != -EINVAL && ret != -E2BIG && ret != -ENOMEM)
			r->wrong++;
		r->calls++;
	}
	return NULL;
}

TEST_F(mapped, threads_on_pages_of_their_own_and_a_scribbled_page)
{
	struct reader r[NTHREADS + 2];
	pthread_t t[NTHREADS + 2];
	struct kcache_get_page *pages;
	atomic_int stop = 0;
	char key[32], val[32];
	unsigned int i, j;

	for (i = 0; i < NTHREADS; i++)
		for (j = 0; j < THREAD_KEYS; j++) {
			snprintf(key, sizeof(key), "t%u-%u", i, j);
			snprintf(val, sizeof(val), "value of t%u-%u", i, j);
			ASSERT_EQ(0, kcache_set(self->fd, key, strlen(key), val, strlen(val), 0,
						0, NULL));
		}
	ASSERT_EQ(0, kcache_get_pages_map(self->fd, NTHREADS + 1, &pages));
	for (i = 0; i < NTHREADS + 2; i++) {
		r[i] = (struct reader){ .fd = self->fd, .pages = pages, .stop = &stop,
					.page = i < NTHREADS ? i : NTHREADS };
		ASSERT_EQ(0, pthread_create(&t[i], NULL, i < NTHREADS ? reader_fn :
					    i == NTHREADS ? scribbler_fn : victim_fn, &r[i]));
	}
	sleep(2);
	atomic_store(&stop, 1);
	for (i = 0; i < NTHREADS + 2; i++)
		pthread_join(t[i], NULL);
	for (i = 0; i < NTHREADS; i++) {
		EXPECT_EQ(0, r[i].wrong);
		EXPECT_LT(0, r[i].calls);
	}
	EXPECT_EQ(0, r[NTHREADS + 1].wrong);
	EXPECT_LT(0, r[NTHREADS + 1].calls);
	EXPECT_EQ(0, kcache_get_pages_unmap(pages, NTHREADS + 1));
}

TEST_HARNESS_MAIN
