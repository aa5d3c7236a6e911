// SPDX-License-Identifier: GPL-2.0
/*
 * The kcache ioctl ABI, command by command: each command's success, struct sizes
 * (0, 1, first size - 1, exact, larger with zero tail, larger with non-zero tail,
 * PAGE_SIZE + 1), NULL / unmapped / kernel pointers, and every documented error, alone
 * and in the documented priority order.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>

#include <linux/kcache.h>
#include <linux/membarrier.h>
#include <linux/userfaultfd.h>

#include "kselftest_harness.h"
#include "kcache.h"

#define KPTR	((void *)0xffffffff81000000UL)
#define MB	(1U << 20)

static uint64_t p2u(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

static void set_name(char *dst, const char *name)
{
	size_t n = strlen(name);

	if (n > KCACHE_NAME_BUF - 1)
		n = KCACHE_NAME_BUF - 1;
	memset(dst, 0, KCACHE_NAME_BUF);
	memcpy(dst, name, n);
}

static int create(int ctl, const char *name, uint64_t max_bytes, uint32_t mode)
{
	struct kcache_create_args a = { .size = sizeof(a), .max_bytes = max_bytes,
					.mode = mode };

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

static int set(int fd, const void *k, uint32_t kl, const void *v, uint32_t vl, uint32_t flags)
{
	struct kcache_set_args a = { .size = sizeof(a), .flags = flags, .key = p2u(k),
				     .val = p2u(v), .key_len = kl, .val_len = vl };

	return ioctl(fd, KCACHE_IOC_SET, &a);
}

static int get(int fd, const void *k, uint32_t kl, void *v, uint32_t *vl, uint64_t *ver)
{
	struct kcache_get_args a = { .size = sizeof(a), .key = p2u(k), .val = p2u(v),
				     .key_len = kl, .val_len = *vl };
	int ret = ioctl(fd, KCACHE_IOC_GET, &a);

	*vl = a.val_len;
	if (ver)
		*ver = a.version;
	return ret;
}

static void *unmapped(void)
{
	void *p = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

FIXTURE(kc) {
	int ctl;
	int fd;		/* read-write */
	int rfd;	/* read-only */
	int wfd;	/* write-only */
	char name[64];
};

/* FIXTURE(sz) has the same data; both are set up and torn down here. */
static void env_setup(struct __test_metadata *_metadata, FIXTURE_DATA(kc) *self)
{
	self->ctl = open("/dev/kcache", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->ctl) TH_LOG("open /dev/kcache: %s", strerror(errno));
	snprintf(self->name, sizeof(self->name), "abi-%d", getpid());
	self->fd = create(self->ctl, self->name, 8 * MB, 0600);
	ASSERT_LE(0, self->fd) TH_LOG("create: %s", strerror(errno));
	self->rfd = open_cache(self->ctl, self->name, KCACHE_OPEN_READ);
	ASSERT_LE(0, self->rfd);
	self->wfd = open_cache(self->ctl, self->name, KCACHE_OPEN_WRITE);
	ASSERT_LE(0, self->wfd);
	ASSERT_EQ(0, set(self->fd, "k", 1, "v", 1, 0));
}

static void env_teardown(FIXTURE_DATA(kc) *self)
{
	char n[80];
	int i;

	destroy(self->ctl, self->name);
	for (i = 0; i < 16; i++) {
		snprintf(n, sizeof(n), "%s-x%d", self->name, i);
		destroy(self->ctl, n);
	}
	close(self->fd);
	close(self->rfd);
	close(self->wfd);
	close(self->ctl);
}

FIXTURE_SETUP(kc)
{
	env_setup(_metadata, self);
}

FIXTURE_TEARDOWN(kc)
{
	env_teardown(self);
}

#define KC(self) ((FIXTURE_DATA(kc) *)(self))

FIXTURE(sz) {
	int ctl;
	int fd;
	int rfd;
	int wfd;
	char name[64];
};

FIXTURE_SETUP(sz)
{
	env_setup(_metadata, (FIXTURE_DATA(kc) *)self);
}

FIXTURE_TEARDOWN(sz)
{
	env_teardown((FIXTURE_DATA(kc) *)self);
}

/* ---- every command: sizes and pointers ---- */

/*
 * fill() writes a valid argument (size left to the caller) and returns which fd to use:
 * 0 control, 1 cache fd. expect is the errno of the valid call (0: success).
 */
FIXTURE_VARIANT(sz) {
	unsigned long cmd;
	uint32_t size0;
	int (*fill)(void *buf, FIXTURE_DATA(kc) *self, int n);
	int expect;
	uint32_t ksize;		/* the struct as this header knows it, if larger than size0 */
};

/* The size of the struct this header knows: a tail starts after it. */
static uint32_t known(const FIXTURE_VARIANT(sz) *v)
{
	return v->ksize ?: v->size0;
}

static char scratch[4096];

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000ULL + ts.tv_nsec / 1000;
}

static int fill_version(void *b, FIXTURE_DATA(kc) *self, int n)
{
	return 0;
}

static int fill_create(void *b, FIXTURE_DATA(kc) *self, int n)
{
	struct kcache_create_args *a = b;
	char name[80];

	snprintf(name, sizeof(name), "%s-x%d", self->name, n);
	set_name(a->name, name);
	a->max_bytes = MB;
	a->mode = 0600;
	return 0;
}

static int fill_open(void *b, FIXTURE_DATA(kc) *self, int n)
{
	struct kcache_open_args *a = b;

	set_name(a->name, self->name);
	a->flags = KCACHE_OPEN_READ;
	return 0;
}

static int fill_destroy(void *b, FIXTURE_DATA(kc) *self, int n)
{
	struct kcache_destroy_args *a = b;

	set_name(a->name, "no-such-cache");
	return 0;
}

static int fill_list(void *b, FIXTURE_DATA(kc) *self, int n)
{
	struct kcache_list_args *a = b;

	a->records = p2u(scratch);
	a->nr = 0;
	a->record_size = sizeof(struct kcache_list_record);
	return 0;
}

static int fill_get(void *b, FIXTURE_DATA(kc) *self, int n)
{
	struct kcache_get_args *a = b;

	a->key = p2u("k");
	a->key_len = 1;
	a->val = p2u(scratch);
	a->val_len = 16;
	return 1;
}

static int fill_set(void *b, FIXTURE_DATA(kc) *self, int n)
{
	struct kcache_set_args *a = b;

	a->key = p2u("k");
	a->key_len = 1;
	a->val = p2u("v2");
	a->val_len = 2;
	return 1;
}

static int fill_del(void *b, FIXTURE_DATA(kc) *self, int n)
{
	struct kcache_del_args *a = b;

	a->key = p2u("absent");
	a->key_len = 6;
	return 1;
}

static int fill_cas(void *b, FIXTURE_DATA(kc) *self, int n)
{
	struct kcache_cas_args *a = b;

	a->key = p2u("k");
	a->key_len = 1;
	a->val = p2u("v");
	a->val_len = 1;
	a->expected = 0;
	return 1;
}

static int fill_add(void *b, FIXTURE_DATA(kc) *self, int n)
{
	struct kcache_add_args *a = b;

	a->key = p2u("ctr");
	a->key_len = 3;
	a->delta = 1;
	return 1;
}

static int fill_zero(void *b, FIXTURE_DATA(kc) *self, int n)
{
	return 1;
}

static int fill_dump(void *b, FIXTURE_DATA(kc) *self, int n)
{
	struct kcache_dump_args *a = b;

	a->buf = p2u(scratch);
	a->buf_len = sizeof(scratch);
	return 1;
}

FIXTURE_VARIANT_ADD(sz, version) {
	KCACHE_IOC_VERSION, KCACHE_VERSION_SIZE_VER0, fill_version, 0, 0 };
FIXTURE_VARIANT_ADD(sz, create) {
	KCACHE_IOC_CREATE, KCACHE_CREATE_ARGS_SIZE_VER0, fill_create, 0, 0 };
FIXTURE_VARIANT_ADD(sz, open) {
	KCACHE_IOC_OPEN, KCACHE_OPEN_ARGS_SIZE_VER0, fill_open, 0, KCACHE_OPEN_ARGS_SIZE_VER1 };
FIXTURE_VARIANT_ADD(sz, destroy) {
	KCACHE_IOC_DESTROY, KCACHE_DESTROY_ARGS_SIZE_VER0, fill_destroy, ENOENT, 0 };
FIXTURE_VARIANT_ADD(sz, list) {
	KCACHE_IOC_LIST, KCACHE_LIST_ARGS_SIZE_VER0, fill_list, EMSGSIZE,
	KCACHE_LIST_ARGS_SIZE_VER1 };
FIXTURE_VARIANT_ADD(sz, get) {
	KCACHE_IOC_GET, KCACHE_GET_ARGS_SIZE_VER0, fill_get, 0, KCACHE_GET_ARGS_SIZE_VER1 };
FIXTURE_VARIANT_ADD(sz, set) {
	KCACHE_IOC_SET, KCACHE_SET_ARGS_SIZE_VER0, fill_set, 0, KCACHE_SET_ARGS_SIZE_VER1 };
FIXTURE_VARIANT_ADD(sz, del) {
	KCACHE_IOC_DEL, KCACHE_DEL_ARGS_SIZE_VER0, fill_del, ENOENT, 0 };
FIXTURE_VARIANT_ADD(sz, cas) {
	KCACHE_IOC_CAS, KCACHE_CAS_ARGS_SIZE_VER0, fill_cas, ESTALE, 0 };
FIXTURE_VARIANT_ADD(sz, add) {
	KCACHE_IOC_ADD, KCACHE_ADD_ARGS_SIZE_VER0, fill_add, 0, 0 };
FIXTURE_VARIANT_ADD(sz, mget) {
	KCACHE_IOC_MGET, KCACHE_MGET_ARGS_SIZE_VER0, fill_zero, 0, KCACHE_MGET_ARGS_SIZE_VER1 };
FIXTURE_VARIANT_ADD(sz, mset) {
	KCACHE_IOC_MSET, KCACHE_MSET_ARGS_SIZE_VER0, fill_zero, 0, 0 };
FIXTURE_VARIANT_ADD(sz, invalidate) {
	KCACHE_IOC_INVALIDATE, KCACHE_INVALIDATE_ARGS_SIZE_VER0, fill_zero, 0, 0 };
FIXTURE_VARIANT_ADD(sz, stats) {
	KCACHE_IOC_STATS, KCACHE_STATS_ARGS_SIZE_VER0, fill_zero, 0, KCACHE_STATS_ARGS_SIZE_VER1 };
FIXTURE_VARIANT_ADD(sz, info) {
	KCACHE_IOC_INFO, KCACHE_INFO_ARGS_SIZE_VER0, fill_zero, 0, 0 };
FIXTURE_VARIANT_ADD(sz, dump) {
	KCACHE_IOC_DUMP, KCACHE_DUMP_ARGS_SIZE_VER0, fill_dump, 0, 0 };
FIXTURE_VARIANT_ADD(sz, nop) {
	KCACHE_IOC_NOP, KCACHE_NOP_ARGS_SIZE_VER0, fill_zero, 0, 0 };
FIXTURE_VARIANT_ADD(sz, lease_abort) {
	KCACHE_IOC_LEASE_ABORT, KCACHE_LEASE_ABORT_ARGS_SIZE_VER0, fill_zero, EINVAL, 0 };
FIXTURE_VARIANT_ADD(sz, load_config) {
	KCACHE_IOC_LOAD_CONFIG, KCACHE_LOAD_CONFIG_ARGS_SIZE_VER0, fill_zero, 0, 0 };
FIXTURE_VARIANT_ADD(sz, load_stats) {
	KCACHE_IOC_LOAD_STATS, KCACHE_LOAD_STATS_ARGS_SIZE_VER0, fill_zero, 0, 0 };

/* Call the variant's command with a buffer of @len bytes whose size field says @size. */
static int call(FIXTURE_DATA(kc) *self, const FIXTURE_VARIANT(sz) *v, uint32_t size,
		size_t len, uint8_t tail, int n, int *fdp)
{
	uint8_t *buf = calloc(1, len > 8 ? len : 8);
	int which, ret, err;

	which = v->fill(buf, self, n);
	((uint32_t *)buf)[0] = size;
	if (tail && len > known(v))
		buf[len - 1] = tail;
	ret = ioctl(which ? self->fd : self->ctl, v->cmd, buf);
	err = errno;
	free(buf);
	if (fdp)
		*fdp = which;
	if (ret > 0 && (v->cmd == KCACHE_IOC_CREATE || v->cmd == KCACHE_IOC_OPEN))
		close(ret);
	errno = err;
	return ret;
}

static void expect_valid(struct __test_metadata *_metadata, int ret, int expect)
{
	if (expect) {
		ASSERT_EQ(-1, ret);
		ASSERT_EQ(expect, errno);
	} else {
		ASSERT_LE(0, ret) TH_LOG("errno %d", errno);
	}
}

TEST_F(sz, size_exact)
{
	expect_valid(_metadata, call(KC(self), variant, variant->size0, variant->size0, 0, 0, NULL),
		     variant->expect);
}

TEST_F(sz, size_zero_tail_accepted)
{
	uint32_t size = known(variant) + 64;

	expect_valid(_metadata, call(KC(self), variant, size, size, 0, 1, NULL), variant->expect);
}

TEST_F(sz, size_nonzero_tail_e2big)
{
	uint32_t size = known(variant) + 8;

	ASSERT_EQ(-1, call(KC(self), variant, size, size, 1, 2, NULL));
	ASSERT_EQ(E2BIG, errno);
}

/*
 * A program built against a newer header whose struct grew by 64 bytes: with _IO() its
 * command number is the same, and one that encoded the size (_IOWR()) must be served
 * too, since the kernel dispatches on type and number.
 */
static unsigned long grown_cmd(unsigned long cmd, uint32_t size)
{
	return _IOC(_IOC_READ | _IOC_WRITE, _IOC_TYPE(cmd), _IOC_NR(cmd), size);
}

TEST_F(sz, command_for_larger_struct_zero_tail_accepted)
{
	FIXTURE_VARIANT(sz) v = *variant;
	uint32_t size = known(variant) + 64;

	ASSERT_EQ(0, _IOC_SIZE(variant->cmd));
	v.cmd = grown_cmd(variant->cmd, size);
	expect_valid(_metadata, call(KC(self), &v, size, size, 0, 8, NULL), variant->expect);
}

TEST_F(sz, command_for_larger_struct_nonzero_tail_e2big)
{
	FIXTURE_VARIANT(sz) v = *variant;
	uint32_t size = known(variant) + 64;

	v.cmd = grown_cmd(variant->cmd, size);
	ASSERT_EQ(-1, call(KC(self), &v, size, size, 1, 9, NULL));
	ASSERT_EQ(E2BIG, errno);
}

/* size 0 in a read-only page: the size check (-EINVAL) comes before anything else */
TEST_F(sz, size_zero_read_only_page_einval)
{
	long page = sysconf(_SC_PAGESIZE);
	uint8_t *ro = mmap(NULL, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int fd = variant->fill(scratch + 2048, KC(self), 10) ? self->fd : self->ctl;

	ASSERT_NE(MAP_FAILED, ro);
	ASSERT_EQ(-1, ioctl(fd, variant->cmd, ro));
	ASSERT_EQ(EINVAL, errno);
	/* also at the end of the page, where a read of the struct would fault */
	ASSERT_EQ(-1, ioctl(fd, variant->cmd, ro + page - 8));
	ASSERT_EQ(EINVAL, errno);
	munmap(ro, page);
}

TEST_F(sz, size_page_plus_one_e2big)
{
	long page = sysconf(_SC_PAGESIZE);

	ASSERT_EQ(-1, call(KC(self), variant, page + 1, page + 1, 0, 3, NULL));
	ASSERT_EQ(E2BIG, errno);
}

TEST_F(sz, size_small_einval)
{
	ASSERT_EQ(-1, call(KC(self), variant, 0, variant->size0, 0, 4, NULL));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, call(KC(self), variant, 1, variant->size0, 0, 4, NULL));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, call(KC(self), variant, variant->size0 - 1, variant->size0, 0, 4, NULL));
	ASSERT_EQ(EINVAL, errno);
}

TEST_F(sz, flags_einval)
{
	uint8_t buf[4096] = { 0 };
	int which = variant->fill(buf, KC(self), 5);

	((uint32_t *)buf)[0] = variant->size0;
	((uint32_t *)buf)[1] = 0x80000000;
	ASSERT_EQ(-1, ioctl(which ? self->fd : self->ctl, variant->cmd, buf));
	ASSERT_EQ(EINVAL, errno);
}

TEST_F(sz, bad_pointers_efault)
{
	int fd = variant->fill(scratch + 2048, KC(self), 6) ? self->fd : self->ctl;
	void *u = unmapped();

	ASSERT_EQ(-1, ioctl(fd, variant->cmd, NULL));
	ASSERT_EQ(EFAULT, errno);
	ASSERT_EQ(-1, ioctl(fd, variant->cmd, u));
	ASSERT_EQ(EFAULT, errno);
	ASSERT_EQ(-1, ioctl(fd, variant->cmd, KPTR));
	ASSERT_EQ(EFAULT, errno);
	munmap(u, 4096);
}

TEST_F(sz, wrong_device_enotty)
{
	uint8_t buf[4096] = { 0 };
	int which = variant->fill(buf, KC(self), 7);

	((uint32_t *)buf)[0] = variant->size0;
	ASSERT_EQ(-1, ioctl(which ? self->ctl : self->fd, variant->cmd, buf));
	ASSERT_EQ(ENOTTY, errno);
}

/* ---- single commands ---- */

TEST_F(kc, get_set_roundtrip_and_version)
{
	char v[16];
	uint32_t vl = sizeof(v);
	uint64_t ver1, ver2;
	struct kcache_set_args s = { .size = sizeof(s), .key = p2u("a"), .key_len = 1,
				     .val = p2u("hello"), .val_len = 5 };

	ASSERT_EQ(0, ioctl(self->fd, KCACHE_IOC_SET, &s));
	ver1 = s.version;
	ASSERT_EQ(0, get(self->fd, "a", 1, v, &vl, &ver2));
	ASSERT_EQ(5, vl);
	ASSERT_EQ(0, memcmp(v, "hello", 5));
	ASSERT_EQ(ver1, ver2);
	ASSERT_EQ(0, ioctl(self->fd, KCACHE_IOC_SET, &s));
	ASSERT_LT(ver1, s.version);
	vl = sizeof(v);
	ASSERT_EQ(0, get(self->fd, "a", 1, v, &vl, &ver2));
	ASSERT_EQ(s.version, ver2);
	ASSERT_EQ(sizeof(s), s.size);
	ASSERT_EQ(5, s.val_len);
	ASSERT_EQ(0, s.ttl_ns);
}

/*
 * SET and CAS write back their version and nothing else: with every other field on a
 * read-only page and the version on the writable page after it, both succeed and return
 * the version the entry has.
 */
TEST_F(kc, set_and_cas_write_only_their_version)
{
	long page = sysconf(_SC_PAGESIZE);
	uint8_t *map = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			    -1, 0);
	struct kcache_set_args *s;
	struct kcache_cas_args *c;
	uint64_t ver;
	uint32_t vl;
	char v[8];

	ASSERT_NE(MAP_FAILED, map);
	s = (void *)(map + page - offsetof(struct kcache_set_args, version));
	*s = (struct kcache_set_args){ .size = sizeof(*s), .key = p2u("ro"), .key_len = 2,
				       .val = p2u("one"), .val_len = 3 };
	ASSERT_EQ(0, mprotect(map, page, PROT_READ));
	ASSERT_EQ(0, ioctl(self->fd, KCACHE_IOC_SET, s));
	vl = sizeof(v);
	ASSERT_EQ(0, get(self->fd, "ro", 2, v, &vl, &ver));
	ASSERT_EQ(ver, s->version);

	ASSERT_EQ(0, mprotect(map, page, PROT_READ | PROT_WRITE));
	c = (void *)(map + page - offsetof(struct kcache_cas_args, version));
	*c = (struct kcache_cas_args){ .size = sizeof(*c), .key = p2u("ro"), .key_len = 2,
				       .val = p2u("two"), .val_len = 3, .expected = ver };
	ASSERT_EQ(0, mprotect(map, page, PROT_READ));
	ASSERT_EQ(0, ioctl(self->fd, KCACHE_IOC_CAS, c));
	vl = sizeof(v);
	ASSERT_EQ(0, get(self->fd, "ro", 2, v, &vl, &ver));
	ASSERT_EQ(0, memcmp(v, "two", 3));
	ASSERT_EQ(ver, c->version);
	munmap(map, 2 * page);
}

TEST_F(kc, get_absent_enoent)
{
	uint32_t vl = 0;

	ASSERT_EQ(-1, get(self->fd, "nope", 4, NULL, &vl, NULL));
	ASSERT_EQ(ENOENT, errno);
}

TEST_F(kc, get_small_buffer_emsgsize_reports_length)
{
	char v[4] = "xxxx";
	uint32_t vl = 0;
	uint64_t ver = 0;

	ASSERT_EQ(0, set(self->fd, "big", 3, "0123456789", 10, 0));
	ASSERT_EQ(-1, get(self->fd, "big", 3, NULL, &vl, &ver));
	ASSERT_EQ(EMSGSIZE, errno);
	ASSERT_EQ(10, vl);
	ASSERT_NE(0, ver);
	vl = 4;
	ASSERT_EQ(-1, get(self->fd, "big", 3, v, &vl, NULL));
	ASSERT_EQ(EMSGSIZE, errno);
	ASSERT_EQ(0, memcmp(v, "xxxx", 4));
}

TEST_F(kc, key_len_zero_einval_huge_e2big)
{
	static char big[KCACHE_KEY_LEN_MAX + 1];
	uint32_t lens[] = { 0, KCACHE_KEY_LEN_MAX + 1, 0xffffffff };
	int errs[] = { EINVAL, E2BIG, E2BIG };
	uint32_t vl = 0;
	unsigned int i;

	for (i = 0; i < 3; i++) {
		struct kcache_get_args g = { .size = sizeof(g), .key = p2u(big),
					     .key_len = lens[i] };
		struct kcache_set_args s = { .size = sizeof(s), .key = p2u(big),
					     .key_len = lens[i] };
		struct kcache_del_args d = { .size = sizeof(d), .key = p2u(big),
					     .key_len = lens[i] };
		struct kcache_add_args a = { .size = sizeof(a), .key = p2u(big),
					     .key_len = lens[i] };

		ASSERT_EQ(-1, ioctl(self->fd, KCACHE_IOC_GET, &g));
		ASSERT_EQ(errs[i], errno);
		ASSERT_EQ(-1, ioctl(self->fd, KCACHE_IOC_SET, &s));
		ASSERT_EQ(errs[i], errno);
		ASSERT_EQ(-1, ioctl(self->fd, KCACHE_IOC_DEL, &d));
		ASSERT_EQ(errs[i], errno);
		ASSERT_EQ(-1, ioctl(self->fd, KCACHE_IOC_ADD, &a));
		ASSERT_EQ(errs[i], errno);
	}
	/* the largest key works */
	memset(big, 'K', sizeof(big));
	ASSERT_EQ(0, set(self->fd, big, KCACHE_KEY_LEN_MAX, "v", 1, 0));
	ASSERT_EQ(0, get(self->fd, big, KCACHE_KEY_LEN_MAX, scratch, &(uint32_t){16}, NULL));
	vl = 0;
	ASSERT_EQ(-1, get(self->fd, big, KCACHE_KEY_LEN_MAX, NULL, &vl, NULL));
	ASSERT_EQ(EMSGSIZE, errno);
}

TEST_F(kc, value_len_zero_ok_huge_e2big)
{
	uint32_t vl = 16;

	ASSERT_EQ(0, set(self->fd, "empty", 5, NULL, 0, 0));
	ASSERT_EQ(0, get(self->fd, "empty", 5, NULL, &vl, NULL));
	ASSERT_EQ(0, vl);
	ASSERT_EQ(-1, set(self->fd, "v", 1, scratch, 0xffffffff, 0));
	ASSERT_EQ(E2BIG, errno);
	ASSERT_EQ(-1, set(self->fd, "v", 1, scratch, KCACHE_VAL_LEN_MAX + 1, 0));
	ASSERT_EQ(E2BIG, errno);
	/* above value_max (1 MiB) but below the ABI bound: refused before the bad pointer */
	ASSERT_EQ(-1, set(self->fd, "v", 1, NULL, 9 * MB, 0));
	ASSERT_EQ(E2BIG, errno);
}

TEST_F(kc, key_and_value_pointers_efault)
{
	void *u = unmapped();
	uint32_t vl = 16;

	ASSERT_EQ(-1, set(self->fd, NULL, 1, "v", 1, 0));
	ASSERT_EQ(EFAULT, errno);
	ASSERT_EQ(-1, set(self->fd, u, 1, "v", 1, 0));
	ASSERT_EQ(EFAULT, errno);
	ASSERT_EQ(-1, set(self->fd, KPTR, 1, "v", 1, 0));
	ASSERT_EQ(EFAULT, errno);
	ASSERT_EQ(-1, set(self->fd, "k", 1, NULL, 1, 0));
	ASSERT_EQ(EFAULT, errno);
	ASSERT_EQ(-1, set(self->fd, "k", 1, KPTR, 1, 0));
	ASSERT_EQ(EFAULT, errno);
	ASSERT_EQ(-1, get(self->fd, u, 1, scratch, &vl, NULL));
	ASSERT_EQ(EFAULT, errno);
	vl = 16;
	ASSERT_EQ(-1, get(self->fd, "k", 1, u, &vl, NULL));
	ASSERT_EQ(EFAULT, errno);
	vl = 16;
	ASSERT_EQ(-1, get(self->fd, "k", 1, KPTR, &vl, NULL));
	ASSERT_EQ(EFAULT, errno);
	munmap(u, 4096);
}

TEST_F(kc, set_flags)
{
	struct kcache_set_args a = { .size = sizeof(a), .key = p2u("f"), .key_len = 1,
				     .val = p2u("1"), .val_len = 1 };

	a.flags = KCACHE_SETF_IF_PRESENT;
	ASSERT_EQ(-1, ioctl(self->fd, KCACHE_IOC_SET, &a));
	ASSERT_EQ(ENOENT, errno);
	a.flags = KCACHE_SETF_IF_ABSENT;
	ASSERT_EQ(0, ioctl(self->fd, KCACHE_IOC_SET, &a));
	ASSERT_EQ(-1, ioctl(self->fd, KCACHE_IOC_SET, &a));
	ASSERT_EQ(EEXIST, errno);
	a.flags = KCACHE_SETF_IF_PRESENT;
	ASSERT_EQ(0, ioctl(self->fd, KCACHE_IOC_SET, &a));
	a.flags = KCACHE_SETF_IF_PRESENT | KCACHE_SETF_IF_ABSENT;
	ASSERT_EQ(-1, ioctl(self->fd, KCACHE_IOC_SET, &a));
	ASSERT_EQ(EINVAL, errno);
	a.flags = 0;
	a.ttl_ns = 5;
	ASSERT_EQ(-1, ioctl(self->fd, KCACHE_IOC_SET, &a));
	ASSERT_EQ(EINVAL, errno);
	a.flags = 1U << 20;
	a.ttl_ns = 0;
	ASSERT_EQ(-1, ioctl(self->fd, KCACHE_IOC_SET, &a));
	ASSERT_EQ(EINVAL, errno);
}

TEST_F(kc, set_ttl_expires)
{
	struct kcache_set_args a = { .size = sizeof(a), .key = p2u("t"), .key_len = 1,
				     .val = p2u("1"), .val_len = 1,
				     .flags = KCACHE_SETF_TTL, .ttl_ns = 500000000 };
	uint32_t vl = 4;

	/* 500 ms: a guest on a loaded host was once descheduled 20 ms between SET and GET */
	ASSERT_EQ(0, ioctl(self->fd, KCACHE_IOC_SET, &a));
	ASSERT_EQ(0, get(self->fd, "t", 1, scratch, &vl, NULL));
	usleep(1000000);
	vl = 4;
	ASSERT_EQ(-1, get(self->fd, "t", 1, scratch, &vl, NULL));
	ASSERT_EQ(ENOENT, errno);
}

/*
 * A ttl_ns of UINT64_MAX with KCACHE_SETF_TTL is far away, not the cache's default TTL
 * (the in-kernel API's KCACHE_TTL_DEFAULT has the same bits); without the flag the
 * default applies.
 */
TEST_F(kc, set_ttl_max_is_not_the_default)
{
	struct kcache_create_args c = { .size = sizeof(c), .max_bytes = MB, .mode = 0600,
					.default_ttl_ns = 200000000 };
	struct kcache_set_args a = { .size = sizeof(a), .key = p2u("t"), .key_len = 1,
				     .val = p2u("1"), .val_len = 1,
				     .flags = KCACHE_SETF_TTL, .ttl_ns = UINT64_MAX };
	char n[80];
	uint32_t vl = 4;
	int fd;

	snprintf(n, sizeof(n), "%s-x0", self->name);
	set_name(c.name, n);
	fd = ioctl(self->ctl, KCACHE_IOC_CREATE, &c);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ioctl(fd, KCACHE_IOC_SET, &a));
	ASSERT_EQ(0, set(fd, "d", 1, "2", 1, 0));
	usleep(600000);
	ASSERT_EQ(0, get(fd, "t", 1, scratch, &vl, NULL));
	vl = 4;
	ASSERT_EQ(-1, get(fd, "d", 1, scratch, &vl, NULL));
	ASSERT_EQ(ENOENT, errno);
	close(fd);
}

TEST_F(kc, del)
{
	struct kcache_del_args a = { .size = sizeof(a), .key = p2u("k"), .key_len = 1 };
	uint32_t vl = 4;

	ASSERT_EQ(0, ioctl(self->fd, KCACHE_IOC_DEL, &a));
	ASSERT_EQ(-1, ioctl(self->fd, KCACHE_IOC_DEL, &a));
	ASSERT_EQ(ENOENT, errno);
	ASSERT_EQ(-1, get(self->fd, "k", 1, scratch, &vl, NULL));
	ASSERT_EQ(ENOENT, errno);
	a.__pad = 1;
	ASSERT_EQ(-1, ioctl(self->fd, KCACHE_IOC_DEL, &a));
	ASSERT_EQ(EINVAL, errno);
}

TEST_F(kc, cas)
{
	static const char w[] = "w";
	struct kcache_cas_args a = { .size = sizeof(a), .key = p2u("k"), .key_len = 1,
				     .val = p2u(w), .val_len = 1 };
	uint32_t vl = 4;
	uint64_t ver;

	ASSERT_EQ(0, get(self->fd, "k", 1, scratch, &vl, &ver));
	a.expected = ver + 1000;
	ASSERT_EQ(-1, ioctl(self->fd, KCACHE_IOC_CAS, &a));
	ASSERT_EQ(ESTALE, errno);
	a.expected = ver;
	ASSERT_EQ(0, ioctl(self->fd, KCACHE_IOC_CAS, &a));
	ASSERT_LT(ver, a.version);
	ASSERT_EQ(-1, ioctl(self->fd, KCACHE_IOC_CAS, &a));
	ASSERT_EQ(ESTALE, errno);
	vl = 4;
	ASSERT_EQ(0, get(self->fd, "k", 1, scratch, &vl, &ver));
	ASSERT_EQ('w', scratch[0]);
	/* the version CAS wrote back is the entry's, and nothing else of the struct moved */
	ASSERT_EQ(ver, a.version);
	ASSERT_EQ(sizeof(a), a.size);
	ASSERT_EQ(p2u(w), a.val);
	ASSERT_EQ(1, a.val_len);
	a.key = p2u("absent");
	a.key_len = 6;
	ASSERT_EQ(-1, ioctl(self->fd, KCACHE_IOC_CAS, &a));
	ASSERT_EQ(ENOENT, errno);
	a.flags = KCACHE_SETF_IF_ABSENT;
	ASSERT_EQ(-1, ioctl(self->fd, KCACHE_IOC_CAS, &a));
	ASSERT_EQ(EINVAL, errno);
}

TEST_F(kc, add)
{
	struct kcache_add_args a = { .size = sizeof(a), .key = p2u("c"), .key_len = 1,
				     .delta = 5 };

	ASSERT_EQ(0, ioctl(self->fd, KCACHE_IOC_ADD, &a));
	ASSERT_EQ(5, a.result);
	a.delta = -7;
	ASSERT_EQ(0, ioctl(self->fd, KCACHE_IOC_ADD, &a));
	ASSERT_EQ((uint64_t)-2, a.result);
	/* "k" holds a 1-byte value: not a counter */
	a.key = p2u("k");
	ASSERT_EQ(-1, ioctl(self->fd, KCACHE_IOC_ADD, &a));
	ASSERT_EQ(EINVAL, errno);
	a.key = p2u("c");
	a.__pad = 1;
	ASSERT_EQ(-1, ioctl(self->fd, KCACHE_IOC_ADD, &a));
	ASSERT_EQ(EINVAL, errno);
}

TEST_F(kc, invalidate_all_and_prefix)
{
	struct kcache_invalidate_args a = { .size = sizeof(a) };
	uint32_t vl = 4;

	ASSERT_EQ(0, set(self->fd, "p:1", 3, "1", 1, 0));
	ASSERT_EQ(0, set(self->fd, "p:2", 3, "2", 1, 0));
	ASSERT_EQ(0, set(self->fd, "q:1", 3, "3", 1, 0));
	a.flags = KCACHE_INVALIDATE_PREFIX;
	a.prefix = p2u("p:");
	a.prefix_len = 2;
	ASSERT_EQ(0, ioctl(self->fd, KCACHE_IOC_INVALIDATE, &a));
	ASSERT_EQ(2, a.removed);
	ASSERT_EQ(0, get(self->fd, "q:1", 3, scratch, &vl, NULL));
	a.flags = 0;
	ASSERT_EQ(-1, ioctl(self->fd, KCACHE_IOC_INVALIDATE, &a));
	ASSERT_EQ(EINVAL, errno);
	a.prefix = 0;
	a.prefix_len = 0;
	ASSERT_EQ(0, ioctl(self->fd, KCACHE_IOC_INVALIDATE, &a));
	ASSERT_EQ(2, a.removed);
	a.flags = KCACHE_INVALIDATE_PREFIX;
	ASSERT_EQ(-1, ioctl(self->fd, KCACHE_IOC_INVALIDATE, &a));
	ASSERT_EQ(EINVAL, errno);
	a.prefix_len = KCACHE_KEY_LEN_MAX + 1;
	ASSERT_EQ(-1, ioctl(self->fd, KCACHE_IOC_INVALIDATE, &a));
	ASSERT_EQ(E2BIG, errno);
	a.prefix_len = 1;
	ASSERT_EQ(-1, ioctl(self->fd, KCACHE_IOC_INVALIDATE, &a));
	ASSERT_EQ(EFAULT, errno);
}

TEST_F(kc, stats_and_info)
{
	struct kcache_stats_args s = { .size = sizeof(s) };
	struct kcache_info_args i = { .size = sizeof(i) };
	uint32_t vl = 4;

	get(self->fd, "k", 1, scratch, &vl, NULL);
	vl = 4;
	get(self->fd, "absent", 6, scratch, &vl, NULL);
	ASSERT_EQ(0, ioctl(self->rfd, KCACHE_IOC_STATS, &s));
	ASSERT_EQ(1, s.counters.hits);
	ASSERT_EQ(1, s.counters.misses);
	ASSERT_EQ(1, s.counters.sets);
	ASSERT_EQ(1, s.counters.entries);
	ASSERT_EQ(8 * MB, s.counters.max_bytes);
	memset(i.name, 'Z', sizeof(i.name));
	ASSERT_EQ(0, ioctl(self->rfd, KCACHE_IOC_INFO, &i));
	ASSERT_STREQ(self->name, i.name);
	ASSERT_EQ(0, i.name[sizeof(i.name) - 1]);
	ASSERT_EQ(8 * MB, i.max_bytes);
	ASSERT_EQ(0600, i.mode);
	ASSERT_EQ(getuid(), i.uid);
	ASSERT_EQ(KCACHE_OPEN_READ, i.access);
	i.__pad = 1;
	ASSERT_EQ(-1, ioctl(self->rfd, KCACHE_IOC_INFO, &i));
	ASSERT_EQ(EINVAL, errno);
}

static uint64_t spare_bytes(struct __test_metadata *_metadata, int fd)
{
	struct kcache_stats_args s = { .size = sizeof(s) };

	EXPECT_EQ(0, ioctl(fd, KCACHE_IOC_STATS, &s));
	return s.counters.spare_bytes;
}

/*
 * Deleted entries' memory is kept for the next writes, and spare_bytes says how much.
 * KSPARE_N is prime: while maintenance collects them, k of the deleted entries are spares
 * and spare_bytes is k times one entry's allocation, a multiple of KSPARE_N only when all
 * KSPARE_N are (an allocation is smaller than KSPARE_N bytes).
 */
#define KSPARE_N	1009

TEST_F(kc, stats_spare_bytes)
{
	struct kcache_stats_args v0 = { .size = KCACHE_STATS_ARGS_SIZE_VER0 };
	struct kcache_stats_args s = { .size = sizeof(s) };
	uint64_t charge, spares = 0;
	char name[80], key[16], val[100] = { 1 };
	int fd, i, dc;

	snprintf(name, sizeof(name), "%s-x0", self->name);
	fd = create(self->ctl, name, MB, 0600);
	ASSERT_LE(0, fd);
	for (i = 0; i < KSPARE_N; i++) {
		snprintf(key, sizeof(key), "k%07d", i);
		ASSERT_EQ(0, set(fd, key, 8, val, sizeof(val), 0));
	}
	ASSERT_EQ(0, ioctl(fd, KCACHE_IOC_STATS, &s));
	ASSERT_EQ(KSPARE_N, s.counters.entries);
	ASSERT_EQ(0, s.counters.bytes % KSPARE_N);
	charge = s.counters.bytes / KSPARE_N;
	for (i = 0; i < KSPARE_N; i++) {
		struct kcache_del_args d = { .size = sizeof(d), .key = p2u(key), .key_len = 8 };

		snprintf(key, sizeof(key), "k%07d", i);
		ASSERT_EQ(0, ioctl(fd, KCACHE_IOC_DEL, &d));
	}
	/* maintenance runs within a tick of a write and frees limbo a grace period later */
	for (i = 0; i < 200; i++) {
		spares = spare_bytes(_metadata, fd);
		if (spares && spares % KSPARE_N == 0)
			break;
		usleep(50000);
	}
	TH_LOG("entry charge %llu, spare_bytes %llu after %d ms", (unsigned long long)charge,
	       (unsigned long long)spares, i * 50);
	ASSERT_LT(0, spares);
	ASSERT_EQ(0, spares % KSPARE_N);
	/* a spare is the entry's allocation; its charge adds its share of the table */
	ASSERT_GE(charge, spares / KSPARE_N);
	ASSERT_LT(charge - spares / KSPARE_N, 64);
	ASSERT_EQ(0, ioctl(fd, KCACHE_IOC_STATS, &s));
	ASSERT_EQ(0, s.counters.entries);
	ASSERT_EQ(0, s.counters.bytes);
	/* a caller that knows the first struct gets that much, and no byte beyond */
	v0.counters.spare_bytes = 0x5a5a5a5a5a5a5a5aull;
	ASSERT_EQ(0, ioctl(fd, KCACHE_IOC_STATS, &v0));
	ASSERT_EQ(KCACHE_STATS_ARGS_SIZE_VER0, v0.size);
	ASSERT_EQ(0x5a5a5a5a5a5a5a5aull, v0.counters.spare_bytes);
	/* memory pressure gives them back */
	dc = open("/proc/sys/vm/drop_caches", O_WRONLY | O_CLOEXEC);
	if (dc < 0) {
		close(fd);
		SKIP(return, "drop_caches: %s", strerror(errno));
	}
	ASSERT_EQ(2, write(dc, "2\n", 2));
	close(dc);
	EXPECT_EQ(0, spare_bytes(_metadata, fd));
	close(fd);
}

struct size_flipper {
	uint32_t *size;
	atomic_int stop;
};

/* the size field of another thread's STATS, now the first size, now one above a page */
static void *size_flip_fn(void *arg)
{
	struct size_flipper *f = arg;

	while (!atomic_load_explicit(&f->stop, memory_order_relaxed)) {
		__atomic_store_n(f->size, KCACHE_STATS_ARGS_SIZE_VER0, __ATOMIC_RELAXED);
		__atomic_store_n(f->size, 65536, __ATOMIC_RELAXED);
	}
	return NULL;
}

/*
 * The kernel reads the size once. A call that read the first size (and so succeeded: the
 * other is above a page) writes back that many bytes, not as many as a second read of
 * the field says, whatever another thread of the caller does to it meanwhile.
 */
TEST_F(kc, struct_size_read_once)
{
	const uint64_t canary = 0x5a5a5a5a5a5a5a5aull;
	struct kcache_stats_args *s = (void *)scratch;
	struct size_flipper f = { .size = &s->size };
	unsigned long ok = 0, e2big = 0, over = 0;
	uint64_t t0 = now_us();
	pthread_t t;
	int err = 0;

	memset(scratch, 0, sizeof(scratch));
	s->size = KCACHE_STATS_ARGS_SIZE_VER0;
	s->counters.spare_bytes = canary;
	ASSERT_EQ(0, pthread_create(&t, NULL, size_flip_fn, &f));
	while (now_us() - t0 < 3000000 && !over) {
		if (ioctl(self->rfd, KCACHE_IOC_STATS, s)) {
			err = errno;
			if (err != E2BIG)
				break;
			err = 0;
			e2big++;
			continue;
		}
		ok++;
		if (s->counters.spare_bytes != canary) {
			over++;
			s->counters.spare_bytes = canary;
		}
	}
	atomic_store(&f.stop, 1);
	pthread_join(t, NULL);
	TH_LOG("%lu calls succeeded, %lu refused, %lu wrote past their size", ok, e2big, over);
	EXPECT_EQ(0, err) TH_LOG("STATS: %s", strerror(err));
	EXPECT_EQ(0, over);
	EXPECT_LT(0, ok);
	EXPECT_LT(0, e2big);
}

struct get_flipper {
	struct kcache_get_args *a;
	atomic_int stop;
};

/* another thread's GET: its key length now 256, 257 or 4096 bytes, its size now each one */
static void *get_flip_fn(void *arg)
{
	struct get_flipper *f = arg;
	static const uint32_t lens[] = { 256, 4096, 257, 256, 257, 4096 };
	unsigned int i = 0;

	while (!atomic_load_explicit(&f->stop, memory_order_relaxed)) {
		__atomic_store_n(&f->a->key_len, lens[i % 6], __ATOMIC_RELAXED);
		__atomic_store_n(&f->a->size, i % 5 ? KCACHE_GET_ARGS_SIZE_VER1 :
				 KCACHE_GET_ARGS_SIZE_VER0, __ATOMIC_RELAXED);
		i++;
	}
	return NULL;
}

/*
 * GET reads its struct's size and key length once, on its common path (the struct and
 * a key of up to 256 bytes on the stack in one window) and on the general one: a key
 * length checked against the stack buffer and then read again as 257 or 4096 would copy
 * past it (KASAN), and any answer but a hit on one of the two stored keys or a miss on
 * the third is wrong.
 */
TEST_F(kc, get_key_len_changed_concurrently)
{
	static uint8_t key[4096];
	struct kcache_get_args *a = (void *)(scratch + 1024);
	struct get_flipper f = { .a = a };
	unsigned long hit = 0, miss = 0, n;
	uint64_t t0 = now_us();
	uint8_t v = 0;
	pthread_t t;
	int err = 0;

	memset(key, 'x', sizeof(key));
	ASSERT_EQ(0, set(self->fd, key, 256, "A", 1, 0));
	ASSERT_EQ(0, set(self->fd, key, 257, "B", 1, 0));
	memset(a, 0, sizeof(*a));
	a->size = sizeof(*a);
	a->key = p2u(key);
	a->key_len = 256;
	a->val = p2u(&v);
	a->val_len = 1;
	ASSERT_EQ(0, pthread_create(&t, NULL, get_flip_fn, &f));
	for (n = 0; n < 200000 && now_us() - t0 < 2000000; n++) {
		v = 0;
		/* an out field: the kernel wrote the value's length back last time */
		__atomic_store_n(&a->val_len, 1, __ATOMIC_RELAXED);
		if (ioctl(self->rfd, KCACHE_IOC_GET, a)) {
			if (errno != ENOENT) {
				err = errno;
				break;
			}
			miss++;
			continue;
		}
		if (v != 'A' && v != 'B') {
			err = -1;
			break;
		}
		hit++;
	}
	atomic_store(&f.stop, 1);
	pthread_join(t, NULL);
	TH_LOG("%lu hits, %lu misses", hit, miss);
	EXPECT_EQ(0, err) TH_LOG("GET: %s, value byte %#x",
				 err > 0 ? strerror(err) : "bad value", v);
	EXPECT_LT(0, hit);
}

TEST_F(kc, nop)
{
	struct kcache_nop_args a = { .size = sizeof(a) };

	ASSERT_EQ(0, ioctl(self->fd, KCACHE_IOC_NOP, &a));
	ASSERT_EQ(0, ioctl(self->rfd, KCACHE_IOC_NOP, &a));
	ASSERT_EQ(0, ioctl(self->wfd, KCACHE_IOC_NOP, &a));
}

TEST_F(kc, unknown_command_enotty)
{
	struct kcache_nop_args a = { .size = sizeof(a) };

	ASSERT_EQ(-1, ioctl(self->fd, _IOWR(KCACHE_IOC_MAGIC, 0x7e, struct kcache_nop_args), &a));
	ASSERT_EQ(ENOTTY, errno);
	ASSERT_EQ(-1, ioctl(self->ctl, _IO(KCACHE_IOC_MAGIC, 0x7e), &a));
	ASSERT_EQ(ENOTTY, errno);
	/* another type with NOP's number */
	ASSERT_EQ(-1, ioctl(self->fd, _IO(KCACHE_IOC_MAGIC + 1, 0x1f), &a));
	ASSERT_EQ(ENOTTY, errno);
	/* same number, any size or direction bits: the same command */
	ASSERT_EQ(0, ioctl(self->fd, _IOWR(KCACHE_IOC_MAGIC, 0x1f, uint32_t), &a));
	ASSERT_EQ(0, ioctl(self->fd, _IOR(KCACHE_IOC_MAGIC, 0x1f, struct kcache_nop_args), &a));
}

/* ---- access rights of a cache fd ---- */

TEST_F(kc, rights_read_only_fd_ebadf_for_writes)
{
	struct kcache_set_args s = { .size = sizeof(s), .key = p2u("k"), .key_len = 1 };
	unsigned long w[] = { KCACHE_IOC_SET, KCACHE_IOC_DEL, KCACHE_IOC_CAS, KCACHE_IOC_ADD,
			      KCACHE_IOC_MSET, KCACHE_IOC_INVALIDATE };
	unsigned int i;

	for (i = 0; i < sizeof(w) / sizeof(w[0]); i++) {
		ASSERT_EQ(-1, ioctl(self->rfd, w[i], &s));
		ASSERT_EQ(EBADF, errno);
		/* checked before anything else, even the argument pointer */
		ASSERT_EQ(-1, ioctl(self->rfd, w[i], NULL));
		ASSERT_EQ(EBADF, errno);
	}
}

TEST_F(kc, rights_write_only_fd_ebadf_for_reads)
{
	unsigned long r[] = { KCACHE_IOC_GET, KCACHE_IOC_MGET, KCACHE_IOC_STATS,
			      KCACHE_IOC_INFO, KCACHE_IOC_DUMP };
	unsigned int i;

	for (i = 0; i < sizeof(r) / sizeof(r[0]); i++) {
		ASSERT_EQ(-1, ioctl(self->wfd, r[i], NULL));
		ASSERT_EQ(EBADF, errno);
	}
	ASSERT_EQ(0, set(self->wfd, "w", 1, "1", 1, 0));
}

/*
 * ADD's result is the stored value: a write-only fd would read any 8-byte value through
 * it (delta 0), so ADD needs both rights, as the lease variants do.
 */
TEST_F(kc, rights_add_needs_read_and_write)
{
	const uint64_t secret = 0x5ec7e75ec7e7ull;
	struct kcache_add_args a = { .size = sizeof(a), .key = p2u("ctr"), .key_len = 3 };

	ASSERT_EQ(0, set(self->fd, "ctr", 3, &secret, sizeof(secret), 0));
	ASSERT_EQ(-1, ioctl(self->wfd, KCACHE_IOC_ADD, &a));
	ASSERT_EQ(EBADF, errno);
	EXPECT_EQ(0, a.result);
	ASSERT_EQ(-1, ioctl(self->rfd, KCACHE_IOC_ADD, &a));
	ASSERT_EQ(EBADF, errno);
	ASSERT_EQ(0, ioctl(self->fd, KCACHE_IOC_ADD, &a));
	EXPECT_EQ(secret, a.result);
}

TEST_F(kc, cache_fd_is_cloexec)
{
	ASSERT_EQ(FD_CLOEXEC, fcntl(self->fd, F_GETFD) & FD_CLOEXEC);
	ASSERT_EQ(FD_CLOEXEC, fcntl(self->rfd, F_GETFD) & FD_CLOEXEC);
}

/* ---- priority order of the checks ---- */

TEST_F(kc, get_checks_ordering)
{
	long page = sysconf(_SC_PAGESIZE);
	uint8_t *buf = calloc(1, page + 1);
	struct kcache_get_args *a = (void *)buf;
	uint32_t vl = 0;

	/* 1. rights beat everything */
	a->size = page + 1;
	a->flags = 1U << 31;	/* bit 0 is KCACHE_GETF_LEASE */
	ASSERT_EQ(-1, ioctl(self->wfd, KCACHE_IOC_GET, a));
	ASSERT_EQ(EBADF, errno);
	/* 2. size beats flags */
	ASSERT_EQ(-1, ioctl(self->fd, KCACHE_IOC_GET, a));
	ASSERT_EQ(E2BIG, errno);
	/* 3. flags beat lengths */
	a->size = sizeof(*a);
	a->key_len = KCACHE_KEY_LEN_MAX + 1;
	ASSERT_EQ(-1, ioctl(self->fd, KCACHE_IOC_GET, a));
	ASSERT_EQ(EINVAL, errno);
	/* 4. lengths beat pointers */
	a->flags = 0;
	a->key = 0;
	ASSERT_EQ(-1, ioctl(self->fd, KCACHE_IOC_GET, a));
	ASSERT_EQ(E2BIG, errno);
	/* 6. a too-small buffer beats a bad value pointer */
	a->key = p2u("k");
	a->key_len = 1;
	a->val = p2u(KPTR);
	a->val_len = 0;
	ASSERT_EQ(-1, ioctl(self->fd, KCACHE_IOC_GET, a));
	ASSERT_EQ(EMSGSIZE, errno);
	ASSERT_EQ(1, a->val_len);
	/* 7. then the value pointer */
	ASSERT_EQ(-1, ioctl(self->fd, KCACHE_IOC_GET, a));
	ASSERT_EQ(EFAULT, errno);
	/* 5. the key pointer beats the destroyed cache, which beats the miss */
	ASSERT_EQ(0, destroy(self->ctl, self->name));
	a->key = 0;
	ASSERT_EQ(-1, ioctl(self->fd, KCACHE_IOC_GET, a));
	ASSERT_EQ(EFAULT, errno);
	ASSERT_EQ(-1, get(self->fd, "absent", 6, NULL, &vl, NULL));
	ASSERT_EQ(ESHUTDOWN, errno);
	free(buf);
}

TEST_F(kc, set_checks_ordering)
{
	struct kcache_set_args a = { .size = sizeof(a), .flags = 1U << 30,
				     .key_len = KCACHE_KEY_LEN_MAX + 1,
				     .val_len = KCACHE_VAL_LEN_MAX + 1 };

	ASSERT_EQ(-1, ioctl(self->rfd, KCACHE_IOC_SET, &a));
	ASSERT_EQ(EBADF, errno);
	a.size = 1;
	ASSERT_EQ(-1, ioctl(self->fd, KCACHE_IOC_SET, &a));
	ASSERT_EQ(EINVAL, errno);
	a.size = sizeof(a);
	ASSERT_EQ(-1, ioctl(self->fd, KCACHE_IOC_SET, &a));
	ASSERT_EQ(EINVAL, errno);	/* unknown flag */
	a.flags = 0;
	a.ttl_ns = 1;
	ASSERT_EQ(-1, ioctl(self->fd, KCACHE_IOC_SET, &a));
	ASSERT_EQ(EINVAL, errno);	/* ttl without the flag, before lengths */
	a.ttl_ns = 0;
	ASSERT_EQ(-1, ioctl(self->fd, KCACHE_IOC_SET, &a));
	ASSERT_EQ(E2BIG, errno);	/* key length */
	a.key_len = 1;
	ASSERT_EQ(-1, ioctl(self->fd, KCACHE_IOC_SET, &a));
	ASSERT_EQ(E2BIG, errno);	/* value length, before the NULL key */
	a.val_len = 1;
	ASSERT_EQ(-1, ioctl(self->fd, KCACHE_IOC_SET, &a));
	ASSERT_EQ(EFAULT, errno);	/* key pointer */
	a.key = p2u("k");
	ASSERT_EQ(-1, ioctl(self->fd, KCACHE_IOC_SET, &a));
	ASSERT_EQ(EFAULT, errno);	/* value pointer */
	ASSERT_EQ(0, destroy(self->ctl, self->name));
	ASSERT_EQ(-1, ioctl(self->fd, KCACHE_IOC_SET, &a));
	ASSERT_EQ(EFAULT, errno);	/* pointers before the destroyed cache */
	a.val = p2u("v");
	ASSERT_EQ(-1, ioctl(self->fd, KCACHE_IOC_SET, &a));
	ASSERT_EQ(ESHUTDOWN, errno);
}

/* ---- the control device ---- */

TEST_F(kc, create_errors)
{
	char n[80];
	struct kcache_create_args a = { .size = sizeof(a), .max_bytes = MB };
	int fd;

	ASSERT_EQ(-1, create(self->ctl, self->name, MB, 0600));
	ASSERT_EQ(EEXIST, errno);
	ASSERT_EQ(-1, create(self->ctl, "", MB, 0600));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, create(self->ctl, "bad name", MB, 0600));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, create(self->ctl, "bad/name", MB, 0600));
	ASSERT_EQ(EINVAL, errno);
	memset(n, 'a', 65);
	n[65] = 0;
	ASSERT_EQ(-1, create(self->ctl, n, MB, 0600));
	ASSERT_EQ(EINVAL, errno);
	snprintf(n, sizeof(n), "%s-x0", self->name);
	ASSERT_EQ(-1, create(self->ctl, n, MB, 01000));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, create(self->ctl, n, MB, 0700));
	ASSERT_EQ(EINVAL, errno);
	/* no NUL in the field, garbage after the NUL */
	memset(a.name, 'a', sizeof(a.name));
	ASSERT_EQ(-1, ioctl(self->ctl, KCACHE_IOC_CREATE, &a));
	ASSERT_EQ(EINVAL, errno);
	set_name(a.name, n);
	a.name[sizeof(a.name) - 1] = 'x';
	ASSERT_EQ(-1, ioctl(self->ctl, KCACHE_IOC_CREATE, &a));
	ASSERT_EQ(EINVAL, errno);
	set_name(a.name, n);
	a.policy = 99;
	ASSERT_EQ(-1, ioctl(self->ctl, KCACHE_IOC_CREATE, &a));
	ASSERT_EQ(EINVAL, errno);
	/* over the module's max_total_bytes */
	a.policy = KCACHE_POLICY_LRU_ABI;
	a.max_bytes = 1ULL << 60;
	ASSERT_EQ(-1, ioctl(self->ctl, KCACHE_IOC_CREATE, &a));
	ASSERT_EQ(ENOMEM, errno);
	/* the longest name works */
	memset(n, 'b', 64);
	n[64] = 0;
	fd = create(self->ctl, n, MB, 0600);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, destroy(self->ctl, n));
	close(fd);
}

TEST_F(kc, open_errors)
{
	struct kcache_open_args a = { .size = sizeof(a) };

	set_name(a.name, self->name);
	ASSERT_EQ(-1, ioctl(self->ctl, KCACHE_IOC_OPEN, &a));
	ASSERT_EQ(EINVAL, errno);	/* no right asked */
	a.flags = 4;
	ASSERT_EQ(-1, ioctl(self->ctl, KCACHE_IOC_OPEN, &a));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, open_cache(self->ctl, "absent-cache", KCACHE_OPEN_READ));
	ASSERT_EQ(ENOENT, errno);
	ASSERT_EQ(-1, open_cache(self->ctl, "bad name", KCACHE_OPEN_READ));
	ASSERT_EQ(EINVAL, errno);
}

TEST_F(kc, destroy_then_name_free_and_old_fd_eshutdown)
{
	struct kcache_stats_args s = { .size = sizeof(s) };
	struct kcache_info_args in = { .size = sizeof(in) };
	struct kcache_dump_args d = { .size = sizeof(d), .buf = p2u(scratch),
				      .buf_len = sizeof(scratch) };
	struct kcache_invalidate_args iv = { .size = sizeof(iv) };
	struct kcache_nop_args nop = { .size = sizeof(nop) };
	struct kcache_mget_args mg = { .size = sizeof(mg) };
	struct kcache_mset_args ms = { .size = sizeof(ms) };
	struct kcache_mget_args mgl = { .size = sizeof(mgl), .flags = KCACHE_MGETF_LEASE,
					.tokens = p2u(scratch) };
	struct kcache_load_config_args lc = { .size = sizeof(lc),
					      .flags = KCACHE_LOAD_CONFIG_SET };
	uint32_t vl = 16;
	int fd2;

	ASSERT_EQ(0, destroy(self->ctl, self->name));
	ASSERT_EQ(-1, destroy(self->ctl, self->name));
	ASSERT_EQ(ENOENT, errno);
	ASSERT_EQ(-1, open_cache(self->ctl, self->name, KCACHE_OPEN_READ));
	ASSERT_EQ(ENOENT, errno);
	ASSERT_EQ(-1, get(self->fd, "k", 1, scratch, &vl, NULL));
	ASSERT_EQ(ESHUTDOWN, errno);
	ASSERT_EQ(-1, set(self->fd, "k", 1, "v", 1, 0));
	ASSERT_EQ(ESHUTDOWN, errno);
	ASSERT_EQ(-1, ioctl(self->fd, KCACHE_IOC_STATS, &s));
	ASSERT_EQ(ESHUTDOWN, errno);
	ASSERT_EQ(-1, ioctl(self->fd, KCACHE_IOC_INFO, &in));
	ASSERT_EQ(ESHUTDOWN, errno);
	ASSERT_EQ(-1, ioctl(self->fd, KCACHE_IOC_DUMP, &d));
	ASSERT_EQ(ESHUTDOWN, errno);
	ASSERT_EQ(-1, ioctl(self->fd, KCACHE_IOC_INVALIDATE, &iv));
	ASSERT_EQ(ESHUTDOWN, errno);
	/* batches of no items too: nothing to do, but the cache is gone */
	ASSERT_EQ(-1, ioctl(self->fd, KCACHE_IOC_MGET, &mg));
	ASSERT_EQ(ESHUTDOWN, errno);
	ASSERT_EQ(-1, ioctl(self->fd, KCACHE_IOC_MSET, &ms));
	ASSERT_EQ(ESHUTDOWN, errno);
	ASSERT_EQ(-1, ioctl(self->fd, KCACHE_IOC_MGET, &mgl));
	ASSERT_EQ(ESHUTDOWN, errno);
	/* the bounds come before the cache's state */
	ASSERT_EQ(-1, ioctl(self->fd, KCACHE_IOC_LOAD_CONFIG, &lc));
	ASSERT_EQ(EINVAL, errno);
	lc.lease_ns = 1000000000;
	ASSERT_EQ(-1, ioctl(self->fd, KCACHE_IOC_LOAD_CONFIG, &lc));
	ASSERT_EQ(ESHUTDOWN, errno);
	ASSERT_EQ(0, ioctl(self->fd, KCACHE_IOC_NOP, &nop));
	/* a new cache of the same name is a different cache */
	fd2 = create(self->ctl, self->name, MB, 0600);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, ioctl(fd2, KCACHE_IOC_STATS, &s));
	ASSERT_EQ(0, s.counters.entries);
	ASSERT_EQ(-1, ioctl(self->fd, KCACHE_IOC_STATS, &s));
	ASSERT_EQ(ESHUTDOWN, errno);
	close(fd2);
}

TEST_F(kc, list)
{
	struct kcache_list_record *r;
	struct kcache_list_args a = { .size = sizeof(a), .record_size = sizeof(*r) };
	uint32_t i, n;
	int found = 0;
	uint8_t *big;
	size_t rs;

	ASSERT_EQ(-1, ioctl(self->ctl, KCACHE_IOC_LIST, &a));
	ASSERT_EQ(EMSGSIZE, errno);
	ASSERT_LE(1, a.nr);
	n = a.nr;
	r = calloc(n, sizeof(*r));
	a.records = p2u(r);
	ASSERT_EQ(0, ioctl(self->ctl, KCACHE_IOC_LIST, &a));
	ASSERT_EQ(n, a.nr);
	for (i = 0; i < n; i++) {
		if (strcmp(r[i].name, self->name))
			continue;
		found++;
		EXPECT_EQ(1, r[i].counters.entries);
		EXPECT_EQ(0600, r[i].mode);
		EXPECT_EQ(getuid(), r[i].uid);
	}
	ASSERT_EQ(1, found);
	/* bigger records: the tail is zeroed */
	rs = sizeof(*r) + 16;
	big = malloc(n * rs);
	memset(big, 0xff, n * rs);
	a.records = p2u(big);
	a.record_size = rs;
	a.nr = n;
	ASSERT_EQ(0, ioctl(self->ctl, KCACHE_IOC_LIST, &a));
	ASSERT_EQ(0, big[rs - 1]);
	ASSERT_EQ(0, big[sizeof(*r)]);
	free(big);
	a.record_size = KCACHE_LIST_RECORD_SIZE_VER0 - 1;
	ASSERT_EQ(-1, ioctl(self->ctl, KCACHE_IOC_LIST, &a));
	ASSERT_EQ(EINVAL, errno);
	a.record_size = 4097;
	ASSERT_EQ(-1, ioctl(self->ctl, KCACHE_IOC_LIST, &a));
	ASSERT_EQ(E2BIG, errno);
	a.record_size = sizeof(*r);
	a.records = p2u(KPTR);
	ASSERT_EQ(-1, ioctl(self->ctl, KCACHE_IOC_LIST, &a));
	ASSERT_EQ(EFAULT, errno);
	free(r);
}

static int list_page(int ctl, struct kcache_list_record *r, uint32_t *nr, uint64_t *cursor)
{
	struct kcache_list_args a = { .size = sizeof(a), .flags = KCACHE_LIST_CONTINUE,
				      .records = p2u(r), .nr = *nr, .record_size = sizeof(*r),
				      .cursor = *cursor };
	int ret = ioctl(ctl, KCACHE_IOC_LIST, &a);

	if (!ret) {
		*nr = a.nr;
		*cursor = a.cursor;
	}
	return ret;
}

/*
 * LIST in pages of two: each of eight caches is listed once, in creation order, although
 * every page's caches are destroyed before the next page is asked for (a cursor that
 * counted places would skip the caches that moved up).
 */
TEST_F(kc, list_continue_lists_each_cache_once_in_order)
{
	struct kcache_list_record r[2];
	char names[8][80];
	int fds[8], seen[8] = { 0 }, last = -1, pages = 0, bad, i;
	uint64_t cursor = 0, was;
	uint32_t nr, j;

	for (i = 0; i < 8; i++) {
		snprintf(names[i], sizeof(names[i]), "%s-x%d", self->name, i);
		fds[i] = create(self->ctl, names[i], MB, 0600);
		ASSERT_LE(0, fds[i]) TH_LOG("create %s: %s", names[i], strerror(errno));
		close(fds[i]);
	}
	do {
		nr = 2;
		ASSERT_EQ(0, list_page(self->ctl, r, &nr, &cursor)) TH_LOG("%s", strerror(errno));
		ASSERT_GE(2, nr);
		for (j = 0; j < nr; j++) {
			for (i = 0; i < 8 && strcmp(r[j].name, names[i]); i++)
				;
			if (i == 8)
				continue;
			seen[i]++;
			EXPECT_LT(last, i) TH_LOG("%s after %s", names[i], names[last]);
			last = i;
			ASSERT_EQ(0, destroy(self->ctl, names[i]));
		}
		ASSERT_GT(100, ++pages);
	} while (nr == 2);
	for (i = 0, bad = 0; i < 8; i++) {
		if (seen[i] != 1) {
			TH_LOG("%s listed %d times", names[i], seen[i]);
			bad++;
		}
	}
	EXPECT_EQ(0, bad);
	/* past the end: an empty page, and the cursor stays */
	was = cursor;
	nr = 2;
	ASSERT_EQ(0, list_page(self->ctl, r, &nr, &cursor));
	EXPECT_EQ(0, nr);
	EXPECT_EQ(was, cursor);
}

TEST_F(kc, list_continue_errors)
{
	static struct kcache_list_record big[KCACHE_LIST_MAX + 1];
	struct kcache_list_record r[4];
	struct kcache_list_args a = { .size = sizeof(a), .flags = KCACHE_LIST_CONTINUE,
				      .records = p2u(r), .nr = 4, .record_size = sizeof(*r) };
	struct kcache_version v = { .size = sizeof(v) };

	ASSERT_EQ(0, ioctl(self->ctl, KCACHE_IOC_VERSION, &v));
	EXPECT_NE(0, v.features & KCACHE_FEATURE_LIST_CONTINUE);
	/* a page of nothing could never move on; nor could a struct without the cursor */
	a.nr = 0;
	ASSERT_EQ(-1, ioctl(self->ctl, KCACHE_IOC_LIST, &a));
	ASSERT_EQ(EINVAL, errno);
	a.nr = 4;
	a.size = KCACHE_LIST_ARGS_SIZE_VER0;
	ASSERT_EQ(-1, ioctl(self->ctl, KCACHE_IOC_LIST, &a));
	ASSERT_EQ(EINVAL, errno);
	a.size = sizeof(a);
	a.flags = KCACHE_LIST_CONTINUE << 1;
	ASSERT_EQ(-1, ioctl(self->ctl, KCACHE_IOC_LIST, &a));
	ASSERT_EQ(EINVAL, errno);
	/* without the flag the cursor is ignored (the listing starts at the first cache) */
	a.flags = 0;
	a.nr = 0;
	a.cursor = ~0ULL;
	ASSERT_EQ(-1, ioctl(self->ctl, KCACHE_IOC_LIST, &a));
	ASSERT_EQ(EMSGSIZE, errno);
	EXPECT_LE(1, a.nr);
	EXPECT_EQ(~0ULL, a.cursor);
	/* a cursor past every cache: an empty page */
	a.flags = KCACHE_LIST_CONTINUE;
	a.nr = 4;
	ASSERT_EQ(0, ioctl(self->ctl, KCACHE_IOC_LIST, &a));
	EXPECT_EQ(0, a.nr);
	EXPECT_EQ(~0ULL, a.cursor);
	/*
	 * A page larger than one call fills would come back short with caches left, and a
	 * short page means the end: refused, before anything is filled.
	 */
	a.records = p2u(big);
	a.nr = KCACHE_LIST_MAX + 1;
	a.cursor = 0;
	ASSERT_EQ(-1, ioctl(self->ctl, KCACHE_IOC_LIST, &a));
	ASSERT_EQ(E2BIG, errno);
	EXPECT_EQ(KCACHE_LIST_MAX + 1, a.nr);
	EXPECT_EQ(0, a.cursor);
	a.nr = KCACHE_LIST_MAX;
	ASSERT_EQ(0, ioctl(self->ctl, KCACHE_IOC_LIST, &a)) TH_LOG("%s", strerror(errno));
	EXPECT_LE(1, a.nr);
	EXPECT_NE(0, a.cursor);
}

/*
 * Each LIST check alone and in the documented order: flags, then the lengths in struct
 * order (@nr, then @record_size), then the records' pointer.
 */
TEST_F(kc, list_checks_ordering)
{
	struct kcache_list_args a = { .size = sizeof(a), .flags = KCACHE_LIST_CONTINUE << 1,
				      .records = p2u(KPTR), .nr = 0, .record_size = 1 };

	ASSERT_EQ(-1, ioctl(self->ctl, KCACHE_IOC_LIST, &a));
	ASSERT_EQ(EINVAL, errno);	/* unknown flag */
	a.flags = KCACHE_LIST_CONTINUE;
	a.record_size = 4097;
	ASSERT_EQ(-1, ioctl(self->ctl, KCACHE_IOC_LIST, &a));
	ASSERT_EQ(EINVAL, errno);	/* a page of nothing, before record_size */
	a.nr = KCACHE_LIST_MAX + 1;
	a.record_size = 1;
	ASSERT_EQ(-1, ioctl(self->ctl, KCACHE_IOC_LIST, &a));
	ASSERT_EQ(E2BIG, errno);	/* nr above the bound, before record_size */
	a.nr = KCACHE_LIST_MAX;
	ASSERT_EQ(-1, ioctl(self->ctl, KCACHE_IOC_LIST, &a));
	ASSERT_EQ(EINVAL, errno);	/* record_size below the first */
	a.record_size = 4097;
	ASSERT_EQ(-1, ioctl(self->ctl, KCACHE_IOC_LIST, &a));
	ASSERT_EQ(E2BIG, errno);	/* record_size above the bound */
	a.record_size = sizeof(struct kcache_list_record);
	ASSERT_EQ(-1, ioctl(self->ctl, KCACHE_IOC_LIST, &a));
	ASSERT_EQ(EFAULT, errno);	/* the records, last */
}

/* ---- binary data ---- */

TEST_F(kc, binary_keys_and_values_all_bytes)
{
	uint8_t key[256], val[256], out[256];
	uint32_t vl;
	int i;

	for (i = 0; i < 256; i++) {
		key[i] = i;
		val[i] = i;
	}
	ASSERT_EQ(0, set(self->fd, key, 256, val, 256, 0));
	vl = sizeof(out);
	ASSERT_EQ(0, get(self->fd, key, 256, out, &vl, NULL));
	ASSERT_EQ(256, vl);
	ASSERT_EQ(0, memcmp(val, out, 256));
	/* every one-byte key, NUL included, is its own key */
	for (i = 0; i < 256; i++) {
		uint8_t k = i, v = 255 - i;

		ASSERT_EQ(0, set(self->fd, &k, 1, &v, 1, 0));
	}
	for (i = 0; i < 256; i++) {
		uint8_t k = i, v;

		vl = 1;
		ASSERT_EQ(0, get(self->fd, &k, 1, &v, &vl, NULL));
		ASSERT_EQ(255 - i, v);
	}
}

/* Key @e (0..2) of @len bytes: 'k's, or with its first or its last byte changed */
static void klen_key(uint8_t *key, uint32_t len, uint32_t e)
{
	memset(key, 'k', len);
	if (e == 1)
		key[0] = 'f';
	else if (e == 2)
		key[len - 1] = 'l';
}

/* Its value: @len bytes, every one of them different for each of the three keys */
static void klen_val(uint8_t *val, uint32_t len, uint32_t e)
{
	uint32_t i;

	for (i = 0; i < len; i++)
		val[i] = 'a' + (e * 7 + i + len) % 26;
}

/*
 * Keys and values of every length the word copies split differently (up to past the GET's
 * 64-byte stack key and two 16-byte turns of the value copy), each key a neighbour of
 * others that differ only in their first or last byte, stored and read back through GET,
 * GET into an exact buffer and MGET. Keys, values and buffers lie against inaccessible
 * pages, both at the start and at the end of theirs: a copy that read or wrote one byte
 * outside them would fault (-EFAULT), and one that moved one byte too few would mix keys
 * up or change a value.
 */
TEST_F(kc, every_key_and_value_length)
{
	long page = sysconf(_SC_PAGESIZE);
	uint8_t *map = mmap(NULL, 3 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			    -1, 0);
	uint8_t *key, *val, *out, *data = map + page, want[84];
	uint32_t len, vl, e, done, at;
	struct kcache_batch_item it;

	ASSERT_NE(MAP_FAILED, map);
	ASSERT_EQ(0, mprotect(map, page, PROT_NONE));
	ASSERT_EQ(0, mprotect(map + 2 * page, page, PROT_NONE));
	for (at = 0; at < 2; at++) {
		for (len = 1; len <= sizeof(want); len++) {
			/* at 0: the key starts the page and the value ends it; at 1 the reverse */
			key = at ? data + page - len : data;
			val = at ? data : data + page - len;
			for (e = 0; e < 3; e++) {
				klen_key(key, len, e);
				klen_val(val, len, e);
				ASSERT_EQ(0, set(self->fd, key, len, val, len, 0))
					TH_LOG("set len %u e %u at %u", len, e, at);
			}
		}
		for (len = 1; len <= sizeof(want); len++) {
			key = at ? data + page - len : data;
			out = at ? data : data + page - len;
			for (e = 0; e < 3; e++) {
				klen_key(key, len, e);
				klen_val(want, len, e);
				memset(out, 0xee, at ? len + 1 : len);
				vl = len;
				ASSERT_EQ(0, get(self->fd, key, len, out, &vl, NULL))
					TH_LOG("get len %u e %u at %u", len, e, at);
				ASSERT_EQ(len, vl);
				ASSERT_EQ(0, memcmp(want, out, len)) TH_LOG("len %u e %u", len, e);
				if (at)
					ASSERT_EQ(0xee, out[len]);
				memset(&it, 0, sizeof(it));
				it.key_len = len;
				memset(out, 0xee, len);
				ASSERT_EQ(0, kcache_mget(self->fd, &it, 1, key, out, len, &done));
				ASSERT_EQ(1, done);
				ASSERT_EQ(0, it.status);
				ASSERT_EQ(len, it.val_len);
				ASSERT_EQ(0, memcmp(want, out, len))
					TH_LOG("mget len %u e %u", len, e);
			}
		}
	}
	munmap(map, 3 * page);
}

TEST_F(kc, one_mib_value)
{
	uint8_t *v = malloc(MB), *o = malloc(MB + 1);
	uint32_t vl = MB + 1, i;

	for (i = 0; i < MB; i++)
		v[i] = i * 2654435761U >> 24;
	ASSERT_EQ(0, set(self->fd, "mib", 3, v, MB, 0));
	ASSERT_EQ(0, get(self->fd, "mib", 3, o, &vl, NULL));
	ASSERT_EQ(MB, vl);
	ASSERT_EQ(0, memcmp(v, o, MB));
	free(v);
	free(o);
}

/*
 * Values of the lengths where the value copy changes shape (byte steps, one and two
 * 16-byte turns, an overlapping last turn, the copy under RCU and the one from a pinned
 * entry past a page), read by GET and MGET into a buffer that ends where an unmapped page
 * begins. No store may land before the buffer or past the value; a buffer whose last byte
 * of value would fall in the unmapped page fails with -EFAULT, and GET then leaves its out
 * fields as they were (they are written back on success and on -EMSGSIZE only).
 */
TEST_F(kc, value_lengths_against_an_unmapped_page)
{
	static const uint32_t lens[] = { 0, 1, 7, 8, 15, 16, 17, 31, 32, 33, 63, 64, 65,
					 4095, 4096, 4097, 8191 };
	long page = sysconf(_SC_PAGESIZE);
	size_t span = 8192 + 2 * page;
	uint8_t *map = mmap(NULL, span + page, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint8_t *end = map + span, *out, want[8192];
	struct kcache_batch_item it;
	struct kcache_get_args a;
	uint32_t len, i, j, done;

	ASSERT_NE(MAP_FAILED, map);
	ASSERT_EQ(0, mprotect(end, page, PROT_NONE));
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		len = lens[i];
		for (j = 0; j < len; j++)
			want[j] = j * 7 + len;
		ASSERT_EQ(0, set(self->fd, "edge", 4, want, len, 0)) TH_LOG("len %u", len);
		out = end - len;
		memset(map, 0xee, span);
		/* exact, then a buffer said to be larger that runs into the unmapped page */
		for (j = 0; j < 2; j++) {
			a = (struct kcache_get_args){ .size = sizeof(a), .key = p2u("edge"),
						      .val = p2u(out), .key_len = 4,
						      .val_len = len + j * 100 };
			ASSERT_EQ(0, ioctl(self->fd, KCACHE_IOC_GET, &a)) TH_LOG("len %u", len);
			ASSERT_EQ(len, a.val_len);
			ASSERT_NE(0, a.version);
			ASSERT_EQ(0, memcmp(want, out, len)) TH_LOG("len %u", len);
			ASSERT_EQ(0xee, out[-1]) TH_LOG("len %u: a store before the buffer", len);
		}
		memset(&it, 0, sizeof(it));
		it.key_len = 4;
		memset(map, 0xee, span);
		ASSERT_EQ(0, kcache_mget(self->fd, &it, 1, "edge", out, len + 100, &done));
		ASSERT_EQ(1, done);
		ASSERT_EQ(0, it.status);
		ASSERT_EQ(len, it.val_len);
		ASSERT_EQ(0, it.val_off);
		ASSERT_EQ(0, memcmp(want, out, len)) TH_LOG("mget len %u", len);
		ASSERT_EQ(0xee, out[-1]) TH_LOG("mget len %u: a store before the buffer", len);
		if (!len)
			continue;
		/* one byte later: the value's last byte would be in the unmapped page */
		memset(map, 0xee, span);
		a = (struct kcache_get_args){ .size = sizeof(a), .key = p2u("edge"),
					      .val = p2u(out + 1), .key_len = 4,
					      .val_len = len + 5, .version = 0x5a5a };
		ASSERT_EQ(-1, ioctl(self->fd, KCACHE_IOC_GET, &a)) TH_LOG("len %u", len);
		ASSERT_EQ(EFAULT, errno);
		ASSERT_EQ(len + 5, a.val_len);
		ASSERT_EQ(0x5a5a, a.version);
		ASSERT_EQ(0xee, out[0]) TH_LOG("len %u: a store before the buffer", len);
		ASSERT_EQ(-EFAULT, kcache_mget(self->fd, &it, 1, "edge", out + 1, len, &done));
	}
	munmap(map, span + page);
}

/*
 * MGET whose value block ends at an unmapped page: a value that fits the block's stated
 * size but lies partly in that page fails the call with -EFAULT; one that does not fit
 * the stated size gets -EMSGSIZE, and a later one that fits is still packed after the
 * earlier hits, nothing written past the stated size.
 */
TEST_F(kc, mget_value_block_against_an_unmapped_page)
{
	long page = sysconf(_SC_PAGESIZE);
	uint8_t *map = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct kcache_batch_item it[3];
	uint8_t *end = map + page, *blk;
	char v33[33];
	uint32_t done, i;

	ASSERT_NE(MAP_FAILED, map);
	ASSERT_EQ(0, mprotect(end, page, PROT_NONE));
	memset(v33, 'm', sizeof(v33));
	ASSERT_EQ(0, set(self->fd, "m0", 2, "01234567", 8, 0));
	ASSERT_EQ(0, set(self->fd, "m1", 2, v33, 33, 0));
	ASSERT_EQ(0, set(self->fd, "m2", 2, "z", 1, 0));
	/* room for m0 and 32 bytes of m1 before the unmapped page, 64 bytes said */
	blk = end - 40;
	memset(it, 0, sizeof(it));
	for (i = 0; i < 3; i++) {
		it[i].key_len = 2;
		it[i].status = 12345;
	}
	ASSERT_EQ(-EFAULT, kcache_mget(self->fd, it, 3, "m0m1m2", blk, 64, &done));
	ASSERT_EQ(0, memcmp(blk, "01234567", 8));
	/* the item array is not written back (Documentation/userspace-api.rst) */
	for (i = 0; i < 3; i++)
		ASSERT_EQ(12345, it[i].status);
	/* the same block said to be 40 bytes: m1 does not fit, m2 follows m0 */
	memset(map, 0xee, page);
	memset(it, 0, sizeof(it));
	for (i = 0; i < 3; i++)
		it[i].key_len = 2;
	ASSERT_EQ(0, kcache_mget(self->fd, it, 3, "m0m1m2", blk, 40, &done));
	ASSERT_EQ(2, done);
	ASSERT_EQ(0, it[0].status);
	ASSERT_EQ(0, it[0].val_off);
	ASSERT_EQ(8, it[0].val_len);
	ASSERT_EQ(-EMSGSIZE, it[1].status);
	ASSERT_EQ(33, it[1].val_len);
	ASSERT_NE(0, it[1].version);
	ASSERT_EQ(0, it[2].status);
	ASSERT_EQ(8, it[2].val_off);
	ASSERT_EQ(1, it[2].val_len);
	ASSERT_EQ(0, memcmp(blk, "01234567z", 9));
	for (i = 9; i < 40; i++)
		ASSERT_EQ(0xee, blk[i]) TH_LOG("byte %u of the block written", i);
	ASSERT_EQ(0xee, blk[-1]);
	/* a miss where the value would cross: nothing to write, the call succeeds */
	memset(it, 0, sizeof(it));
	for (i = 0; i < 3; i++)
		it[i].key_len = 2;
	ASSERT_EQ(0, kcache_mget(self->fd, it, 3, "m0x1m2", blk, 64, &done));
	ASSERT_EQ(2, done);
	ASSERT_EQ(-ENOENT, it[1].status);
	ASSERT_EQ(0, it[1].val_len);
	ASSERT_EQ(0, it[1].version);
	munmap(map, 2 * page);
}

/*
 * Each data-path struct at its first published size, ending where an unmapped page
 * begins: the kernel reads and writes back only the bytes that size covers (GET's common
 * case reads the struct at its full size in one window: it must not do so for a smaller
 * one), with keys of the stack buffer's length (256) and one more, and of 63 to 65 bytes,
 * at the same kind of edge.
 */
TEST_F(kc, first_size_structs_and_keys_against_an_unmapped_page)
{
	long page = sysconf(_SC_PAGESIZE);
	uint8_t *map = mmap(NULL, 4 * page, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint8_t *send = map + page, *kend = map + 3 * page, *key;
	uint32_t klens[] = { 63, 64, 65, 255, 256, 257 }, i;
	struct kcache_get_args *g;
	struct kcache_set_args *s;
	struct kcache_del_args *d;
	struct kcache_cas_args *c;
	char val[8];
	uint64_t ver;

	ASSERT_NE(MAP_FAILED, map);
	ASSERT_EQ(0, mprotect(send, page, PROT_NONE));
	ASSERT_EQ(0, mprotect(kend, page, PROT_NONE));
	for (i = 0; i < ARRAY_SIZE(klens); i++) {
		key = kend - klens[i];
		memset(key, 'q', klens[i]);
		key[klens[i] - 1] = '0' + i;

		s = (void *)(send - KCACHE_SET_ARGS_SIZE_VER0);
		memset(s, 0, KCACHE_SET_ARGS_SIZE_VER0);
		s->size = KCACHE_SET_ARGS_SIZE_VER0;
		s->key = p2u(key);
		s->key_len = klens[i];
		s->val = p2u("value");
		s->val_len = 5;
		ASSERT_EQ(0, ioctl(self->fd, KCACHE_IOC_SET, s)) TH_LOG("klen %u", klens[i]);
		ASSERT_NE(0, s->version);
		ver = s->version;	/* the structs overlap: each ends at the page's end */

		g = (void *)(send - KCACHE_GET_ARGS_SIZE_VER0);
		memset(g, 0, KCACHE_GET_ARGS_SIZE_VER0);
		g->size = KCACHE_GET_ARGS_SIZE_VER0;
		g->key = p2u(key);
		g->key_len = klens[i];
		g->val = p2u(val);
		g->val_len = sizeof(val);
		ASSERT_EQ(0, ioctl(self->fd, KCACHE_IOC_GET, g)) TH_LOG("klen %u", klens[i]);
		ASSERT_EQ(5, g->val_len);
		ASSERT_EQ(0, memcmp(val, "value", 5));
		ASSERT_EQ(ver, g->version);

		c = (void *)(send - KCACHE_CAS_ARGS_SIZE_VER0);
		memset(c, 0, KCACHE_CAS_ARGS_SIZE_VER0);
		c->size = KCACHE_CAS_ARGS_SIZE_VER0;
		c->key = p2u(key);
		c->key_len = klens[i];
		c->val = p2u("v2");
		c->val_len = 2;
		c->expected = ver;
		ASSERT_EQ(0, ioctl(self->fd, KCACHE_IOC_CAS, c)) TH_LOG("klen %u", klens[i]);
		ASSERT_LT(c->expected, c->version);

		d = (void *)(send - KCACHE_DEL_ARGS_SIZE_VER0);
		memset(d, 0, KCACHE_DEL_ARGS_SIZE_VER0);
		d->size = KCACHE_DEL_ARGS_SIZE_VER0;
		d->key = p2u(key);
		d->key_len = klens[i];
		ASSERT_EQ(0, ioctl(self->fd, KCACHE_IOC_DEL, d)) TH_LOG("klen %u", klens[i]);
		ASSERT_EQ(-1, ioctl(self->fd, KCACHE_IOC_DEL, d));
		ASSERT_EQ(ENOENT, errno);
		/* GET's out fields are left alone on a miss */
		memset(g, 0, KCACHE_GET_ARGS_SIZE_VER0);
		g->size = KCACHE_GET_ARGS_SIZE_VER0;
		g->key = p2u(key);
		g->key_len = klens[i];
		g->val = p2u(val);
		g->val_len = sizeof(val);
		g->version = 0x5a5a;
		ASSERT_EQ(-1, ioctl(self->fd, KCACHE_IOC_GET, g));
		ASSERT_EQ(ENOENT, errno);
		ASSERT_EQ(sizeof(val), g->val_len);
		ASSERT_EQ(0x5a5a, g->version);
	}
	munmap(map, 4 * page);
}

/*
 * Pages that are mapped but not in memory: the value copies that run with page faults
 * disabled (GET's and MGET's under RCU, SET's straight into the new entry) fault on them
 * and must fall back to a copy with faults allowed, not fail. A shared memfd mapping,
 * made anew each time, has no page table entries until touched.
 */
TEST_F(kc, value_copies_through_pages_not_yet_mapped)
{
	static const uint32_t lens[] = { 1, 16, 33, 4096, 8000 };
	long page = sysconf(_SC_PAGESIZE);
	int mfd = memfd_create("kcache-abi", 0);
	uint8_t want[8192], got[8192], *m;
	struct kcache_batch_item it;
	uint32_t len, i, j, vl, done;

	ASSERT_LE(0, mfd);
	ASSERT_EQ(0, ftruncate(mfd, 4 * page));
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		len = lens[i];
		for (j = 0; j < len; j++)
			want[j] = j * 13 + len;
		/* SET from a fresh mapping of the value */
		ASSERT_EQ((ssize_t)len, pwrite(mfd, want, len, 0));
		m = mmap(NULL, 4 * page, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
		ASSERT_NE(MAP_FAILED, m);
		ASSERT_EQ(0, set(self->fd, "nm", 2, m, len, 0)) TH_LOG("len %u", len);
		munmap(m, 4 * page);
		/* GET into a fresh mapping */
		ASSERT_EQ(0, ftruncate(mfd, 0));
		ASSERT_EQ(0, ftruncate(mfd, 4 * page));
		m = mmap(NULL, 4 * page, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
		ASSERT_NE(MAP_FAILED, m);
		vl = len;
		ASSERT_EQ(0, get(self->fd, "nm", 2, m + page - 1, &vl, NULL)) TH_LOG("len %u", len);
		ASSERT_EQ(len, vl);
		munmap(m, 4 * page);
		ASSERT_EQ((ssize_t)len, pread(mfd, got, len, page - 1));
		ASSERT_EQ(0, memcmp(want, got, len)) TH_LOG("get len %u", len);
		/* MGET into a fresh mapping */
		ASSERT_EQ(0, ftruncate(mfd, 0));
		ASSERT_EQ(0, ftruncate(mfd, 4 * page));
		m = mmap(NULL, 4 * page, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
		ASSERT_NE(MAP_FAILED, m);
		memset(&it, 0, sizeof(it));
		it.key_len = 2;
		ASSERT_EQ(0, kcache_mget(self->fd, &it, 1, "nm", m + 3, len, &done));
		ASSERT_EQ(1, done);
		ASSERT_EQ(0, it.status);
		munmap(m, 4 * page);
		ASSERT_EQ((ssize_t)len, pread(mfd, got, len, 3));
		ASSERT_EQ(0, memcmp(want, got, len)) TH_LOG("mget len %u", len);
	}
	close(mfd);
}

/* ---- batches ---- */

TEST_F(kc, mset_mget_mixed_hits_and_misses)
{
	struct kcache_batch_item it[8];
	struct kcache_mset_args ms = { .size = sizeof(ms) };
	struct kcache_mget_args mg = { .size = sizeof(mg) };
	char keys[64], vals[256];
	int i, kl = 0, vlen = 0;

	/* store b0..b3 with values of 1..4 bytes */
	memset(it, 0, sizeof(it));
	for (i = 0; i < 4; i++) {
		kl += sprintf(keys + kl, "b%d", i);
		it[i].key_len = 2;
		it[i].val_len = i + 1;
		memset(vals + vlen, 'a' + i, i + 1);
		vlen += i + 1;
	}
	ms.items = p2u(it);
	ms.keys = p2u(keys);
	ms.vals = p2u(vals);
	ms.nr = 4;
	ms.vals_len = vlen;
	ASSERT_EQ(0, ioctl(self->fd, KCACHE_IOC_MSET, &ms));
	ASSERT_EQ(4, ms.done);
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(0, it[i].status);
		ASSERT_NE(0, it[i].version);
	}
	/* wrong vals_len */
	ms.vals_len = vlen + 1;
	ASSERT_EQ(-1, ioctl(self->fd, KCACHE_IOC_MSET, &ms));
	ASSERT_EQ(EINVAL, errno);
	/* if-absent: all exist now */
	ms.vals_len = vlen;
	ms.flags = KCACHE_SETF_IF_ABSENT;
	ASSERT_EQ(0, ioctl(self->fd, KCACHE_IOC_MSET, &ms));
	ASSERT_EQ(0, ms.done);
	ASSERT_EQ(-EEXIST, it[0].status);

	/* get b0, x1 (miss), b2, x3 (miss), b3 */
	memset(it, 0, sizeof(it));
	memcpy(keys, "b0x1b2x3b3", 10);
	for (i = 0; i < 5; i++)
		it[i].key_len = 2;
	mg.items = p2u(it);
	mg.keys = p2u(keys);
	mg.vals = p2u(vals);
	mg.nr = 5;
	mg.vals_len = sizeof(vals);
	ASSERT_EQ(0, ioctl(self->fd, KCACHE_IOC_MGET, &mg));
	ASSERT_EQ(3, mg.done);
	ASSERT_EQ(0, it[0].status);
	ASSERT_EQ(1, it[0].val_len);
	ASSERT_EQ(-ENOENT, it[1].status);
	ASSERT_EQ(0, it[2].status);
	ASSERT_EQ(3, it[2].val_len);
	ASSERT_EQ(0, memcmp(vals + it[2].val_off, "ccc", 3));
	ASSERT_EQ(-ENOENT, it[3].status);
	ASSERT_EQ(0, it[4].status);
	ASSERT_EQ(0, memcmp(vals + it[4].val_off, "dddd", 4));
	/* a value block with room for the first two hits only */
	mg.vals_len = 4;
	ASSERT_EQ(0, ioctl(self->fd, KCACHE_IOC_MGET, &mg));
	ASSERT_EQ(2, mg.done);
	ASSERT_EQ(0, it[0].status);
	ASSERT_EQ(0, it[2].status);
	ASSERT_EQ(-EMSGSIZE, it[4].status);
	ASSERT_EQ(4, it[4].val_len);
}

TEST_F(kc, batch_limits)
{
	static struct kcache_batch_item it[KCACHE_BATCH_MAX + 1];
	static char keys[KCACHE_BATCH_MAX * 4];
	struct kcache_mget_args mg = { .size = sizeof(mg), .items = p2u(it), .keys = p2u(keys),
				       .vals = p2u(scratch), .vals_len = sizeof(scratch) };
	int i;

	for (i = 0; i <= KCACHE_BATCH_MAX; i++)
		it[i].key_len = 4;
	mg.nr = KCACHE_BATCH_MAX + 1;
	ASSERT_EQ(-1, ioctl(self->fd, KCACHE_IOC_MGET, &mg));
	ASSERT_EQ(E2BIG, errno);
	mg.nr = 0xffffffff;
	ASSERT_EQ(-1, ioctl(self->fd, KCACHE_IOC_MGET, &mg));
	ASSERT_EQ(E2BIG, errno);
	mg.nr = KCACHE_BATCH_MAX;
	ASSERT_EQ(0, ioctl(self->fd, KCACHE_IOC_MGET, &mg));
	ASSERT_EQ(0, mg.done);
	it[7].key_len = 0;
	ASSERT_EQ(-1, ioctl(self->fd, KCACHE_IOC_MGET, &mg));
	ASSERT_EQ(EINVAL, errno);
	it[7].key_len = KCACHE_KEY_LEN_MAX + 1;
	ASSERT_EQ(-1, ioctl(self->fd, KCACHE_IOC_MGET, &mg));
	ASSERT_EQ(E2BIG, errno);
	it[7].key_len = 4;
	mg.items = p2u(KPTR);
	ASSERT_EQ(-1, ioctl(self->fd, KCACHE_IOC_MGET, &mg));
	ASSERT_EQ(EFAULT, errno);
	mg.items = p2u(it);
	mg.keys = 0;
	ASSERT_EQ(-1, ioctl(self->fd, KCACHE_IOC_MGET, &mg));
	ASSERT_EQ(EFAULT, errno);
	mg.__pad = 1;
	ASSERT_EQ(-1, ioctl(self->fd, KCACHE_IOC_MGET, &mg));
	ASSERT_EQ(EINVAL, errno);
}

/*
 * Batches of several threads on one fd: one of them at a time uses the fd's scratch
 * buffer, the others their own memory, and a batch whose keys do not fit the buffer after
 * its items takes memory for the keys. Every thread stores its own keys and reads them
 * back: each item must hold what that thread stored last.
 */
struct batch_thread {
	int fd;
	int id;
	int bad;	/* items that came back wrong */
	int err;	/* errno of a failed ioctl, 0 if none */
};

#define BT_ITERS	300
#define BT_MAXNR	200

static void *batch_thread_fn(void *arg)
{
	static __thread struct kcache_batch_item it[BT_MAXNR];
	static __thread char keys[BT_MAXNR * 40], vals[BT_MAXNR * 24], out[BT_MAXNR * 24];
	struct batch_thread *bt = arg;
	int iter, i, kl, vl, nr;

	for (iter = 0; iter < BT_ITERS && !bt->err; iter++) {
		struct kcache_mset_args ms = { .size = sizeof(ms) };
		struct kcache_mget_args mg = { .size = sizeof(mg) };

		/* mostly small batches; every 8th one's keys overflow the scratch buffer */
		nr = iter % 8 ? 1 + iter % 16 : BT_MAXNR;
		for (i = 0, kl = 0, vl = 0; i < nr; i++) {
			int k = sprintf(keys + kl, "bt%d-%03d%s", bt->id, i,
					iter % 8 ? "" : "-a-long-key-padding-to-40");
			int v = sprintf(vals + vl, "%d.%d.%d", bt->id, iter, i);

			it[i] = (struct kcache_batch_item){ .key_len = k, .val_len = v };
			kl += k;
			vl += v;
		}
		ms.items = p2u(it);
		ms.keys = p2u(keys);
		ms.vals = p2u(vals);
		ms.nr = nr;
		ms.vals_len = vl;
		if (ioctl(bt->fd, KCACHE_IOC_MSET, &ms)) {
			bt->err = errno;
			break;
		}
		for (i = 0; i < nr; i++)
			it[i] = (struct kcache_batch_item){ .key_len = it[i].key_len };
		mg.items = p2u(it);
		mg.keys = p2u(keys);
		mg.vals = p2u(out);
		mg.nr = nr;
		mg.vals_len = sizeof(out);
		if (ioctl(bt->fd, KCACHE_IOC_MGET, &mg)) {
			bt->err = errno;
			break;
		}
		for (i = 0, vl = 0; i < nr; i++) {
			char want[24];
			int v = sprintf(want, "%d.%d.%d", bt->id, iter, i);

			if (it[i].status || it[i].val_len != (uint32_t)v ||
			    memcmp(out + it[i].val_off, want, v))
				bt->bad++;
		}
	}
	return NULL;
}

TEST_F(kc, batches_of_threads_on_one_fd)
{
	struct batch_thread bt[4];
	pthread_t t[4];
	int i;

	for (i = 0; i < 4; i++) {
		bt[i] = (struct batch_thread){ .fd = self->fd, .id = i };
		ASSERT_EQ(0, pthread_create(&t[i], NULL, batch_thread_fn, &bt[i]));
	}
	for (i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		EXPECT_EQ(0, bt[i].err) TH_LOG("thread %d: %s", i, strerror(bt[i].err));
		EXPECT_EQ(0, bt[i].bad) TH_LOG("thread %d: %d items wrong", i, bt[i].bad);
	}
}

TEST_F(kc, mset_all_validated_before_any_stored)
{
	struct kcache_batch_item it[2] = { { .key_len = 2, .val_len = 1 },
					   { .key_len = 0, .val_len = 1 } };
	struct kcache_mset_args ms = { .size = sizeof(ms), .items = p2u(it),
				       .keys = p2u("n1n2"), .vals = p2u("xy"), .nr = 2,
				       .vals_len = 2 };
	uint32_t vl = 4;

	ASSERT_EQ(-1, ioctl(self->fd, KCACHE_IOC_MSET, &ms));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, get(self->fd, "n1", 2, scratch, &vl, NULL));
	ASSERT_EQ(ENOENT, errno);
}

/* ---- dump ---- */

TEST_F(kc, dump_all_entries_with_cursor)
{
	struct kcache_dump_args d = { .size = sizeof(d), .buf = p2u(scratch) };
	const struct kcache_dump_record *r;
	char k[16];
	int i, seen = 0;

	for (i = 0; i < 20; i++) {
		snprintf(k, sizeof(k), "d%02d", i);
		ASSERT_EQ(0, set(self->fd, k, 3, k, 3, 0));
	}
	/* 21 entries ("k" too); a buffer for 4 records of 16 + 8 bytes each */
	d.buf_len = 4 * 24;
	ASSERT_EQ(0, ioctl(self->fd, KCACHE_IOC_DUMP, &d));
	while (1) {
		r = (const void *)scratch;
		for (i = 0; i < (int)d.nr; i++) {
			ASSERT_GE(3, r->key_len);
			r = (const void *)((const char *)r +
					   KCACHE_DUMP_RECORD_LEN(r->key_len, r->val_len));
		}
		seen += d.nr;
		if (d.done)
			break;
		ASSERT_LT(0, d.nr);
		d.cursor = d.next;
		ASSERT_EQ(0, ioctl(self->fd, KCACHE_IOC_DUMP, &d));
	}
	ASSERT_EQ(21, seen);
	/* too small for one record */
	d.cursor = 0;
	d.buf_len = 8;
	ASSERT_EQ(-1, ioctl(self->fd, KCACHE_IOC_DUMP, &d));
	ASSERT_EQ(EMSGSIZE, errno);
	ASSERT_EQ(24, d.needed);
	d.buf_len = sizeof(scratch);
	d.buf = p2u(KPTR);
	ASSERT_EQ(-1, ioctl(self->fd, KCACHE_IOC_DUMP, &d));
	ASSERT_EQ(EFAULT, errno);
}

/* Walk the records of one DUMP answer: versions strictly increasing, above @after. */
static int dump_records_ok(const void *buf, uint32_t nr, uint64_t after, uint64_t *last)
{
	const struct kcache_dump_record *r = buf;
	uint32_t i;

	for (i = 0; i < nr; i++) {
		if (r->version <= after)
			return 0;
		after = r->version;
		r = (const void *)((const char *)r +
				   KCACHE_DUMP_RECORD_LEN(r->key_len, r->val_len));
	}
	*last = after;
	return 1;
}

TEST_F(kc, dump_versions_ascending_and_cursor_resumes_exactly)
{
	struct kcache_dump_args d = { .size = sizeof(d), .buf = p2u(scratch) };
	uint64_t last = 0, v[3];
	uint32_t vl = sizeof(scratch);
	int calls = 0;

	ASSERT_EQ(0, set(self->fd, "a", 1, "1", 1, 0));
	ASSERT_EQ(0, set(self->fd, "b", 1, "2", 1, 0));
	ASSERT_EQ(0, set(self->fd, "c", 1, "3", 1, 0));
	ASSERT_EQ(0, get(self->fd, "a", 1, scratch + 2048, &vl, &v[0]));
	vl = 16;
	ASSERT_EQ(0, get(self->fd, "c", 1, scratch + 2048, &vl, &v[2]));
	/* one record per call: k, a, b, c in the order they were stored */
	d.buf_len = 24;
	do {
		ASSERT_EQ(0, ioctl(self->fd, KCACHE_IOC_DUMP, &d));
		ASSERT_TRUE(dump_records_ok(scratch, d.nr, d.cursor, &last));
		if (d.nr)
			ASSERT_EQ(last, d.next);
		if (calls == 1)
			ASSERT_EQ(v[0], d.next);
		/* an entry stored behind the cursor is not returned again... */
		if (calls == 2)
			ASSERT_EQ(0, set(self->fd, "k", 1, "w", 1, 0));
		d.cursor = d.next;
		calls++;
	} while (!d.done);
	/* ...except in its new version, after c */
	ASSERT_LT(v[2], last);
	ASSERT_EQ(5, calls);
	/* a cursor past the end: nothing, done */
	d.cursor = last;
	ASSERT_EQ(0, ioctl(self->fd, KCACHE_IOC_DUMP, &d));
	ASSERT_EQ(0, d.nr);
	ASSERT_EQ(1, d.done);
	ASSERT_EQ(last, d.next);
}

TEST_F(kc, dump_one_large_record_fits_whatever_the_statistics)
{
	size_t big = 512 * 1024, len = KCACHE_DUMP_RECORD_LEN(3, big);
	struct kcache_dump_args d = { .size = sizeof(d), .buf_len = len };
	char *val = malloc(big), *buf = malloc(len);

	ASSERT_NE(NULL, val);
	ASSERT_NE(NULL, buf);
	memset(val, 'L', big);
	ASSERT_EQ(0, destroy(self->ctl, self->name));
	close(self->fd);
	self->fd = create(self->ctl, self->name, 8 * MB, 0600);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, set(self->fd, "big", 3, val, big, 0));
	d.buf = p2u(buf);
	ASSERT_EQ(0, ioctl(self->fd, KCACHE_IOC_DUMP, &d));
	ASSERT_EQ(1, d.nr);
	ASSERT_EQ(1, d.done);
	ASSERT_EQ(big, ((struct kcache_dump_record *)buf)->val_len);
	ASSERT_EQ(0, memcmp(buf + 16 + 3, val, big));
	d.buf_len = len - 1;
	ASSERT_EQ(-1, ioctl(self->fd, KCACHE_IOC_DUMP, &d));
	ASSERT_EQ(EMSGSIZE, errno);
	ASSERT_EQ(len, d.needed);
	free(val);
	free(buf);
}

TEST_F(kc, dump_checks_ordering)
{
	struct kcache_dump_args d = { .size = sizeof(d), .flags = 1, .buf = p2u(KPTR),
				      .buf_len = 8 };

	ASSERT_EQ(-1, ioctl(self->wfd, KCACHE_IOC_DUMP, &d));
	ASSERT_EQ(EBADF, errno);		/* rights */
	ASSERT_EQ(-1, ioctl(self->fd, KCACHE_IOC_DUMP, &d));
	ASSERT_EQ(EINVAL, errno);		/* flags */
	d.flags = 0;
	ASSERT_EQ(-1, ioctl(self->fd, KCACHE_IOC_DUMP, &d));
	ASSERT_EQ(EMSGSIZE, errno);		/* nothing fits: the buffer is not touched */
	ASSERT_EQ(24, d.needed);
	d.buf_len = 4096;
	ASSERT_EQ(-1, ioctl(self->fd, KCACHE_IOC_DUMP, &d));
	ASSERT_EQ(EFAULT, errno);		/* copying out */
	ASSERT_EQ(0, destroy(self->ctl, self->name));
	ASSERT_EQ(-1, ioctl(self->fd, KCACHE_IOC_DUMP, &d));
	ASSERT_EQ(ESHUTDOWN, errno);		/* the operation, before copying out */
}

struct grower {
	int fd;
	int n;
	atomic_int finished;
	int stored;
};

/* Store new keys g0, g1, ... so that the table keeps growing (and resizing). */
static void *grow(void *arg)
{
	struct grower *g = arg;
	char k[16];

	for (g->stored = 0; g->stored < g->n; g->stored++) {
		int kl = snprintf(k, sizeof(k), "g%d", g->stored);

		if (set(g->fd, k, kl, "v", 1, 0))
			break;
	}
	atomic_store(&g->finished, 1);
	return NULL;
}

/*
 * DUMP, which any reader may call in a loop, waits for no RCU grace period: it settles
 * its version with the stripe locks, one at a time, not with the write side of the
 * cache's rwsem, which waits for a grace period and holds off every writer meanwhile.
 * The unit is a grace period measured in the same run: membarrier(MEMBARRIER_CMD_GLOBAL)
 * is one synchronize_rcu(). The calls are a few grace periods apart, so that such a
 * write side would have to wait a whole one each time. Both are the shortest of N, taken
 * in turn: a busy host stretches some calls of either (a debug kernel's DUMP takes
 * milliseconds of CPU), not all of them.
 */
TEST_F(kc, dump_waits_no_grace_period)
{
	enum { N = 16 };
	uint64_t t0, t, gp = UINT64_MAX, dump = UINT64_MAX;
	int i, q;

	q = syscall(__NR_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);
	if (q < 0 || !(q & MEMBARRIER_CMD_GLOBAL) || sysconf(_SC_NPROCESSORS_ONLN) < 2)
		SKIP(return, "membarrier() waits for no grace period here");
	for (i = 0; i < N; i++) {
		struct kcache_dump_args d = { .size = sizeof(d), .buf = p2u(scratch),
					      .buf_len = sizeof(scratch) };

		t0 = now_us();
		ASSERT_EQ(0, syscall(__NR_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0));
		t = now_us() - t0;
		gp = t < gp ? t : gp;
		usleep(4 * t);
		t0 = now_us();
		ASSERT_EQ(0, ioctl(self->fd, KCACHE_IOC_DUMP, &d));
		t = now_us() - t0;
		dump = t < dump ? t : dump;
		ASSERT_EQ(1, d.done);
	}
	TH_LOG("shortest of %d: grace period %llu us, DUMP %llu us", N,
	       (unsigned long long)gp, (unsigned long long)dump);
	EXPECT_LT(dump, gp / 2);
}

/*
 * Entries stored before the dump and never modified come exactly once across the calls
 * of a dump, and no version comes twice, in one call or across calls, while another
 * thread grows the table through several resizes.
 */
TEST_F_TIMEOUT(kc, dump_each_entry_once_across_resize, 300)
{
	const int base = 5000;
	struct kcache_create_args c = { .size = sizeof(c), .max_bytes = 64 * MB,
					.max_entries = 200000, .mode = 0600 };
	struct kcache_dump_args d = { .size = sizeof(d) };
	struct kcache_stats_args st = { .size = sizeof(st) };
	struct grower g = { .n = 40000 };
	const struct kcache_dump_record *r;
	uint8_t *seen = calloc(base, 1), *seen_g = calloc(40000, 1);
	size_t buflen = 64 * 1024;
	char *buf = malloc(buflen), k[80];
	uint64_t last = 0;
	pthread_t t;
	int i, calls = 0, grown = 0, fin;

	ASSERT_NE(NULL, seen);
	ASSERT_NE(NULL, seen_g);
	ASSERT_NE(NULL, buf);
	snprintf(k, sizeof(k), "%s-x1", self->name);
	set_name(c.name, k);
	g.fd = ioctl(self->ctl, KCACHE_IOC_CREATE, &c);
	ASSERT_LE(0, g.fd);
	for (i = 0; i < base; i++) {
		int kl = snprintf(k, sizeof(k), "b%d", i);

		ASSERT_EQ(0, set(g.fd, k, kl, "v", 1, 0));
	}
	ASSERT_EQ(0, pthread_create(&t, NULL, grow, &g));
	d.buf = p2u(buf);
	d.buf_len = buflen;
	do {
		/* read before the call: the last call starts after the last store */
		fin = atomic_load(&g.finished);
		ASSERT_EQ(0, ioctl(g.fd, KCACHE_IOC_DUMP, &d));
		/* strictly increasing versions above the cursor: no duplicate anywhere */
		ASSERT_TRUE(dump_records_ok(buf, d.nr, d.cursor, &last));
		for (i = 0, r = (const void *)buf; i < (int)d.nr; i++, r = kcache_dump_next(r)) {
			const char *key = kcache_dump_key(r);

			if (key[0] == 'b') {
				int n = atoi(key + 1);

				ASSERT_EQ(0, seen[n]);
				seen[n] = 1;
			} else {
				int n = atoi(key + 1);

				ASSERT_EQ(0, seen_g[n]);
				seen_g[n] = 1;
				grown++;
			}
		}
		d.cursor = d.next;
		calls++;
		/* go on through the whole growth: several resizes, 8k to 64k buckets */
	} while (!d.done || !fin);
	pthread_join(t, NULL);
	for (i = 0; i < base; i++)
		ASSERT_EQ(1, seen[i]) TH_LOG("b%d missing", i);
	/* the grower's keys were stored once each, all before the last call: all seen */
	ASSERT_EQ(g.stored, grown);
	/* nothing was evicted, so nothing could be missing for that reason */
	ASSERT_EQ(0, ioctl(g.fd, KCACHE_IOC_STATS, &st));
	ASSERT_EQ(0, st.counters.evictions_size);
	TH_LOG("%d calls, %d of %d grown keys seen", calls, grown, g.stored);
	/* one call with room for everything: every entry once */
	buflen = 8 * MB;
	buf = realloc(buf, buflen);
	ASSERT_NE(NULL, buf);
	memset(&d, 0, sizeof(d));
	d.size = sizeof(d);
	d.buf = p2u(buf);
	d.buf_len = buflen;
	ASSERT_EQ(0, ioctl(g.fd, KCACHE_IOC_DUMP, &d));
	ASSERT_EQ(1, d.done);
	ASSERT_EQ(base + g.stored, d.nr);
	ASSERT_TRUE(dump_records_ok(buf, d.nr, 0, &last));
	close(g.fd);
	free(buf);
	free(seen);
	free(seen_g);
}

#define CHURN_N	30000

struct churner {
	int fd;
	atomic_int stop;
	int err;
	unsigned long ops;
};

/*
 * Store keys c0.. and delete them again, over and over: the table grows and shrinks. A
 * delete pass deletes what the store pass stored, also when it was cut short.
 */
static void *churn(void *arg)
{
	struct churner *ch = arg;
	char k[16];
	int i, n, kl;

	while (!atomic_load(&ch->stop) && !ch->err) {
		for (n = 0; n < CHURN_N && !ch->err && !atomic_load(&ch->stop); n++) {
			kl = snprintf(k, sizeof(k), "c%d", n);
			ch->err = -kcache_set(ch->fd, k, kl, "v", 1, 0, 0, NULL);
			ch->ops++;
		}
		for (i = 0; i < n && !ch->err && !atomic_load(&ch->stop); i++) {
			kl = snprintf(k, sizeof(k), "c%d", i);
			ch->err = -kcache_del(ch->fd, k, kl);
			ch->ops++;
		}
	}
	return NULL;
}

/*
 * A buffer that holds exactly the one record above the cursor gets it, also while the
 * table resizes: a walk that meets the entry twice (the walk starts over in the new
 * table) must not count its record twice and answer EMSGSIZE for a record that fits.
 */
TEST_F_TIMEOUT(kc, dump_one_record_buffer_across_resize, 120)
{
	struct kcache_create_args c = { .size = sizeof(c), .max_bytes = 64 * MB,
					.max_entries = 200000, .mode = 0600 };
	const uint32_t len = KCACHE_DUMP_RECORD_LEN(1, 0);
	struct churner ch = { 0 };
	unsigned long calls = 0, found = 0, emsgsize = 0;
	uint64_t ver, t0;
	char k[80], buf[64];
	pthread_t t;
	int i;

	snprintf(k, sizeof(k), "%s-x2", self->name);
	set_name(c.name, k);
	ch.fd = ioctl(self->ctl, KCACHE_IOC_CREATE, &c);
	ASSERT_LE(0, ch.fd);
	for (i = 0; i < 2000; i++) {
		int kl = snprintf(k, sizeof(k), "b%d", i);

		ASSERT_EQ(0, set(ch.fd, k, kl, "v", 1, 0));
	}
	/* the one entry above the cursor: the churner's keys come later, and are bigger */
	ASSERT_EQ(0, kcache_set(ch.fd, "t", 1, NULL, 0, 0, 0, &ver));
	ASSERT_EQ(0, pthread_create(&t, NULL, churn, &ch));
	t0 = now_us();
	while (now_us() - t0 < 10000000 && !emsgsize) {
		struct kcache_dump_args d = { .size = sizeof(d), .buf = p2u(buf), .buf_len = len,
					      .cursor = ver - 1 };
		const struct kcache_dump_record *r = (const void *)buf;

		calls++;
		if (ioctl(ch.fd, KCACHE_IOC_DUMP, &d)) {
			ASSERT_EQ(EMSGSIZE, errno);
			TH_LOG("EMSGSIZE, needed %u, for a buffer of %u", d.needed, len);
			emsgsize++;
			break;
		}
		ASSERT_EQ(1, d.nr);
		ASSERT_EQ(ver, r->version);
		ASSERT_EQ(1, r->key_len);
		found++;
	}
	atomic_store(&ch.stop, 1);
	pthread_join(t, NULL);
	TH_LOG("%lu calls, %lu found the record, %lu stores and deletes", calls, found, ch.ops);
	EXPECT_EQ(0, ch.err) TH_LOG("churn: %s", strerror(ch.err));
	EXPECT_EQ(0, emsgsize);
	EXPECT_LT(0, ch.ops);
	close(ch.fd);
}

TEST_F(kc, mset_checks_ordering)
{
	struct kcache_batch_item it[2] = { { .key_len = 1, .val_len = 1 },
					   { .key_len = 1, .val_len = KCACHE_VAL_LEN_MAX + 1 } };
	struct kcache_mset_args a = { .size = sizeof(a), .items = 0, .keys = 0, .vals = 0,
				      .nr = 2, .vals_len = 2 };

	ASSERT_EQ(-1, ioctl(self->fd, KCACHE_IOC_MSET, &a));
	ASSERT_EQ(EFAULT, errno);	/* the item array is read first */
	a.items = p2u(it);
	/* an item's value length beats the NULL key and value blocks */
	ASSERT_EQ(-1, ioctl(self->fd, KCACHE_IOC_MSET, &a));
	ASSERT_EQ(E2BIG, errno);
	/* a zero key length comes first (the key before the value in the item) */
	it[1].key_len = 0;
	ASSERT_EQ(-1, ioctl(self->fd, KCACHE_IOC_MSET, &a));
	ASSERT_EQ(EINVAL, errno);
	it[1].key_len = 1;
	it[1].val_len = 1;
	a.vals_len = 3;
	ASSERT_EQ(-1, ioctl(self->fd, KCACHE_IOC_MSET, &a));
	ASSERT_EQ(EINVAL, errno);	/* values must sum to vals_len, before copying */
	a.vals_len = 2;
	ASSERT_EQ(-1, ioctl(self->fd, KCACHE_IOC_MSET, &a));
	ASSERT_EQ(EFAULT, errno);	/* keys */
	a.keys = p2u("xy");
	ASSERT_EQ(-1, ioctl(self->fd, KCACHE_IOC_MSET, &a));
	ASSERT_EQ(EFAULT, errno);	/* values */
	a.vals = p2u("12");
	ASSERT_EQ(0, ioctl(self->fd, KCACHE_IOC_MSET, &a));
	ASSERT_EQ(2, a.done);
}

TEST_F(kc, mget_checks_ordering)
{
	struct kcache_batch_item it[2] = { { .key_len = 1 }, { .key_len = 0 } };
	struct kcache_mget_args a = { .size = sizeof(a), .nr = KCACHE_BATCH_MAX + 1 };
	char v[8];

	ASSERT_EQ(-1, ioctl(self->fd, KCACHE_IOC_MGET, &a));
	ASSERT_EQ(E2BIG, errno);	/* nr before the NULL item array */
	a.nr = 2;
	ASSERT_EQ(-1, ioctl(self->fd, KCACHE_IOC_MGET, &a));
	ASSERT_EQ(EFAULT, errno);
	a.items = p2u(it);
	ASSERT_EQ(-1, ioctl(self->fd, KCACHE_IOC_MGET, &a));
	ASSERT_EQ(EINVAL, errno);	/* item key length before the NULL key block */
	it[1].key_len = KCACHE_KEY_LEN_MAX + 1;
	ASSERT_EQ(-1, ioctl(self->fd, KCACHE_IOC_MGET, &a));
	ASSERT_EQ(E2BIG, errno);
	it[1].key_len = 1;
	ASSERT_EQ(-1, ioctl(self->fd, KCACHE_IOC_MGET, &a));
	ASSERT_EQ(EFAULT, errno);
	a.keys = p2u("kk");
	a.vals = p2u(v);
	a.vals_len = sizeof(v);
	ASSERT_EQ(0, ioctl(self->fd, KCACHE_IOC_MGET, &a));
	ASSERT_EQ(2, a.done);
}

TEST_F(kc, create_checks_ordering)
{
	static const unsigned char latin1[] = { 0xc0, 0xc9, 0xe9, 0xf8, 0xff, 0xaa, 0xb5 };
	struct kcache_create_args a = { .size = sizeof(a), .max_bytes = MB, .mode = 0600 };
	struct rlimit rl, one;
	char n[80];
	unsigned int i;
	int fd;

	/* every byte outside [A-Za-z0-9._-] is refused, Latin-1 letters too */
	for (i = 0; i < sizeof(latin1); i++) {
		snprintf(n, sizeof(n), "%s-x2", self->name);
		n[strlen(n) - 1] = latin1[i];
		set_name(a.name, n);
		ASSERT_EQ(-1, ioctl(self->ctl, KCACHE_IOC_CREATE, &a));
		ASSERT_EQ(EINVAL, errno) TH_LOG("byte 0x%x", latin1[i]);
	}
	for (i = 1; i < 256; i++) {
		if ((i >= 'a' && i <= 'z') || (i >= 'A' && i <= 'Z') || (i >= '0' && i <= '9') ||
		    i == '.' || i == '_' || i == '-')
			continue;
		snprintf(n, sizeof(n), "x%c", i);
		ASSERT_EQ(-1, open_cache(self->ctl, n, KCACHE_OPEN_READ));
		ASSERT_EQ(EINVAL, errno) TH_LOG("byte 0x%x", i);
	}
	/*
	 * The fd is made before the name is looked up or published: with no free fd an
	 * existing name gives -EMFILE, and a new name is never created (nobody could have
	 * opened it between a publish and an undo).
	 */
	ASSERT_EQ(0, getrlimit(RLIMIT_NOFILE, &rl));
	one = rl;
	one.rlim_cur = 0;
	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &one));
	set_name(a.name, self->name);
	ASSERT_EQ(-1, ioctl(self->ctl, KCACHE_IOC_CREATE, &a));
	ASSERT_EQ(EMFILE, errno);
	snprintf(n, sizeof(n), "%s-x3", self->name);
	set_name(a.name, n);
	ASSERT_EQ(-1, ioctl(self->ctl, KCACHE_IOC_CREATE, &a));
	ASSERT_EQ(EMFILE, errno);
	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &rl));
	ASSERT_EQ(-1, open_cache(self->ctl, n, KCACHE_OPEN_READ));
	ASSERT_EQ(ENOENT, errno);
	fd = ioctl(self->ctl, KCACHE_IOC_CREATE, &a);
	ASSERT_LE(0, fd);
	close(fd);
}

TEST_F(kc, open_owner_checks_ordering)
{
	struct kcache_open_args a = { .size = sizeof(a), .flags = KCACHE_OPEN_READ,
				      .owner = 1 };
	int fd;

	set_name(a.name, self->name);
	ASSERT_EQ(-1, ioctl(self->ctl, KCACHE_IOC_OPEN, &a));
	ASSERT_EQ(EINVAL, errno);	/* owner without KCACHE_OPEN_OWNER */
	a.owner = 0;
	a.__pad = 1;
	ASSERT_EQ(-1, ioctl(self->ctl, KCACHE_IOC_OPEN, &a));
	ASSERT_EQ(EINVAL, errno);
	a.__pad = 0;
	a.flags = KCACHE_OPEN_OWNER;
	ASSERT_EQ(-1, ioctl(self->ctl, KCACHE_IOC_OPEN, &a));
	ASSERT_EQ(EINVAL, errno);	/* still needs a right */
	a.flags = KCACHE_OPEN_READ | KCACHE_OPEN_OWNER;
	a.owner = geteuid() + 1;
	set_name(a.name, "absent-cache");
	ASSERT_EQ(-1, ioctl(self->ctl, KCACHE_IOC_OPEN, &a));
	ASSERT_EQ(ENOENT, errno);
	set_name(a.name, self->name);
	ASSERT_EQ(-1, ioctl(self->ctl, KCACHE_IOC_OPEN, &a));
	ASSERT_EQ(EPERM, errno);	/* not the expected owner, even with CAP_DAC_OVERRIDE */
	a.owner = geteuid();
	fd = ioctl(self->ctl, KCACHE_IOC_OPEN, &a);
	ASSERT_LE(0, fd);
	close(fd);
	/* the first published size (no owner field) still works */
	a.size = KCACHE_OPEN_ARGS_SIZE_VER0;
	a.flags = KCACHE_OPEN_READ;
	a.owner = 0;
	fd = ioctl(self->ctl, KCACHE_IOC_OPEN, &a);
	ASSERT_LE(0, fd);
	close(fd);
	/*
	 * but not with KCACHE_OPEN_OWNER: its owner would read as 0, and a root-owned
	 * cache would pass a check against an owner nobody named
	 */
	a.flags = KCACHE_OPEN_READ | KCACHE_OPEN_OWNER;
	ASSERT_EQ(-1, ioctl(self->ctl, KCACHE_IOC_OPEN, &a));
	ASSERT_EQ(EINVAL, errno);
}

/*
 * Each cache has its statistics file, /sys/kernel/debug/kcache/caches/NAME
 * (kcache_sysfs.c): every name CREATE accepts must be a name a file can have.
 */
TEST_F(kc, create_accepts_only_names_a_file_can_have)
{
	static const char *const names[] = { ".", "..", "...", ".a" };
	char path[128];
	struct stat st;
	unsigned int i;
	int fd;

	if (stat("/sys/kernel/debug/kcache/caches", &st))
		SKIP(return, "no debugfs");
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		fd = create(self->ctl, names[i], MB, 0600);
		if (fd < 0) {
			EXPECT_EQ(EINVAL, errno) TH_LOG("\"%s\"", names[i]);
			continue;
		}
		snprintf(path, sizeof(path), "/sys/kernel/debug/kcache/caches/%s", names[i]);
		EXPECT_EQ(0, stat(path, &st));
		EXPECT_TRUE(S_ISREG(st.st_mode)) TH_LOG("\"%s\": no statistics file", names[i]);
		EXPECT_EQ(0, destroy(self->ctl, names[i]));
		close(fd);
	}
}

/* A call on a cache fd whose user buffer lies in memory a userfaultfd has not filled yet */
struct uffd_call {
	int fd;
	unsigned long cmd;
	union {
		struct kcache_set_args set;
		struct kcache_cas_args cas;
		struct kcache_get_args get;
		struct kcache_mget_args mget;
	} a;
	struct kcache_batch_item item;
	uint64_t token;
	int ret;
	int err;
	atomic_int done;
};

static void *uffd_call_fn(void *arg)
{
	struct uffd_call *u = arg;

	u->ret = ioctl(u->fd, u->cmd, &u->a);
	u->err = errno;
	atomic_store(&u->done, 1);
	return NULL;
}

struct destroyer {
	int ctl;
	const char *name;
	int ret;
	atomic_int done;
};

static void *destroyer_fn(void *arg)
{
	struct destroyer *d = arg;

	d->ret = destroy(d->ctl, d->name);
	atomic_store(&d->done, 1);
	return NULL;
}

/* the call's struct: key "k" (present, version @ver), its value buffer at @buf */
static void uffd_fill_set(struct uffd_call *u, void *buf, uint64_t ver)
{
	u->a.set = (struct kcache_set_args){ .size = sizeof(u->a.set), .key = p2u("k"),
					     .val = p2u(buf), .key_len = 1, .val_len = 64 };
}

static void uffd_fill_cas(struct uffd_call *u, void *buf, uint64_t ver)
{
	u->a.cas = (struct kcache_cas_args){ .size = sizeof(u->a.cas), .key = p2u("k"),
					     .val = p2u(buf), .key_len = 1, .val_len = 64,
					     .expected = ver };
}

static void uffd_fill_lease_get(struct uffd_call *u, void *buf, uint64_t ver)
{
	u->a.get = (struct kcache_get_args){ .size = sizeof(u->a.get), .flags = KCACHE_GETF_LEASE,
					     .key = p2u("k"), .val = p2u(buf), .key_len = 1,
					     .val_len = 64 };
}

static void uffd_fill_lease_mget(struct uffd_call *u, void *buf, uint64_t ver)
{
	u->item = (struct kcache_batch_item){ .key_len = 1 };
	u->a.mget = (struct kcache_mget_args){ .size = sizeof(u->a.mget),
					       .flags = KCACHE_MGETF_LEASE, .items = p2u(&u->item),
					       .keys = p2u("k"), .vals = p2u(buf), .nr = 1,
					       .vals_len = 64, .tokens = p2u(&u->token) };
}

FIXTURE_VARIANT(uffd) {
	unsigned long cmd;
	void (*fill)(struct uffd_call *u, void *buf, uint64_t ver);
};

FIXTURE(uffd) {
	FIXTURE_DATA(kc) kc;
};

FIXTURE_SETUP(uffd)
{
	env_setup(_metadata, &self->kc);
}

FIXTURE_TEARDOWN(uffd)
{
	env_teardown(&self->kc);
}

/* the value read from userspace */
FIXTURE_VARIANT_ADD(uffd, set) { KCACHE_IOC_SET, uffd_fill_set };
FIXTURE_VARIANT_ADD(uffd, cas) { KCACHE_IOC_CAS, uffd_fill_cas };
/* a hit's value written to userspace */
FIXTURE_VARIANT_ADD(uffd, lease_get) { KCACHE_IOC_GET, uffd_fill_lease_get };
FIXTURE_VARIANT_ADD(uffd, lease_mget) { KCACHE_IOC_MGET, uffd_fill_lease_mget };

/*
 * A page fault may sleep as long as another task pleases (a userfaultfd handler, a FUSE
 * server): DESTROY must not wait for a call asleep in one on its user buffer. uapi: no
 * command waits for another task except for a bounded time; design §8.
 */
TEST_F_TIMEOUT(uffd, destroy_does_not_wait_for_a_call_asleep_in_a_page_fault, 60)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct destroyer d = { .ctl = self->kc.ctl, .name = self->kc.name };
	struct uffd_call u = { .fd = self->kc.fd, .cmd = variant->cmd };
	long ps = sysconf(_SC_PAGESIZE);
	struct uffdio_register reg;
	struct uffdio_zeropage zp;
	struct pollfd pfd;
	pthread_t ut, dt;
	uint32_t vl = 1;
	char *region, v[1];
	uint64_t ver;
	int uffd, i;

	/* faults of the kernel's own accesses need a userfaultfd without USER_MODE_ONLY */
	uffd = syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (uffd < 0)
		SKIP(return, "userfaultfd: %s", strerror(errno));
	ASSERT_EQ(0, ioctl(uffd, UFFDIO_API, &api));
	region = mmap(NULL, ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, region);
	reg = (struct uffdio_register){ .range = { p2u(region), ps },
					.mode = UFFDIO_REGISTER_MODE_MISSING };
	ASSERT_EQ(0, ioctl(uffd, UFFDIO_REGISTER, &reg));
	ASSERT_EQ(0, get(self->kc.fd, "k", 1, v, &vl, &ver));
	variant->fill(&u, region, ver);
	ASSERT_EQ(0, pthread_create(&ut, NULL, uffd_call_fn, &u));
	/* the call is asleep in the fault once the userfaultfd reports it */
	pfd = (struct pollfd){ .fd = uffd, .events = POLLIN };
	ASSERT_EQ(1, poll(&pfd, 1, 10000));
	ASSERT_EQ(0, atomic_load(&u.done));
	ASSERT_EQ(0, pthread_create(&dt, NULL, destroyer_fn, &d));
	for (i = 0; i < 1000 && !atomic_load(&d.done); i++)
		usleep(10000);
	EXPECT_TRUE(atomic_load(&d.done)) TH_LOG("DESTROY waits for the page fault");
	/* let the call go on: it stores or copies, or finds the cache destroyed */
	zp = (struct uffdio_zeropage){ .range = { p2u(region), ps } };
	ASSERT_EQ(0, ioctl(uffd, UFFDIO_ZEROPAGE, &zp));
	ASSERT_EQ(0, pthread_join(dt, NULL));
	ASSERT_EQ(0, pthread_join(ut, NULL));
	EXPECT_EQ(0, d.ret);
	if (u.ret)
		EXPECT_EQ(ESHUTDOWN, u.err);
	close(uffd);
	munmap(region, ps);
}

TEST_HARNESS_MAIN
