// SPDX-License-Identifier: GPL-2.0
/*
 * Random ioctls on /dev/kcache and on cache fds of every access mode: random commands
 * (real ones, real ones with a wrong size in the command number, unknown numbers),
 * random struct sizes, valid structs with random fields mutated, and pointers that are
 * valid, NULL, unmapped, kernel-space or misaligned. Only documented errnos may come
 * back; the kernel must not splat (the VM runner greps the log after every suite).
 *
 * KCACHE_FUZZ_ITERS (default 100000) and KCACHE_FUZZ_SEED override the defaults.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/kcache.h>

#include "kselftest_harness.h"

static uint64_t rng_state;

static uint64_t rnd(void)
{
	/* xorshift64* */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ULL;
}

static uint32_t rnd_below(uint32_t n)
{
	return rnd() % n;
}

static const struct {
	unsigned long cmd;
	uint32_t size;
	int on_ctl;
} cmds[] = {
	{ KCACHE_IOC_VERSION, sizeof(struct kcache_version), 1 },
	{ KCACHE_IOC_CREATE, sizeof(struct kcache_create_args), 1 },
	{ KCACHE_IOC_OPEN, sizeof(struct kcache_open_args), 1 },
	{ KCACHE_IOC_DESTROY, sizeof(struct kcache_destroy_args), 1 },
	{ KCACHE_IOC_LIST, sizeof(struct kcache_list_args), 1 },
	{ KCACHE_IOC_GET, sizeof(struct kcache_get_args), 0 },
	{ KCACHE_IOC_SET, sizeof(struct kcache_set_args), 0 },
	{ KCACHE_IOC_DEL, sizeof(struct kcache_del_args), 0 },
	{ KCACHE_IOC_CAS, sizeof(struct kcache_cas_args), 0 },
	{ KCACHE_IOC_ADD, sizeof(struct kcache_add_args), 0 },
	{ KCACHE_IOC_MGET, sizeof(struct kcache_mget_args), 0 },
	{ KCACHE_IOC_MSET, sizeof(struct kcache_mset_args), 0 },
	{ KCACHE_IOC_INVALIDATE, sizeof(struct kcache_invalidate_args), 0 },
	{ KCACHE_IOC_STATS, sizeof(struct kcache_stats_args), 0 },
	{ KCACHE_IOC_INFO, sizeof(struct kcache_info_args), 0 },
	{ KCACHE_IOC_DUMP, sizeof(struct kcache_dump_args), 0 },
	{ KCACHE_IOC_NOP, sizeof(struct kcache_nop_args), 0 },
};

#define NCMDS	(sizeof(cmds) / sizeof(cmds[0]))

/* Every errno uapi/linux/kcache.h documents for some command. */
static int documented(int err)
{
	switch (err) {
	case EFAULT: case EINVAL: case E2BIG: case ENOTTY: case EBADF: case ESHUTDOWN:
	case ENOENT: case EEXIST: case EMSGSIZE: case ESTALE: case ENOSPC: case ENOMEM:
	case EACCES: case EPERM: case EMFILE:
		return 1;
	default:
		return 0;
	}
}

struct pool {
	uint8_t *data;		/* 64 KiB of mapped memory with random keys and values */
	void *unmapped;
	char name[KCACHE_NAME_BUF];
};

static uint64_t rnd_ptr(struct pool *p)
{
	switch (rnd_below(8)) {
	case 0:
		return 0;
	case 1:
		return (uintptr_t)p->unmapped;
	case 2:
		return 0xffffffff81000000ULL;
	case 3:
		return rnd();
	case 4:
		return (uintptr_t)p->data + 65536 - rnd_below(64);	/* runs off the end */
	default:
		return (uintptr_t)p->data + rnd_below(32768);
	}
}

static uint32_t rnd_len(void)
{
	static const uint32_t edge[] = { 0, 1, 2, 7, 8, 64, 255, 256, 257, 4095, 4096, 4097,
					 65536, 1 << 20, (1 << 20) + 1, 64 << 20,
					 (64 << 20) + 1, 0x7fffffff, 0xffffffff };

	switch (rnd_below(4)) {
	case 0:
		return edge[rnd_below(sizeof(edge) / sizeof(edge[0]))];
	case 1:
		return rnd();
	default:
		return rnd_below(300);
	}
}

/* A plausible argument for @cmd: right size, pointers into the pool, small lengths. */
static void fill(uint8_t *buf, unsigned int i, struct pool *p)
{
	uint32_t *w = (uint32_t *)buf;
	uint64_t *q = (uint64_t *)buf;
	unsigned int k;

	w[0] = cmds[i].size;
	w[1] = rnd_below(4) ? 0 : rnd_below(16);
	switch (cmds[i].cmd) {
	case KCACHE_IOC_CREATE:
	case KCACHE_IOC_OPEN:
	case KCACHE_IOC_DESTROY:
		memcpy(buf + 8, p->name, KCACHE_NAME_BUF);
		if (rnd_below(2))
			buf[8 + strlen(p->name) - 1] = '0' + rnd_below(4);
		if (cmds[i].cmd == KCACHE_IOC_OPEN)
			w[1] = rnd_below(5);
		if (cmds[i].cmd == KCACHE_IOC_CREATE) {
			q[10] = rnd_below(1000);		/* max_entries */
			q[11] = rnd_below(2) ? 1 << 16 : rnd();	/* max_bytes */
			w[26] = rnd_below(3);			/* policy */
			w[27] = rnd_below(2) ? 0600 : rnd();	/* mode */
		}
		break;
	default:
		/* generic: every 8-byte slot after the header gets a pointer or a length */
		for (k = 1; k < cmds[i].size / 8; k++) {
			if (rnd_below(2))
				q[k] = rnd_ptr(p);
			else
				q[k] = (uint64_t)rnd_len() << 32 | rnd_len();
		}
		if (cmds[i].cmd == KCACHE_IOC_MGET || cmds[i].cmd == KCACHE_IOC_MSET) {
			w[8] = rnd_below(2) ? rnd_below(8) : rnd_len();	/* nr */
			w[9] = rnd_len();
			w[11] = rnd_below(8) ? 0 : 1;
		}
		break;
	}
}

FIXTURE(fuzz) {
	int ctl;
	int fds[4];
	struct pool p;
};

FIXTURE_SETUP(fuzz)
{
	struct kcache_create_args c = { .size = sizeof(c), .max_bytes = 4 << 20, .mode = 0600 };
	struct kcache_open_args o = { .size = sizeof(o) };
	int i;

	self->ctl = open("/dev/kcache", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->ctl);
	snprintf(self->p.name, sizeof(self->p.name), "fz%d", getpid() % 10000);
	memcpy(c.name, self->p.name, sizeof(c.name));
	memcpy(o.name, self->p.name, sizeof(o.name));
	self->fds[0] = ioctl(self->ctl, KCACHE_IOC_CREATE, &c);
	ASSERT_LE(0, self->fds[0]);
	for (i = 1; i < 4; i++) {
		o.flags = i;
		self->fds[i] = ioctl(self->ctl, KCACHE_IOC_OPEN, &o);
		ASSERT_LE(0, self->fds[i]);
	}
	self->p.data = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			    -1, 0);
	ASSERT_NE(MAP_FAILED, self->p.data);
	self->p.unmapped = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->p.unmapped);
}

FIXTURE_TEARDOWN(fuzz)
{
	struct kcache_destroy_args d = { .size = sizeof(d) };
	int i, j;

	/* the fuzzer may have created name0..name3 and recreated name */
	for (j = -1; j < 4; j++) {
		memcpy(d.name, self->p.name, sizeof(d.name));
		if (j >= 0)
			d.name[strlen(self->p.name) - 1] = '0' + j;
		ioctl(self->ctl, KCACHE_IOC_DESTROY, &d);
	}
	for (i = 0; i < 4; i++)
		close(self->fds[i]);
	close(self->ctl);
}

TEST_F_TIMEOUT(fuzz, random_ioctls_documented_errnos_only, 600)
{
	static uint8_t buf[8192] __attribute__((aligned(8)));
	const char *e = getenv("KCACHE_FUZZ_ITERS");
	long iters = e ? atol(e) : 100000, n, bad = 0, ok = 0;
	unsigned long cmd;
	unsigned int i;
	int fd, ret, err;
	uint32_t size;

	e = getenv("KCACHE_FUZZ_SEED");
	rng_state = e ? strtoull(e, NULL, 0) : 0x9e3779b97f4a7c15ULL ^ getpid();
	TH_LOG("seed 0x%llx, %ld calls", (unsigned long long)rng_state, iters);
	for (i = 0; i < 65536; i++)
		self->p.data[i] = rnd();
	for (n = 0; n < iters; n++) {
		i = rnd_below(NCMDS);
		cmd = cmds[i].cmd;
		memset(buf, 0, sizeof(buf));
		fill(buf, i, &self->p);
		/* mutate: a random byte, the size, or the command number's size field */
		switch (rnd_below(8)) {
		case 0:
			buf[rnd_below(cmds[i].size)] = rnd();
			break;
		case 1:
			size = rnd_below(2) ? rnd_below(cmds[i].size + 16) : rnd_len();
			((uint32_t *)buf)[0] = size;
			break;
		case 2:
			buf[cmds[i].size + rnd_below(64)] = rnd() | 1;
			((uint32_t *)buf)[0] = cmds[i].size + 64;
			break;
		case 3:
			cmd = _IOC(_IOC_READ | _IOC_WRITE, KCACHE_IOC_MAGIC, rnd_below(64),
				   rnd_below(512));
			break;
		default:
			break;
		}
		fd = cmds[i].on_ctl ? self->ctl : self->fds[rnd_below(4)];
		if (!rnd_below(16))
			fd = cmds[i].on_ctl ? self->fds[rnd_below(4)] : self->ctl;
		switch (rnd_below(32)) {
		case 0:
			ret = ioctl(fd, cmd, NULL);
			break;
		case 1:
			ret = ioctl(fd, cmd, self->p.unmapped);
			break;
		case 2:
			ret = ioctl(fd, cmd, (void *)0xffffffff81000000UL);
			break;
		case 3:
			ret = ioctl(fd, cmd, buf + 1 + rnd_below(7));
			break;
		default:
			ret = ioctl(fd, cmd, buf);
			break;
		}
		err = errno;
		if (ret >= 0) {
			ok++;
			if (ret > 0 && (cmd == KCACHE_IOC_CREATE || cmd == KCACHE_IOC_OPEN))
				close(ret);
			continue;
		}
		if (!documented(err)) {
			bad++;
			TH_LOG("call %ld: cmd 0x%lx size %u: undocumented errno %d (%s)", n, cmd,
			       ((uint32_t *)buf)[0], err, strerror(err));
		}
	}
	TH_LOG("%ld calls, %ld succeeded, %ld undocumented errnos", iters, ok, bad);
	ASSERT_EQ(0, bad);
}

TEST_HARNESS_MAIN
